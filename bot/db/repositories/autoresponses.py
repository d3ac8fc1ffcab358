"""Auto-response storage: rules numbered per server, their hits and cooldowns.

Store and load only: what may be stored is decided in `bot.core.autoresponse` and carried out by
`bot/services/autoresponses.py`, which runs `insert`, `update` and the deletes inside its own
transaction together with the audit rows, so the rules and the log never disagree.
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from bot.core.autoresponse.rules import MatchMode, Rule, RuleDraft
from bot.db.database import Database


class AutoresponseRepository:
    """Every SQL statement the auto-responses need."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # --- reading ---

    async def list(self, guild_id: int) -> tuple[Rule, ...]:
        """The server's rules by number."""
        rows = await self._db.fetch_all(
            "SELECT guild_id, number, trigger, mode, response, channel_ids, cooldown_seconds, enabled, "
            "author_id, created_at, updated_by, updated_at, hit_count, last_hit_at "
            "FROM autoresponse_rules WHERE guild_id = ? ORDER BY number",
            (guild_id,),
        )
        return tuple(_rule(row) for row in rows)

    async def all_rules(self) -> dict[int, tuple[Rule, ...]]:
        """Every server's rules, for the rule book at start-up (one query)."""
        rows = await self._db.fetch_all(
            "SELECT guild_id, number, trigger, mode, response, channel_ids, cooldown_seconds, enabled, "
            "author_id, created_at, updated_by, updated_at, hit_count, last_hit_at "
            "FROM autoresponse_rules ORDER BY guild_id, number"
        )
        by_guild: defaultdict[int, list[Rule]] = defaultdict(list)
        for row in rows:
            by_guild[int(row["guild_id"])].append(_rule(row))
        return {guild_id: tuple(rules) for guild_id, rules in by_guild.items()}

    async def find(self, guild_id: int, number: int) -> Rule | None:
        """Rule #number of the server, or None."""
        row = await self._db.fetch_one(
            "SELECT guild_id, number, trigger, mode, response, channel_ids, cooldown_seconds, enabled, "
            "author_id, created_at, updated_by, updated_at, hit_count, last_hit_at "
            "FROM autoresponse_rules WHERE guild_id = ? AND number = ?",
            (guild_id, number),
        )
        return None if row is None else _rule(row)

    # --- changing (inside the caller's transaction, beside its audit rows) ---

    async def insert(self, guild_id: int, draft: RuleDraft, *, actor_id: int, now: datetime) -> Rule:
        """Store a new rule under the server's next number (a removed rule's number is never reused)."""
        self._require_transaction()
        number = await self._next_number(guild_id)
        at = _utc_text(now)
        await self._db.execute(
            "INSERT INTO autoresponse_rules (guild_id, number, trigger, mode, response, channel_ids, "
            "cooldown_seconds, enabled, author_id, created_at, updated_by, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (guild_id, number, *_draft_values(draft), actor_id, at, actor_id, at),
        )
        return Rule(
            guild_id=guild_id,
            number=number,
            draft=draft,
            author_id=actor_id,
            created_at=datetime.fromisoformat(at),
            updated_by=actor_id,
            updated_at=datetime.fromisoformat(at),
        )

    async def update(
        self, guild_id: int, number: int, draft: RuleDraft, *, actor_id: int, now: datetime
    ) -> None:
        """Store a new draft for rule #number (its number, author, hits and cooldowns stay)."""
        self._require_transaction()
        await self._db.execute(
            "UPDATE autoresponse_rules SET trigger = ?, mode = ?, response = ?, channel_ids = ?, "
            "cooldown_seconds = ?, enabled = ?, updated_by = ?, updated_at = ? "
            "WHERE guild_id = ? AND number = ?",
            (*_draft_values(draft), actor_id, _utc_text(now), guild_id, number),
        )

    async def delete(self, guild_id: int, number: int) -> None:
        """Delete rule #number; its cooldowns go with it, its number is not reused."""
        self._require_transaction()
        await self._db.execute(
            "DELETE FROM autoresponse_rules WHERE guild_id = ? AND number = ?", (guild_id, number)
        )

    async def delete_all(self, guild_id: int) -> None:
        """Delete every rule of the server and start its numbering again at #1."""
        self._require_transaction()
        await self._db.execute("DELETE FROM autoresponse_rules WHERE guild_id = ?", (guild_id,))
        await self._db.execute("DELETE FROM autoresponse_numbering WHERE guild_id = ?", (guild_id,))

    # --- hits and cooldowns ---

    async def record_hit(self, guild_id: int, number: int, channel_id: int, now: datetime) -> None:
        """Count an answer and remember when it was sent in that channel (cooldowns survive restarts)."""
        at = _utc_text(now)
        async with self._db.transaction():
            changed = await self._db.execute(
                "UPDATE autoresponse_rules SET hit_count = hit_count + 1, last_hit_at = ? "
                "WHERE guild_id = ? AND number = ?",
                (at, guild_id, number),
            )
            if not changed:  # removed while the answer was being sent: nothing to remember
                return
            await self._db.execute(
                "INSERT INTO autoresponse_last_fired (guild_id, number, channel_id, fired_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (guild_id, number, channel_id) "
                "DO UPDATE SET fired_at = excluded.fired_at",
                (guild_id, number, channel_id, at),
            )

    async def last_fired(self, guild_id: int) -> dict[tuple[int, int], datetime]:
        """When each of the server's rules last answered, keyed by (rule number, channel id)."""
        rows = await self._db.fetch_all(
            "SELECT number, channel_id, fired_at FROM autoresponse_last_fired WHERE guild_id = ?", (guild_id,)
        )
        return {
            (int(row["number"]), int(row["channel_id"])): datetime.fromisoformat(row["fired_at"])
            for row in rows
        }

    async def all_last_fired(self, since: datetime) -> tuple[tuple[int, int, int, datetime], ...]:
        """Cooldowns that may still be running: (guild, number, channel, fired_at) rows for the rule book."""
        rows = await self._db.fetch_all(
            "SELECT guild_id, number, channel_id, fired_at FROM autoresponse_last_fired WHERE fired_at >= ?",
            (_utc_text(since),),
        )
        return tuple(
            (
                int(row["guild_id"]),
                int(row["number"]),
                int(row["channel_id"]),
                datetime.fromisoformat(row["fired_at"]),
            )
            for row in rows
        )

    # --- helpers ---

    def _require_transaction(self) -> None:
        """A rule written outside a transaction could lose its audit row or its number."""
        if not self._db.in_own_transaction():
            raise RuntimeError("auto-response changes run inside Database.transaction()")

    async def _next_number(self, guild_id: int) -> int:
        await self._db.execute(
            "INSERT INTO autoresponse_numbering (guild_id, last_number) VALUES (?, 1) "
            "ON CONFLICT (guild_id) DO UPDATE SET last_number = last_number + 1",
            (guild_id,),
        )
        row = await self._db.fetch_one(
            "SELECT last_number FROM autoresponse_numbering WHERE guild_id = ?", (guild_id,)
        )
        assert row is not None
        return int(row[0])


def _draft_values(draft: RuleDraft) -> tuple[Any, ...]:
    return (
        draft.trigger,
        draft.mode.value,
        draft.response,
        json.dumps(list(draft.channel_ids)),
        draft.cooldown_seconds,
        int(draft.enabled),
    )


def _rule(row: sqlite3.Row) -> Rule:
    last_hit = row["last_hit_at"]
    return Rule(
        guild_id=int(row["guild_id"]),
        number=int(row["number"]),
        draft=RuleDraft(
            trigger=str(row["trigger"]),
            response=str(row["response"]),
            mode=MatchMode(row["mode"]),
            channel_ids=tuple(int(channel) for channel in json.loads(row["channel_ids"])),
            cooldown_seconds=int(row["cooldown_seconds"]),
            enabled=bool(row["enabled"]),
        ),
        author_id=int(row["author_id"]),
        created_at=datetime.fromisoformat(row["created_at"]),
        updated_by=int(row["updated_by"]),
        updated_at=datetime.fromisoformat(row["updated_at"]),
        hit_count=int(row["hit_count"]),
        last_hit_at=None if last_hit is None else datetime.fromisoformat(last_hit),
    )


def _utc_text(moment: datetime) -> str:
    """One text form for every stored time (UTC, ISO 8601), so `>=` on the text compares times."""
    return moment.astimezone(UTC).isoformat()
