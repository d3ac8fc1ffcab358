"""The auto-response service on a real, migrated SQLite file: checked, stored, audited, made live.

No Discord: the service is driven as the cog drives it, and the live rules are read through the
same `MessageWatch` the message listener asks.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import pytest

from bot.core.audit import AuditEntry
from bot.core.autoresponse import (
    MAX_RULES_PER_GUILD,
    AnswerKind,
    ImportRejected,
    MatchMode,
    Rule,
    RuleAnswer,
    RuleDraft,
    RuleTrigger,
)
from bot.core.autoresponse.transfer import export_rules
from bot.core.clock import FakeClock
from bot.core.replies import REPLY_WINDOW
from bot.core.scanning import ClinicWordLists
from bot.db.database import Database
from bot.db.repositories.audit import AuditRepository
from bot.db.repositories.autoresponses import AutoresponseRepository
from bot.db.repositories.clinic_watch import ClinicWatchRepository
from bot.errors import InvalidInput, NotFound
from bot.services.autoresponses import PARSE_IN_THREAD_FROM_BYTES, AutoresponseService
from bot.services.message_watch import MessageWatch

GUILD = 500
OTHER_GUILD = 501
MODERATOR = 42
CHANNEL = 9000
WORDS = ClinicWordLists(clinic=("clinic",), context=("hsct",))


@dataclass
class Parts:
    service: AutoresponseService
    rules: AutoresponseRepository
    audit: AuditRepository
    watch: MessageWatch
    clock: FakeClock

    def answer(self, text: str, guild_id: int = GUILD, author: Member | None = None) -> Rule | None:
        """The rule the live path would answer `text` with (cooldowns are taken, as on Discord).

        Asked once the channel's reply budget has refilled (and the shortest cooldown has passed),
        so only the rules decide.
        """
        self.clock.set(self.clock.now() + REPLY_WINDOW)
        reply = self.watch.reply_for(guild_id, CHANNEL, text, parent_channel_id=None, author=author)
        assert reply is None or isinstance(reply, RuleAnswer), reply
        return None if reply is None else reply.rule


@dataclass(frozen=True)
class Role:
    id: int


@dataclass(frozen=True)
class Member:
    """A message author as the live path reads one (discord.py's `Member` has these three names)."""

    id: int
    display_name: str
    roles: tuple[Role, ...] = ()

    def get_role(self, role_id: int, /) -> object | None:
        return next((role for role in self.roles if getattr(role, "id", None) == role_id), None)


ANA = Member(1001, "ana")
BOB = Member(1002, "bob", (Role(77),))


@pytest.fixture
async def parts(db: Database, clock: FakeClock) -> Parts:
    rules = AutoresponseRepository(db)
    audit = AuditRepository(db)
    watch = MessageWatch(WORDS, clock, ClinicWatchRepository(db, audit), rules)
    await watch.load()
    return Parts(AutoresponseService(db, rules, audit, watch, clock), rules, audit, watch, clock)


async def snapshot(db: Database) -> list[tuple[object, ...]]:
    """Every stored row of the feature, to prove a refused change touched nothing."""
    rows = []
    for table in (
        "autoresponse_rules",
        "autoresponse_triggers",
        "autoresponse_variants",
        "autoresponse_numbering",
        "autoresponse_last_fired",
        "autoresponse_ignored_members",
        "audit_log",
    ):
        rows += [(table, *tuple(row)) for row in await db.fetch_all(f"SELECT * FROM {table} ORDER BY 1, 2")]  # noqa: S608
    return rows


async def add(parts: Parts, trigger: str, **fields: object) -> int:
    draft = RuleDraft(trigger, f"about {trigger}")
    added = await parts.service.add(GUILD, replace(draft, **fields), actor_id=MODERATOR)
    return added.rule.number


def without_id(entry: AuditEntry) -> AuditEntry:
    return replace(entry, id=None)


# --- add, edit, remove ---


async def test_rules_are_numbered_per_server_and_numbers_are_not_reused(parts: Parts) -> None:
    assert [await add(parts, word) for word in ("one", "two", "three")] == [1, 2, 3]
    other = await parts.service.add(OTHER_GUILD, RuleDraft("one", "x"), actor_id=MODERATOR)
    assert other.rule.number == 1
    await parts.service.remove(GUILD, 3, actor_id=MODERATOR)
    assert await add(parts, "four") == 4
    assert [rule.number for rule in await parts.service.list(GUILD)] == [1, 2, 4]


async def test_unknown_numbers_are_not_found(parts: Parts, db: Database) -> None:
    await add(parts, "hello")
    before = await snapshot(db)
    with pytest.raises(NotFound, match="no auto-response #9"):
        await parts.service.get(GUILD, 9)
    with pytest.raises(NotFound, match="no auto-response #9"):
        await parts.service.remove(GUILD, 9, actor_id=MODERATOR)
    with pytest.raises(NotFound, match="no auto-response #9"):
        await parts.service.edit(GUILD, 9, RuleDraft("x", "y"), actor_id=MODERATOR)
    assert await snapshot(db) == before


async def test_the_server_limit_is_enforced(parts: Parts, db: Database) -> None:
    drafts = [RuleDraft(f"word{n}", "x") for n in range(MAX_RULES_PER_GUILD)]
    await parts.service.import_rules(GUILD, drafts, "replace", actor_id=MODERATOR)
    before = await snapshot(db)
    with pytest.raises(InvalidInput, match="already has 500"):
        await add(parts, "one more")
    assert await snapshot(db) == before


async def test_invalid_and_duplicate_rules_are_refused(parts: Parts, db: Database) -> None:
    await add(parts, "Hello")
    before = await snapshot(db)
    with pytest.raises(InvalidInput, match="#1 already answers"):
        await add(parts, "  HELLO ")
    with pytest.raises(InvalidInput, match="RE2"):
        await add(parts, "(?<=a)b", mode=MatchMode.REGEX)
    assert await snapshot(db) == before
    assert await add(parts, "hello", mode=MatchMode.EXACT) == 2  # another mode is another rule


async def test_edit_changes_audits_and_skips_no_ops(parts: Parts, clock: FakeClock) -> None:
    await add(parts, "hello")
    clock.advance(minutes=5)
    change = await parts.service.edit(
        GUILD, 1, lambda d: d.with_changes(response="Hi!", enabled=False), actor_id=7
    )
    assert change.changed and change.after.response == "Hi!" and not change.after.enabled
    assert (change.after.updated_by, change.after.updated_at, change.after.author_id) == (
        7,
        clock.now(),
        MODERATOR,
    )
    same = await parts.service.edit(GUILD, 1, change.after.draft, actor_id=7)
    assert not same.changed and same.audit_entry is None
    entries = await parts.audit.recent(GUILD)
    assert [e.action for e in entries] == ["autoresponse.edit", "autoresponse.add"]
    assert entries[0].target == "#1"
    assert entries[0].before == {"response": "about hello", "enabled": True}
    assert entries[0].after == {"response": "Hi!", "enabled": False}


async def test_every_change_is_audited_with_before_and_after(parts: Parts) -> None:
    await add(parts, "hello")
    await parts.service.remove(GUILD, 1, actor_id=7)
    removed, added = await parts.audit.recent(GUILD)
    assert (added.action, added.actor_id, added.before) == ("autoresponse.add", MODERATOR, None)
    assert added.after is not None and added.after["trigger"] == "hello" and added.after["number"] == 1
    assert (removed.action, removed.actor_id, removed.before, removed.after) == (
        "autoresponse.remove",
        7,
        added.after,
        None,
    )


async def test_each_result_carries_the_audit_row_it_wrote_for_the_mod_log(parts: Parts) -> None:
    """The mod-log reports what the database keeps, not a second account of the change."""
    added = await parts.service.add(GUILD, RuleDraft("hello", "Hi", channel_ids=(5, 3)), actor_id=MODERATOR)
    edited = await parts.service.edit(GUILD, 1, lambda d: d.with_changes(cooldown_seconds=5), actor_id=7)
    removed = await parts.service.remove(GUILD, 1, actor_id=7)
    imported = await parts.service.import_rules(GUILD, [RuleDraft("bye", "x")], "merge", actor_id=7)
    summary, bye_added, *rest = await parts.audit.recent(GUILD)  # newest first
    assert bye_added.target == "#2"  # the merge's own row for its new rule, not reported on its own
    assert [without_id(entry) for entry in (summary, *rest)] == [
        imported.audit_entry,
        removed.audit_entry,
        edited.audit_entry,
        added.audit_entry,
    ]


# --- the live rules ---


async def test_every_change_is_live_at_once(parts: Parts) -> None:
    await add(parts, "hello", cooldown_seconds=5)
    answer = parts.answer("hello there")
    assert answer is not None and answer.number == 1
    await parts.service.edit(GUILD, 1, lambda d: d.with_changes(response="Hi!"), actor_id=MODERATOR)
    answer = parts.answer("hello there")
    assert answer is not None and answer.response == "Hi!"
    await parts.service.edit(GUILD, 1, lambda d: d.with_changes(enabled=False), actor_id=MODERATOR)
    assert parts.answer("hello there") is None
    await parts.service.import_rules(
        GUILD, [RuleDraft("bye", "See you", cooldown_seconds=5)], "merge", actor_id=1
    )
    answer = parts.answer("bye now")
    assert answer is not None and answer.number == 2
    await parts.service.remove(GUILD, 2, actor_id=MODERATOR)
    assert parts.answer("bye now") is None
    await parts.service.import_rules(
        GUILD, [RuleDraft("new", "x", cooldown_seconds=5)], "replace", actor_id=1
    )
    assert parts.answer("hello") is None
    answer = parts.answer("new")
    assert answer is not None and answer.number == 3


async def test_a_refused_change_leaves_the_live_rules_as_they_were(parts: Parts) -> None:
    await add(parts, "hello", cooldown_seconds=5)
    with pytest.raises(InvalidInput):
        await parts.service.import_rules(GUILD, [RuleDraft("(", "x", MatchMode.REGEX)], "replace", actor_id=1)
    with pytest.raises(InvalidInput):
        await add(parts, "HELLO")
    assert [rule.trigger for rule in parts.watch.book.rules(GUILD)] == ["hello"]
    assert parts.answer("hello") is not None


# --- imports ---


async def test_import_merge_updates_by_trigger_and_mode_and_adds_the_rest(
    parts: Parts, clock: FakeClock
) -> None:
    await add(parts, "hello")
    await add(parts, "bye")
    await parts.rules.record_hit(GUILD, 1, CHANNEL, clock.now())
    drafts = [
        RuleDraft("HELLO", "new answer"),
        RuleDraft("bye", "about bye"),
        RuleDraft("mri*", "scan", MatchMode.WILDCARD),
    ]
    report = (await parts.service.import_rules(GUILD, drafts, "merge", actor_id=MODERATOR)).report
    assert (report.added, report.updated, report.unchanged, report.removed) == ((3,), (1,), (2,), 0)
    rules = await parts.service.list(GUILD)
    assert [(r.number, r.trigger, r.response, r.hit_count) for r in rules] == [
        (1, "HELLO", "new answer", 1),
        (2, "bye", "about bye", 0),
        (3, "mri*", "scan", 0),
    ]
    actions = [e.action for e in await parts.audit.recent(GUILD)]
    assert actions[:3] == ["autoresponse.import", "autoresponse.add", "autoresponse.edit"]


async def test_import_replace_starts_the_list_afresh_under_new_numbers(
    parts: Parts, clock: FakeClock
) -> None:
    """A number is never given out twice, so "#2" in an old message cannot reach an imported rule."""
    for word in ("a1", "b2", "c3"):
        await add(parts, word)
    await parts.rules.record_hit(GUILD, 2, CHANNEL, clock.now())
    imported = await parts.service.import_rules(
        GUILD, [RuleDraft("new", "x"), RuleDraft("b2", "y")], "replace", actor_id=MODERATOR
    )
    assert (imported.report.added, imported.report.removed) == ((4, 5), 3)
    assert [(r.number, r.trigger) for r in await parts.service.list(GUILD)] == [(4, "new"), (5, "b2")]
    with pytest.raises(NotFound):
        await parts.service.get(GUILD, 2)
    assert await parts.rules.last_fired(GUILD) == {}
    summary = (await parts.audit.recent(GUILD))[0]
    assert summary.after == {"mode": "replace", "added": 2, "updated": 0, "unchanged": 0, "removed": 3}
    assert summary.after == imported.report.summary.audit_view()


@pytest.mark.parametrize("mode", ["merge", "replace"])
async def test_a_refused_import_changes_nothing(
    parts: Parts, db: Database, clock: FakeClock, mode: str
) -> None:
    await add(parts, "hello")
    await parts.rules.record_hit(GUILD, 1, CHANNEL, clock.now())
    before = await snapshot(db)
    too_many = [RuleDraft(f"word{n}", "x") for n in range(MAX_RULES_PER_GUILD)]  # 501 with "hello" on merge
    if mode == "replace":
        too_many.append(RuleDraft("one too many", "x"))
    with pytest.raises(InvalidInput):
        await parts.service.import_rules(GUILD, too_many, mode, actor_id=MODERATOR)
    with pytest.raises(InvalidInput):
        await parts.service.import_rules(
            GUILD, [RuleDraft("ok", "x"), RuleDraft("(", "x", MatchMode.REGEX)], mode, actor_id=1
        )
    assert await snapshot(db) == before


async def test_a_bad_file_never_reaches_the_table(parts: Parts, db: Database) -> None:
    """The cog parses first; a refused file (here one bad rule among fifty) leaves the table as it was."""
    await add(parts, "hello")
    before = await snapshot(db)
    rules = [RuleDraft(f"word{n}", "x") for n in range(50)]
    text = export_rules(rules).replace("text: word17\n", "text: ''\n")
    with pytest.raises(ImportRejected, match="rule 18: trigger: is empty"):
        await parts.service.import_rules(
            GUILD, await parts.service.parse(text.encode()), "replace", actor_id=MODERATOR
        )
    assert await snapshot(db) == before


async def test_export_import_round_trip_through_the_database(parts: Parts) -> None:
    await add(parts, "hello", channel_ids=(5, 3))
    await add(parts, r"ocre\w+", mode=MatchMode.REGEX, cooldown_seconds=5, enabled=False)
    exported = await parts.service.export(GUILD)
    assert exported.rule_count == 2
    drafts = await parts.service.parse(exported.text.encode())
    await parts.service.import_rules(OTHER_GUILD, drafts, "replace", actor_id=MODERATOR)
    assert (await parts.service.export(OTHER_GUILD)).text == exported.text


async def test_a_large_file_parses_as_a_small_one_does(parts: Parts) -> None:
    """Past `PARSE_IN_THREAD_FROM_BYTES` the YAML is read off the event loop, to the same drafts."""
    drafts = [
        RuleDraft(f"word{n}", "a fairly long answer, " * 4 + "the end") for n in range(MAX_RULES_PER_GUILD)
    ]
    data = export_rules(drafts).encode()
    assert len(data) >= PARSE_IN_THREAD_FROM_BYTES
    assert await parts.service.parse(data) == drafts
    assert await parts.service.parse(export_rules(drafts[:2]).encode()) == drafts[:2]


async def test_an_empty_server_exports_nothing(parts: Parts) -> None:
    assert (await parts.service.export(GUILD)).rule_count == 0


# --- several triggers, responses, who is answered ---


async def test_a_rule_with_several_triggers_answers_each_of_them(parts: Parts) -> None:
    await add(
        parts,
        "mri",
        cooldown_seconds=5,
        more_triggers=(
            RuleTrigger("stem cell", MatchMode.PHRASE),
            RuleTrigger("lesion*", MatchMode.WILDCARD),
        ),
    )
    for text in ("my MRI", "stem-cell news", "new lesions"):
        found = parts.answer(text)
        assert found is not None and found.number == 1, text
    assert parts.answer("cells") is None


async def test_ignoring_a_member_is_audited_live_and_undone(parts: Parts, db: Database) -> None:
    await add(parts, "hello", cooldown_seconds=5)
    entry = await parts.service.ignore(GUILD, BOB.id, actor_id=MODERATOR)
    assert entry is not None and entry.action == "autoresponse.ignore"
    assert entry.after == {"member": f"<@{BOB.id}>"}
    assert parts.answer("hello", author=BOB) is None
    assert parts.answer("hello", author=ANA) is not None
    before = await snapshot(db)
    assert await parts.service.ignore(GUILD, BOB.id, actor_id=MODERATOR) is None  # already: nothing written
    assert await snapshot(db) == before
    assert await parts.service.ignored_members(GUILD) == (BOB.id,)
    undone = await parts.service.unignore(GUILD, BOB.id, actor_id=MODERATOR)
    assert undone is not None and undone.action == "autoresponse.unignore"
    assert parts.answer("hello", author=BOB) is not None
    assert await parts.service.unignore(GUILD, BOB.id, actor_id=MODERATOR) is None


async def test_ignored_members_survive_a_restart(parts: Parts, db: Database, clock: FakeClock) -> None:
    await add(parts, "hello")
    await parts.service.ignore(GUILD, BOB.id, actor_id=MODERATOR)
    restarted = MessageWatch(WORDS, clock, ClinicWatchRepository(db, parts.audit), parts.rules)
    await restarted.load()
    assert restarted.reply_for(GUILD, CHANNEL, "hello", parent_channel_id=None, author=BOB) is None


async def test_roles_decide_who_is_answered(parts: Parts) -> None:
    await add(parts, "helpers", allowed_role_ids=(77,), cooldown_seconds=5)
    await add(parts, "everyone", denied_role_ids=(77,), cooldown_seconds=5)
    assert parts.answer("helpers", author=BOB) is not None
    assert parts.answer("helpers", author=ANA) is None
    assert parts.answer("everyone", author=BOB) is None
    assert parts.answer("everyone", author=ANA) is not None


async def test_an_edit_may_change_every_new_field(parts: Parts) -> None:
    await add(parts, "hello")
    change = await parts.service.edit(
        GUILD,
        1,
        lambda d: d.with_responses(["One", "Two"], [3, 1]).with_changes(
            kind=AnswerKind.EMBED, title="Welcome", link="https://example.org"
        ),
        actor_id=MODERATOR,
    )
    assert change.audit_entry is not None
    assert change.audit_entry.after == {
        "answer": "embed",
        "response": "One",
        "more_responses": ["Two"],
        "weights": [3, 1],
        "title": "Welcome",
        "link": "https://example.org",
    }
    stored = await parts.service.get(GUILD, 1)
    assert stored.draft.responses == ("One", "Two") and stored.draft.kind is AnswerKind.EMBED
