"""The process's one aiosqlite connection: opened at start-up, closed at shutdown."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sqlite3
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite

from bot.db.files import create_private_file, make_private_folder, restrict_permissions, shared_folder

log = logging.getLogger(__name__)


class Database:
    """A thin owner of the connection; repositories run their statements through it."""

    def __init__(self, connection: aiosqlite.Connection, path: Path) -> None:
        self.connection = connection
        self.path = path
        self._closed = False
        # One connection is shared by every task: while one task holds a transaction open, the
        # others wait, so their statements never slip into (or roll back with) someone else's.
        self._transaction_lock = asyncio.Lock()
        self._transaction_owner: asyncio.Task[Any] | None = None

    async def _wait_for_other_transactions(self) -> None:
        """Let another task's open transaction finish first; our own statements pass straight on.

        The lock is not held while the statement runs: aiosqlite runs requests in the order they
        are queued, and nothing awaits between this wait and queuing the statement, so it lands
        before any transaction that starts later, and concurrent statements still overlap.
        """
        if self._transaction_lock.locked() and self._transaction_owner is not asyncio.current_task():
            async with self._transaction_lock:
                pass

    def in_own_transaction(self) -> bool:
        """True inside the current task's `transaction()`: work handed to another task would wait for it."""
        return self._transaction_owner is not None and self._transaction_owner is asyncio.current_task()

    async def execute(self, sql: str, params: Iterable[Any] = ()) -> int:
        """Run one statement in its own implicit transaction; return the affected row count."""
        await self._wait_for_other_transactions()
        cursor = await self.connection.execute(sql, tuple(params))
        try:
            return cursor.rowcount
        finally:
            await cursor.close()

    async def insert(self, sql: str, params: Iterable[Any] = ()) -> int:
        """Run one INSERT and return the new row id."""
        await self._wait_for_other_transactions()
        cursor = await self.connection.execute(sql, tuple(params))
        try:
            return int(cursor.lastrowid or 0)
        finally:
            await cursor.close()

    async def fetch_all(self, sql: str, params: Iterable[Any] = ()) -> list[sqlite3.Row]:
        await self._wait_for_other_transactions()
        return list(await self.connection.execute_fetchall(sql, tuple(params)))

    async def fetch_one(self, sql: str, params: Iterable[Any] = ()) -> sqlite3.Row | None:
        rows = await self.fetch_all(sql, params)
        return rows[0] if rows else None

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """One explicit transaction: committed on success, rolled back on any error or cancellation.

        Inside it, use this object's methods (or the yielded connection) from the same task.
        """
        async with self._transaction_lock:
            self._transaction_owner = asyncio.current_task()
            try:
                await self.connection.execute("BEGIN IMMEDIATE")
                yield self.connection
                await self.connection.execute("COMMIT")
            except BaseException:
                # Also when cancelled while BEGIN or COMMIT was still queued: the worker thread runs
                # them anyway, so queue a ROLLBACK behind them rather than leave a transaction open
                # for the next statement to fall into.
                await asyncio.shield(self._roll_back_if_open())
                raise
            finally:
                self._transaction_owner = None

    async def _roll_back_if_open(self) -> None:
        with contextlib.suppress(sqlite3.OperationalError):  # none was open (BEGIN itself failed)
            await self.connection.execute("ROLLBACK")

    async def backup_to(self, target: Path) -> None:
        """Consistent online copy through SQLite's backup API (safe while the bot writes).

        Written to a temporary file beside `target` and moved into place, so an interrupted
        backup never replaces a good one with half a copy.
        """
        partial = target.with_name(f".{target.name}.partial")
        await asyncio.to_thread(_prepare_backup_target, partial)
        destination = await aiosqlite.connect(partial)
        try:
            await self.connection.backup(destination)
        finally:
            await destination.close()
        await asyncio.to_thread(_move_into_place, partial, target)

    async def close(self) -> None:
        if not self._closed:
            self._closed = True
            await self.connection.close()

    @property
    def closed(self) -> bool:
        return self._closed


def _prepare_backup_target(target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    target.unlink(missing_ok=True)
    create_private_file(target)  # a backup holds the journals: readable by the bot's user only


def _move_into_place(partial: Path, target: Path) -> None:
    """fsync the finished copy, rename it over `target`, fsync the folder: all or nothing."""
    with partial.open("rb") as copy:
        os.fsync(copy.fileno())
    os.replace(partial, target)
    folder = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


async def open_database(path: Path) -> Database:
    """Open (creating the folder if needed) with WAL, foreign keys and rows by name; files private.

    `isolation_level=None` keeps each single statement its own transaction; multi-statement
    changes use `Database.transaction()`.
    """
    path = Path(path)
    make_private_folder(path.parent)
    create_private_file(path)
    fixed = restrict_permissions(path)
    if fixed:
        log.warning(
            "Made %d database file(s) or folder(s) private to this user (they were open to others): %s",
            len(fixed),
            ", ".join(str(p) for p in fixed),
        )
    if shared_folder(path.parent):
        log.warning("The database sits in %s, a shared folder; a folder of its own is safer", path.parent)
    connection = await aiosqlite.connect(path, isolation_level=None)
    try:
        connection.row_factory = sqlite3.Row
        await connection.execute("PRAGMA journal_mode=WAL")
        await connection.execute("PRAGMA synchronous=NORMAL")
        await connection.execute("PRAGMA foreign_keys=ON")
        # Deleted rows (a member's `/journal forget`) are overwritten, not left in free pages.
        await connection.execute("PRAGMA secure_delete=ON")
        await connection.execute("PRAGMA busy_timeout=5000")
    except BaseException:
        await connection.close()
        raise
    return Database(connection, path)
