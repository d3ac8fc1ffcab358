"""Parsing registry JSON into studies, labels, queries and the cache's JSON round trip."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fake_clinicaltrials import default_studies

from bot.core.trials.interventions import INTERVENTION_OPTIONS
from bot.core.trials.models import (
    FetchedStudies,
    GeoPoint,
    Site,
    Study,
    TrialQuery,
    describe_age,
    format_distance,
    phase_label,
    status_label,
)
from bot.core.trials.parsing import MalformedResponse, parse_studies_page, parse_study
from bot.errors import InvalidInput, UserFacingError

# The worked example from the project's API notes, in the registry's own shape.
BEAT_MS_RESPONSE: dict[str, Any] = {
    "totalCount": 1,
    "studies": [
        {
            "protocolSection": {
                "identificationModule": {
                    "nctId": "NCT04047628",
                    "briefTitle": "Best Available Therapy Versus Autologous Hematopoetic Stem Cell "
                    "Transplant for Multiple Sclerosis (BEAT-MS)",
                    "acronym": "BEAT-MS",
                },
                "statusModule": {
                    "overallStatus": "RECRUITING",
                    "lastUpdatePostDateStruct": {"date": "2024-01-26"},
                },
                "designModule": {"phases": ["PHASE3"], "enrollmentInfo": {"count": 156}},
                "contactsLocationsModule": {
                    "locations": [
                        {
                            "facility": "Example University Hospital",
                            "status": "RECRUITING",
                            "city": "Chicago",
                            "state": "Illinois",
                            "country": "United States",
                            "geoPoint": {"lat": 41.85003, "lon": -87.65005},
                        },
                        {
                            "facility": "Example Hospital",
                            "status": "NOT_YET_RECRUITING",
                            "city": "London",
                            "country": "United Kingdom",
                            "geoPoint": {"lat": 51.50853, "lon": -0.12574},
                        },
                    ]
                },
            },
            "hasResults": False,
        }
    ],
}


def test_documented_example_parses_into_a_study_with_sites_and_link() -> None:
    page = parse_studies_page(BEAT_MS_RESPONSE)
    assert page.total_count == 1 and page.next_page_token is None
    (study,) = page.studies
    assert study.nct_id == "NCT04047628"
    assert study.acronym == "BEAT-MS"
    assert study.status == "RECRUITING" and study.status_label == "Recruiting"
    assert study.phases == ("PHASE3",) and study.phase_label == "Phase 3"
    assert study.last_update == "2024-01-26"
    assert study.url == "https://clinicaltrials.gov/study/NCT04047628"
    chicago, london = study.sites
    assert chicago == Site(
        facility="Example University Hospital",
        city="Chicago",
        state="Illinois",
        country="United States",
        status="RECRUITING",
        point=GeoPoint(41.85003, -87.65005),
    )
    assert london.status == "NOT_YET_RECRUITING" and london.state is None
    assert chicago.label == "Example University Hospital, Chicago, United States"


def test_missing_modules_give_empty_values_not_errors() -> None:
    study = parse_study({"protocolSection": {"identificationModule": {"nctId": "NCT01234567"}}})
    assert study == Study(nct_id="NCT01234567", title="NCT01234567")
    assert study.phase_label == "Phase not given"
    assert study.status_label == "Status not given"


def test_site_without_geopoint_is_kept_without_coordinates() -> None:
    raw = {
        "protocolSection": {
            "identificationModule": {"nctId": "NCT01234567", "briefTitle": "T"},
            "contactsLocationsModule": {
                "locations": [{"facility": "Clinic", "city": "Oslo", "country": "Norway"}]
            },
        }
    }
    study = parse_study(raw)
    assert study is not None
    (site,) = study.sites
    assert site.point is None and site.city == "Oslo"
    assert site.accepts_participants  # no status given: assume open


@pytest.mark.parametrize(
    "geo_point",
    [
        {"lat": "41.8", "lon": "-87.6"},
        {"lat": 141.0, "lon": 10.0},
        {"lat": True, "lon": 10.0},
        {"lat": 41.8},
        [41.8, -87.6],
        None,
    ],
)
def test_nonsense_coordinates_are_dropped(geo_point: Any) -> None:
    raw = {
        "protocolSection": {
            "identificationModule": {"nctId": "NCT01234567"},
            "contactsLocationsModule": {"locations": [{"city": "X", "geoPoint": geo_point}]},
        }
    }
    study = parse_study(raw)
    assert study is not None and study.sites[0].point is None


def test_records_without_an_nct_number_are_skipped() -> None:
    page = parse_studies_page(
        {"studies": [{"protocolSection": {}}, "junk", BEAT_MS_RESPONSE["studies"][0]], "nextPageToken": "abc"}
    )
    assert [s.nct_id for s in page.studies] == ["NCT04047628"]
    assert page.next_page_token == "abc"
    assert page.total_count is None


def test_wrong_types_inside_a_record_do_not_break_it() -> None:
    raw = {
        "protocolSection": {
            "identificationModule": {"nctId": " NCT01234567 ", "briefTitle": 42},
            "statusModule": "RECRUITING",
            "designModule": {"phases": "PHASE2"},
            "contactsLocationsModule": {"locations": ["not a site", {"facility": "  "}]},
        }
    }
    study = parse_study(raw)
    assert study is not None
    assert study.nct_id == "NCT01234567" and study.title == "NCT01234567"
    assert study.status is None and study.phases == ()
    assert len(study.sites) == 1 and study.sites[0].label == "Location not given"


@pytest.mark.parametrize("payload", [[], "studies", None, {"studies": {"a": 1}}])
def test_a_body_of_the_wrong_shape_is_rejected(payload: Any) -> None:
    with pytest.raises(MalformedResponse):
        parse_studies_page(payload)


def test_every_fake_record_parses() -> None:
    page = parse_studies_page({"studies": default_studies()})
    assert len(page.studies) == len(default_studies())
    assert all(s.title and s.nct_id.startswith("NCT") for s in page.studies)


@pytest.mark.parametrize(
    ("phases", "label"),
    [
        (("PHASE1", "PHASE2"), "Phase 1/2"),
        (("PHASE2",), "Phase 2"),
        (("EARLY_PHASE1",), "Early phase 1"),
        (("NA",), "Phase not applicable"),
        ((), "Phase not given"),
    ],
)
def test_phase_labels_are_readable(phases: tuple[str, ...], label: str) -> None:
    assert phase_label(phases) == label


def test_status_label() -> None:
    assert status_label("NOT_YET_RECRUITING") == "Not yet recruiting"


def test_fetched_studies_survive_the_cache_json_round_trip() -> None:
    studies = parse_studies_page({"studies": default_studies()}).studies
    fetched = FetchedStudies(studies=studies, total_count=8, truncated=True)
    assert FetchedStudies.from_json(fetched.to_json()) == fetched


@pytest.mark.parametrize("payload", ['{"version": 999, "studies": []}', '{"version": 1}', "[]", "not json"])
def test_unreadable_cache_payload_raises_value_error(payload: str) -> None:
    with pytest.raises(ValueError):
        FetchedStudies.from_json(payload)


def test_query_normalises_its_intervention_and_key() -> None:
    assert TrialQuery(" HSCT ").intervention == "hsct"
    assert TrialQuery("HSCT").cache_key == TrialQuery("hsct").cache_key
    assert TrialQuery().cache_key != TrialQuery("mesenchymal").cache_key
    assert TrialQuery().intervention == "any"


def test_unknown_intervention_is_a_member_facing_error() -> None:
    with pytest.raises(InvalidInput) as caught:
        TrialQuery("snake oil")
    assert isinstance(caught.value, UserFacingError)
    assert "hsct" in caught.value.message


@pytest.mark.parametrize("option", INTERVENTION_OPTIONS, ids=lambda o: o.key)
def test_intervention_expressions_use_upper_case_essie_operators(option: Any) -> None:
    words = option.expression.replace("(", " ").replace(")", " ").split()
    assert "or" not in words and "and" not in words
    assert option.expression.count('"') % 2 == 0


def test_distance_and_age_labels() -> None:
    assert format_distance(0.5) == "0.5 km (0.3 mi)"
    assert format_distance(1609.344) == "1,609 km (1,000 mi)"
    assert describe_age(timedelta(seconds=20)) == "less than a minute"
    assert describe_age(timedelta(minutes=1)) == "1 minute"
    assert describe_age(timedelta(hours=7, minutes=5)) == "7 hours"
    assert describe_age(timedelta(days=3)) == "3 days"
