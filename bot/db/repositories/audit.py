"""The audit log: who changed which setting, from what to what, and when.

Shared by every moderator feature (clinic watch, auto-responses, mod-log). Entries are written
inside the same transaction as the change they describe, so the log never disagrees with the data.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from bot.core.audit import AuditEntry
from bot.db.database import Database

MAX_RECENT = 100


class AuditRepository:
    """Writes and reads `audit_log`; call `record` inside the caller's transaction."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def record(self, entry: AuditEntry) -> int:
        """Append one entry and return its id."""
        return await self._db.insert(
            "INSERT INTO audit_log (guild_id, actor_id, action, target, before_json, after_json, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                entry.guild_id,
                entry.actor_id,
                entry.action,
                entry.target,
                _to_json(entry.before),
                _to_json(entry.after),
                entry.created_at.astimezone(UTC).isoformat(),
            ),
        )

    async def recent(self, guild_id: int, limit: int = 20) -> list[AuditEntry]:
        """The server's latest entries, newest first."""
        rows = await self._db.fetch_all(
            "SELECT id, guild_id, actor_id, action, target, before_json, after_json, created_at "
            "FROM audit_log WHERE guild_id = ? ORDER BY created_at DESC, id DESC LIMIT ?",
            (guild_id, max(1, min(limit, MAX_RECENT))),
        )
        return [_entry(row) for row in rows]


def _to_json(value: Mapping[str, Any] | None) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)


def _entry(row: sqlite3.Row) -> AuditEntry:
    return AuditEntry(
        id=int(row["id"]),
        guild_id=int(row["guild_id"]),
        actor_id=int(row["actor_id"]),
        action=str(row["action"]),
        target=row["target"],
        before=None if row["before_json"] is None else json.loads(row["before_json"]),
        after=None if row["after_json"] is None else json.loads(row["after_json"]),
        created_at=datetime.fromisoformat(row["created_at"]),
    )
