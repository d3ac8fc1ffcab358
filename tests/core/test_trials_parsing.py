"""Parsing registry JSON into studies, labels, queries and the cache's JSON round trip."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fake_clinicaltrials import default_studies

from bot.core.trials.interventions import INTERVENTION_OPTIONS
from bot.core.trials.models import (
    Contact,
    FetchedStudies,
    GeoPoint,
    Site,
    SiteAccess,
    Study,
    TrialQuery,
    describe_age,
    describe_distance,
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
    assert chicago.label == "Example University Hospital, Chicago, Illinois, United States"
    assert london.label == "Example Hospital, London, United Kingdom"
    assert study.study_type is None and study.central_contacts == ()


def test_study_type_and_contacts_are_read_from_their_modules() -> None:
    raw = {
        "protocolSection": {
            "identificationModule": {"nctId": "NCT01234567", "briefTitle": "T"},
            "designModule": {"studyType": "OBSERVATIONAL"},
            "contactsLocationsModule": {
                "centralContacts": [
                    {"role": "CONTACT"},  # nothing to show: dropped
                    {"name": "Dr A", "role": "CONTACT", "phone": "555-0100", "phoneExt": "12"},
                    {"name": "B", "email": "b@example.org"},
                ],
                "locations": [
                    {"city": "Oslo", "contacts": [{"name": "Site nurse", "email": "oslo@example.org"}]},
                    {"city": "Bergen", "contacts": "not a list"},
                ],
            },
        }
    }
    study = parse_study(raw)
    assert study is not None
    assert study.study_type == "OBSERVATIONAL" and study.is_observational
    assert study.central_contacts == (
        Contact(name="Dr A", phone="555-0100", phone_ext="12"),
        Contact(name="B", email="b@example.org"),
    )
    assert study.contact == Contact(name="Dr A", phone="555-0100", phone_ext="12")
    assert study.contact.parts == ("Dr A", "555-0100 ext. 12")
    assert study.sites[0].contact == Contact(name="Site nurse", email="oslo@example.org")
    assert study.sites[1].contact is None


def test_a_contact_with_a_way_to_reach_them_comes_before_a_bare_name() -> None:
    study = Study(
        nct_id="NCT01234567",
        title="T",
        central_contacts=(Contact(name="Only a name"), Contact(name="C", email="c@example.org")),
    )
    assert study.contact == Contact(name="C", email="c@example.org")
    assert Study(nct_id="NCT01234567", title="T", central_contacts=(Contact(name="N"),)).contact == Contact(
        name="N"
    )


@pytest.mark.parametrize(
    ("status", "access"),
    [
        (None, SiteAccess.OPEN),
        ("RECRUITING", SiteAccess.OPEN),
        ("NOT_YET_RECRUITING", SiteAccess.OPEN),
        ("ENROLLING_BY_INVITATION", SiteAccess.BY_INVITATION),
        ("AVAILABLE", SiteAccess.EXPANDED_ACCESS),
        ("WITHDRAWN", SiteAccess.CLOSED),
        ("ACTIVE_NOT_RECRUITING", SiteAccess.CLOSED),
        ("SOMETHING_NEW", SiteAccess.CLOSED),  # never assumed open
    ],
)
def test_each_site_status_is_decided_deliberately(status: str | None, access: SiteAccess) -> None:
    site = Site(facility=None, city="X", state=None, country=None, status=status, point=None)
    assert site.access is access
    assert site.accepts_participants is (access is SiteAccess.OPEN)


@pytest.mark.parametrize(
    ("study_type", "phases", "default", "with_observational", "label"),
    [
        ("INTERVENTIONAL", ("PHASE2",), True, True, "Phase 2"),
        ("OBSERVATIONAL", (), False, True, "Observational study (the study itself assigns no treatment)"),
        ("EXPANDED_ACCESS", (), False, False, "Expanded access"),
        (None, (), True, True, "Study type not given"),
        (None, ("PHASE1",), True, True, "Phase 1, study type not given"),
    ],
)
def test_study_types_decide_the_list_and_the_label(
    study_type: str | None, phases: tuple[str, ...], default: bool, with_observational: bool, label: str
) -> None:
    study = Study(nct_id="NCT01234567", title="T", study_type=study_type, phases=phases)
    assert study.shown_by_default() is default
    assert study.shown_with_observational() is with_observational
    assert study.design_label == label


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
    assert any(s.central_contacts for s in studies) and any(site.contact for s in studies for site in s.sites)
    assert {s.study_type for s in studies} == {"INTERVENTIONAL", "OBSERVATIONAL", None}
    fetched = FetchedStudies(studies=studies, total_count=8, truncated=True)
    assert FetchedStudies.from_json(fetched.to_json()) == fetched


@pytest.mark.parametrize(
    "payload",
    [
        '{"version": 999, "studies": []}',
        '{"version": 2}',
        # The first format, saved before study types and contacts: a miss, fetched again.
        '{"version": 1, "studies": []}',
        "[]",
        "not json",
    ],
)
def test_unreadable_cache_payload_raises_value_error(payload: str) -> None:
    with pytest.raises(ValueError):
        FetchedStudies.from_json(payload)


def test_query_normalises_its_intervention_and_key() -> None:
    assert '"multiple sclerosis"' in TrialQuery().cache_key
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


def test_under_ten_km_a_site_is_in_its_city() -> None:
    """Coordinates are city centres: every Portland site is "0.0 km" from Portland, so say "in Portland"."""
    assert describe_distance(0.0, "Portland") == "in Portland"
    assert describe_distance(9.9, "Evanston") == "in Evanston"
    assert describe_distance(9.9, None) == "under 10 km (6 mi)"
    assert describe_distance(10.0, "Evanston") == "10 km (6 mi)"


def test_distance_and_age_labels() -> None:
    assert format_distance(0.5) == "0.5 km (0.3 mi)"
    assert format_distance(1609.344) == "1,609 km (1,000 mi)"
    assert describe_age(timedelta(seconds=20)) == "less than a minute"
    assert describe_age(timedelta(minutes=1)) == "1 minute"
    assert describe_age(timedelta(hours=7, minutes=5)) == "7 hours"
    assert describe_age(timedelta(days=3)) == "3 days"
