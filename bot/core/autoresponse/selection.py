"""One answer per message: which matched rule speaks, and why each other one stayed quiet.

The order is fixed so moderators can predict it (and `/autoresponse test` shows it):

1. the more specific mode first: exact > starts > phrase > word > wildcard > contains > regex;
2. then the longer trigger (as the matcher reads it: folded, spaces collapsed);
3. then the lower rule number (the older rule).

The first rule in that order that is enabled, allowed in the channel and not cooling down in
that channel answers. Pure: rules, cooldown times and the clock are passed in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from bot.core.autoresponse.rules import MatchMode, Rule, rule_patterns, trigger_weight
from bot.core.scanning.cooldown import CooldownPolicy
from bot.core.scanning.normalise import fold

MODE_ORDER: tuple[MatchMode, ...] = tuple(MatchMode)
_MODE_RANK = {mode: rank for rank, mode in enumerate(MODE_ORDER)}

LastFired = Callable[[int], datetime | None]  # rule number -> when it last answered in this channel


class Verdict(StrEnum):
    """What happened to one matched rule."""

    ANSWERS = "answers"
    OUTRANKED = "outranked"
    DISABLED = "disabled"
    OTHER_CHANNEL = "other_channel"
    COOLING_DOWN = "cooling_down"
    NOT_A_WORD = "not_a_word"  # the set's ASCII edges said yes, the Unicode edges said no


@dataclass(frozen=True, slots=True)
class Candidate:
    """A rule whose trigger was found, with its verdict."""

    rule: Rule
    verdict: Verdict
    beaten_by: Rule | None = None
    cooldown_left: timedelta | None = None

    def explanation(self) -> str:
        """One sentence for `/autoresponse test`."""
        rule = self.rule
        name = f"#{rule.number} ({rule.mode.value} “{rule.trigger}”)"
        if self.verdict is Verdict.ANSWERS:
            return f"{name} answers."
        if self.verdict is Verdict.DISABLED:
            return f"{name} matches but is disabled."
        if self.verdict is Verdict.OTHER_CHANNEL:
            return f"{name} matches but is limited to other channels."
        if self.verdict is Verdict.COOLING_DOWN:
            seconds = int(self.cooldown_left.total_seconds()) if self.cooldown_left else 0
            return f"{name} matches but is cooling down here for {seconds} more seconds."
        if self.verdict is Verdict.NOT_A_WORD:
            return f"{name} is only part of a longer word here, so it does not match."
        winner = self.beaten_by
        assert winner is not None
        return f"{name} matches but #{winner.number} goes first: {_why_first(winner, rule)}."


@dataclass(frozen=True, slots=True)
class Selection:
    """The rule that answers (if any) and every matched rule in answer order."""

    winner: Rule | None
    candidates: tuple[Candidate, ...]

    def explanation(self) -> list[str]:
        return [candidate.explanation() for candidate in self.candidates]


NO_SELECTION = Selection(None, ())


def rank_key(rule: Rule) -> tuple[int, int, int]:
    """Sort key of the answer order: mode, then longer trigger, then lower number."""
    return _MODE_RANK[rule.mode], -trigger_weight(rule.mode, rule.trigger), rule.number


def select_rule(
    matched: Iterable[Rule],
    *,
    text: str,
    channel_id: int,
    now: datetime,
    last_fired: LastFired,
    parent_channel_id: int | None = None,
) -> Selection:
    """Pick the one rule that answers `text` among the rules the scanner found in it, and say why.

    `text` is the message as sent: on non-ASCII text each hit's Unicode word edges are checked
    (the rare path; ASCII text needs no check). `parent_channel_id` is a thread's parent, so a rule
    limited to a channel also answers in its threads. The cooldown is per rule per `channel_id`.
    """
    ordered = sorted(matched, key=rank_key)
    if not ordered:
        return NO_SELECTION
    folded = None if text.isascii() else fold(text)
    winner: Rule | None = None
    candidates: list[Candidate] = []
    for rule in ordered:
        verdict = _verdict(rule, folded, channel_id, parent_channel_id, now, last_fired)
        if verdict is Verdict.ANSWERS and winner is not None:
            candidates.append(Candidate(rule, Verdict.OUTRANKED, beaten_by=winner))
            continue
        if verdict is Verdict.COOLING_DOWN and winner is not None:
            candidates.append(Candidate(rule, Verdict.OUTRANKED, beaten_by=winner))
            continue
        left = None
        if verdict is Verdict.COOLING_DOWN:
            left = CooldownPolicy(rule.cooldown).remaining(last_fired(rule.number), now)
        if verdict is Verdict.ANSWERS:
            winner = rule
        candidates.append(Candidate(rule, verdict, cooldown_left=left))
    return Selection(winner, tuple(candidates))


def _verdict(
    rule: Rule,
    folded: str | None,
    channel_id: int,
    parent_channel_id: int | None,
    now: datetime,
    last_fired: LastFired,
) -> Verdict:
    if folded is not None and not rule_patterns(rule.mode, rule.trigger).confirms(folded):
        return Verdict.NOT_A_WORD
    draft = rule.draft
    if not draft.enabled:
        return Verdict.DISABLED
    scope = draft.channel_ids
    if scope and channel_id not in scope and parent_channel_id not in scope:
        return Verdict.OTHER_CHANNEL
    last = last_fired(rule.number)
    # CooldownPolicy.ready, inlined for the hot path (a clock set backwards never unlocks early).
    if last is not None and (now - last).total_seconds() < draft.cooldown_seconds:
        return Verdict.COOLING_DOWN
    return Verdict.ANSWERS


def _why_first(winner: Rule, loser: Rule) -> str:
    if winner.mode is not loser.mode:
        return f"{winner.mode.value} goes before {loser.mode.value}"
    if trigger_weight(winner.mode, winner.trigger) != trigger_weight(loser.mode, loser.trigger):
        return "its trigger is longer"
    return "it is the older rule"
