"""Rendering one page of /trials results, and the page state that button custom ids carry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fake_clinicaltrials import default_studies

from bot.core.limits import CUSTOM_ID_CHARS
from bot.core.trials.models import GeoPoint, Place, TrialQuery, TrialResults
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


def results(near: Place | None = CHICAGO, *, stale: bool = False, count: int | None = None) -> TrialResults:
    studies = parse_studies_page({"studies": default_studies()}).studies[:count]
    return TrialResults(
        query=TrialQuery("any"),
        entries=rank_studies(studies, near.point if near else None),
        fetched_at=FETCHED_AT,
        age=timedelta(hours=7) if stale else timedelta(minutes=3),
        stale=stale,
        near=near,
    )


def test_a_page_lists_five_studies_with_links_phase_and_distance() -> None:
    page = render_trials_page(results(), 0)
    embed = page.embed
    assert page.page_count == 2 and page.page_label == "Page 1 of 2"
    assert page.has_next and not page.has_previous
    assert len(embed.fields) == 5
    first = embed.fields[0]
    assert first.name == "1. NCT04047628 (BEAT-MS)"
    assert "(https://clinicaltrials.gov/study/NCT04047628)" in first.value
    assert "Phase 3" in first.value and "Chicago" in first.value and " km (" in first.value
    assert "Chicago, Illinois, United States" in embed.title
    assert "not medical advice" in embed.footer and "fetched 3 minutes ago" in embed.footer
    assert embed.limit_problems() == []


def test_last_page_numbers_continue_and_unlocated_studies_say_so() -> None:
    page = render_trials_page(results(), 1)
    assert page.has_previous and not page.has_next
    assert page.embed.fields[0].name.startswith("6. ")
    assert "no open site with a known location" in page.embed.fields[-1].value


def test_a_page_past_the_end_is_clamped() -> None:
    assert render_trials_page(results(), 99).page == 1
    assert render_trials_page(results(), -3).page == 0


def test_stale_results_carry_the_note_and_age() -> None:
    embed = render_trials_page(results(stale=True), 0).embed
    assert "could not be reached just now" in embed.description and "7 hours ago" in embed.description
    assert "fetched 7 hours ago" in embed.footer


def test_without_a_place_sites_are_listed_instead_of_distances() -> None:
    embed = render_trials_page(results(near=None), 0).embed
    assert "nearest first" not in embed.description
    assert embed.fields[0].value.splitlines()[-1].startswith("Sites: Example University Hospital")


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
    ],
)
def test_page_state_round_trips_through_a_custom_id(state: PageState) -> None:
    prefix = "trials:next:"
    custom_id = state.encode(prefix)
    assert len(custom_id) <= CUSTOM_ID_CHARS
    decoded = PageState.decode(custom_id.removeprefix(prefix))
    assert decoded is not None
    assert (decoded.intervention, decoded.page, decoded.place_label) == (
        state.intervention,
        state.page,
        state.place_label,
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


@pytest.mark.parametrize("text", ["", "any", "any:x", "ANY:1", "any:1:north,south:x"])
def test_page_state_rejects_what_it_did_not_write(text: str) -> None:
    assert PageState.decode(text) is None
