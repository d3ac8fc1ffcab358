"""`/journal import`: a member's own export back into their journal (after `forget`, or on another
server running this bot), checked whole and taken all or nothing.

The file is the export's zip, or the JSON inside it (version 1 or 2). Every entry is checked by the
same rules as a new one (`rules.check_draft`), against the member's own today; one problem anywhere
refuses the whole file, naming up to `MAX_PROBLEMS_SHOWN` of them. An entry already in the journal
(same date, same content, written at the same moment) is a duplicate and is left out, so importing a
file twice changes nothing. Entries keep their numbers, the time they were written and changed, and
how they arrived, so an export of the restored journal matches the file; a number already used by
another entry goes to the new entry after the highest number in use. Pure: the parsing runs in the
journal's worker process, the writing in one transaction in the repository.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.core.journal import rules
from bot.core.journal.export import ExportFormatError, entries_from_json, read_export_part
from bot.core.journal.model import EntryDraft, JournalEntry
from bot.errors import InvalidInput

#: Larger than any export of a full journal (5,000 entries of 4,000-character notes zip to ~10 MB).
MAX_IMPORT_BYTES = 25 * 1024 * 1024
MAX_PROBLEMS_SHOWN = 10
#: Far above any entry number a journal reaches; a larger one would leave no room for the next.
MAX_ENTRY_NUMBER = 1_000_000_000
NOT_AN_EXPORT = (
    "That file is not a journal export I can read. Please attach the zip file (or the .json file "
    "inside it) that `/journal export` sent you, unchanged. Nothing was imported."
)


@dataclass(frozen=True, slots=True)
class ImportedEntry:
    """One entry of the file, checked: its number, what it holds, when it was written and changed."""

    seq: int
    draft: EntryDraft
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class ImportPlan:
    """What an import writes (each entry with the number it gets), and what it leaves out."""

    entries: tuple[ImportedEntry, ...]
    duplicates: int
    renumbered: int

    def describe(self) -> str:
        """The answer for the member."""
        new = len(self.entries)
        if not new:
            return (
                f"Every entry in that file ({self.duplicates:,}) is already in your journal, so nothing "
                "needed importing."
            )
        parts = [f"Imported {new:,} {'entry' if new == 1 else 'entries'} into your journal."]
        if self.duplicates:
            were = "was" if self.duplicates == 1 else "were"
            parts.append(f"{self.duplicates:,} {were} already there and stayed as they are.")
        if self.renumbered:
            numbers = "a new number" if self.renumbered == 1 else "new numbers"
            parts.append(
                f"{self.renumbered:,} got {numbers} after your highest, because another entry "
                "already had theirs."
            )
        return " ".join(parts)


def read_import(data: bytes, day: rules.MemberDay) -> list[ImportedEntry]:
    """The file's entries, every one checked; `InvalidInput` naming the problems when any is wrong."""
    try:
        document = read_export_part(data)[0] if zipfile.is_zipfile(io.BytesIO(data)) else data
        entries = entries_from_json(document, user_id=0)
    except ExportFormatError:
        raise InvalidInput(NOT_AN_EXPORT) from None
    if not entries:
        raise InvalidInput(
            "That export holds no entries, so there was nothing to import. Nothing was changed."
        )
    problems: list[str] = []
    seen: set[int] = set()
    imported: list[ImportedEntry] = []
    for entry in entries:
        if not 1 <= entry.seq <= MAX_ENTRY_NUMBER or entry.seq in seen:
            problems.append(
                f"Entry #{entry.seq}: the number is used twice in the file, or is not a number from 1 to "
                f"{MAX_ENTRY_NUMBER:,}."
            )
            continue
        seen.add(entry.seq)
        try:
            draft = rules.check_draft(entry.to_draft(), day)
        except InvalidInput as error:
            problems.append(f"Entry #{entry.seq}: {error.message.removesuffix(' Nothing was saved.')}")
            continue
        if entry.updated_at < entry.created_at:
            problems.append(f"Entry #{entry.seq}: it was changed before it was written.")
            continue
        imported.append(ImportedEntry(entry.seq, draft, entry.created_at, entry.updated_at))
    if problems:
        shown = problems[:MAX_PROBLEMS_SHOWN]
        more = len(problems) - len(shown)
        raise InvalidInput(
            "I can't import that file: some entries in it need fixing first.\n"
            + "\n".join(f"- {problem}" for problem in shown)
            + (f"\n- … and {more} more." if more else "")
            + "\nNothing was imported."
        )
    return imported


def plan_import(
    incoming: Sequence[ImportedEntry], existing: Sequence[JournalEntry], last_seq: int, limit: int
) -> ImportPlan:
    """Which entries go in and under which numbers; `InvalidInput` when they would not fit `limit`."""
    known = {_identity(entry.to_draft(), entry.created_at) for entry in existing}
    used = {entry.seq for entry in existing}
    fresh: list[ImportedEntry] = []
    duplicates = 0
    for entry in incoming:
        identity = _identity(entry.draft, entry.created_at)
        if identity in known:
            duplicates += 1
            continue
        known.add(identity)
        fresh.append(entry)
    if len(existing) + len(fresh) > limit:
        raise InvalidInput(
            f"That file holds {len(fresh):,} entries that are not in your journal yet, and your journal "
            f"holds {len(existing):,}: together more than the {limit:,} a journal keeps. Nothing was "
            "imported. You could delete a few entries first, or import into an empty journal."
        )
    kept = [entry for entry in fresh if entry.seq not in used]
    taken = used | {entry.seq for entry in kept}
    following = max([last_seq, *taken], default=0)
    placed: list[ImportedEntry] = []
    renumbered = 0
    kept_ids = {id(entry) for entry in kept}
    for entry in fresh:
        if id(entry) in kept_ids:
            placed.append(entry)
        else:
            following += 1
            renumbered += 1
            placed.append(ImportedEntry(following, entry.draft, entry.created_at, entry.updated_at))
    return ImportPlan(tuple(placed), duplicates, renumbered)


def _identity(draft: EntryDraft, created_at: datetime) -> tuple[EntryDraft, datetime]:
    """What makes two entries the same: everything written in them, and when they were written."""
    return draft, created_at
