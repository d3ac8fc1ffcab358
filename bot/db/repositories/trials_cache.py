"""SQLite side of the /trials cache (implements `bot.core.trials.service.TrialsCache`)."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.db.database import Database


class TrialsCacheRepository:
    """One row per query key: the parsed answer as JSON and when it was fetched."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, key: str) -> tuple[str, datetime] | None:
        row = await self._db.fetch_one(
            "SELECT payload, fetched_at FROM trials_cache WHERE query_key = ?", (key,)
        )
        if row is None:
            return None
        fetched_at = datetime.fromisoformat(str(row["fetched_at"]))
        # Stored as aware UTC; an unmarked value can only have come from UTC too.
        return str(row["payload"]), fetched_at if fetched_at.tzinfo else fetched_at.replace(tzinfo=UTC)

    async def put(self, key: str, payload: str, fetched_at: datetime) -> None:
        await self._db.execute(
            "INSERT INTO trials_cache (query_key, payload, fetched_at) VALUES (?, ?, ?) "
            "ON CONFLICT(query_key) DO UPDATE SET payload = excluded.payload, "
            "fetched_at = excluded.fetched_at",
            (key, payload, fetched_at.astimezone(UTC).isoformat()),
        )
