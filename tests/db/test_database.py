"""The database layer: pragmas, migrations, transactions and online backup on real files."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.db.database import Database, open_database
from bot.db.migrate import apply_migrations, available_migrations, current_version
from bot.db.repositories.bot_state import BotStateRepository


async def test_wal_and_foreign_keys_are_on(db: Database) -> None:
    mode = await db.fetch_one("PRAGMA journal_mode")
    fks = await db.fetch_one("PRAGMA foreign_keys")
    assert mode is not None and mode[0] == "wal"
    assert fks is not None and fks[0] == 1


async def test_migrations_bring_schema_to_latest_and_are_idempotent(db: Database) -> None:
    latest = available_migrations()[-1].version
    assert await current_version(db) == latest
    assert await apply_migrations(db) == []


async def test_parent_folder_is_created(tmp_path: Path) -> None:
    database = await open_database(tmp_path / "deep" / "er" / "bot.sqlite3")
    try:
        assert (tmp_path / "deep" / "er" / "bot.sqlite3").exists()
    finally:
        await database.close()


async def test_failed_transaction_changes_nothing(db: Database, clock) -> None:
    state = BotStateRepository(db)
    await state.set("k", "before", clock.now())
    with pytest.raises(RuntimeError):
        async with db.transaction() as connection:
            await connection.execute("UPDATE bot_state SET value = 'after' WHERE key = 'k'")
            raise RuntimeError("boom")
    assert await state.get("k") == "before"


async def test_backup_is_a_consistent_copy(db: Database, clock, tmp_path: Path) -> None:
    state = BotStateRepository(db)
    await state.set("tree_hash", "abc", clock.now())
    target = tmp_path / "backups" / "copy.sqlite3"
    await db.backup_to(target)
    with sqlite3.connect(target) as copy:
        assert copy.execute("SELECT value FROM bot_state WHERE key='tree_hash'").fetchone() == ("abc",)
        assert copy.execute("PRAGMA user_version").fetchone()[0] == await current_version(db)
    copy.close()


async def test_state_upsert_overwrites(db: Database, clock) -> None:
    state = BotStateRepository(db)
    assert await state.get("missing") is None
    await state.set("k", "1", clock.now())
    await state.set("k", "2", clock.now())
    assert await state.get("k") == "2"


async def test_other_tasks_wait_for_an_open_transaction(db: Database, clock) -> None:
    """A write from another task must not land inside, and roll back with, someone else's transaction."""
    import asyncio

    state = BotStateRepository(db)
    inside = asyncio.Event()

    async def failing_transaction() -> None:
        async with db.transaction() as connection:
            await connection.execute("INSERT INTO bot_state VALUES ('mine', 'x', 'now')")
            inside.set()
            await asyncio.sleep(0.05)
            raise RuntimeError("roll back")

    async def other_writer() -> None:
        await inside.wait()
        await state.set("theirs", "kept", clock.now())

    results = await asyncio.gather(failing_transaction(), other_writer(), return_exceptions=True)
    assert isinstance(results[0], RuntimeError)
    assert await state.get("theirs") == "kept"
    assert await state.get("mine") is None


async def test_a_database_with_data_is_copied_before_migrating(tmp_path: Path, clock) -> None:
    from bot.db.migrate import backup_path_before

    database = await open_database(tmp_path / "bot.sqlite3")
    try:
        await database.execute("CREATE TABLE bot_state (key TEXT PRIMARY KEY, value TEXT, updated_at TEXT)")
        await database.execute("INSERT INTO bot_state VALUES ('k', 'old', 'then')")
        await database.execute("PRAGMA user_version = 1")
        await apply_migrations(database)
        copy_path = backup_path_before(database, 1)
    finally:
        await database.close()
    with sqlite3.connect(copy_path) as copy:
        assert copy.execute("PRAGMA user_version").fetchone()[0] == 1
        assert copy.execute("SELECT value FROM bot_state").fetchone() == ("old",)
    copy.close()


async def test_a_new_database_is_not_copied(tmp_path: Path) -> None:
    database = await open_database(tmp_path / "fresh.sqlite3")
    try:
        await apply_migrations(database)
    finally:
        await database.close()
    assert not list(tmp_path.glob("*.bak"))  # noqa: ASYNC240 - a test reading its own tmp folder


async def test_a_transaction_cancelled_before_it_began_leaves_nothing_open(db: Database, clock) -> None:
    """Cancelled while BEGIN waits behind slow work: later writes must not fall into a stale transaction."""
    import asyncio

    slow = asyncio.ensure_future(
        db.fetch_all(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300000) "
            "SELECT count(*) FROM n"
        )
    )
    await asyncio.sleep(0)

    async def doomed() -> None:
        async with db.transaction() as connection:
            await connection.execute("INSERT INTO bot_state VALUES ('doomed', 'x', 'now')")

    task = asyncio.ensure_future(doomed())
    await asyncio.sleep(0.005)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await slow
    state = BotStateRepository(db)
    await state.set("after", "kept", clock.now())
    async with db.transaction() as connection:
        await connection.execute("INSERT INTO bot_state VALUES ('later', 'y', 'now')")
    assert not db.connection.in_transaction
    assert await state.get("after") == "kept" and await state.get("later") == "y"
    assert await state.get("doomed") is None


async def test_backup_replaces_an_old_copy_whole(db: Database, clock, tmp_path: Path) -> None:
    target = tmp_path / "copy.sqlite3"
    target.write_bytes(b"an older backup")
    await BotStateRepository(db).set("k", "v", clock.now())
    await db.backup_to(target)
    with sqlite3.connect(target) as copy:
        assert copy.execute("SELECT value FROM bot_state").fetchone() == ("v",)
    copy.close()
    assert not list(tmp_path.glob(".*.partial"))  # noqa: ASYNC240 - the test's own tmp folder
