"""The ClinicalTrials.gov client against the local fake registry: requests, pages and failures."""

from __future__ import annotations

import socket
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest
from fake_clinicaltrials import (
    ALS_STUDY,
    OBSERVATIONAL_STUDY,
    BadRequest,
    FakeClinicalTrials,
    ms_studies,
)

from bot.core.trials.client import REQUESTED_FIELDS, ClinicalTrialsClient, TrialsUnavailable
from bot.core.trials.interventions import INTERVENTION_OPTIONS
from bot.core.trials.models import OBSERVATIONAL, Contact, TrialQuery
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
    assert params["query.cond"] == '"multiple sclerosis"', "quoted, so the words are matched together"
    assert " OR " in params["query.intr"] and " or " not in params["query.intr"]
    assert '"stem cell"' in params["query.intr"] and "mesenchymal" in params["query.intr"]
    assert params["filter.overallStatus"] == "RECRUITING|NOT_YET_RECRUITING"
    assert params["fields"].split("|") == list(REQUESTED_FIELDS)
    assert {"NCTId", "BriefTitle", "Phase", "StudyType", "OverallStatus", "ContactsLocationsModule"} <= set(
        REQUESTED_FIELDS
    )
    assert registry.refusals == []
    assert params["pageSize"] == "50"
    assert params["countTotal"] == "true"
    assert "pageToken" not in params
    assert request.user_agent is not None and request.user_agent.startswith("stemcell-bot/")


async def test_parses_every_open_study(registry: FakeClinicalTrials, session: aiohttp.ClientSession) -> None:
    fetched = await make_client(session, registry.base_url).fetch_studies(TrialQuery())
    assert len(fetched.studies) == len(ms_studies()) == fetched.total_count
    assert not fetched.truncated
    beat_ms = next(s for s in fetched.studies if s.nct_id == "NCT04047628")
    assert beat_ms.phase_label == "Phase 3"
    assert {site.country for site in beat_ms.sites} == {"United States", "United Kingdom"}
    assert beat_ms.url == "https://clinicaltrials.gov/study/NCT04047628"


async def test_the_quoted_condition_leaves_out_studies_that_only_mention_its_words_apart(
    registry: FakeClinicalTrials, session: aiohttp.ClientSession
) -> None:
    """An ALS study titled "Multiple ascending doses" matches `multiple sclerosis` unquoted, not quoted."""
    fetched = await make_client(session, registry.base_url).fetch_studies(TrialQuery())
    assert ALS_STUDY not in {s.nct_id for s in fetched.studies}
    relaxed = registry.answer(
        {
            "query.cond": "multiple sclerosis",
            "query.intr": TrialQuery().intervention_expression,
            "pageSize": "50",
        }
    )
    assert ALS_STUDY in [s["protocolSection"]["identificationModule"]["nctId"] for s in relaxed["studies"]]


async def test_the_study_type_is_requested_and_parsed(
    registry: FakeClinicalTrials, session: aiohttp.ClientSession
) -> None:
    fetched = await make_client(session, registry.base_url).fetch_studies(TrialQuery())
    types = {s.nct_id: s.study_type for s in fetched.studies}
    assert types[OBSERVATIONAL_STUDY] == OBSERVATIONAL
    assert types["NCT04047628"] == "INTERVENTIONAL"
    assert types["NCT09000002"] is None  # the record has no design module at all


async def test_contacts_are_parsed_from_the_locations_module(
    registry: FakeClinicalTrials, session: aiohttp.ClientSession
) -> None:
    fetched = await make_client(session, registry.base_url).fetch_studies(TrialQuery())
    studies = {s.nct_id: s for s in fetched.studies}
    beat_ms = studies["NCT04047628"]
    assert beat_ms.central_contacts == (
        Contact(name="BEAT-MS Study Coordinator", phone="+1 555 0100", email="beat-ms@example.org"),
    )
    chicago = next(site for site in beat_ms.sites if site.city == "Chicago")
    assert chicago.contact == Contact(name="Chicago Site Nurse", email="chicago_site@example.org")
    assert studies["NCT09000005"].contact == Contact(phone="+1 555 0199", phone_ext="42")
    assert studies["NCT09000004"].contact is None


@pytest.mark.parametrize(
    ("intervention", "expected"),
    [
        # "haemopoietic" (NCT09000001) and "bone marrow transplantation" (NCT09000005) are found too;
        # the observational follow-up study is fetched (it is filtered later, where members choose).
        ("hsct", {"NCT04047628", "NCT03477500", "NCT09000001", "NCT09000005", OBSERVATIONAL_STUDY}),
        # "stromal cells" alone (NCT09000006) counts as mesenchymal wording.
        ("mesenchymal", {"NCT03355365", "NCT09000002", "NCT09000003", "NCT09000004", "NCT09000006"}),
        # Neural stem cells written in the plural or as hNSCs (NCT09000009); never the ALS study.
        ("neural", {"NCT03355365", "NCT03269071", "NCT09000009"}),
    ],
)
async def test_intervention_option_narrows_the_search(
    registry: FakeClinicalTrials, session: aiohttp.ClientSession, intervention: str, expected: set[str]
) -> None:
    fetched = await make_client(session, registry.base_url).fetch_studies(TrialQuery(intervention))
    assert {s.nct_id for s in fetched.studies} == expected


def test_the_old_terms_missed_what_the_new_ones_find(registry: FakeClinicalTrials) -> None:
    """The fake matches whole words as written, so the widened terms are what finds these studies."""
    old_hsct = '(hematopoietic OR haematopoietic OR HSCT OR AHSCT OR "stem cell transplant")'
    old_neural = '("neural stem cell" OR "neural progenitor" OR "neural precursor")'
    found = {
        name: {
            s["protocolSection"]["identificationModule"]["nctId"]
            for s in registry.answer({"query.cond": '"multiple sclerosis"', "query.intr": expression})[
                "studies"
            ]
        }
        for name, expression in [("hsct", old_hsct), ("neural", old_neural)]
    }
    assert not {"NCT09000001", "NCT09000005"} & found["hsct"]
    assert "NCT09000009" not in found["neural"]


@pytest.mark.parametrize(
    "params",
    [
        {"filter.studyType": "INTERVENTIONAL"},  # not a parameter of the API
        {"query.cond": "x", "fields": "NCTId|StudyTypes"},  # not a field name
        {"filter.overallStatus": "OPEN"},  # not a status
        {"sort": "Title:asc"},
    ],
)
def test_the_fake_refuses_what_the_registry_refuses(
    registry: FakeClinicalTrials, params: dict[str, str]
) -> None:
    with pytest.raises(BadRequest):
        registry.answer(params)


async def test_every_option_sends_only_what_the_registry_accepts(
    registry: FakeClinicalTrials, session: aiohttp.ClientSession
) -> None:
    client = make_client(session, registry.base_url, page_size=3)
    for option in INTERVENTION_OPTIONS:
        await client.fetch_studies(TrialQuery(option.key))
    assert registry.refusals == []


async def test_a_refused_request_is_reported_as_unavailable(
    registry: FakeClinicalTrials, session: aiohttp.ClientSession
) -> None:
    """What a 400 looks like from the client's side: no crash, one member-facing error."""
    client = make_client(session, registry.base_url)
    client.build_params = lambda query: {"filter.studyType": "INTERVENTIONAL"}  # type: ignore[method-assign]
    with pytest.raises(TrialsUnavailable) as caught:
        await client.fetch_studies(TrialQuery())
    assert "400" in caught.value.reason
    assert registry.refusals == ["unknown parameter(s): filter.studyType"]


async def test_follows_page_tokens_with_identical_parameters(
    registry: FakeClinicalTrials, session: aiohttp.ClientSession
) -> None:
    fetched = await make_client(session, registry.base_url, page_size=3).fetch_studies(TrialQuery())
    requests = registry.study_requests
    assert len(requests) == 4  # 12 studies in pages of 3
    assert "pageToken" not in requests[0].params
    assert all("pageToken" in r.params for r in requests[1:])
    without_token = [{k: v for k, v in r.params.items() if k != "pageToken"} for r in requests]
    assert without_token[0] == without_token[1] == without_token[2] == without_token[3]
    ids = [s.nct_id for s in fetched.studies]
    assert len(ids) == len(set(ids)) == 12
    assert fetched.total_count == 12 and not fetched.truncated


async def test_pages_are_bounded_and_the_cut_is_reported(
    registry: FakeClinicalTrials, session: aiohttp.ClientSession
) -> None:
    fetched = await make_client(session, registry.base_url, page_size=2, max_pages=2).fetch_studies(
        TrialQuery()
    )
    assert len(registry.study_requests) == 2
    assert len(fetched.studies) == 4
    assert fetched.truncated and fetched.total_count == 12


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
    assert len(registry.study_requests) == 4
    assert time.monotonic() - started >= 0.6  # three gaps of at least 0.2 s between four requests


def test_bad_construction_is_refused() -> None:
    with pytest.raises(ValueError):
        ClinicalTrialsClient(None, "http://x", page_size=0)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        ClinicalTrialsClient(None, "http://x", max_pages=0)  # type: ignore[arg-type]
