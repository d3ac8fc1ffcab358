"""A journal database exactly as the release before sealing (schema 0008) wrote it, for migration tests.

Frozen on purpose: the schema comes from the shipped migration files 0001-0008 (never edited), and
the rows and sealed text are written here the way that release's repository wrote them (Discord ids,
kinds, phases, ratings, time zones and reminder times in the clear; notes, side effects and therapy
words in one AES-GCM value sealed with the root key itself, bound to "journal:<user id>:entry_text").
Nothing here calls the code that migration 0009 replaced, so changing that code cannot change this.
"""

from __future__ import annotations

import base64
import json
import os
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from bot.db.migrate import available_migrations

SCHEMA_VERSION = 8
CANARY_PLAINTEXT = b"stemcell-bot journal key check v1"


def seal_v1(root: str, plaintext: bytes, context: str) -> bytes:
    """A value as the release before 0009 sealed it: format byte 1, nonce, AES-GCM with the root key."""
    nonce = os.urandom(12)
    return (
        b"\x01" + nonce + AESGCM(base64.urlsafe_b64decode(root)).encrypt(nonce, plaintext, context.encode())
    )


@dataclass
class V1Entry:
    user_id: int
    seq: int
    entry_date: str
    kind: str = "note"
    source: str = "slash"
    therapy: str | None = None
    phase: str | None = None
    ratings: dict[str, int] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)
    created_at: str = "2026-01-01T09:30:15.123456+00:00"
    updated_at: str = "2026-01-01T09:30:15.123456+00:00"


@dataclass
class V1Reminder:
    user_id: int
    cadence: str
    local_time: str
    timezone: str
    weekday: int | None
    next_due_at: str
    last_sent_at: str | None = None
    updated_at: str = "2026-01-01T09:30:15.123456+00:00"


def build_v1_database(
    path: Path,
    root: str | None,
    *,
    entries: list[V1Entry] = (),  # type: ignore[assignment]
    members: dict[int, tuple[int, str | None]] | None = None,
    reminders: list[V1Reminder] = (),  # type: ignore[assignment]
    canary: bool = True,
) -> None:
    """A database at schema 8 holding these rows; `members` maps user id -> (last_seq, time zone)."""
    connection = sqlite3.connect(path)
    try:
        connection.execute("PRAGMA journal_mode=WAL")
        for migration in available_migrations():
            if migration.version <= SCHEMA_VERSION:
                connection.executescript(migration.sql)
        connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        ratings = ("feeling", "fatigue", "mobility", "pain", "cognition", "mood")
        for entry in entries:
            sealed_text = None
            if entry.texts:
                assert root is not None
                document = json.dumps(entry.texts, ensure_ascii=False, separators=(",", ":")).encode()
                sealed_text = seal_v1(root, document, f"journal:{entry.user_id}:entry_text")
            values: list[Any] = [entry.user_id, entry.seq, entry.entry_date, entry.kind, entry.source]
            values += [entry.therapy, entry.phase, *(entry.ratings.get(name) for name in ratings)]
            values += [sealed_text, entry.created_at, entry.updated_at]
            connection.execute(
                "INSERT INTO journal_entries (user_id, seq, entry_date, kind, source, therapy, phase, "
                "feeling, fatigue, mobility, pain, cognition, mood, sealed_text, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                values,
            )
        for user_id, (last_seq, timezone) in (members or {}).items():
            connection.execute(
                "INSERT INTO journal_members (user_id, last_seq, timezone) VALUES (?, ?, ?) "
                "ON CONFLICT (user_id) DO UPDATE "
                "SET last_seq = excluded.last_seq, timezone = excluded.timezone",
                (user_id, last_seq, timezone),
            )
        for reminder in reminders:
            connection.execute(
                "INSERT INTO journal_reminders (user_id, cadence, local_time, timezone, weekday, "
                "next_due_at, last_sent_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    reminder.user_id,
                    reminder.cadence,
                    reminder.local_time,
                    reminder.timezone,
                    reminder.weekday,
                    reminder.next_due_at,
                    reminder.last_sent_at,
                    reminder.updated_at,
                ),
            )
        if canary:
            assert root is not None
            connection.execute(
                "INSERT INTO journal_meta (key, value) VALUES ('key_canary', ?)",
                (seal_v1(root, CANARY_PLAINTEXT, "journal:key-check"),),
            )
        connection.commit()
    finally:
        connection.close()
