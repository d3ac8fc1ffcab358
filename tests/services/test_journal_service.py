"""The journal service on real SQLite: numbering, the group-commit writer, isolation, sealing at
rest, entry keys, limits, forget (and what it leaves on disk), reminders, keys."""

from __future__ import annotations

import asyncio
import sqlite3
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from journal_factory import TYPED_DETAILS

from bot.core.clock import FakeClock
from bot.core.journal import rules
from bot.core.journal.crypto import JournalKeyError, JournalKeys, default_key_path, generate_key
from bot.core.journal.drafts import EntryForm, EntryOptions, TypedEntryForm
from bot.core.journal.model import (
    RATINGS,
    Cadence,
    EntryDraft,
    EntryKind,
    EntryRef,
    EntrySource,
    ForgottenItems,
    Phase,
    Therapy,
)
from bot.db.database import Database, open_database
from bot.db.migrate import apply_migrations
from bot.db.repositories.journal import MEMBER_TABLES, JournalRepository, NewEntryRow
from bot.errors import InvalidInput, NotFound
from bot.services.journal import JournalService, JournalWriterStopped, load_journal_keys

ALICE, BOB = 111_111_111_111_111_111, 222_222_222_222_222_222
SECRET_NOTE = "Felt the ZEBRA-PLAINTEXT-MARKER tingling in my left foot today"
SECRET_SIDE_EFFECT = "QUOKKA-SIDE-EFFECT hair loss"
SECRET_THERAPY = "WOMBAT-THERAPY trial drug"


def service(db: Database, keys: JournalKeys, clock: FakeClock) -> JournalService:
    return JournalService(JournalRepository(db, keys), clock)


@pytest.fixture
async def keys(db: Database) -> JournalKeys:
    """The journal keys, from a key file created beside the test database."""
    return await load_journal_keys(db, "", default_key_path(db.path))


@pytest.fixture
async def journal(db: Database, keys: JournalKeys, clock: FakeClock) -> JournalService:
    return service(db, keys, clock)


def note(text: str = "a short note", day: date = date(2026, 1, 1), **fields: Any) -> EntryDraft:
    return EntryDraft(entry_date=day, notes=text, **fields)


async def test_entries_are_numbered_per_member(journal: JournalService) -> None:
    """Each member counts from #1, independently of everyone else."""
    first = await journal.add(ALICE, note("a1"))
    second = await journal.add(ALICE, note("a2"))
    other = await journal.add(BOB, note("b1"))
    assert (first.seq, second.seq, other.seq) == (1, 2, 1)


async def test_numbers_are_never_reused_after_a_delete(journal: JournalService) -> None:
    """Deleting the newest entry must not hand its number to the next one (old Undo buttons)."""
    await journal.add(ALICE, note("one"))
    two = await journal.add(ALICE, note("two"))
    await journal.delete(ALICE, two.ref)
    assert (await journal.add(ALICE, note("three"))).seq == 3


async def test_concurrent_adds_get_distinct_numbers(journal: JournalService) -> None:
    entries = await asyncio.gather(*(journal.add(ALICE, note(f"n{i}")) for i in range(30)))
    assert sorted(e.seq for e in entries) == list(range(1, 31))


@pytest.fixture
def batch_sizes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Sizes of the multi-row inserts the writer sends, so a test can prove it batched."""
    sizes: list[int] = []
    original = JournalRepository.insert_entries

    async def spy(repository: JournalRepository, rows: list[NewEntryRow], limit: int) -> Any:
        sizes.append(len(rows))
        return await original(repository, rows, limit)

    monkeypatch.setattr(JournalRepository, "insert_entries", spy)
    return sizes


async def test_concurrent_adds_from_many_members_are_numbered_gap_free(
    journal: JournalService, batch_sizes: list[int]
) -> None:
    """Batched adds: every member counts 1..n in the order they asked, each caller gets its own entry."""
    members = [1000 + index for index in range(7)]
    calls = [(member, round_) for round_ in range(6) for member in members] + [(ALICE, i) for i in range(20)]
    await journal.add(ALICE, note("first, alone"))
    entries = await asyncio.gather(*(journal.add(user, note(f"{user}-{i}")) for user, i in calls))

    assert max(batch_sizes) > 1, "the adds should have gone in together"
    for (user, i), entry in zip(calls, entries, strict=True):
        assert (entry.user_id, entry.notes) == (user, f"{user}-{i}")
        assert await journal.get(user, entry.seq) == entry
    for member in members:
        mine = [entry.seq for (user, _), entry in zip(calls, entries, strict=True) if user == member]
        assert mine == list(range(1, 7))  # gap-free, in the order the adds were made
    assert [e.seq for (user, _), e in zip(calls, entries, strict=True) if user == ALICE] == list(range(2, 22))
    assert (await journal.add(ALICE, note("after the batch"))).seq == 22


async def test_batched_add_sees_infusions_queued_before_it(journal: JournalService) -> None:
    infusion, later = await asyncio.gather(
        journal.add(ALICE, note("day zero", date(2025, 12, 1), phase=Phase.INFUSION)),
        journal.add(ALICE, note("home", date(2025, 12, 31))),
    )
    assert (infusion.infusion_day, later.infusion_day) == (0, 30)
    assert await journal.get(ALICE, later.seq) == later


async def test_a_failing_add_in_a_batch_loses_no_other_entry(
    journal: JournalService, monkeypatch: pytest.MonkeyPatch, batch_sizes: list[int]
) -> None:
    """A row the database refuses fails alone; the rest are stored and numbering has no gap."""
    new_row = JournalRepository.new_row

    def broken_for_bad_notes(
        repository: JournalRepository, user_id: int, draft: EntryDraft, *a: Any, **k: Any
    ):
        row = new_row(repository, user_id, draft, *a, **k)
        return replace(row, entry_date="not a date") if draft.notes == "bad" else row  # the CHECK refuses it

    monkeypatch.setattr(JournalRepository, "new_row", broken_for_bad_notes)
    drafts = [(ALICE, note("a1")), (BOB, note("b1")), (ALICE, note("bad"))]
    drafts += [(ALICE, note("a2")), (BOB, note("b2"))]
    results = await asyncio.gather(
        *(journal.add(user, draft) for user, draft in drafts), return_exceptions=True
    )

    assert batch_sizes == [5]
    assert isinstance(results[2], sqlite3.IntegrityError)
    stored = [result for result in results if not isinstance(result, BaseException)]
    assert [(e.user_id, e.seq, e.notes) for e in stored] == [
        (ALICE, 1, "a1"),
        (BOB, 1, "b1"),
        (ALICE, 2, "a2"),
        (BOB, 2, "b2"),
    ]
    assert [e.notes for e in await journal.all_entries(ALICE)] == ["a1", "a2"]
    assert (await journal.add(ALICE, note("a3"))).seq == 3


async def test_an_add_cancelled_while_queued_is_not_written(journal: JournalService) -> None:
    first = asyncio.create_task(journal.add(ALICE, note("written")))
    await asyncio.sleep(0)  # the writer now holds the first add; the next one waits in the queue
    queued = asyncio.create_task(journal.add(ALICE, note("cancelled")))
    await asyncio.sleep(0)
    queued.cancel()
    assert (await first).seq == 1
    with pytest.raises(asyncio.CancelledError):
        await queued
    assert [e.notes for e in await journal.all_entries(ALICE)] == ["written"]
    assert (await journal.add(ALICE, note("next"))).seq == 2


async def test_add_then_get_round_trips_every_field(journal: JournalService, clock: FakeClock) -> None:
    draft = EntryDraft(
        entry_date=date(2025, 12, 30),
        kind=EntryKind.CHECKIN,
        source=EntrySource.MODAL,
        therapy=Therapy.OTHER,
        therapy_other="  rituximab  ",
        phase=Phase.RECOVERY,
        feeling=7,
        fatigue=5,
        mobility=3,
        pain=0,
        cognition=2,
        mood=4,
        side_effects="mild fever",
        notes="line one\r\nline two",
    )
    added = await journal.add(ALICE, draft)
    fetched = await journal.get(ALICE, added.seq)
    assert fetched == added
    assert fetched.therapy_other == "rituximab"
    assert fetched.notes == "line one\nline two"
    assert fetched.created_at == clock.now()


async def test_only_the_date_is_required(journal: JournalService) -> None:
    entry = await journal.add(ALICE, EntryDraft(entry_date=date(2026, 1, 1)))
    assert entry.notes is None and entry.feeling is None and entry.kind is EntryKind.NOTE


async def test_list_page_is_newest_first_with_total(journal: JournalService) -> None:
    for day in range(1, 13):
        await journal.add(ALICE, note(f"day {day}", date(2025, 12, day)))
    await journal.add(BOB, note("bob"))
    first = await journal.list_page(ALICE, 1, 5)
    assert [e.entry_date.day for e in first.entries] == [12, 11, 10, 9, 8]
    assert (first.total, first.pages, first.has_next, first.has_previous) == (12, 3, True, False)
    last = await journal.list_page(ALICE, 3, 5)
    assert [e.entry_date.day for e in last.entries] == [2, 1]


async def test_list_page_past_the_end_shows_the_last_page(journal: JournalService) -> None:
    for i in range(3):
        await journal.add(ALICE, note(f"{i}"))
    page = await journal.list_page(ALICE, 9, 2)
    assert page.page == 2 and len(page.entries) == 1


async def test_empty_journal_lists_nothing(journal: JournalService) -> None:
    page = await journal.list_page(ALICE)
    assert page.entries == () and page.total == 0 and page.pages == 1


async def test_member_isolation(journal: JournalService) -> None:
    """B asking for A's #1 hears 'no entry #1' on view, edit and delete, and A's entry is untouched."""
    original = await journal.add(ALICE, note(SECRET_NOTE))
    with pytest.raises(NotFound, match="no entry #1"):
        await journal.get(BOB, 1)
    for attempt in (
        journal.update(BOB, original.ref, note("overwritten by bob")),
        journal.delete(BOB, original.ref),
    ):
        with pytest.raises(NotFound, match="no longer exists"):
            await attempt
    assert await journal.get(ALICE, 1) == original
    assert (await journal.list_page(BOB)).total == 0
    assert await journal.all_entries(BOB) == []


async def test_update_changes_fields_keeps_number_and_creation(
    journal: JournalService, clock: FakeClock
) -> None:
    added = await journal.add(ALICE, note("before", feeling=3))
    clock.advance(hours=1)
    updated = await journal.update(ALICE, added.ref, replace(added.to_draft(), notes="after", feeling=8))
    assert (updated.seq, updated.notes, updated.feeling) == (1, "after", 8)
    assert updated.created_at == added.created_at
    assert updated.updated_at == added.updated_at + timedelta(hours=1)
    assert updated.source is added.source


async def test_unknown_number_changes_nothing(journal: JournalService) -> None:
    kept = await journal.add(ALICE, note("keep"))
    with pytest.raises(NotFound, match="no entry #7"):
        await journal.get(ALICE, 7)
    for attempt in (
        journal.update(ALICE, EntryRef(7, kept.key), note("x")),
        journal.delete(ALICE, EntryRef(7, kept.key)),
    ):
        with pytest.raises(NotFound, match="#7 no longer exists"):
            await attempt
    assert [e.notes for e in await journal.all_entries(ALICE)] == ["keep"]


async def test_invalid_draft_is_refused_and_nothing_saved(journal: JournalService, clock: FakeClock) -> None:
    future = clock.now().date() + timedelta(days=5)
    with pytest.raises(InvalidInput, match="Nothing was saved"):
        await journal.add(ALICE, note("x" * 4001, feeling=11, day=future))
    assert await journal.count(ALICE) == 0


async def test_delete_returns_the_entry_and_removes_it(journal: JournalService) -> None:
    added = await journal.add(ALICE, note("gone"))
    deleted = await journal.delete(ALICE, added.ref)
    assert deleted.notes == "gone" and deleted.key == added.key
    with pytest.raises(NotFound):
        await journal.get(ALICE, 1)


async def test_infusion_day_is_derived_from_the_infusion_entry(journal: JournalService) -> None:
    before = await journal.add(ALICE, note("conditioning", date(2025, 11, 28), phase=Phase.CONDITIONING))
    assert before.infusion_day is None  # no infusion recorded yet
    infusion = await journal.add(ALICE, note("day zero", date(2025, 12, 1), phase=Phase.INFUSION))
    later = await journal.add(ALICE, note("home", date(2025, 12, 31)))
    assert infusion.infusion_day == 0
    assert later.infusion_day == 30 and later.day_label == "day +30"
    assert (await journal.get(ALICE, before.seq)).day_label == "day -3"
    assert (await journal.add(BOB, note("bob", date(2025, 12, 31)))).infusion_day is None


async def test_summary_and_rating_points(journal: JournalService) -> None:
    await journal.add(ALICE, note("a", date(2025, 11, 3), feeling=4, fatigue=8))
    await journal.add(ALICE, note("b", date(2025, 11, 20), feeling=6))
    await journal.add(ALICE, note("c", date(2025, 12, 1), kind=EntryKind.RELAPSE))
    summary = await journal.summary(ALICE)
    assert summary.total == 3 and summary.relapses == 1
    assert (summary.first_date, summary.last_date) == (date(2025, 11, 3), date(2025, 12, 1))
    assert summary.months[0].averages["feeling"] == 5.0
    assert summary.months[1].averages["feeling"] is None


async def test_database_file_holds_no_journal_text(db: Database, journal: JournalService) -> None:
    """Read the raw bytes of the database and its -wal/-shm: no note, side effect or therapy text."""
    for user in (ALICE, BOB):
        await journal.add(
            user,
            EntryDraft(
                entry_date=date(2026, 1, 1),
                therapy=Therapy.OTHER,
                therapy_other=SECRET_THERAPY,
                side_effects=SECRET_SIDE_EFFECT,
                notes=SECRET_NOTE,
            ),
        )
    await journal.update(ALICE, (await journal.get(ALICE, 1)).ref, note(SECRET_NOTE + " edited"))
    raw, files_read = _raw_database_bytes(db.path)
    assert files_read == ["", "-wal", "-shm"], "the test should cover the write-ahead log too"
    for secret in (SECRET_NOTE, SECRET_SIDE_EFFECT, SECRET_THERAPY):
        for marker in (secret, secret.split()[0] if " " in secret else secret):
            assert marker.encode() not in raw
            assert marker.encode("utf-16-le") not in raw
    assert b"ZEBRA" not in raw and b"QUOKKA" not in raw and b"WOMBAT" not in raw


def _file_size(path: Path) -> int:
    return path.stat().st_size


def _raw_database_bytes(path: Path) -> tuple[bytes, list[str]]:
    """Every byte SQLite has on disk for this database: the file, its write-ahead log and index."""
    chunks: list[bytes] = []
    found: list[str] = []
    for suffix in ("", "-wal", "-shm"):
        part = Path(str(path) + suffix)
        if part.exists():
            chunks.append(part.read_bytes())
            found.append(suffix)
    return b"".join(chunks), found


async def test_forget_member_leaves_no_row_in_any_table(db: Database, journal: JournalService) -> None:
    """After forget, no table in the whole database holds a row mentioning the member's id."""
    await journal.add(ALICE, note("a1"))
    await journal.add(ALICE, note("a2"))
    await journal.set_reminder(ALICE, Cadence.DAILY, time(21, 0), ZoneInfo("Europe/London"))
    await journal.add(BOB, note("b1"))
    await journal.set_reminder(BOB, Cadence.WEEKLY, time(9, 0), ZoneInfo("UTC"), weekday=0)

    report = await journal.forget_member(ALICE)

    assert (report.entries, report.reminders, report.settings) == (2, 1, 1)
    assert "2 journal entries" in report.describe() and "your reminder" in report.describe()
    for table in await _tables_mentioning(db, ALICE):
        pytest.fail(f"table {table} still holds a row of the forgotten member")
    assert (await journal.list_page(BOB)).total == 1 and await journal.get_reminder(BOB) is not None
    assert set(report.counts) == set(MEMBER_TABLES)
    again = await journal.forget_member(ALICE)
    assert again.total == 0 and "nothing" in again.describe().lower()


async def _tables_mentioning(db: Database, user_id: int) -> list[str]:
    tables = await db.fetch_all(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    )
    found: list[str] = []
    for (name,) in tables:
        columns = await db.fetch_all("SELECT name FROM pragma_table_info(?)", (name,))
        for (column,) in columns:
            row = await db.fetch_one(
                f'SELECT 1 FROM "{name}" WHERE "{column}" = ? LIMIT 1',  # noqa: S608 - names from sqlite_master
                (user_id,),
            )
            if row is not None:
                found.append(name)
                break
    return found


async def test_reminder_set_get_clear_and_due(journal: JournalService, clock: FakeClock) -> None:
    clock.set(datetime(2026, 3, 2, 12, 0, tzinfo=UTC))
    reminder = await journal.set_reminder(ALICE, Cadence.DAILY, time(21, 0), ZoneInfo("Europe/Paris"))
    assert reminder.next_due_at == datetime(2026, 3, 2, 20, 0, tzinfo=UTC)
    assert await journal.get_reminder(ALICE) == reminder
    assert await journal.member_timezone(ALICE) == ZoneInfo("Europe/Paris")
    assert await journal.due_reminders(clock.now()) == []

    # The bot was down for three days: one reminder is due, and handling it skips the missed ones.
    later = datetime(2026, 3, 5, 20, 30, tzinfo=UTC)
    due = await journal.due_reminders(later)
    assert [r.user_id for r in due] == [ALICE]
    moved = await journal.mark_reminded(due[0], later)
    assert moved is not None and moved.next_due_at == datetime(2026, 3, 6, 20, 0, tzinfo=UTC)
    assert await journal.due_reminders(later) == []
    assert await journal.mark_reminded(due[0], later) is None  # already handled: no double send

    assert await journal.clear_reminder(ALICE) is True
    assert await journal.clear_reminder(ALICE) is False
    assert await journal.get_reminder(ALICE) is None


async def test_member_today_uses_their_time_zone(journal: JournalService, clock: FakeClock) -> None:
    clock.set(datetime(2026, 1, 1, 23, 30, tzinfo=UTC))
    assert await journal.member_today(ALICE) == date(2026, 1, 1)
    await journal.set_timezone(ALICE, ZoneInfo("Asia/Tokyo"))
    assert await journal.member_today(ALICE) == date(2026, 1, 2)


# --- keys ------------------------------------------------------------------------------------------


async def _fresh(path: Path) -> Database:
    database = await open_database(path)
    await apply_migrations(database)
    return database


async def test_key_file_is_created_once_and_reused(tmp_path: Path, clock: FakeClock) -> None:
    path = tmp_path / "bot.sqlite3"
    database = await _fresh(path)
    try:
        cipher = await load_journal_keys(database, "", default_key_path(path))
        await service(database, cipher, clock).add(ALICE, note("kept"))
    finally:
        await database.close()
    key_file = default_key_path(path)
    assert key_file.exists() and (key_file.stat().st_mode & 0o777) == 0o600
    key_before = key_file.read_bytes()

    database = await _fresh(path)
    try:
        cipher = await load_journal_keys(database, "", key_file)
        assert (await service(database, cipher, clock).get(ALICE, 1)).notes == "kept"
    finally:
        await database.close()
    assert key_file.read_bytes() == key_before


async def test_configured_key_creates_no_file(tmp_path: Path, clock: FakeClock) -> None:
    path = tmp_path / "bot.sqlite3"
    database = await _fresh(path)
    try:
        await load_journal_keys(database, generate_key(), default_key_path(path))
    finally:
        await database.close()
    assert not default_key_path(path).exists()


async def test_wrong_key_is_refused_and_the_file_is_unchanged(tmp_path: Path, clock: FakeClock) -> None:
    """A wrong JOURNAL_KEY stops start-up with a clear message; the database stays byte for byte."""
    path = tmp_path / "bot.sqlite3"
    right = generate_key()
    database = await _fresh(path)
    try:
        cipher = await load_journal_keys(database, right, default_key_path(path))
        await service(database, cipher, clock).add(ALICE, note(SECRET_NOTE))
    finally:
        await database.close()
    before = path.read_bytes()

    database = await _fresh(path)
    try:
        with pytest.raises(JournalKeyError, match="not the key") as caught:
            await load_journal_keys(database, generate_key(), default_key_path(path))
        assert right not in str(caught.value)
    finally:
        await database.close()
    assert path.read_bytes() == before
    assert not default_key_path(path).exists()

    database = await _fresh(path)
    try:
        cipher = await load_journal_keys(database, right, default_key_path(path))
        assert (await service(database, cipher, clock).get(ALICE, 1)).notes == SECRET_NOTE
    finally:
        await database.close()


async def test_missing_key_for_existing_data_is_refused(tmp_path: Path, clock: FakeClock) -> None:
    """Data written with a key file that has since gone missing: refuse, and do not mint a new key."""
    path = tmp_path / "bot.sqlite3"
    database = await _fresh(path)
    try:
        cipher = await load_journal_keys(database, "", default_key_path(path))
        await service(database, cipher, clock).add(ALICE, note("x"))
    finally:
        await database.close()
    default_key_path(path).unlink()
    before = path.read_bytes()

    database = await _fresh(path)
    try:
        with pytest.raises(JournalKeyError, match="JOURNAL_KEY is not set"):
            await load_journal_keys(database, "", default_key_path(path))
    finally:
        await database.close()
    assert not default_key_path(path).exists()
    assert path.read_bytes() == before


async def test_entries_without_canary_are_still_checked(db: Database, clock: FakeClock) -> None:
    """If the canary row is lost, the key is checked against real entries instead."""
    right = generate_key()
    cipher = await load_journal_keys(db, right, default_key_path(db.path))
    await service(db, cipher, clock).add(ALICE, note("x"))
    await db.execute("DELETE FROM journal_meta")
    with pytest.raises(JournalKeyError, match="cannot read"):
        await load_journal_keys(db, generate_key(), default_key_path(db.path))
    assert await db.fetch_one("SELECT 1 FROM journal_meta") is None
    await load_journal_keys(db, right, default_key_path(db.path))
    assert await db.fetch_one("SELECT 1 FROM journal_meta") is not None


async def test_a_value_moved_to_another_member_is_refused(
    db: Database, keys: JournalKeys, journal: JournalService
) -> None:
    """Copying A's sealed entry into B's row (database tampering) does not reveal it as B's."""
    await journal.add(ALICE, note("alice only"))
    await journal.add(BOB, note("bob"))
    await db.execute(
        "UPDATE journal_entries SET sealed = (SELECT sealed FROM journal_entries "
        "WHERE member_id = (SELECT id FROM journal_members WHERE member = ?)) "
        "WHERE member_id = (SELECT id FROM journal_members WHERE member = ?)",
        (keys.pseudonym(ALICE), keys.pseudonym(BOB)),
    )
    with pytest.raises(Exception, match="moved"):
        await journal.get(BOB, 1)


def test_keys_never_show_the_key() -> None:
    key = generate_key()
    assert key not in repr(JournalKeys(key.encode())) and key not in repr(JournalKeys(key.encode()).cipher)


async def test_add_inside_the_callers_transaction_is_part_of_it(
    db: Database, journal: JournalService
) -> None:
    """Handing the add to the writer task would wait for this very transaction: it must not."""
    with pytest.raises(RuntimeError, match="undo"):
        async with db.transaction(), asyncio.timeout(5):  # a timeout in this task, not a new task
            entry = await journal.add(ALICE, note("rolled back"))
            assert entry.seq == 1
            raise RuntimeError("undo")
    assert await journal.count(ALICE) == 0
    assert (await journal.add(ALICE, note("kept"))).seq == 1


async def test_forget_comes_after_adds_made_before_it(journal: JournalService) -> None:
    adds = [asyncio.create_task(journal.add(ALICE, note(f"n{i}"))) for i in range(5)]
    await asyncio.sleep(0)  # the adds are queued for the writer, none written yet
    report = await journal.forget_member(ALICE)
    assert [entry.seq for entry in await asyncio.gather(*adds)] == [1, 2, 3, 4, 5]
    assert report.entries == 5 and await journal.count(ALICE) == 0


async def test_member_day_is_lenient_until_the_zone_is_known(
    journal: JournalService, clock: FakeClock
) -> None:
    """Without a zone, a Sydney member's 2 January (already begun there) can be saved; after, it is theirs."""
    clock.set(datetime(2026, 1, 1, 22, 30, tzinfo=UTC))
    day = await journal.member_day(ALICE)
    assert (day.today, day.latest, day.zone_known) == (date(2026, 1, 1), date(2026, 1, 2), False)
    assert (await journal.add(ALICE, note("morning", date(2026, 1, 2)))).entry_date == date(2026, 1, 2)
    await journal.set_timezone(ALICE, ZoneInfo("Australia/Sydney"))
    day = await journal.member_day(ALICE)
    assert (day.today, day.latest, day.zone_known) == (date(2026, 1, 2), date(2026, 1, 2), True)


async def wait_until_started(journal: JournalService, count: int) -> None:
    """Until the writer has taken `count` adds into the batch it is writing."""
    for _ in range(1000):
        if len(journal._writer._in_flight) >= count:
            return
        await asyncio.sleep(0)
    raise AssertionError("the writer never started the batch")


async def test_an_add_cancelled_after_its_batch_started_still_gets_its_entry(
    journal: JournalService,
) -> None:
    """The row is being written: its caller must learn its number (to confirm it, offer Undo)."""
    adding = asyncio.create_task(journal.add(ALICE, note("saved")))
    await wait_until_started(journal, 1)
    adding.cancel()
    entry = await adding  # not CancelledError: the entry exists, so the caller hears about it
    assert (entry.seq, entry.notes) == (1, "saved")
    assert not adding.cancelled() and adding.cancelling() == 0
    assert [e.notes for e in await journal.all_entries(ALICE)] == ["saved"]


async def test_a_stopped_writer_fails_waiting_adds_with_an_ordinary_error(journal: JournalService) -> None:
    """Shutdown cancels the writer; callers get an error they handle, not a cancellation of their own."""
    adds = [asyncio.create_task(journal.add(ALICE, note(f"n{i}"))) for i in range(3)]
    await wait_until_started(journal, 1)
    writer = journal._writer._task
    assert writer is not None
    writer.cancel()
    results = await asyncio.gather(*adds, return_exceptions=True)
    for result in results:
        assert not isinstance(result, asyncio.CancelledError)
        if isinstance(result, BaseException):
            assert isinstance(result, JournalWriterStopped)
    assert any(isinstance(result, JournalWriterStopped) for result in results)
    assert (await journal.add(ALICE, note("after"))).notes == "after"  # a new writer starts


# --- what the cog and the components call ---------------------------------------------------------


async def test_options_are_read_against_the_members_own_day(
    journal: JournalService, clock: FakeClock
) -> None:
    """22:30 UTC on 1 January is already 2 January in Tokyo: 'today' follows the member's zone."""
    clock.set(datetime(2026, 1, 1, 22, 30, tzinfo=UTC))
    saved = await journal.add_from_options(ALICE, EntryOptions(notes="first", feeling=5))
    assert (saved.entry.entry_date, saved.entry.kind, saved.day.zone_known) == (
        date(2026, 1, 1),
        EntryKind.CHECKIN,
        False,
    )
    await journal.set_timezone(ALICE, ZoneInfo("Asia/Tokyo"))
    saved = await journal.add_from_options(ALICE, EntryOptions(notes="second"))
    assert (saved.entry.seq, saved.entry.entry_date, saved.day.zone_known) == (2, date(2026, 1, 2), True)
    assert await journal.get(ALICE, 2) == saved.entry


async def test_refused_options_save_nothing(journal: JournalService) -> None:
    with pytest.raises(InvalidInput, match="Nothing was saved"):
        await journal.add_from_options(ALICE, EntryOptions(kind="relapse"))
    assert await journal.count(ALICE) == 0


async def test_the_form_adds_and_then_edits_the_same_entry(journal: JournalService, clock: FakeClock) -> None:
    clock.set(datetime(2026, 3, 2, 12, 0, tzinfo=UTC))
    added = await journal.save_form(ALICE, EntryForm(feeling="4", notes="first words"), None)
    assert (added.entry.seq, added.entry.source, added.entry.kind) == (
        1,
        EntrySource.MODAL,
        EntryKind.CHECKIN,
    )
    milestone = await journal.add(
        ALICE, note("a milestone", date(2026, 3, 1), kind=EntryKind.MILESTONE, side_effects="rash")
    )
    edited = await journal.save_form(
        ALICE, EntryForm(entry_date="2026-03-01", notes="changed"), milestone.ref
    )
    assert (edited.entry.seq, edited.entry.notes, edited.entry.kind) == (2, "changed", EntryKind.MILESTONE)
    assert edited.entry.side_effects == "rash" and await journal.get(ALICE, 2) == edited.entry
    with pytest.raises(NotFound, match="no entry #9"):
        await journal.save_form(ALICE, EntryForm(notes="x"), EntryRef(9, milestone.key))
    with pytest.raises(NotFound, match="#2 no longer exists"):  # a form for another entry #2
        await journal.save_form(ALICE, EntryForm(notes="x"), EntryRef(2, added.entry.key))
    assert (await journal.get(ALICE, 2)).notes == "changed"


async def test_a_quick_note_is_dated_the_members_today(journal: JournalService, clock: FakeClock) -> None:
    clock.set(datetime(2026, 1, 1, 22, 30, tzinfo=UTC))
    await journal.set_timezone(ALICE, ZoneInfo("Australia/Sydney"))
    saved = await journal.add_quick_note(ALICE, "  Slept well  ")
    assert (saved.entry.notes, saved.entry.entry_date, saved.entry.source) == (
        "Slept well",
        date(2026, 1, 2),
        EntrySource.DM_QUICK,
    )
    with pytest.raises(InvalidInput, match="no text"):
        await journal.add_quick_note(ALICE, " \n ")
    assert await journal.count(ALICE) == 1


async def test_a_reminder_without_a_known_zone_rings_in_utc(
    journal: JournalService, clock: FakeClock
) -> None:
    clock.set(datetime(2026, 3, 2, 12, 0, tzinfo=UTC))  # a Monday
    change = await journal.remind(ALICE, Cadence.WEEKLY, time_text="20:30")
    assert change.zone_assumed
    assert (change.reminder.timezone, change.reminder.weekday) == ("UTC", 0)
    assert change.reminder.next_due_at == datetime(2026, 3, 2, 20, 30, tzinfo=UTC)
    assert await journal.get_reminder(ALICE) == change.reminder


async def test_a_changed_reminder_keeps_what_was_not_given(journal: JournalService, clock: FakeClock) -> None:
    """Time and weekday carry over from the reminder; the zone from the member's journal zone."""
    clock.set(datetime(2026, 3, 2, 12, 0, tzinfo=UTC))
    await journal.remind(ALICE, Cadence.WEEKLY, time_text="9am", zone_text="Europe/Paris", weekday_text="wed")
    change = await journal.remind(ALICE, Cadence.WEEKLY)
    assert not change.zone_assumed
    reminder = change.reminder
    assert (reminder.local_time, reminder.timezone, reminder.weekday) == (time(9, 0), "Europe/Paris", 2)
    with pytest.raises(InvalidInput, match="time zone"):
        await journal.remind(ALICE, Cadence.DAILY, zone_text="Atlantis/Nowhere")
    assert await journal.get_reminder(ALICE) == reminder  # a refusal changes nothing


async def test_a_new_time_zone_moves_the_reminder_and_keeps_its_local_time(
    journal: JournalService, clock: FakeClock
) -> None:
    clock.set(datetime(2026, 3, 2, 12, 0, tzinfo=UTC))
    assert await journal.change_timezone(BOB, ZoneInfo("Asia/Tokyo")) is None
    assert await journal.member_timezone(BOB) == ZoneInfo("Asia/Tokyo")
    await journal.remind(ALICE, Cadence.DAILY, time_text="20:30")
    moved = await journal.change_timezone(ALICE, ZoneInfo("Europe/Berlin"))
    assert moved is not None and (moved.local_time, moved.timezone) == (time(20, 30), "Europe/Berlin")
    assert moved.next_due_at == datetime(2026, 3, 2, 19, 30, tzinfo=UTC)
    assert await journal.get_reminder(ALICE) == moved
    assert await journal.member_timezone(ALICE) == ZoneInfo("Europe/Berlin")


async def test_due_reminders_are_claimed_once_and_old_misses_are_skipped(
    journal: JournalService, clock: FakeClock
) -> None:
    clock.set(datetime(2026, 3, 2, 12, 0, tzinfo=UTC))
    await journal.set_reminder(ALICE, Cadence.DAILY, time(12, 30), ZoneInfo("UTC"))
    await journal.set_reminder(BOB, Cadence.DAILY, time(12, 30), ZoneInfo("UTC"))
    clock.set(datetime(2026, 3, 2, 12, 31, tzinfo=UTC))
    handled_already = await journal.get_reminder(BOB)
    assert handled_already is not None
    await journal.mark_reminded(handled_already, clock.now())
    assert [due.user_id async for due in journal.claim_due_reminders()] == [ALICE]
    assert [due.user_id async for due in journal.claim_due_reminders()] == []  # at most once

    clock.set(datetime(2026, 3, 9, 9, 0, tzinfo=UTC))  # a week of downtime: too late to send
    assert [due.user_id async for due in journal.claim_due_reminders()] == []
    moved = await journal.get_reminder(ALICE)
    assert moved is not None and moved.next_due_at == datetime(2026, 3, 9, 12, 30, tzinfo=UTC)
    assert moved.last_sent_at == datetime(2026, 3, 2, 12, 31, tzinfo=UTC)


async def test_closing_lets_every_add_made_so_far_be_written(journal: JournalService) -> None:
    adds = [asyncio.create_task(journal.add(ALICE, note(f"n{i}"))) for i in range(5)]
    await asyncio.sleep(0)  # queued for the writer, none written yet
    await journal.close()
    assert [entry.seq for entry in await asyncio.gather(*adds)] == [1, 2, 3, 4, 5]
    assert journal._writer._task is None


async def test_every_rating_is_stored_summarised_and_read_back(journal: JournalService) -> None:
    """A rating added to the model but missed in a statement, the summary or a mapping fails here."""
    ratings: dict[str, Any] = {name: index for index, name in enumerate(RATINGS)}
    added = await journal.add(ALICE, note("rated", kind=EntryKind.CHECKIN, **ratings))
    assert added.ratings() == ratings
    assert await journal.get(ALICE, added.seq) == added
    assert await journal.rating_points(ALICE) == [added.rating_point()]
    [month] = (await journal.summary(ALICE)).months
    assert month.averages == {name: float(value) for name, value in ratings.items()}


# --- limits ------------------------------------------------------------------------------------------


async def test_a_journal_keeps_at_most_5000_entries_and_says_so_kindly(
    db: Database, keys: JournalKeys, journal: JournalService, clock: FakeClock
) -> None:
    """The 5,001st entry is refused with a message that says what to do; nothing is written."""
    repository = JournalRepository(db, keys)
    rows = [
        repository.new_row(ALICE, note(f"n{i}"), clock.now()) for i in range(rules.MAX_ENTRIES_PER_MEMBER)
    ]
    for start in range(0, len(rows), 128):
        assert None not in await repository.insert_entries(
            rows[start : start + 128], rules.MAX_ENTRIES_PER_MEMBER
        )
    assert await journal.count(ALICE) == 5000
    for attempt in (journal.add(ALICE, note("one too many")), journal.add_quick_note(ALICE, "and a DM")):
        with pytest.raises(InvalidInput, match="5,000 entries") as refused:
            await attempt
        assert "/journal export" in refused.value.message and "was not saved" in refused.value.message
    assert await journal.count(ALICE) == 5000
    assert (await journal.add(BOB, note("someone else"))).seq == 1
    await journal.delete(ALICE, (await journal.get(ALICE, 1)).ref)
    assert (await journal.add(ALICE, note("room again"))).seq == 5001


async def test_dm_notes_are_limited_per_minute_and_a_burst_is_answered_once(
    journal: JournalService, clock: FakeClock
) -> None:
    """Twenty notes a minute are saved; the next is refused with a message, the rest of the burst
    quietly (one answer, not one per message); a minute later notes are saved again."""
    for index in range(rules.QUICK_NOTES_PER_MINUTE):
        await journal.add_quick_note(ALICE, f"note {index}")
    with pytest.raises(rules.SlowDown) as first:
        await journal.add_quick_note(ALICE, "too fast")
    assert not first.value.quiet and "wait a moment" in first.value.message
    with pytest.raises(rules.SlowDown) as second:
        await journal.add_quick_note(ALICE, "still too fast")
    assert second.value.quiet
    assert (await journal.add_quick_note(BOB, "another member is not held back")).entry.seq == 1
    assert await journal.count(ALICE) == rules.QUICK_NOTES_PER_MINUTE
    clock.advance(minutes=1)
    assert (await journal.add_quick_note(ALICE, "calm again")).entry.seq == rules.QUICK_NOTES_PER_MINUTE + 1


# --- forget --------------------------------------------------------------------------------------------


async def test_forget_runs_other_features_hooks_in_the_same_transaction(
    db: Database, journal: JournalService
) -> None:
    """A registered hook's deletions are reported; if a hook fails, nothing at all is deleted."""
    await journal.add(ALICE, note("kept until forget works"))
    calls: list[int] = []

    async def trial_watches(user_id: int) -> ForgottenItems:
        calls.append(user_id)
        return ForgottenItems("trial watch", "trial watches", 2)

    async def broken(user_id: int) -> None:
        raise RuntimeError("the other feature failed")

    journal.on_forget(trial_watches)
    journal.on_forget(broken)
    with pytest.raises(RuntimeError):
        await journal.forget_member(ALICE)
    assert await journal.count(ALICE) == 1  # rolled back with the hook

    journal.remove_forget_hook(broken)
    report = await journal.forget_member(ALICE)
    assert calls == [ALICE, ALICE] and await journal.count(ALICE) == 0
    assert report.describe() == (
        "Deleted 1 journal entry, your journal settings (time zone and entry numbering) and 2 trial "
        "watches. Nothing else about you is kept by the journal."
    )


async def test_after_forget_no_old_reference_touches_the_new_journal(journal: JournalService) -> None:
    """A fresh journal starts at #1 again, but an Undo or delete made for the old #1 finds nothing."""
    old = await journal.add(ALICE, note("old life"))
    await journal.forget_member(ALICE)
    new = await journal.add(ALICE, note("new start"))
    assert new.seq == old.seq == 1 and new.key != old.key
    for attempt in (journal.delete(ALICE, old.ref), journal.update(ALICE, old.ref, note("overwritten"))):
        with pytest.raises(NotFound, match="#1 no longer exists"):
            await attempt
    assert [entry.notes for entry in await journal.all_entries(ALICE)] == ["new start"]


# Discord ids that look like nothing else in a database file.
TARA, UMAR = 349_857_210_938_475_612, 287_364_519_283_746_551


def forms_of(user_id: int) -> list[bytes]:
    """A Discord id as text and as SQLite stores an integer (8 bytes, big-endian)."""
    return [str(user_id).encode(), user_id.to_bytes(8, "big")]


async def test_forget_leaves_no_trace_of_the_member_in_the_database_or_its_wal(
    db: Database, keys: JournalKeys, journal: JournalService, clock: FakeClock
) -> None:
    """After forget the raw bytes of the database and its WAL hold neither the member's pseudonym,
    their Discord id (text or integer), nor any value sealed for them. Enough members write that
    the indexes have interior pages, where a deleted key could otherwise linger."""
    clock.set(datetime(2026, 3, 2, 12, 0, tzinfo=UTC))
    crowd = [TARA + index for index in range(1, 61)]
    for round_ in range(25):
        await asyncio.gather(*(journal.add(user, note(f"crowd {round_} " * 20)) for user in crowd))
    # Far more index entries than a page holds: the member's keys reach interior pages too.
    repository = JournalRepository(db, keys)
    rows = [
        repository.new_row(UMAR, note(f"umar {n} " * 10, date(2026, 1, 1 + n % 28), feeling=4), clock.now())
        for n in range(400)
    ]
    for start in range(0, len(rows), 100):
        await repository.insert_entries(rows[start : start + 100], rules.MAX_ENTRIES_PER_MEMBER)
    await journal.add(UMAR, note("day zero", date(2025, 12, 1), phase=Phase.INFUSION))
    await journal.set_reminder(UMAR, Cadence.WEEKLY, time(21, 7), ZoneInfo("Pacific/Chatham"), weekday=3)
    pseudonym = keys.pseudonym(UMAR)
    sealed_values = [
        bytes(row[0])
        for row in await db.fetch_all(
            "SELECT sealed FROM journal_entries "
            "WHERE member_id = (SELECT id FROM journal_members WHERE member = ?)",
            (pseudonym,),
        )
        + await db.fetch_all("SELECT sealed FROM journal_reminders WHERE member = ?", (pseudonym,))
        + await db.fetch_all(
            "SELECT sealed_member FROM journal_members WHERE member = ? UNION ALL "
            "SELECT sealed_days FROM journal_members WHERE member = ?",
            (pseudonym, pseudonym),
        )
    ]
    assert len(sealed_values) == 401 + 1 + 2
    raw, _ = _raw_database_bytes(db.path)
    # The member row and the reminder, each with its index (entries name the member row's number).
    assert raw.count(pseudonym) >= 4, "the pseudonym should be on disk"

    await journal.forget_member(UMAR)

    raw, files = _raw_database_bytes(db.path)
    assert files == ["", "-wal", "-shm"] and len(raw) > 0
    assert _file_size(Path(str(db.path) + "-wal")) == 0, "the WAL should be emptied"
    assert pseudonym not in raw
    for form in forms_of(UMAR):
        assert form not in raw
    for value in sealed_values:
        assert value[1:13] not in raw, "a nonce of the member's sealed values is still on disk"
    assert (await journal.list_page(TARA + 1)).total == 25  # everyone else is untouched


async def test_the_database_holds_no_discord_id_and_nothing_entered_in_the_clear(
    db: Database, journal: JournalService, clock: FakeClock
) -> None:
    """Kind, therapy, phase, ratings, time zone and reminder settings are sealed too, and no
    member's Discord id is written anywhere, as text or as an integer."""
    clock.set(datetime(2026, 3, 2, 12, 0, tzinfo=UTC))
    await db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the WAL keeps only what this test writes
    await journal.add(
        TARA,
        EntryDraft(
            entry_date=date(2026, 3, 1),
            kind=EntryKind.RELAPSE,
            therapy=Therapy.OTHER,
            therapy_other="OCELOT-THERAPY",
            phase=Phase.MOBILISATION,
            feeling=7,
            fatigue=9,
        ),
    )
    await journal.set_timezone(TARA, ZoneInfo("Pacific/Chatham"))
    await journal.set_reminder(
        UMAR, Cadence.WEEKLY, time(21, 7), ZoneInfo("America/Argentina/Ushuaia"), weekday=3
    )
    raw, files = _raw_database_bytes(db.path)
    assert files[:2] == ["", "-wal"]
    for user in (TARA, UMAR):
        for form in forms_of(user):
            assert form not in raw
    for clear in (
        b"relapse",
        b"mobilisation",
        b"OCELOT",
        b"Chatham",
        b"Ushuaia",
        b"21:07",
        b'"feeling"',
        b'"fatigue"',
        b"weekly",
    ):
        assert clear not in raw, clear


async def test_every_typed_entry_is_stored_sealed_and_read_back(
    db: Database, journal: JournalService
) -> None:
    for kind, details in TYPED_DETAILS.items():
        added = await journal.add(ALICE, note(f"{kind.value} notes", kind=kind, details=details))
        assert await journal.get(ALICE, added.seq) == added
        assert added.details == details
    raw, _ = _raw_database_bytes(db.path)
    assert b"ocrelizumab" not in raw and b"MS nurse" not in raw and b"reinfusion" not in raw


async def test_a_reinfusion_milestone_is_day_0_for_the_entries_around_it(journal: JournalService) -> None:
    before = await journal.add(ALICE, note("bloods", date(2025, 11, 25)))
    day0 = await journal.save_form(
        ALICE, TypedEntryForm(EntryKind.MILESTONE, "2025-12-01", {"milestone": "reinfusion"}), None
    )
    after = await journal.add(ALICE, note("home", date(2025, 12, 31)))
    assert day0.entry.phase is Phase.INFUSION and day0.entry.day_label == "day 0"
    assert (await journal.get(ALICE, before.seq)).day_label == "day -6"
    assert after.day_label == "day +30"
    moved = await journal.save_form(
        ALICE, TypedEntryForm(EntryKind.MILESTONE, "2025-12-01", {"milestone": "back_home"}), day0.entry.ref
    )
    assert moved.entry.phase is Phase.RECOVERY
    assert (await journal.get(ALICE, after.seq)).infusion_day is None


# --- import -------------------------------------------------------------------------------------


async def test_an_import_past_the_entry_limit_is_refused_whole(
    journal: JournalService, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.core.journal.export import export_json

    monkeypatch.setattr(rules, "MAX_ENTRIES_PER_MEMBER", 3)
    try:
        for text in ("b1", "b2"):
            await journal.add(BOB, note(text))
        bobs_file = export_json(await journal.all_entries(BOB), datetime(2026, 1, 2, tzinfo=UTC))
        for text in ("a1", "a2"):
            await journal.add(ALICE, note(text))
        with pytest.raises(InvalidInput, match="Nothing was imported"):
            await journal.import_file(ALICE, bobs_file)
        assert [entry.notes for entry in await journal.all_entries(ALICE)] == ["a1", "a2"]
        plan = await journal.import_file(BOB, bobs_file)  # all already there: nothing new, within the limit
        assert (len(plan.entries), plan.duplicates) == (0, 2)
    finally:
        await journal.close()


async def test_an_import_planned_before_the_journal_changed_writes_nothing(
    db: Database, keys: JournalKeys, journal: JournalService
) -> None:
    """The import is planned against the journal as it stood; if an entry went in meanwhile, the
    write is refused whole (the service plans again) rather than clash or duplicate."""
    repository = JournalRepository(db, keys)
    await journal.add(ALICE, note("one"))
    planned = await repository.member_state(ALICE)
    await journal.add(ALICE, note("added meanwhile"))
    row = repository.import_row(
        ALICE, 3, note("imported"), datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC)
    )
    assert await repository.import_entries(ALICE, [row], planned) is False
    assert [entry.notes for entry in await journal.all_entries(ALICE)] == ["one", "added meanwhile"]
    assert await repository.import_entries(ALICE, [row], await repository.member_state(ALICE)) is True
    assert (await journal.get(ALICE, 3)).notes == "imported"
