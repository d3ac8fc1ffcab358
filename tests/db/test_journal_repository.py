"""The journal repository on real SQLite: storage only (numbering, multi-row inserts, sealed text, the
key check). The rules around it are the service's; its CHECK constraints are tied to the enums in
tests/db/test_schema_matches_enums.py."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest

from bot.core.journal import reminders
from bot.core.journal.crypto import JournalCipher, generate_key
from bot.core.journal.model import (
    Cadence,
    EntryDraft,
    EntrySource,
    Phase,
)
from bot.db.database import Database
from bot.db.repositories.journal import (
    MAX_ROWS_PER_INSERT,
    InsertedEntry,
    JournalKeyRepository,
    JournalRepository,
)

ALICE, BOB = 111_111_111_111_111_111, 222_222_222_222_222_222
WHEN = datetime(2026, 3, 2, 12, 0, 0, 123456, tzinfo=UTC)


@pytest.fixture
def repository(db: Database) -> JournalRepository:
    return JournalRepository(db, JournalCipher(generate_key().encode()))


def draft(notes: str | None = "a note", day: date = date(2026, 1, 1), **fields: Any) -> EntryDraft:
    return EntryDraft(entry_date=day, notes=notes, **fields)


async def store(repository: JournalRepository, user_id: int, entry: EntryDraft) -> InsertedEntry:
    return await repository.insert_entry(repository.new_row(user_id, entry, WHEN))


async def test_each_member_counts_from_one_and_numbers_are_never_reused(
    repository: JournalRepository,
) -> None:
    assert [(await store(repository, user, draft())).seq for user in (ALICE, ALICE, BOB)] == [1, 2, 1]
    assert await repository.delete(ALICE, 2) is not None
    assert (await store(repository, ALICE, draft())).seq == 3


async def test_a_multi_row_insert_numbers_each_member_in_the_order_given(
    repository: JournalRepository,
) -> None:
    await store(repository, ALICE, draft("before"))
    order = [ALICE, BOB, ALICE, BOB, ALICE]
    rows = [repository.new_row(user, draft(f"{user}-{i}"), WHEN) for i, user in enumerate(order)]
    inserted = await repository.insert_entries(rows)
    assert sorted((row.user_id, row.seq) for row in inserted) == [
        (ALICE, 2),
        (ALICE, 3),
        (ALICE, 4),
        (BOB, 1),
        (BOB, 2),
    ]
    assert [entry.notes for entry in await repository.all_entries(ALICE)] == [
        "before",
        f"{ALICE}-0",
        f"{ALICE}-2",
        f"{ALICE}-4",
    ]
    first = await repository.get(BOB, 1)
    assert first is not None and (first.notes, first.created_at) == (f"{BOB}-1", WHEN)


async def test_each_row_of_a_multi_row_insert_sees_the_infusions_before_it(
    repository: JournalRepository,
) -> None:
    rows = [
        repository.new_row(ALICE, draft("home", date(2025, 11, 1)), WHEN),
        repository.new_row(ALICE, draft("day zero", date(2025, 12, 1), phase=Phase.INFUSION), WHEN),
        repository.new_row(ALICE, draft("later", date(2025, 12, 31)), WHEN),
    ]
    inserted = sorted(await repository.insert_entries(rows), key=lambda row: row.seq)
    assert [row.infusion_dates for row in inserted] == [(), (date(2025, 12, 1),), (date(2025, 12, 1),)]


async def test_a_multi_row_insert_with_one_bad_row_writes_nothing(repository: JournalRepository) -> None:
    rows = [repository.new_row(ALICE, draft(), WHEN), repository.new_row(ALICE, draft(feeling=11), WHEN)]
    with pytest.raises(sqlite3.IntegrityError):
        await repository.insert_entries(rows)
    assert await repository.count(ALICE) == 0
    assert len(
        await repository.insert_entries([repository.new_row(BOB, draft(), WHEN)] * MAX_ROWS_PER_INSERT)
    ) == (MAX_ROWS_PER_INSERT)


async def test_another_members_number_reads_as_nothing(repository: JournalRepository) -> None:
    await store(repository, ALICE, draft("private"))
    assert await repository.get(BOB, 1) is None
    assert await repository.update(BOB, 1, draft("overwritten"), WHEN) is False
    assert await repository.delete(BOB, 1) is None
    entry = await repository.get(ALICE, 1)
    assert entry is not None and entry.notes == "private"


async def test_an_update_keeps_number_source_and_creation_time(repository: JournalRepository) -> None:
    await store(repository, ALICE, draft("before", source=EntrySource.DM_QUICK))
    later = WHEN + timedelta(hours=2)
    assert await repository.update(ALICE, 1, draft("after", source=EntrySource.MODAL, feeling=8), later)
    entry = await repository.get(ALICE, 1)
    assert entry is not None
    assert (entry.notes, entry.feeling, entry.source) == ("after", 8, EntrySource.DM_QUICK)
    assert (entry.created_at, entry.updated_at) == (WHEN, later)


async def test_a_page_past_the_end_is_empty_but_knows_the_total(repository: JournalRepository) -> None:
    for day in range(1, 4):
        await store(repository, ALICE, draft(f"day {day}", date(2026, 1, day)))
    entries, total = await repository.entry_page(ALICE, 2, 0)
    assert ([e.entry_date.day for e in entries], total) == ([3, 2], 3)
    assert await repository.entry_page(ALICE, 2, 4) == ([], 3)
    assert await repository.entry_page(BOB, 2, 0) == ([], 0)


async def test_a_reminder_moves_only_if_it_is_still_the_one_that_was_due(
    repository: JournalRepository,
) -> None:
    due = reminders.new_reminder(ALICE, Cadence.DAILY, time(9, 0), reminders.FALLBACK_ZONE, None, WHEN)
    await repository.save_reminder(due, WHEN)
    assert await repository.get_reminder(ALICE) == due
    sent_at = due.next_due_at + timedelta(minutes=1)
    moved = reminders.handled(due, sent_at, sent=True)
    assert await repository.move_reminder(due, moved, sent_at)
    assert await repository.get_reminder(ALICE) == moved
    assert not await repository.move_reminder(due, moved, sent_at)  # already moved on: nothing written
    assert await repository.due_reminders(moved.next_due_at) == [moved]


async def test_the_key_evidence_is_the_canary_else_a_sealed_entry(db: Database) -> None:
    keys = JournalKeyRepository(db)
    assert not (await keys.evidence()).data_exists
    cipher = JournalCipher(generate_key().encode())
    await store(JournalRepository(db, cipher), ALICE, draft("sealed"))
    sample = await keys.evidence()
    assert sample.canary is None and sample.sample is not None
    assert cipher.open(sample.sample, sample.sample_context) == '{"notes":"sealed"}'
    first, second = cipher.make_canary(), cipher.make_canary()
    await keys.store_canary(first)
    await keys.store_canary(second)  # an existing canary is never replaced
    assert (await keys.evidence()).canary == first
