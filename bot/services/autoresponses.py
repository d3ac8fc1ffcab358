"""Moderators' changes to a server's auto-responses, carried out: checked, stored, audited, made live.

Every change goes the same way: read the server's rules and ask `bot.core.autoresponse.changes`
what to write (a refusal raises before anything is written); write the rules and their audit rows
in one transaction, so a refused or failed change leaves both untouched; then hand the stored
rules to `MessageWatch.install_rules`, so the next message meets them. Each result carries the
audit row it wrote, for the caller's mod-log report.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from bot.core.audit import AuditEntry
from bot.core.autoresponse import ImportMode, Rule, RuleDraft, export_rules, parse_import
from bot.core.autoresponse.changes import (
    DraftEdit,
    ImportReport,
    StepKind,
    added_entry,
    edited_entry,
    find_rule,
    ignored_entry,
    imported_entry,
    plan_add,
    plan_edit,
    plan_ignore,
    plan_import,
    removed_entry,
    rule_not_found,
)
from bot.core.clock import Clock
from bot.db.database import Database
from bot.db.repositories.audit import AuditRepository
from bot.db.repositories.autoresponses import AutoresponseRepository
from bot.services.message_watch import MessageWatch

# Beyond these sizes the YAML work goes to a thread, so the event loop keeps answering others.
EXPORT_IN_THREAD_FROM_RULES = 50
PARSE_IN_THREAD_FROM_BYTES = 32_000


@dataclass(frozen=True, slots=True)
class RuleChange:
    """The rule added (or removed), with the audit row that records it."""

    rule: Rule
    audit_entry: AuditEntry


@dataclass(frozen=True, slots=True)
class RuleEdited:
    """A rule before and after one edit; an edit that changes nothing has no audit entry."""

    before: Rule
    after: Rule
    audit_entry: AuditEntry | None

    @property
    def changed(self) -> bool:
        return self.before.draft != self.after.draft


@dataclass(frozen=True, slots=True)
class RulesImported:
    """What an import did; `audit_entry` is its summary row (each rule changed has its own row too)."""

    report: ImportReport
    audit_entry: AuditEntry


@dataclass(frozen=True, slots=True)
class RulesExport:
    """A server's rules as an export file."""

    rule_count: int
    text: str


class AutoresponseService:
    """The one way a server's rules change; the live copy belongs to `MessageWatch`."""

    def __init__(
        self,
        db: Database,
        rules: AutoresponseRepository,
        audit: AuditRepository,
        watch: MessageWatch,
        clock: Clock,
    ) -> None:
        self._db = db
        self._rules = rules
        self._audit = audit
        self._watch = watch
        self._clock = clock

    # --- reading ---

    async def list(self, guild_id: int) -> tuple[Rule, ...]:
        """The server's rules by number."""
        return await self._rules.list(guild_id)

    async def get(self, guild_id: int, number: int) -> Rule:
        """Rule #number, or `NotFound` with a sentence for the moderator."""
        rule = await self._rules.find(guild_id, number)
        if rule is None:
            raise rule_not_found(number)
        return rule

    async def export(self, guild_id: int) -> RulesExport:
        """Every rule of the server as one YAML document (written off the event loop when large)."""
        rules = await self._rules.list(guild_id)
        if len(rules) < EXPORT_IN_THREAD_FROM_RULES:
            return RulesExport(len(rules), export_rules(rules))
        return RulesExport(len(rules), await asyncio.to_thread(export_rules, rules))

    @staticmethod
    async def parse(data: bytes) -> list[RuleDraft]:
        """An uploaded file as valid drafts, or `ImportRejected` listing every problem."""
        if len(data) < PARSE_IN_THREAD_FROM_BYTES:
            return parse_import(data)
        return await asyncio.to_thread(parse_import, data)

    # --- changing ---

    async def add(self, guild_id: int, draft: RuleDraft, *, actor_id: int) -> RuleChange:
        """Store a new rule under the server's next number, audited, and make it live."""
        now = self._clock.now()
        async with self._db.transaction():
            cleaned = plan_add(await self._rules.list(guild_id), draft)
            rule = await self._rules.insert(guild_id, cleaned, actor_id=actor_id, now=now)
            entry = added_entry(rule, actor_id, now)
            await self._audit.record(entry)
        await self._install(guild_id)
        return RuleChange(rule, entry)

    async def edit(
        self, guild_id: int, number: int, edit: DraftEdit | RuleDraft, *, actor_id: int
    ) -> RuleEdited:
        """Apply `edit` (a new draft, or a function of the stored one) to rule #number, audited.

        An edit that changes nothing writes nothing and logs nothing.
        """
        now = self._clock.now()
        async with self._db.transaction():
            existing = await self._rules.list(guild_id)
            before = find_rule(existing, number)
            draft = plan_edit(existing, before, edit if isinstance(edit, RuleDraft) else edit(before.draft))
            if draft is None:
                return RuleEdited(before, before, None)
            await self._rules.update(guild_id, number, draft, actor_id=actor_id, now=now)
            after = await self._rules.find(guild_id, number)
            assert after is not None  # updated in this very transaction
            entry = edited_entry(guild_id, number, before.draft, after.draft, actor_id, now)
            await self._audit.record(entry)
        await self._install(guild_id)
        return RuleEdited(before, after, entry)

    async def remove(self, guild_id: int, number: int, *, actor_id: int) -> RuleChange:
        """Delete rule #number (its cooldowns go with it); its number is not given out again."""
        now = self._clock.now()
        async with self._db.transaction():
            rule = await self._rules.find(guild_id, number)
            if rule is None:
                raise rule_not_found(number)
            await self._rules.delete(guild_id, number)
            entry = removed_entry(rule, actor_id, now)
            await self._audit.record(entry)
        await self._install(guild_id)
        return RuleChange(rule, entry)

    async def import_rules(
        self, guild_id: int, drafts: Sequence[RuleDraft], mode: ImportMode | str, *, actor_id: int
    ) -> RulesImported:
        """Apply a parsed file in one transaction (all of it or none of it), then make it live.

        Each rule changed gets its own audit row, in file order, then one summary row.
        """
        now = self._clock.now()
        async with self._db.transaction():
            plan = plan_import(await self._rules.list(guild_id), drafts, mode)
            for rule in plan.remove:
                await self._audit.record(removed_entry(rule, actor_id, now))
            if plan.mode is ImportMode.REPLACE:
                await self._rules.delete_all(guild_id)
            added: list[int] = []
            updated: list[int] = []
            unchanged: list[int] = []
            for step in plan.steps:
                old = step.existing
                if old is None:
                    rule = await self._rules.insert(guild_id, step.draft, actor_id=actor_id, now=now)
                    await self._audit.record(added_entry(rule, actor_id, now))
                    added.append(rule.number)
                elif step.kind is StepKind.KEEP:
                    unchanged.append(old.number)
                else:
                    await self._rules.update(guild_id, old.number, step.draft, actor_id=actor_id, now=now)
                    await self._audit.record(
                        edited_entry(guild_id, old.number, old.draft, step.draft, actor_id, now)
                    )
                    updated.append(old.number)
            report = ImportReport(plan.mode, tuple(added), tuple(updated), tuple(unchanged), len(plan.remove))
            entry = imported_entry(guild_id, report.summary, actor_id, now)
            await self._audit.record(entry)
        await self._install(guild_id)
        return RulesImported(report, entry)

    # --- ignored members ---

    async def ignored_members(self, guild_id: int) -> tuple[int, ...]:
        """The members the server's rules never answer."""
        return await self._rules.ignored_members(guild_id)

    async def ignore(self, guild_id: int, member_id: int, *, actor_id: int) -> AuditEntry | None:
        """The server's rules stop answering the member (audited); None when they already did."""
        now = self._clock.now()
        async with self._db.transaction():
            if not plan_ignore(await self._rules.ignored_members(guild_id), member_id):
                return None
            await self._rules.ignore_member(guild_id, member_id, actor_id=actor_id, now=now)
            entry = ignored_entry(guild_id, member_id, actor_id, now, ignored=True)
            await self._audit.record(entry)
        self._watch.install_ignored(guild_id, await self._rules.ignored_members(guild_id))
        return entry

    async def unignore(self, guild_id: int, member_id: int, *, actor_id: int) -> AuditEntry | None:
        """The server's rules answer the member again (audited); None when they were not ignored."""
        now = self._clock.now()
        async with self._db.transaction():
            if not await self._rules.unignore_member(guild_id, member_id):
                return None
            entry = ignored_entry(guild_id, member_id, actor_id, now, ignored=False)
            await self._audit.record(entry)
        self._watch.install_ignored(guild_id, await self._rules.ignored_members(guild_id))
        return entry

    async def _install(self, guild_id: int) -> None:
        """The stored rules become the live ones (one matcher rebuild)."""
        self._watch.install_rules(guild_id, await self._rules.list(guild_id))
