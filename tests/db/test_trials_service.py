"""The trials service over the real SQLite cache and the fake registry: freshness, expiry, fallback."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
from fake_clinicaltrials import OBSERVATIONAL_STUDY, FakeClinicalTrials

from bot.core.clock import FakeClock
from bot.core.trials.client import ClinicalTrialsClient, TrialsUnavailable
from bot.core.trials.models import FetchedStudies, GeoPoint, Place, TrialQuery
from bot.core.trials.service import TrialsService
from bot.db.database import Database
from bot.db.repositories.trials_cache import TrialsCacheRepository
from bot.errors import UserFacingError

UPPSALA = Place("Uppsala", "SE", "Sweden", GeoPoint(59.85882, 17.63889))
CHICAGO = Place("Chicago", "US", "United States", GeoPoint(41.85003, -87.65005), region="Illinois")
MILAN = Place("Milan", "IT", "Italy", GeoPoint(45.46427, 9.18951))


@pytest.fixture
async def registry() -> AsyncIterator[FakeClinicalTrials]:
    """The fake registry on a free loopback port, stopped after the test."""
    async with FakeClinicalTrials() as fake:
        yield fake


@pytest.fixture
async def service(
    db: Database, clock: FakeClock, registry: FakeClinicalTrials
) -> AsyncIterator[TrialsService]:
    """The service as the bot wires it: real client on a shared session, SQLite cache, fake clock."""
    async with aiohttp.ClientSession() as session:
        client = ClinicalTrialsClient(session, registry.base_url, timeout=0.3, page_size=3, min_interval=0)
        yield TrialsService(client, TrialsCacheRepository(db), clock)


async def test_second_search_is_served_from_the_cache(
    service: TrialsService, registry: FakeClinicalTrials, clock: FakeClock
) -> None:
    first = await service.search(TrialQuery())
    pages = len(registry.study_requests)
    assert pages == 4 and len(first.entries) == 11 and not first.stale
    clock.advance(hours=5, minutes=59)
    second = await service.search(TrialQuery("ANY"))
    assert len(registry.study_requests) == pages  # no new request
    assert second.entries == first.entries
    assert second.fetched_at == first.fetched_at and second.age == timedelta(hours=5, minutes=59)
    assert not second.stale and second.stale_note is None


async def test_each_intervention_has_its_own_cache_entry(
    service: TrialsService, registry: FakeClinicalTrials
) -> None:
    await service.search(TrialQuery("hsct"))
    before = len(registry.study_requests)
    mesenchymal = await service.search(TrialQuery("mesenchymal"))
    assert len(registry.study_requests) > before
    assert {r.study.nct_id for r in mesenchymal.entries} == {
        "NCT03355365",
        "NCT09000002",
        "NCT09000003",
        "NCT09000004",
        "NCT09000006",
    }


async def test_the_cache_expires_after_six_hours(
    service: TrialsService, registry: FakeClinicalTrials, clock: FakeClock
) -> None:
    first = await service.search(TrialQuery())
    clock.advance(hours=6)
    refreshed = await service.search(TrialQuery())
    assert len(registry.study_requests) == 8  # fetched again, four pages each time
    assert refreshed.fetched_at == first.fetched_at + timedelta(hours=6)
    assert refreshed.age == timedelta(0) and not refreshed.stale


@pytest.mark.parametrize("mode", ["error", "slow", "malformed"])
async def test_registry_failure_serves_the_last_answer_with_its_age(
    service: TrialsService, registry: FakeClinicalTrials, clock: FakeClock, mode: str
) -> None:
    fresh = await service.search(TrialQuery())
    clock.advance(hours=7)
    registry.mode = mode  # type: ignore[assignment]
    stale = await service.search(TrialQuery())
    assert stale.stale
    assert stale.entries == fresh.entries
    assert stale.fetched_at == fresh.fetched_at
    assert stale.age == timedelta(hours=7)
    assert stale.stale_note is not None and "7 hours ago" in stale.stale_note


async def test_a_stale_answer_is_not_saved_over_and_recovers_later(
    service: TrialsService, registry: FakeClinicalTrials, clock: FakeClock
) -> None:
    fresh = await service.search(TrialQuery())
    clock.advance(hours=7)
    registry.mode = "error"
    await service.search(TrialQuery())
    registry.mode = "ok"
    recovered = await service.search(TrialQuery())
    assert not recovered.stale
    assert recovered.fetched_at == fresh.fetched_at + timedelta(hours=7)


async def test_without_a_cache_the_member_gets_a_clear_message(
    service: TrialsService, registry: FakeClinicalTrials
) -> None:
    registry.mode = "error"
    with pytest.raises(TrialsUnavailable) as caught:
        await service.search(TrialQuery())
    assert isinstance(caught.value, UserFacingError)
    assert "can't be reached right now" in caught.value.message
    assert "https://clinicaltrials.gov" in caught.value.message


async def test_results_are_ordered_from_the_members_place(service: TrialsService) -> None:
    results = await service.search(TrialQuery(), near=UPPSALA)
    assert results.near == UPPSALA
    first = results.entries[0]
    assert first.study.nct_id == "NCT03477500"
    assert first.nearest_site is not None and first.nearest_site.city == "Uppsala"
    assert results.page_count(5) == 3
    assert len(results.page(0)) == 5 and len(results.page(2)) == 1
    assert results.page(7) == results.page(2)  # an old button past the end shows the last page


async def test_observational_studies_are_counted_then_shown_on_request_from_the_same_fetch(
    service: TrialsService, registry: FakeClinicalTrials
) -> None:
    trials = await service.search(TrialQuery())
    requests = len(registry.study_requests)
    everything = await service.search(TrialQuery(), include_observational=True)
    assert len(registry.study_requests) == requests, "one request serves both choices"
    assert OBSERVATIONAL_STUDY not in {r.study.nct_id for r in trials.entries}
    assert trials.hidden_observational == 1 and not trials.include_observational
    assert OBSERVATIONAL_STUDY in {r.study.nct_id for r in everything.entries}
    assert everything.hidden_observational == 0 and everything.include_observational
    assert len(everything.entries) == len(trials.entries) + 1


async def test_one_cached_answer_serves_every_place(
    service: TrialsService, registry: FakeClinicalTrials
) -> None:
    chicago = await service.search(TrialQuery(), near=CHICAGO)
    requests = len(registry.study_requests)
    milan = await service.search(TrialQuery(), near=MILAN)
    assert len(registry.study_requests) == requests
    assert chicago.entries[0].study.nct_id == "NCT04047628"
    assert milan.entries[0].study.nct_id == "NCT03269071"


async def test_members_asking_together_share_one_fetch(
    service: TrialsService, registry: FakeClinicalTrials
) -> None:
    results = await asyncio.gather(*(service.search(TrialQuery()) for _ in range(5)))
    assert len(registry.study_requests) == 4  # one fetch of four pages
    assert all(r.entries == results[0].entries for r in results)


async def test_an_unreadable_cached_payload_counts_as_a_miss(
    db: Database, service: TrialsService, registry: FakeClinicalTrials, clock: FakeClock
) -> None:
    await TrialsCacheRepository(db).put(TrialQuery().cache_key, '{"version": 0}', clock.now())
    results = await service.search(TrialQuery())
    assert len(registry.study_requests) == 4 and len(results.entries) == 11


async def test_repository_round_trip_and_upsert(db: Database) -> None:
    cache = TrialsCacheRepository(db)
    assert await cache.get("k") is None
    first = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    await cache.put("k", FetchedStudies(()).to_json(), first)
    await cache.put("k", '{"version": 1, "studies": []}', first + timedelta(hours=1))
    stored = await cache.get("k")
    assert stored == ('{"version": 1, "studies": []}', first + timedelta(hours=1))
    assert stored is not None and stored[1].tzinfo is not None


async def test_the_table_refuses_a_payload_that_is_not_json(db: Database, clock: FakeClock) -> None:
    with pytest.raises(sqlite3.IntegrityError):
        await TrialsCacheRepository(db).put("k", "not json", clock.now())
