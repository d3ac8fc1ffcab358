"""The live rules of every server, in memory, with their cooldowns: what the message listener asks.

The listener hands the scanner's `rule_labels` to `RuleBook.answer`, which maps labels (rule
numbers) back to rules and gives the answer `select_rule` would give; `RuleBook.choose` is the
same choice with every verdict, for `/autoresponse test`. After each change
`MessageWatch.install_rules` reloads the server's rules with `set_rules` and passes the triggers it
returns to `MessageScanner.set_rule_triggers`, so the compiled set is rebuilt once per change.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from bot.core.autoresponse.cooldown import RuleCooldowns
from bot.core.autoresponse.rules import Rule, RulePatterns, rule_patterns, rule_trigger
from bot.core.autoresponse.selection import NO_SELECTION, Selection, rank_key, select_rule
from bot.core.scanning.matcher import Trigger
from bot.core.scanning.normalise import fold

_MAX_REMEMBERED_ORDERS = 1024  # distinct multi-rule hits per server with their answer order ready

# What `answer` needs of an enabled rule, read once at `set_rules`:
# (rule, number, channel scope or None for every channel, cooldown, patterns for non-ASCII text).
_Answerer = tuple[Rule, int, frozenset[int] | None, timedelta, RulePatterns]


class _GuildRules:
    """One server's rules: all of them by label, and the enabled ones ready to answer."""

    __slots__ = ("answerers", "by_label", "orders")

    def __init__(self, rules: Sequence[Rule]) -> None:
        self.by_label: dict[str, Rule] = {rule.label: rule for rule in rules}
        # A disabled rule never answers, so `answer` does not see it at all.
        self.answerers: dict[str, _Answerer] = {
            rule.label: (
                rule,
                rule.number,
                frozenset(rule.draft.channel_ids) or None,
                rule.cooldown,
                rule_patterns(rule.mode, rule.trigger),
            )
            for rule in rules
            if rule.draft.enabled
        }
        # Several rules found in one message: the enabled ones in answer order, keyed by the labels.
        self.orders: dict[tuple[str, ...], tuple[_Answerer, ...]] = {}

    def ordered(self, labels: Sequence[str]) -> tuple[_Answerer, ...]:
        """The enabled rules among `labels` in answer order (see selection), sorted once per combination."""
        key = labels if type(labels) is tuple else tuple(labels)
        order = self.orders.get(key)
        if order is None:
            if len(self.orders) >= _MAX_REMEMBERED_ORDERS:
                self.orders.clear()
            found = [answerer for label in dict.fromkeys(key) if (answerer := self.answerers.get(label))]
            order = self.orders[key] = tuple(sorted(found, key=lambda answerer: rank_key(answerer[0])))
        return order


class RuleBook:
    """Per-server rules keyed by label, plus when each rule last answered in each channel."""

    def __init__(self, cooldowns: RuleCooldowns | None = None) -> None:
        self._guilds: dict[int, _GuildRules] = {}
        self.cooldowns = cooldowns or RuleCooldowns()

    def set_rules(self, guild_id: int, rules: Iterable[Rule]) -> tuple[Trigger, ...]:
        """Install a server's rules; returns the triggers for `MessageScanner.set_rule_triggers`.

        Cooldowns of rules that no longer exist are dropped (a new rule may reuse a number
        after an import with `replace`).
        """
        ordered = sorted(rules, key=lambda rule: rule.number)
        previous = self._guilds.get(guild_id)
        previous_rules = previous.by_label if previous is not None else {}
        self._guilds[guild_id] = _GuildRules(ordered)
        kept = [
            rule.number
            for rule in ordered
            if (old := previous_rules.get(rule.label)) is not None and old.created_at == rule.created_at
        ]
        self.cooldowns.forget_guild(guild_id, keep=kept)
        return tuple(rule_trigger(rule) for rule in ordered)

    def rules(self, guild_id: int) -> tuple[Rule, ...]:
        known = self._guilds.get(guild_id)
        return tuple(known.by_label.values()) if known is not None else ()

    def rule(self, guild_id: int, number: int) -> Rule | None:
        known = self._guilds.get(guild_id)
        return known.by_label.get(str(number)) if known is not None else None

    def answer(
        self,
        guild_id: int,
        labels: Sequence[str],
        *,
        text: str,
        channel_id: int,
        now: datetime,
        parent_channel_id: int | None = None,
    ) -> Rule | None:
        """The hot path: the rule that answers this message, with its cooldown taken, or None.

        The same answer as `choose`, with the per-rule facts read at `set_rules` and the order of
        each combination of rules sorted once. The caller sends `rule.response` and persists the
        hit with `AutoresponseRepository.record_hit`.
        """
        known = self._guilds.get(guild_id)
        if known is None:
            return None
        if len(labels) == 1:  # the usual case: one rule found
            answerer = known.answerers.get(labels[0])
            if answerer is None:
                return None
            candidates: Sequence[_Answerer] = (answerer,)
        else:
            candidates = known.ordered(labels)
        folded = None if text.isascii() else fold(text)
        take = self.cooldowns.take
        for rule, number, scope, cooldown, patterns in candidates:
            # The Unicode word-edge check, only on non-ASCII text (see rules.py).
            if folded is not None and not patterns.confirms(folded):
                continue
            if scope is not None and channel_id not in scope and parent_channel_id not in scope:
                continue
            if take(guild_id, number, channel_id, now, cooldown):
                return rule
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
        dry_run: bool = False,
    ) -> Selection:
        """Like `answer`, with every matched rule's verdict (for `/autoresponse test`).

        With `dry_run` no cooldown is taken.
        """
        known = self._guilds.get(guild_id)
        if known is None:
            return NO_SELECTION
        matched = [rule for label in labels if (rule := known.by_label.get(label)) is not None]
        if not matched:
            return NO_SELECTION
        cooldowns = self.cooldowns
        selection = select_rule(
            matched,
            text=text,
            channel_id=channel_id,
            parent_channel_id=parent_channel_id,
            now=now,
            last_fired=lambda number: cooldowns.last(guild_id, number, channel_id),
        )
        if selection.winner is not None and not dry_run:
            cooldowns.mark(guild_id, selection.winner.number, channel_id, now)
        return selection
