"""Migration 0011 on a database written the way schema 0010 wrote it: entries named their member by
pseudonym; afterwards they name the member row's number, keep their id, number, dates and sealed
value, read back the same through today's code, and numbering and counting go on where they were."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, date, datetime
from pathlib import Path

from bot.core.clock import FakeClock
from bot.core.journal.crypto import JournalKeys, generate_key
from bot.core.journal.model import EntryDraft
from bot.db.database import open_database
from bot.db.migrate import apply_migrations, available_migrations, current_version
from bot.db.repositories.journal import JournalRepository
from bot.services.journal import JournalService

SCHEMA_VERSION = 10
ALICE, BOB = 349_857_210_938_475_612, 287_364_519_283_746_551
CREATED = "2025-11-28T08:00:00.000000+00:00"


def _sealed(keys: JournalKeys, pseudonym: bytes, kind: bytes, document: dict[str, object]) -> bytes:
    """A value as schema 0010 stored it: JSON sealed under the member's pseudonym (unchanged by 0011)."""
    data = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
    return keys.cipher.seal(data, b"journal:" + pseudonym + b":" + kind)


def release_journal(path: Path, keys: JournalKeys) -> None:
    """Alice: entries #1, #2 (day 0) and #4 (#3 deleted, so her counter is at 4), her sealed id and
    day-0 date. Bob: one entry and no member row (none should exist, but the migration keeps it)."""
    alice, bob = keys.pseudonym(ALICE), keys.pseudonym(BOB)
    connection = sqlite3.connect(path)
    try:
        for migration in available_migrations():
            if migration.version <= SCHEMA_VERSION:
                connection.executescript(migration.sql)
        for table in ("journal_entries_v1", "journal_members_v1", "journal_reminders_v1"):
            connection.execute(f"DROP TABLE {table}")  # what 0009's step drops after converting
        connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        rows = [
            (alice, 1, "2025-11-28", {"k": "AAAAAAAAAAAA", "kd": "note", "s": "slash", "n": "first"}),
            (alice, 2, "2025-12-01", {"k": "BBBBBBBBBBBB", "kd": "note", "s": "slash", "p": "infusion"}),
            (alice, 4, "2025-12-31", {"k": "CCCCCCCCCCCC", "kd": "note", "s": "dm_quick", "n": "home"}),
            (bob, 1, "2025-10-10", {"k": "DDDDDDDDDDDD", "kd": "note", "s": "slash", "n": "bob's"}),
        ]
        connection.execute("INSERT INTO journal_members (member, last_seq) VALUES (?, 4)", (alice,))
        for member, seq, day, document in rows:  # the insert trigger counts them
            connection.execute(
                "INSERT INTO journal_entries (member, seq, entry_date, sealed, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (member, seq, day, _sealed(keys, member, b"entry", document), CREATED, CREATED),
            )
        connection.execute(
            "UPDATE journal_members SET sealed_member = ?, sealed_days = ? WHERE member = ?",
            (
                _sealed(keys, alice, b"member", {"user_id": ALICE}),
                _sealed(keys, alice, b"days", {"infusions": {"2": "2025-12-01"}}),
                alice,
            ),
        )
        connection.execute("DELETE FROM journal_members WHERE member = ?", (bob,))
        connection.commit()
    finally:
        connection.close()


async def test_entries_move_to_member_numbers_and_read_back_the_same(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    keys = JournalKeys(generate_key().encode())
    release_journal(path, keys)
    with sqlite3.connect(path) as before:
        ids_before = before.execute(
            "SELECT id, seq, entry_date, sealed FROM journal_entries ORDER BY id"
        ).fetchall()
    before.close()
    db = await open_database(path)
    try:
        await apply_migrations(db)
        assert await current_version(db) >= 11
        columns = {row["name"] for row in await db.fetch_all("PRAGMA table_info(journal_entries)")}
        assert "member_id" in columns and "member" not in columns
        after = await db.fetch_all("SELECT id, seq, entry_date, sealed FROM journal_entries ORDER BY id")
        assert [tuple(row) for row in after] == ids_before  # ids, numbers, dates and sealed values kept

        journal = JournalService(JournalRepository(db, keys), FakeClock(datetime(2026, 3, 2, 12, tzinfo=UTC)))
        first, day_zero, home = [await journal.get(ALICE, seq) for seq in (1, 2, 4)]
        assert (first.notes, home.notes, home.day_label) == ("first", "home", "day +30")
        assert day_zero.key == "BBBBBBBBBBBB"
        assert (await journal.get(BOB, 1)).notes == "bob's"
        assert (await journal.list_page(ALICE)).total == 3
        assert (await journal.list_page(BOB)).total == 1  # his member row was made by the migration

        assert (await journal.add(ALICE, EntryDraft(date(2026, 3, 1), notes="next"))).seq == 5
        assert (await journal.add(BOB, EntryDraft(date(2026, 3, 1), notes="next"))).seq == 2
        await journal.delete(ALICE, first.ref)
        assert (await journal.count(ALICE), await journal.count(BOB)) == (3, 2)
        await journal.close()
    finally:
        await db.close()
