"""Auto-response storage: rules numbered per server with their triggers and responses, hits,
cooldowns, and the members each server's rules ignore.

Store and load only: what may be stored is decided in `bot.core.autoresponse` and carried out by
`bot/services/autoresponses.py`, which runs the writes inside its own transaction together with
the audit rows, so the rules and the log never disagree. A rule is one row of `autoresponse_rules`
plus its triggers (`autoresponse_triggers`, position 1 the main one) and its responses
(`autoresponse_variants`), which go with it when it is deleted.
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from bot.core.autoresponse.rules import AnswerKind, MatchMode, Rule, RuleDraft, RuleTrigger
from bot.db.database import Database

_RULE_COLUMNS = (
    "guild_id, number, answer_kind, embed_title, embed_link, channel_ids, allowed_role_ids, "
    "denied_role_ids, cooldown_seconds, enabled, author_id, created_at, updated_by, updated_at, "
    "hit_count, last_hit_at"
)
_RuleKey = tuple[int, int]  # guild id, rule number


class AutoresponseRepository:
    """Every SQL statement the auto-responses need."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # --- reading ---

    async def list(self, guild_id: int) -> tuple[Rule, ...]:
        """The server's rules by number."""
        rows = await self._db.fetch_all(
            f"SELECT {_RULE_COLUMNS} FROM autoresponse_rules WHERE guild_id = ? ORDER BY number",  # noqa: S608
            (guild_id,),
        )
        triggers = await self._db.fetch_all(
            "SELECT guild_id, number, trigger, mode FROM autoresponse_triggers WHERE guild_id = ? "
            "ORDER BY number, position",
            (guild_id,),
        )
        variants = await self._db.fetch_all(
            "SELECT guild_id, number, response, weight FROM autoresponse_variants WHERE guild_id = ? "
            "ORDER BY number, position",
            (guild_id,),
        )
        return tuple(_rules(rows, triggers, variants))

    async def all_rules(self) -> dict[int, tuple[Rule, ...]]:
        """Every server's rules, for the rule book at start-up (three queries in all)."""
        rows = await self._db.fetch_all(
            f"SELECT {_RULE_COLUMNS} FROM autoresponse_rules ORDER BY guild_id, number"  # noqa: S608
        )
        triggers = await self._db.fetch_all(
            "SELECT guild_id, number, trigger, mode FROM autoresponse_triggers "
            "ORDER BY guild_id, number, position"
        )
        variants = await self._db.fetch_all(
            "SELECT guild_id, number, response, weight FROM autoresponse_variants "
            "ORDER BY guild_id, number, position"
        )
        by_guild: defaultdict[int, list[Rule]] = defaultdict(list)
        for rule in _rules(rows, triggers, variants):
            by_guild[rule.guild_id].append(rule)
        return {guild_id: tuple(rules) for guild_id, rules in by_guild.items()}

    async def find(self, guild_id: int, number: int) -> Rule | None:
        """Rule #number of the server, or None."""
        rows = await self._db.fetch_all(
            f"SELECT {_RULE_COLUMNS} FROM autoresponse_rules WHERE guild_id = ? AND number = ?",  # noqa: S608
            (guild_id, number),
        )
        if not rows:
            return None
        triggers = await self._db.fetch_all(
            "SELECT guild_id, number, trigger, mode FROM autoresponse_triggers "
            "WHERE guild_id = ? AND number = ? ORDER BY position",
            (guild_id, number),
        )
        variants = await self._db.fetch_all(
            "SELECT guild_id, number, response, weight FROM autoresponse_variants "
            "WHERE guild_id = ? AND number = ? ORDER BY position",
            (guild_id, number),
        )
        return next(iter(_rules(rows, triggers, variants)))

    # --- changing (inside the caller's transaction, beside its audit rows) ---

    async def insert(self, guild_id: int, draft: RuleDraft, *, actor_id: int, now: datetime) -> Rule:
        """Store a new rule under the server's next number (a number is never given out twice)."""
        self._require_transaction()
        number = await self._next_number(guild_id)
        at = _utc_text(now)
        await self._db.execute(
            "INSERT INTO autoresponse_rules (guild_id, number, answer_kind, embed_title, embed_link, "
            "channel_ids, allowed_role_ids, denied_role_ids, cooldown_seconds, enabled, author_id, "
            "created_at, updated_by, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (guild_id, number, *_draft_values(draft), actor_id, at, actor_id, at),
        )
        await self._insert_parts(guild_id, number, draft)
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
            "UPDATE autoresponse_rules SET answer_kind = ?, embed_title = ?, embed_link = ?, "
            "channel_ids = ?, allowed_role_ids = ?, denied_role_ids = ?, cooldown_seconds = ?, enabled = ?, "
            "updated_by = ?, updated_at = ? WHERE guild_id = ? AND number = ?",
            (*_draft_values(draft), actor_id, _utc_text(now), guild_id, number),
        )
        await self._db.execute(
            "DELETE FROM autoresponse_triggers WHERE guild_id = ? AND number = ?", (guild_id, number)
        )
        await self._db.execute(
            "DELETE FROM autoresponse_variants WHERE guild_id = ? AND number = ?", (guild_id, number)
        )
        await self._insert_parts(guild_id, number, draft)

    async def delete(self, guild_id: int, number: int) -> None:
        """Delete rule #number; its triggers, responses and cooldowns go with it, its number is not reused."""
        self._require_transaction()
        await self._db.execute(
            "DELETE FROM autoresponse_rules WHERE guild_id = ? AND number = ?", (guild_id, number)
        )

    async def delete_all(self, guild_id: int) -> None:
        """Delete every rule of the server; the numbering goes on from the last number given out."""
        self._require_transaction()
        await self._db.execute("DELETE FROM autoresponse_rules WHERE guild_id = ?", (guild_id,))

    async def _insert_parts(self, guild_id: int, number: int, draft: RuleDraft) -> None:
        """The rule's triggers and responses, each list in one statement (positions from 1)."""
        triggers = json.dumps([[trigger.text, trigger.mode.value] for trigger in draft.triggers])
        await self._db.execute(
            "INSERT INTO autoresponse_triggers (guild_id, number, position, trigger, mode) "
            "SELECT ?, ?, key + 1, value ->> 0, value ->> 1 FROM json_each(?)",
            (guild_id, number, triggers),
        )
        variants = json.dumps(
            [list(pair) for pair in zip(draft.responses, draft.response_weights, strict=True)]
        )
        await self._db.execute(
            "INSERT INTO autoresponse_variants (guild_id, number, position, response, weight) "
            "SELECT ?, ?, key + 1, value ->> 0, value ->> 1 FROM json_each(?)",
            (guild_id, number, variants),
        )

    # --- ignored members ---

    async def ignored_members(self, guild_id: int) -> tuple[int, ...]:
        """The members this server's rules ignore, in the order they were added."""
        rows = await self._db.fetch_all(
            "SELECT user_id FROM autoresponse_ignored_members WHERE guild_id = ? ORDER BY added_at, user_id",
            (guild_id,),
        )
        return tuple(int(row["user_id"]) for row in rows)

    async def all_ignored_members(self) -> dict[int, tuple[int, ...]]:
        """Every server's ignored members, for the rule book at start-up."""
        rows = await self._db.fetch_all(
            "SELECT guild_id, user_id FROM autoresponse_ignored_members ORDER BY guild_id, added_at, user_id"
        )
        by_guild: defaultdict[int, list[int]] = defaultdict(list)
        for row in rows:
            by_guild[int(row["guild_id"])].append(int(row["user_id"]))
        return {guild_id: tuple(members) for guild_id, members in by_guild.items()}

    async def ignore_member(self, guild_id: int, user_id: int, *, actor_id: int, now: datetime) -> None:
        self._require_transaction()
        await self._db.execute(
            "INSERT INTO autoresponse_ignored_members (guild_id, user_id, added_by, added_at) "
            "VALUES (?, ?, ?, ?) ON CONFLICT (guild_id, user_id) DO NOTHING",
            (guild_id, user_id, actor_id, _utc_text(now)),
        )

    async def unignore_member(self, guild_id: int, user_id: int) -> bool:
        """True when the member was ignored (and no longer is)."""
        self._require_transaction()
        removed = await self._db.execute(
            "DELETE FROM autoresponse_ignored_members WHERE guild_id = ? AND user_id = ?", (guild_id, user_id)
        )
        return removed > 0

    # --- hits and cooldowns ---

    async def record_hit(self, guild_id: int, number: int, channel_id: int | None, now: datetime) -> None:
        """Count an answer and remember when it was sent in that channel (cooldowns survive restarts).

        A private answer passes no channel: its cooldown is per member and kept in memory only, so
        the database holds no record of who was sent which private answer.
        """
        at = _utc_text(now)
        async with self._db.transaction():
            changed = await self._db.execute(
                "UPDATE autoresponse_rules SET hit_count = hit_count + 1, last_hit_at = ? "
                "WHERE guild_id = ? AND number = ?",
                (at, guild_id, number),
            )
            if not changed or channel_id is None:  # removed meanwhile, or private: nothing more to keep
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
    """The rule row's own columns, in the order of INSERT and UPDATE (triggers and responses apart)."""
    return (
        draft.kind.value,
        draft.title,
        draft.link,
        json.dumps(list(draft.channel_ids)),
        json.dumps(list(draft.allowed_role_ids)),
        json.dumps(list(draft.denied_role_ids)),
        draft.cooldown_seconds,
        int(draft.enabled),
    )


def _rules(
    rows: Iterable[sqlite3.Row], trigger_rows: Iterable[sqlite3.Row], variant_rows: Iterable[sqlite3.Row]
) -> list[Rule]:
    """Rules from their rows, each with its triggers and responses (rows ordered by position)."""
    triggers: defaultdict[_RuleKey, list[RuleTrigger]] = defaultdict(list)
    for row in trigger_rows:
        triggers[int(row["guild_id"]), int(row["number"])].append(
            RuleTrigger(str(row["trigger"]), MatchMode(row["mode"]))
        )
    variants: defaultdict[_RuleKey, list[tuple[str, int]]] = defaultdict(list)
    for row in variant_rows:
        variants[int(row["guild_id"]), int(row["number"])].append((str(row["response"]), int(row["weight"])))
    return [_rule(row, triggers[_key(row)], variants[_key(row)]) for row in rows]


def _key(row: sqlite3.Row) -> _RuleKey:
    return int(row["guild_id"]), int(row["number"])


def _ids(text: str) -> tuple[int, ...]:
    return tuple(int(item) for item in json.loads(text))


def _rule(row: sqlite3.Row, triggers: list[RuleTrigger], variants: list[tuple[str, int]]) -> Rule:
    last_hit = row["last_hit_at"]
    first, *more = triggers
    responses = [text for text, _ in variants]
    weights = tuple(weight for _, weight in variants)
    draft = RuleDraft(
        trigger=first.text,
        response=responses[0],
        mode=first.mode,
        channel_ids=_ids(row["channel_ids"]),
        cooldown_seconds=int(row["cooldown_seconds"]),
        enabled=bool(row["enabled"]),
        more_triggers=tuple(more),
        more_responses=tuple(responses[1:]),
        weights=() if len(set(weights)) == 1 else weights,
        kind=AnswerKind(row["answer_kind"]),
        title=str(row["embed_title"]),
        link=str(row["embed_link"]),
        allowed_role_ids=_ids(row["allowed_role_ids"]),
        denied_role_ids=_ids(row["denied_role_ids"]),
    )
    return Rule(
        guild_id=int(row["guild_id"]),
        number=int(row["number"]),
        draft=draft,
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
