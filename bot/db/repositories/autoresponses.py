"""Auto-response storage: rules numbered per server, their hits and cooldowns.

Every change runs in one transaction together with its audit rows, so the rules and the log
never disagree, and a refused change (`InvalidInput`, `NotFound`) leaves both untouched. An
import is one transaction too: all of it or none of it.
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.core.audit import AuditEntry, changed_fields
from bot.core.autoresponse.rules import (
    MAX_RULES_PER_GUILD,
    MatchMode,
    Rule,
    RuleDraft,
    check_rule_set,
    validate_draft,
)
from bot.core.autoresponse.transfer import ImportMode
from bot.db.database import Database
from bot.db.repositories.audit import AuditRepository
from bot.errors import InvalidInput, NotFound

DraftEdit = Callable[[RuleDraft], RuleDraft]


@dataclass(frozen=True)
class RuleChange:
    """A rule before and after one edit."""

    before: Rule
    after: Rule

    @property
    def changed(self) -> bool:
        return self.before.draft != self.after.draft


@dataclass(frozen=True)
class ImportReport:
    """What an import did, by rule number (numbers as they are after the import)."""

    mode: ImportMode
    added: tuple[int, ...]
    updated: tuple[int, ...]
    unchanged: tuple[int, ...]
    removed: int


class AutoresponseRepository:
    """Every SQL statement the auto-responses need; each public method is one action."""

    def __init__(self, db: Database, audit: AuditRepository | None = None) -> None:
        self._db = db
        self._audit = audit or AuditRepository(db)

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

    async def get(self, guild_id: int, number: int) -> Rule:
        """One rule, or `NotFound` with a sentence for the moderator."""
        row = await self._db.fetch_one(
            "SELECT guild_id, number, trigger, mode, response, channel_ids, cooldown_seconds, enabled, "
            "author_id, created_at, updated_by, updated_at, hit_count, last_hit_at "
            "FROM autoresponse_rules WHERE guild_id = ? AND number = ?",
            (guild_id, number),
        )
        if row is None:
            raise NotFound(f"There is no auto-response #{number} on this server.")
        return _rule(row)

    async def count(self, guild_id: int) -> int:
        row = await self._db.fetch_one(
            "SELECT count(*) FROM autoresponse_rules WHERE guild_id = ?", (guild_id,)
        )
        return int(row[0]) if row else 0

    # --- changing ---

    async def add(self, guild_id: int, draft: RuleDraft, *, actor_id: int, now: datetime) -> Rule:
        """Store a new rule under the server's next number (allocated in the same transaction)."""
        draft = validate_draft(draft)
        async with self._db.transaction():
            existing = await self.list(guild_id)
            if len(existing) >= MAX_RULES_PER_GUILD:
                raise InvalidInput(
                    f"This server already has {MAX_RULES_PER_GUILD} auto-responses, the most it may have. "
                    "Remove one first."
                )
            _refuse_duplicate(existing, draft)
            check_rule_set([*(rule.draft for rule in existing), draft])
            rule = await self._insert(guild_id, await self._next_number(guild_id), draft, actor_id, now)
            await self._record(
                guild_id, actor_id, "autoresponse.add", rule.number, None, rule.audit_view(), now
            )
        return rule

    async def edit(
        self, guild_id: int, number: int, edit: DraftEdit | RuleDraft, *, actor_id: int, now: datetime
    ) -> RuleChange:
        """Apply `edit` (a new draft, or a function of the old one) to rule #number, and audit it.

        An edit that changes nothing writes nothing and logs nothing.
        """
        async with self._db.transaction():
            before = await self.get(guild_id, number)
            wanted = edit if isinstance(edit, RuleDraft) else edit(before.draft)
            draft = validate_draft(wanted)
            if draft == before.draft:
                return RuleChange(before, before)
            others = [rule for rule in await self.list(guild_id) if rule.number != number]
            _refuse_duplicate(others, draft)
            check_rule_set([*(rule.draft for rule in others), draft])
            await self._update(guild_id, number, draft, actor_id, now)
            after = await self.get(guild_id, number)
            old, new = changed_fields(before.audit_view(), after.audit_view())
            await self._record(guild_id, actor_id, "autoresponse.edit", number, old, new, now)
        return RuleChange(before, after)

    async def remove(self, guild_id: int, number: int, *, actor_id: int, now: datetime) -> Rule:
        """Delete rule #number (its cooldowns go with it); its number is not reused."""
        async with self._db.transaction():
            rule = await self.get(guild_id, number)
            await self._db.execute(
                "DELETE FROM autoresponse_rules WHERE guild_id = ? AND number = ?", (guild_id, number)
            )
            await self._record(
                guild_id, actor_id, "autoresponse.remove", number, rule.audit_view(), None, now
            )
        return rule

    async def import_rules(
        self,
        guild_id: int,
        drafts: Sequence[RuleDraft],
        *,
        mode: ImportMode | str,
        actor_id: int,
        now: datetime,
    ) -> ImportReport:
        """Apply a parsed import in one transaction, or change nothing and raise `InvalidInput`.

        `merge`: a rule with the same trigger and mode as an existing one updates it (keeping its
        number and hits); the others are added. `replace`: every existing rule is removed and the
        file's rules become #1, #2, ... in file order. Each rule changed gets its own audit row,
        plus one summary row.
        """
        mode = ImportMode(mode)
        cleaned = [validate_draft(draft) for draft in drafts]
        keys = [draft.key for draft in cleaned]
        if len(set(keys)) != len(keys):
            raise InvalidInput("The import holds two rules with the same trigger and mode.")
        async with self._db.transaction():
            existing = await self.list(guild_id)
            if mode is ImportMode.REPLACE:
                report = await self._replace(guild_id, existing, cleaned, actor_id, now)
            else:
                report = await self._merge(guild_id, existing, cleaned, actor_id, now)
            summary = {
                "mode": mode.value,
                "added": len(report.added),
                "updated": len(report.updated),
                "unchanged": len(report.unchanged),
                "removed": report.removed,
            }
            await self._audit.record(
                AuditEntry(guild_id, actor_id, "autoresponse.import", mode.value, None, summary, now)
            )
        return report

    async def _merge(
        self,
        guild_id: int,
        existing: Sequence[Rule],
        drafts: Sequence[RuleDraft],
        actor_id: int,
        now: datetime,
    ) -> ImportReport:
        by_key = {rule.draft.key: rule for rule in existing}
        fresh = [draft for draft in drafts if draft.key not in by_key]
        total = len(existing) + len(fresh)
        if total > MAX_RULES_PER_GUILD:
            raise InvalidInput(
                f"After this import the server would have {total} auto-responses; "
                f"the limit is {MAX_RULES_PER_GUILD}. Nothing was imported."
            )
        final = {rule.draft.key: rule.draft for rule in existing}
        final.update({draft.key: draft for draft in drafts})
        check_rule_set(final.values())
        added: list[int] = []
        updated: list[int] = []
        unchanged: list[int] = []
        for draft in drafts:
            old = by_key.get(draft.key)
            if old is None:
                rule = await self._insert(guild_id, await self._next_number(guild_id), draft, actor_id, now)
                await self._record(
                    guild_id, actor_id, "autoresponse.add", rule.number, None, rule.audit_view(), now
                )
                added.append(rule.number)
            elif old.draft == draft:
                unchanged.append(old.number)
            else:
                await self._update(guild_id, old.number, draft, actor_id, now)
                before, after = changed_fields(old.draft.audit_view(), draft.audit_view())
                await self._record(guild_id, actor_id, "autoresponse.edit", old.number, before, after, now)
                updated.append(old.number)
        return ImportReport(ImportMode.MERGE, tuple(added), tuple(updated), tuple(unchanged), 0)

    async def _replace(
        self,
        guild_id: int,
        existing: Sequence[Rule],
        drafts: Sequence[RuleDraft],
        actor_id: int,
        now: datetime,
    ) -> ImportReport:
        if len(drafts) > MAX_RULES_PER_GUILD:
            raise InvalidInput(
                f"An import may hold at most {MAX_RULES_PER_GUILD} rules. Nothing was imported."
            )
        check_rule_set(drafts)
        for rule in existing:
            await self._record(
                guild_id, actor_id, "autoresponse.remove", rule.number, rule.audit_view(), None, now
            )
        await self._db.execute("DELETE FROM autoresponse_rules WHERE guild_id = ?", (guild_id,))
        await self._db.execute("DELETE FROM autoresponse_numbering WHERE guild_id = ?", (guild_id,))
        added: list[int] = []
        for draft in drafts:
            rule = await self._insert(guild_id, await self._next_number(guild_id), draft, actor_id, now)
            await self._record(
                guild_id, actor_id, "autoresponse.add", rule.number, None, rule.audit_view(), now
            )
            added.append(rule.number)
        return ImportReport(ImportMode.REPLACE, tuple(added), (), (), len(existing))

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

    # --- helpers (inside the caller's transaction) ---

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

    async def _insert(
        self, guild_id: int, number: int, draft: RuleDraft, actor_id: int, now: datetime
    ) -> Rule:
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

    async def _update(
        self, guild_id: int, number: int, draft: RuleDraft, actor_id: int, now: datetime
    ) -> None:
        await self._db.execute(
            "UPDATE autoresponse_rules SET trigger = ?, mode = ?, response = ?, channel_ids = ?, "
            "cooldown_seconds = ?, enabled = ?, updated_by = ?, updated_at = ? "
            "WHERE guild_id = ? AND number = ?",
            (*_draft_values(draft), actor_id, _utc_text(now), guild_id, number),
        )

    async def _record(
        self,
        guild_id: int,
        actor_id: int,
        action: str,
        number: int,
        before: dict[str, Any] | None,
        after: dict[str, Any] | None,
        now: datetime,
    ) -> None:
        await self._audit.record(AuditEntry(guild_id, actor_id, action, f"#{number}", before, after, now))


def _refuse_duplicate(existing: Sequence[Rule], draft: RuleDraft) -> None:
    for rule in existing:
        if rule.draft.key == draft.key:
            raise InvalidInput(
                f"Auto-response #{rule.number} already answers “{rule.trigger}” in {rule.mode.value} mode; "
                "edit that one instead."
            )


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
