"""The journal's service: what the `/journal` commands, its buttons and forms, and DM notes call.

It runs the rules of `bot.core.journal` around the storage of `JournalRepository`: drafts are
checked here, "today" is the member's own day, a page past the end shows the last page, reminders
get their defaults and move on after ringing, a journal holds at most `MAX_ENTRIES_PER_MEMBER`
entries and DM notes come at most `QUICK_NOTES_PER_MINUTE` a minute. It owns the live objects of
the journal (the group-commit writer of new entries, the quick-note counter) and stops the writer
at shutdown (`close`). `forget_member` deletes everything about a member, the journal's and, through
the hooks other features register (`on_forget`), theirs, in one transaction. It also proves the
journal key at start-up (`load_journal_keys`). Every method names the member's Discord id; the
database only ever sees their pseudonym, and logs carry neither id nor journal text.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncGenerator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.core.clock import Clock
from bot.core.journal import reminders, rules
from bot.core.journal.compare import Comparison
from bot.core.journal.crypto import (
    JournalIntegrityError,
    JournalKeyError,
    JournalKeys,
    KeyOrigin,
    generate_key,
    install_rotated_key,
    log_tag,
    read_key_file,
    resolve_key,
    rotation_paths,
    write_key_file,
)
from bot.core.journal.drafts import DraftForm, EntryOptions
from bot.core.journal.export import ExportPart
from bot.core.journal.importing import ImportPlan
from bot.core.journal.jobs import (
    Packed,
    compare_job,
    export_job,
    import_job,
    pack,
    report_job,
    summary_job,
    timeline_job,
)
from bot.core.journal.model import (
    Cadence,
    DeletionReport,
    EntryDraft,
    EntryRef,
    ForgottenItems,
    JournalEntry,
    JournalPage,
    Phase,
    RatingPoint,
    ReminderSettings,
    new_entry,
    page_count,
)
from bot.core.journal.report_request import ReportRequest, report_period
from bot.core.journal.summary import JournalSummary, summarise
from bot.db.database import Database
from bot.db.migrate import MigrationInputs
from bot.db.repositories.journal import (
    MAX_ROWS_PER_INSERT,
    InsertedEntry,
    JournalKeyRepository,
    JournalRepository,
    NewEntryRow,
    ResealStep,
    RotationReport,
    reseal_journal,
)
from bot.services.journal_worker import JournalWorker

log = logging.getLogger(__name__)

#: Entries read and opened per step of a long read (summary, timeline, export...): a few milliseconds
#: of the event loop each, with other members' work let in between (`bench/bench_journal.py`).
ENTRIES_PER_STEP = 250
#: An import planned while the journal changed (an add came in) is planned again, this many times.
_IMPORT_ATTEMPTS = 3


@dataclass(frozen=True, slots=True)
class SavedEntry:
    """An entry just saved, and the member's day it was read against (for the time-zone hint)."""

    entry: JournalEntry
    day: rules.MemberDay


#: Another feature's part of `forget`: deletes what it holds about the member (inside the journal's
#: transaction, so it all goes or nothing does) and says what it deleted; None when there is nothing
#: to tell (live forms dropped from memory, say).
ForgetHook = Callable[[int], Awaitable[ForgottenItems | None]]


@dataclass(frozen=True, slots=True)
class ReminderChange:
    """A reminder just set; `zone_assumed` when it rings in UTC because the member's zone is unknown."""

    reminder: ReminderSettings
    zone_assumed: bool


class JournalService:
    """Every journal action, for one member at a time; the entry writer's one owner."""

    def __init__(
        self, repository: JournalRepository, clock: Clock, worker: JournalWorker | None = None
    ) -> None:
        self._repository = repository
        self._clock = clock
        #: Charts, the report and export files are made in this worker process, off the event loop.
        self._worker = worker or JournalWorker()
        self._writer = _EntryWriter(repository)
        self._quick_notes = rules.QuickNoteRate()
        self._forget_hooks: list[ForgetHook] = []
        #: Members whose row is known to hold their sealed id (their first add writes it).
        self._known_members: set[int] = set()

    async def close(self) -> None:
        """At shutdown, before the database closes: let every add made so far be written, and stop the
        worker process (if one was started)."""
        await self._writer.stop()
        await self._worker.close()

    def log_tag(self, user_id: int) -> str:
        """A short pseudonym for a warning about this member: never their Discord id."""
        return log_tag(self._repository.pseudonym(user_id))

    # --- writing entries --------------------------------------------------------------------------

    async def add(self, user_id: int, draft: EntryDraft) -> JournalEntry:
        """Store a new entry as the member's next number (several adds at once share one commit).

        The date is checked against the latest 'today' anywhere; callers check the member's own
        today first (`rules.parse_entry_date` with `member_day`).
        """
        now = self._clock.now()
        draft = rules.check_draft(draft, rules.member_day(now, None))
        row = self._repository.new_row(user_id, draft, now, new_member=user_id not in self._known_members)
        inserted = await self._writer.write(row)
        if inserted is None:
            raise rules.journal_full()
        self._known_members.add(user_id)
        infusions = list(inserted.infusion_dates)
        if draft.phase is Phase.INFUSION:
            infusions.append(draft.entry_date)
        return new_entry(
            draft,
            user_id=user_id,
            seq=inserted.seq,
            created_at=row.created_at,
            infusion_day=rules.infusion_day(draft.entry_date, infusions),
            key=row.key,
        )

    async def add_from_options(self, user_id: int, options: EntryOptions) -> SavedEntry:
        """`/journal add` with options: read them against the member's day, then store."""
        day = await self.member_day(user_id)
        entry = await self.add(user_id, options.to_draft(day))
        return SavedEntry(entry, day)

    async def add_quick_note(self, user_id: int, text: str) -> SavedEntry:
        """A plain direct message, saved as a note for the member's today (`rules.SlowDown` when
        notes come faster than `QUICK_NOTES_PER_MINUTE`)."""
        self._quick_notes.admit(user_id, self._clock.now())
        day = await self.member_day(user_id)
        entry = await self.add(user_id, rules.quick_note(text, day.today))
        return SavedEntry(entry, day)

    async def save_form(self, user_id: int, form: DraftForm, ref: EntryRef | None) -> SavedEntry:
        """A form (or a typed entry's options): a new entry (`ref` None) or an edit of that entry, read
        against the member's day. An edit of an entry deleted since is refused (`rules.entry_gone`)."""
        day = await self.member_day(user_id)
        if ref is None:
            return SavedEntry(await self.add(user_id, form.to_draft(day, None)), day)
        stored = await self.get(user_id, ref.seq)
        if stored.key != ref.key:
            raise rules.entry_gone(ref.seq)
        return SavedEntry(await self.update(user_id, ref, form.to_draft(day, stored.to_draft())), day)

    async def update(self, user_id: int, ref: EntryRef, draft: EntryDraft) -> JournalEntry:
        """Replace what the member can edit (all of `draft`); number, key, source and creation time stay."""
        now = self._clock.now()
        draft = rules.check_draft(draft, rules.member_day(now, None))
        if not await self._repository.update(user_id, ref, draft, now):
            raise rules.entry_gone(ref.seq)
        return await self.get(user_id, ref.seq)

    async def delete(self, user_id: int, ref: EntryRef) -> JournalEntry:
        """Delete the member's entry and return it (for 'Deleted #3 from 2026-01-02'); an entry deleted
        since, or a number now used by another entry, is `rules.entry_gone` and nothing changes."""
        deleted = await self._repository.delete(user_id, ref)
        if deleted is None:
            raise rules.entry_gone(ref.seq)
        return deleted

    def on_forget(self, hook: ForgetHook) -> None:
        """Have `hook` run with every `forget_member`, inside its transaction."""
        self._forget_hooks.append(hook)

    def remove_forget_hook(self, hook: ForgetHook) -> None:
        if hook in self._forget_hooks:
            self._forget_hooks.remove(hook)

    async def forget_member(self, user_id: int) -> DeletionReport:
        """Delete everything about the member: every journal row and, through the hooks, what other
        features hold, at once or not at all; what the bot holds in memory too. Afterwards the
        database file keeps no trace of them (rebuilt, write-ahead log emptied)."""
        await self._writer.settle()  # an add made before the forget lands before it, as it always did
        self._quick_notes.forget(user_id)
        self._known_members.discard(user_id)
        others: list[ForgottenItems] = []
        async with self._repository.atomic():
            for hook in list(self._forget_hooks):  # first: a live form must not save in between
                item = await hook(user_id)
                if item is not None:
                    others.append(item)
            report = await self._repository.forget_member(user_id)
        if not await self._repository.scrub():
            log.warning(
                "The database file could not be rebuilt after a forget (it was busy); the next forget will"
            )
        self._repository.forget_in_memory(user_id)
        log.info("Journal data of a member forgotten: %s", report.counts)
        return DeletionReport(report.counts, tuple(others))

    # --- reading ----------------------------------------------------------------------------------

    async def get(self, user_id: int, seq: int) -> JournalEntry:
        """The member's entry #seq, or NotFound with the same words whoever else may own a #seq."""
        entry = await self._repository.get(user_id, seq)
        if entry is None:
            raise rules.no_entry(seq)
        return entry

    async def list_page(
        self, user_id: int, page: int = 1, per_page: int = rules.DEFAULT_PER_PAGE
    ) -> JournalPage:
        """Newest first (by entry date, then number); a page past the end shows the last page."""
        rules.check_page(page, per_page)
        entries, total = await self._repository.entry_page(user_id, per_page, (page - 1) * per_page)
        if not entries and total and page > page_count(total, per_page):
            page = page_count(total, per_page)
            entries, total = await self._repository.entry_page(user_id, per_page, (page - 1) * per_page)
        return JournalPage(entries=tuple(entries), page=page, per_page=per_page, total=total)

    async def count(self, user_id: int) -> int:
        return await self._repository.count(user_id)

    async def all_entries(self, user_id: int) -> list[JournalEntry]:
        """Every entry of the member, oldest first (for export)."""
        return await self._repository.all_entries(user_id)

    async def rating_points(self, user_id: int) -> list[RatingPoint]:
        """The date, kind, phase and ratings of every entry, oldest first (summary and chart)."""
        return await self._repository.rating_points(user_id)

    async def summary(self, user_id: int) -> JournalSummary:
        return summarise(await self.rating_points(user_id))

    # --- a whole journal at once, off the event loop ----------------------------------------------

    async def packed_entries(self, user_id: int) -> tuple[Packed, int]:
        """Every entry of the member, oldest first, opened a step at a time and packed for the worker;
        and how many there are. Between steps other work runs, so a long journal stalls nothing."""
        chunks: list[bytes] = []
        count = 0
        async for page in self._repository.entry_pages(user_id, ENTRIES_PER_STEP):
            chunks.append(pack(page))
            count += len(page)
            await asyncio.sleep(0)
        return tuple(chunks), count

    async def summary_with_chart(self, user_id: int) -> tuple[JournalSummary, bytes] | None:
        """Counts, monthly averages and the chart of the ratings (PNG); None for an empty journal."""
        chunks, count = await self.packed_entries(user_id)
        return await self._worker.run(summary_job, chunks) if count else None

    async def timeline(self, user_id: int) -> bytes | None:
        """The timeline PNG: months around day 0, ratings, events, phases; None for an empty journal."""
        chunks, count = await self.packed_entries(user_id)
        if not count:
            return None
        return await self._worker.run(timeline_job, chunks, (await self.member_day(user_id)).today)

    async def compare(self, user_id: int) -> Comparison | None:
        """Each rating before treatment against months +3, +6, +12 and +24 after day 0; None when the
        journal holds no day 0."""
        chunks, count = await self.packed_entries(user_id)
        return await self._worker.run(compare_job, chunks) if count else None

    async def report(
        self, user_id: int, start: str | None, end: str | None, *, include_notes: bool
    ) -> tuple[bytes, date, date] | None:
        """The PDF for the neurologist over the period asked for (`report_request.report_period`), and that
        period; None for an empty journal."""
        day = await self.member_day(user_id)
        first, last = report_period(start, end, day)
        chunks, count = await self.packed_entries(user_id)
        if not count:
            return None
        request = ReportRequest(first, last, include_notes, day.today)
        return await self._worker.run(report_job, chunks, request), first, last

    async def import_file(self, user_id: int, data: bytes) -> ImportPlan:
        """The member's own export back in: read and checked whole in the worker, planned against the
        journal as it stands, sealed a step at a time and written in one transaction, or nothing is.
        Refused kindly (`InvalidInput`) when the file is not an export, an entry breaks a rule, or the
        journal would grow past `MAX_ENTRIES_PER_MEMBER`."""
        await self._writer.settle()  # adds made before the import are part of what it is planned against
        for _ in range(_IMPORT_ATTEMPTS):
            state = await self._repository.member_state(user_id)
            existing, _ = await self.packed_entries(user_id)
            day = await self.member_day(user_id)
            plan = await self._worker.run(
                import_job, data, existing, day, state[0], rules.MAX_ENTRIES_PER_MEMBER
            )
            rows = []
            for index, entry in enumerate(plan.entries, start=1):
                rows.append(
                    self._repository.import_row(
                        user_id, entry.seq, entry.draft, entry.created_at, entry.updated_at
                    )
                )
                if index % ENTRIES_PER_STEP == 0:
                    await asyncio.sleep(0)
            if await self._repository.import_entries(user_id, rows, state):
                if rows:
                    self._known_members.add(user_id)
                log.info("Journal imported (entries=%d duplicates=%d)", len(rows), plan.duplicates)
                return plan
        raise rules.journal_busy()

    async def export(self, user_id: int, limit: int) -> tuple[list[ExportPart], int]:
        """The whole journal as zip parts of at most `limit` bytes, and how many entries it holds
        (`export.ExportTooLarge` when one entry alone is bigger)."""
        chunks, count = await self.packed_entries(user_id)
        if not count:
            return [], 0
        return await self._worker.run(export_job, chunks, self._clock.now(), limit), count

    # --- the member's time zone -------------------------------------------------------------------

    async def member_timezone(self, user_id: int) -> ZoneInfo | None:
        return await self._repository.member_timezone(user_id)

    async def set_timezone(self, user_id: int, zone: ZoneInfo) -> None:
        await self._repository.set_timezone(user_id, zone)

    async def member_today(self, user_id: int) -> date:
        """Today where the member lives (UTC until they tell us their zone)."""
        return rules.member_today(self._clock.now(), await self.member_timezone(user_id))

    async def member_day(self, user_id: int) -> rules.MemberDay:
        """The member's today, and the latest date their entries may have (lenient without a zone)."""
        return rules.member_day(self._clock.now(), await self.member_timezone(user_id))

    async def change_timezone(self, user_id: int, zone: ZoneInfo) -> ReminderSettings | None:
        """The member's journal zone from now on; their reminder, if any, keeps its local time in it
        (and is returned, moved)."""
        reminder = await self._repository.get_reminder(user_id)
        if reminder is None:
            await self.set_timezone(user_id, zone)
            return None
        return await self._save_reminder(reminders.in_new_zone(reminder, zone, self._clock.now()))

    # --- reminders --------------------------------------------------------------------------------

    async def set_reminder(
        self, user_id: int, cadence: Cadence, local_time: time, zone: ZoneInfo, weekday: int | None = None
    ) -> ReminderSettings:
        """Create or replace the member's reminder; the zone also becomes their journal time zone."""
        return await self._save_reminder(
            reminders.new_reminder(user_id, cadence, local_time, zone, weekday, self._clock.now())
        )

    async def remind(
        self,
        user_id: int,
        cadence: Cadence,
        *,
        time_text: str | None = None,
        zone_text: str | None = None,
        weekday_text: str | None = None,
    ) -> ReminderChange:
        """`/journal remind` with a cadence: what was left out comes from the existing reminder, the
        member's journal zone, or UTC."""
        existing = await self._repository.get_reminder(user_id)
        request = rules.parse_reminder_options(time_text, zone_text, weekday_text, existing)
        known = await self.member_timezone(user_id) if request.zone is None else None
        zone, assumed = reminders.reminder_zone(request.zone, known)
        reminder = await self.set_reminder(user_id, cadence, request.local_time, zone, request.weekday)
        return ReminderChange(reminder, zone_assumed=assumed)

    async def get_reminder(self, user_id: int) -> ReminderSettings | None:
        return await self._repository.get_reminder(user_id)

    async def clear_reminder(self, user_id: int) -> bool:
        """Turn the member's reminder off; False when there was none."""
        return await self._repository.clear_reminder(user_id)

    async def due_reminders(self, now: datetime, limit: int = 500) -> list[ReminderSettings]:
        """Reminders due by `now`, oldest first."""
        return await self._repository.due_reminders(now, limit)

    async def mark_reminded(
        self, reminder: ReminderSettings, now: datetime, *, sent: bool = True
    ) -> ReminderSettings | None:
        """Move a handled reminder to its next time after `now` (missed ones are not replayed).

        Returns None when the member changed or cleared the reminder meanwhile (nothing written).
        Call with `sent=False` when `reminders.should_send` said the miss was too old to deliver.
        """
        moved = reminders.handled(reminder, now, sent=sent)
        if not await self._repository.move_reminder(reminder, moved, now):
            return None
        return moved

    async def claim_due_reminders(self) -> AsyncGenerator[ReminderSettings]:
        """The reminders to send now, each claimed (moved on) before it is handed out, so it goes at
        most once; a reminder missed long ago is moved on without being handed out."""
        now = self._clock.now()
        for due in await self.due_reminders(now):
            deliver = reminders.should_send(due, now)
            claimed = await self.mark_reminded(due, now, sent=deliver)
            if claimed is None:
                continue  # changed or turned off meanwhile
            if not deliver:
                log.info("Skipped a journal reminder missed long ago")
                continue
            yield due

    async def _save_reminder(self, reminder: ReminderSettings) -> ReminderSettings:
        await self.set_timezone(reminder.user_id, ZoneInfo(reminder.timezone))
        await self._repository.save_reminder(reminder, self._clock.now())
        return reminder


# --- the entry writer -----------------------------------------------------------------------------


@dataclass(slots=True)
class _PendingAdd:
    """One `add` waiting for the writer: its row (text already sealed) and its answer."""

    row: NewEntryRow
    #: The outcome, set by the writer only (None when the member's journal is full: nothing was
    #: written). Nobody awaits it directly, so cancelling a caller never cancels it once started.
    future: asyncio.Future[InsertedEntry | None]
    #: Taken into a batch: from here on the row may be written, so the caller must hear the outcome.
    started: bool = False
    #: What the caller awaits; woken (never given a result) when `future` is done. One plain future
    #: instead of `asyncio.shield`'s two and its three callbacks: one wake-up per add, as a bare one.
    waiter: asyncio.Future[None] | None = None


class JournalWriterStopped(Exception):
    """The entry writer was stopped (shutdown) before this add had its answer."""


class _EntryWriter:
    """Group commit for new entries: adds that arrive while a write runs go in together next.

    Under load this turns many statements, commits and worker-thread hops into a few; alone, an
    add is written at once by the single-row statement. A batch that fails changed nothing (its
    transaction is rolled back), so its adds are retried one by one and only the faulty one fails.
    An add cancelled before its batch starts is never written; one cancelled after that still
    waits for its row and returns it (a saved entry its author never hears about would be a silent
    duplicate when they retry). If the writer itself is stopped, waiting adds
    fail with `JournalWriterStopped`, never with a CancelledError that is not theirs.
    """

    def __init__(self, repository: JournalRepository) -> None:
        self._repository = repository
        self._queue: list[_PendingAdd] = []
        self._in_flight: list[_PendingAdd] = []
        self._task: asyncio.Task[None] | None = None

    async def write(self, row: NewEntryRow) -> InsertedEntry | None:
        """Store one entry; returns its number and the member's infusion dates as stored with it, or
        None when the member's journal already holds `MAX_ENTRIES_PER_MEMBER` entries."""
        loop = asyncio.get_running_loop()
        pending = _PendingAdd(row, loop.create_future())
        if self._repository.in_callers_transaction():
            await self._write_one(pending)  # part of the caller's transaction: write it here, now
        else:
            self._queue.append(pending)
            if self._task is None:
                self._task = loop.create_task(self._run(), name="journal-entry-writer")
        return await _outcome(pending, loop)

    async def _run(self) -> None:
        try:
            while self._queue:
                batch = [p for p in self._queue[:MAX_ROWS_PER_INSERT] if not p.future.done()]
                del self._queue[:MAX_ROWS_PER_INSERT]
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

    async def stop(self) -> None:
        """Let every add made so far finish, then end the writer task if one is still running."""
        await self.settle()
        task = self._task
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def _write_batch(self, batch: list[_PendingAdd]) -> None:
        try:
            if len(batch) == 1:
                await self._write_one(batch[0])
                return
            try:
                inserted = await self._repository.insert_entries(
                    [pending.row for pending in batch], rules.MAX_ENTRIES_PER_MEMBER
                )
            except sqlite3.Error:
                # Nothing of the batch was written; one by one, each add gets its own outcome.
                for pending in batch:
                    await self._write_one(pending)
                return
            for pending, result in zip(batch, inserted, strict=True):
                if not pending.future.done():
                    pending.future.set_result(result)
                    _wake(pending)
        except BaseException as exc:
            for pending in batch:
                _fail(pending, exc)
            if not isinstance(exc, Exception):
                raise

    async def _write_one(self, pending: _PendingAdd) -> None:
        try:
            inserted = await self._repository.insert_entry(pending.row, rules.MAX_ENTRIES_PER_MEMBER)
        except Exception as exc:
            _fail(pending, exc)
            return
        if not pending.future.done():
            pending.future.set_result(inserted)
            _wake(pending)


async def _outcome(pending: _PendingAdd, loop: asyncio.AbstractEventLoop) -> InsertedEntry | None:
    """The add's result; a cancellation after its batch started waits for the row instead."""
    absorbed = 0
    try:
        while not pending.future.done():
            waiter = pending.waiter = loop.create_future()
            try:
                await waiter
            except asyncio.CancelledError:
                if not pending.started:
                    pending.future.cancel()  # still queued: it is never written
                    raise
                absorbed += 1  # being written (or just written): wait for it, so the caller can confirm it
        return pending.future.result()
    finally:
        # The cancellations waited out are withdrawn, so the caller goes on to confirm the entry.
        task = asyncio.current_task() if absorbed else None  # (asking costs a system call: not per add)
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
        _wake(pending)


def _wake(pending: _PendingAdd) -> None:
    """Tell the caller its outcome is in (`pending.future`)."""
    waiter = pending.waiter
    if waiter is not None and not waiter.done():
        waiter.set_result(None)


# --- the key check at start-up --------------------------------------------------------------------


async def load_journal_keys(db: Database, configured_key: str, key_path: Path) -> JournalKeys:
    """The journal's keys for this database, proven against its canary before anything is written.

    Raises `JournalKeyError` (stop the bot, show the message) when the key is missing, malformed
    or wrong for existing data; in those cases nothing in the database or on disk is changed.
    Stores the canary on first use only.
    """
    store = JournalKeyRepository(db)
    evidence = await store.evidence()
    resolved = resolve_key(configured_key, key_path, data_exists=evidence.data_exists)
    origin = "JOURNAL_KEY" if resolved.origin is KeyOrigin.SETTING else f"The journal key file {key_path}"
    keys = JournalKeys(resolved.key)
    if evidence.canary is not None:
        try:
            keys.cipher.check_canary(evidence.canary, origin)
        except JournalKeyError as error:
            pending, _ = rotation_paths(key_path, "")
            if pending.exists():
                raise JournalKeyError(
                    f"{error} A key rotation was interrupted ({pending} holds its new key): run "
                    f"`stemcell-bot rotate-key` again to finish it."
                ) from None
            raise
    else:
        if evidence.sample is not None:
            _check_sample(keys, evidence.sample, evidence.sample_context, origin)
        await store.store_canary(keys.cipher.make_canary())
    log.info("Journal encryption ready (key from %s)", resolved.origin.value)
    return keys


def _check_sample(keys: JournalKeys, token: bytes, context: bytes, origin: str) -> None:
    try:
        keys.cipher.open(token, context)
    except JournalIntegrityError:
        raise JournalKeyError(
            f"{origin} cannot read the journal entries already in this database. Set JOURNAL_KEY "
            f"(or restore the key file) to the key they were written with. Nothing was changed."
        ) from None


def journal_migration_inputs(configured_key: str, key_path: Path) -> MigrationInputs:
    """What migrations may ask for: the journal key as configured (never a new one: data exists)."""
    return MigrationInputs(journal_key=lambda: resolve_key(configured_key, key_path, data_exists=True).key)


# --- key rotation ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class KeyRotation:
    """What `rotate_journal_key` did, for the operator."""

    #: The copy taken before anything changed; still sealed with the old key.
    backup: Path | None
    #: What was re-sealed; None when an interrupted rotation was only finished.
    report: RotationReport | None
    #: The new key, when it came from JOURNAL_KEY: the operator must set it (shown once, never stored).
    new_key: str | None = None
    #: The old key file, kept beside the backup it still opens (key-file setups only).
    retired_key: Path | None = None


async def rotate_journal_key(
    db: Database,
    configured_key: str,
    key_path: Path,
    now: datetime,
    *,
    also: Sequence[ResealStep] = (),
) -> KeyRotation:
    """Re-seal the whole journal under a new key, all or nothing, after a backup.

    The caller holds the database alone (no bot running). The new key is written to a pending
    key file before the re-sealing commits, so a crash at any point leaves a key for the data:
    run again, and an interrupted rotation is finished. With a key file, the new key takes its
    place and the old one stays beside it (it opens the backup); with JOURNAL_KEY, the new key is
    returned for the operator to set, and the pending file is removed by the caller once shown.
    """
    stamp = now.strftime("%Y%m%d-%H%M%S")
    pending, retired = rotation_paths(key_path, stamp)
    evidence = await JournalKeyRepository(db).evidence()
    if not evidence.data_exists:
        raise JournalKeyError("This database holds no sealed journal yet, so there is no key to rotate.")
    resolved = resolve_key(configured_key, key_path, data_exists=True)
    from_file = resolved.origin is not KeyOrigin.SETTING
    current = JournalKeys(resolved.key)
    if evidence.canary is not None:
        try:
            current.cipher.check_canary(evidence.canary, "JOURNAL_KEY" if not from_file else str(key_path))
        except JournalKeyError:
            if not pending.exists():
                raise
            # The re-sealing committed but the new key was not put in place: finish that.
            new_text = read_key_file(pending)
            JournalKeys(new_text).cipher.check_canary(evidence.canary, str(pending))
            if from_file:
                install_rotated_key(key_path, pending, retired)
                return KeyRotation(None, None, retired_key=retired)
            return KeyRotation(None, None, new_key=new_text.decode("ascii"))
    elif evidence.sample is not None:
        _check_sample(current, evidence.sample, evidence.sample_context, "the journal key")
    backup = db.path.with_name(f"{db.path.name}.before-rotate-{stamp}.bak")
    await db.backup_to(backup)
    pending.unlink(missing_ok=True)  # left by an attempt that never committed: it sealed nothing
    new_text = generate_key()
    write_key_file(pending, new_text)
    try:
        report = await reseal_journal(db, current, JournalKeys(new_text.encode("ascii")), also=also)
    except BaseException:
        pending.unlink(missing_ok=True)  # nothing was re-sealed with it
        raise
    if from_file:
        install_rotated_key(key_path, pending, retired)
        return KeyRotation(backup, report, retired_key=retired)
    return KeyRotation(backup, report, new_key=new_text)
