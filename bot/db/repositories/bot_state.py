"""Small key/value facts the bot keeps about itself (e.g. the last synced command-tree hash)."""

from __future__ import annotations

from datetime import datetime

from bot.db.database import Database


class BotStateRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, key: str) -> str | None:
        row = await self._db.fetch_one("SELECT value FROM bot_state WHERE key = ?", (key,))
        return None if row is None else str(row["value"])

    async def set(self, key: str, value: str, now: datetime) -> None:
        await self._db.execute(
            "INSERT INTO bot_state (key, value, updated_at) VALUES (?, ?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
            (key, value, now.isoformat()),
        )
