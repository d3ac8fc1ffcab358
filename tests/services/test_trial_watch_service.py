"""The trial watch service on real SQLite and the fake registry over loopback: rounds, news told once,
one request per query, the /trials list refreshed, pauses, failures, limits and forget.

DMs go to `Inbox`, a `WatchNotifier` that keeps what it was given (the cog's Discord sender is
tested end to end in tests/e2e/test_trial_watch.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
from fake_clinicaltrials import FakeClinicalTrials, new_trial_near_chicago

from bot.core.clock import FakeClock
from bot.core.journal.crypto import JournalKeys, generate_key
from bot.core.journal.model import EntryDraft
from bot.core.trials.client import ClinicalTrialsClient, TrialsUnavailable
from bot.core.trials.models import GeoPoint, Place, TrialQuery
from bot.core.trials.service import TrialsService
from bot.core.trials.watch import MAX_WATCHES_PER_MEMBER, WatchSettings
from bot.db.database import Database
from bot.db.repositories.journal import JournalRepository
from bot.db.repositories.trial_watches import TrialWatchRepository
from bot.db.repositories.trials_cache import TrialsCacheRepository
from bot.errors import InvalidInput, NotFound
from bot.services.journal import JournalService
from bot.services.trial_watch import Delivery, TrialWatchService

TARA, UMAR = 349_857_210_938_475_612, 287_364_519_283_746_551
DAY = timedelta(days=1)
FIRST_LOOK = datetime(2026, 1, 3, 0, 0, tzinfo=UTC)  # the clock starts on 2026-01-01 at 12:00
CHICAGO = Place("Chicago", "US", "United States", GeoPoint(41.85003, -87.65005), region="Illinois")
NEAR_CHICAGO = WatchSettings("any", CHICAGO, 200)
ANYWHERE = WatchSettings("any")
EVANSTON_TRIAL = new_trial_near_chicago()


class Inbox:
    """Where the service's direct messages land; `answer` is how the next ones go."""

    def __init__(self) -> None:
        self.sent: list[tuple[int, str]] = []
        self.answer = Delivery.SENT

    async def send(self, user_id: int, text: str) -> Delivery:
        if self.answer is Delivery.SENT:
            self.sent.append((user_id, text))
        return self.answer


@dataclass
class World:
    service: TrialWatchService
    trials: TrialsService
    inbox: Inbox
    registry: FakeClinicalTrials
    clock: FakeClock
    keys: JournalKeys
    db: Database

    def list_requests(self) -> list[dict[str, str]]:
        return [r.params for r in self.registry.study_requests if "filter.ids" not in r.params]

    def look_ups(self) -> list[dict[str, str]]:
        return [r.params for r in self.registry.study_requests if "filter.ids" in r.params]


@pytest.fixture
async def world(db: Database, clock: FakeClock) -> AsyncIterator[World]:
    """The service as the bot wires it, with its job started but never ready (rounds run by hand)."""
    keys = JournalKeys(generate_key().encode())
    async with FakeClinicalTrials() as registry, aiohttp.ClientSession() as session:
        client = ClinicalTrialsClient(session, registry.base_url, min_interval=0)
        trials = TrialsService(client, TrialsCacheRepository(db), clock)
        service = TrialWatchService(TrialWatchRepository(db, keys), trials, clock, DAY)
        inbox = Inbox()
        service.start(inbox, asyncio.Event().wait)
        try:
            yield World(service, trials, inbox, registry, clock, keys, db)
        finally:
            await service.close()


async def test_a_new_watch_knows_what_is_open_now_and_first_looks_a_whole_interval_later(
    world: World,
) -> None:
    added = await world.service.add(TARA, NEAR_CHICAGO)
    assert added.watch.seq == 1 and added.matching == 1
    assert dict(added.watch.known) == {"NCT04047628": "RECRUITING"}, "BEAT-MS has a Chicago site"
    assert added.watch.next_due_at == FIRST_LOOK
    world.clock.set(FIRST_LOOK - timedelta(seconds=1))
    requests = len(world.registry.requests)
    assert (await world.service.run_due()).checked == 0
    assert len(world.registry.requests) == requests, "nothing is asked before a watch is due"


async def test_a_new_study_is_told_once_and_the_trials_list_is_refreshed_with_it(world: World) -> None:
    await world.service.add(TARA, NEAR_CHICAGO)
    world.registry.add_study(EVANSTON_TRIAL)
    world.clock.set(FIRST_LOOK)

    report = await world.service.run_due()

    assert (report.checked, report.fetches, report.told) == (1, 1, 1)
    [(user_id, text)] = world.inbox.sent
    assert user_id == TARA and "NCT09000010" in text and "NCT04047628" not in text
    asked = len(world.registry.requests)
    results = await world.trials.search(TrialQuery())
    assert "NCT09000010" in [entry.study.nct_id for entry in results.entries]
    assert len(world.registry.requests) == asked, "/trials reads the list the watch just fetched"

    world.clock.set(FIRST_LOOK + DAY)
    assert (await world.service.run_due()).checked == 1
    assert len(world.inbox.sent) == 1, "the same news is never told twice"


async def test_a_watch_is_looked_at_once_per_interval_however_often_rounds_run(world: World) -> None:
    await world.service.add(TARA, NEAR_CHICAGO)
    world.clock.set(FIRST_LOOK)
    assert (await world.service.run_due()).checked == 1
    for minutes in (0, 1, 60, 23 * 60):
        world.clock.set(FIRST_LOOK + timedelta(minutes=minutes))
        assert (await world.service.run_due()).checked == 0
    assert len(world.list_requests()) == 2, "one for the add, one for the look"


async def test_one_request_serves_every_watch_with_the_same_query(world: World) -> None:
    await world.service.add(TARA, NEAR_CHICAGO)
    await world.service.add(UMAR, ANYWHERE)
    await world.service.add(UMAR, WatchSettings("hsct", CHICAGO, 500))
    before = len(world.list_requests())
    world.clock.set(FIRST_LOOK)

    report = await world.service.run_due()

    assert (report.checked, report.fetches) == (3, 2)
    asked = [params["query.intr"] for params in world.list_requests()[before:]]
    assert len(asked) == 2 and len(set(asked)) == 2, "one request for 'any', one for 'hsct'"


async def test_a_status_change_and_a_closing_are_each_told_once(world: World) -> None:
    await world.service.add(TARA, ANYWHERE)
    world.registry.set_status("NCT03269071", "RECRUITING")  # STEMS was not yet recruiting
    world.registry.set_status("NCT04047628", "COMPLETED")  # BEAT-MS leaves the open list
    world.clock.set(FIRST_LOOK)

    await world.service.run_due()

    [(_, text)] = world.inbox.sent
    assert "NCT03269071" in text and "Now: Recruiting (before: Not yet recruiting)" in text
    assert "NCT04047628" in text
    assert "Now: Completed (before: Recruiting). It is not taking new participants now." in text
    assert [params["filter.ids"] for params in world.look_ups()] == ["NCT04047628"]
    world.clock.set(FIRST_LOOK + DAY)
    await world.service.run_due()
    assert len(world.inbox.sent) == 1
    assert len(world.look_ups()) == 1, "a study told as closed is not looked up again"


async def test_two_watches_finding_the_same_study_tell_it_once(world: World) -> None:
    await world.service.add(TARA, NEAR_CHICAGO)
    await world.service.add(TARA, ANYWHERE)
    world.registry.add_study(EVANSTON_TRIAL)
    world.clock.set(FIRST_LOOK)
    await world.service.run_due()
    [(_, text)] = world.inbox.sent
    assert text.count("[NCT09000010") == 1 and "(watch #1)" in text


async def test_closed_dms_pause_the_watch_and_the_news_waits_for_the_member(world: World) -> None:
    await world.service.add(TARA, NEAR_CHICAGO)
    await world.service.add(TARA, WatchSettings("neural"))  # nothing new for this one
    world.registry.add_study(EVANSTON_TRIAL)
    world.clock.set(FIRST_LOOK)
    world.inbox.answer = Delivery.CLOSED

    report = await world.service.run_due()

    assert report.paused == 1 and world.inbox.sent == []
    watch, quiet = await world.service.watches(TARA)
    assert watch.paused and watch.pause_untold and "NCT09000010" not in watch.known
    assert not quiet.paused, "a watch with nothing to tell keeps looking"
    await world.service.remove(TARA, quiet.seq)
    world.clock.set(FIRST_LOOK + 3 * DAY)
    assert (await world.service.run_due()).checked == 0, "a paused watch is not looked at"
    assert [w.seq for w in await world.service.untold_pauses(TARA)] == [1]
    await world.service.pauses_told(TARA)
    assert await world.service.untold_pauses(TARA) == [], "the member is told once"
    assert (await world.service.watches(TARA))[0].paused, "and the watch stays paused until resumed"

    world.inbox.answer = Delivery.SENT
    [resumed] = await world.service.resume(TARA)
    assert resumed.next_due_at == world.clock.now(), "a look is overdue, so it comes at once"
    await world.service.run_due()
    [(_, text)] = world.inbox.sent
    assert "NCT09000010" in text


async def test_a_dm_that_fails_otherwise_keeps_the_news_for_the_next_look(world: World) -> None:
    await world.service.add(TARA, NEAR_CHICAGO)
    world.registry.add_study(EVANSTON_TRIAL)
    world.clock.set(FIRST_LOOK)
    world.inbox.answer = Delivery.FAILED
    await world.service.run_due()
    [watch] = await world.service.watches(TARA)
    assert not watch.paused and watch.next_due_at == FIRST_LOOK + DAY and "NCT09000010" not in watch.known
    world.inbox.answer = Delivery.SENT
    world.clock.set(FIRST_LOOK + DAY)
    await world.service.run_due()
    assert ["NCT09000010" in text for _, text in world.inbox.sent] == [True]


async def test_the_registry_down_means_another_try_in_an_hour_and_nothing_told(world: World) -> None:
    await world.service.add(TARA, NEAR_CHICAGO)
    world.registry.add_study(EVANSTON_TRIAL)
    world.registry.mode = "error"
    world.clock.set(FIRST_LOOK)
    assert (await world.service.run_due()).checked == 0
    [watch] = await world.service.watches(TARA)
    assert watch.next_due_at == FIRST_LOOK + timedelta(hours=1) and watch.checked_at is None
    world.registry.mode = "ok"
    world.clock.set(FIRST_LOOK + timedelta(hours=1))
    assert (await world.service.run_due()).told == 1


async def test_a_failed_look_up_of_closed_studies_tells_nothing_about_them_yet(world: World) -> None:
    await world.service.add(TARA, ANYWHERE)
    world.registry.set_status("NCT04047628", "COMPLETED")
    world.registry.mode, world.registry.healthy_requests = "error", len(world.registry.requests) + 1
    world.clock.set(FIRST_LOOK)
    assert (await world.service.run_due()).checked == 1
    assert world.inbox.sent == []
    world.registry.mode = "ok"
    world.clock.set(FIRST_LOOK + DAY)
    await world.service.run_due()
    [(_, text)] = world.inbox.sent
    assert "Now: Completed (before: Recruiting)" in text


async def test_the_limit_and_a_duplicate_are_refused_and_change_nothing(world: World) -> None:
    for radius in range(100, 100 + MAX_WATCHES_PER_MEMBER):
        await world.service.add(TARA, WatchSettings("any", CHICAGO, radius))
    with pytest.raises(InvalidInput, match="already have 5 trial watches"):
        await world.service.add(TARA, ANYWHERE)
    with pytest.raises(InvalidInput, match="#2 already watches exactly this"):
        await world.service.add(TARA, WatchSettings("any", CHICAGO, 101))
    assert len(await world.service.watches(TARA)) == MAX_WATCHES_PER_MEMBER


async def test_a_watch_is_not_added_when_nothing_can_say_what_is_open(world: World) -> None:
    world.registry.mode = "error"
    with pytest.raises(TrialsUnavailable):
        await world.service.add(TARA, NEAR_CHICAGO)
    assert await world.service.watches(TARA) == []


async def test_remove_one_or_all(world: World) -> None:
    await world.service.add(TARA, NEAR_CHICAGO)
    await world.service.add(TARA, ANYWHERE)
    removed = await world.service.remove(TARA, 1)
    assert removed.settings == NEAR_CHICAGO
    with pytest.raises(NotFound, match="no trial watch #1"):
        await world.service.remove(TARA, 1)
    assert await world.service.remove_all(TARA) == 1
    assert await world.service.watches(TARA) == []


async def test_journal_forget_removes_the_watches_in_its_transaction(world: World) -> None:
    journal = JournalService(JournalRepository(world.db, world.keys), world.clock)
    journal.on_forget(world.service.forget_member)
    await journal.add(TARA, EntryDraft(world.clock.now().date(), notes="a note"))
    await world.service.add(TARA, NEAR_CHICAGO)
    await world.service.add(TARA, ANYWHERE)
    await world.service.add(UMAR, ANYWHERE)

    report = await journal.forget_member(TARA)

    assert "and 2 trial watches" in report.describe()
    assert await world.service.watches(TARA) == []
    assert len(await world.service.watches(UMAR)) == 1
    await journal.close()


async def test_the_job_waits_until_the_bot_is_ready_and_stops_at_close(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(TrialWatchService, "poll_seconds", 0.02)
    await world.service.close()
    await world.service.add(TARA, NEAR_CHICAGO)
    world.registry.add_study(EVANSTON_TRIAL)
    world.clock.set(FIRST_LOOK)
    ready = asyncio.Event()
    world.service.start(world.inbox, ready.wait)
    asked = len(world.registry.requests)
    await asyncio.sleep(0.1)
    assert len(world.registry.requests) == asked, "nothing runs before the bot is connected"
    ready.set()
    for _ in range(250):
        if world.inbox.sent:
            break
        await asyncio.sleep(0.02)
    assert world.inbox.sent, "the job ran once the bot was ready"
    await world.service.close()
    asked = len(world.registry.requests)
    world.clock.set(FIRST_LOOK + DAY)
    await asyncio.sleep(0.1)
    assert len(world.registry.requests) == asked, "the job stopped at close"
