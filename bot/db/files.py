"""The database's files on disk are private: 0600 files in a 0700 folder.

A journal is health data. SQLite's own files (the database, its `-wal` and `-shm`), the copies taken
before a migration, backups and the journal key file are readable by the bot's user only. New files
are created that way; files left readable by an older release are fixed at start (and logged once).
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

log = logging.getLogger(__name__)

FILE_MODE = 0o600
FOLDER_MODE = 0o700
_SIDE_FILES = ("-wal", "-shm", "-journal")


def create_private_file(path: Path) -> None:
    """Create `path` empty with mode 0600 unless it exists (SQLite gives its side files the same mode)."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        return
    os.close(descriptor)


def make_private_folder(folder: Path) -> None:
    """Create the data folder 0700 (and its parents as the system makes them)."""
    folder.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)


def database_files(database_path: Path) -> list[Path]:
    """Every file of the database that exists: the file, its side files, its pre-migration copies,
    and the journal key file beside it."""
    folder = database_path.parent
    found = [database_path, *(database_path.with_name(database_path.name + s) for s in _SIDE_FILES)]
    if folder.is_dir():
        found += sorted(folder.glob(f"{database_path.name}.before-*.bak"))
        found += sorted(folder.glob(f"{database_path.stem}*.key"))
    return [path for path in found if path.is_file()]


def restrict_permissions(database_path: Path) -> list[Path]:
    """Make the database's files 0600 and its folder 0700; returns what had to change.

    The folder is left alone when it is the working directory or the home directory (a database
    placed there shares the folder with other things); `open_database` warns about that instead.
    """
    changed: list[Path] = []
    for path in database_files(database_path):
        if stat.S_IMODE(path.stat().st_mode) != FILE_MODE:
            path.chmod(FILE_MODE)
            changed.append(path)
    folder = database_path.parent.resolve()
    if not shared_folder(folder) and stat.S_IMODE(folder.stat().st_mode) & 0o077:
        folder.chmod(stat.S_IMODE(folder.stat().st_mode) & ~0o077)
        changed.append(folder)
    return changed


def shared_folder(folder: Path) -> bool:
    """The working directory or the home directory: not the bot's own, so its mode is not ours to set."""
    resolved = folder.resolve()
    return resolved in {Path.cwd().resolve(), Path.home().resolve(), Path(resolved.anchor)}
