"""Numbered migrations; the applied version lives in the database file (PRAGMA user_version).

A migration is `migrations/NNNN_name.sql`, optionally with a Python step beside it,
`migrations/NNNN_name.py`, for what SQL cannot do (re-sealing journal values, say). The step
defines `async def run(db: Database, inputs: MigrationInputs) -> None` and runs after the SQL,
in the same transaction: a step that raises leaves the database exactly as it was. What a step
needs from outside the database (the journal key) comes through `MigrationInputs`, resolved only
when a step asks, so a database with nothing to convert never needs it. A step whose module sets
`VACUUM_AFTER = True` replaced data that must not linger (plaintext it sealed): once its
transaction commits, the file is rebuilt (VACUUM) and the write-ahead log emptied.
"""

from __future__ import annotations

import importlib
import logging
import re
import sqlite3
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from types import ModuleType
from typing import cast

from bot.db.database import Database

log = logging.getLogger(__name__)

_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
_PACKAGE = "bot.db.migrations"


@dataclass(frozen=True)
class MigrationInputs:
    """What a migration's Python step may need from outside the database, each asked for lazily.

    `journal_key` returns the journal's root key as configured (`JOURNAL_KEY` or the key file),
    raising `JournalKeyError` when there is none; None where no key can exist (a scratch database).
    """

    journal_key: Callable[[], bytes] | None = None

    def require_journal_key(self, version: int) -> bytes:
        """The journal key for migration `version`, or a `MigrationError` saying why it is needed."""
        if self.journal_key is None:
            raise MigrationError(
                f"migration {version:04d} re-seals the journal and needs its key; run it with the "
                f"bot's own settings (`stemcell-bot migrate` or `stemcell-bot run`)"
            )
        return self.journal_key()


#: A migration's Python step: runs after its SQL, inside the same transaction.
PythonStep = Callable[[Database, MigrationInputs], Awaitable[None]]


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str
    step: PythonStep | None = None
    #: Rebuild the file and empty the WAL once committed: what it replaced must leave no trace.
    vacuum_after: bool = False


class MigrationError(Exception):
    """A migration file is malformed, or the database is newer than this code."""


def available_migrations() -> list[Migration]:
    """All shipped migrations in order of their number (each number used once)."""
    folder = resources.files("bot.db") / "migrations"
    names = {entry.name for entry in folder.iterdir()}
    found: list[Migration] = []
    for entry in folder.iterdir():
        match = _NAME.match(entry.name)
        if not match:
            continue
        module = _python_module(entry.name.removesuffix(".sql")) if f"{entry.name[:-4]}.py" in names else None
        found.append(
            Migration(
                int(match.group(1)),
                match.group(2),
                entry.read_text("utf-8"),
                None if module is None else _python_step(module),
                vacuum_after=bool(getattr(module, "VACUUM_AFTER", False)),
            )
        )
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise MigrationError(f"migrations: two files share a number in {versions}")
    return found


async def current_version(db: Database) -> int:
    row = await db.fetch_one("PRAGMA user_version")
    return int(row[0]) if row else 0


async def pending_migrations(db: Database) -> list[Migration]:
    version = await current_version(db)
    migrations = available_migrations()
    if migrations and version > migrations[-1].version:
        raise MigrationError(
            f"database is at schema version {version}, newer than this code knows "
            f"({migrations[-1].version}); run a newer release of the bot"
        )
    return [m for m in migrations if m.version > version]


def _python_module(module_name: str) -> ModuleType:
    """`migrations/<module_name>.py` (a name starting with digits, so imported by name rather than
    by an import statement)."""
    return importlib.import_module(f"{_PACKAGE}.{module_name}")


def _python_step(module: ModuleType) -> PythonStep:
    step = getattr(module, "run", None)
    if not callable(step):
        raise MigrationError(f"{module.__name__} defines no `async def run(db, inputs)`")
    return cast(PythonStep, step)


def backup_path_before(db: Database, version: int) -> Path:
    """Where the copy taken before migrating a database at `version` goes (beside the database)."""
    return db.path.with_name(f"{db.path.name}.before-{version:04d}.bak")


async def apply_migrations(db: Database, inputs: MigrationInputs | None = None) -> list[Migration]:
    """Apply every pending migration, each in its own transaction with its version bump.

    A database that already holds data is first copied beside itself, so a migration that goes
    wrong in production can be undone by putting the copy back. `inputs` are handed to Python steps.
    """
    inputs = inputs or MigrationInputs()
    applied: list[Migration] = []
    pending = await pending_migrations(db)
    version = await current_version(db)
    if pending and version > 0:
        target = backup_path_before(db, version)
        await db.backup_to(target)
        log.info("Copied the database to %s before migrating from %04d", target, version)
    for migration in pending:
        statements = _split_statements(migration.sql)
        async with db.transaction() as connection:
            for statement in statements:
                await connection.execute(statement)
            if migration.step is not None:
                await migration.step(db, inputs)
            await connection.execute(f"PRAGMA user_version = {migration.version:d}")
        if migration.vacuum_after:
            await db.execute("VACUUM")
            await db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        log.info("Applied migration %04d_%s", migration.version, migration.name)
        applied.append(migration)
    return applied


def _split_statements(sql: str) -> list[str]:
    """Split a migration script into complete statements (triggers included)."""
    statements: list[str] = []
    buffer: list[str] = []
    for line in sql.splitlines():
        if not buffer and (not line.strip() or line.lstrip().startswith("--")):
            continue
        buffer.append(line)
        text = "\n".join(buffer)
        if sqlite3.complete_statement(text):
            statements.append(text.strip())
            buffer = []
    if "\n".join(buffer).strip():
        raise MigrationError("migration ends with an incomplete statement (missing ';'?)")
    return statements
