"""One compiled re2 set per word list: every trigger is tried in a single linear-time pass.

re2 never backtracks, so no word or moderator pattern can stall the event loop, and a set of
patterns costs about the same per message whether it holds ten triggers or thousands.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import cast

import re2


class TriggerKind(StrEnum):
    """What a hit means to the scanner."""

    CLINIC = "clinic"
    CONTEXT = "context"
    # A phrase that contains a clinic or context word without being one ("essai clinique",
    # "MS clinic", "MSc thesis"): its hit cancels the words it contains (see scanner.py).
    NEUTRAL = "neutral"
    RULE = "rule"


@dataclass(frozen=True, slots=True)
class Trigger:
    """A pattern and what to report when it matches (the listed word, or a rule's id)."""

    kind: TriggerKind
    label: str
    pattern: str


class MatcherBuildError(ValueError):
    """A pattern could not be compiled; the message names the trigger."""


# re2's \b only knows ASCII letters. That is enough for words that are ASCII after
# normalisation (accents are gone by then); words in other scripts get explicit Unicode edges.
_ASCII_EDGE = r"\b"
_UNICODE_BEFORE = r"(?:^|[^\pL\pN_])"
_UNICODE_AFTER = r"(?:[^\pL\pN_]|$)"
# The words of a phrase may be joined by any run of spaces, newlines, hyphens, dots,
# underscores or slashes, or by nothing: "stem cell", "stem-cell", "stem  cell", "stemcell" and
# "stem_cell" all read as one phrase. Because runs are absorbed here, messages need no
# whitespace collapsing before matching (see normalise.py).
_PHRASE_GAP = r"[\s\-_./'’]*"
# An optional "s" after each word covers regular plurals ("clinics", "stem cells centre");
# the edge already allows possessives ("clinic's").
_PLURAL = "s?"
# The same edges and gap under public names, for patterns built elsewhere on these rules
# (auto-response triggers), so a phrase or a word edge means one thing across the bot.
PHRASE_GAP = _PHRASE_GAP
UNICODE_WORD_BEFORE = _UNICODE_BEFORE
UNICODE_WORD_AFTER = _UNICODE_AFTER
_APOSTROPHE = re2.escape("'")


def word_pattern(canonical_word: str) -> str:
    """Return the re2 pattern for a word or phrase already in `normalise_word` form."""
    tokens = canonical_word.split(" ")
    # An apostrophe inside a word is optional and may be typographic: "wharton's", "whartons", "wharton’s".
    body = _PHRASE_GAP.join(re2.escape(token).replace(_APOSTROPHE, "['’]?") + _PLURAL for token in tokens)
    if canonical_word.isascii():
        return f"{_ASCII_EDGE}{body}{_ASCII_EDGE}"
    return f"{_UNICODE_BEFORE}{body}{_UNICODE_AFTER}"


def contains_phrase(word: str, phrase: str) -> bool:
    """True when `phrase`'s words appear in a row inside `word` (plural "s" allowed, as in matching).

    Both are in `normalise_word` form. Used at build time only: which clinic phrases carry their own
    context, which listed words a neutral phrase cancels.
    """
    word_tokens = word.split(" ")
    phrase_tokens = phrase.split(" ")
    span = len(phrase_tokens)
    for start in range(len(word_tokens) - span + 1):
        window = word_tokens[start : start + span]
        if all(token in (wanted, wanted + "s") for token, wanted in zip(window, phrase_tokens, strict=True)):
            return True
    return False


def word_trigger(kind: TriggerKind, canonical_word: str) -> Trigger:
    """A trigger for a listed word, reported back under the word itself."""
    return Trigger(kind=kind, label=canonical_word, pattern=word_pattern(canonical_word))


def _options() -> re2.Options:
    options = re2.Options()
    options.never_capture = True  # the set only says which triggers hit; captures would cost time
    options.max_mem = 64 << 20  # room for Unicode classes and large moderator rule sets
    options.log_errors = False  # a refused pattern is reported through MatcherBuildError, not stderr
    return options


class CompiledMatcher:
    """An immutable, non-empty set of triggers compiled once; one pass finds every trigger present."""

    __slots__ = ("find_utf8", "kinds", "label_tuples", "labels", "triggers")

    def __init__(self, triggers: Sequence[Trigger]) -> None:
        if not triggers:
            raise MatcherBuildError("a matcher needs at least one trigger")
        self.triggers: tuple[Trigger, ...] = tuple(triggers)
        self.kinds: tuple[TriggerKind, ...] = tuple(trigger.kind for trigger in self.triggers)
        self.labels: tuple[str, ...] = tuple(trigger.label for trigger in self.triggers)
        # Most hits are a single trigger; a ready-made one-word tuple saves building one per hit.
        self.label_tuples: tuple[tuple[str], ...] = tuple((label,) for label in self.labels)
        compiled = re2.Set.SearchSet(_options())
        for trigger in self.triggers:
            try:
                compiled.Add(trigger.pattern)
            except re2.error as exc:
                problem = f"{trigger.kind} {trigger.label!r}: pattern does not compile"
                raise MatcherBuildError(problem) from exc
        try:
            compiled.Compile()
        except re2.error as exc:
            raise MatcherBuildError("the trigger set is too large to compile") from exc
        # The hot path: UTF-8 bytes in, indices of the triggers found out (empty or None when none).
        # The Python wrapper's Match adds a frame that costs about a third of a typical call, so
        # the compiled set underneath is called directly when this google-re2 build exposes it.
        direct = getattr(getattr(compiled, "_set", None), "Match", None)
        find = direct if callable(direct) else compiled.Match
        self.find_utf8 = cast(Callable[[bytes], list[int] | None], find)

    def match(self, normalised_text: str) -> list[int] | None:
        """Indices into `triggers` of every trigger found, or None when nothing matched."""
        return self.find_utf8(normalised_text.encode()) or None
