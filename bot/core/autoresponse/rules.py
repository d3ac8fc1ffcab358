"""Auto-response rules: the match modes and kinds of answer, validation with the limits, and each
trigger's re2 patterns.

A rule's triggers are matched inside the scanner's one re2 set, against the scanner's folded text
(lower case, accents dropped, Discord markup blanked, whitespace as typed). Each trigger therefore
has two patterns:

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
from typing import Any, TypeVar
from urllib.parse import urlsplit

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
MAX_TRIGGERS_PER_RULE = 50
MAX_RESPONSE_LENGTH = limits.MESSAGE_CHARS  # a response is sent as one message
MAX_RESPONSES_PER_RULE = 20
MAX_RESPONSE_WEIGHT = 100
MAX_TITLE_LENGTH = limits.EMBED_TITLE_CHARS
MAX_LINK_LENGTH = 512
# Five seconds at least: a rule that may answer every message turns a flood into a flood of answers.
MIN_COOLDOWN_SECONDS = 5
MAX_COOLDOWN_SECONDS = 7 * 24 * 60 * 60
DEFAULT_COOLDOWN_SECONDS = 60
# A private answer is a DM: once a day per member unless the moderator says otherwise.
DEFAULT_PRIVATE_COOLDOWN_SECONDS = 24 * 60 * 60
MAX_SCOPE_CHANNELS = 25
MAX_SCOPE_ROLES = 25
_MAX_SNOWFLAKE = 2**63 - 1
ChoiceT = TypeVar("ChoiceT", bound=StrEnum)


class MatchMode(StrEnum):
    """How a trigger meets a message; the order of this class is the answer order (see selection)."""

    EXACT = "exact"
    STARTS = "starts"
    PHRASE = "phrase"
    WORD = "word"
    WILDCARD = "wildcard"
    CONTAINS = "contains"
    REGEX = "regex"


class AnswerKind(StrEnum):
    """How a rule answers: in the channel (text, embed or a reaction) or privately by DM."""

    REPLY = "reply"
    EMBED = "embed"
    REACTION = "reaction"
    DM = "dm"

    @property
    def label(self) -> str:
        """How moderators see the kind in menus and choices."""
        return _ANSWER_KIND_LABELS[self]

    @property
    def private(self) -> bool:
        """A private answer goes to the member's DMs, so its cooldown is per member, not per channel."""
        return self is AnswerKind.DM


_ANSWER_KIND_LABELS = {
    AnswerKind.REPLY: "a reply in the channel",
    AnswerKind.EMBED: "an embed reply (title, text, link)",
    AnswerKind.REACTION: "a reaction with an emoji",
    AnswerKind.DM: "a private message (DM) to the member",
}


def default_cooldown(kind: AnswerKind) -> int:
    """The cooldown a rule gets when the moderator names none: per channel, or per member for DMs."""
    return DEFAULT_PRIVATE_COOLDOWN_SECONDS if kind.private else DEFAULT_COOLDOWN_SECONDS


@dataclass(frozen=True, slots=True)
class RuleTrigger:
    """One trigger of a rule, with its own match mode."""

    text: str
    mode: MatchMode = MatchMode.WORD

    @property
    def key(self) -> tuple[MatchMode, str]:
        """Two triggers with the same key match the same messages."""
        return self.mode, canonical_trigger(self.mode, self.text)

    def __str__(self) -> str:
        return f"{self.mode.value} “{self.text}”"


@dataclass(frozen=True, slots=True)
class RuleDraft:
    """What a moderator defines: everything an export holds, nothing the server adds.

    The main trigger (`trigger`, `mode`) names the rule and identifies it in an import's merge;
    `more_triggers` answer just as well. `response` and `more_responses` are the responses one is
    picked from at random (`weights`, one per response, or empty for equal chances); for a reaction
    each is an emoji, for an embed each is the text under `title`. The cooldown is per channel,
    or per member for a private answer.
    """

    trigger: str
    response: str
    mode: MatchMode = MatchMode.WORD
    channel_ids: tuple[int, ...] = ()  # empty: every channel
    cooldown_seconds: int = DEFAULT_COOLDOWN_SECONDS
    enabled: bool = True
    more_triggers: tuple[RuleTrigger, ...] = ()
    more_responses: tuple[str, ...] = ()
    weights: tuple[int, ...] = ()  # empty: every response as likely
    kind: AnswerKind = AnswerKind.REPLY
    title: str = ""  # embed only
    link: str = ""  # embed only
    allowed_role_ids: tuple[int, ...] = ()  # empty: every member
    denied_role_ids: tuple[int, ...] = ()

    @property
    def triggers(self) -> tuple[RuleTrigger, ...]:
        """Every trigger, the main one first."""
        return (RuleTrigger(self.trigger, self.mode), *self.more_triggers)

    @property
    def responses(self) -> tuple[str, ...]:
        """Every response to pick from, the main one first."""
        return (self.response, *self.more_responses)

    @property
    def response_weights(self) -> tuple[int, ...]:
        """One weight per response (all 1 when none were given)."""
        return self.weights or (1,) * (1 + len(self.more_responses))

    @property
    def key(self) -> tuple[MatchMode, str]:
        """The main trigger's key: an import's merge updates the stored rule that has the same one."""
        return self.mode, canonical_trigger(self.mode, self.trigger)

    @property
    def keys(self) -> tuple[tuple[MatchMode, str], ...]:
        """Every trigger's key; two rules of a server never share one."""
        return tuple(trigger.key for trigger in self.triggers)

    def with_changes(self, **changes: Any) -> RuleDraft:
        """A copy with some fields changed (validate the result with `validate_draft`)."""
        return replace(self, **changes)

    def with_triggers(self, triggers: Sequence[RuleTrigger]) -> RuleDraft:
        """A copy with these triggers, the first becoming the main one."""
        first, *more = triggers
        return replace(self, trigger=first.text, mode=first.mode, more_triggers=tuple(more))

    def with_responses(self, responses: Sequence[str], weights: Sequence[int] = ()) -> RuleDraft:
        """A copy with these responses (and weights, one per response, or none for equal chances)."""
        first, *more = responses
        return replace(self, response=first, more_responses=tuple(more), weights=tuple(weights))

    def audit_view(self) -> dict[str, Any]:
        """The fields as plain JSON values a moderator can read, for audit rows and the mod-log."""
        return {
            "trigger": self.trigger,
            "mode": self.mode.value,
            "more_triggers": [f"{t.mode.value}: {t.text}" for t in self.more_triggers],
            "answer": self.kind.value,
            "response": self.response,
            "more_responses": list(self.more_responses),
            "weights": list(self.weights),
            "title": self.title,
            "link": self.link,
            "channels": list(self.channel_ids),
            "roles": list(self.allowed_role_ids),
            "except_roles": list(self.denied_role_ids),
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
        """The scanner label of the main trigger: the rule's number as text (see `trigger_label`)."""
        return str(self.number)

    @property
    def trigger(self) -> str:
        return self.draft.trigger

    @property
    def mode(self) -> MatchMode:
        return self.draft.mode

    @property
    def triggers(self) -> tuple[RuleTrigger, ...]:
        return self.draft.triggers

    @property
    def response(self) -> str:
        return self.draft.response

    @property
    def kind(self) -> AnswerKind:
        return self.draft.kind

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


def trigger_label(number: int, position: int) -> str:
    """The scanner label of a rule's trigger: "12" for the main one, "12.3" for its third."""
    return str(number) if position == 1 else f"{number}.{position}"


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
    """Return the draft cleaned (trimmed text, sorted ids), or raise `RuleRejected`."""
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
    triggers = _clean_triggers(draft, problems)
    kind = _clean_choice(draft.kind, AnswerKind, "answer", "a kind of answer", problems) or AnswerKind.REPLY
    responses = _clean_responses(draft, kind, problems)
    weights = _clean_weights(draft.weights, len(responses), problems)
    title, link = _clean_embed(draft.title, draft.link, kind, problems)
    problems += _cooldown_problems(draft.cooldown_seconds)
    channels, channel_problems = _clean_ids(draft.channel_ids, "channels", "channel", MAX_SCOPE_CHANNELS)
    problems += channel_problems
    allowed, allowed_problems = _clean_ids(draft.allowed_role_ids, "roles", "role", MAX_SCOPE_ROLES)
    denied, denied_problems = _clean_ids(draft.denied_role_ids, "except_roles", "role", MAX_SCOPE_ROLES)
    problems += allowed_problems + denied_problems
    if both := sorted(set(allowed) & set(denied)):
        listed = ", ".join(f"<@&{role_id}>" for role_id in both)
        problems.append(
            FieldProblem("except_roles", f"{listed} is also in roles; a role is either let in or left out")
        )
    if not isinstance(draft.enabled, bool):
        problems.append(FieldProblem("enabled", "must be true or false"))
    first = triggers[0] if triggers else RuleTrigger("", MatchMode.WORD)
    cleaned = RuleDraft(
        trigger=first.text,
        response=responses[0] if responses else "",
        mode=first.mode,
        channel_ids=channels,
        cooldown_seconds=draft.cooldown_seconds,
        enabled=draft.enabled,
        more_triggers=tuple(triggers[1:]),
        more_responses=tuple(responses[1:]),
        weights=weights,
        kind=kind,
        title=title,
        link=link,
        allowed_role_ids=allowed,
        denied_role_ids=denied,
    )
    return cleaned, problems


def _clean_choice(
    value: object, choices: type[ChoiceT], name: str, what: str, problems: list[FieldProblem]
) -> ChoiceT | None:
    """A member of `choices` from its value as typed (any case, spaces around), or a problem naming them."""
    if isinstance(value, choices):
        return value
    if isinstance(value, str):
        try:
            return choices(value.strip().lower())
        except ValueError:
            pass
    listed = ", ".join(member.value for member in choices)
    problems.append(FieldProblem(name, f"{brief(value)} is not {what}; use one of {listed}"))
    return None


def _clean_triggers(draft: RuleDraft, problems: list[FieldProblem]) -> list[RuleTrigger]:
    """Every trigger trimmed and checked; problems name `trigger`/`mode` (main) or `trigger N`."""
    more = draft.more_triggers
    if not isinstance(more, list | tuple) or not all(isinstance(item, RuleTrigger) for item in more):
        problems.append(FieldProblem("more_triggers", "must be a list of triggers"))
        more = ()
    count = 1 + len(more)
    if count > MAX_TRIGGERS_PER_RULE:
        problems.append(
            FieldProblem(
                "triggers", f"a rule has at most {MAX_TRIGGERS_PER_RULE} triggers; this one has {count}"
            )
        )
        return []
    cleaned: list[RuleTrigger] = []
    seen: dict[tuple[MatchMode, str], int] = {}
    for position, (text, mode) in enumerate(
        [(draft.trigger, draft.mode), *((item.text, item.mode) for item in more)], start=1
    ):
        name = "trigger" if position == 1 else f"trigger {position}"
        mode_problems: list[FieldProblem] = []
        checked_mode = _clean_choice(
            mode, MatchMode, "mode" if position == 1 else name, "a match mode", mode_problems
        )
        problems += mode_problems
        trimmed = text.strip() if isinstance(text, str) else text
        text_problems = _trigger_problems(
            trimmed, checked_mode or MatchMode.WORD, mode_ok=checked_mode is not None
        )
        problems += [FieldProblem(name, problem.message) for problem in text_problems]
        trigger = RuleTrigger(trimmed if isinstance(trimmed, str) else "", checked_mode or MatchMode.WORD)
        if checked_mode is not None and not text_problems:
            first = seen.setdefault(trigger.key, position)
            if first != position:
                problems.append(FieldProblem(name, f"the same as trigger {first} ({trigger})"))
        cleaned.append(trigger)
    return cleaned


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


def _clean_responses(draft: RuleDraft, kind: AnswerKind, problems: list[FieldProblem]) -> list[str]:
    more = draft.more_responses
    if not isinstance(more, list | tuple):
        problems.append(FieldProblem("more_responses", "must be a list of responses"))
        more = ()
    count = 1 + len(more)
    if count > MAX_RESPONSES_PER_RULE:
        problems.append(
            FieldProblem(
                "responses",
                f"a rule has at most {MAX_RESPONSES_PER_RULE} responses to pick from; this one has {count}",
            )
        )
        return [draft.response] if isinstance(draft.response, str) else [""]
    cleaned: list[str] = []
    for position, response in enumerate([draft.response, *more], start=1):
        name = "response" if position == 1 else f"response {position}"
        text = response.strip() if isinstance(response, str) else response
        found = _response_problems(text)
        if not found and kind is AnswerKind.REACTION:
            assert isinstance(text, str)
            reaction = reaction_emoji(text)
            if reaction is None:
                found = [
                    FieldProblem(
                        "response",
                        f"{brief(text)} is not one emoji; a reaction is a single emoji such as 👍 "
                        "or one of this server's, like <:party:123456789012345678>",
                    )
                ]
            else:
                text = reaction
        problems += [FieldProblem(name, problem.message) for problem in found]
        cleaned.append(text if isinstance(text, str) else "")
    return cleaned


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


def _clean_weights(weights: object, count: int, problems: list[FieldProblem]) -> tuple[int, ...]:
    """One whole number from 1 to 100 per response; all equal is stored as none (the same chances)."""
    if not isinstance(weights, list | tuple):
        problems.append(FieldProblem("weights", "must be a list of whole numbers"))
        return ()
    if not weights:
        return ()
    if any(
        isinstance(w, bool) or not isinstance(w, int) or not 1 <= w <= MAX_RESPONSE_WEIGHT for w in weights
    ):
        problems.append(
            FieldProblem("weights", f"each weight is a whole number from 1 to {MAX_RESPONSE_WEIGHT}")
        )
        return ()
    if len(weights) != count:
        problems.append(
            FieldProblem(
                "weights", f"there are {len(weights)} weights for {count} responses; give one per response"
            )
        )
        return ()
    return () if len(set(weights)) == 1 else tuple(weights)


def _clean_embed(
    title: object, link: object, kind: AnswerKind, problems: list[FieldProblem]
) -> tuple[str, str]:
    title = title.strip() if isinstance(title, str) else title
    link = link.strip() if isinstance(link, str) else link
    if not isinstance(title, str):
        problems.append(FieldProblem("title", "must be text"))
        title = ""
    if not isinstance(link, str):
        problems.append(FieldProblem("link", "must be text"))
        link = ""
    if kind is not AnswerKind.EMBED:
        if title:
            problems.append(
                FieldProblem("title", "only an embed answer has a title; choose the embed answer")
            )
        if link:
            problems.append(FieldProblem("link", "only an embed answer has a link; choose the embed answer"))
        return "", ""
    if len(title) > MAX_TITLE_LENGTH:
        problems.append(
            FieldProblem("title", f"is {len(title):,} characters long; the limit is {MAX_TITLE_LENGTH}")
        )
    if link:
        if len(link) > MAX_LINK_LENGTH:
            problems.append(
                FieldProblem("link", f"is {len(link):,} characters long; the limit is {MAX_LINK_LENGTH}")
            )
        elif not is_web_link(link):
            problems.append(
                FieldProblem("link", f"{brief(link)} is not a web address starting with https://")
            )
        elif not title:
            problems.append(FieldProblem("link", "an embed's link sits on its title; add a title too"))
    return title, link


def is_web_link(text: str) -> bool:
    """An http(s) address with a host and no spaces: what Discord accepts as an embed's link."""
    if any(char.isspace() for char in text):
        return False
    try:
        parts = urlsplit(text)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


_CUSTOM_EMOJI = re.compile(r"<a?:[A-Za-z0-9_]{2,32}:[0-9]{15,21}>")


def reaction_emoji(text: str) -> str | None:
    """`text` as one emoji Discord can react with, or None.

    A Unicode emoji (skin tones and joined sequences included), its `:shortcode:` (`:thumbsup:`),
    or a server's own emoji as Discord writes it (`<:party:123...>`).
    """
    candidate = text.strip()
    if _CUSTOM_EMOJI.fullmatch(candidate):
        return candidate
    # Imported here: the emoji list costs 2 MiB and 30 ms to load, and only reaction rules need it.
    import emoji

    if candidate.startswith(":") and candidate.endswith(":"):
        candidate = emoji.emojize(candidate, language="alias")
    return candidate if emoji.is_emoji(candidate) else None


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


def _clean_ids(ids: object, name: str, what: str, limit: int) -> tuple[tuple[int, ...], list[FieldProblem]]:
    """Snowflakes, sorted and without repeats, at most `limit` of them."""
    if not isinstance(ids, list | tuple | frozenset | set):
        return (), [FieldProblem(name, f"must be a list of {what} ids")]
    cleaned: set[int] = set()
    for item in ids:
        if isinstance(item, bool) or not isinstance(item, int) or not 0 < item <= _MAX_SNOWFLAKE:
            return (), [FieldProblem(name, f"{brief(item)} is not a {what} id")]
        cleaned.add(item)
    if len(cleaned) > limit:
        return (), [FieldProblem(name, f"a rule may be limited to at most {limit} {what}s")]
    return tuple(sorted(cleaned)), []


def check_rule_set(drafts: Iterable[RuleDraft]) -> None:
    """Refuse a rule list that would not compile as one set (only huge regexes get there)."""
    triggers = [
        Trigger(TriggerKind.RULE, trigger_label(index, position), rule_patterns(t.mode, t.text).set_pattern)
        for index, draft in enumerate(drafts, start=1)
        for position, t in enumerate(draft.triggers, start=1)
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


def rule_triggers(rule: Rule) -> tuple[Trigger, ...]:
    """The scanner triggers of a stored rule, one per trigger, labelled by `trigger_label`."""
    return tuple(
        Trigger(
            TriggerKind.RULE, trigger_label(rule.number, position), rule_patterns(t.mode, t.text).set_pattern
        )
        for position, t in enumerate(rule.draft.triggers, start=1)
    )


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
