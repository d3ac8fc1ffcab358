"""The auto-response upgrade (migration `autoresponse_parity`) on a database the release before it
wrote: rules keep their number, trigger, response, scope, hits and running cooldowns; cooldowns
under 5 seconds become 5 seconds."""

from __future__ import annotations

from pathlib import Path

from bot.core.autoresponse import AnswerKind, MatchMode, RuleDraft
from bot.db.database import open_database
from bot.db.migrate import apply_migrations, available_migrations, current_version
from bot.db.repositories.autoresponses import AutoresponseRepository

GUILD = 500
# The schema version the previous release wrote: the one just before this upgrade's migration.
BEFORE = next(m.version for m in available_migrations() if m.name == "autoresponse_parity") - 1
AT = "2026-01-01T12:00:00+00:00"


async def test_rules_of_the_previous_release_survive_the_upgrade(tmp_path: Path) -> None:
    db = await open_database(tmp_path / "old.sqlite3")
    try:
        for migration in available_migrations():
            if migration.version <= BEFORE:
                await db.connection.executescript(migration.sql)
        await db.execute(f"PRAGMA user_version = {BEFORE}")
        # Rows exactly as the previous release's repository wrote them.
        for number, trigger, mode, response, channels, cooldown in [
            (1, "hello", "word", "Hi!", "[]", 0),
            (2, "stem cell", "phrase", "Read /stemcell", "[9000]", 3),
            (3, "mri*", "wildcard", "Scans", "[]", 600),
        ]:
            await db.execute(
                "INSERT INTO autoresponse_rules (guild_id, number, trigger, mode, response, channel_ids, "
                "cooldown_seconds, enabled, author_id, created_at, updated_by, updated_at, hit_count, "
                "last_hit_at) VALUES (?, ?, ?, ?, ?, ?, ?, 1, 42, ?, 42, ?, 2, ?)",
                (GUILD, number, trigger, mode, response, channels, cooldown, AT, AT, AT),
            )
        await db.execute("INSERT INTO autoresponse_numbering VALUES (?, 4)", (GUILD,))
        await db.execute("INSERT INTO autoresponse_last_fired VALUES (?, 3, 9000, ?)", (GUILD, AT))

        await apply_migrations(db)

        assert await current_version(db) == available_migrations()[-1].version
        repo = AutoresponseRepository(db)
        rules = await repo.list(GUILD)
        assert [rule.draft for rule in rules] == [
            RuleDraft("hello", "Hi!", MatchMode.WORD, cooldown_seconds=5),
            RuleDraft(
                "stem cell", "Read /stemcell", MatchMode.PHRASE, channel_ids=(9000,), cooldown_seconds=5
            ),
            RuleDraft("mri*", "Scans", MatchMode.WILDCARD, cooldown_seconds=600),
        ]
        assert all(rule.kind is AnswerKind.REPLY and rule.hit_count == 2 for rule in rules)
        assert await repo.last_fired(GUILD) == {(3, 9000): rules[2].last_hit_at}
        assert await repo.ignored_members(GUILD) == ()
        async with db.transaction():
            added = await repo.insert(GUILD, RuleDraft("new", "x"), actor_id=42, now=rules[0].created_at)
        assert added.number == 5  # the numbering carried on
    finally:
        await db.close()
