"""The journal's storage: members under keyed pseudonyms, everything they entered or rated sealed.

Member and reminder rows name a member only by their pseudonym (`JournalKeys.pseudonym`), entries
by their member row's number (found through the pseudonym: schema 0011); what stays readable is
that, entry numbers, entry dates, when a row was created and updated, and when a reminder is next
due and was last sent. Everything else is a sealed value (`bot.core.journal.sealed`), one per
entry, one per member, one for a member's day-0 dates and one per reminder.

Entries are addressed by `(member, seq)` only, so a member can reach nothing but their own
entries, and an unknown number reads the same whether it is someone else's or nobody's. A change
through a button or form names the entry's key too (`EntryRef`): a number that a fresh journal used
again after `forget` is not the same entry. Writes that touch one value are single statements; a
change that must read, check and write (an edit, a delete, day-0 dates, forget) is one transaction.

Storage only: drafts arrive checked and times arrive from the caller. The rules, the group-commit
writer and the key check live in `bot.services.journal`.
"""

from __future__ import annotations

import contextlib
import functools
import hmac
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from bot.core.journal import rules, sealed
from bot.core.journal.crypto import JournalKeys
from bot.core.journal.model import (
    RATINGS,
    DeletionReport,
    EntryDraft,
    EntryRef,
    JournalEntry,
    Phase,
    RatingPoint,
    ReminderSettings,
)
from bot.db.database import Database

_CANARY_KEY = "key_canary"
# Statements are written out whole (no string building), each naming the member's pseudonym.
# In every SELECT of entries the first parameter is the pseudonym for the day-0 subquery: the
# member's day-0 dates ride along with every read, for "day +N" without a second query.
# Entries name their member by the member row's number (`member_id`); the pseudonym leads to it.
_SELECT_ENTRY = (
    "SELECT id, seq, entry_date, sealed, created_at, updated_at, "
    "(SELECT sealed_days FROM journal_members WHERE member = ?) AS sealed_days "
    "FROM journal_entries WHERE member_id = (SELECT id FROM journal_members WHERE member = ?) AND seq = ?"
)
_SELECT_ENTRY_FOR_CHANGE = (
    "SELECT id, sealed FROM journal_entries "
    "WHERE member_id = (SELECT id FROM journal_members WHERE member = ?) AND seq = ?"
)
_SELECT_PAGE = (
    "SELECT seq, entry_date, sealed, created_at, updated_at, "
    "(SELECT sealed_days FROM journal_members WHERE member = ?) AS sealed_days, "
    # The member row keeps the count (triggers), so a page of a 5,000-entry journal counts nothing.
    "(SELECT entries FROM journal_members WHERE member = ?) AS total "
    "FROM journal_entries WHERE member_id = (SELECT id FROM journal_members WHERE member = ?) "
    "ORDER BY entry_date DESC, seq DESC LIMIT ? OFFSET ?"
)
_SELECT_ALL = (
    "SELECT seq, entry_date, sealed, created_at, updated_at, "
    "(SELECT sealed_days FROM journal_members WHERE member = ?) AS sealed_days "
    "FROM journal_entries WHERE member_id = (SELECT id FROM journal_members WHERE member = ?) "
    "ORDER BY entry_date, seq"
)
# One page of a member's entries, oldest first, after a (date, number) position: long journals are read
# a page at a time, so no single read or opening holds the event loop for long.
_SELECT_PAGE_AFTER = (
    "SELECT seq, entry_date, sealed, created_at, updated_at, "
    "(SELECT sealed_days FROM journal_members WHERE member = ?) AS sealed_days "
    "FROM journal_entries WHERE member_id = (SELECT id FROM journal_members WHERE member = ?) "
    "AND (entry_date, seq) > (?, ?) ORDER BY entry_date, seq LIMIT ?"
)
_SELECT_MEMBER_STATE = "SELECT last_seq, entries FROM journal_members WHERE member = ?"
_SELECT_MEMBER_ID = "SELECT id FROM journal_members WHERE member = ?"
# Imported entries keep their number and times; the triggers move the member's counter and count.
_IMPORT_ROW = "(?, ?, ?, ?, ?, ?)"
_IMPORT_ENTRIES = (
    "INSERT INTO journal_entries (member_id, seq, entry_date, sealed, created_at, updated_at) VALUES {rows}"
)
_IMPORT_ROWS_PER_STATEMENT = 100
_SELECT_MEMBER = "SELECT sealed_member FROM journal_members WHERE member = ?"
_SELECT_RATINGS = (
    "SELECT entry_date, sealed FROM journal_entries "
    "WHERE member_id = (SELECT id FROM journal_members WHERE member = ?) ORDER BY entry_date, seq"
)
# The number is allocated inside the inserting statement: max of the member's counter (numbers
# are never reused after a delete) and their highest entry, plus one; nothing is inserted once the
# member holds the most entries a journal keeps, or when the member has no row yet (the caller makes
# one and tries again). The trigger moves the counter.
_INSERT_ENTRY = (
    "INSERT INTO journal_entries (member_id, seq, entry_date, sealed, created_at, updated_at) "
    "SELECT m.id, max(m.last_seq, coalesce((SELECT max(seq) FROM journal_entries WHERE member_id = m.id), "
    "0)) + 1, ?, ?, ?, ? FROM journal_members AS m WHERE m.member = ? AND m.entries < ? "
    "RETURNING seq, (SELECT sealed_days FROM journal_members AS d "
    "WHERE d.id = journal_entries.member_id) AS sealed_days"
)
# A member row for a member about to get an entry who has none (their sealed id follows with their
# next first add, or `set_timezone`); no-op when it exists.
_ADD_MEMBER = "INSERT INTO journal_members (member) VALUES (?) ON CONFLICT (member) DO NOTHING"
# Adds waiting together go in as one transaction: the members' numbers, counts and day-0 dates are
# read once (one statement for the whole batch), numbers are given in the order the adds arrived, and
# the rows go in as one plain INSERT of numbered rows. Rows of NULLs pad both statements to a few fixed
# sizes (so few texts are ever compiled) and are skipped. The transaction keeps anything else from
# numbering in between; UNIQUE (member_id, seq) stands behind it.
_STATE_ROW = "?"
_SELECT_STATES = (
    "SELECT id, member, last_seq, entries, sealed_days FROM journal_members WHERE member IN ({rows})"
)
_INSERT_ROW = "(?, ?, ?, ?, ?, ?)"
_PAD_ROW = (None,) * 6
_INSERT_NUMBERED = (
    "INSERT INTO journal_entries (member_id, seq, entry_date, sealed, created_at, updated_at) "
    "SELECT column1, column2, column3, column4, column5, column6 FROM (VALUES {rows}) "
    "WHERE column1 IS NOT NULL"
)
_BATCH_SIZES = (2, 4, 8, 16, 32, 64, 128)
#: The most new entries one `insert_entries` statement takes.
MAX_ROWS_PER_INSERT = _BATCH_SIZES[-1]
# New members' sealed ids are written (one statement for a whole batch) before their first entries,
# so a member row with entries always names its member; padding rows (NULL) are skipped.
_ENSURE_ROW = "(?, ?)"
_ENSURE_MEMBERS = (
    "INSERT INTO journal_members (member, sealed_member) SELECT column1, column2 FROM (VALUES {rows}) "
    "WHERE column1 IS NOT NULL ON CONFLICT (member) "
    "DO UPDATE SET sealed_member = coalesce(journal_members.sealed_member, excluded.sealed_member)"
)
_SET_MEMBER = (
    "INSERT INTO journal_members (member, sealed_member) VALUES (?, ?) "
    "ON CONFLICT (member) DO UPDATE SET sealed_member = excluded.sealed_member"
)
_SELECT_DAYS = "SELECT sealed_days FROM journal_members WHERE member = ?"
_SET_DAYS = "UPDATE journal_members SET sealed_days = ? WHERE member = ?"
_UPDATE_ENTRY = "UPDATE journal_entries SET entry_date = ?, sealed = ?, updated_at = ? WHERE id = ?"
_DELETE_ENTRY = "DELETE FROM journal_entries WHERE id = ?"
_SELECT_REMINDER = "SELECT member, sealed, next_due_at, last_sent_at FROM journal_reminders WHERE member = ?"
_MOVE_REMINDER = (
    "UPDATE journal_reminders SET next_due_at = ?, last_sent_at = ?, updated_at = ? "
    "WHERE member = ? AND next_due_at = ?"
)
_SELECT_DUE_REMINDERS = (
    "SELECT member, sealed, next_due_at, last_sent_at FROM journal_reminders "
    "WHERE next_due_at <= ? ORDER BY next_due_at LIMIT ?"
)
_UPSERT_REMINDER = (
    "INSERT INTO journal_reminders (member, sealed, next_due_at, last_sent_at, updated_at) "
    "VALUES (?, ?, ?, NULL, ?) ON CONFLICT (member) DO UPDATE "
    "SET sealed = excluded.sealed, next_due_at = excluded.next_due_at, updated_at = excluded.updated_at"
)
#: Every table holding rows about one member, with the statement that empties it for `forget`.
_FORGET_STATEMENTS = (
    (
        "journal_entries",
        "DELETE FROM journal_entries WHERE member_id = (SELECT id FROM journal_members WHERE member = ?) "
        "RETURNING 1",
    ),
    ("journal_reminders", "DELETE FROM journal_reminders WHERE member = ? RETURNING 1"),
    ("journal_members", "DELETE FROM journal_members WHERE member = ? RETURNING 1"),
)
MEMBER_TABLES = tuple(table for table, _ in _FORGET_STATEMENTS)
# After a forget (or a key rotation) the file is rebuilt and the WAL emptied. secure_delete zeroes
# deleted cells and freed pages, but not the stale copies a page rebuild (a b-tree balance) leaves
# in a page's unused bytes, where a pseudonym was found after forget; VACUUM writes every page anew
# from the live rows only. The WAL, which then holds the old and new pages, is copied back and
# truncated to nothing.
_VACUUM = "VACUUM"
_CHECKPOINT = "PRAGMA wal_checkpoint(TRUNCATE)"
#: A change to a member's day-0 dates (entry number -> date), made in place.
_DaysChange = Callable[[dict[int, date]], object]


def _ts(moment: datetime) -> str:
    """Fixed-width UTC text, so stored times compare correctly as strings."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def _from_ts(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


@dataclass(slots=True)
class NewEntryRow:
    """A new entry ready to insert: sealed, with what its insert needs besides (never stored as is)."""

    user_id: int
    member: bytes
    entry_date: str
    sealed: bytes
    #: The creation time as stored (fixed-width UTC text).
    stamp: str
    key: str
    #: The creation time exactly as a later read returns it (UTC).
    created_at: datetime
    #: The entry's date when it is an infusion-phase entry (its member's day-0 dates gain it).
    infusion: date | None = None
    #: The member's sealed id, to write first when the member may have no row yet.
    member_document: bytes | None = None


@dataclass(frozen=True, slots=True)
class ImportRow:
    """An imported entry, sealed, with the number and times it keeps."""

    seq: int
    entry_date: str
    sealed: bytes
    created_at: str
    updated_at: str
    infusion: date | None


@dataclass(slots=True)
class InsertedEntry:
    """What an insert hands back: the new entry's number and its member's infusion dates as stored."""

    seq: int
    infusion_dates: tuple[date, ...]


@dataclass(frozen=True, slots=True)
class KeyEvidence:
    """What the database holds to prove a journal key against: the canary, else one sealed value."""

    canary: bytes | None
    sample: bytes | None = None
    #: The context `sample` was sealed in (it binds the value to its member).
    sample_context: bytes = b""

    @property
    def data_exists(self) -> bool:
        return self.canary is not None or self.sample is not None


class JournalKeyRepository:
    """The key check stored beside the journal (`journal_meta`), read before the keys are in use."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def evidence(self) -> KeyEvidence:
        """The canary; for a database with it removed, a sealed entry instead."""
        canary = await self._db.fetch_one("SELECT value FROM journal_meta WHERE key = ?", (_CANARY_KEY,))
        if canary is not None:
            return KeyEvidence(canary=bytes(canary["value"]))
        sample = await self._db.fetch_one(
            "SELECT m.member, e.sealed FROM journal_entries AS e "
            "JOIN journal_members AS m ON m.id = e.member_id LIMIT 1"
        )
        if sample is None:
            return KeyEvidence(canary=None)
        context = sealed.context(bytes(sample["member"]), sealed.ENTRY)
        return KeyEvidence(canary=None, sample=bytes(sample["sealed"]), sample_context=context)

    async def store_canary(self, canary: bytes) -> None:
        """Keep the canary (first start only: an existing one is never replaced)."""
        await self._db.execute(
            "INSERT OR IGNORE INTO journal_meta (key, value) VALUES (?, ?)",
            (_CANARY_KEY, canary),
        )


class JournalRepository:
    """All journal reads and writes, returning `bot.core.journal` models opened for their member."""

    def __init__(self, db: Database, keys: JournalKeys) -> None:
        self._db = db
        self._keys = keys
        self._cipher = keys.cipher

    def pseudonym(self, user_id: int) -> bytes:
        return self._keys.pseudonym(user_id)

    def forget_in_memory(self, user_id: int) -> None:
        """Drop the member's remembered pseudonym (after their journal is forgotten)."""
        self._keys.forget(user_id)

    # --- new entries ----------------------------------------------------------------------------

    def new_row(
        self, user_id: int, draft: EntryDraft, created_at: datetime, *, new_member: bool = True
    ) -> NewEntryRow:
        """The draft sealed to the member with a fresh entry key; `new_member` when the member's row
        may not hold their sealed id yet (it is written first, in the same transaction)."""
        member = self._keys.pseudonym(user_id)
        key = sealed.new_entry_key()
        document = sealed.entry_document(draft, key)
        created = created_at.astimezone(UTC)  # what `_from_ts` reads back from the stamp below
        member_document = (
            self._cipher.seal(sealed.member_document(user_id, None), sealed.context(member, sealed.MEMBER))
            if new_member
            else None
        )
        return NewEntryRow(
            user_id=user_id,
            member=member,
            entry_date=draft.entry_date.isoformat(),
            sealed=self._cipher.seal(document, sealed.context(member, sealed.ENTRY)),
            stamp=_ts(created),
            key=key,
            created_at=created,
            infusion=draft.entry_date if draft.phase is Phase.INFUSION else None,
            member_document=member_document,
        )

    def in_callers_transaction(self) -> bool:
        """True inside the calling task's own transaction: a write handed to another task would wait
        for that transaction to end, so it has to be made here."""
        return self._db.in_own_transaction()

    async def insert_entry(self, row: NewEntryRow, limit: int) -> InsertedEntry | None:
        """Store one entry; its number is allocated inside the inserting statement. None when the
        member already holds `limit` entries (nothing is written)."""
        [inserted] = await self._store([row], limit)
        return inserted

    async def insert_entries(self, rows: Sequence[NewEntryRow], limit: int) -> list[InsertedEntry | None]:
        """Store up to `MAX_ROWS_PER_INSERT` entries (one commit), all or none; results in `rows` order.

        Each member's numbers continue from their last one, in the order of `rows`; each entry
        sees the infusions stored before it. A member's rows past `limit` entries are not written
        (None). New members' sealed ids are written first; new day-0 dates with the entries, in one
        transaction.
        """
        if len(rows) > MAX_ROWS_PER_INSERT:
            raise ValueError(f"at most {MAX_ROWS_PER_INSERT} entries are stored at once")
        return await self._store(rows, limit)

    async def _store(self, rows: Sequence[NewEntryRow], limit: int) -> list[InsertedEntry | None]:
        # First, before any entry: a crash in between leaves a member row naming its member, no more.
        new_members = {row.member: row.member_document for row in rows if row.member_document is not None}
        if new_members:
            await self._db.execute(*_ensure_statement(new_members))
        infusions = any(row.infusion is not None for row in rows)
        if len(rows) == 1 and not infusions:
            return [await self._insert_one(rows[0], limit)]
        async with self.atomic():  # the day-0 dates change with the entries, or neither does
            if len(rows) == 1:
                results = [await self._insert_one(rows[0], limit)]
            else:
                results = await self._insert_numbered(rows, limit)
            if infusions:
                await self._record_infusions(rows, results)
        return results

    async def _insert_one(self, row: NewEntryRow, limit: int) -> InsertedEntry | None:
        """One entry, numbered inside its own statement (an add alone, or one retried on its own)."""
        member = row.member
        params = (row.entry_date, row.sealed, row.stamp, row.stamp, member, limit)
        returned = await self._db.fetch_all(_INSERT_ENTRY, params)
        if not returned and await self._db.fetch_one(_SELECT_MEMBER_STATE, (member,)) is None:
            await self._db.execute(_ADD_MEMBER, (member,))  # no member row: make one, then number from 1
            returned = await self._db.fetch_all(_INSERT_ENTRY, params)
        if not returned:
            return None
        dates = list(self._open_days(member, returned[0]["sealed_days"]).values())
        if row.infusion is not None:
            dates.append(row.infusion)
        return InsertedEntry(int(returned[0]["seq"]), tuple(dates))

    async def _insert_numbered(self, rows: Sequence[NewEntryRow], limit: int) -> list[InsertedEntry | None]:
        """Several entries, inside the caller's transaction: numbered here from the members' counters."""
        members = list(dict.fromkeys(row.member for row in rows))
        states = {
            bytes(state["member"]): state for state in await self._db.fetch_all(*_states_statement(members))
        }
        last: dict[bytes, int] = {}
        count: dict[bytes, int] = {}
        seen: dict[bytes, list[date]] = {}
        results: list[InsertedEntry | None] = []
        params: list[tuple[object, ...]] = []
        for member in members:
            if member not in states:  # no member row yet (and no sealed id to write): one without
                await self._db.execute(_ADD_MEMBER, (member,))
                [states[member]] = await self._db.fetch_all(_states_text(1), (member,))
        ids: dict[bytes, int] = {}
        for row in rows:
            member = row.member
            if member not in last:
                state = states[member]
                ids[member] = int(state["id"])
                last[member] = int(state["last_seq"])
                count[member] = int(state["entries"])
                seen[member] = list(self._open_days(member, state["sealed_days"]).values())
            if count[member] >= limit:
                results.append(None)
                continue
            last[member] += 1
            count[member] += 1
            if row.infusion is not None:
                seen[member].append(row.infusion)
            results.append(InsertedEntry(last[member], tuple(seen[member])))
            params.append((ids[member], last[member], row.entry_date, row.sealed, row.stamp, row.stamp))
        if params:
            # Run as a fetch (no rows come back): one trip to the database thread, no cursor to close.
            await self._db.fetch_all(*_numbered_insert(params))
        return results

    async def _record_infusions(
        self, rows: Sequence[NewEntryRow], results: list[InsertedEntry | None]
    ) -> None:
        """Add the infusion-phase entries just written to their members' day-0 dates."""
        added: dict[bytes, dict[int, date]] = {}
        for row, result in zip(rows, results, strict=True):
            if row.infusion is not None and result is not None:
                added.setdefault(row.member, {})[result.seq] = row.infusion
        for member, infusions in added.items():
            await self._change_days(member, lambda days, infusions=infusions: days.update(infusions))

    # --- importing ------------------------------------------------------------------------------

    async def member_state(self, user_id: int) -> tuple[int, int]:
        """The member's highest number used so far and how many entries they have (0, 0 for nobody)."""
        row = await self._db.fetch_one(_SELECT_MEMBER_STATE, (self._keys.pseudonym(user_id),))
        return (int(row["last_seq"]), int(row["entries"])) if row else (0, 0)

    def import_row(
        self, user_id: int, seq: int, draft: EntryDraft, created_at: datetime, updated_at: datetime
    ) -> ImportRow:
        """An imported entry sealed to the member, with a fresh entry key (keys are never exported)."""
        member = self._keys.pseudonym(user_id)
        document = sealed.entry_document(draft, sealed.new_entry_key())
        return ImportRow(
            seq=seq,
            entry_date=draft.entry_date.isoformat(),
            sealed=self._cipher.seal(document, sealed.context(member, sealed.ENTRY)),
            created_at=_ts(created_at),
            updated_at=_ts(updated_at),
            infusion=draft.entry_date if draft.phase is Phase.INFUSION else None,
        )

    async def import_entries(
        self, user_id: int, rows: Sequence[ImportRow], expected: tuple[int, int]
    ) -> bool:
        """Write every row in one transaction, if the member's journal is still as `expected` (its
        `member_state` when the import was planned); False, writing nothing, when it changed since."""
        member = self._keys.pseudonym(user_id)
        async with self.atomic():
            if await self.member_state(user_id) != expected:
                return False
            document = self._cipher.seal(
                sealed.member_document(user_id, None), sealed.context(member, sealed.MEMBER)
            )
            await self._db.execute(*_ensure_statement({member: document}))
            [[member_id]] = await self._db.fetch_all(_SELECT_MEMBER_ID, (member,))
            for start in range(0, len(rows), _IMPORT_ROWS_PER_STATEMENT):
                batch = rows[start : start + _IMPORT_ROWS_PER_STATEMENT]
                params: list[object] = []
                for row in batch:
                    params += (member_id, row.seq, row.entry_date, row.sealed, row.created_at, row.updated_at)
                await self._db.execute(_import_text(len(batch)), params)
            infusions = {row.seq: row.infusion for row in rows if row.infusion is not None}
            if infusions:
                await self._change_days(member, lambda days: days.update(infusions))
        return True

    # --- reading and changing entries -----------------------------------------------------------

    async def get(self, user_id: int, seq: int) -> JournalEntry | None:
        """The member's entry #seq; None whether it is someone else's number or nobody's."""
        member = self._keys.pseudonym(user_id)
        row = await self._db.fetch_one(_SELECT_ENTRY, (member, member, seq))
        return None if row is None else self._entries(user_id, member, [row])[0]

    async def entry_page(self, user_id: int, limit: int, offset: int) -> tuple[list[JournalEntry], int]:
        """Up to `limit` entries after the newest `offset` (by entry date, then number), and how many
        entries the member has in all."""
        member = self._keys.pseudonym(user_id)
        rows = await self._db.fetch_all(_SELECT_PAGE, (member, member, member, limit, offset))
        total = int(rows[0]["total"]) if rows else await self.count(user_id)
        return self._entries(user_id, member, rows), total

    async def count(self, user_id: int) -> int:
        row = await self._db.fetch_one(
            "SELECT entries FROM journal_members WHERE member = ?", (self._keys.pseudonym(user_id),)
        )
        return int(row[0]) if row else 0

    async def update(self, user_id: int, ref: EntryRef, draft: EntryDraft, updated_at: datetime) -> bool:
        """Replace what the member can edit (all of `draft`); number, key, source and creation time stay.

        False when the member has no entry #seq with that key (nothing is written).
        """
        member = self._keys.pseudonym(user_id)
        async with self.atomic():
            found = await self._entry_for_change(member, ref)
            if found is None:
                return False
            row_id, stored = found
            document = sealed.entry_document(replace(draft, source=stored.source), stored.key)
            await self._db.execute(
                _UPDATE_ENTRY,
                (
                    draft.entry_date.isoformat(),
                    self._cipher.seal(document, sealed.context(member, sealed.ENTRY)),
                    _ts(updated_at),
                    row_id,
                ),
            )
            if Phase.INFUSION in (stored.phase, draft.phase):
                infusion = draft.entry_date if draft.phase is Phase.INFUSION else None
                await self._change_days(member, lambda days: _set_day(days, ref.seq, infusion))
        return True

    async def delete(self, user_id: int, ref: EntryRef) -> JournalEntry | None:
        """Delete the member's entry #seq with that key and return it; None when there is none."""
        member = self._keys.pseudonym(user_id)
        async with self.atomic():
            row = await self._db.fetch_one(_SELECT_ENTRY, (member, member, ref.seq))
            if row is None:
                return None
            [entry] = self._entries(user_id, member, [row])
            if not _same_key(entry.key, ref.key):
                return None
            await self._db.execute(_DELETE_ENTRY, (row["id"],))
            if entry.phase is Phase.INFUSION:
                await self._change_days(member, lambda days: _set_day(days, ref.seq, None))
        return entry

    async def entry_pages(self, user_id: int, per_page: int) -> AsyncIterator[list[JournalEntry]]:
        """Every entry of the member, oldest first, `per_page` at a time (each page read and opened on
        its own, so a caller can let other work run in between)."""
        member = self._keys.pseudonym(user_id)
        after: tuple[str, int] = ("", 0)
        while True:
            rows = await self._db.fetch_all(_SELECT_PAGE_AFTER, (member, member, *after, per_page))
            if not rows:
                return
            yield self._entries(user_id, member, rows)
            if len(rows) < per_page:
                return
            after = (rows[-1]["entry_date"], int(rows[-1]["seq"]))

    async def all_entries(self, user_id: int) -> list[JournalEntry]:
        """Every entry of the member, oldest first (for export)."""
        member = self._keys.pseudonym(user_id)
        return self._entries(user_id, member, await self._db.fetch_all(_SELECT_ALL, (member, member)))

    async def rating_points(self, user_id: int) -> list[RatingPoint]:
        """The date, kind, phase and ratings of every entry, oldest first (summary and chart)."""
        member = self._keys.pseudonym(user_id)
        context = sealed.context(member, sealed.ENTRY)
        points: list[RatingPoint] = []
        for row in await self._db.fetch_all(_SELECT_RATINGS, (member,)):
            content = sealed.read_entry(self._cipher.open(row["sealed"], context))
            fields = dict(zip(sealed.CONTENT_FIELDS, content.values, strict=True))
            points.append(
                RatingPoint(
                    entry_date=date.fromisoformat(row["entry_date"]),
                    kind=fields["kind"],
                    phase=fields["phase"],
                    **{name: fields[name] for name in RATINGS},
                )
            )
        return points

    # --- member settings ------------------------------------------------------------------------

    async def member_timezone(self, user_id: int) -> ZoneInfo | None:
        member = self._keys.pseudonym(user_id)
        row = await self._db.fetch_one(_SELECT_MEMBER, (member,))
        if row is None or row["sealed_member"] is None:
            return None
        opened = self._cipher.open(row["sealed_member"], sealed.context(member, sealed.MEMBER))
        zone = sealed.read_member(opened).timezone
        if zone is None:
            return None
        try:
            return ZoneInfo(zone)
        except (ValueError, OSError):  # a zone removed from tzdata since it was stored
            return None

    async def set_timezone(self, user_id: int, zone: ZoneInfo) -> None:
        member = self._keys.pseudonym(user_id)
        document = sealed.member_document(user_id, zone.key)
        await self._db.execute(
            _SET_MEMBER, (member, self._cipher.seal(document, sealed.context(member, sealed.MEMBER)))
        )

    # --- reminders ------------------------------------------------------------------------------

    async def save_reminder(self, reminder: ReminderSettings, now: datetime) -> None:
        """Create or replace the member's reminder (when it last rang is kept)."""
        member = self._keys.pseudonym(reminder.user_id)
        document = self._cipher.seal(
            sealed.reminder_document(reminder), sealed.context(member, sealed.REMINDER)
        )
        await self._db.execute(_UPSERT_REMINDER, (member, document, _ts(reminder.next_due_at), _ts(now)))

    async def get_reminder(self, user_id: int) -> ReminderSettings | None:
        row = await self._db.fetch_one(_SELECT_REMINDER, (self._keys.pseudonym(user_id),))
        return None if row is None else self._reminder(row)

    async def clear_reminder(self, user_id: int) -> bool:
        """Turn the member's reminder off; False when there was none."""
        member = self._keys.pseudonym(user_id)
        return await self._db.execute("DELETE FROM journal_reminders WHERE member = ?", (member,)) > 0

    async def due_reminders(self, now: datetime, limit: int = 500) -> list[ReminderSettings]:
        """Reminders due by `now`, oldest first (the one query that spans members: the scheduler's)."""
        rows = await self._db.fetch_all(_SELECT_DUE_REMINDERS, (_ts(now), limit))
        return [self._reminder(row) for row in rows]

    async def move_reminder(self, due: ReminderSettings, moved: ReminderSettings, now: datetime) -> bool:
        """Store `moved` (its next time and last sending) in place of `due`, only if the stored
        reminder is still `due`: False when the member changed or cleared it meanwhile."""
        changed = await self._db.execute(
            _MOVE_REMINDER,
            (
                _ts(moved.next_due_at),
                _ts(moved.last_sent_at) if moved.last_sent_at else None,
                _ts(now),
                self._keys.pseudonym(due.user_id),
                _ts(due.next_due_at),
            ),
        )
        return changed > 0

    # --- forget ---------------------------------------------------------------------------------

    async def forget_member(self, user_id: int) -> DeletionReport:
        """Delete every row about the member from every journal table, at once or not at all; then
        (outside a caller's transaction, where the caller does it) `scrub` the file."""
        member = self._keys.pseudonym(user_id)
        counts: dict[str, int] = {}
        async with self.atomic():
            for table, statement in _FORGET_STATEMENTS:
                counts[table] = len(await self._db.fetch_all(statement, (member,)))
        if not self._db.in_own_transaction():
            await self.scrub()
        return DeletionReport(counts)

    async def scrub(self) -> bool:
        """Leave no trace of deleted rows in the files: rebuild the database (VACUUM), then copy the
        write-ahead log back and empty it. False when another connection kept the file busy (the
        rows are deleted all the same; the next scrub catches up)."""
        return await scrub_database(self._db)

    # --- mapping --------------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def atomic(self) -> AsyncIterator[None]:
        """One transaction, or the caller's own when it already holds one."""
        if self._db.in_own_transaction():
            yield
            return
        async with self._db.transaction():
            yield

    async def _entry_for_change(self, member: bytes, ref: EntryRef) -> tuple[int, sealed.EntryContent] | None:
        row = await self._db.fetch_one(_SELECT_ENTRY_FOR_CHANGE, (member, ref.seq))
        if row is None:
            return None
        stored = sealed.read_entry(self._cipher.open(row["sealed"], sealed.context(member, sealed.ENTRY)))
        return (int(row["id"]), stored) if _same_key(stored.key, ref.key) else None

    async def _change_days(self, member: bytes, change: _DaysChange) -> None:
        """Read, change and write back the member's day-0 dates (inside the caller's transaction)."""
        row = await self._db.fetch_one(_SELECT_DAYS, (member,))
        days = self._open_days(member, row["sealed_days"] if row else None)
        change(days)
        document = sealed.days_document(days) if days else None
        token = None if document is None else self._cipher.seal(document, sealed.context(member, sealed.DAYS))
        await self._db.execute(_SET_DAYS, (token, member))

    def _open_days(self, member: bytes, token: bytes | None) -> dict[int, date]:
        if token is None:
            return {}
        return sealed.read_days(self._cipher.open(token, sealed.context(member, sealed.DAYS)))

    def _entries(self, user_id: int, member: bytes, rows: Sequence[sqlite3.Row]) -> list[JournalEntry]:
        """Rows of one member, opened; their day-0 dates ride on every row, so they are read once."""
        if not rows:
            return []
        infusions = rules.infusion_starts(self._open_days(member, rows[0]["sealed_days"]).values())
        context = sealed.context(member, sealed.ENTRY)
        entries: list[JournalEntry] = []
        for row in rows:
            content = sealed.read_entry(self._cipher.open(row["sealed"], context))
            day = date.fromisoformat(row["entry_date"])
            # Positional, in JournalEntry's field order (sealed.CONTENT_FIELDS is kind ... notes).
            (kind, source, therapy, therapy_other, phase, feeling, fatigue, mobility, pain, cognition, mood,
             side_effects, notes, details) = content.values  # fmt: skip
            entries.append(
                JournalEntry(
                    user_id,
                    row["seq"],
                    day,
                    kind,
                    source,
                    therapy,
                    therapy_other,
                    phase,
                    feeling,
                    fatigue,
                    mobility,
                    pain,
                    cognition,
                    mood,
                    side_effects,
                    notes,
                    details,
                    _from_ts(row["created_at"]),
                    _from_ts(row["updated_at"]),
                    rules.infusion_day(day, infusions),
                    content.key,
                )
            )
        return entries

    def _reminder(self, row: sqlite3.Row) -> ReminderSettings:
        member = bytes(row["member"])
        return sealed.read_reminder(
            self._cipher.open(row["sealed"], sealed.context(member, sealed.REMINDER)),
            next_due_at=_from_ts(row["next_due_at"]),
            last_sent_at=_from_ts(row["last_sent_at"]) if row["last_sent_at"] else None,
        )


def _set_day(days: dict[int, date], seq: int, infusion: date | None) -> None:
    if infusion is None:
        days.pop(seq, None)
    else:
        days[seq] = infusion


def _same_key(stored: str, given: str) -> bool:
    return hmac.compare_digest(stored.encode(), given.encode())


def _states_statement(members: Sequence[bytes]) -> tuple[str, list[object]]:
    size = next(size for size in (1, *_BATCH_SIZES) if size >= len(members))
    return _states_text(size), [*members, *([None] * (size - len(members)))]


def _numbered_insert(rows: Sequence[tuple[object, ...]]) -> tuple[str, list[object]]:
    size = next(size for size in _BATCH_SIZES if size >= len(rows))
    params = [value for row in rows for value in row]
    params += _PAD_ROW * (size - len(rows))
    return _numbered_text(size), params


def _ensure_statement(documents: dict[bytes, bytes]) -> tuple[str, list[object]]:
    size = next(size for size in (1, *_BATCH_SIZES) if size >= len(documents))
    params: list[object] = []
    for member, document in documents.items():
        params += (member, document)
    params += (None, None) * (size - len(documents))
    return _ensure_text(size), params


@functools.cache
def _ensure_text(size: int) -> str:
    # Only "?" placeholders are spliced in; every value travels as a parameter.
    return _ENSURE_MEMBERS.format(rows=", ".join([_ENSURE_ROW] * size))


@functools.cache
def _import_text(size: int) -> str:
    # Only "?" placeholders are spliced in; every value travels as a parameter.
    return _IMPORT_ENTRIES.format(rows=", ".join([_IMPORT_ROW] * size))


@functools.cache
def _states_text(size: int) -> str:
    # Only "?" placeholders are spliced in; every value travels as a parameter.
    return _SELECT_STATES.format(rows=", ".join([_STATE_ROW] * size))


@functools.cache
def _numbered_text(size: int) -> str:
    # Only "?" placeholders are spliced in; every value travels as a parameter.
    return _INSERT_NUMBERED.format(rows=", ".join([_INSERT_ROW] * size))


# --- key rotation ---------------------------------------------------------------------------------


class KeyRotationError(Exception):
    """The journal cannot be re-sealed as it stands (the message says why; nothing was changed)."""


@dataclass(frozen=True, slots=True)
class RotationReport:
    """How many rows `reseal_journal` re-sealed under the new key."""

    members: int
    entries: int
    reminders: int


_ROTATION_BATCH = 500
#: Another feature's values sealed with the journal's keys (trial watches), re-sealed from the old
#: keys to the new inside the rotation's transaction; raising undoes the whole rotation.
ResealStep = Callable[[Database, JournalKeys, JournalKeys], Awaitable[object]]


async def lock_out_other_connections(db: Database) -> bool:
    """Hold the database for this connection alone until it closes; False when another connection
    (a running bot) has it open, in which case nothing is held."""
    await db.execute("PRAGMA locking_mode=EXCLUSIVE")
    await db.execute("PRAGMA busy_timeout=100")  # another connection is there or not: no need to wait
    try:
        await db.execute("BEGIN EXCLUSIVE")
    except sqlite3.OperationalError:
        await db.execute("PRAGMA locking_mode=NORMAL")
        return False
    finally:
        await db.execute("PRAGMA busy_timeout=5000")
    await db.execute("COMMIT")
    return True


async def reseal_journal(
    db: Database, old: JournalKeys, new: JournalKeys, *, also: Sequence[ResealStep] = ()
) -> RotationReport:
    """Re-seal every journal value, pseudonyms included, from `old` keys to `new`, in one transaction
    (with `also`: other features' values sealed with the same keys).

    A member's new pseudonym comes from the Discord id sealed in their member row. Any value that
    does not open under `old` stops the rotation with nothing changed. Afterwards the indexes are
    file is rebuilt and its write-ahead log emptied, so no old pseudonym is left in it.
    """
    async with db.transaction():
        renamed, by_row = await _reseal_members(db, old, new)
        entries = await _reseal_entries(db, old, new, by_row)
        reminders = await _reseal_reminders(db, old, new, renamed)
        for step in also:
            await step(db, old, new)
        await db.execute(
            "INSERT INTO journal_meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (_CANARY_KEY, new.cipher.make_canary()),
        )
    await scrub_database(db)
    return RotationReport(len(renamed), entries, reminders)


async def scrub_database(db: Database) -> bool:
    """VACUUM, then a truncating checkpoint (see `_VACUUM`); False when the file was busy."""
    try:
        await db.execute(_VACUUM)
    except sqlite3.OperationalError:
        return False
    row = await db.fetch_one(_CHECKPOINT)
    return row is not None and int(row[0]) == 0


def _resealed(
    old: JournalKeys, new: JournalKeys, token: bytes, member: bytes, renamed: bytes, kind: bytes
) -> bytes:
    plaintext = old.cipher.open(token, sealed.context(member, kind))
    return new.cipher.seal(plaintext, sealed.context(renamed, kind))


async def _reseal_members(
    db: Database, old: JournalKeys, new: JournalKeys
) -> tuple[dict[bytes, bytes], dict[int, tuple[bytes, bytes]]]:
    """Old pseudonym -> new; and member row number -> (old pseudonym, new) for the entries."""
    rows = await db.fetch_all("SELECT id, member, sealed_member, sealed_days FROM journal_members")
    owners = await _reminder_owners(db, old)
    renamed: dict[bytes, bytes] = {}
    by_row: dict[int, tuple[bytes, bytes]] = {}
    for row in rows:
        member = bytes(row["member"])
        if row["sealed_member"] is not None:
            user_id = sealed.read_member(
                old.cipher.open(row["sealed_member"], sealed.context(member, sealed.MEMBER))
            ).user_id
        elif member in owners:
            user_id = owners[member]
        else:
            raise KeyRotationError(
                "a journal member row holds no sealed id, so its new pseudonym cannot be worked out; "
                "nothing was changed"
            )
        target = new.pseudonym(user_id)
        renamed[member] = target
        by_row[int(row["id"])] = (member, target)
        document = (
            new.cipher.seal(sealed.member_document(user_id, None), sealed.context(target, sealed.MEMBER))
            if row["sealed_member"] is None
            else _resealed(old, new, row["sealed_member"], member, target, sealed.MEMBER)
        )
        days = (
            None
            if row["sealed_days"] is None
            else _resealed(old, new, row["sealed_days"], member, target, sealed.DAYS)
        )
        await db.execute(
            "UPDATE journal_members SET member = ?, sealed_member = ?, sealed_days = ? WHERE id = ?",
            (target, document, days, row["id"]),
        )
    return renamed, by_row


async def _reminder_owners(db: Database, old: JournalKeys) -> dict[bytes, int]:
    """Pseudonym -> Discord id from the reminders (a second source of a member's id)."""
    owners: dict[bytes, int] = {}
    for row in await db.fetch_all("SELECT member, sealed FROM journal_reminders"):
        member = bytes(row["member"])
        opened = old.cipher.open(row["sealed"], sealed.context(member, sealed.REMINDER))
        owners[member] = sealed.reminder_owner(opened)
    return owners


async def _reseal_entries(
    db: Database, old: JournalKeys, new: JournalKeys, by_row: dict[int, tuple[bytes, bytes]]
) -> int:
    count, after = 0, 0
    while True:
        rows = await db.fetch_all(
            "SELECT id, member_id, sealed FROM journal_entries WHERE id > ? ORDER BY id LIMIT ?",
            (after, _ROTATION_BATCH),
        )
        if not rows:
            return count
        for row in rows:
            names = by_row.get(int(row["member_id"]))
            if names is None:
                raise KeyRotationError(
                    "a journal entry belongs to no member row, so its new pseudonym cannot be worked "
                    "out; nothing was changed"
                )
            member, target = names
            await db.execute(
                "UPDATE journal_entries SET sealed = ? WHERE id = ?",
                (_resealed(old, new, row["sealed"], member, target, sealed.ENTRY), row["id"]),
            )
        count += len(rows)
        after = int(rows[-1]["id"])


async def _reseal_reminders(
    db: Database, old: JournalKeys, new: JournalKeys, renamed: dict[bytes, bytes]
) -> int:
    rows = await db.fetch_all("SELECT id, member, sealed FROM journal_reminders")
    for row in rows:
        member = bytes(row["member"])
        opened = old.cipher.open(row["sealed"], sealed.context(member, sealed.REMINDER))
        target = renamed.get(member) or new.pseudonym(
            sealed.read_reminder(opened, datetime.now(UTC), None).user_id
        )
        await db.execute(
            "UPDATE journal_reminders SET member = ?, sealed = ? WHERE id = ?",
            (target, new.cipher.seal(opened, sealed.context(target, sealed.REMINDER)), row["id"]),
        )
    return len(rows)
