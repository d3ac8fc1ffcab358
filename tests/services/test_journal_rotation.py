"""`rotate-key` on real SQLite: everything re-sealed under a new key, pseudonyms included, after a
backup, all or nothing; the new key where the old one came from; an interrupted rotation finished."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

import bot.services.journal as journal_module
from bot.core.clock import FakeClock
from bot.core.journal.crypto import (
    JournalIntegrityError,
    JournalKeyError,
    JournalKeys,
    default_key_path,
    generate_key,
    rotation_paths,
)
from bot.core.journal.model import Cadence, EntryDraft, Phase
from bot.db.database import Database, open_database
from bot.db.migrate import apply_migrations
from bot.db.repositories.journal import JournalRepository, lock_out_other_connections
from bot.services.journal import JournalService, load_journal_keys, rotate_journal_key

ALICE, BOB = 349_857_210_938_475_612, 287_364_519_283_746_551
NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)


async def open_journal(path: Path, configured: str = "") -> tuple[Database, JournalService]:
    db = await open_database(path)
    await apply_migrations(db)
    keys = await load_journal_keys(db, configured, default_key_path(path))
    return db, JournalService(JournalRepository(db, keys), FakeClock(NOW))


async def write_a_journal(path: Path, configured: str = "") -> list[object]:
    """Two members' entries (one an infusion), a reminder and a time zone; returns what reads back."""
    db, journal = await open_journal(path, configured)
    try:
        await journal.add(
            ALICE, EntryDraft(date(2026, 11, 1), phase=Phase.INFUSION, notes="day zero", feeling=4)
        )
        await journal.add(ALICE, EntryDraft(date(2026, 12, 1), notes="a month on", fatigue=6))
        await journal.add(BOB, EntryDraft(date(2026, 12, 2), notes="bob's only entry"))
        await journal.set_reminder(ALICE, Cadence.WEEKLY, time(20, 30), ZoneInfo("Europe/Madrid"), weekday=2)
        await journal.set_timezone(BOB, ZoneInfo("Asia/Tokyo"))
        return await snapshot(journal)
    finally:
        await journal.close()
        await db.close()


async def snapshot(journal: JournalService) -> list[object]:
    return [
        await journal.all_entries(ALICE),
        await journal.all_entries(BOB),
        await journal.get_reminder(ALICE),
        await journal.member_timezone(BOB),
    ]


def raw_bytes(path: Path) -> bytes:
    return b"".join(
        Path(f"{path}{suffix}").read_bytes() for suffix in ("", "-wal") if Path(f"{path}{suffix}").exists()
    )


def names_in(folder: Path, pattern: str) -> list[str]:
    return sorted(found.name for found in folder.glob(pattern))


async def rotate(path: Path, configured: str = "") -> journal_module.KeyRotation:
    db = await open_database(path)
    try:
        assert await lock_out_other_connections(db)
        return await rotate_journal_key(db, configured, default_key_path(path), NOW)
    finally:
        await db.close()


async def test_a_key_file_journal_is_resealed_under_a_new_key_file(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    before = await write_a_journal(path)
    key_path = default_key_path(path)
    old_key = key_path.read_text().strip()
    old_pseudonym = JournalKeys(old_key.encode()).pseudonym(ALICE)

    rotation = await rotate(path)

    assert rotation.new_key is None and rotation.report is not None
    assert (rotation.report.members, rotation.report.entries, rotation.report.reminders) == (2, 3, 1)
    new_key = key_path.read_text().strip()
    assert new_key != old_key and (key_path.stat().st_mode & 0o777) == 0o600
    assert rotation.retired_key is not None and rotation.retired_key.read_text().strip() == old_key
    pending, _ = rotation_paths(key_path, "")
    assert not pending.exists()

    db, journal = await open_journal(path)  # reads the new key file
    try:
        assert await snapshot(journal) == before
        raw = raw_bytes(path)
        assert old_pseudonym not in raw and JournalKeys(new_key.encode()).pseudonym(ALICE) in raw
    finally:
        await journal.close()
        await db.close()
    db = await open_database(path)
    try:
        with pytest.raises(JournalKeyError, match="not the key"):
            await load_journal_keys(db, old_key, default_key_path(path))
    finally:
        await db.close()

    assert rotation.backup is not None
    db, journal = await open_journal(rotation.backup, old_key)  # the backup opens with the old key
    try:
        assert await snapshot(journal) == before
    finally:
        await journal.close()
        await db.close()


async def test_a_journal_key_setting_gets_its_new_key_handed_back(tmp_path: Path) -> None:
    path, configured = tmp_path / "bot.sqlite3", generate_key()
    before = await write_a_journal(path, configured)

    rotation = await rotate(path, configured)

    assert rotation.new_key is not None and rotation.new_key != configured
    assert not default_key_path(path).exists()  # never a key file for a JOURNAL_KEY setup
    db, journal = await open_journal(path, rotation.new_key)
    try:
        assert await snapshot(journal) == before
    finally:
        await journal.close()
        await db.close()


async def test_a_wrong_key_rotates_nothing(tmp_path: Path) -> None:
    path, configured = tmp_path / "bot.sqlite3", generate_key()
    await write_a_journal(path, configured)
    before = path.read_bytes()
    with pytest.raises(JournalKeyError, match="not the key"):
        await rotate(path, generate_key())
    assert path.read_bytes() == before
    assert names_in(tmp_path, "*.bak") == names_in(tmp_path, "*.key") == []


async def test_a_value_that_does_not_open_stops_the_rotation_and_changes_nothing(tmp_path: Path) -> None:
    """All or nothing: one tampered entry, and every row keeps its old seal; no new key is left."""
    path = tmp_path / "bot.sqlite3"
    before = await write_a_journal(path)
    db = await open_database(path)
    try:
        await db.execute("UPDATE journal_entries SET sealed = randomblob(60) WHERE seq = 2")
    finally:
        await db.close()
    key_before = default_key_path(path).read_text()
    with pytest.raises(JournalIntegrityError):
        await rotate(path)
    assert default_key_path(path).read_text() == key_before
    pending, _ = rotation_paths(default_key_path(path), "")
    assert not pending.exists()
    db, journal = await open_journal(path)
    try:
        assert (await journal.all_entries(BOB)) == before[1]  # untouched, still readable
    finally:
        await journal.close()
        await db.close()


async def test_a_rotation_interrupted_before_the_new_key_was_in_place_is_finished_next_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The re-sealing committed, then the process died before the key file was replaced: the bot
    says so at start, and running rotate-key again puts the new key in place."""
    path = tmp_path / "bot.sqlite3"
    before = await write_a_journal(path)

    def crash(*args: object) -> None:
        raise OSError("power cut")

    monkeypatch.setattr(journal_module, "install_rotated_key", crash)
    with pytest.raises(OSError, match="power cut"):
        await rotate(path)
    monkeypatch.undo()

    db = await open_database(path)
    try:
        with pytest.raises(JournalKeyError, match="rotate-key` again"):
            await load_journal_keys(db, "", default_key_path(path))
    finally:
        await db.close()

    finished = await rotate(path)
    assert finished.report is None and finished.retired_key is not None
    db, journal = await open_journal(path)
    try:
        assert await snapshot(journal) == before
    finally:
        await journal.close()
        await db.close()


async def test_a_database_in_use_is_not_taken(tmp_path: Path) -> None:
    """While the bot has the database open, rotate-key cannot take it (and changes nothing)."""
    path = tmp_path / "bot.sqlite3"
    await write_a_journal(path)
    running, _ = await open_journal(path)
    try:
        other = await open_database(path)
        try:
            assert not await lock_out_other_connections(other)
        finally:
            await other.close()
    finally:
        await running.close()
