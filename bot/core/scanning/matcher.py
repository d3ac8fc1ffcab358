"""One compiled re2 set per word list: every trigger is tried in a single linear-time pass.

re2 never backtracks, so no word or moderator pattern can stall the event loop, and a set of
patterns costs about the same per message whether it holds ten triggers or thousands.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import re2

from bot.core.scanning.settings import WordKind


class TriggerKind(StrEnum):
    """What a hit means to the scanner."""

    SIGNAL = "signal"  # a listed word of the clinic watch; `Trigger.signal` says which list
    # A phrase that contains a listed word without being one ("essai clinique", "MSc thesis"):
    # the words inside it do not count (see scanner.py).
    NEUTRAL = "neutral"
    RULE = "rule"


@dataclass(frozen=True, slots=True)
class Trigger:
    """A pattern and what to report when it matches (the listed word, or a rule's id).

    `position_pattern` finds the same thing with one capture group around the words themselves;
    it is compiled only when a message needs positions (see `find_spans`).
    """

    kind: TriggerKind
    label: str
    pattern: str
    signal: WordKind | None = None
    position_pattern: str | None = None


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


def _word_body(canonical_word: str) -> str:
    tokens = canonical_word.split(" ")
    # An apostrophe inside a word is optional and may be typographic: "wharton's", "whartons", "wharton’s".
    return _PHRASE_GAP.join(re2.escape(token).replace(_APOSTROPHE, "['’]?") + _PLURAL for token in tokens)


def word_pattern(canonical_word: str) -> str:
    """Return the re2 pattern for a word or phrase already in `normalise_word` form."""
    body = _word_body(canonical_word)
    if canonical_word.isascii():
        return f"{_ASCII_EDGE}{body}{_ASCII_EDGE}"
    return f"{_UNICODE_BEFORE}{body}{_UNICODE_AFTER}"


def word_position_pattern(canonical_word: str) -> str:
    """`word_pattern` with the words themselves in group 1, so a span leaves out the edge characters."""
    body = _word_body(canonical_word)
    if canonical_word.isascii():
        return f"{_ASCII_EDGE}({body}){_ASCII_EDGE}"
    return f"{_UNICODE_BEFORE}({body}){_UNICODE_AFTER}"


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


def word_trigger(kind: TriggerKind, canonical_word: str, signal: WordKind | None = None) -> Trigger:
    """A trigger for a listed word, reported back under the word itself."""
    return Trigger(
        kind=kind,
        label=canonical_word,
        pattern=word_pattern(canonical_word),
        signal=signal,
        position_pattern=word_position_pattern(canonical_word),
    )


PLACE_LABEL = "a place name"
PLACE_LABEL_OTHER_SCRIPT = "a place name in another script"


def place_triggers(canonical_places: Sequence[str]) -> list[Trigger]:
    """The place names as at most two triggers, one per kind of word edge.

    Thousands of names, each with its own Unicode word edges, do not fit in one re2 set; as one
    alternation per edge kind they compile in a fraction of a second. A hit says "a place name";
    `find_spans` on the trigger says where.
    """
    triggers = []
    for ascii_names, label in ((True, PLACE_LABEL), (False, PLACE_LABEL_OTHER_SCRIPT)):
        names = sorted(name for name in canonical_places if name.isascii() is ascii_names)
        if not names:
            continue
        body = "|".join(_word_body(name) for name in names)
        before, after = (_ASCII_EDGE, _ASCII_EDGE) if ascii_names else (_UNICODE_BEFORE, _UNICODE_AFTER)
        triggers.append(
            Trigger(
                TriggerKind.SIGNAL,
                label,
                f"{before}(?:{body}){after}",
                WordKind.PLACE,
                f"{before}({body}){after}",
            )
        )
    return triggers


# Signals that are shapes rather than words, matched on the folded text like the listed words.
# Labels are what a moderator's dry run shows; they never repeat the member's text.
BUILT_IN_TRIGGERS: tuple[Trigger, ...] = tuple(
    Trigger(TriggerKind.SIGNAL, label, pattern, signal, f"({pattern})")
    for signal, label, pattern in (
        # "$30k", "30 000 €", "€12k", "18k": an amount of money (a plain number is not one).
        (WordKind.MONEY, "an amount", r"[$€£₽₺¥₹]\s?\d|\d\s?[$€£₽₺¥₹]|\b\d+(?:[.,]\d+)?\s?k\b"),
        # "80%", "90 percent": a success rate as promised.
        (WordKind.CLAIM, "a percentage", r"\d\s?(?:%|percent\b|per cent\b|por ciento\b|процент)"),
        # "day +30", "día +15", "J+20", "Tag +40", "день +25", "day 0": where a transplant stands.
        (
            WordKind.CARE,
            "day +N",
            r"(?:\b(?:day|dia|tag|giorno|dzien|dag|d|j)|(?:^|[^\pL])день)\s?\+\s?\d+|\bday\s?(?:0|zero)\b",
        ),
    )
)


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
        inner = getattr(compiled, "_set", None)
        self.find_utf8: Callable[[bytes], list[int] | None] = (
            inner.Match if callable(getattr(inner, "Match", None)) else compiled.Match
        )

    def match(self, normalised_text: str) -> list[int] | None:
        """Indices into `triggers` of every trigger found, or None when nothing matched."""
        return self.find_utf8(normalised_text.encode()) or None


_MAX_COMPILED_SETS = 16
_compiled_sets: dict[tuple[Trigger, ...], CompiledMatcher] = {}


def compiled(triggers: tuple[Trigger, ...]) -> CompiledMatcher:
    """The compiled set of these triggers, shared by the whole process.

    A set of the shipped words with thousands of place names takes a few hundred milliseconds to
    compile; the content check at start-up compiles it once and every scanner reuses it.
    """
    matcher = _compiled_sets.get(triggers)
    if matcher is None:
        if len(_compiled_sets) >= _MAX_COMPILED_SETS:
            del _compiled_sets[next(iter(_compiled_sets))]
        matcher = _compiled_sets[triggers] = CompiledMatcher(triggers)
    return matcher


_MAX_POSITION_PATTERNS = 4096
_position_regexes: dict[str, Any] = {}


def find_spans(trigger: Trigger, folded_text: str) -> tuple[tuple[int, int], ...]:
    """Where a trigger matches in the folded text: (start, end) character offsets, in order.

    The second pass, for the few messages that need positions: each pattern is compiled alone on
    first use and kept. A trigger without a position pattern (a moderator's rule) is reported
    over its whole match.
    """
    pattern = trigger.position_pattern or f"({trigger.pattern})"
    regex = _position_regexes.get(pattern)
    if regex is None:
        if len(_position_regexes) >= _MAX_POSITION_PATTERNS:
            _position_regexes.clear()
        regex = _position_regexes[pattern] = re2.compile(pattern, _span_options())
    return tuple(match.span(1) for match in regex.finditer(folded_text))


def _span_options() -> re2.Options:
    options = re2.Options()
    options.log_errors = False
    return options
