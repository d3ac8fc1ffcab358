"""What a change to a server's rules may do: add, edit, remove and import, decided without storage.

Each planner takes the server's stored rules and what the moderator asked for, and returns what
to write (or raises an `InvalidInput` whose message is written for the moderator). The service in
`bot/services/autoresponses.py` reads the rules, asks these, and writes the result with its audit
rows in one transaction, so a refused change touches nothing. The audit rows are built here too:
the mod-log reports exactly the row the database keeps.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from bot.core.audit import AuditEntry, changed_fields
from bot.core.autoresponse.rules import (
    MAX_RULES_PER_GUILD,
    AnswerKind,
    MatchMode,
    Rule,
    RuleDraft,
    check_rule_set,
    validate_draft,
)
from bot.core.autoresponse.transfer import ImportMode
from bot.errors import InvalidInput, NotFound

#: A change to one rule: a new draft, or a function of the stored one (applied inside the transaction,
#: so two edits at once both take effect).
DraftEdit = Callable[[RuleDraft], RuleDraft]

# Stands in for the responses while the rest of a draft is checked, before the form opens.
_PLACEHOLDER_RESPONSE = "-"
_PLACEHOLDER_REACTION = "👍"
MAX_IGNORED_MEMBERS = 1_000


class RuleAction(StrEnum):
    """The audit log's (and the mod-log's) name for each kind of change."""

    ADD = "autoresponse.add"
    EDIT = "autoresponse.edit"
    REMOVE = "autoresponse.remove"
    IMPORT = "autoresponse.import"
    IGNORE = "autoresponse.ignore"
    UNIGNORE = "autoresponse.unignore"


# --- reading ---


def find_rule(rules: Iterable[Rule], number: int) -> Rule:
    """Rule #number among a server's rules, or `NotFound` saying so."""
    for rule in rules:
        if rule.number == number:
            return rule
    raise rule_not_found(number)


def rule_not_found(number: int) -> NotFound:
    return NotFound(f"There is no auto-response #{number} on this server.")


def filter_rules(
    rules: Iterable[Rule],
    *,
    channel_id: int | None = None,
    mode: MatchMode | None = None,
    disabled: bool | None = None,
) -> tuple[Rule, ...]:
    """The rules `/autoresponse list` shows: those that may answer in a channel (scoped to it, or to
    every channel), that have a trigger in a mode, and that are switched off (or on)."""
    return tuple(
        rule
        for rule in rules
        if (channel_id is None or not rule.channel_ids or channel_id in rule.channel_ids)
        and (mode is None or any(trigger.mode is mode for trigger in rule.triggers))
        and (disabled is None or rule.enabled is not disabled)
    )


def rule_target(number: int) -> str:
    """How the audit log and the mod-log name a rule."""
    return f"#{number}"


# --- one rule ---


def check_before_response(draft: RuleDraft) -> None:
    """Refuse a bad trigger, mode or scope before the moderator writes the responses in a form."""
    stand_in = _PLACEHOLDER_REACTION if draft.kind is AnswerKind.REACTION else _PLACEHOLDER_RESPONSE
    validate_draft(draft.with_responses([stand_in]))


def plan_add(existing: Sequence[Rule], draft: RuleDraft) -> RuleDraft:
    """The draft as it will be stored next to `existing`, or why it may not be."""
    cleaned = validate_draft(draft)
    if len(existing) >= MAX_RULES_PER_GUILD:
        raise InvalidInput(
            f"This server already has {MAX_RULES_PER_GUILD} auto-responses, the most it may have. "
            "Remove one first."
        )
    refuse_duplicate(existing, cleaned)
    check_rule_set([*(rule.draft for rule in existing), cleaned])
    return cleaned


def plan_edit(existing: Sequence[Rule], before: Rule, wanted: RuleDraft) -> RuleDraft | None:
    """The draft that replaces `before`'s, None when the edit changes nothing, or why it may not."""
    draft = validate_draft(wanted)
    if draft == before.draft:
        return None
    others = [rule for rule in existing if rule.number != before.number]
    refuse_duplicate(others, draft)
    check_rule_set([*(rule.draft for rule in others), draft])
    return draft


def refuse_duplicate(existing: Iterable[Rule], draft: RuleDraft) -> None:
    """Two rules sharing a trigger would answer the same messages: point to the one to edit instead."""
    wanted = set(draft.keys)
    for rule in existing:
        for key, trigger in zip(rule.draft.keys, rule.draft.triggers, strict=True):
            if key in wanted:
                raise InvalidInput(
                    f"Auto-response #{rule.number} already answers “{trigger.text}” in {trigger.mode.value} "
                    "mode; edit that one instead."
                )


# --- imports ---


class StepKind(StrEnum):
    """What an imported rule does to the server's list."""

    ADD = "add"
    UPDATE = "update"
    KEEP = "keep"


@dataclass(frozen=True, slots=True)
class ImportStep:
    """One rule of the file and the stored rule with the same trigger and mode, if any."""

    draft: RuleDraft
    existing: Rule | None = None

    @property
    def kind(self) -> StepKind:
        if self.existing is None:
            return StepKind.ADD
        return StepKind.KEEP if self.existing.draft == self.draft else StepKind.UPDATE


@dataclass(frozen=True, slots=True)
class ImportPlan:
    """An import worked out: the rules removed first, then each rule of the file in file order."""

    mode: ImportMode
    remove: tuple[Rule, ...]
    steps: tuple[ImportStep, ...]

    def _of(self, kind: StepKind) -> tuple[ImportStep, ...]:
        return tuple(step for step in self.steps if step.kind is kind)

    @property
    def add(self) -> tuple[RuleDraft, ...]:
        return tuple(step.draft for step in self._of(StepKind.ADD))

    @property
    def update(self) -> tuple[tuple[Rule, RuleDraft], ...]:
        """(stored rule, its new draft) pairs."""
        return tuple((step.existing, step.draft) for step in self._of(StepKind.UPDATE) if step.existing)

    @property
    def keep(self) -> tuple[Rule, ...]:
        return tuple(step.existing for step in self._of(StepKind.KEEP) if step.existing)


def plan_import(existing: Sequence[Rule], drafts: Sequence[RuleDraft], mode: ImportMode | str) -> ImportPlan:
    """What an import does to a server's rules, or `InvalidInput` when it may not happen at all.

    `merge`: a rule whose main trigger and mode are a stored rule's updates it (keeping its number
    and hits); the others are added; no two rules may then share a trigger. `replace`: every stored
    rule is removed and the file's rules are added in file order, under new numbers (a number is
    never given out twice, so an old reference to #3 cannot reach a different rule).
    """
    mode = ImportMode(mode)
    cleaned = [validate_draft(draft) for draft in drafts]
    keys = [key for draft in cleaned for key in draft.keys]
    if len(set(keys)) != len(keys):
        raise InvalidInput("The import holds two rules with the same trigger and mode.")
    if mode is ImportMode.REPLACE:
        if len(cleaned) > MAX_RULES_PER_GUILD:
            raise InvalidInput(
                f"An import may hold at most {MAX_RULES_PER_GUILD} rules. Nothing was imported."
            )
        check_rule_set(cleaned)
        return ImportPlan(mode, tuple(existing), tuple(ImportStep(draft) for draft in cleaned))
    by_key = {rule.draft.key: rule for rule in existing}
    total = len(existing) + sum(1 for draft in cleaned if draft.key not in by_key)
    if total > MAX_RULES_PER_GUILD:
        raise InvalidInput(
            f"After this import the server would have {total} auto-responses; "
            f"the limit is {MAX_RULES_PER_GUILD}. Nothing was imported."
        )
    final = {rule.draft.key: rule.draft for rule in existing}
    final.update({draft.key: draft for draft in cleaned})
    _refuse_shared_triggers(final.values())
    check_rule_set(final.values())
    return ImportPlan(mode, (), tuple(ImportStep(draft, by_key.get(draft.key)) for draft in cleaned))


def _refuse_shared_triggers(drafts: Iterable[RuleDraft]) -> None:
    """After a merge no two rules may share a trigger (the file's and the server's rules together)."""
    owner: dict[tuple[Any, str], RuleDraft] = {}
    for draft in drafts:
        for key, trigger in zip(draft.keys, draft.triggers, strict=True):
            other = owner.setdefault(key, draft)
            if other is not draft:
                raise InvalidInput(
                    f"After this import two rules would answer “{trigger.text}” in {trigger.mode.value} mode "
                    f"(the rules for “{other.trigger}” and “{draft.trigger}”). Nothing was imported."
                )


# --- ignored members ---


def plan_ignore(ignored: Collection[int], member_id: int) -> bool:
    """Whether ignoring the member changes anything (False: already ignored), or why it may not."""
    if member_id in ignored:
        return False
    if len(ignored) >= MAX_IGNORED_MEMBERS:
        raise InvalidInput(
            f"Auto-responses already ignore {MAX_IGNORED_MEMBERS:,} members here, the most they may. "
            "Unignore someone first."
        )
    return True


def ignored_entry(
    guild_id: int, member_id: int, actor_id: int, now: datetime, *, ignored: bool
) -> AuditEntry:
    """The audit row of `/autoresponse ignore` (or `unignore`, with `ignored=False`)."""
    action = RuleAction.IGNORE if ignored else RuleAction.UNIGNORE
    view = {"member": f"<@{member_id}>"}
    before, after = (None, view) if ignored else (view, None)
    return AuditEntry(guild_id, actor_id, action.value, None, before, after, now)


@dataclass(frozen=True, slots=True)
class ImportSummary:
    """How many rules an import added, updated, left unchanged and removed: the one summary the
    audit row, the mod-log report and the moderator's reply all show."""

    mode: ImportMode
    added: int
    updated: int
    unchanged: int
    removed: int

    def audit_view(self) -> dict[str, Any]:
        return {
            "mode": self.mode.value,
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "removed": self.removed,
        }

    def tally(self) -> str:
        """`2 added, 1 updated, 0 unchanged` (and `, 3 removed first` for a replace)."""
        parts = [f"{self.added} added", f"{self.updated} updated", f"{self.unchanged} unchanged"]
        if self.mode is ImportMode.REPLACE:
            parts.append(f"{self.removed} removed first")
        return ", ".join(parts)


@dataclass(frozen=True, slots=True)
class ImportReport:
    """What an import did, by rule number (numbers as they are after the import)."""

    mode: ImportMode
    added: tuple[int, ...]
    updated: tuple[int, ...]
    unchanged: tuple[int, ...]
    removed: int

    @property
    def summary(self) -> ImportSummary:
        return ImportSummary(self.mode, len(self.added), len(self.updated), len(self.unchanged), self.removed)


# --- audit rows ---


def added_entry(rule: Rule, actor_id: int, now: datetime) -> AuditEntry:
    return AuditEntry(
        rule.guild_id, actor_id, RuleAction.ADD.value, rule_target(rule.number), None, rule.audit_view(), now
    )


def edited_entry(
    guild_id: int, number: int, before: RuleDraft, after: RuleDraft, actor_id: int, now: datetime
) -> AuditEntry:
    """Only the fields that changed, so the log reads as a diff."""
    old, new = changed_fields(before.audit_view(), after.audit_view())
    return AuditEntry(guild_id, actor_id, RuleAction.EDIT.value, rule_target(number), old, new, now)


def removed_entry(rule: Rule, actor_id: int, now: datetime) -> AuditEntry:
    return AuditEntry(
        rule.guild_id,
        actor_id,
        RuleAction.REMOVE.value,
        rule_target(rule.number),
        rule.audit_view(),
        None,
        now,
    )


def imported_entry(guild_id: int, summary: ImportSummary, actor_id: int, now: datetime) -> AuditEntry:
    return AuditEntry(
        guild_id, actor_id, RuleAction.IMPORT.value, summary.mode.value, None, summary.audit_view(), now
    )
