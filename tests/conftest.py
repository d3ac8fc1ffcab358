"""Fixtures shared by every test: a real, migrated SQLite database in a temporary folder."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.core.clock import FakeClock
from bot.db.database import Database, open_database
from bot.db.migrate import apply_migrations


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    """A migrated database file in `tmp_path`, closed after the test (an open one blocks exit)."""
    database = await open_database(tmp_path / "test.sqlite3")
    try:
        await apply_migrations(database)
        yield database
    finally:
        await database.close()


@pytest.fixture
def clock() -> FakeClock:
    """A clock that moves only when the test says so."""
    return FakeClock()
