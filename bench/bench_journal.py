"""Journal service under load, against a raw aiosqlite floor measured in the same run.

    python bench/bench_journal.py [--members 100] [--entries 30] [--rounds 2]

Each of `--members` concurrent members adds `--entries` entries, listing their newest page after
each add, through `JournalService` (validation, the group-commit writer, AES-GCM encryption,
per-member numbering, day-N derivation, decryption on list). The floor does the same with bare
aiosqlite: one plain INSERT of the same text and one SELECT of the newest ten rows, on a
connection with the same pragmas. Rounds alternate floor and service so drift on the machine
hits both alike. Target: p99 of an add at most 3x the floor's p99 insert. Exit status 1 when it
is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiosqlite

from bot.core.clock import SystemClock
from bot.core.journal.crypto import default_key_path, generate_key
from bot.core.journal.model import EntryDraft, EntryKind, EntrySource
from bot.db.database import open_database
from bot.db.migrate import apply_migrations
from bot.db.repositories.journal import JournalRepository
from bot.services.journal import JournalService, load_journal_keys

TARGET_RATIO = 3.0
PER_PAGE = 10
_WORDS = (
    *("tired", "fatigue", "legs", "numb", "tingling", "walked", "garden", "neurologist", "bloods"),
    *("neutrophils", "fever", "slept", "appetite", "nausea", "hair", "mobilisation", "apheresis"),
    *("infusion", "ward", "visitors", "better", "worse", "steady", "hopeful"),
)


@dataclass
class Samples:
    """Latencies in seconds per operation kind, and the wall and CPU time of the phase that made them."""

    add: list[float] = field(default_factory=list)
    list: list[float] = field(default_factory=list)
    wall: float = 0.0
    #: Process CPU time (event loop and worker thread together; they share one GIL).
    cpu: float = 0.0


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
    members: int, entries: int, member_work: Callable[[int, random.Random, Samples], Awaitable[None]]
) -> Samples:
    samples = Samples()
    start_gate = asyncio.Event()

    async def member(index: int) -> None:
        rng = random.Random(index)
        await start_gate.wait()
        await member_work(index, rng, samples)

    tasks = [asyncio.create_task(member(i)) for i in range(members)]
    await asyncio.sleep(0)
    started, cpu_started = time.perf_counter(), time.process_time()
    start_gate.set()
    await asyncio.gather(*tasks)
    samples.wall = time.perf_counter() - started
    samples.cpu = time.process_time() - cpu_started
    return samples


async def _floor_round(connection: aiosqlite.Connection, members: int, entries: int, base: int) -> Samples:
    async def work(index: int, rng: random.Random, samples: Samples) -> None:
        user_id = base + index
        for _ in range(entries):
            row = (user_id, datetime.now(UTC).isoformat(), _note(rng))
            await _timed(
                samples.add,
                lambda row=row: connection.execute_insert(
                    "INSERT INTO raw_entries (user_id, created_at, body) VALUES (?, ?, ?)", row
                ),
            )
            await _timed(
                samples.list,
                lambda: connection.execute_fetchall(
                    "SELECT id, created_at, body FROM raw_entries WHERE user_id = ? "
                    "ORDER BY created_at DESC LIMIT ?",
                    (user_id, PER_PAGE),
                ),
            )

    return await _run_members(members, entries, work)


async def _service_round(journal: JournalService, members: int, entries: int, base: int) -> Samples:
    today = datetime.now(UTC).date()

    async def work(index: int, rng: random.Random, samples: Samples) -> None:
        user_id = base + index
        for number in range(entries):
            rated = number % 2 == 0
            draft = EntryDraft(
                entry_date=today - timedelta(days=rng.randint(0, 60)),
                kind=EntryKind.CHECKIN if rated else EntryKind.NOTE,
                source=EntrySource.MODAL if rated else EntrySource.DM_QUICK,
                feeling=rng.randint(0, 10) if rated else None,
                fatigue=rng.randint(0, 10) if rated else None,
                side_effects="mild fever, hair thinning" if rated else None,
                notes=_note(rng),
            )
            await _timed(samples.add, lambda draft=draft: journal.add(user_id, draft))
            await _timed(samples.list, lambda: journal.list_page(user_id, 1, PER_PAGE))

    return await _run_members(members, entries, work)


async def _open_floor(path: Path) -> aiosqlite.Connection:
    """A bare connection with the bot's pragmas and an equivalent table and index."""
    connection = await aiosqlite.connect(path, isolation_level=None)
    await connection.execute("PRAGMA journal_mode=WAL")
    await connection.execute("PRAGMA synchronous=NORMAL")
    await connection.execute(
        "CREATE TABLE IF NOT EXISTS raw_entries (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL, "
        "created_at TEXT NOT NULL, body TEXT) STRICT"
    )
    await connection.execute("CREATE INDEX IF NOT EXISTS raw_by_member ON raw_entries (user_id, created_at)")
    return connection


def _line(label: str, values: list[float], wall: float, operations: int) -> str:
    p50 = _percentile(values, 0.50) * 1000
    p99 = _percentile(values, 0.99) * 1000
    return f"  {label:<28} p50 {p50:8.3f} ms   p99 {p99:8.3f} ms   {operations / wall:9.0f} ops/s"


async def main(members: int, entries: int, rounds: int) -> int:
    with tempfile.TemporaryDirectory(prefix="bench-journal-") as folder:
        database = await open_database(Path(folder) / "journal.sqlite3")
        floor = await _open_floor(Path(folder) / "floor.sqlite3")
        try:
            await apply_migrations(database)
            keys = await load_journal_keys(database, generate_key(), default_key_path(database.path))
            journal = JournalService(JournalRepository(database, keys), SystemClock())
            # Warm-up: first statements compile, pages fault in, the cipher and the thread pool wake up.
            await _floor_round(floor, 10, 5, base=10_000_000)
            await _service_round(journal, 10, 5, base=10_000_000)

            # One member alone: the per-operation cost without queueing behind 99 others.
            floor_solo = await _floor_round(floor, 1, 300, base=20_000_000)
            service_solo = await _service_round(journal, 1, 300, base=20_000_000)
            floor_all, service_all = Samples(), Samples()
            for round_number in range(rounds):
                base = round_number * members
                for target, result in (
                    (floor_all, await _floor_round(floor, members, entries, base)),
                    (service_all, await _service_round(journal, members, entries, base)),
                ):
                    target.add += result.add
                    target.list += result.list
                    target.wall += result.wall
                    target.cpu += result.cpu
            await journal.close()
        finally:
            await floor.close()
            await database.close()

    adds = members * entries * rounds
    print(
        f"Journal benchmark: {members} concurrent members x {entries} entries x {rounds} rounds "
        f"(add + list newest {PER_PAGE} each), SQLite {sqlite3.sqlite_version}, "
        f"Python {sys.version.split()[0]}"
    )
    print("Raw aiosqlite floor (same pragmas, plaintext, one INSERT / one SELECT):")
    print(_line("insert", floor_all.add, floor_all.wall, adds))
    print(_line("select newest page", floor_all.list, floor_all.wall, adds))
    print(f"  {'add + list together':<28} {2 * adds / floor_all.wall:47.0f} ops/s")
    print(f"  {'CPU per add + list':<28} {floor_all.cpu / adds * 1e6:41.0f} µs")
    print("JournalService (validation, group commit, AES-GCM, numbering, day N, decryption):")
    print(_line("add", service_all.add, service_all.wall, adds))
    print(_line("list_page", service_all.list, service_all.wall, adds))
    print(f"  {'add + list together':<28} {2 * adds / service_all.wall:47.0f} ops/s")
    print(f"  {'CPU per add + list':<28} {service_all.cpu / adds * 1e6:41.0f} µs")

    solo_ratio = _percentile(service_solo.add, 0.99) / _percentile(floor_solo.add, 0.99)
    print("One member alone, 300 adds (no queueing; for information):")
    print(_line("floor insert", floor_solo.add, floor_solo.wall, 300))
    print(_line("service add", service_solo.add, service_solo.wall, 300))
    print(f"  add p99 {solo_ratio:.2f}x floor")
    add_ratio = _percentile(service_all.add, 0.99) / _percentile(floor_all.add, 0.99)
    list_ratio = _percentile(service_all.list, 0.99) / _percentile(floor_all.list, 0.99)
    p50_ratio = statistics.median(service_all.add) / statistics.median(floor_all.add)
    verdict = "PASS" if add_ratio <= TARGET_RATIO else "FAIL"
    print(f"Ratios: add p99 {add_ratio:.2f}x floor (target <= {TARGET_RATIO:.1f}x) -> {verdict}")
    print(f"        add p50 {p50_ratio:.2f}x, list p99 {list_ratio:.2f}x (for information)")
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--members", type=int, default=100, help="concurrent members (default 100)")
    parser.add_argument("--entries", type=int, default=30, help="entries each member adds per round")
    parser.add_argument("--rounds", type=int, default=2, help="alternating floor/service rounds")
    arguments = parser.parse_args()
    sys.exit(asyncio.run(main(arguments.members, arguments.entries, arguments.rounds)))
