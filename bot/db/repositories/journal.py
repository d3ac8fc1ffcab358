"""The journal's storage: every statement names the member's user id, free text is sealed.

Entries are addressed by `(user_id, seq)` only, so a member can reach nothing but their own
entries, and an unknown number reads the same whether it is someone else's or nobody's.
Writes a member makes are single statements (atomic on their own, and safe beside other
coroutines sharing the one connection); `forget_member` is one explicit transaction.

Storage only: drafts arrive checked and times arrive from the caller. The rules, the group-commit
writer and the key check live in `bot.services.journal`.
"""

from __future__ import annotations

import asyncio
import functools
import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from bot.core.journal import rules
from bot.core.journal.crypto import JournalCipher, field_context
from bot.core.journal.model import (
    Cadence,
    DeletionReport,
    EntryDraft,
    EntryKind,
    EntrySource,
    JournalEntry,
    Phase,
    RatingPoint,
    ReminderSettings,
    Therapy,
)
from bot.db.database import Database

_CANARY_KEY = "key_canary"
#: The entry's free text, sealed together as one JSON object in `sealed_text`.
_SEALED_FIELDS = ("therapy_other", "side_effects", "notes")
_TEXT_CONTEXT = "entry_text"
# Statements are written out whole (no string building), each naming the member's user id.
# In every SELECT of entries the first parameter is the user id for the infusion-date subquery.
_SELECT_ENTRY = (
    "SELECT user_id, seq, entry_date, kind, source, therapy, phase, feeling, fatigue, mobility, pain, "
    "cognition, mood, sealed_text, created_at, updated_at, "
    # The member's infusion dates ride along with every read, for "day +N" without a second query.
    "(SELECT group_concat(entry_date) FROM journal_entries WHERE user_id = ? AND phase = 'infusion') "
    "AS infusion_dates "
    "FROM journal_entries WHERE user_id = ? AND seq = ?"
)
_SELECT_PAGE = (
    "SELECT user_id, seq, entry_date, kind, source, therapy, phase, feeling, fatigue, mobility, pain, "
    "cognition, mood, sealed_text, created_at, updated_at, "
    "(SELECT group_concat(entry_date) FROM journal_entries WHERE user_id = ? AND phase = 'infusion') "
    "AS infusion_dates, "
    # A scalar count reads only the index; a window count would read every row of the member.
    "(SELECT count(*) FROM journal_entries WHERE user_id = ?) AS total "
    "FROM journal_entries WHERE user_id = ? ORDER BY entry_date DESC, seq DESC LIMIT ? OFFSET ?"
)
_SELECT_ALL = (
    "SELECT user_id, seq, entry_date, kind, source, therapy, phase, feeling, fatigue, mobility, pain, "
    "cognition, mood, sealed_text, created_at, updated_at, "
    "(SELECT group_concat(entry_date) FROM journal_entries WHERE user_id = ? AND phase = 'infusion') "
    "AS infusion_dates "
    "FROM journal_entries WHERE user_id = ? ORDER BY entry_date, seq"
)
_DELETE_ENTRY = (
    "DELETE FROM journal_entries WHERE user_id = ? AND seq = ? RETURNING user_id, seq, entry_date, kind, "
    "source, therapy, phase, feeling, fatigue, mobility, pain, cognition, mood, sealed_text, "
    "created_at, updated_at, "
    "(SELECT group_concat(entry_date) FROM journal_entries WHERE user_id = ? AND phase = 'infusion') "
    "AS infusion_dates"
)
# The number is allocated inside the inserting statement: max of the member's counter (numbers
# are never reused after a delete) and their highest entry, plus one. The trigger moves the counter.
_INSERT_ENTRY = (
    "INSERT INTO journal_entries (user_id, seq, entry_date, kind, source, therapy, phase, feeling, "
    "fatigue, mobility, pain, cognition, mood, sealed_text, created_at, updated_at) VALUES (?, "
    "(SELECT coalesce(max(n), 0) + 1 FROM (SELECT last_seq AS n FROM journal_members WHERE user_id = ? "
    "UNION ALL SELECT max(seq) FROM journal_entries WHERE user_id = ?)), "
    "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
    "RETURNING seq, "
    "(SELECT group_concat(entry_date) FROM journal_entries WHERE user_id = ? AND phase = 'infusion') "
    "AS infusion_dates"
)
# Adds waiting together go in as one statement (one commit). Each member's numbers continue from
# their base, read once before any row is written (MATERIALIZED), in the order the adds arrived.
# Rows with a NULL position pad the statement to a few fixed sizes, so few texts are ever compiled.
_BATCH_ROW = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
_BATCH_INSERT = (
    "WITH batch (pos, user_id, entry_date, kind, source, therapy, phase, feeling, fatigue, mobility, "
    "pain, cognition, mood, sealed_text, created_at) AS (VALUES {rows}), "
    "base (user_id, last_seq) AS MATERIALIZED (SELECT b.user_id, "
    "(SELECT coalesce(max(n), 0) FROM (SELECT last_seq AS n FROM journal_members AS m "
    "WHERE m.user_id = b.user_id UNION ALL SELECT max(seq) FROM journal_entries AS e "
    "WHERE e.user_id = b.user_id)) FROM (SELECT DISTINCT user_id FROM batch WHERE pos IS NOT NULL) AS b) "
    "INSERT INTO journal_entries (user_id, seq, entry_date, kind, source, therapy, phase, feeling, "
    "fatigue, mobility, pain, cognition, mood, sealed_text, created_at, updated_at) "
    "SELECT b.user_id, base.last_seq + row_number() OVER (PARTITION BY b.user_id ORDER BY b.pos), "
    "b.entry_date, b.kind, b.source, b.therapy, b.phase, b.feeling, b.fatigue, b.mobility, b.pain, "
    "b.cognition, b.mood, b.sealed_text, b.created_at, b.created_at "
    "FROM batch AS b JOIN base USING (user_id) WHERE b.pos IS NOT NULL ORDER BY b.pos "
    # Evaluated after each row is written: an add sees the infusions stored before it, as alone.
    "RETURNING user_id, seq, (SELECT group_concat(i.entry_date) FROM journal_entries AS i "
    "WHERE i.user_id = journal_entries.user_id AND i.phase = 'infusion') AS infusion_dates"
)
_BATCH_SIZES = (2, 4, 8, 16, 32, 64, 128)
#: The most new entries one `insert_entries` statement takes.
MAX_ROWS_PER_INSERT = _BATCH_SIZES[-1]
_PAD_ROW = (None,) * 15
_UPDATE_ENTRY = (
    "UPDATE journal_entries SET entry_date = ?, kind = ?, therapy = ?, phase = ?, feeling = ?, "
    "fatigue = ?, mobility = ?, pain = ?, cognition = ?, mood = ?, sealed_text = ?, updated_at = ? "
    "WHERE user_id = ? AND seq = ?"
)
_SELECT_REMINDER = (
    "SELECT user_id, cadence, local_time, timezone, weekday, next_due_at, last_sent_at "
    "FROM journal_reminders WHERE user_id = ?"
)
_MOVE_REMINDER = (
    "UPDATE journal_reminders SET next_due_at = ?, last_sent_at = ?, updated_at = ? "
    "WHERE user_id = ? AND next_due_at = ?"
)
_SELECT_DUE_REMINDERS = (
    "SELECT user_id, cadence, local_time, timezone, weekday, next_due_at, last_sent_at "
    "FROM journal_reminders WHERE next_due_at <= ? ORDER BY next_due_at LIMIT ?"
)
_UPSERT_REMINDER = (
    "INSERT INTO journal_reminders (user_id, cadence, local_time, timezone, weekday, next_due_at, "
    "last_sent_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, NULL, ?) ON CONFLICT (user_id) DO UPDATE "
    "SET cadence = excluded.cadence, local_time = excluded.local_time, timezone = excluded.timezone, "
    "weekday = excluded.weekday, next_due_at = excluded.next_due_at, "
    "updated_at = excluded.updated_at"
)
#: Every table holding rows about one member, with the statement that empties it for `forget`.
_FORGET_STATEMENTS = (
    ("journal_entries", "DELETE FROM journal_entries WHERE user_id = ? RETURNING 1"),
    ("journal_reminders", "DELETE FROM journal_reminders WHERE user_id = ? RETURNING 1"),
    ("journal_members", "DELETE FROM journal_members WHERE user_id = ? RETURNING 1"),
)
MEMBER_TABLES = tuple(table for table, _ in _FORGET_STATEMENTS)


def _ts(moment: datetime) -> str:
    """Fixed-width UTC text, so stored times compare correctly as strings."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def _from_ts(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


@dataclass(frozen=True, slots=True)
class NewEntryRow:
    """A new entry ready to insert: its member, its column values (text already sealed), its time."""

    user_id: int
    values: tuple[object, ...]
    #: The creation time as stored (fixed-width UTC text).
    stamp: str

    @property
    def created_at(self) -> datetime:
        """The creation time exactly as a later read returns it."""
        return _from_ts(self.stamp)


@dataclass(frozen=True, slots=True)
class InsertedEntry:
    """What an insert hands back: the new entry's number and its member's infusion dates as stored."""

    user_id: int
    seq: int
    infusion_dates: tuple[date, ...]


@dataclass(frozen=True, slots=True)
class KeyEvidence:
    """What the database holds to prove a journal key against: the canary, else one sealed value."""

    canary: bytes | None
    sample: bytes | None = None
    #: The context `sample` was sealed in (it binds the value to its member and column).
    sample_context: str = ""

    @property
    def data_exists(self) -> bool:
        return self.canary is not None or self.sample is not None


class JournalKeyRepository:
    """The key check stored beside the journal (`journal_meta`), read before the cipher exists."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def evidence(self) -> KeyEvidence:
        """The canary; for a database from before it (or with it removed), a sealed entry instead."""
        canary = await self._db.fetch_one("SELECT value FROM journal_meta WHERE key = ?", (_CANARY_KEY,))
        if canary is not None:
            return KeyEvidence(canary=bytes(canary["value"]))
        sample = await self._db.fetch_one(
            "SELECT user_id, sealed_text FROM journal_entries WHERE sealed_text IS NOT NULL LIMIT 1"
        )
        if sample is None:
            return KeyEvidence(canary=None)
        context = field_context(int(sample["user_id"]), _TEXT_CONTEXT)
        return KeyEvidence(canary=None, sample=bytes(sample["sealed_text"]), sample_context=context)

    async def store_canary(self, canary: bytes) -> None:
        """Keep the canary (first start only: an existing one is never replaced)."""
        await self._db.execute(
            "INSERT OR IGNORE INTO journal_meta (key, value) VALUES (?, ?)",
            (_CANARY_KEY, canary),
        )


class JournalRepository:
    """All journal reads and writes, returning `bot.core.journal` models with text decrypted."""

    def __init__(self, db: Database, cipher: JournalCipher) -> None:
        self._db = db
        self._cipher = cipher
        # Serialises this repository's multi-statement transactions on the shared connection.
        self._transaction_lock = asyncio.Lock()

    # --- new entries ----------------------------------------------------------------------------

    def new_row(self, user_id: int, draft: EntryDraft, created_at: datetime) -> NewEntryRow:
        """The draft as the columns of a new entry, its text sealed to the member."""
        return NewEntryRow(user_id, self._entry_values(user_id, draft), _ts(created_at))

    def in_callers_transaction(self) -> bool:
        """True inside the calling task's own transaction: a write handed to another task would wait
        for that transaction to end, so it has to be made here."""
        return self._db.in_own_transaction()

    async def insert_entry(self, row: NewEntryRow) -> InsertedEntry:
        """Store one entry; its number is allocated inside the same (single-statement) transaction."""
        user_id, stamp = row.user_id, row.stamp
        stored = await self._db.fetch_one(
            _INSERT_ENTRY, (user_id, user_id, user_id, *row.values, stamp, stamp, user_id)
        )
        assert stored is not None  # RETURNING always yields the inserted row
        return InsertedEntry(user_id, int(stored["seq"]), _parse_dates(stored["infusion_dates"]))

    async def insert_entries(self, rows: Sequence[NewEntryRow]) -> list[InsertedEntry]:
        """Store up to `MAX_ROWS_PER_INSERT` entries in one statement (one commit), all or none.

        Each member's numbers continue from their last one, in the order of `rows`; each entry
        sees the infusions stored before it. The results come back in no particular order.
        """
        returned = await self._db.fetch_all(*_batch_statement(rows))
        return [
            InsertedEntry(int(row["user_id"]), int(row["seq"]), _parse_dates(row["infusion_dates"]))
            for row in returned
        ]

    # --- reading and changing entries -----------------------------------------------------------

    async def get(self, user_id: int, seq: int) -> JournalEntry | None:
        """The member's entry #seq; None whether it is someone else's number or nobody's."""
        row = await self._db.fetch_one(
            _SELECT_ENTRY,
            (user_id, user_id, seq),
        )
        return None if row is None else self._entry(row)

    async def entry_page(self, user_id: int, limit: int, offset: int) -> tuple[list[JournalEntry], int]:
        """Up to `limit` entries after the newest `offset` (by entry date, then number), and how many
        entries the member has in all."""
        rows = await self._db.fetch_all(
            _SELECT_PAGE,
            (user_id, user_id, user_id, limit, offset),
        )
        total = int(rows[0]["total"]) if rows else await self.count(user_id)
        return self._entries(rows), total

    async def count(self, user_id: int) -> int:
        row = await self._db.fetch_one("SELECT count(*) FROM journal_entries WHERE user_id = ?", (user_id,))
        return int(row[0]) if row else 0

    async def update(self, user_id: int, seq: int, draft: EntryDraft, updated_at: datetime) -> bool:
        """Replace what the member can edit (all of `draft`); number, source and creation time stay.

        False when the member has no entry #seq (nothing is written).
        """
        values = self._entry_values(user_id, draft)
        changed = await self._db.execute(
            _UPDATE_ENTRY,
            (*values[:2], *values[3:], _ts(updated_at), user_id, seq),  # all but the source
        )
        return changed > 0

    async def delete(self, user_id: int, seq: int) -> JournalEntry | None:
        """Delete the member's entry #seq and return it; None when they have no such entry."""
        row = await self._db.fetch_one(
            _DELETE_ENTRY,
            (user_id, seq, user_id),
        )
        return None if row is None else self._entry(row)

    async def all_entries(self, user_id: int) -> list[JournalEntry]:
        """Every entry of the member, oldest first (for export)."""
        rows = await self._db.fetch_all(
            _SELECT_ALL,
            (user_id, user_id),
        )
        return self._entries(rows)

    async def rating_points(self, user_id: int) -> list[RatingPoint]:
        """The numbers of every entry, oldest first: nothing is decrypted for a summary or chart."""
        rows = await self._db.fetch_all(
            "SELECT entry_date, kind, phase, feeling, fatigue, mobility, pain, cognition, mood "
            "FROM journal_entries WHERE user_id = ? ORDER BY entry_date, seq",
            (user_id,),
        )
        return [
            RatingPoint(
                entry_date=date.fromisoformat(row["entry_date"]),
                kind=EntryKind(row["kind"]),
                phase=Phase(row["phase"]) if row["phase"] else None,
                feeling=row["feeling"],
                fatigue=row["fatigue"],
                mobility=row["mobility"],
                pain=row["pain"],
                cognition=row["cognition"],
                mood=row["mood"],
            )
            for row in rows
        ]

    # --- member settings ------------------------------------------------------------------------

    async def member_timezone(self, user_id: int) -> ZoneInfo | None:
        row = await self._db.fetch_one("SELECT timezone FROM journal_members WHERE user_id = ?", (user_id,))
        if row is None or not row["timezone"]:
            return None
        try:
            return ZoneInfo(row["timezone"])
        except (ValueError, OSError):  # a zone removed from tzdata since it was stored
            return None

    async def set_timezone(self, user_id: int, zone: ZoneInfo) -> None:
        await self._db.execute(
            "INSERT INTO journal_members (user_id, timezone) VALUES (?, ?) "
            "ON CONFLICT (user_id) DO UPDATE SET timezone = excluded.timezone",
            (user_id, zone.key),
        )

    # --- reminders ------------------------------------------------------------------------------

    async def save_reminder(self, reminder: ReminderSettings, now: datetime) -> None:
        """Create or replace the member's reminder (when it last rang is kept)."""
        await self._db.execute(
            _UPSERT_REMINDER,
            (
                reminder.user_id,
                reminder.cadence.value,
                reminder.local_time.strftime("%H:%M"),
                reminder.timezone,
                reminder.weekday,
                _ts(reminder.next_due_at),
                _ts(now),
            ),
        )

    async def get_reminder(self, user_id: int) -> ReminderSettings | None:
        row = await self._db.fetch_one(_SELECT_REMINDER, (user_id,))
        return None if row is None else _reminder(row)

    async def clear_reminder(self, user_id: int) -> bool:
        """Turn the member's reminder off; False when there was none."""
        return await self._db.execute("DELETE FROM journal_reminders WHERE user_id = ?", (user_id,)) > 0

    async def due_reminders(self, now: datetime, limit: int = 500) -> list[ReminderSettings]:
        """Reminders due by `now`, oldest first (the one query that spans members: the scheduler's)."""
        rows = await self._db.fetch_all(
            _SELECT_DUE_REMINDERS,
            (_ts(now), limit),
        )
        return [_reminder(row) for row in rows]

    async def move_reminder(self, due: ReminderSettings, moved: ReminderSettings, now: datetime) -> bool:
        """Store `moved` (its next time and last sending) in place of `due`, only if the stored
        reminder is still `due`: False when the member changed or cleared it meanwhile."""
        changed = await self._db.execute(
            _MOVE_REMINDER,
            (
                _ts(moved.next_due_at),
                _ts(moved.last_sent_at) if moved.last_sent_at else None,
                _ts(now),
                due.user_id,
                _ts(due.next_due_at),
            ),
        )
        return changed > 0

    # --- forget ---------------------------------------------------------------------------------

    async def forget_member(self, user_id: int) -> DeletionReport:
        """Delete every row about the member from every journal table, at once or not at all."""
        counts: dict[str, int] = {}
        async with self._transaction_lock, self._db.transaction() as connection:
            for table, statement in _FORGET_STATEMENTS:
                rows = await connection.execute_fetchall(statement, (user_id,))
                counts[table] = len(list(rows))
        return DeletionReport(counts)

    # --- mapping --------------------------------------------------------------------------------

    def _entry_values(self, user_id: int, draft: EntryDraft) -> tuple[object, ...]:
        """Column values in `_INSERT_ENTRY` order from entry_date to sealed_text, text sealed."""
        return (
            draft.entry_date.isoformat(),
            draft.kind.value,
            draft.source.value,
            draft.therapy.value if draft.therapy else None,
            draft.phase.value if draft.phase else None,
            draft.feeling,
            draft.fatigue,
            draft.mobility,
            draft.pain,
            draft.cognition,
            draft.mood,
            self._seal_text(user_id, draft),
        )

    def _seal_text(self, user_id: int, draft: EntryDraft) -> bytes | None:
        texts = {name: getattr(draft, name) for name in _SEALED_FIELDS if getattr(draft, name) is not None}
        if not texts:
            return None
        document = json.dumps(texts, ensure_ascii=False, separators=(",", ":"))
        return self._cipher.seal(document, field_context(user_id, _TEXT_CONTEXT))

    def _open_text(self, user_id: int, token: bytes | None) -> dict[str, str | None]:
        document = self._cipher.open(token, field_context(user_id, _TEXT_CONTEXT))
        texts = json.loads(document) if document else {}
        return {name: texts.get(name) for name in _SEALED_FIELDS}

    def _entry(self, row: sqlite3.Row, infusions: tuple[date, ...] | None = None) -> JournalEntry:
        """One row as the member sees it; a page passes its infusion dates, parsed once for all rows."""
        (user_id, seq, entry_date, kind, source, therapy, phase, feeling, fatigue, mobility, pain, cognition,
         mood, sealed_text, created_at, updated_at, infusion_dates) = row[:17]  # fmt: skip
        day = date.fromisoformat(entry_date)
        opened = self._open_text(user_id, sealed_text)
        if infusions is None:
            infusions = rules.infusion_starts(_parse_dates(infusion_dates))
        return JournalEntry(
            user_id=user_id,
            seq=seq,
            entry_date=day,
            kind=_KINDS[kind],
            source=_SOURCES[source],
            therapy=_THERAPIES[therapy] if therapy else None,
            therapy_other=opened["therapy_other"],
            phase=_PHASES[phase] if phase else None,
            feeling=feeling,
            fatigue=fatigue,
            mobility=mobility,
            pain=pain,
            cognition=cognition,
            mood=mood,
            side_effects=opened["side_effects"],
            notes=opened["notes"],
            created_at=_from_ts(created_at),
            updated_at=_from_ts(updated_at),
            infusion_day=rules.infusion_day(day, infusions),
        )

    def _entries(self, rows: list[sqlite3.Row]) -> list[JournalEntry]:
        """Rows of one member: their infusion dates ride on every row, so they are worked out once."""
        if not rows:
            return []
        infusions = rules.infusion_starts(_parse_dates(rows[0]["infusion_dates"]))
        return [self._entry(row, infusions) for row in rows]


def _batch_statement(rows: Sequence[NewEntryRow]) -> tuple[str, list[object]]:
    size = next(size for size in _BATCH_SIZES if size >= len(rows))
    params: list[object] = []
    for position, row in enumerate(rows):
        params += (position, row.user_id, *row.values, row.stamp)
    for _ in range(size - len(rows)):
        params += _PAD_ROW
    return _batch_insert_text(size), params


@functools.cache
def _batch_insert_text(size: int) -> str:
    # Only "?" placeholders are spliced in; every value travels as a parameter.
    return _BATCH_INSERT.format(rows=", ".join([_BATCH_ROW] * size))


# Stored values to members of the enums, without the enum call machinery on every row read.
_KINDS = {member.value: member for member in EntryKind}
_SOURCES = {member.value: member for member in EntrySource}
_THERAPIES = {member.value: member for member in Therapy}
_PHASES = {member.value: member for member in Phase}


def _parse_dates(joined: str | None) -> tuple[date, ...]:
    return tuple(date.fromisoformat(part) for part in joined.split(",")) if joined else ()


def _reminder(row: sqlite3.Row) -> ReminderSettings:
    hour, minute = (int(part) for part in row["local_time"].split(":"))
    return ReminderSettings(
        user_id=int(row["user_id"]),
        cadence=Cadence(row["cadence"]),
        local_time=time(hour, minute),
        timezone=row["timezone"],
        weekday=row["weekday"],
        next_due_at=_from_ts(row["next_due_at"]),
        last_sent_at=_from_ts(row["last_sent_at"]) if row["last_sent_at"] else None,
    )
