"""The command line as an operator meets it: run in a subprocess, read what it prints and its exit code."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

from content_factory import modified, topic, write_content


def run_cli(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "DATABASE_", "CONTENT_"))}
    clean.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_run_without_token_is_one_clear_line(tmp_path: Path) -> None:
    result = run_cli(cwd=tmp_path)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("DISCORD_TOKEN: not set") and ".env" in lines[0]
    assert "Traceback" not in result.stderr


def test_bad_settings_each_on_its_own_line(tmp_path: Path) -> None:
    result = run_cli(
        cwd=tmp_path, env={"DISCORD_TOKEN": "x", "SYNC_COMMANDS": "maybe", "DEV_GUILD_ID": "abc"}
    )
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert [line.split(":")[0] for line in lines] == ["DEV_GUILD_ID", "SYNC_COMMANDS"]


def test_env_file_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("SYNC_COMMANDS=sometimes\n")
    result = run_cli("check", cwd=tmp_path)
    assert result.returncode == 1
    assert "SYNC_COMMANDS: 'sometimes'" in result.stderr


def test_check_passes_on_shipped_content(tmp_path: Path) -> None:
    result = run_cli("check", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "All clear." in result.stdout
    assert "migrations:" in result.stdout and "apply cleanly" in result.stdout
    assert "clinic words" in result.stdout
    assert "journal key: none yet" in result.stdout


def test_check_names_file_and_entry_of_broken_content(tmp_path: Path) -> None:
    def break_it(c: dict) -> None:
        c["explainers.yaml"]["topics"].append(topic("risks", aliases=[]))
        c["explainers.yaml"]["topics"][0]["body"] = "long " * 900

    folder = write_content(tmp_path / "content", modified(break_it))
    result = run_cli("check", cwd=tmp_path, env={"CONTENT_DIR": str(folder)})
    assert result.returncode == 1
    assert "explainers.yaml: topic 'risks': slug: duplicate slug" in result.stderr
    assert "explainers.yaml: topic 'hsct': description: 4527 characters, Discord allows 4096" in result.stderr
    assert "Traceback" not in result.stderr


def test_preview_renders_topic_with_sources(tmp_path: Path) -> None:
    result = run_cli("preview", "bone marow", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "HSCT" in result.stdout and "## Sources" in result.stdout and "https://" in result.stdout


def test_preview_unknown_topic_suggests(tmp_path: Path) -> None:
    result = run_cli("preview", "zebra crossing", cwd=tmp_path)
    assert result.returncode == 1
    assert "no topic matches 'zebra crossing'" in result.stderr


def test_migrate_then_backup(tmp_path: Path) -> None:
    env = {"DATABASE_PATH": str(tmp_path / "data" / "bot.sqlite3")}
    first = run_cli("migrate", cwd=tmp_path, env=env)
    assert first.returncode == 0 and first.stdout.startswith("Applied: 0001_initial"), first
    again = run_cli("migrate", cwd=tmp_path, env=env)
    assert again.stdout.strip() == "Database is up to date."
    backup = run_cli("backup", str(tmp_path / "copy.sqlite3"), cwd=tmp_path, env=env)
    assert backup.returncode == 0, backup.stderr
    with sqlite3.connect(tmp_path / "copy.sqlite3") as copy:
        assert copy.execute("PRAGMA user_version").fetchone()[0] >= 1
    copy.close()


def test_help_documents_every_command(tmp_path: Path) -> None:
    result = run_cli("--help", cwd=tmp_path)
    assert result.returncode == 0
    for command in ("run", "check", "preview", "migrate", "backup", "rotate-key"):
        assert command in result.stdout


def test_wrong_journal_key_stops_the_bot_and_changes_nothing(tmp_path: Path) -> None:
    """With journal data written under one key, starting with another is one clear line, exit 1."""
    import asyncio
    from datetime import date

    from cryptography.fernet import Fernet

    from bot.core.clock import SystemClock
    from bot.core.journal.model import EntryDraft
    from bot.db.database import open_database
    from bot.db.migrate import apply_migrations
    from bot.db.repositories.journal import JournalRepository
    from bot.services.journal import JournalService, load_journal_keys

    database = tmp_path / "bot.sqlite3"
    first_key = Fernet.generate_key().decode()

    async def write_an_entry() -> None:
        db = await open_database(database)
        try:
            await apply_migrations(db)
            keys = await load_journal_keys(db, first_key, tmp_path / "unused.key")
            journal = JournalService(JournalRepository(db, keys), SystemClock())
            await journal.add(1, EntryDraft(entry_date=date(2026, 1, 5), notes="day +3, tired"))
        finally:
            await db.close()

    asyncio.run(write_an_entry())
    before = database.read_bytes()
    result = run_cli(
        "run",
        cwd=tmp_path,
        env={
            "DISCORD_TOKEN": "x" * 20,
            "DATABASE_PATH": str(database),
            "JOURNAL_KEY": Fernet.generate_key().decode(),
            "DISCORD_API_BASE": "http://127.0.0.1:9/api/v10",
        },
    )
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("JOURNAL_KEY:") and "Traceback" not in result.stderr
    assert first_key not in result.stderr
    assert database.read_bytes() == before


def test_an_unreachable_discord_is_one_line(tmp_path: Path) -> None:
    result = run_cli(
        "run",
        cwd=tmp_path,
        env={
            "DISCORD_TOKEN": "x" * 20,
            "DATABASE_PATH": str(tmp_path / "bot.sqlite3"),
            "DISCORD_API_BASE": "http://127.0.0.1:9/api/v10",
        },
    )
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("DISCORD_API_BASE: cannot reach http://127.0.0.1:9/api/v10"), result.stderr
    assert "Traceback" not in result.stderr


def test_check_prints_each_topics_reading_grade(tmp_path: Path) -> None:
    result = run_cli("check", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "reading grades (Flesch-Kincaid, at most 8):" in result.stdout
    topic_lines = re.findall(r"^  ([a-z0-9-]+) +(\d+\.\d)$", result.stdout, re.MULTILINE)
    grades = {slug: float(value) for slug, value in topic_lines}
    assert {"hsct", "risks", "fertility", "choosing-a-centre", "after-hsct"} <= set(grades)
    assert all(0 < value <= 8 for value in grades.values())
    assert "glossary" in result.stdout and "at the hardest" in result.stdout


def test_check_fails_on_hard_text_and_unexplained_jargon_and_still_prints_grades(tmp_path: Path) -> None:
    def harden(c: dict) -> None:
        c["explainers.yaml"]["topics"][0]["body"] = (
            "Haematopoietic reconstitution following myeloablative conditioning necessitates "
            "comprehensive immunological surveillance throughout the subsequent convalescence period."
        )
        c["explainers.yaml"]["topics"][1]["body"] = "Your EBV will be tested."
        c["jargon.yaml"]["words"].append("EBV")

    folder = write_content(tmp_path / "content", modified(harden))
    result = run_cli("check", cwd=tmp_path, env={"CONTENT_DIR": str(folder)})
    assert result.returncode == 1
    assert "  hsct" in result.stdout and "  risks" in result.stdout
    assert "content: explainers.yaml: topic 'hsct': body: reads at grade" in result.stderr
    assert "content: explainers.yaml: topic 'risks': 'EBV' is a technical word" in result.stderr
    assert "Traceback" not in result.stderr


def test_check_refuses_a_source_without_a_kind(tmp_path: Path) -> None:
    folder = write_content(
        tmp_path / "content", modified(lambda c: c["caution.yaml"]["sources"][0].pop("kind"))
    )
    result = run_cli("check", cwd=tmp_path, env={"CONTENT_DIR": str(folder)})
    assert result.returncode == 1
    assert "content: caution.yaml: caution list: sources[1].kind: missing; expected one of:" in result.stderr


def test_preview_shows_evidence_labels_and_the_reading_grade(tmp_path: Path) -> None:
    result = run_cli("preview", "fertility", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "## Strongest evidence here" in result.stdout
    assert "· *Cohort or registry study*" in result.stdout and "· *Patient organisation*" in result.stdout
    assert "Reading grade of the body (Flesch-Kincaid):" in result.stdout


def test_preview_shows_the_centre_card_and_both_checklists(tmp_path: Path) -> None:
    centre = run_cli("preview", "--centre", cwd=tmp_path)
    assert centre.returncode == 0 and centre.stdout.startswith("Choosing a transplant centre")
    assert "· *Consensus or position statement*" in centre.stdout
    for name, title in (
        ("clinic", "Questions to ask a stem-cell clinic"),
        ("centre", "Questions to ask a transplant"),
    ):
        result = run_cli("preview", "--questions", name, cwd=tmp_path)
        assert result.returncode == 0 and result.stdout.startswith(title), result.stderr
        assert "\n1. " in result.stdout


def _journal_with_an_entry(database: Path, key: str) -> None:
    """A database whose journal holds one entry, sealed with `key` (or a new key file when empty)."""
    import asyncio
    from datetime import date

    from bot.core.clock import SystemClock
    from bot.core.journal.crypto import default_key_path
    from bot.core.journal.model import EntryDraft
    from bot.db.database import open_database
    from bot.db.migrate import apply_migrations
    from bot.db.repositories.journal import JournalRepository
    from bot.services.journal import JournalService, load_journal_keys

    async def write() -> None:
        db = await open_database(database)
        try:
            await apply_migrations(db)
            keys = await load_journal_keys(db, key, default_key_path(database))
            journal = JournalService(JournalRepository(db, keys), SystemClock())
            await journal.add(1, EntryDraft(entry_date=date(2026, 1, 5), notes="day +3, tired"))
            await journal.close()
        finally:
            await db.close()

    asyncio.run(write())


def _note_with(database: Path, key: str) -> str | None:
    import asyncio

    from bot.core.journal.crypto import default_key_path
    from bot.db.database import open_database
    from bot.db.repositories.journal import JournalRepository
    from bot.services.journal import load_journal_keys

    async def read() -> str | None:
        db = await open_database(database)
        try:
            keys = await load_journal_keys(db, key, default_key_path(database))
            entry = await JournalRepository(db, keys).get(1, 1)
            return None if entry is None else entry.notes
        finally:
            await db.close()

    return asyncio.run(read())


def test_rotate_key_with_a_key_file_replaces_it_and_keeps_the_old_one_for_the_backup(tmp_path: Path) -> None:
    from bot.core.journal.crypto import default_key_path

    database = tmp_path / "data" / "bot.sqlite3"
    _journal_with_an_entry(database, "")
    key_file = default_key_path(database)
    old_key = key_file.read_text().strip()

    result = run_cli("rotate-key", cwd=tmp_path, env={"DATABASE_PATH": str(database)})

    assert result.returncode == 0, result.stderr
    new_key = key_file.read_text().strip()
    assert new_key != old_key and old_key not in result.stdout and new_key not in result.stdout
    assert "Re-sealed 1 member(s), 1 entry and 0 reminder(s)" in result.stdout
    assert f"The new key is in {key_file}" in result.stdout and "Back the new key file up" in result.stdout
    [backup] = database.parent.glob("bot.sqlite3.before-rotate-*.bak")
    [retired] = database.parent.glob("bot.before-rotate-*.journal.key")
    assert retired.read_text().strip() == old_key and str(backup) in result.stdout
    assert _note_with(database, "") == "day +3, tired"
    assert _note_with(backup, old_key) == "day +3, tired"


def test_rotate_key_with_journal_key_prints_the_new_key_once(tmp_path: Path) -> None:
    from bot.core.journal.crypto import generate_key

    database = tmp_path / "bot.sqlite3"
    old_key = generate_key()
    _journal_with_an_entry(database, old_key)

    result = run_cli("rotate-key", cwd=tmp_path, env={"DATABASE_PATH": str(database), "JOURNAL_KEY": old_key})

    assert result.returncode == 0, result.stderr
    found = re.search(r"New journal key \(shown once, stored nowhere\): (\S{44})", result.stdout)
    assert found is not None, result.stdout
    assert "Set JOURNAL_KEY to it before you start the bot again" in result.stdout
    assert sorted(path.name for path in tmp_path.glob("*.key")) == []  # nothing left on disk
    assert _note_with(database, found.group(1)) == "day +3, tired"


def test_rotate_key_refuses_while_the_database_is_open_and_changes_nothing(tmp_path: Path) -> None:
    database = tmp_path / "bot.sqlite3"
    _journal_with_an_entry(database, "")
    # Read before the holder opens it: closing any descriptor of the file (read_bytes does) drops
    # every POSIX lock this process holds on it, the holder's included.
    before = database.read_bytes()
    holder = sqlite3.connect(database)  # the bot, in another process, with the database open
    try:
        holder.execute("SELECT count(*) FROM journal_entries").fetchone()
        result = run_cli("rotate-key", cwd=tmp_path, env={"DATABASE_PATH": str(database)})
    finally:
        holder.close()
    assert result.returncode == 1 and "Traceback" not in result.stderr
    line = result.stderr.strip().splitlines()[-1]
    assert line.startswith("rotate-key:") and "is the bot running?" in line and "Nothing was changed" in line
    assert database.read_bytes() == before
    assert sorted(path.name for path in tmp_path.iterdir() if path.suffix in (".bak", ".key")) == [
        "bot.journal.key"
    ]


def test_rotate_key_without_a_journal_key_is_one_clear_line(tmp_path: Path) -> None:
    database = tmp_path / "bot.sqlite3"
    _journal_with_an_entry(database, "")
    (tmp_path / "bot.journal.key").unlink()
    result = run_cli("rotate-key", cwd=tmp_path, env={"DATABASE_PATH": str(database)})
    assert result.returncode == 1 and "Traceback" not in result.stderr
    line = result.stderr.strip().splitlines()[-1]
    assert line.startswith("rotate-key:") and "JOURNAL_KEY is not set" in line
