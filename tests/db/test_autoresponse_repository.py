"""Auto-response storage on a real, migrated SQLite file: numbering, round trips, cooldowns, and a
table that accepts exactly what `bot.core.autoresponse` allows (a missed migration fails here)."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from typing import Any

import pytest

from bot.core.autoresponse import (
    MAX_COOLDOWN_SECONDS,
    MAX_RESPONSE_LENGTH,
    MAX_TRIGGER_LENGTH,
    MIN_COOLDOWN_SECONDS,
    MatchMode,
    Rule,
    RuleBook,
    RuleDraft,
)
from bot.core.clock import FakeClock
from bot.db.database import Database
from bot.db.repositories.autoresponses import AutoresponseRepository

GUILD = 500
OTHER_GUILD = 501
MODERATOR = 42
CHANNEL = 9000


async def insert(
    db: Database,
    repo: AutoresponseRepository,
    clock: FakeClock,
    trigger: str,
    guild_id: int = GUILD,
    **fields: Any,
) -> Rule:
    """Store a rule the way the service does: inside a transaction."""
    async with db.transaction():
        return await repo.insert(
            guild_id, RuleDraft(trigger, f"about {trigger}", **fields), actor_id=MODERATOR, now=clock.now()
        )


async def delete(db: Database, repo: AutoresponseRepository, number: int) -> None:
    async with db.transaction():
        await repo.delete(GUILD, number)


# --- numbering and round trips ---


async def test_rules_are_numbered_per_server_and_numbers_are_not_reused(
    db: Database, clock: FakeClock
) -> None:
    repo = AutoresponseRepository(db)
    assert [(await insert(db, repo, clock, word)).number for word in ("one", "two", "three")] == [1, 2, 3]
    assert (await insert(db, repo, clock, "one", guild_id=OTHER_GUILD)).number == 1
    await delete(db, repo, 3)
    assert (await insert(db, repo, clock, "four")).number == 4
    assert [rule.number for rule in await repo.list(GUILD)] == [1, 2, 4]


async def test_a_rule_round_trips_with_its_author_and_times(db: Database, clock: FakeClock) -> None:
    repo = AutoresponseRepository(db)
    draft = RuleDraft("stem cell", "Read /stemcell", MatchMode.PHRASE, (7, 8), 120, False)
    async with db.transaction():
        added = await repo.insert(GUILD, draft, actor_id=MODERATOR, now=clock.now())
    stored = await repo.find(GUILD, added.number)
    assert stored == added
    assert stored is not None
    assert (stored.draft, stored.author_id, stored.created_at, stored.hit_count) == (
        draft,
        MODERATOR,
        clock.now(),
        0,
    )


async def test_unknown_numbers_are_none(db: Database) -> None:
    assert await AutoresponseRepository(db).find(GUILD, 9) is None


async def test_an_update_keeps_the_number_author_and_hits(db: Database, clock: FakeClock) -> None:
    repo = AutoresponseRepository(db)
    await insert(db, repo, clock, "hello")
    await repo.record_hit(GUILD, 1, CHANNEL, clock.now())
    clock.advance(minutes=5)
    async with db.transaction():
        await repo.update(GUILD, 1, RuleDraft("hi", "Hi!", enabled=False), actor_id=7, now=clock.now())
    rule = await repo.find(GUILD, 1)
    assert rule is not None
    assert (rule.draft, rule.author_id, rule.updated_by, rule.updated_at, rule.hit_count) == (
        RuleDraft("hi", "Hi!", enabled=False),
        MODERATOR,
        7,
        clock.now(),
        1,
    )
    assert rule.created_at == clock.now() - timedelta(minutes=5)


async def test_deleting_every_rule_starts_the_numbers_again(db: Database, clock: FakeClock) -> None:
    repo = AutoresponseRepository(db)
    for word in ("a1", "b2"):
        await insert(db, repo, clock, word)
    await insert(db, repo, clock, "kept", guild_id=OTHER_GUILD)
    await repo.record_hit(GUILD, 2, CHANNEL, clock.now())
    async with db.transaction():
        await repo.delete_all(GUILD)
    assert await repo.list(GUILD) == ()
    assert await repo.last_fired(GUILD) == {}
    assert (await insert(db, repo, clock, "new")).number == 1
    assert [rule.trigger for rule in await repo.list(OTHER_GUILD)] == ["kept"]


async def test_changes_outside_a_transaction_are_refused(db: Database, clock: FakeClock) -> None:
    """A rule written on its own could lose its audit row, or share a number with another."""
    repo = AutoresponseRepository(db)
    await insert(db, repo, clock, "hello")
    with pytest.raises(RuntimeError, match="transaction"):
        await repo.insert(GUILD, RuleDraft("bye", "x"), actor_id=MODERATOR, now=clock.now())
    with pytest.raises(RuntimeError, match="transaction"):
        await repo.update(GUILD, 1, RuleDraft("bye", "x"), actor_id=MODERATOR, now=clock.now())
    with pytest.raises(RuntimeError, match="transaction"):
        await repo.delete(GUILD, 1)
    with pytest.raises(RuntimeError, match="transaction"):
        await repo.delete_all(GUILD)
    assert [rule.draft for rule in await repo.list(GUILD)] == [RuleDraft("hello", "about hello")]


# --- hits and cooldowns ---


async def test_hits_and_cooldowns_survive_a_restart(db: Database, clock: FakeClock) -> None:
    repo = AutoresponseRepository(db)
    await insert(db, repo, clock, "hello", cooldown_seconds=600)
    await repo.record_hit(GUILD, 1, CHANNEL, clock.now())
    fired_at = clock.now()
    clock.advance(minutes=1)
    await repo.record_hit(GUILD, 1, CHANNEL + 1, clock.now())
    rule = await repo.find(GUILD, 1)
    assert rule is not None
    assert (rule.hit_count, rule.last_hit_at) == (2, clock.now())
    assert await repo.last_fired(GUILD) == {(1, CHANNEL): fired_at, (1, CHANNEL + 1): clock.now()}

    # A new process: the rule book is seeded from the database and still holds the cooldown.
    book = RuleBook()
    book.set_rules(GUILD, await repo.list(GUILD))
    book.cooldowns.load(await repo.all_last_fired(since=clock.now() - timedelta(days=7)))
    assert book.choose(GUILD, ["1"], text="hello", channel_id=CHANNEL, now=clock.now()).winner is None
    clock.advance(minutes=10)
    assert book.choose(GUILD, ["1"], text="hello", channel_id=CHANNEL, now=clock.now()).winner is not None


async def test_removing_a_rule_drops_its_cooldowns(db: Database, clock: FakeClock) -> None:
    repo = AutoresponseRepository(db)
    await insert(db, repo, clock, "hello")
    await repo.record_hit(GUILD, 1, CHANNEL, clock.now())
    await delete(db, repo, 1)
    assert await repo.last_fired(GUILD) == {}
    await repo.record_hit(GUILD, 1, CHANNEL, clock.now())  # a late hit for a removed rule is ignored
    assert await repo.last_fired(GUILD) == {}


async def test_all_rules_loads_every_server(db: Database, clock: FakeClock) -> None:
    repo = AutoresponseRepository(db)
    await insert(db, repo, clock, "hello")
    await insert(db, repo, clock, "bye", guild_id=OTHER_GUILD)
    loaded = await repo.all_rules()
    assert {guild: [r.trigger for r in rules] for guild, rules in loaded.items()} == {
        GUILD: ["hello"],
        OTHER_GUILD: ["bye"],
    }


# --- the table and the core agree (a limit changed without its migration fails here; the mode
# list is tied in test_schema_matches_enums.py) ---


async def raw_insert(db: Database, number: int, **columns: Any) -> None:
    """A row written past the repository, to ask the table itself what it accepts."""
    row: dict[str, Any] = {
        "guild_id": GUILD,
        "number": number,
        "trigger": "hello",
        "mode": MatchMode.WORD.value,
        "response": "hi",
        "channel_ids": "[]",
        "cooldown_seconds": 60,
        "enabled": 1,
        "author_id": MODERATOR,
        "created_at": "2026-01-01T12:00:00+00:00",
        "updated_by": MODERATOR,
        "updated_at": "2026-01-01T12:00:00+00:00",
    } | columns
    names = ", ".join(row)
    marks = ", ".join("?" for _ in row)
    await db.execute(f"INSERT INTO autoresponse_rules ({names}) VALUES ({marks})", tuple(row.values()))  # noqa: S608


@pytest.mark.parametrize(
    ("column", "longest_allowed", "one_too_many"),
    [
        ("trigger", "t" * MAX_TRIGGER_LENGTH, "t" * (MAX_TRIGGER_LENGTH + 1)),
        ("response", "r" * MAX_RESPONSE_LENGTH, "r" * (MAX_RESPONSE_LENGTH + 1)),
        ("cooldown_seconds", MAX_COOLDOWN_SECONDS, MAX_COOLDOWN_SECONDS + 1),
        ("cooldown_seconds", MIN_COOLDOWN_SECONDS, MIN_COOLDOWN_SECONDS - 1),
    ],
)
async def test_the_table_takes_the_core_limits_exactly(
    db: Database, column: str, longest_allowed: object, one_too_many: object
) -> None:
    await raw_insert(db, 1, **{column: longest_allowed})
    with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
        await raw_insert(db, 2, **{column: one_too_many})
