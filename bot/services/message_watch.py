"""The one owner of the live scanner and rule book: builds them, loads them, changes them.

Every server message is scanned once for the clinic watch and the auto-responses together, so
both features share one `MessageScanner`. This service is the only object that holds it (and the
`RuleBook` of the moderators' rules): the message listener asks it what to answer, the clinic-watch
commands change settings through it, and the auto-response service installs rules through it. No
cog reaches into another for them.
"""

from __future__ import annotations

import random
from collections.abc import Collection, Sequence
from datetime import datetime, timedelta

from bot.core.autoresponse import MAX_COOLDOWN_SECONDS, Audience, Rule, RuleAnswer, RuleBook, Speaker
from bot.core.clock import Clock
from bot.core.replies import ChannelReplyBudget, DryRun, Voice, answering_voice
from bot.core.scanning import (
    NO_HITS,
    ClinicAlert,
    ClinicWatchSettings,
    ClinicWordLists,
    MessageScanner,
    ScanPreview,
    ScanResult,
)
from bot.core.scanning.reports import FalseAlarm, FalseAlarmCounts
from bot.core.scanning.settings import MAX_COOLDOWN_MINUTES
from bot.db.repositories.autoresponses import AutoresponseRepository
from bot.db.repositories.clinic_watch import ClinicWatchRepository, SettingsChange, SettingsEdit

MessageReply = ClinicAlert | RuleAnswer


class MessageWatch:
    """Scans server messages and decides the one reply; keeps the scanner in step with the database."""

    def __init__(
        self,
        defaults: ClinicWordLists,
        clock: Clock,
        clinic_watch: ClinicWatchRepository,
        rules: AutoresponseRepository,
        *,
        rng: random.Random | None = None,
        budget: ChannelReplyBudget | None = None,
    ) -> None:
        self.clock = clock
        self.scanner = MessageScanner(defaults, clock)
        self.book = RuleBook(rng=rng)  # `rng` picks among a rule's responses (seeded in tests)
        self.budget = budget or ChannelReplyBudget()
        #: The hot path's first call, bound once: `scan(guild_id, channel_id, text, parent_channel_id=)`.
        self.scan = self.scanner.scan
        self._clinic_watch = clinic_watch
        self._rules = rules

    @property
    def defaults(self) -> ClinicWordLists:
        """The shipped clinic-watch word lists every server starts from."""
        return self.scanner.defaults

    async def load(self) -> None:
        """Everything stored, at start-up: settings, rules, and cooldowns that may still be running,
        so a restart repeats no caution and no answer."""
        now = self.clock.now()
        self.scanner.load_settings(await self._clinic_watch.all_configured())
        self.scanner.load_last_fired(
            await self._clinic_watch.all_last_fired(now - timedelta(minutes=MAX_COOLDOWN_MINUTES))
        )
        for guild_id, rules in (await self._rules.all_rules()).items():
            self.install_rules(guild_id, rules)
        for guild_id, members in (await self._rules.all_ignored_members()).items():
            self.book.set_ignored(guild_id, members)
        self.book.cooldowns.load(
            await self._rules.all_last_fired(now - timedelta(seconds=MAX_COOLDOWN_SECONDS))
        )

    # --- the live path ---

    def reply_for(
        self,
        guild_id: int,
        channel_id: int,
        text: str,
        parent_channel_id: int | None,
        author: Speaker | None = None,
    ) -> MessageReply | None:
        """The one reply a server message gets, with its cooldown taken, or None.

        The caller has dropped DMs, bots, webhooks and the bot itself, sends the reply, and then
        records it (`record_card` / `record_rule_answer`) so cooldowns outlive a restart.
        `author` (the discord.py `Member`) is read only when a rule matched: ignored members and
        role limits. A private answer goes to the author's DMs, so it spends no channel budget.
        """
        result = self.scan(guild_id, channel_id, text, parent_channel_id=parent_channel_id)
        if result is NO_HITS:
            return None
        return self.reply_to(result, guild_id, channel_id, text, parent_channel_id, author)

    def reply_to(
        self,
        result: ScanResult,
        guild_id: int,
        channel_id: int,
        text: str,
        parent_channel_id: int | None,
        author: Speaker | None = None,
    ) -> MessageReply | None:
        """`reply_for` after the scan, for a message that hit something (the listener calls `scan`
        itself, so the nine messages in ten that hit nothing cost one call less)."""
        voice = answering_voice(card_due=result.alert is not None, rule_answers=bool(result.rule_labels))
        if voice is Voice.CLINIC_CARD:
            # A card is rare (its own cooldown holds it to one per channel per half hour): always
            # sent, and counted, so rules make room for it.
            self.budget.spend(channel_id, self.clock.now())
            return result.alert
        if voice is Voice.RULE:
            now = self.clock.now()
            if not self.budget.has_room(channel_id, now):
                return None  # checked before the rule's cooldown is taken, so the rule is not used up
            answer = self.book.answer(
                guild_id,
                result.rule_labels,
                text=text,
                channel_id=channel_id,
                now=now,
                parent_channel_id=parent_channel_id,
                author=author,
            )
            if answer is not None and not answer.kind.private:
                self.budget.spend(channel_id, now)
            return answer
        return None

    async def record_card(self, guild_id: int, channel_id: int, fired_at: datetime) -> None:
        """Persist when a clinic card went out in a channel, so its cooldown outlives a restart."""
        await self._clinic_watch.record_fired(guild_id, channel_id, fired_at)

    async def record_rule_answer(self, guild_id: int, answer: RuleAnswer, channel_id: int) -> None:
        """Count the rule's hit and persist when it answered in this channel (not for private answers)."""
        rule = answer.rule
        where = None if answer.kind.private else channel_id
        await self._rules.record_hit(guild_id, rule.number, where, self.clock.now())

    def dry_run(
        self,
        guild_id: int,
        channel_id: int,
        text: str,
        *,
        parent_channel_id: int | None,
        member: Speaker | None = None,
    ) -> DryRun:
        """What `text` would get in this channel now: every rule's verdict and the clinic card's.

        With a `member`, rules are checked as for a message of theirs (ignored, roles, private
        cooldowns); without one, the reasons say whom a rule answers.
        """
        now = self.clock.now()
        preview = self.scanner.preview(
            guild_id, text, channel_id=channel_id, parent_channel_id=parent_channel_id, now=now
        )
        audience = None
        if member is not None:
            audience = Audience(
                member.display_name,
                frozenset(role.id for role in member.roles),
                self.book.ignores(guild_id, member.id),
            )
        selection = self.book.choose(
            guild_id,
            preview.rule_labels,
            text=text,
            channel_id=channel_id,
            parent_channel_id=parent_channel_id,
            now=now,
            audience=audience,
            member_id=member.id if member is not None else None,
            dry_run=True,
        )
        return DryRun(selection=selection, preview=preview)

    # --- clinic watch settings ---

    async def clinic_settings(self, guild_id: int) -> ClinicWatchSettings:
        """The server's stored settings (the live scanner holds the same)."""
        return await self._clinic_watch.get(guild_id)

    async def change_clinic_settings(
        self, guild_id: int, *, actor_id: int, action: str, edit: SettingsEdit, target: str | None = None
    ) -> SettingsChange:
        """Database first (with its audit row), then the live scanner; a refused edit changes neither."""
        change = await self._clinic_watch.update(
            guild_id, actor_id=actor_id, action=action, edit=edit, now=self.clock.now(), target=target
        )
        self.scanner.set_settings(change.after)
        return change

    async def report_false_alarm(self, guild_id: int, card_message_id: int, report: FalseAlarm) -> bool:
        """Count a "Not relevant here" press, once per card message; False when already counted."""
        return await self._clinic_watch.record_report(guild_id, card_message_id, report, self.clock.now())

    async def false_alarms(self, guild_id: int) -> FalseAlarmCounts:
        return await self._clinic_watch.report_counts(guild_id)

    def clinic_preview(
        self, guild_id: int, channel_id: int, text: str, *, parent_channel_id: int | None
    ) -> ScanPreview:
        """The clinic watch's dry run of a text in this channel now: outcome, signals, positions."""
        return self.scanner.preview(
            guild_id, text, channel_id=channel_id, parent_channel_id=parent_channel_id, now=self.clock.now()
        )

    async def last_caution(self, channel_id: int) -> datetime | None:
        return await self._clinic_watch.last_fired(channel_id)

    def caution_cooldown_remaining(self, guild_id: int, channel_id: int) -> timedelta:
        return self.scanner.cooldown_remaining(guild_id, channel_id, self.clock.now())

    # --- auto-response rules ---

    def install_rules(self, guild_id: int, rules: Sequence[Rule]) -> None:
        """Make the stored rules the live ones: the rule book and the server's matcher (one rebuild)."""
        self.scanner.set_rule_triggers(guild_id, self.book.set_rules(guild_id, rules))

    def install_ignored(self, guild_id: int, member_ids: Collection[int]) -> None:
        """Make the stored list of ignored members the live one."""
        self.book.set_ignored(guild_id, member_ids)
