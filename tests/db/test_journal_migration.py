"""Migration 0009 on databases written by the release before it: everything re-sealed under
pseudonyms in one transaction, readable through today's code, nothing left in the clear; a wrong or
missing key changes nothing."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from journal_v1 import V1Entry, V1Reminder, build_v1_database

from bot.core.clock import FakeClock
from bot.core.journal.crypto import JournalKeyError, default_key_path, generate_key, write_key_file
from bot.core.journal.model import (
    Cadence,
    EntryDraft,
    EntryKind,
    EntrySource,
    Phase,
    ReminderSettings,
    Therapy,
)
from bot.db.database import Database, open_database
from bot.db.migrate import (
    MigrationError,
    MigrationInputs,
    apply_migrations,
    backup_path_before,
    current_version,
)
from bot.db.repositories.journal import JournalRepository
from bot.services.journal import JournalService, journal_migration_inputs, load_journal_keys

ALICE, BOB, CARA = 349_857_210_938_475_612, 287_364_519_283_746_551, 198_273_645_019_283_746
CREATED = "2025-11-28T08:00:00.000000+00:00"


def release_journal(path: Path, root: str) -> None:
    """Three members as the old release kept them: entries with gaps in their numbers (deletes),
    an infusion, every kind of field, time zones and reminders, one member with settings only."""
    build_v1_database(
        path,
        root,
        entries=[
            V1Entry(
                ALICE,
                1,
                "2025-11-28",
                kind="checkin",
                source="modal",
                therapy="ahsct",
                phase="conditioning",
                ratings={"feeling": 3, "fatigue": 8, "mobility": 2, "pain": 1, "cognition": 4, "mood": 5},
                texts={"notes": "Conditioning day, ZEBRA-NOTE", "side_effects": "QUOKKA nausea"},
                created_at=CREATED,
            ),
            V1Entry(
                ALICE,
                2,
                "2025-12-01",
                kind="milestone",
                therapy="ahsct",
                phase="infusion",
                texts={"notes": "Day zero"},
            ),
            V1Entry(ALICE, 4, "2025-12-31", source="dm_quick", texts={"notes": "Home!"}),
            V1Entry(
                BOB,
                1,
                "2025-10-10",
                kind="relapse",
                therapy="other",
                ratings={"mood": 6},
                texts={"therapy_other": "WOMBAT-DRUG ocrelizumab"},
            ),
        ],
        members={ALICE: (5, "Europe/Madrid"), CARA: (0, "Pacific/Chatham")},
        reminders=[
            V1Reminder(
                ALICE,
                "weekly",
                "20:30",
                "Europe/Madrid",
                2,
                "2026-03-04T19:30:00.000000+00:00",
                last_sent_at="2026-02-25T19:30:00.000000+00:00",
            ),
            V1Reminder(CARA, "daily", "07:15", "Pacific/Chatham", None, "2026-03-02T17:30:00.000000+00:00"),
        ],
    )


async def migrated(path: Path, root: str) -> Database:
    db = await open_database(path)
    await apply_migrations(db, journal_migration_inputs(root, default_key_path(path)))
    return db


async def test_a_release_journal_is_resealed_and_reads_back_the_same(tmp_path: Path) -> None:
    path, root = tmp_path / "bot.sqlite3", generate_key()
    release_journal(path, root)
    db = await migrated(path, root)
    try:
        assert await current_version(db) >= 9
        keys = await load_journal_keys(db, root, default_key_path(path))  # the new canary proves the key
        journal = JournalService(JournalRepository(db, keys), FakeClock(datetime(2026, 3, 2, 12, tzinfo=UTC)))

        first, second, fourth = [await journal.get(ALICE, seq) for seq in (1, 2, 4)]
        assert (first.kind, first.source, first.therapy, first.phase) == (
            EntryKind.CHECKIN,
            EntrySource.MODAL,
            Therapy.AHSCT,
            Phase.CONDITIONING,
        )
        rated = {name: value for name, value in first.ratings().items() if value is not None}
        assert rated == {  # the ratings of that release; a rating added since stays empty
            "feeling": 3,
            "fatigue": 8,
            "mobility": 2,
            "pain": 1,
            "cognition": 4,
            "mood": 5,
        }
        assert (first.notes, first.side_effects) == ("Conditioning day, ZEBRA-NOTE", "QUOKKA nausea")
        assert first.created_at == datetime.fromisoformat(CREATED)
        assert [first.day_label, second.day_label, fourth.day_label] == ["day -3", "day 0", "day +30"]
        assert (fourth.source, fourth.notes) == (EntrySource.DM_QUICK, "Home!")
        assert len({first.key, second.key, fourth.key}) == 3  # every entry got its own key

        bob = await journal.get(BOB, 1)
        assert (bob.kind, bob.therapy, bob.therapy_other, bob.mood) == (
            EntryKind.RELAPSE,
            Therapy.OTHER,
            "WOMBAT-DRUG ocrelizumab",
            6,
        )
        assert (
            await journal.add(ALICE, EntryDraft(date(2026, 3, 1), notes="after"))
        ).seq == 6  # last_seq kept
        assert (await journal.add(CARA, EntryDraft(date(2026, 3, 1), notes="first"))).seq == 1

        assert await journal.member_timezone(ALICE) == ZoneInfo("Europe/Madrid")
        assert await journal.member_timezone(CARA) == ZoneInfo("Pacific/Chatham")
        assert await journal.get_reminder(ALICE) == ReminderSettings(
            user_id=ALICE,
            cadence=Cadence.WEEKLY,
            local_time=time(20, 30),
            timezone="Europe/Madrid",
            weekday=2,
            next_due_at=datetime(2026, 3, 4, 19, 30, tzinfo=UTC),
            last_sent_at=datetime(2026, 2, 25, 19, 30, tzinfo=UTC),
        )
        due = await journal.due_reminders(datetime(2026, 3, 3, tzinfo=UTC))
        assert [(r.user_id, r.cadence, r.local_time) for r in due] == [(CARA, Cadence.DAILY, time(7, 15))]
        await journal.close()
    finally:
        await db.close()


async def test_after_the_migration_nothing_about_members_is_readable_in_the_files(tmp_path: Path) -> None:
    """Right after the migration (the bot still running), the database and its WAL hold no Discord
    id, time zone, kind, phase or text of the old journal: the file was rebuilt, the WAL emptied."""
    path, root = tmp_path / "bot.sqlite3", generate_key()
    release_journal(path, root)
    db = await migrated(path, root)
    try:
        tables = {
            row["name"] for row in await db.fetch_all("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
        assert not {name for name in tables if name.endswith("_v1")}
        backup = backup_path_before(db, 8)
        raw = b"".join(_read(Path(f"{path}{suffix}")) for suffix in ("", "-wal", "-shm"))
    finally:
        await db.close()
    for user_id in (ALICE, BOB, CARA):
        assert str(user_id).encode() not in raw and user_id.to_bytes(8, "big") not in raw
    for clear in (
        b"Madrid",
        b"Chatham",
        b"relapse",
        b"conditioning",
        b"ZEBRA",
        b"QUOKKA",
        b"WOMBAT",
        b"20:30",
    ):
        assert clear not in raw, clear
    assert b"Madrid" in backup.read_bytes(), "the usual copy is taken before migrating, as it was"


def _read(path: Path) -> bytes:
    return path.read_bytes() if path.exists() else b""


async def test_a_wrong_key_changes_nothing(tmp_path: Path) -> None:
    path, root = tmp_path / "bot.sqlite3", generate_key()
    release_journal(path, root)
    db = await open_database(path)
    try:
        with pytest.raises(JournalKeyError, match="not the key") as refused:
            await apply_migrations(db, journal_migration_inputs(generate_key(), default_key_path(path)))
        assert root not in str(refused.value)
        assert await current_version(db) == 8
        rows = await db.fetch_all("SELECT user_id, seq FROM journal_entries ORDER BY user_id, seq")
        assert [tuple(row) for row in rows] == [(BOB, 1), (ALICE, 1), (ALICE, 2), (ALICE, 4)]
        assert (
            await db.fetch_one("SELECT timezone FROM journal_members WHERE user_id = ?", (ALICE,)) is not None
        )
    finally:
        await db.close()
    db = await migrated(path, root)  # the right key still works afterwards
    await db.close()


async def test_without_a_key_the_journal_is_not_converted(tmp_path: Path) -> None:
    """No JOURNAL_KEY and no key file: refused with the usual words; the old tables stay."""
    path = tmp_path / "bot.sqlite3"
    release_journal(path, generate_key())
    db = await open_database(path)
    try:
        with pytest.raises(JournalKeyError, match="JOURNAL_KEY is not set"):
            await apply_migrations(db, journal_migration_inputs("", default_key_path(path)))
        with pytest.raises(MigrationError, match="needs its key"):
            await apply_migrations(db)  # a caller that can offer no key at all
        assert await current_version(db) == 8
    finally:
        await db.close()
    assert not default_key_path(path).exists()  # no new key is made up for old data


async def test_a_key_file_beside_the_database_is_used(tmp_path: Path) -> None:
    path, root = tmp_path / "bot.sqlite3", generate_key()
    release_journal(path, root)
    write_key_file(default_key_path(path), root)
    db = await migrated(path, "")
    try:
        keys = await load_journal_keys(db, "", default_key_path(path))
        assert (await JournalRepository(db, keys).get(ALICE, 2)) is not None
    finally:
        await db.close()


async def test_a_database_without_a_journal_needs_no_key(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    build_v1_database(path, None, canary=False)
    db = await open_database(path)
    try:
        await apply_migrations(db, MigrationInputs())
        assert await current_version(db) >= 9
    finally:
        await db.close()


def test_the_fixture_is_what_the_release_wrote(tmp_path: Path) -> None:
    """The frozen builder writes the old layout: ids and fields in the clear, text sealed apart."""
    path = tmp_path / "old.sqlite3"
    release_journal(path, generate_key())
    with sqlite3.connect(path) as connection:
        row = connection.execute(
            "SELECT user_id, kind, phase, feeling, sealed_text FROM journal_entries "
            "WHERE seq = 1 AND user_id = ?",
            (ALICE,),
        ).fetchone()
        assert row[:4] == (ALICE, "checkin", "conditioning", 3) and row[4][:1] == b"\x01"
        assert connection.execute("PRAGMA user_version").fetchone() == (8,)
    connection.close()
