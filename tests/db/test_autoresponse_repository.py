"""Auto-response storage on a real, migrated SQLite file: numbering, round trips, cooldowns, and a
table that accepts exactly what `bot.core.autoresponse` allows (a missed migration fails here)."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from typing import Any

import pytest

from bot.core.autoresponse import (
    MAX_COOLDOWN_SECONDS,
    MAX_LINK_LENGTH,
    MAX_RESPONSE_LENGTH,
    MAX_RESPONSE_WEIGHT,
    MAX_RESPONSES_PER_RULE,
    MAX_TITLE_LENGTH,
    MAX_TRIGGER_LENGTH,
    MAX_TRIGGERS_PER_RULE,
    MIN_COOLDOWN_SECONDS,
    AnswerKind,
    MatchMode,
    Rule,
    RuleBook,
    RuleDraft,
    RuleTrigger,
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


async def test_deleting_every_rule_keeps_the_numbering_going(db: Database, clock: FakeClock) -> None:
    """An import with `replace` deletes every rule; a number is still never given out twice."""
    repo = AutoresponseRepository(db)
    for word in ("a1", "b2"):
        await insert(db, repo, clock, word)
    await insert(db, repo, clock, "kept", guild_id=OTHER_GUILD)
    await repo.record_hit(GUILD, 2, CHANNEL, clock.now())
    async with db.transaction():
        await repo.delete_all(GUILD)
    assert await repo.list(GUILD) == ()
    assert await repo.last_fired(GUILD) == {}
    assert (await insert(db, repo, clock, "new")).number == 3
    assert [rule.trigger for rule in await repo.list(OTHER_GUILD)] == ["kept"]


FULL = RuleDraft(
    "mri",
    "Hi {member}, the pinned post explains MRI.",
    MatchMode.WORD,
    channel_ids=(7, 8),
    cooldown_seconds=90,
    enabled=False,
    more_triggers=(RuleTrigger("stem cell", MatchMode.PHRASE), RuleTrigger("lesion*", MatchMode.WILDCARD)),
    more_responses=("Second answer", "Third answer"),
    weights=(3, 1, 1),
    kind=AnswerKind.EMBED,
    title="About MRI",
    link="https://example.org/mri",
    allowed_role_ids=(11, 12),
    denied_role_ids=(13,),
)


async def test_a_rule_with_every_field_round_trips(db: Database, clock: FakeClock) -> None:
    repo = AutoresponseRepository(db)
    async with db.transaction():
        added = await repo.insert(GUILD, FULL, actor_id=MODERATOR, now=clock.now())
    stored = await repo.find(GUILD, added.number)
    assert stored == added and stored is not None and stored.draft == FULL
    assert [rule.draft for rule in await repo.list(GUILD)] == [FULL]
    assert [rule.draft for rule in (await repo.all_rules())[GUILD]] == [FULL]


async def test_an_update_replaces_triggers_and_responses_whole(db: Database, clock: FakeClock) -> None:
    repo = AutoresponseRepository(db)
    async with db.transaction():
        await repo.insert(GUILD, FULL, actor_id=MODERATOR, now=clock.now())
    smaller = RuleDraft("scan", "Just one answer", kind=AnswerKind.DM, cooldown_seconds=3600)
    async with db.transaction():
        await repo.update(GUILD, 1, smaller, actor_id=MODERATOR, now=clock.now())
    stored = await repo.find(GUILD, 1)
    assert stored is not None and stored.draft == smaller
    rows = await db.fetch_all("SELECT count(*) FROM autoresponse_triggers WHERE guild_id = ?", (GUILD,))
    assert rows[0][0] == 1


async def test_removing_a_rule_removes_its_triggers_and_responses(db: Database, clock: FakeClock) -> None:
    repo = AutoresponseRepository(db)
    async with db.transaction():
        await repo.insert(GUILD, FULL, actor_id=MODERATOR, now=clock.now())
    await delete(db, repo, 1)
    for table in ("autoresponse_triggers", "autoresponse_variants"):
        rows = await db.fetch_all(f"SELECT count(*) FROM {table}")  # noqa: S608 - a fixed table name
        assert rows[0][0] == 0, table


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


async def test_a_private_answer_counts_but_leaves_no_cooldown_row(db: Database, clock: FakeClock) -> None:
    """Who was sent a private answer is never stored: the hit is counted, nothing names a channel."""
    repo = AutoresponseRepository(db)
    await insert(db, repo, clock, "hello", kind=AnswerKind.DM)
    await repo.record_hit(GUILD, 1, None, clock.now())
    rule = await repo.find(GUILD, 1)
    assert rule is not None and rule.hit_count == 1
    assert await repo.last_fired(GUILD) == {}


async def test_ignored_members_are_kept_per_server(db: Database, clock: FakeClock) -> None:
    repo = AutoresponseRepository(db)
    async with db.transaction():
        await repo.ignore_member(GUILD, 77, actor_id=MODERATOR, now=clock.now())
        await repo.ignore_member(GUILD, 77, actor_id=MODERATOR, now=clock.now())  # twice is once
        await repo.ignore_member(OTHER_GUILD, 78, actor_id=MODERATOR, now=clock.now())
    assert await repo.ignored_members(GUILD) == (77,)
    assert await repo.all_ignored_members() == {GUILD: (77,), OTHER_GUILD: (78,)}
    async with db.transaction():
        assert await repo.unignore_member(GUILD, 77) is True
        assert await repo.unignore_member(GUILD, 77) is False
    assert await repo.ignored_members(GUILD) == ()


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
        "answer_kind": AnswerKind.REPLY.value,
        "embed_title": "",
        "embed_link": "",
        "channel_ids": "[]",
        "cooldown_seconds": 60,
        "enabled": 1,
        "author_id": MODERATOR,
        "created_at": "2026-01-01T12:00:00+00:00",
        "updated_by": MODERATOR,
        "updated_at": "2026-01-01T12:00:00+00:00",
    } | columns
    await _raw(db, "autoresponse_rules", row)


async def raw_part(db: Database, table: str, position: object, **columns: Any) -> None:
    """A trigger or response row of rule #1, written past the repository."""
    defaults: dict[str, Any] = (
        {"trigger": "hello", "mode": MatchMode.WORD.value}
        if table == "autoresponse_triggers"
        else {"response": "hi", "weight": 1}
    )
    await _raw(db, table, {"guild_id": GUILD, "number": 1, "position": position, **defaults, **columns})


async def _raw(db: Database, table: str, row: dict[str, Any]) -> None:
    names = ", ".join(row)
    marks = ", ".join("?" for _ in row)
    await db.execute(f"INSERT INTO {table} ({names}) VALUES ({marks})", tuple(row.values()))  # noqa: S608


@pytest.mark.parametrize(
    ("column", "longest_allowed", "one_too_many"),
    [
        ("cooldown_seconds", MAX_COOLDOWN_SECONDS, MAX_COOLDOWN_SECONDS + 1),
        ("cooldown_seconds", MIN_COOLDOWN_SECONDS, MIN_COOLDOWN_SECONDS - 1),
        ("embed_title", "t" * MAX_TITLE_LENGTH, "t" * (MAX_TITLE_LENGTH + 1)),
        ("embed_link", "l" * MAX_LINK_LENGTH, "l" * (MAX_LINK_LENGTH + 1)),
    ],
)
async def test_the_table_takes_the_core_limits_exactly(
    db: Database, column: str, longest_allowed: object, one_too_many: object
) -> None:
    await raw_insert(db, 1, **{column: longest_allowed})
    with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
        await raw_insert(db, 2, **{column: one_too_many})


@pytest.mark.parametrize(
    ("table", "column", "longest_allowed", "one_too_many"),
    [
        ("autoresponse_triggers", "trigger", "t" * MAX_TRIGGER_LENGTH, "t" * (MAX_TRIGGER_LENGTH + 1)),
        ("autoresponse_triggers", "position", MAX_TRIGGERS_PER_RULE, MAX_TRIGGERS_PER_RULE + 1),
        ("autoresponse_variants", "response", "r" * MAX_RESPONSE_LENGTH, "r" * (MAX_RESPONSE_LENGTH + 1)),
        ("autoresponse_variants", "position", MAX_RESPONSES_PER_RULE, MAX_RESPONSES_PER_RULE + 1),
        ("autoresponse_variants", "weight", MAX_RESPONSE_WEIGHT, MAX_RESPONSE_WEIGHT + 1),
    ],
)
async def test_triggers_and_responses_take_the_core_limits_exactly(
    db: Database, table: str, column: str, longest_allowed: object, one_too_many: object
) -> None:
    await raw_insert(db, 1)
    columns = {} if column == "position" else {column: longest_allowed}
    await raw_part(db, table, longest_allowed if column == "position" else 1, **columns)
    wrong = {} if column == "position" else {column: one_too_many}
    with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
        await raw_part(db, table, one_too_many if column == "position" else 2, **wrong)
