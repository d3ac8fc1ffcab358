"""The journal repository on real SQLite: storage only (numbering, multi-row inserts, sealed values,
pseudonyms, entry keys, the entry limit, day-0 dates, the key check). The rules around it are the
service's."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any

import pytest

from bot.core.journal import reminders, sealed
from bot.core.journal.crypto import JournalKeys, generate_key
from bot.core.journal.model import Cadence, EntryDraft, EntryRef, EntrySource, Phase
from bot.db.database import Database
from bot.db.repositories.journal import (
    MAX_ROWS_PER_INSERT,
    InsertedEntry,
    JournalKeyRepository,
    JournalRepository,
)

ALICE, BOB = 111_111_111_111_111_111, 222_222_222_222_222_222
WHEN = datetime(2026, 3, 2, 12, 0, 0, 123456, tzinfo=UTC)
LIMIT = 5000


@pytest.fixture
def keys() -> JournalKeys:
    return JournalKeys(generate_key().encode())


@pytest.fixture
def repository(db: Database, keys: JournalKeys) -> JournalRepository:
    return JournalRepository(db, keys)


def draft(notes: str | None = "a note", day: date = date(2026, 1, 1), **fields: Any) -> EntryDraft:
    return EntryDraft(entry_date=day, notes=notes, **fields)


async def store(repository: JournalRepository, user_id: int, entry: EntryDraft) -> InsertedEntry:
    inserted = await repository.insert_entry(repository.new_row(user_id, entry, WHEN), LIMIT)
    assert inserted is not None
    return inserted


async def ref(repository: JournalRepository, user_id: int, seq: int) -> EntryRef:
    entry = await repository.get(user_id, seq)
    assert entry is not None
    return entry.ref


async def test_each_member_counts_from_one_and_numbers_are_never_reused(
    repository: JournalRepository,
) -> None:
    assert [(await store(repository, user, draft())).seq for user in (ALICE, ALICE, BOB)] == [1, 2, 1]
    assert await repository.delete(ALICE, await ref(repository, ALICE, 2)) is not None
    assert (await store(repository, ALICE, draft())).seq == 3


async def test_a_multi_row_insert_numbers_each_member_in_the_order_given(
    repository: JournalRepository,
) -> None:
    await store(repository, ALICE, draft("before"))
    order = [ALICE, BOB, ALICE, BOB, ALICE]
    rows = [repository.new_row(user, draft(f"{user}-{i}"), WHEN) for i, user in enumerate(order)]
    inserted = await repository.insert_entries(rows, LIMIT)
    assert [row.seq if row else None for row in inserted] == [2, 1, 3, 2, 4]
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
    inserted = await repository.insert_entries(rows, LIMIT)
    assert [row.infusion_dates if row else None for row in inserted] == [
        (),
        (date(2025, 12, 1),),
        (date(2025, 12, 1),),
    ]
    later = await repository.get(ALICE, 3)
    assert later is not None and later.infusion_day == 30  # the day-0 dates were stored with them


async def test_a_multi_row_insert_with_one_bad_row_writes_nothing(repository: JournalRepository) -> None:
    good = repository.new_row(ALICE, draft(), WHEN)
    bad = replace(repository.new_row(ALICE, draft(), WHEN), entry_date="not a date")
    with pytest.raises(sqlite3.IntegrityError):
        await repository.insert_entries([good, bad], LIMIT)
    assert await repository.count(ALICE) == 0
    many = await repository.insert_entries(
        [repository.new_row(BOB, draft(), WHEN)] * MAX_ROWS_PER_INSERT, LIMIT
    )
    assert len(many) == MAX_ROWS_PER_INSERT and None not in many


async def test_no_entry_is_written_past_the_limit(repository: JournalRepository) -> None:
    """Alone or several at once, a member's adds past the limit write nothing; others' still go in."""
    for _ in range(3):
        await store(repository, ALICE, draft())
    assert await repository.insert_entry(repository.new_row(ALICE, draft(), WHEN), 3) is None
    rows = [repository.new_row(user, draft(), WHEN) for user in (BOB, ALICE, BOB, BOB)]
    results = await repository.insert_entries(rows, 2)
    assert [row.seq if row else None for row in results] == [1, None, 2, None]
    assert (await repository.count(ALICE), await repository.count(BOB)) == (3, 2)
    assert await repository.insert_entries([repository.new_row(ALICE, draft(), WHEN)] * 2, 3) == [None, None]
    assert await repository.count(ALICE) == 3


async def test_more_rows_than_one_insert_takes_are_refused_whole(repository: JournalRepository) -> None:
    rows = [repository.new_row(ALICE, draft(), WHEN)] * (MAX_ROWS_PER_INSERT + 1)
    with pytest.raises(ValueError, match="at most"):
        await repository.insert_entries(rows, LIMIT)
    assert await repository.count(ALICE) == 0


async def test_another_members_number_reads_as_nothing(repository: JournalRepository) -> None:
    await store(repository, ALICE, draft("private"))
    alices = await ref(repository, ALICE, 1)
    assert await repository.get(BOB, 1) is None
    assert await repository.update(BOB, alices, draft("overwritten"), WHEN) is False
    assert await repository.delete(BOB, alices) is None
    entry = await repository.get(ALICE, 1)
    assert entry is not None and entry.notes == "private"


async def test_a_number_with_another_key_is_not_the_same_entry(repository: JournalRepository) -> None:
    """An old button's (number, key) never edits or deletes a new entry that took the same number."""
    await store(repository, ALICE, draft("first"))
    stale = EntryRef(1, sealed.new_entry_key())
    assert await repository.update(ALICE, stale, draft("changed"), WHEN) is False
    assert await repository.delete(ALICE, stale) is None
    entry = await repository.get(ALICE, 1)
    assert entry is not None and entry.notes == "first" and entry.key != stale.key


async def test_an_update_keeps_number_key_source_and_creation_time(repository: JournalRepository) -> None:
    await store(repository, ALICE, draft("before", source=EntrySource.DM_QUICK))
    before = await repository.get(ALICE, 1)
    assert before is not None
    later = WHEN + timedelta(hours=2)
    assert await repository.update(
        ALICE, before.ref, draft("after", source=EntrySource.MODAL, feeling=8), later
    )
    entry = await repository.get(ALICE, 1)
    assert entry is not None
    assert (entry.notes, entry.feeling, entry.source, entry.key) == (
        "after",
        8,
        EntrySource.DM_QUICK,
        before.key,
    )
    assert (entry.created_at, entry.updated_at) == (WHEN, later)


async def test_day_zero_dates_follow_edits_and_deletes(
    db: Database, keys: JournalKeys, repository: JournalRepository
) -> None:
    """Infusion dates live sealed in the member row; an edit into or out of the infusion phase and
    a delete of an infusion entry move them, so "day +N" follows."""
    await store(repository, ALICE, draft("home", date(2025, 12, 31)))
    await store(repository, ALICE, draft("not yet day 0", date(2025, 12, 1)))

    async def day_of_first() -> int | None:
        entry = await repository.get(ALICE, 1)
        assert entry is not None
        return entry.infusion_day

    assert await day_of_first() is None
    second = await ref(repository, ALICE, 2)
    assert await repository.update(
        ALICE, second, draft("day 0", date(2025, 12, 1), phase=Phase.INFUSION), WHEN
    )
    assert await day_of_first() == 30
    assert await repository.update(
        ALICE, second, draft("day 0", date(2025, 12, 11), phase=Phase.INFUSION), WHEN
    )
    assert await day_of_first() == 20
    assert await repository.delete(ALICE, second) is not None
    assert await day_of_first() is None
    stored = await db.fetch_one(
        "SELECT sealed_days FROM journal_members WHERE member = ?", (keys.pseudonym(ALICE),)
    )
    assert stored is not None and stored["sealed_days"] is None  # no day-0 dates left: nothing stored


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


async def test_rows_name_members_by_pseudonym_only(
    db: Database, keys: JournalKeys, repository: JournalRepository
) -> None:
    """Members and reminders are keyed by the member's pseudonym, entries by the member row that
    holds it; no column holds the Discord id."""
    await store(repository, ALICE, draft("x", phase=Phase.INFUSION))
    await repository.save_reminder(
        reminders.new_reminder(ALICE, Cadence.DAILY, time(9, 0), reminders.FALLBACK_ZONE, None, WHEN), WHEN
    )
    pseudonym = keys.pseudonym(ALICE)
    for table in ("journal_members", "journal_reminders"):
        rows = await db.fetch_all(f"SELECT * FROM {table}")  # noqa: S608 - a fixed table name
        assert rows and all(bytes(row["member"]) == pseudonym for row in rows), table
    [member_row] = await db.fetch_all("SELECT id FROM journal_members")
    entries = await db.fetch_all("SELECT * FROM journal_entries")
    assert entries and all(row["member_id"] == member_row["id"] for row in entries)
    columns = {row["name"] for row in await db.fetch_all("PRAGMA table_info(journal_entries)")}
    assert "member" not in columns
    for table in ("journal_entries", "journal_members", "journal_reminders"):
        for row in await db.fetch_all(f"SELECT * FROM {table}"):  # noqa: S608 - a fixed table name
            assert ALICE not in tuple(row) and str(ALICE) not in tuple(row), table


async def test_the_key_evidence_is_the_canary_else_a_sealed_entry(db: Database, keys: JournalKeys) -> None:
    store_keys = JournalKeyRepository(db)
    assert not (await store_keys.evidence()).data_exists
    await store(JournalRepository(db, keys), ALICE, draft("sealed"))
    sample = await store_keys.evidence()
    assert sample.canary is None and sample.sample is not None
    assert b'"n":"sealed"' in keys.cipher.open(sample.sample, sample.sample_context)
    first, second = keys.cipher.make_canary(), keys.cipher.make_canary()
    await store_keys.store_canary(first)
    await store_keys.store_canary(second)  # an existing canary is never replaced
    assert (await store_keys.evidence()).canary == first


async def test_a_new_rows_creation_time_is_what_a_read_returns(repository: JournalRepository) -> None:
    """The add answers with the row's own creation time (not parsed back from the text): the same
    instant, in UTC, as any later read, whatever zone the clock gave it in."""
    madrid = datetime(2026, 3, 2, 13, 0, 0, 654321, tzinfo=timezone(timedelta(hours=1)))
    row = repository.new_row(ALICE, draft(), madrid)
    await repository.insert_entry(row, LIMIT)
    stored = await repository.get(ALICE, 1)
    assert stored is not None
    assert (row.created_at, row.created_at.tzinfo) == (stored.created_at, stored.created_at.tzinfo)
    assert row.created_at == madrid and row.created_at.tzinfo is UTC


async def test_an_add_for_a_member_without_a_row_makes_one(repository: JournalRepository) -> None:
    """Entries name their member's row, so an add that finds none (a member the service thought it
    knew, say after another connection's forget) makes one first, alone or in a batch."""
    alone = repository.new_row(ALICE, draft("alone"), WHEN, new_member=False)
    assert alone.member_document is None
    inserted = await repository.insert_entry(alone, LIMIT)
    assert inserted is not None and inserted.seq == 1
    batch = [repository.new_row(user, draft(f"{user}"), WHEN, new_member=False) for user in (BOB, ALICE, BOB)]
    assert [row.seq if row else None for row in await repository.insert_entries(batch, LIMIT)] == [1, 2, 2]
    assert (await repository.count(ALICE), await repository.count(BOB)) == (2, 2)
    assert [entry.notes for entry in await repository.all_entries(BOB)] == [f"{BOB}", f"{BOB}"]
