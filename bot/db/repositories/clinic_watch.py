"""Clinic-watch storage: per-server settings, word-list differences, ignored channels, cooldowns.

Settings come back as the core `ClinicWatchSettings` value. A change is a pure function applied
to the stored value inside one transaction together with its audit entry, so the data and the
log cannot disagree, and a rejected change (`InvalidInput`) leaves both untouched.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.core.audit import AuditEntry, changed_fields
from bot.core.scanning.reports import CARDS, FalseAlarm, FalseAlarmCounts
from bot.core.scanning.rules import Outcome
from bot.core.scanning.settings import ClinicWatchSettings, Sensitivity, WordKind
from bot.db.database import Database
from bot.db.repositories.audit import AuditRepository

SettingsEdit = Callable[[ClinicWatchSettings], ClinicWatchSettings]

_KINDS = frozenset(kind.value for kind in WordKind)
_ADD = "add"
_REMOVE = "remove"


@dataclass(frozen=True)
class SettingsChange:
    """The settings before and after one moderator action."""

    before: ClinicWatchSettings
    after: ClinicWatchSettings

    @property
    def changed(self) -> bool:
        return self.before != self.after


class ClinicWatchRepository:
    """Every SQL statement the clinic caution needs; each method is one action."""

    def __init__(self, db: Database, audit: AuditRepository | None = None) -> None:
        self._db = db
        self._audit = audit or AuditRepository(db)

    async def get(self, guild_id: int) -> ClinicWatchSettings:
        """The server's settings, or the defaults when it was never configured."""
        row = await self._db.fetch_one(
            "SELECT enabled, sensitivity, cooldown_minutes FROM clinic_watch_settings WHERE guild_id = ?",
            (guild_id,),
        )
        if row is None:
            return ClinicWatchSettings(guild_id=guild_id)
        words = await self._db.fetch_all(
            "SELECT kind, word, action FROM clinic_watch_words WHERE guild_id = ?", (guild_id,)
        )
        channels = await self._db.fetch_all(
            "SELECT channel_id FROM clinic_watch_ignored_channels WHERE guild_id = ?", (guild_id,)
        )
        return _settings(
            guild_id,
            bool(row["enabled"]),
            str(row["sensitivity"]),
            int(row["cooldown_minutes"]),
            [(str(w["kind"]), str(w["word"]), str(w["action"])) for w in words],
            [int(c["channel_id"]) for c in channels],
        )

    async def all_configured(self) -> list[ClinicWatchSettings]:
        """Every configured server's settings, for the scanner at start-up (three queries in all)."""
        rows = await self._db.fetch_all(
            "SELECT guild_id, enabled, sensitivity, cooldown_minutes FROM clinic_watch_settings"
        )
        words: defaultdict[int, list[tuple[str, str, str]]] = defaultdict(list)
        for w in await self._db.fetch_all("SELECT guild_id, kind, word, action FROM clinic_watch_words"):
            words[int(w["guild_id"])].append((str(w["kind"]), str(w["word"]), str(w["action"])))
        channels: defaultdict[int, list[int]] = defaultdict(list)
        for c in await self._db.fetch_all("SELECT guild_id, channel_id FROM clinic_watch_ignored_channels"):
            channels[int(c["guild_id"])].append(int(c["channel_id"]))
        return [
            _settings(
                int(row["guild_id"]),
                bool(row["enabled"]),
                str(row["sensitivity"]),
                int(row["cooldown_minutes"]),
                words[int(row["guild_id"])],
                channels[int(row["guild_id"])],
            )
            for row in rows
        ]

    async def update(
        self,
        guild_id: int,
        *,
        actor_id: int,
        action: str,
        edit: SettingsEdit,
        now: datetime,
        target: str | None = None,
    ) -> SettingsChange:
        """Apply `edit` to the stored settings and audit it, all in one transaction.

        `edit` is a pure settings method (e.g. `lambda s: s.with_cooldown(45)`); when it raises,
        nothing is written. An edit that changes nothing writes nothing and logs nothing.
        """
        async with self._db.transaction():
            before = await self.get(guild_id)
            after = edit(before)
            if after == before:
                return SettingsChange(before, after)
            await self._write(after, now)
            old, new = changed_fields(before.audit_view(), after.audit_view())
            await self._audit.record(
                AuditEntry(
                    guild_id=guild_id,
                    actor_id=actor_id,
                    action=action,
                    target=target,
                    before=old,
                    after=new,
                    created_at=now,
                )
            )
        return SettingsChange(before, after)

    async def record_fired(self, guild_id: int, channel_id: int, fired_at: datetime) -> None:
        """Remember when a caution was sent in a channel, so the cooldown survives a restart."""
        await self._db.execute(
            "INSERT INTO clinic_watch_last_fired (channel_id, guild_id, fired_at) VALUES (?, ?, ?) "
            "ON CONFLICT(channel_id) DO UPDATE SET "
            "guild_id = excluded.guild_id, fired_at = excluded.fired_at",
            (channel_id, guild_id, _utc_text(fired_at)),
        )

    async def last_fired(self, channel_id: int) -> datetime | None:
        """When the caution last fired in this channel (for `/clinicwatch status`)."""
        row = await self._db.fetch_one(
            "SELECT fired_at FROM clinic_watch_last_fired WHERE channel_id = ?", (channel_id,)
        )
        return None if row is None else datetime.fromisoformat(row["fired_at"])

    async def all_last_fired(self, since: datetime) -> dict[int, datetime]:
        """Cooldowns that may still be running (fired at or after `since`), keyed by channel id."""
        rows = await self._db.fetch_all(
            "SELECT channel_id, fired_at FROM clinic_watch_last_fired WHERE fired_at >= ?",
            (_utc_text(since),),
        )
        return {int(row["channel_id"]): datetime.fromisoformat(row["fired_at"]) for row in rows}

    async def record_report(
        self, guild_id: int, card_message_id: int, report: FalseAlarm, at: datetime
    ) -> bool:
        """Keep one "Not relevant here" report per card message; False when it was already reported."""
        changed = await self._db.execute(
            "INSERT INTO clinic_watch_reports (card_message_id, guild_id, outcome, signals, reported_at) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (card_message_id) DO NOTHING",
            (
                card_message_id,
                guild_id,
                report.outcome.value,
                json.dumps([kind.value for kind in report.signals]),
                _utc_text(at),
            ),
        )
        return changed == 1

    async def report_counts(self, guild_id: int) -> FalseAlarmCounts:
        """Every report of the server, counted per card and per signal kind."""
        rows = await self._db.fetch_all(
            "SELECT outcome, signals FROM clinic_watch_reports WHERE guild_id = ?", (guild_id,)
        )
        by_card = {card: 0 for card in CARDS}
        by_signal: Counter[WordKind] = Counter()
        for row in rows:
            by_card[Outcome(row["outcome"])] += 1
            by_signal.update(WordKind(kind) for kind in json.loads(row["signals"]) if kind in _KINDS)
        return FalseAlarmCounts(by_card, by_signal)

    async def _write(self, settings: ClinicWatchSettings, now: datetime) -> None:
        guild_id = settings.guild_id
        await self._db.execute(
            "INSERT INTO clinic_watch_settings "
            "(guild_id, enabled, sensitivity, cooldown_minutes, updated_at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT(guild_id) DO UPDATE SET enabled = excluded.enabled, "
            "sensitivity = excluded.sensitivity, cooldown_minutes = excluded.cooldown_minutes, "
            "updated_at = excluded.updated_at",
            (
                guild_id,
                int(settings.enabled),
                settings.sensitivity.value,
                settings.cooldown_minutes,
                _utc_text(now),
            ),
        )
        # The lists are small (a few hundred rows at most): replacing them is simpler than diffing.
        await self._db.execute("DELETE FROM clinic_watch_words WHERE guild_id = ?", (guild_id,))
        for kind in WordKind:
            for action, words in ((_ADD, settings.added(kind)), (_REMOVE, settings.removed(kind))):
                for word in sorted(words):
                    await self._db.execute(
                        "INSERT INTO clinic_watch_words (guild_id, kind, word, action) VALUES (?, ?, ?, ?)",
                        (guild_id, kind.value, word, action),
                    )
        await self._db.execute("DELETE FROM clinic_watch_ignored_channels WHERE guild_id = ?", (guild_id,))
        for channel_id in sorted(settings.ignored_channel_ids):
            await self._db.execute(
                "INSERT INTO clinic_watch_ignored_channels (guild_id, channel_id) VALUES (?, ?)",
                (guild_id, channel_id),
            )


def _utc_text(moment: datetime) -> str:
    """One text form for every stored time (UTC, ISO 8601), so `>=` on the text compares times."""
    return moment.astimezone(UTC).isoformat()


def _settings(
    guild_id: int,
    enabled: bool,
    sensitivity: str,
    cooldown_minutes: int,
    words: list[tuple[str, str, str]],
    ignored_channel_ids: list[int],
) -> ClinicWatchSettings:
    added = frozenset((WordKind(kind), word) for kind, word, action in words if action == _ADD)
    removed = frozenset((WordKind(kind), word) for kind, word, action in words if action == _REMOVE)
    return ClinicWatchSettings(
        guild_id=guild_id,
        enabled=enabled,
        sensitivity=Sensitivity(sensitivity),
        cooldown_minutes=cooldown_minutes,
        words_added=added,
        words_removed=removed,
        ignored_channel_ids=frozenset(ignored_channel_ids),
    )
