"""Auto-response rules: the match modes, validation with the limits, and each rule's re2 patterns.

A rule is matched inside the scanner's one re2 set, against the scanner's folded text (lower
case, accents dropped, Discord markup blanked, whitespace as typed). Each rule therefore has
two patterns:

- the *set pattern*, added to the server's re2 set. It uses re2's ASCII-only `\\b` and no
  Unicode tables, because thousands of `\\pL` classes would not fit in one set. On ASCII text
  it gives exactly the rule's answer; on other text it may say yes too often, never too rarely;
- the *exact pattern*, with Unicode word edges (letters of every script count as word
  letters). It is compiled alone, lazily, and run only when the set reports the rule AND the
  message is not ASCII, so "hsct" does not fire inside "hsctклиника".

See README.md in this folder for each mode's meaning.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from typing import Any

import re2

from bot.core import limits
from bot.core.scanning.matcher import (
    PHRASE_GAP,
    UNICODE_WORD_AFTER,
    UNICODE_WORD_BEFORE,
    CompiledMatcher,
    MatcherBuildError,
    Trigger,
    TriggerKind,
)
from bot.core.scanning.normalise import fold, normalise
from bot.errors import InvalidInput

MAX_RULES_PER_GUILD = 500
MAX_TRIGGER_LENGTH = 200
MAX_RESPONSE_LENGTH = limits.MESSAGE_CHARS  # a response is sent as one message
MIN_COOLDOWN_SECONDS = 0
MAX_COOLDOWN_SECONDS = 7 * 24 * 60 * 60
DEFAULT_COOLDOWN_SECONDS = 60
MAX_SCOPE_CHANNELS = 25
_MAX_SNOWFLAKE = 2**63 - 1


class MatchMode(StrEnum):
    """How a trigger meets a message; the order of this class is the answer order (see selection)."""

    EXACT = "exact"
    STARTS = "starts"
    PHRASE = "phrase"
    WORD = "word"
    WILDCARD = "wildcard"
    CONTAINS = "contains"
    REGEX = "regex"


@dataclass(frozen=True, slots=True)
class RuleDraft:
    """What a moderator defines: everything an export holds, nothing the server adds."""

    trigger: str
    response: str
    mode: MatchMode = MatchMode.WORD
    channel_ids: tuple[int, ...] = ()  # empty: every channel
    cooldown_seconds: int = DEFAULT_COOLDOWN_SECONDS
    enabled: bool = True

    @property
    def key(self) -> tuple[MatchMode, str]:
        """Two rules with the same key would answer the same messages; a server keeps one."""
        return self.mode, canonical_trigger(self.mode, self.trigger)

    def with_changes(self, **changes: Any) -> RuleDraft:
        """A copy with some fields changed (validate the result with `validate_draft`)."""
        return replace(self, **changes)

    def audit_view(self) -> dict[str, Any]:
        """The fields as plain JSON values, for audit rows and the export."""
        return {
            "trigger": self.trigger,
            "mode": self.mode.value,
            "response": self.response,
            "channels": list(self.channel_ids),
            "cooldown_seconds": self.cooldown_seconds,
            "enabled": self.enabled,
        }


@dataclass(frozen=True, slots=True)
class Rule:
    """A stored rule: the moderator's draft plus its number, author, times and hit count."""

    guild_id: int
    number: int
    draft: RuleDraft
    author_id: int
    created_at: datetime
    updated_by: int
    updated_at: datetime
    hit_count: int = 0
    last_hit_at: datetime | None = None

    @property
    def label(self) -> str:
        """The scanner label: the rule's number as text, so a hit maps straight back to the rule."""
        return str(self.number)

    @property
    def trigger(self) -> str:
        return self.draft.trigger

    @property
    def mode(self) -> MatchMode:
        return self.draft.mode

    @property
    def response(self) -> str:
        return self.draft.response

    @property
    def channel_ids(self) -> tuple[int, ...]:
        return self.draft.channel_ids

    @property
    def cooldown(self) -> timedelta:
        return timedelta(seconds=self.draft.cooldown_seconds)

    @property
    def enabled(self) -> bool:
        return self.draft.enabled

    def audit_view(self) -> dict[str, Any]:
        return {"number": self.number, **self.draft.audit_view()}


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """One reason a draft was refused, tied to the field a moderator has to change."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class RuleRejected(InvalidInput):
    """A draft broke one or more rules; `problems` lists each with its field."""

    def __init__(self, problems: Sequence[FieldProblem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))


@dataclass(frozen=True, slots=True)
class RulePatterns:
    """A rule's set pattern and, when it differs, the exact pattern that confirms non-ASCII hits."""

    set_pattern: str
    exact_pattern: str | None = None
    _exact: list[Any] = field(default_factory=list, compare=False, repr=False)

    def confirms(self, folded_text: str) -> bool:
        """The Unicode-exact verdict for a set hit on non-ASCII text (compiled on first use)."""
        if self.exact_pattern is None:
            return True
        if not self._exact:
            self._exact.append(re2.compile(self.exact_pattern, _single_options()))
        return self._exact[0].search(folded_text) is not None


# --- validation ---


def validate_draft(draft: RuleDraft) -> RuleDraft:
    """Return the draft cleaned (trimmed text, sorted channels), or raise `RuleRejected`."""
    cleaned, problems = check_draft(draft)
    if problems:
        raise RuleRejected(problems)
    return cleaned


_MAX_SHOWN_BITS = 256  # Python refuses to print integers of more than 4,300 digits; we stop far earlier


def brief(value: object, limit: int = 60) -> str:
    """A short picture of a value from an import file, for a problem message (never the whole of it)."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > _MAX_SHOWN_BITS:
        return f"a number of about {int(value.bit_length() * 0.30103):,} digits"  # too long to print
    if isinstance(value, str | int | float | bool) or value is None:
        shown = repr(value)
        return shown if len(shown) <= limit else shown[: limit - 1] + "…"
    return f"a {type(value).__name__}"


def check_draft(draft: RuleDraft) -> tuple[RuleDraft, list[FieldProblem]]:
    """Clean a draft and list every problem at once, so an import can report them all."""
    problems: list[FieldProblem] = []
    mode = draft.mode
    if not isinstance(mode, MatchMode):
        try:
            if not isinstance(mode, str):
                raise ValueError(mode)
            mode = MatchMode(mode.strip().lower())
        except ValueError:
            modes = ", ".join(m.value for m in MatchMode)
            problems.append(
                FieldProblem("mode", f"{brief(draft.mode)} is not a match mode; use one of {modes}")
            )
            mode = MatchMode.WORD
    trigger = draft.trigger.strip() if isinstance(draft.trigger, str) else draft.trigger
    response = draft.response.strip() if isinstance(draft.response, str) else draft.response
    problems += _trigger_problems(trigger, mode, mode_ok=not problems)
    problems += _response_problems(response)
    problems += _cooldown_problems(draft.cooldown_seconds)
    channels, channel_problems = _clean_channels(draft.channel_ids)
    problems += channel_problems
    if not isinstance(draft.enabled, bool):
        problems.append(FieldProblem("enabled", "must be true or false"))
    cleaned = RuleDraft(
        trigger=trigger if isinstance(trigger, str) else "",
        response=response if isinstance(response, str) else "",
        mode=mode,
        channel_ids=channels,
        cooldown_seconds=draft.cooldown_seconds,
        enabled=draft.enabled,
    )
    return cleaned, problems


def _trigger_problems(trigger: object, mode: MatchMode, *, mode_ok: bool) -> list[FieldProblem]:
    if not isinstance(trigger, str):
        return [FieldProblem("trigger", "must be text (put it in quotes)")]
    if not trigger:
        return [FieldProblem("trigger", "is empty")]
    if len(trigger) > MAX_TRIGGER_LENGTH:
        return [
            FieldProblem("trigger", f"is {len(trigger):,} characters long; the limit is {MAX_TRIGGER_LENGTH}")
        ]
    if not mode_ok:
        return []
    try:
        rule_patterns(mode, trigger)
    except InvalidInput as exc:
        return [FieldProblem("trigger", exc.message)]
    return []


def _response_problems(response: object) -> list[FieldProblem]:
    if not isinstance(response, str):
        return [FieldProblem("response", "must be text")]
    if not response:
        return [FieldProblem("response", "is empty")]
    if len(response) > MAX_RESPONSE_LENGTH:
        return [
            FieldProblem(
                "response", f"is {len(response):,} characters long; the limit is {MAX_RESPONSE_LENGTH:,}"
            )
        ]
    return []


def _cooldown_problems(seconds: object) -> list[FieldProblem]:
    if isinstance(seconds, bool) or not isinstance(seconds, int):
        return [FieldProblem("cooldown_seconds", "must be a whole number of seconds")]
    if not MIN_COOLDOWN_SECONDS <= seconds <= MAX_COOLDOWN_SECONDS:
        return [
            FieldProblem(
                "cooldown_seconds",
                f"must be between {MIN_COOLDOWN_SECONDS} and {MAX_COOLDOWN_SECONDS:,} seconds (7 days)",
            )
        ]
    return []


def _clean_channels(channel_ids: object) -> tuple[tuple[int, ...], list[FieldProblem]]:
    if not isinstance(channel_ids, list | tuple | frozenset | set):
        return (), [FieldProblem("channels", "must be a list of channel ids")]
    cleaned: set[int] = set()
    for channel_id in channel_ids:
        if isinstance(channel_id, bool) or not isinstance(channel_id, int):
            return (), [FieldProblem("channels", f"{brief(channel_id)} is not a channel id")]
        if not 0 < channel_id <= _MAX_SNOWFLAKE:
            return (), [FieldProblem("channels", f"{brief(channel_id)} is not a channel id")]
        cleaned.add(channel_id)
    if len(cleaned) > MAX_SCOPE_CHANNELS:
        limit = f"a rule may be limited to at most {MAX_SCOPE_CHANNELS} channels"
        return (), [FieldProblem("channels", limit)]
    return tuple(sorted(cleaned)), []


def check_rule_set(drafts: Iterable[RuleDraft]) -> None:
    """Refuse a rule list that would not compile as one set (only huge regexes get there)."""
    triggers = [
        Trigger(TriggerKind.RULE, str(index), rule_patterns(draft.mode, draft.trigger).set_pattern)
        for index, draft in enumerate(drafts, start=1)
    ]
    if not triggers:
        return
    try:
        CompiledMatcher(triggers)
    except MatcherBuildError as exc:
        raise InvalidInput(
            "Together these rules are too large for the matcher; simplify or remove some regex rules."
        ) from exc


# --- patterns ---


def rule_trigger(rule: Rule) -> Trigger:
    """The scanner trigger for a stored rule, labelled with its number."""
    return Trigger(TriggerKind.RULE, rule.label, rule_patterns(rule.mode, rule.trigger).set_pattern)


def canonical_trigger(mode: MatchMode, trigger: str) -> str:
    """The trigger as the matcher reads it: folded and with whitespace collapsed (regex: trimmed)."""
    if mode is MatchMode.REGEX:
        return trigger.strip()
    return normalise(trigger)


@lru_cache(maxsize=16_384)
def trigger_weight(mode: MatchMode, trigger: str) -> int:
    """The length that breaks ties between rules of one mode (longer, more specific, wins)."""
    return len(canonical_trigger(mode, trigger))


def matches(mode: MatchMode, trigger: str, text: str) -> bool:
    """Whether a valid trigger matches a message, exactly as the bot decides (for tests and `test`)."""
    patterns = rule_patterns(mode, trigger)
    folded = fold(text)
    if re2.compile(patterns.set_pattern, _single_options()).search(folded) is None:
        return False
    return folded.isascii() or patterns.confirms(folded)


@lru_cache(maxsize=16_384)  # a few servers' worth of rules; each entry is two short strings
def rule_patterns(mode: MatchMode, trigger: str) -> RulePatterns:
    """Both patterns of a trigger, or `InvalidInput` saying why it cannot be matched."""
    if mode is MatchMode.REGEX:
        return _regex_patterns(trigger)
    canonical = normalise(trigger)
    if not canonical:
        raise InvalidInput("has nothing to match once Discord emoji and mentions are left out")
    if mode is MatchMode.PHRASE:
        set_pattern, exact = _phrase(canonical)
    elif mode is MatchMode.WILDCARD:
        set_pattern, exact = _wildcard(canonical)
    else:
        literal = _literal(canonical)
        if mode is MatchMode.CONTAINS:
            set_pattern = exact = literal
        elif mode is MatchMode.STARTS:
            set_pattern = f"^{_SET_SKIP}{literal}{_after(canonical, unicode=False)}"
            exact = f"^{_EXACT_SKIP}{literal}{_after(canonical, unicode=True)}"
        elif mode is MatchMode.EXACT:
            set_pattern = f"^{_SET_SKIP}{literal}{_SET_SKIP}$"
            exact = f"^{_EXACT_SKIP}{literal}{_EXACT_SKIP}$"
        elif mode is MatchMode.WORD:
            set_pattern = f"{_before(canonical, unicode=False)}{literal}{_after(canonical, unicode=False)}"
            exact = f"{_before(canonical, unicode=True)}{literal}{_after(canonical, unicode=True)}"
        else:  # a new mode must say how it matches, never fall back to another's meaning
            raise NotImplementedError(f"no patterns for the {mode.value} mode")
    _compile_alone(set_pattern)  # the exact pattern is compiled on first use (Unicode tables are slow)
    return RulePatterns(set_pattern, None if exact == set_pattern else exact)


# Leading/trailing text that `starts` and `exact` look past: anything but letters and digits
# (spaces, punctuation, Markdown, emoji). The set's version lets every non-ASCII character
# through (no Unicode tables); the exact version then refuses letters of other scripts.
_SET_SKIP = "[^a-z0-9]*"
_EXACT_SKIP = r"[^\pL\pN]*"
# Inside a wildcard `*`: word letters. The set allows any non-ASCII character, the exact
# pattern only letters, digits and `_` of every script.
_SET_STAR = r"[\w\x{80}-\x{10ffff}]*"
_EXACT_STAR = r"[\pL\pN_]*"
_VARIATION_SELECTOR = "\ufe0f"  # emoji presentation: "❤️" and "❤" are one heart to people
_WORD_TOKEN = re.compile(r"[^\W_]+(?:'[^\W_]+)*")
_ACCENTS = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")


def _is_word_char(char: str) -> bool:
    return char.isalnum() or char == "_"


def _before(text: str, *, unicode: bool) -> str:
    first = text[0]
    if not _is_word_char(first):
        return ""
    if unicode:
        return UNICODE_WORD_BEFORE
    return r"\b" if first.isascii() else ""  # re2's \b is ASCII-only; the exact pattern decides


def _after(text: str, *, unicode: bool) -> str:
    last = text[-1]
    if not _is_word_char(last):
        return ""
    if unicode:
        return UNICODE_WORD_AFTER
    return r"\b" if last.isascii() else ""


def _literal(text: str) -> str:
    """Escape a folded trigger: any whitespace run for a space, either apostrophe, optional FE0F."""
    parts: list[str] = []
    for char in text:
        if char == " ":
            parts.append(r"\s+")
        elif char in "'’":
            parts.append("['’]")
        elif char == _VARIATION_SELECTOR:
            parts.append(r"\x{fe0f}?")
        else:
            parts.append(re2.escape(char))
    return "".join(parts)


def _phrase(canonical: str) -> tuple[str, str]:
    tokens = _WORD_TOKEN.findall(canonical.replace("’", "'"))
    if not tokens:
        raise InvalidInput("a phrase needs at least one word of letters or digits")
    body = PHRASE_GAP.join(re2.escape(token).replace(re2.escape("'"), "['’]?") for token in tokens)
    text = " ".join(tokens)
    return (
        f"{_before(text, unicode=False)}{body}{_after(text, unicode=False)}",
        f"{UNICODE_WORD_BEFORE}{body}{UNICODE_WORD_AFTER}",
    )


def _wildcard(canonical: str) -> tuple[str, str]:
    parts = [part for part in re.split(r"\*+", canonical)]
    if not any(_is_word_char(char) for char in canonical):
        raise InvalidInput("a wildcard needs at least one letter or digit besides `*`")
    literals = [_literal(part) for part in parts]
    set_body = _SET_STAR.join(literals)
    exact_body = _EXACT_STAR.join(literals)
    starts_open, ends_open = canonical.startswith("*"), canonical.endswith("*")
    # An open end (`*` there) swallows the rest of the word, so its edge is a word edge.
    set_before = "" if starts_open else _before(canonical, unicode=False)
    set_after = "" if ends_open else _after(canonical, unicode=False)
    exact_before = UNICODE_WORD_BEFORE if starts_open else _before(canonical, unicode=True)
    exact_after = UNICODE_WORD_AFTER if ends_open else _after(canonical, unicode=True)
    return f"{set_before}{set_body}{set_after}", f"{exact_before}{exact_body}{exact_after}"


def _regex_patterns(trigger: str) -> RulePatterns:
    """The moderator's RE2 pattern, case-insensitive, with accents removed as from messages."""
    written = trigger.strip()
    if not written:
        raise InvalidInput("is empty")
    # Messages lose their accents before matching, so the pattern's literal accents go too.
    # Canonical decomposition only: it never turns a letter into a regex operator.
    unaccented = unicodedata.normalize("NFC", _ACCENTS.sub("", unicodedata.normalize("NFD", written)))
    _compile_alone(unaccented)  # alone first, so the engine's reason quotes what the moderator wrote
    compiled = _compile_alone(f"(?i){unaccented}")
    if compiled.search("") is not None:
        raise InvalidInput(
            "this pattern matches an empty message, so it would answer almost everything; "
            "make it require some text"
        )
    return RulePatterns(f"(?i){unaccented}")


def _compile_alone(pattern: str) -> Any:
    try:
        return re2.compile(pattern, _single_options())
    except re2.error as exc:
        raise InvalidInput(f"the regex engine (RE2) refused it: {_reason(exc)}") from exc


def _reason(exc: Exception) -> str:
    reason = exc.args[0] if exc.args else str(exc)
    if isinstance(reason, bytes):
        reason = reason.decode("utf-8", "replace")
    return str(reason)


@lru_cache(maxsize=1)
def _single_options() -> Any:
    options = re2.Options()
    options.log_errors = False  # the reason goes to the moderator, not to stderr
    options.max_mem = 8 << 20
    return options
