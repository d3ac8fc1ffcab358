"""One answer per message: which matched rule speaks, and why each other one stayed quiet.

The order is fixed so moderators can predict it (and `/autoresponse test` shows it). A rule
ranks by the best of its triggers that the message matched:

1. the more specific mode first: exact > starts > phrase > word > wildcard > contains > regex;
2. then the longer trigger (as the matcher reads it: folded, spaces collapsed);
3. then the lower rule number (the older rule).

The first rule in that order that is enabled, allowed in the channel, allowed for the member
(not ignored, has an allowed role if the rule names any, has none of its excluded roles) and not
cooling down (in that channel, or for that member when it answers privately) answers. Pure:
rules, cooldown times and the clock are passed in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from bot.core.autoresponse.answers import safe_name
from bot.core.autoresponse.rules import (
    AnswerKind,
    MatchMode,
    Rule,
    RuleTrigger,
    rule_patterns,
    trigger_weight,
)
from bot.core.scanning.cooldown import CooldownPolicy
from bot.core.scanning.normalise import fold

MODE_ORDER: tuple[MatchMode, ...] = tuple(MatchMode)
_MODE_RANK = {mode: rank for rank, mode in enumerate(MODE_ORDER)}

LastFired = Callable[[int], datetime | None]  # rule number -> when it last answered (here, or this member)


class Verdict(StrEnum):
    """What happened to one matched rule."""

    ANSWERS = "answers"
    OUTRANKED = "outranked"
    DISABLED = "disabled"
    OTHER_CHANNEL = "other_channel"
    IGNORED_MEMBER = "ignored_member"  # the server's moderators told auto-responses to ignore this member
    ROLE_MISSING = "role_missing"  # the rule answers only some roles, and the member has none of them
    ROLE_EXCLUDED = "role_excluded"  # the member has a role the rule leaves out
    COOLING_DOWN = "cooling_down"
    NOT_A_WORD = "not_a_word"  # the set's ASCII edges said yes, the Unicode edges said no


@dataclass(frozen=True, slots=True)
class TriggerHit:
    """A rule found by one of its triggers (`position` from 1, the main trigger)."""

    rule: Rule
    position: int = 1

    @property
    def trigger(self) -> RuleTrigger:
        return self.rule.draft.triggers[self.position - 1]


@dataclass(frozen=True, slots=True)
class Audience:
    """Who the dry run imagines writing the message: their name, roles, and whether they are ignored."""

    name: str
    role_ids: frozenset[int]
    ignored: bool = False


@dataclass(frozen=True, slots=True)
class Candidate:
    """A rule whose trigger was found, with its verdict."""

    hit: TriggerHit
    verdict: Verdict
    beaten_by: TriggerHit | None = None
    cooldown_left: timedelta | None = None
    audience: Audience | None = None

    @property
    def rule(self) -> Rule:
        return self.hit.rule

    def explanation(self) -> str:
        """One sentence for `/autoresponse test`."""
        rule = self.rule
        name = describe_hit(self.hit)
        who = safe_name(self.audience.name) if self.audience is not None else "the member"
        draft = rule.draft
        if self.verdict is Verdict.ANSWERS:
            how = "" if draft.kind is AnswerKind.REPLY else f" with {draft.kind.label}"
            return f"{name} answers{how}.{_unchecked_roles(rule) if self.audience is None else ''}"
        if self.verdict is Verdict.DISABLED:
            return f"{name} matches but is disabled."
        if self.verdict is Verdict.OTHER_CHANNEL:
            return f"{name} matches but is limited to other channels."
        if self.verdict is Verdict.IGNORED_MEMBER:
            return f"{name} would answer, but {who} is ignored by auto-responses on this server."
        if self.verdict is Verdict.ROLE_MISSING:
            roles = _roles(draft.allowed_role_ids)
            return f"{name} would answer, but {who} has none of its roles ({roles})."
        if self.verdict is Verdict.ROLE_EXCLUDED:
            audience = self.audience
            excluded = [r for r in draft.denied_role_ids if audience is not None and r in audience.role_ids]
            return f"{name} would answer, but {who} has a role it leaves out ({_roles(excluded)})."
        if self.verdict is Verdict.COOLING_DOWN:
            seconds = int(self.cooldown_left.total_seconds()) if self.cooldown_left else 0
            where = f"for {who}" if draft.kind.private else "here"
            return f"{name} matches but is cooling down {where} for {seconds} more seconds."
        if self.verdict is Verdict.NOT_A_WORD:
            return f"{name} is only part of a longer word here, so it does not match."
        winner = self.beaten_by
        assert winner is not None
        return f"{name} matches but #{winner.rule.number} goes first: {_why_first(winner, self.hit)}."


def describe_hit(hit: TriggerHit) -> str:
    """`#4 (word “cell”)`, or `#4 (trigger 2 of 3: word “cell”)` for a rule with several triggers."""
    count = len(hit.rule.draft.triggers)
    which = f"trigger {hit.position} of {count}: " if count > 1 else ""
    return f"#{hit.rule.number} ({which}{hit.trigger})"


def _roles(role_ids: Iterable[int]) -> str:
    return ", ".join(f"<@&{role_id}>" for role_id in role_ids)


def _unchecked_roles(rule: Rule) -> str:
    """When no member was named, say who the rule is for instead of deciding it."""
    draft = rule.draft
    parts = []
    if draft.allowed_role_ids:
        parts.append(f"only members with {_roles(draft.allowed_role_ids)}")
    if draft.denied_role_ids:
        parts.append(f"not members with {_roles(draft.denied_role_ids)}")
    return f" (It answers {' and '.join(parts)}; name a member to check.)" if parts else ""


@dataclass(frozen=True, slots=True)
class Selection:
    """The rule that answers (if any), the trigger that found it, and every matched rule in answer order."""

    winner: TriggerHit | None
    candidates: tuple[Candidate, ...]

    def explanation(self) -> list[str]:
        return [candidate.explanation() for candidate in self.candidates]


NO_SELECTION = Selection(None, ())


def rank_key(rule: Rule, position: int = 1) -> tuple[int, int, int]:
    """Sort key of the answer order for a rule found by one trigger: mode, longer trigger, lower number."""
    trigger = rule.draft.triggers[position - 1]
    return _MODE_RANK[trigger.mode], -trigger_weight(trigger.mode, trigger.text), rule.number


def select_rule(
    matched: Iterable[Rule | TriggerHit],
    *,
    text: str,
    channel_id: int,
    now: datetime,
    last_fired: LastFired,
    parent_channel_id: int | None = None,
    audience: Audience | None = None,
    member_last_fired: LastFired | None = None,
) -> Selection:
    """Pick the one rule that answers `text` among the triggers the scanner found in it, and say why.

    `text` is the message as sent: on non-ASCII text each hit's Unicode word edges are checked
    (the rare path; ASCII text needs no check). `parent_channel_id` is a thread's parent, so a rule
    limited to a channel also answers in its threads. The cooldown is per rule per `channel_id`
    (`last_fired`), or per member for a private answer (`member_last_fired`). Without an `audience`
    the member-related checks are left out and the explanation says who the rule is for.
    """
    hits = [item if isinstance(item, TriggerHit) else TriggerHit(item) for item in matched]
    if not hits:
        return NO_SELECTION
    folded = None if text.isascii() else fold(text)
    best = _best_hit_per_rule(hits, folded)
    winner: TriggerHit | None = None
    candidates: list[Candidate] = []
    for hit, confirmed in sorted(best, key=lambda pair: rank_key(pair[0].rule, pair[0].position)):
        rule = hit.rule
        fired = member_last_fired if rule.draft.kind.private else last_fired
        verdict = (
            _verdict(rule, channel_id, parent_channel_id, now, fired, audience)
            if confirmed
            else Verdict.NOT_A_WORD
        )
        if verdict in (Verdict.ANSWERS, Verdict.COOLING_DOWN) and winner is not None:
            candidates.append(Candidate(hit, Verdict.OUTRANKED, beaten_by=winner, audience=audience))
            continue
        left = None
        if verdict is Verdict.COOLING_DOWN and fired is not None:
            left = CooldownPolicy(rule.cooldown).remaining(fired(rule.number), now)
        if verdict is Verdict.ANSWERS:
            winner = hit
        candidates.append(Candidate(hit, verdict, cooldown_left=left, audience=audience))
    return Selection(winner, tuple(candidates))


def _best_hit_per_rule(hits: Sequence[TriggerHit], folded: str | None) -> list[tuple[TriggerHit, bool]]:
    """Each rule once, by its best-ranked trigger that really matches (or its best, unconfirmed)."""
    by_rule: dict[int, tuple[TriggerHit, bool]] = {}
    for hit in sorted(hits, key=lambda h: rank_key(h.rule, h.position)):
        number = hit.rule.number
        known = by_rule.get(number)
        if known is not None and known[1]:
            continue
        trigger = hit.trigger
        confirmed = folded is None or rule_patterns(trigger.mode, trigger.text).confirms(folded)
        if known is None or confirmed:
            by_rule[number] = (hit, confirmed)
    return list(by_rule.values())


def _verdict(
    rule: Rule,
    channel_id: int,
    parent_channel_id: int | None,
    now: datetime,
    last_fired: LastFired | None,
    audience: Audience | None,
) -> Verdict:
    draft = rule.draft
    if not draft.enabled:
        return Verdict.DISABLED
    scope = draft.channel_ids
    if scope and channel_id not in scope and parent_channel_id not in scope:
        return Verdict.OTHER_CHANNEL
    if audience is not None:
        if audience.ignored:
            return Verdict.IGNORED_MEMBER
        if draft.allowed_role_ids and audience.role_ids.isdisjoint(draft.allowed_role_ids):
            return Verdict.ROLE_MISSING
        if not audience.role_ids.isdisjoint(draft.denied_role_ids):
            return Verdict.ROLE_EXCLUDED
    last = last_fired(rule.number) if last_fired is not None else None
    # CooldownPolicy.ready, inlined (a clock set backwards never unlocks early).
    if last is not None and (now - last).total_seconds() < draft.cooldown_seconds:
        return Verdict.COOLING_DOWN
    return Verdict.ANSWERS


def _why_first(winner: TriggerHit, loser: TriggerHit) -> str:
    won, lost = winner.trigger, loser.trigger
    if won.mode is not lost.mode:
        return f"{won.mode.value} goes before {lost.mode.value}"
    if trigger_weight(won.mode, won.text) != trigger_weight(lost.mode, lost.text):
        return "its trigger is longer"
    return "it is the older rule"
