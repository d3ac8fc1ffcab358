"""The live rules of every server, in memory, with their cooldowns: what the message listener asks.

The listener hands the scanner's `rule_labels` (one per trigger found, see `trigger_label`) to
`RuleBook.answer`, which maps them back to rules and gives the answer `select_rule` would give,
with one of the rule's responses picked; `RuleBook.choose` is the same choice with every verdict,
for `/autoresponse test`. After each change `MessageWatch.install_rules` reloads the server's rules
with `set_rules` and passes the triggers it returns to `MessageScanner.set_rule_triggers`, so the
compiled set is rebuilt once per change.

Everything about the member who wrote (ignored, roles) is looked at only after a trigger matched,
never per message: most messages match nothing and cost nothing more.
"""

from __future__ import annotations

import random
from collections.abc import Collection, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Protocol

from bot.core.autoresponse.answers import RuleAnswer, pick_response
from bot.core.autoresponse.cooldown import RuleCooldowns
from bot.core.autoresponse.rules import Rule, RulePatterns, rule_patterns, rule_triggers, trigger_label
from bot.core.autoresponse.selection import (
    NO_SELECTION,
    Audience,
    Selection,
    TriggerHit,
    rank_key,
    select_rule,
)
from bot.core.scanning.matcher import Trigger
from bot.core.scanning.normalise import fold

_MAX_REMEMBERED_ORDERS = 1024  # distinct multi-trigger hits per server with their answer order ready


class HasId(Protocol):
    @property
    def id(self) -> int: ...


class Speaker(Protocol):
    """Who wrote a message, as far as a rule needs to know; a discord.py `Member` is one as it is.

    The live path asks `get_role` for the roles a rule names (cheap: no sorted list of the member's
    roles is built); the dry run reads `roles` whole, to explain.
    """

    @property
    def id(self) -> int: ...

    @property
    def display_name(self) -> str: ...

    @property
    def roles(self) -> Sequence[HasId]: ...

    def get_role(self, role_id: int, /) -> object | None:
        """The role if the member has it (discord.py answers from the ids the message carried)."""
        ...


# What `answer` needs of an enabled rule, read once at `set_rules`: (rule, number, channel scope or
# None for every channel, cooldown, roles let in or None for everyone, roles left out, private?).
_Answerer = tuple[Rule, int, frozenset[int] | None, timedelta, frozenset[int] | None, frozenset[int], bool]
# One trigger of an enabled rule: (its rule's answerer, the trigger's position, its patterns).
_Entry = tuple[_Answerer, int, RulePatterns]


class _GuildRules:
    """One server's rules: every trigger by label, and the enabled ones ready to answer."""

    __slots__ = ("entries", "hits", "orders", "rules")

    def __init__(self, rules: Sequence[Rule]) -> None:
        self.rules: dict[int, Rule] = {rule.number: rule for rule in rules}
        self.hits: dict[str, TriggerHit] = {
            trigger_label(rule.number, position): TriggerHit(rule, position)
            for rule in rules
            for position in range(1, len(rule.draft.triggers) + 1)
        }
        # A disabled rule never answers, so `answer` does not see it at all.
        self.entries: dict[str, _Entry] = {}
        for rule in rules:
            draft = rule.draft
            if not draft.enabled:
                continue
            answerer: _Answerer = (
                rule,
                rule.number,
                frozenset(draft.channel_ids) or None,
                rule.cooldown,
                frozenset(draft.allowed_role_ids) or None,
                frozenset(draft.denied_role_ids),
                draft.kind.private,
            )
            for position, trigger in enumerate(draft.triggers, start=1):
                patterns = rule_patterns(trigger.mode, trigger.text)
                self.entries[trigger_label(rule.number, position)] = (answerer, position, patterns)
        # Several triggers found in one message: the enabled ones in answer order, keyed by the labels.
        self.orders: dict[tuple[str, ...], tuple[_Entry, ...]] = {}

    def ordered(self, labels: Sequence[str]) -> tuple[_Entry, ...]:
        """The enabled triggers among `labels` in answer order (see selection), sorted once per set."""
        key = labels if type(labels) is tuple else tuple(labels)
        order = self.orders.get(key)
        if order is None:
            if len(self.orders) >= _MAX_REMEMBERED_ORDERS:
                self.orders.clear()
            found = [entry for label in dict.fromkeys(key) if (entry := self.entries.get(label))]
            order = self.orders[key] = tuple(sorted(found, key=lambda entry: rank_key(entry[0][0], entry[1])))
        return order


class RuleBook:
    """Per-server rules keyed by label, when each rule last answered in each channel (or to each
    member, for private answers), and the members each server's auto-responses ignore."""

    def __init__(self, cooldowns: RuleCooldowns | None = None, rng: random.Random | None = None) -> None:
        self._guilds: dict[int, _GuildRules] = {}
        self._ignored: dict[int, frozenset[int]] = {}
        self.cooldowns = cooldowns or RuleCooldowns()
        # Private answers cool down per member, in memory only: the database keeps no record of who
        # was sent which private answer.
        self.member_cooldowns = RuleCooldowns()
        self._rng = rng or random.Random()

    def set_rules(self, guild_id: int, rules: Iterable[Rule]) -> tuple[Trigger, ...]:
        """Install a server's rules; returns the triggers for `MessageScanner.set_rule_triggers`.

        Cooldowns of rules that no longer exist are dropped.
        """
        ordered = sorted(rules, key=lambda rule: rule.number)
        previous = self._guilds.get(guild_id)
        previous_rules = previous.rules if previous is not None else {}
        self._guilds[guild_id] = _GuildRules(ordered)
        kept = [
            rule.number
            for rule in ordered
            if (old := previous_rules.get(rule.number)) is not None and old.created_at == rule.created_at
        ]
        self.cooldowns.forget_guild(guild_id, keep=kept)
        self.member_cooldowns.forget_guild(guild_id, keep=kept)
        return tuple(trigger for rule in ordered for trigger in rule_triggers(rule))

    def set_ignored(self, guild_id: int, member_ids: Collection[int]) -> None:
        """The members whose messages this server's rules never answer."""
        self._ignored[guild_id] = frozenset(member_ids)

    def ignores(self, guild_id: int, member_id: int) -> bool:
        return member_id in self._ignored.get(guild_id, ())

    def rules(self, guild_id: int) -> tuple[Rule, ...]:
        known = self._guilds.get(guild_id)
        return tuple(known.rules.values()) if known is not None else ()

    def rule(self, guild_id: int, number: int) -> Rule | None:
        known = self._guilds.get(guild_id)
        return known.rules.get(number) if known is not None else None

    def answer(
        self,
        guild_id: int,
        labels: Sequence[str],
        *,
        text: str,
        channel_id: int,
        now: datetime,
        parent_channel_id: int | None = None,
        author: Speaker | None = None,
    ) -> RuleAnswer | None:
        """The hot path: the rule that answers this message, with its cooldown taken, or None.

        The same answer as `choose`, with the per-rule facts read at `set_rules` and the order of
        each combination of triggers sorted once. Without an `author` (a test, a benchmark) no
        member is ignored, nobody has a role, and private rules cannot answer. The caller sends
        the answer and persists the hit with `AutoresponseRepository.record_hit`.
        """
        known = self._guilds.get(guild_id)
        if known is None:
            return None
        author_id = author.id if author is not None else None
        if author_id is not None and author_id in self._ignored.get(guild_id, ()):
            return None
        if len(labels) == 1:  # the usual case: one trigger found
            entry = known.entries.get(labels[0])
            if entry is None:
                return None
            candidates: Sequence[_Entry] = (entry,)
        else:
            candidates = known.ordered(labels)
        folded = None if text.isascii() else fold(text)
        for answerer, position, patterns in candidates:
            # The Unicode word-edge check, only on non-ASCII text (see rules.py).
            if folded is not None and not patterns.confirms(folded):
                continue
            rule, number, scope, cooldown, allowed, denied, private = answerer
            if scope is not None and channel_id not in scope and parent_channel_id not in scope:
                continue
            if allowed is not None or denied:
                if author is None:  # nobody known has a role
                    if allowed is not None:
                        continue
                else:
                    has = author.get_role  # a lookup per role named, no list of the member's roles built
                    if allowed is not None and not any(has(role) for role in allowed):
                        continue
                    if any(has(role) for role in denied):
                        continue
            if private:
                if author_id is None:
                    continue  # nobody to write to
                if not self.member_cooldowns.take(guild_id, number, author_id, now, cooldown):
                    continue
            elif not self.cooldowns.take(guild_id, number, channel_id, now, cooldown):
                continue
            return RuleAnswer(rule, position, pick_response(rule, self._rng))
        return None

    def choose(
        self,
        guild_id: int,
        labels: Iterable[str],
        *,
        text: str,
        channel_id: int,
        now: datetime,
        parent_channel_id: int | None = None,
        audience: Audience | None = None,
        member_id: int | None = None,
        dry_run: bool = False,
    ) -> Selection:
        """Like `answer`, with every matched rule's verdict (for `/autoresponse test`).

        `audience` and `member_id` name the member imagined writing the text (their roles, whether
        they are ignored, their private-answer cooldowns). With `dry_run` no cooldown is taken.
        """
        known = self._guilds.get(guild_id)
        if known is None:
            return NO_SELECTION
        matched = [hit for label in labels if (hit := known.hits.get(label)) is not None]
        if not matched:
            return NO_SELECTION
        cooldowns = self.cooldowns
        member_cooldowns = self.member_cooldowns
        selection = select_rule(
            matched,
            text=text,
            channel_id=channel_id,
            parent_channel_id=parent_channel_id,
            now=now,
            last_fired=lambda number: cooldowns.last(guild_id, number, channel_id),
            audience=audience,
            member_last_fired=(
                (lambda number: member_cooldowns.last(guild_id, number, member_id))
                if member_id is not None
                else None
            ),
        )
        winner = selection.winner
        if winner is not None and not dry_run:
            if winner.rule.draft.kind.private:
                if member_id is not None:
                    member_cooldowns.mark(guild_id, winner.rule.number, member_id, now)
            else:
                cooldowns.mark(guild_id, winner.rule.number, channel_id, now)
        return selection
