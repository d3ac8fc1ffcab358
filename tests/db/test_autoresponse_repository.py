"""Auto-response storage on a real, migrated SQLite file: numbering, limits, imports, audit, cooldowns."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.core.autoresponse import MAX_RULES_PER_GUILD, MatchMode, RuleBook, RuleDraft, parse_import
from bot.core.autoresponse.transfer import ImportRejected, export_rules
from bot.core.clock import FakeClock
from bot.db.database import Database
from bot.db.repositories.audit import AuditRepository
from bot.db.repositories.autoresponses import AutoresponseRepository
from bot.errors import InvalidInput, NotFound

GUILD = 500
OTHER_GUILD = 501
MODERATOR = 42
CHANNEL = 9000


async def snapshot(db: Database) -> list[tuple[object, ...]]:
    """Every stored row of the feature, to prove a refused change touched nothing."""
    rows = []
    for table in ("autoresponse_rules", "autoresponse_numbering", "autoresponse_last_fired", "audit_log"):
        rows += [(table, *tuple(row)) for row in await db.fetch_all(f"SELECT * FROM {table} ORDER BY 1, 2")]  # noqa: S608
    return rows


async def add(repo: AutoresponseRepository, clock: FakeClock, trigger: str, **fields: object) -> int:
    rule = await repo.add(
        GUILD,
        RuleDraft(trigger, f"about {trigger}", **fields),
        actor_id=MODERATOR,
        now=clock.now(),  # type: ignore[arg-type]
    )
    return rule.number


async def test_rules_are_numbered_per_server_and_numbers_are_not_reused(
    db: Database, clock: FakeClock
) -> None:
    repo = AutoresponseRepository(db)
    assert [await add(repo, clock, word) for word in ("one", "two", "three")] == [1, 2, 3]
    other = await repo.add(OTHER_GUILD, RuleDraft("one", "x"), actor_id=MODERATOR, now=clock.now())
    assert other.number == 1
    await repo.remove(GUILD, 3, actor_id=MODERATOR, now=clock.now())
    assert await add(repo, clock, "four") == 4
    assert [rule.number for rule in await repo.list(GUILD)] == [1, 2, 4]


async def test_a_rule_round_trips_with_its_author_and_times(db: Database, clock: FakeClock) -> None:
    repo = AutoresponseRepository(db)
    draft = RuleDraft("stem cell", "Read /stemcell", MatchMode.PHRASE, (7, 8), 120, False)
    added = await repo.add(GUILD, draft, actor_id=MODERATOR, now=clock.now())
    stored = await repo.get(GUILD, added.number)
    assert stored == added
    assert (stored.draft, stored.author_id, stored.created_at, stored.hit_count) == (
        draft,
        MODERATOR,
        clock.now(),
        0,
    )


async def test_unknown_numbers_are_not_found(db: Database, clock: FakeClock) -> None:
    repo = AutoresponseRepository(db)
    with pytest.raises(NotFound, match="no auto-response #9"):
        await repo.get(GUILD, 9)
    with pytest.raises(NotFound):
        await repo.remove(GUILD, 9, actor_id=MODERATOR, now=clock.now())


async def test_the_server_limit_is_enforced(db: Database, clock: FakeClock) -> None:
    repo = AutoresponseRepository(db)
    drafts = [RuleDraft(f"word{n}", "x") for n in range(MAX_RULES_PER_GUILD)]
    await repo.import_rules(GUILD, drafts, mode="replace", actor_id=MODERATOR, now=clock.now())
    before = await snapshot(db)
    with pytest.raises(InvalidInput, match="already has 500"):
        await add(repo, clock, "one more")
    assert await snapshot(db) == before


async def test_invalid_and_duplicate_rules_are_refused(db: Database, clock: FakeClock) -> None:
    repo = AutoresponseRepository(db)
    await add(repo, clock, "Hello")
    before = await snapshot(db)
    with pytest.raises(InvalidInput, match="#1 already answers"):
        await add(repo, clock, "  HELLO ")
    with pytest.raises(InvalidInput, match="RE2"):
        await add(repo, clock, "(?<=a)b", mode=MatchMode.REGEX)
    assert await snapshot(db) == before
    assert await add(repo, clock, "hello", mode=MatchMode.EXACT) == 2  # another mode is another rule


async def test_edit_changes_audits_and_skips_no_ops(db: Database, clock: FakeClock) -> None:
    repo = AutoresponseRepository(db)
    await add(repo, clock, "hello")
    clock.advance(minutes=5)
    change = await repo.edit(
        GUILD, 1, lambda d: d.with_changes(response="Hi!", enabled=False), actor_id=7, now=clock.now()
    )
    assert change.changed and change.after.response == "Hi!" and not change.after.enabled
    assert (change.after.updated_by, change.after.updated_at, change.after.author_id) == (
        7,
        clock.now(),
        MODERATOR,
    )
    same = await repo.edit(GUILD, 1, change.after.draft, actor_id=7, now=clock.now())
    assert not same.changed
    entries = await AuditRepository(db).recent(GUILD)
    assert [e.action for e in entries] == ["autoresponse.edit", "autoresponse.add"]
    assert entries[0].target == "#1"
    assert entries[0].before == {"response": "about hello", "enabled": True}
    assert entries[0].after == {"response": "Hi!", "enabled": False}


async def test_every_change_is_audited_with_before_and_after(db: Database, clock: FakeClock) -> None:
    repo = AutoresponseRepository(db)
    await add(repo, clock, "hello")
    await repo.remove(GUILD, 1, actor_id=7, now=clock.now())
    removed, added = await AuditRepository(db).recent(GUILD)
    assert (added.action, added.actor_id, added.before) == ("autoresponse.add", MODERATOR, None)
    assert added.after is not None and added.after["trigger"] == "hello" and added.after["number"] == 1
    assert (removed.action, removed.actor_id, removed.before, removed.after) == (
        "autoresponse.remove",
        7,
        added.after,
        None,
    )


async def test_hits_and_cooldowns_survive_a_restart(db: Database, clock: FakeClock) -> None:
    repo = AutoresponseRepository(db)
    await add(repo, clock, "hello", cooldown_seconds=600)
    await repo.record_hit(GUILD, 1, CHANNEL, clock.now())
    fired_at = clock.now()
    clock.advance(minutes=1)
    await repo.record_hit(GUILD, 1, CHANNEL + 1, clock.now())
    rule = await repo.get(GUILD, 1)
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
    await add(repo, clock, "hello")
    await repo.record_hit(GUILD, 1, CHANNEL, clock.now())
    await repo.remove(GUILD, 1, actor_id=MODERATOR, now=clock.now())
    assert await repo.last_fired(GUILD) == {}
    await repo.record_hit(GUILD, 1, CHANNEL, clock.now())  # a late hit for a removed rule is ignored
    assert await repo.last_fired(GUILD) == {}


async def test_import_merge_updates_by_trigger_and_mode_and_adds_the_rest(
    db: Database, clock: FakeClock
) -> None:
    repo = AutoresponseRepository(db)
    await add(repo, clock, "hello")
    await add(repo, clock, "bye")
    await repo.record_hit(GUILD, 1, CHANNEL, clock.now())
    drafts = [
        RuleDraft("HELLO", "new answer"),
        RuleDraft("bye", "about bye"),
        RuleDraft("mri*", "scan", MatchMode.WILDCARD),
    ]
    report = await repo.import_rules(GUILD, drafts, mode="merge", actor_id=MODERATOR, now=clock.now())
    assert (report.added, report.updated, report.unchanged, report.removed) == ((3,), (1,), (2,), 0)
    rules = await repo.list(GUILD)
    assert [(r.number, r.trigger, r.response, r.hit_count) for r in rules] == [
        (1, "HELLO", "new answer", 1),
        (2, "bye", "about bye", 0),
        (3, "mri*", "scan", 0),
    ]
    actions = [e.action for e in await AuditRepository(db).recent(GUILD)]
    assert actions[:3] == ["autoresponse.import", "autoresponse.add", "autoresponse.edit"]


async def test_import_replace_starts_the_list_afresh(db: Database, clock: FakeClock) -> None:
    repo = AutoresponseRepository(db)
    for word in ("a1", "b2", "c3"):
        await add(repo, clock, word)
    await repo.record_hit(GUILD, 2, CHANNEL, clock.now())
    report = await repo.import_rules(
        GUILD,
        [RuleDraft("new", "x"), RuleDraft("b2", "y")],
        mode="replace",
        actor_id=MODERATOR,
        now=clock.now(),
    )
    assert (report.added, report.removed) == ((1, 2), 3)
    assert [(r.number, r.trigger) for r in await repo.list(GUILD)] == [(1, "new"), (2, "b2")]
    assert await repo.last_fired(GUILD) == {}
    summary = (await AuditRepository(db).recent(GUILD))[0]
    assert summary.after == {"mode": "replace", "added": 2, "updated": 0, "unchanged": 0, "removed": 3}


@pytest.mark.parametrize("mode", ["merge", "replace"])
async def test_a_refused_import_changes_nothing(db: Database, clock: FakeClock, mode: str) -> None:
    repo = AutoresponseRepository(db)
    await add(repo, clock, "hello")
    await repo.record_hit(GUILD, 1, CHANNEL, clock.now())
    before = await snapshot(db)
    too_many = [RuleDraft(f"word{n}", "x") for n in range(MAX_RULES_PER_GUILD)]  # 501 with "hello" on merge
    if mode == "replace":
        too_many.append(RuleDraft("one too many", "x"))
    with pytest.raises(InvalidInput):
        await repo.import_rules(GUILD, too_many, mode=mode, actor_id=MODERATOR, now=clock.now())
    with pytest.raises(InvalidInput):
        await repo.import_rules(
            GUILD,
            [RuleDraft("ok", "x"), RuleDraft("(", "x", MatchMode.REGEX)],
            mode=mode,
            actor_id=1,
            now=clock.now(),
        )
    assert await snapshot(db) == before


async def test_a_bad_file_never_reaches_the_table(db: Database, clock: FakeClock) -> None:
    """The cog parses first; a refused file (here one bad rule among fifty) leaves the table as it was."""
    repo = AutoresponseRepository(db)
    await add(repo, clock, "hello")
    before = await snapshot(db)
    rules = [RuleDraft(f"word{n}", "x") for n in range(50)]
    text = export_rules(rules).replace("trigger: word17", "trigger: ''")
    with pytest.raises(ImportRejected, match="rule 18: trigger: is empty"):
        await repo.import_rules(
            GUILD, parse_import(text), mode="replace", actor_id=MODERATOR, now=clock.now()
        )
    assert await snapshot(db) == before


async def test_export_import_round_trip_through_the_database(db: Database, clock: FakeClock) -> None:
    repo = AutoresponseRepository(db)
    await add(repo, clock, "hello", channel_ids=(5, 3))
    await add(repo, clock, r"ocre\w+", mode=MatchMode.REGEX, cooldown_seconds=0, enabled=False)
    text = export_rules(await repo.list(GUILD))
    await repo.import_rules(
        OTHER_GUILD, parse_import(text), mode="replace", actor_id=MODERATOR, now=clock.now()
    )
    assert export_rules(await repo.list(OTHER_GUILD)) == text


async def test_all_rules_loads_every_server(db: Database, clock: FakeClock) -> None:
    repo = AutoresponseRepository(db)
    await add(repo, clock, "hello")
    await repo.add(OTHER_GUILD, RuleDraft("bye", "x"), actor_id=MODERATOR, now=clock.now())
    loaded = await repo.all_rules()
    assert {guild: [r.trigger for r in rules] for guild, rules in loaded.items()} == {
        GUILD: ["hello"],
        OTHER_GUILD: ["bye"],
    }
