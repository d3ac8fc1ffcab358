"""Rendering one page of /trials results, and the page state that button custom ids carry."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from fake_clinicaltrials import OBSERVATIONAL_STUDY, ms_studies

from bot.core.limits import CUSTOM_ID_CHARS, EMBED_FIELD_VALUE_CHARS, EMBED_TOTAL_CHARS
from bot.core.trials.models import Contact, GeoPoint, Place, Site, Study, TrialQuery, TrialResults
from bot.core.trials.ordering import rank_studies
from bot.core.trials.parsing import parse_studies_page
from bot.core.trials.render import PageState, render_trials_page

CHICAGO = Place(
    name="Chicago",
    country_code="US",
    country="United States",
    point=GeoPoint(41.85003, -87.65005),
    region="Illinois",
)
FETCHED_AT = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


NEWARK_NJ = Place(
    name="Newark",
    country_code="US",
    country="United States",
    point=GeoPoint(40.73566, -74.17237),
    region="New Jersey",
)
MILAN = Place(name="Milan", country_code="IT", country="Italy", point=GeoPoint(45.46427, 9.18951))


def results(
    near: Place | None = CHICAGO,
    *,
    stale: bool = False,
    count: int | None = None,
    observational: bool = False,
    studies: tuple[Study, ...] | None = None,
) -> TrialResults:
    """What the service hands the renderer for the fake registry's MS records (trials only by default)."""
    if studies is None:
        parsed = parse_studies_page({"studies": ms_studies()}).studies
        studies = tuple(s for s in parsed if observational or s.shown_by_default())[:count]
    return TrialResults(
        query=TrialQuery("any"),
        entries=rank_studies(studies, near.point if near else None),
        fetched_at=FETCHED_AT,
        age=timedelta(hours=7) if stale else timedelta(minutes=3),
        stale=stale,
        near=near,
        include_observational=observational,
        hidden_observational=0 if observational else 1,
    )


def field_of(listing: TrialResults, nct_id: str) -> str:
    """The rendered field of one study, on whichever page it falls."""
    for index in range(listing.page_count()):
        for embed_field in render_trials_page(listing, index).embed.fields:
            if nct_id in embed_field.name:
                return embed_field.value
    raise AssertionError(f"{nct_id} is not listed")


def test_a_page_lists_five_studies_with_links_phase_and_distance() -> None:
    page = render_trials_page(results(), 0)
    embed = page.embed
    assert page.page_count == 3 and page.page_label == "Page 1 of 3"
    assert page.has_next and not page.has_previous
    assert len(embed.fields) == 5
    first = embed.fields[0]
    assert first.name == "1. NCT04047628 (BEAT-MS)"
    assert "(https://clinicaltrials.gov/study/NCT04047628)" in first.value
    assert "Phase 3" in first.value
    assert "Example University Hospital, Chicago, Illinois, United States, **in Chicago**" in first.value
    assert " km (" in embed.fields[1].value
    assert "Chicago, Illinois, United States" in embed.title
    assert "not medical advice" in embed.footer and "fetched 3 minutes ago" in embed.footer
    assert embed.limit_problems() == []


def test_last_page_numbers_continue_and_unlocated_studies_say_so() -> None:
    page = render_trials_page(results(), 2)
    assert page.has_previous and not page.has_next
    assert page.embed.fields[0].name.startswith("11. ")
    assert "no open site with a known location" in page.embed.fields[-1].value


def test_a_page_past_the_end_is_clamped() -> None:
    assert render_trials_page(results(), 99).page == 2
    assert render_trials_page(results(), -3).page == 0


def test_stale_results_carry_the_note_and_age() -> None:
    embed = render_trials_page(results(stale=True), 0).embed
    assert "could not be reached just now" in embed.description and "7 hours ago" in embed.description
    assert "fetched 7 hours ago" in embed.footer


def test_without_a_place_sites_are_listed_instead_of_distances() -> None:
    embed = render_trials_page(results(near=None), 0).embed
    assert "nearest first" not in embed.description
    assert embed.fields[0].value.splitlines()[2].startswith("Sites: Example University Hospital, Chicago")
    assert embed.fields[0].value.splitlines()[2].endswith("and 5 more")


def test_a_nearer_invitation_only_site_is_shown_and_labelled_beside_the_open_one() -> None:
    """Near Newark, New Jersey, BEAT-MS's open sites are far; its Newark site takes only people it invites."""
    beat_ms = field_of(results(NEWARK_NJ), "NCT04047628")
    nearest = next(line for line in beat_ms.splitlines() if line.startswith("Nearest site:"))
    assert "Chicago, Illinois" in nearest and "by invitation" not in nearest
    assert (
        "Closer: Example Invitation Center, Newark, New Jersey, United States, **in Newark** "
        "(by invitation only)" in beat_ms
    )


def test_an_expanded_access_site_is_never_the_nearest_site() -> None:
    """In Milan, NCT09000009 offers treatment outside the trial; the trial itself is joined in Rome."""
    value = field_of(results(MILAN), "NCT09000009")
    assert "Nearest site: Example Neurology Hospital, Rome, Italy, **" in value
    assert "Milan" not in value
    assert "Sites: Example Neurology Hospital, Rome" in field_of(results(None), "NCT09000009")


def test_contacts_are_plain_text_with_markdown_made_inert() -> None:
    beat_ms = field_of(results(), "NCT04047628")
    assert "Contact: BEAT-MS Study Coordinator · beat-ms@example.org · +1 555 0100" in beat_ms
    assert "Site contact: Chicago Site Nurse · chicago\\_site@example.org" in beat_ms  # "_" would italicise
    assert "mailto:" not in beat_ms
    rome = field_of(results(MILAN), "NCT09000009")
    assert "Contact: see the [study page](https://clinicaltrials.gov/study/NCT09000009)" in rome


def test_observational_studies_are_hidden_by_default_and_labelled_when_asked_for() -> None:
    default = render_trials_page(results(), 0).embed
    assert "1 observational study" in default.description and "`observational: True`" in default.description
    assert "trials" in default.title and "observational" not in default.title
    everything = results(observational=True)
    assert "Observational study (the study itself assigns no treatment) · Recruiting" in field_of(
        everything, OBSERVATIONAL_STUDY
    )
    page = render_trials_page(everything, 0).embed
    assert "observational studies" in page.title and "not shown" not in page.description


def test_the_longest_registry_text_still_fits_discords_limits() -> None:
    """Five studies with every text at its longest and full of markdown: fields and the page still fit."""
    long = "*_[x]_* " * 200
    site = Site(
        facility=long,
        city=long,
        state=long,
        country=long,
        status="RECRUITING",
        point=CHICAGO.point,
        contact=Contact(name=long, phone=long, email=long),
    )
    invited = dataclasses.replace(site, status="ENROLLING_BY_INVITATION", point=GeoPoint(41.85, -87.65))
    far = dataclasses.replace(site, point=GeoPoint(47.6, -122.3), contact=Contact(name="Other", email=long))
    study = Study(
        nct_id="NCT01234567",
        title=long,
        acronym=long,
        sites=(far, invited),
        study_type="INTERVENTIONAL",
        central_contacts=(Contact(name=long, email=long, phone=long),),
    )
    page = render_trials_page(results(studies=tuple(study for _ in range(5)), stale=True), 0)
    assert page.embed.limit_problems() == []
    assert page.embed.total_length() <= EMBED_TOTAL_CHARS
    assert all(len(f.value) <= EMBED_FIELD_VALUE_CHARS for f in page.embed.fields)
    assert all("Contact:" in f.value for f in page.embed.fields)


def test_no_results_say_where_else_to_look() -> None:
    page = render_trials_page(results(count=0), 0)
    assert page.page_count == 1 and page.embed.fields == ()
    assert "No recruiting" in page.embed.description and "clinicaltrials.gov" in page.embed.description


@pytest.mark.parametrize(
    "state",
    [
        PageState("any", 0),
        PageState("hsct", 3, GeoPoint(59.85882, 17.63889), "Uppsala, Sweden"),
        PageState("mesenchymal", 12, GeoPoint(-33.8688, 151.2093), "Sydney, Australia"),
        PageState(
            "neural", 2, GeoPoint(42.98339, -81.23304), "London, Ontario, Canada", include_observational=True
        ),
        PageState("any", 1, include_observational=True),
    ],
)
def test_page_state_round_trips_through_a_custom_id(state: PageState) -> None:
    prefix = "trials:next:"
    custom_id = state.encode(prefix)
    assert len(custom_id) <= CUSTOM_ID_CHARS
    decoded = PageState.decode(custom_id.removeprefix(prefix))
    assert decoded is not None
    assert (decoded.intervention, decoded.page, decoded.place_label, decoded.include_observational) == (
        state.intervention,
        state.page,
        state.place_label,
        state.include_observational,
    )
    if state.point is None:
        assert decoded.point is None and decoded.place is None
    else:
        assert decoded.point is not None and decoded.place is not None
        assert decoded.point.distance_km(state.point) < 0.2
        assert decoded.place.label == state.place_label


def test_a_long_place_label_is_cut_to_fit_the_custom_id() -> None:
    state = PageState("mesenchymal", 9999, GeoPoint(-45.123456, -170.987654), "Somewhere " * 20)
    custom_id = state.encode("trials:prev:")
    assert len(custom_id) == CUSTOM_ID_CHARS and custom_id.endswith("…")
    decoded = PageState.decode(custom_id.removeprefix("trials:prev:"))
    assert decoded is not None and decoded.page == 9999


def test_a_button_sent_before_study_types_still_works() -> None:
    """Custom ids written before the observational option have no flag: the default list."""
    decoded = PageState.decode("hsct:1:59.859,17.639:Uppsala, Sweden")
    assert decoded is not None and not decoded.include_observational and decoded.page == 1


@pytest.mark.parametrize("text", ["", "any", "any:x", "ANY:1", "any:1:north,south:x", "any+ob:1", "any+obs"])
def test_page_state_rejects_what_it_did_not_write(text: str) -> None:
    assert PageState.decode(text) is None
