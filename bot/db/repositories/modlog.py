"""Where each server's configuration changes are reported: one mod-log channel per server, audited."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.core.audit import AuditEntry
from bot.db.database import Database
from bot.db.repositories.audit import AuditRepository


class ModlogRepository:
    """The `guild_modlog` table; setting or clearing the channel is audited in the same transaction."""

    def __init__(self, db: Database, audit: AuditRepository | None = None) -> None:
        self._db = db
        self._audit = audit or AuditRepository(db)

    async def channel(self, guild_id: int) -> int | None:
        """The server's mod-log channel, or None when reports are off."""
        row = await self._db.fetch_one("SELECT channel_id FROM guild_modlog WHERE guild_id = ?", (guild_id,))
        return None if row is None else int(row["channel_id"])

    async def set_channel(self, guild_id: int, channel_id: int, *, actor_id: int, now: datetime) -> None:
        """Report configuration changes to `channel_id` from now on (audited; no-op when unchanged)."""
        async with self._db.transaction():
            before = await self.channel(guild_id)
            if before == channel_id:
                return
            await self._db.execute(
                "INSERT INTO guild_modlog (guild_id, channel_id, updated_at) VALUES (?, ?, ?) "
                "ON CONFLICT (guild_id) DO UPDATE SET channel_id = excluded.channel_id, "
                "updated_at = excluded.updated_at",
                (guild_id, channel_id, now.astimezone(UTC).isoformat()),
            )
            await self._audit.record(
                AuditEntry(
                    guild_id,
                    actor_id,
                    "modlog.set",
                    None,
                    {"channel_id": before},
                    {"channel_id": channel_id},
                    now,
                )
            )

    async def clear_channel(self, guild_id: int, *, actor_id: int, now: datetime) -> bool:
        """Stop reporting changes; False when no channel was set."""
        async with self._db.transaction():
            before = await self.channel(guild_id)
            if before is None:
                return False
            await self._db.execute("DELETE FROM guild_modlog WHERE guild_id = ?", (guild_id,))
            await self._audit.record(
                AuditEntry(
                    guild_id,
                    actor_id,
                    "modlog.clear",
                    None,
                    {"channel_id": before},
                    {"channel_id": None},
                    now,
                )
            )
        return True
