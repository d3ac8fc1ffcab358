"""The journal service against an honest raw floor, and the event loop during a 10,000-entry journal's
heavy commands. Printed, not asserted.

    python bench/bench_journal.py [--members 100] [--entries 30] [--rounds 2] [--big 10000]

1. Adds. Each of `--members` concurrent members adds `--entries` entries through `JournalService`
   (validation, sealing with AES-GCM under a pseudonym, numbering, day N, the group-commit writer).
   The floor does the same adds at the same concurrency with bare aiosqlite and the same batching: a
   writer task that takes every add waiting (up to the same 128) into one multi-row INSERT of the
   plain text, on a connection with the same pragmas. What each member adds is made before the
   measured time, so CPU per add is the adds' own. Rounds alternate floor and service so drift on
   the machine hits both alike. Targets: add p50, add p99 and CPU per add each at most 2x the floor.
   `list_page` against a bare SELECT of the newest ten rows is printed for information.
2. Event-loop lag. One member's journal of `--big` entries (notes, ratings, milestones, every typed
   kind); a ticker task wakes every millisecond and records the longest gap while `summary`,
   `timeline`, `compare`, `report` and `export` run, each printed beside its own time. Target: the
   longest gap at most 20 ms for each. The worker process is started (and timed) before, as the
   first command after a restart would start it.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TypeVar

import aiosqlite

from bot.core.clock import SystemClock
from bot.core.journal.crypto import default_key_path, generate_key
from bot.core.journal.kinds import (
    Answer,
    BloodCountDetails,
    Milestone,
    MilestoneDetails,
    MriDetails,
    Scale,
    ScoreDetails,
    Scorer,
)
from bot.core.journal.model import MILESTONE_PHASES, EntryDraft, EntryKind, EntrySource
from bot.db.database import open_database
from bot.db.migrate import apply_migrations
from bot.db.repositories.journal import MAX_ROWS_PER_INSERT, JournalRepository
from bot.services.journal import JournalService, load_journal_keys

TARGET_RATIO = 2.0
TARGET_LAG_MS = 20.0
PER_PAGE = 10
_Item = TypeVar("_Item")
_WORDS = (
    *("tired", "fatigue", "legs", "numb", "tingling", "walked", "garden", "neurologist", "bloods"),
    *("neutrophils", "fever", "slept", "appetite", "nausea", "hair", "mobilisation", "apheresis"),
    *("infusion", "ward", "visitors", "better", "worse", "steady", "hopeful"),
)


@dataclass
class Samples:
    """Latencies in seconds per operation, and the wall and CPU time of the phase that made them."""

    add: list[float] = field(default_factory=list)
    listing: list[float] = field(default_factory=list)
    wall: float = 0.0
    #: Process CPU time (event loop and the database thread together; they share one GIL).
    cpu: float = 0.0

    def extend(self, other: Samples) -> None:
        self.add += other.add
        self.listing += other.listing
        self.wall += other.wall
        self.cpu += other.cpu


def _note(rng: random.Random) -> str:
    return " ".join(rng.choice(_WORDS) for _ in range(rng.randint(8, 60))).capitalize() + "."


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


async def _timed(bucket: list[float], operation: Callable[[], Awaitable[object]]) -> None:
    started = time.perf_counter()
    await operation()
    bucket.append(time.perf_counter() - started)


async def _run_members(
    members: int,
    prepare: Callable[[int, random.Random], list[_Item]],
    add_one: Callable[[int, _Item, Samples], Awaitable[None]],
) -> Samples:
    """Each member's adds one after another, all members at once. What they add is made first,
    outside the measured time and CPU: only the adds (and listings) themselves are counted. So is
    the garbage collection that making it calls for: drafts are objects the collector tracks (the
    floor's notes are plain strings, which it does not), and thousands of them made just before
    would set off a full collection (about 20 ms) inside the measured time of the service alone."""
    samples = Samples()
    plans = [prepare(index, random.Random(index)) for index in range(members)]
    gc.collect()
    start_gate = asyncio.Event()

    async def member(index: int) -> None:
        await start_gate.wait()
        for item in plans[index]:
            await add_one(index, item, samples)

    tasks = [asyncio.create_task(member(i)) for i in range(members)]
    await asyncio.sleep(0)
    started, cpu_started = time.perf_counter(), time.process_time()
    start_gate.set()
    await asyncio.gather(*tasks)
    samples.wall = time.perf_counter() - started
    samples.cpu = time.process_time() - cpu_started
    return samples


# --- the floor: bare aiosqlite, batched the way the service batches ---------------------------------


class RawWriter:
    """Group commit at its barest: adds waiting while a write runs go in together as one multi-row
    INSERT of plain text (at most `MAX_ROWS_PER_INSERT`), as the service's writer does."""

    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._connection = connection
        self._queue: list[tuple[tuple[int, str, str], asyncio.Future[None]]] = []
        self._task: asyncio.Task[None] | None = None

    async def add(self, row: tuple[int, str, str]) -> None:
        future = asyncio.get_running_loop().create_future()
        self._queue.append((row, future))
        if self._task is None:
            self._task = asyncio.create_task(self._run())
        await future

    async def _run(self) -> None:
        try:
            while self._queue:
                batch, self._queue = self._queue[:MAX_ROWS_PER_INSERT], self._queue[MAX_ROWS_PER_INSERT:]
                values = ", ".join(["(?, ?, ?)"] * len(batch))
                params = [value for row, _ in batch for value in row]
                await self._connection.execute(
                    f"INSERT INTO raw_entries (user_id, created_at, body) VALUES {values}",  # noqa: S608
                    params,
                )
                for _, future in batch:
                    future.set_result(None)
        finally:
            self._task = None


async def _floor_round(
    writer: RawWriter,
    connection: aiosqlite.Connection,
    members: int,
    entries: int,
    base: int,
    *,
    listing: bool,
) -> Samples:
    def prepare(index: int, rng: random.Random) -> list[str]:
        return [_note(rng) for _ in range(entries)]

    async def add_one(index: int, note: str, samples: Samples) -> None:
        user_id = base + index
        await _timed(samples.add, lambda: writer.add((user_id, datetime.now(UTC).isoformat(), note)))
        if listing:
            await _timed(
                samples.listing,
                lambda: connection.execute_fetchall(
                    "SELECT id, created_at, body FROM raw_entries WHERE user_id = ? "
                    "ORDER BY created_at DESC LIMIT ?",
                    (user_id, PER_PAGE),
                ),
            )

    return await _run_members(members, prepare, add_one)


def _draft(rng: random.Random, number: int, today: date) -> EntryDraft:
    """The same note as the floor's for this member and number, with what a member adds around it."""
    note = _note(rng)  # first, as the floor draws it from the same seed
    rated = number % 2 == 0
    return EntryDraft(
        entry_date=today - timedelta(days=rng.randint(0, 60)),
        kind=EntryKind.CHECKIN if rated else EntryKind.NOTE,
        source=EntrySource.MODAL if rated else EntrySource.DM_QUICK,
        feeling=rng.randint(0, 10) if rated else None,
        fatigue=rng.randint(0, 10) if rated else None,
        side_effects="mild fever, hair thinning" if rated else None,
        notes=note,
    )


async def _service_round(
    journal: JournalService, members: int, entries: int, base: int, *, listing: bool
) -> Samples:
    today = datetime.now(UTC).date()

    def prepare(index: int, rng: random.Random) -> list[EntryDraft]:
        return [_draft(rng, number, today) for number in range(entries)]

    async def add_one(index: int, draft: EntryDraft, samples: Samples) -> None:
        user_id = base + index
        await _timed(samples.add, lambda: journal.add(user_id, draft))
        if listing:
            await _timed(samples.listing, lambda: journal.list_page(user_id, 1, PER_PAGE))

    return await _run_members(members, prepare, add_one)


async def _open_floor(path: Path) -> aiosqlite.Connection:
    """A bare connection with the bot's pragmas and an equivalent table and index."""
    connection = await aiosqlite.connect(path, isolation_level=None)
    await connection.execute("PRAGMA journal_mode=WAL")
    await connection.execute("PRAGMA synchronous=NORMAL")
    await connection.execute("PRAGMA secure_delete=ON")
    await connection.execute(
        "CREATE TABLE IF NOT EXISTS raw_entries (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL, "
        "created_at TEXT NOT NULL, body TEXT) STRICT"
    )
    await connection.execute("CREATE INDEX IF NOT EXISTS raw_by_member ON raw_entries (user_id, created_at)")
    return connection


def _line(label: str, values: list[float], wall: float, operations: int) -> str:
    p50 = _percentile(values, 0.50) * 1000
    p99 = _percentile(values, 0.99) * 1000
    return f"  {label:<22} p50 {p50:8.3f} ms   p99 {p99:8.3f} ms   {operations / wall:9.0f} ops/s"


# --- a 10,000-entry journal and the event loop --------------------------------------------------------


class LagTicker:
    """Wakes every millisecond; the longest gap between wakes is how long the loop was held."""

    def __init__(self) -> None:
        self.longest = 0.0
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> LagTicker:
        self._task = asyncio.create_task(self._tick())
        await asyncio.sleep(0.005)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)

    async def _tick(self) -> None:
        last = time.perf_counter()
        while True:
            await asyncio.sleep(0.001)
            now = time.perf_counter()
            self.longest = max(self.longest, now - last - 0.001)
            last = now


def _big_drafts(count: int, today: date) -> list[EntryDraft]:
    """`count` entries over the years around a transplant: daily check-ins with notes, and typed ones."""
    rng = random.Random(7)
    day_zero = today - timedelta(days=count // 6)
    drafts = [
        EntryDraft(
            entry_date=day_zero + timedelta(days=offset),
            kind=EntryKind.MILESTONE,
            phase=MILESTONE_PHASES[milestone],
            details=MilestoneDetails(milestone),
        )
        for milestone, offset in (
            (Milestone.MOBILISATION_START, -45),
            (Milestone.COLLECTION, -35),
            (Milestone.CONDITIONING_START, -6),
            (Milestone.REINFUSION, 0),
            (Milestone.ENGRAFTMENT, 11),
            (Milestone.DISCHARGE, 18),
        )
    ]
    typed = (
        (EntryKind.MRI, MriDetails(0, Answer.NO)),
        (EntryKind.SCORE, ScoreDetails(Scale.EDSS, 3.5, Scorer.NEUROLOGIST)),
        (EntryKind.BLOOD_COUNT, BloodCountDetails(1.2, 150.0, 0.8)),
        (EntryKind.RELAPSE, None),
    )
    while len(drafts) < count:
        day = today - timedelta(days=rng.randint(0, min(3000, count // 2)))
        if rng.random() < 0.05:
            kind, details = rng.choice(typed)
            drafts.append(EntryDraft(entry_date=day, kind=kind, details=details, notes=_note(rng)))
        else:
            drafts.append(
                EntryDraft(
                    entry_date=day,
                    kind=EntryKind.CHECKIN,
                    feeling=rng.randint(0, 10),
                    fatigue=rng.randint(0, 10),
                    pain=rng.randint(0, 10),
                    side_effects="tired" if rng.random() < 0.1 else None,
                    notes=_note(rng),
                )
            )
    return drafts


async def _fill(repository: JournalRepository, user_id: int, drafts: list[EntryDraft]) -> None:
    """The big journal, written straight through the repository (setup, not measured)."""
    now = datetime.now(UTC)
    for start in range(0, len(drafts), MAX_ROWS_PER_INSERT):
        rows = [repository.new_row(user_id, d, now) for d in drafts[start : start + MAX_ROWS_PER_INSERT]]
        await repository.insert_entries(rows, limit=len(drafts) + 1)


async def _lag_of(operation: Callable[[], Awaitable[object]]) -> tuple[float, float]:
    async with LagTicker() as ticker:
        started = time.perf_counter()
        await operation()
        elapsed = time.perf_counter() - started
    return elapsed, ticker.longest


async def _big_journal(
    journal: JournalService, repository: JournalRepository, count: int
) -> list[tuple[str, float, float]]:
    user_id = 99_000_000
    today = datetime.now(UTC).date()
    await _fill(repository, user_id, _big_drafts(count, today))
    results = []
    # The first heavy command after a start spawns the worker process: a one-entry journal's compare.
    await journal.add(user_id + 1, EntryDraft(entry_date=today, kind=EntryKind.CHECKIN, feeling=5))
    elapsed, lag = await _lag_of(lambda: journal.compare(user_id + 1))
    results.append(("(worker start)", elapsed, lag))
    operations: tuple[tuple[str, Callable[[], Awaitable[object]]], ...] = (
        ("summary", lambda: journal.summary_with_chart(user_id)),
        ("timeline", lambda: journal.timeline(user_id)),
        ("compare", lambda: journal.compare(user_id)),
        ("report", lambda: journal.report(user_id, None, None, include_notes=True)),
        ("export", lambda: journal.export(user_id, 10 * 1024 * 1024)),
    )
    for name, operation in operations:
        elapsed, lag = await _lag_of(operation)
        results.append((name, elapsed, lag))
    return results


async def main(members: int, entries: int, rounds: int, big: int) -> int:
    with tempfile.TemporaryDirectory(prefix="bench-journal-") as folder:
        database = await open_database(Path(folder) / "journal.sqlite3")
        floor = await _open_floor(Path(folder) / "floor.sqlite3")
        writer = RawWriter(floor)
        try:
            await apply_migrations(database)
            keys = await load_journal_keys(database, generate_key(), default_key_path(database.path))
            repository = JournalRepository(database, keys)
            journal = JournalService(repository, SystemClock())
            # Warm-up: first statements compile, pages fault in, the cipher and the thread wake up.
            await _floor_round(writer, floor, 10, 5, base=10_000_000, listing=True)
            await _service_round(journal, 10, 5, base=10_000_000, listing=True)
            floor_adds, service_adds = Samples(), Samples()
            for round_number in range(rounds):
                base = round_number * members
                floor_adds.extend(await _floor_round(writer, floor, members, entries, base, listing=False))
                service_adds.extend(await _service_round(journal, members, entries, base, listing=False))
            floor_lists = await _floor_round(writer, floor, members, 5, 50_000_000, listing=True)
            service_lists = await _service_round(journal, members, 5, 50_000_000, listing=True)
            lag = await _big_journal(journal, repository, big)
            await journal.close()
        finally:
            await floor.close()
            await database.close()

    adds = members * entries * rounds
    print(
        f"Journal benchmark: {members} concurrent members x {entries} adds x {rounds} rounds, "
        f"SQLite {sqlite3.sqlite_version}, Python {sys.version.split()[0]}"
    )
    print("Floor (bare aiosqlite, plain text, the same group commit: one multi-row INSERT per batch):")
    print(_line("add", floor_adds.add, floor_adds.wall, adds))
    print(f"  {'CPU per add':<22} {floor_adds.cpu / adds * 1e6:37.1f} µs")
    print("JournalService (validation, AES-GCM sealing under a pseudonym, numbering, day N, group commit):")
    print(_line("add", service_adds.add, service_adds.wall, adds))
    print(f"  {'CPU per add':<22} {service_adds.cpu / adds * 1e6:37.1f} µs")
    ratios = {
        "add p50": statistics.median(service_adds.add) / statistics.median(floor_adds.add),
        "add p99": _percentile(service_adds.add, 0.99) / _percentile(floor_adds.add, 0.99),
        "CPU per add": service_adds.cpu / floor_adds.cpu,
    }
    verdicts = []
    for name, ratio in ratios.items():
        verdict = "PASS" if ratio <= TARGET_RATIO else "FAIL"
        verdicts.append(verdict)
        print(f"Ratio {name:<12} {ratio:5.2f}x the floor (target <= {TARGET_RATIO:.1f}x) -> {verdict}")
    service_p99, floor_p99 = _percentile(service_lists.listing, 0.99), _percentile(floor_lists.listing, 0.99)
    print(
        f"For information: list_page p99 {service_p99 * 1000:.3f} ms against a bare SELECT's "
        f"{floor_p99 * 1000:.3f} ms ({service_p99 / floor_p99:.2f}x)"
    )
    print(f"A {big:,}-entry journal: each command's time, and the longest the event loop was held meanwhile")
    for name, elapsed, longest in lag:
        if name.startswith("("):
            print(
                f"  {name:<22} {elapsed * 1000:9.0f} ms   loop held at most {longest * 1000:6.1f} ms "
                "(for information)"
            )
            continue
        verdict = "PASS" if longest * 1000 <= TARGET_LAG_MS else "FAIL"
        verdicts.append(verdict)
        print(
            f"  {name:<22} {elapsed * 1000:9.0f} ms   loop held at most {longest * 1000:6.1f} ms "
            f"(target <= {TARGET_LAG_MS:.0f} ms) -> {verdict}"
        )
    return 0 if all(v == "PASS" for v in verdicts) else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--members", type=int, default=100, help="concurrent members (default 100)")
    parser.add_argument("--entries", type=int, default=30, help="entries each member adds per round")
    parser.add_argument("--rounds", type=int, default=2, help="alternating floor/service rounds")
    parser.add_argument("--big", type=int, default=10_000, help="entries in the one large journal")
    arguments = parser.parse_args()
    sys.exit(asyncio.run(main(arguments.members, arguments.entries, arguments.rounds, arguments.big)))
