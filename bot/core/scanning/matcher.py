"""One compiled re2 set per word list: every trigger is tried in a single linear-time pass.

re2 never backtracks, so no word or moderator pattern can stall the event loop, and a set of
patterns costs about the same per message whether it holds ten triggers or thousands.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from typing import Any, cast

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
    # Where the trigger is in a folded text, for triggers that are not one pattern (place names).
    spans_in: Callable[[str], tuple[tuple[int, int], ...]] | None = field(
        default=None, compare=False, repr=False
    )


class MatcherBuildError(ValueError):
    """A pattern could not be compiled; the message names the trigger."""


# re2's \b only knows ASCII letters. That is enough for words that are ASCII after
# normalisation (accents are gone by then); words in other scripts get explicit Unicode edges.
_ASCII_EDGE = r"\b"
# What may stand next to a word in another script: ASCII and Latin-1 punctuation and symbols, the
# general punctuation, currency, arrow, maths and symbol blocks, CJK and full-width punctuation, and
# emoji. It is narrower than "anything but a letter, digit or underscore" (`[^\pL\pN_]`) on
# purpose: that class spans all of Unicode, and a few hundred words bounded by it cost re2 some
# 25 MiB and a tenth of a second to compile; this one costs almost nothing, and still never takes a
# letter or digit of any script for an edge.
_EDGE_CHARS = (
    r"[\x00-\x2f\x3a-\x40\x5b-\x5e\x60\x7b-\x7f\x{a0}-\x{a9}\x{ab}-\x{b4}\x{b6}-\x{b9}\x{bb}-\x{bf}"
    r"\x{d7}\x{f7}\x{2000}-\x{20ff}\x{2190}-\x{2bff}\x{3000}-\x{303f}\x{fe0f}\x{ff01}-\x{ff0f}"
    r"\x{1f000}-\x{1faff}]"
)
_UNICODE_BEFORE = f"(?:^|{_EDGE_CHARS})"
_UNICODE_AFTER = f"(?:{_EDGE_CHARS}|$)"
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
    phrase_tokens = phrase.split(" ")
    if phrase_tokens[0] not in word:  # most pairs share nothing: skip splitting the word
        return False
    word_tokens = word.split(" ")
    span = len(phrase_tokens)
    for start in range(len(word_tokens) - span + 1):
        window = word_tokens[start : start + span]
        if all(token in (wanted, wanted + "s") for token, wanted in zip(window, phrase_tokens, strict=True)):
            return True
    return False


@lru_cache(maxsize=4096)
def word_trigger(kind: TriggerKind, canonical_word: str, signal: WordKind | None = None) -> Trigger:
    """A trigger for a listed word, reported back under the word itself.

    Kept: every server with the default lists asks for the same few hundred triggers.
    """
    return Trigger(
        kind=kind,
        label=canonical_word,
        pattern=word_pattern(canonical_word),
        signal=signal,
        position_pattern=word_position_pattern(canonical_word),
    )


PLACE_LABEL = "a place name"
PLACE_LABEL_OTHER_SCRIPT = "a place name in another script"


# A place name's words, as `normalise_word` writes them; apostrophes inside a word are dropped on
# both sides, so "cote d'ivoire", "cote d’ivoire" and "cote divoire" meet.
_PLACE_TOKEN = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")


def _place_key(tokens: Sequence[str]) -> str:
    return " ".join(token.replace("'", "").replace("’", "") for token in tokens)


class PlaceFinder:
    """Thousands of place names, looked up word by word in a dictionary.

    The place names are tried only for the few messages already about stem cells or clinics, so a
    lookup of each run of words costs nothing that matters there, while a compiled set of 16,000
    alternatives would hold some 15 MiB and take half a second to build at every start. It offers
    what the scanner asks of a compiled set: `triggers` (one per kind of name: "a place name", "a
    place name in another script") and `find_utf8`; each trigger's `spans_in` says where.
    """

    __slots__ = ("_longest", "_names", "_places", "triggers")

    def __init__(self, canonical_places: Sequence[str]) -> None:
        # The dictionary is built at the first message that needs it, not at start-up.
        self._places = tuple(canonical_places)
        self._names: dict[str, int] | None = None
        self._longest = 0
        self.triggers: tuple[Trigger, ...] = tuple(
            Trigger(
                TriggerKind.SIGNAL,
                label,
                "",
                WordKind.PLACE,
                spans_in=lambda text, g=group: self.spans(text, g),
            )
            for group, label in ((0, PLACE_LABEL), (1, PLACE_LABEL_OTHER_SCRIPT))
        )

    def _found(self, folded_text: str) -> list[tuple[int, int, int]]:
        """(group, start, end) of each place name in the text, longest name first where they overlap."""
        names = self._names if self._names is not None else self._build()
        words = [(m.group(), m.start(), m.end()) for m in _PLACE_TOKEN.finditer(folded_text)]
        keys = [_place_key((word,)) for word, _, _ in words]
        found: list[tuple[int, int, int]] = []
        position = 0
        while position < len(words):
            for size in range(min(self._longest, len(words) - position), 0, -1):
                group = names.get(" ".join(keys[position : position + size]))
                if group is not None:
                    found.append((group, words[position][1], words[position + size - 1][2]))
                    position += size
                    break
            else:
                position += 1
        return found

    def _build(self) -> dict[str, int]:
        """Each name's lookup key (its words without apostrophes) -> 0 for ASCII, 1 for other scripts."""
        names = {_place_key((place,)): 0 if place.isascii() else 1 for place in self._places}
        self._longest = max((key.count(" ") + 1 for key in names), default=0)
        self._names = names
        return names

    def find_utf8(self, data: bytes) -> list[int] | None:
        """Which kinds of place name the text holds (indices into `triggers`), or None."""
        groups = sorted({group for group, _, _ in self._found(data.decode("utf-8", "replace"))})
        return groups or None

    def spans(self, folded_text: str, group: int) -> tuple[tuple[int, int], ...]:
        """Where the names of one group (0: ASCII, 1: other scripts) are, as (start, end) offsets."""
        return tuple((start, end) for found, start, end in self._found(folded_text) if found == group)


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
        direct = getattr(getattr(compiled, "_set", None), "Match", None)
        find = direct if callable(direct) else compiled.Match
        self.find_utf8 = cast(Callable[[bytes], list[int] | None], find)

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
    if trigger.spans_in is not None:
        return trigger.spans_in(folded_text)
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
