"""Clinic-watch storage on a real, migrated SQLite file: settings, cooldowns and the audit log."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.core.clock import FakeClock
from bot.core.scanning import ClinicWatchSettings, ClinicWordLists, Outcome, Sensitivity, WordKind
from bot.core.scanning.reports import FalseAlarm
from bot.db.database import Database, open_database
from bot.db.migrate import apply_migrations
from bot.db.repositories.audit import AuditRepository
from bot.db.repositories.clinic_watch import ClinicWatchRepository
from bot.errors import InvalidInput

GUILD = 500
OTHER_GUILD = 501
MODERATOR = 42
CHANNEL = 9000
WORDS = ClinicWordLists(clinic=("clinic", "klinik"), context=("stem cell", "hsct"))


async def test_an_unconfigured_server_gets_the_defaults(db: Database) -> None:
    assert await ClinicWatchRepository(db).get(GUILD) == ClinicWatchSettings(GUILD)


async def test_settings_round_trip(db: Database, clock: FakeClock) -> None:
    repo = ClinicWatchRepository(db)

    def configure(settings: ClinicWatchSettings) -> ClinicWatchSettings:
        return (
            settings.with_enabled(False)
            .with_sensitivity("broad")
            .with_cooldown(90)
            .with_word(WordKind.CLINIC, "Medical Spa", WORDS)
            .without_word(WordKind.CLINIC, "klinik", WORDS)
            .with_word(WordKind.CONTEXT, "exosome", WORDS)
            .without_word(WordKind.CONTEXT, "hsct", WORDS)
            .with_ignored_channel(CHANNEL)
            .with_ignored_channel(CHANNEL + 1)
        )

    change = await repo.update(
        GUILD, actor_id=MODERATOR, action="test.configure", edit=configure, now=clock.now()
    )
    stored = await repo.get(GUILD)
    assert stored == change.after
    assert stored == ClinicWatchSettings(
        guild_id=GUILD,
        enabled=False,
        sensitivity=Sensitivity.BROAD,
        cooldown_minutes=90,
        words_added=frozenset({(WordKind.CLINIC, "medical spa"), (WordKind.CONTEXT, "exosome")}),
        words_removed=frozenset({(WordKind.CLINIC, "klinik"), (WordKind.CONTEXT, "hsct")}),
        ignored_channel_ids=frozenset({CHANNEL, CHANNEL + 1}),
    )
    assert stored.effective_words(WordKind.CLINIC, WORDS) == ("clinic", "medical spa")


async def test_all_configured_returns_every_server_separately(db: Database, clock: FakeClock) -> None:
    repo = ClinicWatchRepository(db)
    await repo.update(
        GUILD,
        actor_id=MODERATOR,
        action="clinicwatch.ignore",
        edit=lambda s: s.with_ignored_channel(CHANNEL),
        now=clock.now(),
    )
    await repo.update(
        OTHER_GUILD,
        actor_id=MODERATOR,
        action="clinicwatch.words",
        edit=lambda s: s.with_word(WordKind.CLINIC, "hospital", WORDS),
        now=clock.now(),
    )
    by_guild = {settings.guild_id: settings for settings in await repo.all_configured()}
    assert by_guild[GUILD].ignored_channel_ids == {CHANNEL} and not by_guild[GUILD].words_added
    assert by_guild[OTHER_GUILD].added(WordKind.CLINIC) == {"hospital"}
    assert not by_guild[OTHER_GUILD].ignored_channel_ids


async def test_every_change_is_audited_with_before_and_after(db: Database, clock: FakeClock) -> None:
    repo = ClinicWatchRepository(db)
    await repo.update(
        GUILD,
        actor_id=MODERATOR,
        action="clinicwatch.cooldown",
        edit=lambda s: s.with_cooldown(45),
        now=clock.now(),
    )
    clock.advance(minutes=1)
    await repo.update(
        GUILD,
        actor_id=MODERATOR + 1,
        action="clinicwatch.words",
        target="clinic",
        edit=lambda s: s.without_word(WordKind.CLINIC, "clinic", WORDS),
        now=clock.now(),
    )
    newest, oldest = await AuditRepository(db).recent(GUILD)
    assert (oldest.actor_id, oldest.action, oldest.before, oldest.after) == (
        MODERATOR,
        "clinicwatch.cooldown",
        {"cooldown_minutes": 30},
        {"cooldown_minutes": 45},
    )
    assert oldest.created_at == clock.now() - timedelta(minutes=1)
    assert newest.actor_id == MODERATOR + 1 and newest.target == "clinic"
    assert newest.before == {"clinic_words_removed": []}
    assert newest.after == {"clinic_words_removed": ["clinic"]}


async def test_a_rejected_change_writes_nothing(db: Database, clock: FakeClock) -> None:
    repo = ClinicWatchRepository(db)
    with pytest.raises(InvalidInput):
        await repo.update(
            GUILD,
            actor_id=MODERATOR,
            action="clinicwatch.cooldown",
            edit=lambda s: s.with_cooldown(0),
            now=clock.now(),
        )
    assert await repo.get(GUILD) == ClinicWatchSettings(GUILD)
    assert await AuditRepository(db).recent(GUILD) == []


async def test_a_change_that_changes_nothing_is_not_logged(db: Database, clock: FakeClock) -> None:
    repo = ClinicWatchRepository(db)
    change = await repo.update(
        GUILD,
        actor_id=MODERATOR,
        action="clinicwatch.on",
        edit=lambda s: s.with_enabled(True),
        now=clock.now(),
    )
    assert not change.changed
    assert await AuditRepository(db).recent(GUILD) == []


async def test_cooldown_survives_reopening_the_database(tmp_path: Path, clock: FakeClock) -> None:
    path = tmp_path / "restart.sqlite3"
    first = await open_database(path)
    try:
        await apply_migrations(first)
        await ClinicWatchRepository(first).record_fired(GUILD, CHANNEL, clock.now())
    finally:
        await first.close()

    clock.advance(minutes=10)
    second = await open_database(path)
    try:
        repo = ClinicWatchRepository(second)
        assert await repo.last_fired(CHANNEL) == clock.now() - timedelta(minutes=10)
        running = await repo.all_last_fired(since=clock.now() - timedelta(days=7))
        assert running == {CHANNEL: clock.now() - timedelta(minutes=10)}
        assert await repo.all_last_fired(since=clock.now()) == {}
    finally:
        await second.close()


async def test_record_fired_keeps_only_the_latest_time(db: Database, clock: FakeClock) -> None:
    repo = ClinicWatchRepository(db)
    await repo.record_fired(GUILD, CHANNEL, clock.now())
    clock.advance(hours=1)
    await repo.record_fired(GUILD, CHANNEL, clock.now())
    assert await repo.last_fired(CHANNEL) == clock.now()
    assert await repo.last_fired(CHANNEL + 1) is None


async def test_schema_refuses_impossible_values(db: Database) -> None:
    """The CHECK constraints back the core's validation if a future change bypasses it."""
    with pytest.raises(Exception, match="CHECK constraint failed"):
        await db.execute(
            "INSERT INTO clinic_watch_settings (guild_id, sensitivity, updated_at) VALUES (?, ?, ?)",
            (GUILD, "loud", "2026-01-01T00:00:00+00:00"),
        )


async def test_a_card_is_reported_once_and_counted_per_card_and_signal(db: Database) -> None:
    repo = ClinicWatchRepository(db)
    now = FakeClock().now()
    report = FalseAlarm(Outcome.CENTRE, (WordKind.HSCT, WordKind.PLACE))
    assert await repo.record_report(1, 500, report, now)
    assert not await repo.record_report(1, 500, report, now)  # the same card again
    assert await repo.record_report(1, 501, FalseAlarm(Outcome.CAUTION, (WordKind.PLACE,)), now)
    counts = await repo.report_counts(1)
    assert counts.by_card == {Outcome.CAUTION: 1, Outcome.CENTRE: 1}
    assert counts.by_signal[WordKind.PLACE] == 2 and counts.by_signal[WordKind.HSCT] == 1
    assert (await repo.report_counts(2)).total == 0
