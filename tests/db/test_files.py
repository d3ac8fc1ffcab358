"""The database's files are private on disk: a copy of the folder by another user reads nothing."""

from __future__ import annotations

import logging
import stat
from pathlib import Path

import pytest

from bot.core.clock import FakeClock
from bot.db.database import open_database
from bot.db.migrate import apply_migrations, backup_path_before
from bot.db.repositories.bot_state import BotStateRepository


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def test_a_new_database_and_its_side_files_are_0600_in_a_0700_folder(tmp_path: Path) -> None:
    path = tmp_path / "data" / "bot.sqlite3"
    db = await open_database(path)
    try:
        await apply_migrations(db)
        await BotStateRepository(db).set("k", "v", FakeClock().now())  # the WAL and shm now exist
        files = [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]
        assert [mode(f) for f in files] == [0o600, 0o600, 0o600]
        assert mode(path.parent) == 0o700
    finally:
        await db.close()


async def test_files_left_open_by_an_older_release_are_fixed_at_start_with_one_log_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = tmp_path / "data"
    path = folder / "bot.sqlite3"
    db = await open_database(path)
    await apply_migrations(db)
    await db.close()
    old_copy = folder / "bot.sqlite3.before-0003.bak"
    old_copy.write_bytes(b"old")
    key = folder / "bot.journal.key"
    key.write_text("secret")
    for each in (path, old_copy, key):
        each.chmod(0o644)
    folder.chmod(0o755)
    with caplog.at_level(logging.WARNING, logger="bot.db.database"):
        db = await open_database(path)
    try:
        assert [mode(p) for p in (path, old_copy, key)] == [0o600, 0o600, 0o600]
        assert mode(folder) == 0o700
        lines = [r for r in caplog.records if "private to this user" in r.getMessage()]
        assert len(lines) == 1
    finally:
        await db.close()


async def test_backups_and_pre_migration_copies_are_private(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    db = await open_database(path)
    try:
        await apply_migrations(db)
        target = tmp_path / "elsewhere" / "backup.sqlite3"
        await db.backup_to(target)
        assert mode(target) == 0o600
        copy = backup_path_before(db, 1)
        await db.backup_to(copy)
        assert mode(copy) == 0o600
    finally:
        await db.close()
