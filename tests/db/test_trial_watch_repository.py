"""Trial watches on real SQLite: numbering and the limit in the statement, sealed like the journal,
changes that name what they replace, and re-sealing under a rotated key."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.core.journal.crypto import JournalKeys, default_key_path, generate_key
from bot.core.trials.models import GeoPoint, Place
from bot.core.trials.watch import MAX_WATCHES_PER_MEMBER, WatchSettings
from bot.db.database import Database, open_database
from bot.db.migrate import apply_migrations
from bot.db.repositories.journal import lock_out_other_connections
from bot.db.repositories.trial_watches import StoredWatch, TrialWatchRepository, reseal_trial_watches
from bot.services.journal import load_journal_keys, rotate_journal_key

# Discord ids that look like nothing else in a database file.
TARA, UMAR = 349_857_210_938_475_612, 287_364_519_283_746_551
NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
DUE = datetime(2026, 1, 3, 0, 0, tzinfo=UTC)
SHEFFIELD = Place("Sheffield", "GB", "United Kingdom", GeoPoint(53.38297, -1.4659), region="England")
KNOWN = {"NCT04047628": "RECRUITING", "NCT03477500": "NOT_YET_RECRUITING"}


@pytest.fixture
def keys() -> JournalKeys:
    return JournalKeys(generate_key().encode())


@pytest.fixture
def repository(db: Database, keys: JournalKeys) -> TrialWatchRepository:
    return TrialWatchRepository(db, keys)


def settings(radius: int = 200) -> WatchSettings:
    return WatchSettings("hsct", SHEFFIELD, radius)


async def add(repository: TrialWatchRepository, user_id: int = TARA, radius: int = 200) -> StoredWatch | None:
    return await repository.add(user_id, settings(radius), KNOWN, NOW, DUE, MAX_WATCHES_PER_MEMBER)


def wal_bytes(path: Path) -> bytes:
    return Path(f"{path}-wal").read_bytes()


def raw_bytes(path: Path) -> bytes:
    return b"".join(
        Path(f"{path}{suffix}").read_bytes() for suffix in ("", "-wal") if Path(f"{path}{suffix}").exists()
    )


async def test_watches_take_the_smallest_free_number_up_to_the_limit(
    repository: TrialWatchRepository,
) -> None:
    added = [await add(repository, radius=100 + n) for n in range(MAX_WATCHES_PER_MEMBER)]
    assert [stored.watch.seq for stored in added if stored] == [1, 2, 3, 4, 5]
    assert await add(repository, radius=999) is None, "the statement itself keeps the limit"
    assert await repository.remove(TARA, 2)
    again = await add(repository, radius=999)
    assert again is not None and again.watch.seq == 2
    other = await add(repository, user_id=UMAR)
    assert other is not None and other.watch.seq == 1, "numbers are each member's own"


async def test_a_watch_reads_back_as_it_was_written(repository: TrialWatchRepository) -> None:
    stored = await add(repository)
    assert stored is not None
    [read] = await repository.member_watches(TARA)
    assert read.watch == stored.watch
    assert read.watch.settings.place == SHEFFIELD and read.watch.known == KNOWN
    assert read.watch.next_due_at == DUE and read.watch.created_at == NOW and not read.watch.paused
    assert await repository.member_watches(UMAR) == []


async def test_the_file_holds_no_id_no_place_and_no_study_in_the_clear(
    db: Database, repository: TrialWatchRepository, keys: JournalKeys
) -> None:
    await db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    await add(repository)
    written = wal_bytes(db.path)  # every page this add wrote, and nothing else
    assert keys.pseudonym(TARA) in written, "the member is named by their pseudonym"
    for secret in (
        str(TARA).encode(),
        TARA.to_bytes(8, "big"),
        b"Sheffield",
        b'"hsct"',
        *(k.encode() for k in KNOWN),
    ):
        assert secret not in raw_bytes(db.path), secret
    assert b"hsct" not in written, "the kind of treatment watched for is sealed"


async def test_only_due_watches_are_handed_out_and_a_paused_one_never(
    repository: TrialWatchRepository,
) -> None:
    first = await add(repository)
    second = await add(repository, user_id=UMAR)
    assert first is not None and second is not None
    assert await repository.due(DUE - timedelta(seconds=1), 10) == []
    assert [s.watch.user_id for s in await repository.due(DUE, 10)] == [TARA, UMAR]
    paused = await repository.save_state(first, KNOWN, next_due_at=None, checked_at=DUE, pause_untold=True)
    assert paused is not None and paused.watch.paused and paused.watch.pause_untold
    assert [s.watch.user_id for s in await repository.due(DUE + timedelta(days=30), 10)] == [UMAR]


async def test_a_change_made_from_an_old_read_is_refused(repository: TrialWatchRepository) -> None:
    stored = await add(repository)
    assert stored is not None
    told = {**KNOWN, "NCT09000001": "RECRUITING"}
    newer = await repository.save_state(stored, told, next_due_at=DUE + timedelta(days=1), checked_at=DUE)
    assert newer is not None
    assert await repository.save_state(stored, {}, next_due_at=DUE, checked_at=DUE) is None
    assert not await repository.put_back(stored, stored, next_due_at=DUE)
    [read] = await repository.member_watches(TARA)
    assert read.watch.known == told
    assert await repository.put_back(newer, stored, next_due_at=newer.watch.next_due_at)
    [read] = await repository.member_watches(TARA)
    assert read.watch.known == KNOWN and read.watch.next_due_at == DUE + timedelta(days=1)


async def test_removing_all_takes_only_the_members_own(repository: TrialWatchRepository) -> None:
    await add(repository)
    await add(repository, radius=300)
    await add(repository, user_id=UMAR)
    assert await repository.remove_all(TARA) == 2
    assert await repository.remove_all(TARA) == 0
    assert not await repository.remove(TARA, 1)
    assert len(await repository.member_watches(UMAR)) == 1


async def test_a_value_moved_to_another_members_row_does_not_open(
    db: Database, repository: TrialWatchRepository
) -> None:
    await add(repository)
    await add(repository, user_id=UMAR)
    await db.execute(
        "UPDATE trial_watches SET sealed = (SELECT sealed FROM trial_watches WHERE seq = 1 LIMIT 1 OFFSET 1) "
        "WHERE rowid = (SELECT min(rowid) FROM trial_watches)"
    )
    opened = await repository.member_watches(TARA) + await repository.member_watches(UMAR)
    assert len(opened) == 1, "the moved value is refused, not shown as someone else's"


async def test_rotate_key_reseals_the_watches_in_the_same_transaction(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    db = await open_database(path)
    try:
        await apply_migrations(db)
        old = await load_journal_keys(db, "", default_key_path(path))
        await add(TrialWatchRepository(db, old))
        before = await TrialWatchRepository(db, old).member_watches(TARA)
    finally:
        await db.close()
    db = await open_database(path)
    try:
        assert await lock_out_other_connections(db)
        await rotate_journal_key(db, "", default_key_path(path), NOW, also=(reseal_trial_watches,))
    finally:
        await db.close()
    db = await open_database(path)
    try:
        new = await load_journal_keys(db, "", default_key_path(path))
        after = await TrialWatchRepository(db, new).member_watches(TARA)
        assert [s.watch for s in after] == [s.watch for s in before]
        assert old.pseudonym(TARA) not in raw_bytes(path)
        assert await TrialWatchRepository(db, old).member_watches(TARA) == []
    finally:
        await db.close()
