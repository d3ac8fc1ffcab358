"""A migrated database holding the real place index, built once per test run and copied per test.

Building the index from the packaged GeoNames data takes about a second; tests of place names
need it, but not a fresh build each. `database_with_places(folder)` builds it once (the first
caller pays) into a template file and copies that file into `folder`, so each test still gets
its own database file to change as it likes.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

from bot.core.clock import SystemClock
from bot.core.trials.geo import Gazetteer
from bot.db.database import open_database
from bot.db.migrate import apply_migrations
from bot.db.repositories.places import PlaceIndexRepository

DATABASE_NAME = "bot.sqlite3"
_template: Path | None = None


async def _build_template() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="place-index-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    path = folder / DATABASE_NAME
    database = await open_database(path)
    try:
        await apply_migrations(database)
        await Gazetteer(PlaceIndexRepository(database), SystemClock()).ready()
        # One file, no WAL beside it, so a plain copy is the whole database.
        await database.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        await database.close()
    return path


async def database_with_places(folder: Path, name: str = DATABASE_NAME) -> Path:
    """A copy of the template database (migrated, place index built) at `folder / name`."""
    global _template
    if _template is None:  # tests run one at a time, so no lock is needed
        _template = await _build_template()
    target = folder / name
    shutil.copyfile(_template, target)
    return target
