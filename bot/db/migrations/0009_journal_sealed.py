"""Migration 0009's Python step: re-seal what the journal held, under pseudonyms, in one transaction.

Runs after 0009_journal_sealed.sql renamed the old tables to `*_v1` and created the new ones. It
reads the old rows, opens the old sealed text (format 1: AES-GCM with the root key itself, bound to
"journal:<user id>:entry_text"), writes every member, entry and reminder in the new form, replaces
the key canary, and drops the old tables. Nothing of the journal means the key is never asked for.

Frozen on purpose: what this step reads is what the release before 0009 wrote, and what it writes
is the sealed format of 0009 (`bot/core/journal/README.md`), spelled out here rather than taken
from code that later releases may change. A wrong key raises `JournalKeyError` before anything is
written, and the whole migration is undone.
"""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Iterable
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from bot.core.journal.crypto import JournalKeyError, JournalKeys
from bot.db.database import Database
from bot.db.migrate import MigrationInputs

VERSION = 7
#: The plaintext rows this replaces must not linger in free space or the WAL (see bot/db/migrate.py).
VACUUM_AFTER = True
_V1_FORMAT = b"\x01"
_V1_CANARY_CONTEXT = b"journal:key-check"
_V1_CANARY = b"stemcell-bot journal key check v1"
# The names fields have inside a sealed entry of format 0009 (short: every entry repeats them).
_NAMES = {
    "key": "k",
    "kind": "kd",
    "source": "s",
    "therapy": "t",
    "therapy_other": "to",
    "phase": "p",
    "feeling": "f",
    "fatigue": "fa",
    "mobility": "mb",
    "pain": "pn",
    "cognition": "cg",
    "mood": "md",
    "side_effects": "se",
    "notes": "n",
}
_RATINGS = ("feeling", "fatigue", "mobility", "pain", "cognition", "mood")
_TEXTS = ("therapy_other", "side_effects", "notes")


async def run(db: Database, inputs: MigrationInputs) -> None:
    members = await db.fetch_all("SELECT user_id, last_seq, timezone FROM journal_members_v1")
    entries = await db.fetch_all(
        "SELECT user_id, seq, entry_date, kind, source, therapy, phase, feeling, fatigue, mobility, pain, "
        "cognition, mood, sealed_text, created_at, updated_at FROM journal_entries_v1 ORDER BY user_id, seq"
    )
    reminders = await db.fetch_all(
        "SELECT user_id, cadence, local_time, timezone, weekday, next_due_at, last_sent_at, updated_at "
        "FROM journal_reminders_v1"
    )
    canary = await db.fetch_one("SELECT value FROM journal_meta WHERE key = 'key_canary'")
    if members or entries or reminders or canary is not None:
        root = inputs.require_journal_key(VERSION)
        old = AESGCM(base64.urlsafe_b64decode(root))
        if canary is not None and _open_v1(old, bytes(canary["value"]), _V1_CANARY_CONTEXT) != _V1_CANARY:
            raise JournalKeyError(
                "The journal key is not the key this database's journal was written with, so it "
                "cannot be converted to the sealed form. Set JOURNAL_KEY (or restore the key file) to "
                "the original key. Nothing was changed."
            )
        await _reseal(db, JournalKeys(root), old, members, entries, reminders)
    for table in ("journal_entries_v1", "journal_reminders_v1", "journal_members_v1"):
        await db.execute(f"DROP TABLE {table}")


async def _reseal(
    db: Database,
    keys: JournalKeys,
    old: AESGCM,
    members: Iterable[Any],
    entries: list[Any],
    reminders: list[Any],
) -> None:
    last_seq: dict[int, int] = {}
    zones: dict[int, str | None] = {}
    for row in members:
        last_seq[int(row["user_id"])] = int(row["last_seq"])
        zones[int(row["user_id"])] = row["timezone"]
    infusions: dict[int, dict[str, str]] = {}
    for row in entries:
        user_id = int(row["user_id"])
        last_seq[user_id] = max(last_seq.get(user_id, 0), int(row["seq"]))  # the trigger counts entries
        if row["phase"] == "infusion":
            infusions.setdefault(user_id, {})[str(row["seq"])] = row["entry_date"]
    for row in reminders:
        last_seq.setdefault(int(row["user_id"]), 0)

    pseudonyms = {user_id: keys.pseudonym(user_id) for user_id in last_seq}
    for user_id, member in pseudonyms.items():
        document: dict[str, Any] = {"user_id": user_id}
        if zones.get(user_id) is not None:
            document["timezone"] = zones[user_id]
        days = infusions.get(user_id)
        await db.execute(
            "INSERT INTO journal_members (member, last_seq, sealed_member, sealed_days) VALUES (?, ?, ?, ?)",
            (
                member,
                last_seq[user_id],
                _seal(keys, member, b"member", document),
                None if days is None else _seal(keys, member, b"days", {"infusions": days}),
            ),
        )
    for row in entries:
        user_id = int(row["user_id"])
        member = pseudonyms[user_id]
        await db.execute(
            "INSERT INTO journal_entries (member, seq, entry_date, sealed, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (
                member,
                row["seq"],
                row["entry_date"],
                _seal(keys, member, b"entry", _entry_document(old, user_id, row)),
                row["created_at"],
                row["updated_at"],
            ),
        )
    for row in reminders:
        user_id = int(row["user_id"])
        member = pseudonyms[user_id]
        document = {
            "user_id": user_id,
            "cadence": row["cadence"],
            "local_time": row["local_time"],
            "timezone": row["timezone"],
        }
        if row["weekday"] is not None:
            document["weekday"] = row["weekday"]
        await db.execute(
            "INSERT INTO journal_reminders (member, sealed, next_due_at, last_sent_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (
                member,
                _seal(keys, member, b"reminder", document),
                row["next_due_at"],
                row["last_sent_at"],
                row["updated_at"],
            ),
        )
    await db.execute(
        "INSERT INTO journal_meta (key, value) VALUES ('key_canary', ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (keys.cipher.make_canary(),),
    )


def _entry_document(old: AESGCM, user_id: int, row: Any) -> dict[str, Any]:
    """The entry as 0009 seals it: every column the member filled, the old sealed text, a new key."""
    document: dict[str, Any] = {
        _NAMES["key"]: secrets.token_urlsafe(9),
        _NAMES["kind"]: row["kind"],
        _NAMES["source"]: row["source"],
    }
    for name in ("therapy", "phase", *_RATINGS):
        if row[name] is not None:
            document[_NAMES[name]] = row[name]
    if row["sealed_text"] is not None:
        context = f"journal:{user_id}:entry_text".encode()
        opened = _open_v1(old, bytes(row["sealed_text"]), context)
        if opened is None:
            raise JournalKeyError(
                "The journal key cannot read the journal entries already in this database. Set "
                "JOURNAL_KEY (or restore the key file) to the key they were written with. Nothing was "
                "changed."
            )
        texts = json.loads(opened)
        for name in _TEXTS:
            if texts.get(name) is not None:
                document[_NAMES[name]] = texts[name]
    return document


def _seal(keys: JournalKeys, member: bytes, kind: bytes, document: dict[str, Any]) -> bytes:
    plaintext = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return keys.cipher.seal(plaintext, b"journal:" + member + b":" + kind)


def _open_v1(aead: AESGCM, token: bytes, context: bytes) -> bytes | None:
    """A value sealed by the release before 0009, or None when this key did not seal it."""
    if not token.startswith(_V1_FORMAT) or len(token) < 1 + 12 + 16:
        return None
    try:
        return aead.decrypt(token[1:13], token[13:], context)
    except InvalidTag:
        return None
