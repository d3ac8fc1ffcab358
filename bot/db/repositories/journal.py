"""The journal's storage: every statement names the member's user id, free text is sealed.

Entries are addressed by `(user_id, seq)` only, so a member can reach nothing but their own
entries, and an unknown number reads the same whether it is someone else's or nobody's.
Writes a member makes are single statements (atomic on their own, and safe beside other
coroutines sharing the one connection); `forget_member` is one explicit transaction.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import sqlite3
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.core.clock import Clock
from bot.core.journal import reminders, rules
from bot.core.journal.crypto import (
    JournalCipher,
    JournalIntegrityError,
    JournalKeyError,
    KeyOrigin,
    field_context,
    resolve_key,
)
from bot.core.journal.model import (
    Cadence,
    DeletionReport,
    EntryDraft,
    EntryKind,
    EntrySource,
    JournalEntry,
    JournalPage,
    Phase,
    RatingPoint,
    ReminderSettings,
    Therapy,
)
from bot.core.journal.summary import JournalSummary, summarise
from bot.db.database import Database

log = logging.getLogger(__name__)

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
_MAX_BATCH = _BATCH_SIZES[-1]
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


@dataclass(slots=True)
class _PendingAdd:
    """One `add` waiting for the writer: its column values (text already sealed) and its answer."""

    user_id: int
    values: tuple[object, ...]
    stamp: str
    future: asyncio.Future[tuple[int, str | None]]
    #: Taken into a batch: from here on the row may be written, so the caller must hear the outcome.
    started: bool = False

    def single_params(self) -> tuple[object, ...]:
        user_id = self.user_id
        return (user_id, user_id, user_id, *self.values, self.stamp, self.stamp, user_id)


class _EntryWriter:
    """Group commit for new entries: adds that arrive while a write runs go in together next.

    Under load this turns many statements, commits and worker-thread hops into one; alone, an add
    is written at once by the single-row statement. A statement that fails as a batch changed
    nothing (SQLite undoes the whole statement), so its adds are retried one by one and only the
    faulty one fails. An add cancelled before its batch starts is never written; one cancelled
    after that still waits for its row and returns it (a saved entry its author never hears about
    would be a silent duplicate when they retry). If the writer itself is stopped, waiting adds
    fail with `JournalWriterStopped`, never with a CancelledError that is not theirs.
    """

    def __init__(self, db: Database) -> None:
        self._db = db
        self._queue: list[_PendingAdd] = []
        self._in_flight: list[_PendingAdd] = []
        self._task: asyncio.Task[None] | None = None

    async def write(self, user_id: int, values: tuple[object, ...], stamp: str) -> tuple[int, str | None]:
        """Store one entry; returns its number and the member's infusion dates as stored with it."""
        loop = asyncio.get_running_loop()
        pending = _PendingAdd(user_id, values, stamp, loop.create_future())
        if self._db.in_own_transaction():
            await self._write_one(pending)  # part of the caller's transaction: write it here, now
        else:
            self._queue.append(pending)
            if self._task is None:
                self._task = loop.create_task(self._run(), name="journal-entry-writer")
        return await _outcome(pending)

    async def _run(self) -> None:
        try:
            while self._queue:
                batch = [pending for pending in self._queue[:_MAX_BATCH] if not pending.future.done()]
                del self._queue[:_MAX_BATCH]
                for pending in batch:
                    pending.started = True
                self._in_flight = batch
                if batch:
                    await self._write_batch(batch)
        except BaseException as exc:  # never leave a caller waiting, whatever stopped the writer
            for pending in self._queue:
                _fail(pending, exc)
            self._queue.clear()
            raise
        finally:
            self._in_flight = []
            self._task = None

    async def settle(self) -> None:
        """Wait until every add made so far is written or has failed (later adds are not waited for)."""
        waiting = [
            pending.future for pending in (*self._in_flight, *self._queue) if not pending.future.done()
        ]
        if waiting:
            await asyncio.wait(waiting)

    async def _write_batch(self, batch: list[_PendingAdd]) -> None:
        try:
            if len(batch) == 1:
                await self._write_one(batch[0])
                return
            try:
                rows = await self._db.fetch_all(*_batch_statement(batch))
            except sqlite3.Error:
                # Nothing of the batch was written; one by one, each add gets its own outcome.
                for pending in batch:
                    await self._write_one(pending)
                return
            _deliver(batch, rows)
        except BaseException as exc:
            for pending in batch:
                _fail(pending, exc)
            if not isinstance(exc, Exception):
                raise

    async def _write_one(self, pending: _PendingAdd) -> None:
        try:
            row = await self._db.fetch_one(_INSERT_ENTRY, pending.single_params())
        except Exception as exc:
            _fail(pending, exc)
            return
        assert row is not None  # RETURNING always yields the inserted row
        if not pending.future.done():
            pending.future.set_result((int(row["seq"]), row["infusion_dates"]))


def _batch_statement(batch: list[_PendingAdd]) -> tuple[str, list[object]]:
    size = next(size for size in _BATCH_SIZES if size >= len(batch))
    params: list[object] = []
    for position, pending in enumerate(batch):
        params += (position, pending.user_id, *pending.values, pending.stamp)
    for _ in range(size - len(batch)):
        params += _PAD_ROW
    return _batch_insert_text(size), params


@functools.cache
def _batch_insert_text(size: int) -> str:
    # Only "?" placeholders are spliced in; every value travels as a parameter.
    return _BATCH_INSERT.format(rows=", ".join([_BATCH_ROW] * size))


def _deliver(batch: list[_PendingAdd], rows: list[sqlite3.Row]) -> None:
    """Hand each add its row: a member's numbers rise in the order their adds were queued."""
    by_member: dict[int, list[_PendingAdd]] = {}
    for pending in batch:
        by_member.setdefault(pending.user_id, []).append(pending)
    returned: dict[int, list[tuple[int, str | None]]] = {}
    for row in rows:
        returned.setdefault(int(row["user_id"]), []).append((int(row["seq"]), row["infusion_dates"]))
    for user_id, waiting in by_member.items():
        results = sorted(returned.get(user_id, ()))
        if len(results) != len(waiting):
            error = RuntimeError("the journal batch insert returned an unexpected number of rows")
            for pending in waiting:
                _fail(pending, error)
            continue
        for pending, result in zip(waiting, results, strict=True):
            if not pending.future.done():
                pending.future.set_result(result)


class JournalWriterStopped(Exception):
    """The entry writer was stopped (shutdown) before this add had its answer."""


async def _outcome(pending: _PendingAdd) -> tuple[int, str | None]:
    """The add's result; a cancellation after its batch started waits for the row instead."""
    absorbed = 0
    try:
        while True:
            try:
                return await asyncio.shield(pending.future)
            except asyncio.CancelledError:
                if not pending.started:
                    pending.future.cancel()  # still queued: it is never written
                    raise
                if pending.future.done():
                    return pending.future.result()
                absorbed += 1  # being written: wait for it, so the caller can confirm it
    finally:
        # The cancellations waited out are withdrawn, so the caller goes on to confirm the entry.
        task = asyncio.current_task()
        if task is not None:
            for _ in range(absorbed):
                task.uncancel()


def _fail(pending: _PendingAdd, exc: BaseException) -> None:
    if not pending.future.done():
        if isinstance(exc, asyncio.CancelledError):
            stopped = JournalWriterStopped("the journal entry writer stopped before this entry was confirmed")
            pending.future.set_exception(stopped)
        else:
            pending.future.set_exception(exc)


class JournalRepository:
    """All journal reads and writes, returning `bot.core.journal` models with text decrypted."""

    def __init__(self, db: Database, cipher: JournalCipher, clock: Clock) -> None:
        self._db = db
        self._cipher = cipher
        self._clock = clock
        # Serialises this repository's multi-statement transactions on the shared connection.
        self._transaction_lock = asyncio.Lock()
        self._writer = _EntryWriter(db)

    # --- entries --------------------------------------------------------------------------------

    async def add(self, user_id: int, draft: EntryDraft) -> JournalEntry:
        """Store a new entry; its number is allocated inside the same (single-statement) transaction.

        The date is checked against the latest 'today' anywhere; callers check the member's
        own today first (`rules.parse_entry_date` with `member_day`).
        """
        now = self._clock.now()
        draft = rules.check_draft(draft, rules.member_day(now, None))
        stamp = _ts(now)
        seq, infusion_dates = await self._writer.write(user_id, self._entry_values(user_id, draft), stamp)
        infusions = _parse_dates(infusion_dates)
        if draft.phase is Phase.INFUSION:
            infusions.append(draft.entry_date)
        return JournalEntry(
            user_id=user_id,
            seq=seq,
            **_draft_fields(draft),
            created_at=_from_ts(stamp),
            updated_at=_from_ts(stamp),
            infusion_day=rules.infusion_day(draft.entry_date, infusions),
        )

    async def get(self, user_id: int, seq: int) -> JournalEntry:
        """The member's entry #seq, or NotFound with the same words whoever else may own a #seq."""
        row = await self._db.fetch_one(
            _SELECT_ENTRY,
            (user_id, user_id, seq),
        )
        if row is None:
            raise rules.no_entry(seq)
        return self._entry(row)

    async def list_page(
        self, user_id: int, page: int = 1, per_page: int = rules.DEFAULT_PER_PAGE
    ) -> JournalPage:
        """Newest first (by entry date, then number); a page past the end shows the last page."""
        rules.check_page(page, per_page)
        rows = await self._page_rows(user_id, page, per_page)
        if rows:
            total = int(rows[0]["total"])
        else:
            total = await self.count(user_id)
            last_page = max(1, -(-total // per_page))
            if total and page > last_page:
                page = last_page
                rows = await self._page_rows(user_id, page, per_page)
        return JournalPage(entries=tuple(self._entries(rows)), page=page, per_page=per_page, total=total)

    async def _page_rows(self, user_id: int, page: int, per_page: int) -> list[sqlite3.Row]:
        return await self._db.fetch_all(
            _SELECT_PAGE,
            (user_id, user_id, user_id, per_page, (page - 1) * per_page),
        )

    async def count(self, user_id: int) -> int:
        row = await self._db.fetch_one("SELECT count(*) FROM journal_entries WHERE user_id = ?", (user_id,))
        return int(row[0]) if row else 0

    async def update(self, user_id: int, seq: int, draft: EntryDraft) -> JournalEntry:
        """Replace what the member can edit (all of `draft`); number, source and creation time stay."""
        now = self._clock.now()
        draft = rules.check_draft(draft, rules.member_day(now, None))
        values = self._entry_values(user_id, draft)
        changed = await self._db.execute(
            _UPDATE_ENTRY,
            (*values[:2], *values[3:], _ts(now), user_id, seq),  # all but the source
        )
        if changed == 0:
            raise rules.no_entry(seq)
        return await self.get(user_id, seq)

    async def delete(self, user_id: int, seq: int) -> JournalEntry:
        """Delete the member's entry #seq and return it (for 'Deleted #3 from 2026-01-02')."""
        row = await self._db.fetch_one(
            _DELETE_ENTRY,
            (user_id, seq, user_id),
        )
        if row is None:
            raise rules.no_entry(seq)
        return self._entry(row)

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

    async def summary(self, user_id: int) -> JournalSummary:
        return summarise(await self.rating_points(user_id))

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

    async def member_today(self, user_id: int) -> date:
        """Today where the member lives (UTC until they tell us their zone)."""
        return rules.member_today(self._clock.now(), await self.member_timezone(user_id))

    async def member_day(self, user_id: int) -> rules.MemberDay:
        """The member's today, and the latest date their entries may have (lenient without a zone)."""
        return rules.member_day(self._clock.now(), await self.member_timezone(user_id))

    # --- reminders ------------------------------------------------------------------------------

    async def set_reminder(
        self, user_id: int, cadence: Cadence, local_time: time, zone: ZoneInfo, weekday: int | None = None
    ) -> ReminderSettings:
        """Create or replace the member's reminder; the zone also becomes their journal time zone."""
        now = self._clock.now()
        if cadence is Cadence.WEEKLY and weekday is None:
            weekday = reminders.default_weekday(now, zone)
        if cadence is Cadence.DAILY:
            weekday = None
        local_time = local_time.replace(second=0, microsecond=0, tzinfo=None)
        due = reminders.first_due(cadence, local_time, zone, weekday, now)
        await self.set_timezone(user_id, zone)
        await self._db.execute(
            _UPSERT_REMINDER,
            (user_id, cadence.value, local_time.strftime("%H:%M"), zone.key, weekday, _ts(due), _ts(now)),
        )
        return ReminderSettings(user_id, cadence, local_time, zone.key, weekday, due)

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

    async def mark_reminded(
        self, reminder: ReminderSettings, now: datetime, *, sent: bool = True
    ) -> ReminderSettings | None:
        """Move a handled reminder to its next time after `now` (missed ones are not replayed).

        Returns None when the member changed or cleared the reminder meanwhile (nothing written).
        Call with `sent=False` when `reminders.should_send` said the miss was too old to deliver.
        """
        following = reminders.following_due(reminder, now)
        changed = await self._db.execute(
            "UPDATE journal_reminders SET next_due_at = ?, last_sent_at = coalesce(?, last_sent_at), "
            "updated_at = ? WHERE user_id = ? AND next_due_at = ?",
            (
                _ts(following),
                _ts(now) if sent else None,
                _ts(now),
                reminder.user_id,
                _ts(reminder.next_due_at),
            ),
        )
        if changed == 0:
            return None
        last_sent = now if sent else reminder.last_sent_at
        return ReminderSettings(
            reminder.user_id,
            reminder.cadence,
            reminder.local_time,
            reminder.timezone,
            reminder.weekday,
            following,
            last_sent,
        )

    # --- forget ---------------------------------------------------------------------------------

    async def forget_member(self, user_id: int) -> DeletionReport:
        """Delete every row about the member from every journal table, at once or not at all."""
        counts: dict[str, int] = {}
        await self._writer.settle()  # an add made before the forget lands before it, as it always did
        async with self._transaction_lock, self._db.transaction() as connection:
            for table, statement in _FORGET_STATEMENTS:
                rows = await connection.execute_fetchall(statement, (user_id,))
                counts[table] = len(list(rows))
        log.info("Journal data of a member forgotten: %s", counts)
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


def _draft_fields(draft: EntryDraft) -> dict[str, object]:
    return {
        "entry_date": draft.entry_date,
        "kind": draft.kind,
        "source": draft.source,
        "therapy": draft.therapy,
        "therapy_other": draft.therapy_other,
        "phase": draft.phase,
        "feeling": draft.feeling,
        "fatigue": draft.fatigue,
        "mobility": draft.mobility,
        "pain": draft.pain,
        "cognition": draft.cognition,
        "mood": draft.mood,
        "side_effects": draft.side_effects,
        "notes": draft.notes,
    }


# Stored values to members of the enums, without the enum call machinery on every row read.
_KINDS = {member.value: member for member in EntryKind}
_SOURCES = {member.value: member for member in EntrySource}
_THERAPIES = {member.value: member for member in Therapy}
_PHASES = {member.value: member for member in Phase}


def _parse_dates(joined: str | None) -> list[date]:
    return [date.fromisoformat(part) for part in joined.split(",")] if joined else []


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


# --- key check at start-up ------------------------------------------------------------------------


async def load_journal_cipher(db: Database, configured_key: str, key_path: Path) -> JournalCipher:
    """The cipher for this database, proven against its canary before anything is written.

    Raises `JournalKeyError` (stop the bot, show the message) when the key is missing, malformed
    or wrong for existing data; in those cases nothing in the database or on disk is changed.
    Stores the canary on first use only.
    """
    canary = await db.fetch_one("SELECT value FROM journal_meta WHERE key = ?", (_CANARY_KEY,))
    sample = None
    if canary is None:
        # A database from before the canary (or with it removed): check against real data instead.
        sample = await db.fetch_one(
            "SELECT user_id, sealed_text FROM journal_entries WHERE sealed_text IS NOT NULL LIMIT 1"
        )
    resolved = resolve_key(configured_key, key_path, data_exists=canary is not None or sample is not None)
    origin = "JOURNAL_KEY" if resolved.origin is KeyOrigin.SETTING else f"The journal key file {key_path}"
    cipher = JournalCipher(resolved.key)
    if canary is not None:
        cipher.check_canary(canary["value"], origin)
    elif sample is not None:
        _check_sample(cipher, sample, origin)
    if canary is None:
        await db.execute(
            "INSERT OR IGNORE INTO journal_meta (key, value) VALUES (?, ?)",
            (_CANARY_KEY, cipher.make_canary()),
        )
    log.info("Journal encryption ready (key from %s)", resolved.origin.value)
    return cipher


def _check_sample(cipher: JournalCipher, row: sqlite3.Row, origin: str) -> None:
    try:
        cipher.open(row["sealed_text"], field_context(int(row["user_id"]), _TEXT_CONTEXT))
    except JournalIntegrityError:
        raise JournalKeyError(
            f"{origin} cannot read the journal entries already in this database. Set JOURNAL_KEY "
            f"(or restore the key file) to the key they were written with. Nothing was changed."
        ) from None
