"""The live rules of every server, in memory, with their cooldowns: what the message listener asks.

The listener hands the scanner's `rule_labels` to `RuleBook.choose`, which maps labels (rule
numbers) back to rules and applies `select_rule`. After each change the cog reloads the
server's rules with `set_rules` and passes the triggers it returns to
`MessageScanner.set_rule_triggers`, so the compiled set is rebuilt once per change.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from bot.core.autoresponse.cooldown import RuleCooldowns
from bot.core.autoresponse.rules import Rule, rule_trigger
from bot.core.autoresponse.selection import NO_SELECTION, Selection, pick_rule, select_rule
from bot.core.scanning.matcher import Trigger


class RuleBook:
    """Per-server rules keyed by label, plus when each rule last answered in each channel."""

    def __init__(self, cooldowns: RuleCooldowns | None = None) -> None:
        self._rules: dict[int, dict[str, Rule]] = {}
        self.cooldowns = cooldowns or RuleCooldowns()

    def set_rules(self, guild_id: int, rules: Iterable[Rule]) -> tuple[Trigger, ...]:
        """Install a server's rules; returns the triggers for `MessageScanner.set_rule_triggers`.

        Cooldowns of rules that no longer exist are dropped (a new rule may reuse a number
        after an import with `replace`).
        """
        ordered = sorted(rules, key=lambda rule: rule.number)
        previous = self._rules.get(guild_id, {})
        self._rules[guild_id] = {rule.label: rule for rule in ordered}
        kept = [
            rule.number
            for rule in ordered
            if (old := previous.get(rule.label)) is not None and old.created_at == rule.created_at
        ]
        self.cooldowns.forget_guild(guild_id, keep=kept)
        return tuple(rule_trigger(rule) for rule in ordered)

    def rules(self, guild_id: int) -> tuple[Rule, ...]:
        return tuple(self._rules.get(guild_id, {}).values())

    def rule(self, guild_id: int, number: int) -> Rule | None:
        return self._rules.get(guild_id, {}).get(str(number))

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

        The caller sends `rule.response` and persists the hit with `AutoresponseRepository.record_hit`.
        """
        known = self._rules.get(guild_id)
        if not known:
            return None
        cooldowns = self.cooldowns
        if len(labels) == 1 and text.isascii():  # the usual case: one rule, no Unicode check
            rule = known.get(labels[0])
            if rule is None:
                return None
            draft = rule.draft
            scope = draft.channel_ids
            if not draft.enabled or (scope and channel_id not in scope and parent_channel_id not in scope):
                return None
            last = cooldowns.last(guild_id, rule.number, channel_id)
            if last is not None and (now - last).total_seconds() < draft.cooldown_seconds:
                return None
            cooldowns.mark(guild_id, rule.number, channel_id, now)
            return rule
        matched = [rule for label in labels if (rule := known.get(label)) is not None]
        winner = pick_rule(
            matched,
            text=text,
            channel_id=channel_id,
            parent_channel_id=parent_channel_id,
            now=now,
            last_fired=lambda number: cooldowns.last(guild_id, number, channel_id),
        )
        if winner is not None:
            cooldowns.mark(guild_id, winner.number, channel_id, now)
        return winner

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
        known = self._rules.get(guild_id)
        if not known:
            return NO_SELECTION
        matched = [rule for label in labels if (rule := known.get(label)) is not None]
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
