"""The ClinicalTrials.gov client against the local fake registry: requests, pages and failures."""

from __future__ import annotations

import socket
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest
from fake_clinicaltrials import FakeClinicalTrials, default_studies

from bot.core.trials.client import REQUESTED_FIELDS, ClinicalTrialsClient, TrialsUnavailable
from bot.core.trials.models import TrialQuery
from bot.errors import UserFacingError


@pytest.fixture
async def registry() -> AsyncIterator[FakeClinicalTrials]:
    """The fake registry on a free loopback port, stopped after the test."""
    async with FakeClinicalTrials() as fake:
        yield fake


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    """One shared HTTP session, as the bot injects it; closed after the test."""
    async with aiohttp.ClientSession() as client_session:
        yield client_session


def make_client(
    session: aiohttp.ClientSession, base_url: str, **options: float | int
) -> ClinicalTrialsClient:
    settings: dict[str, float | int] = {"timeout": 5.0, "page_size": 50, "max_pages": 4, "min_interval": 0}
    settings.update(options)
    return ClinicalTrialsClient(session, base_url, **settings)  # type: ignore[arg-type]


async def test_sends_the_documented_query(
    registry: FakeClinicalTrials, session: aiohttp.ClientSession
) -> None:
    client = make_client(session, registry.base_url)
    await client.fetch_studies(TrialQuery())
    (request,) = registry.study_requests
    params = request.params
    assert params["query.cond"] == "multiple sclerosis"
    assert " OR " in params["query.intr"] and " or " not in params["query.intr"]
    assert '"stem cell"' in params["query.intr"] and "mesenchymal" in params["query.intr"]
    assert params["filter.overallStatus"] == "RECRUITING|NOT_YET_RECRUITING"
    assert params["fields"].split("|") == list(REQUESTED_FIELDS)
    assert {"NCTId", "BriefTitle", "Phase", "OverallStatus", "ContactsLocationsModule"} <= set(
        REQUESTED_FIELDS
    )
    assert params["pageSize"] == "50"
    assert params["countTotal"] == "true"
    assert "pageToken" not in params
    assert request.user_agent is not None and request.user_agent.startswith("stemcell-bot/")


async def test_parses_every_open_study(registry: FakeClinicalTrials, session: aiohttp.ClientSession) -> None:
    fetched = await make_client(session, registry.base_url).fetch_studies(TrialQuery())
    assert len(fetched.studies) == len(default_studies()) == fetched.total_count
    assert not fetched.truncated
    beat_ms = next(s for s in fetched.studies if s.nct_id == "NCT04047628")
    assert beat_ms.phase_label == "Phase 3"
    assert {site.country for site in beat_ms.sites} == {"United States", "United Kingdom"}
    assert beat_ms.url == "https://clinicaltrials.gov/study/NCT04047628"


async def test_intervention_option_narrows_the_search(
    registry: FakeClinicalTrials, session: aiohttp.ClientSession
) -> None:
    client = make_client(session, registry.base_url)
    hsct = await client.fetch_studies(TrialQuery("hsct"))
    assert {s.nct_id for s in hsct.studies} == {"NCT04047628", "NCT03477500", "NCT09000001"}
    neural = await client.fetch_studies(TrialQuery("neural"))
    assert {s.nct_id for s in neural.studies} == {"NCT03355365", "NCT03269071"}


async def test_follows_page_tokens_with_identical_parameters(
    registry: FakeClinicalTrials, session: aiohttp.ClientSession
) -> None:
    fetched = await make_client(session, registry.base_url, page_size=3).fetch_studies(TrialQuery())
    requests = registry.study_requests
    assert len(requests) == 3  # 8 studies in pages of 3
    assert "pageToken" not in requests[0].params
    assert all("pageToken" in r.params for r in requests[1:])
    without_token = [{k: v for k, v in r.params.items() if k != "pageToken"} for r in requests]
    assert without_token[0] == without_token[1] == without_token[2]
    ids = [s.nct_id for s in fetched.studies]
    assert len(ids) == len(set(ids)) == 8
    assert fetched.total_count == 8 and not fetched.truncated


async def test_pages_are_bounded_and_the_cut_is_reported(
    registry: FakeClinicalTrials, session: aiohttp.ClientSession
) -> None:
    fetched = await make_client(session, registry.base_url, page_size=2, max_pages=2).fetch_studies(
        TrialQuery()
    )
    assert len(registry.study_requests) == 2
    assert len(fetched.studies) == 4
    assert fetched.truncated and fetched.total_count == 8


async def test_server_error_raises_trials_unavailable(
    registry: FakeClinicalTrials, session: aiohttp.ClientSession
) -> None:
    registry.mode = "error"
    with pytest.raises(TrialsUnavailable) as caught:
        await make_client(session, registry.base_url).fetch_studies(TrialQuery())
    assert "500" in caught.value.reason
    assert isinstance(caught.value, UserFacingError)
    assert "clinicaltrials.gov" in caught.value.message.lower()


@pytest.mark.parametrize("status", [503, 429, 404])
async def test_other_error_statuses_raise_trials_unavailable(
    registry: FakeClinicalTrials, session: aiohttp.ClientSession, status: int
) -> None:
    registry.mode = "error"
    registry.error_status = status
    with pytest.raises(TrialsUnavailable, match="reached"):
        await make_client(session, registry.base_url).fetch_studies(TrialQuery())


async def test_a_slow_registry_times_out_quickly(
    registry: FakeClinicalTrials, session: aiohttp.ClientSession
) -> None:
    registry.mode = "slow"
    started = time.monotonic()
    with pytest.raises(TrialsUnavailable) as caught:
        await make_client(session, registry.base_url, timeout=0.3).fetch_studies(TrialQuery())
    assert "in time" in caught.value.reason
    assert time.monotonic() - started < registry.slow_seconds  # gave up well before the server answered


@pytest.mark.parametrize("mode", ["malformed", "bad_shape"])
async def test_a_body_that_is_not_the_api_json_raises_trials_unavailable(
    registry: FakeClinicalTrials, session: aiohttp.ClientSession, mode: str
) -> None:
    registry.mode = mode  # type: ignore[assignment]
    with pytest.raises(TrialsUnavailable):
        await make_client(session, registry.base_url).fetch_studies(TrialQuery())


async def test_a_failure_on_a_later_page_fails_the_whole_fetch(
    registry: FakeClinicalTrials, session: aiohttp.ClientSession
) -> None:
    """Half a list would look complete to members, so a broken page means no fresh answer."""
    registry.mode = "error"
    registry.healthy_requests = 1
    with pytest.raises(TrialsUnavailable):
        await make_client(session, registry.base_url, page_size=3).fetch_studies(TrialQuery())
    assert len(registry.study_requests) == 2


async def test_connection_refused_raises_trials_unavailable(session: aiohttp.ClientSession) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # Nothing listens on the port any more.
    with pytest.raises(TrialsUnavailable) as caught:
        await make_client(session, f"http://127.0.0.1:{port}/api/v2").fetch_studies(TrialQuery())
    assert "connection" in caught.value.reason


async def test_requests_are_spaced_out_politely(
    registry: FakeClinicalTrials, session: aiohttp.ClientSession
) -> None:
    client = make_client(session, registry.base_url, page_size=3, min_interval=0.2)
    started = time.monotonic()
    await client.fetch_studies(TrialQuery())
    assert len(registry.study_requests) == 3
    assert time.monotonic() - started >= 0.4  # two gaps of at least 0.2 s between three requests


def test_bad_construction_is_refused() -> None:
    with pytest.raises(ValueError):
        ClinicalTrialsClient(None, "http://x", page_size=0)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        ClinicalTrialsClient(None, "http://x", max_pages=0)  # type: ignore[arg-type]
