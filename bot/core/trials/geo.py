"""Offline place names for /trials near:<place>, read from the compact place index on disk.

The index (`bot.core.trials.places`) is built once from the packaged GeoNames data, at first use,
and kept by a `PlaceStore` (the database); a look-up is then a few indexed queries, so the bot
neither loads the 17 MB source at start nor keeps it in memory. Only the ~330 countries, states
and provinces are held in memory, from the first look-up on.

Resolution order for a name: a country ("Sweden", "UK"), then a US state, Canadian province or
Australian state ("Oregon", "Ontario"), then a city. Among cities, a city's own (main) name always
beats an alternate spelling of another city, and only then does the biggest city win: GeoNames
lists "Cancun" among Changchun's alternate names, and a big city's alternate name must not hide a
real city of that name. Alternate names (exonyms, names without accents: "München", "Calcutta")
are used only when no city has the name as its main one; so "Calcutta" alone finds Calcutta, South
Africa, and "Calcutta, India" finds Kolkata. Countries stand at their capital or biggest city,
states and provinces at their biggest city. A trailing qualifier (a country, a state or province,
or their codes) narrows a city: "Uppsala, Sweden", "London UK", "Portland, Maine", "London, ON".
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.core import limits
from bot.core.clock import Clock
from bot.core.trials.models import GeoPoint, Place
from bot.core.trials.places import (
    CityRecord,
    PlaceIndex,
    RegionRecord,
    fold,
    index_source,
    read_geonames,
)
from bot.errors import InvalidInput

log = logging.getLogger(__name__)

MAX_SUGGESTIONS = limits.AUTOCOMPLETE_CHOICES
FUZZY_SCORE_CUTOFF = 75.0

# Everyday names that GeoNames does not list as country names.
COUNTRY_ALIASES: Mapping[str, str] = {
    "uk": "GB",
    "u k": "GB",
    "britain": "GB",
    "great britain": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "northern ireland": "GB",
    "us": "US",
    "usa": "US",
    "u s": "US",
    "u s a": "US",
    "america": "US",
    "united states of america": "US",
    "holland": "NL",
    "the netherlands": "NL",
    "czech republic": "CZ",
    "south korea": "KR",
    "korea": "KR",
    "russia": "RU",
}

__all__ = ["Gazetteer", "PlaceStore", "UnknownPlace", "fold"]

# A qualifier narrows to these (country code, region code or None for any region) pairs.
_Scope = frozenset[tuple[str, str | None]]


class PlaceStore(Protocol):
    """Where the index is kept (`bot.db.repositories.places` on SQLite)."""

    async def index_source(self) -> str | None:
        """What the stored index was built from, or None when nothing is stored yet."""
        ...

    async def replace_index(self, index: PlaceIndex, source: str, built_at: datetime) -> None: ...

    async def regions(self) -> list[RegionRecord]: ...

    async def cities_named(self, name_key: str) -> list[CityRecord]: ...

    async def cities_also_named(self, name_key: str) -> list[CityRecord]: ...

    async def cities_by_label_prefix(self, prefix: str, limit: int) -> list[CityRecord]: ...

    async def names_like(self, initial: str, min_length: int, max_length: int) -> list[tuple[str, int, int]]:
        """(folded name, city id, population) of every city whose name starts with `initial` and whose
        length lies in the range."""
        ...

    async def cities_by_id(self, ids: list[int]) -> list[CityRecord]: ...


class UnknownPlace(InvalidInput):
    """A place name the gazetteer cannot find; carries the suggestions shown to the member."""

    def __init__(self, text: str, suggestions: list[Place]) -> None:
        message = f"I couldn't find a place called '{text[:100]}'."
        if suggestions:
            message += " Did you mean " + "; ".join(place.label for place in suggestions) + "?"
        else:
            message += " Try a city name, optionally with its country, such as 'Uppsala, Sweden'."
        super().__init__(message)
        self.suggestions = suggestions


@dataclass(frozen=True)
class _Regions:
    """Countries, states and provinces, with the names that find them alone or after a comma."""

    countries: Mapping[str, RegionRecord]  # by country code
    states: Mapping[tuple[str, str], RegionRecord]  # by (country code, region code)
    country_by_name: Mapping[str, str]  # names that stand alone as a place
    country_qualifiers: Mapping[str, str]  # also two-letter codes, after a comma
    state_by_name: Mapping[str, tuple[str, str]]
    state_qualifiers: Mapping[str, frozenset[tuple[str, str]]]  # "wa": Washington and Western Australia

    @classmethod
    def of(cls, records: list[RegionRecord]) -> _Regions:
        countries = {r.country_code: r for r in records if r.is_country}
        states = {(r.country_code, r.region_code): r for r in records if not r.is_country}
        country_by_name: dict[str, str] = {}
        for code, country in countries.items():
            country_by_name[fold(country.name)] = code
            if country.abbreviation:
                country_by_name[fold(country.abbreviation)] = code
        for alias, code in COUNTRY_ALIASES.items():
            if code in countries:
                country_by_name[alias] = code
        state_by_name = {fold(state.name): key for key, state in states.items()}
        state_qualifiers: dict[str, set[tuple[str, str]]] = {}
        for key, state in states.items():
            for name in (state.name, state.abbreviation or ""):
                if folded := fold(name):
                    state_qualifiers.setdefault(folded, set()).add(key)
        return cls(
            countries=countries,
            states=states,
            country_by_name=country_by_name,
            country_qualifiers={**country_by_name, **{code.lower(): code for code in countries}},
            state_by_name=state_by_name,
            state_qualifiers={name: frozenset(keys) for name, keys in state_qualifiers.items()},
        )


class Gazetteer:
    """Resolves place names to coordinates and suggests names as members type."""

    def __init__(
        self,
        store: PlaceStore,
        clock: Clock,
        *,
        source: Callable[[], PlaceIndex] = read_geonames,
        source_id: Callable[[], str] = index_source,
    ) -> None:
        self._store = store
        self._clock = clock
        self._source = source
        self._source_id = source_id
        self._regions: _Regions | None = None
        self._wanted_source: str | None = None
        self._ready_lock = asyncio.Lock()

    # ---------------------------------------------------------------- the index

    async def ready(self) -> None:
        """Build the index if it is missing or stale (once, in a thread), then load the regions.

        Concurrent callers wait for the same build. Cheap once done: nothing is read again.
        """
        await self._prepare(build=True)

    async def load_if_built(self) -> bool:
        """Whether look-ups can answer without a build: the regions are loaded if the index exists.

        Lets a caller with a deadline (Discord's three seconds) decide before starting a build; never
        waits for a build already under way.
        """
        if self._regions is None and not self._ready_lock.locked():
            await self._prepare(build=False)
        return self._regions is not None

    async def _prepare(self, *, build: bool) -> None:
        if self._regions is not None:
            return
        async with self._ready_lock:
            if self._regions is not None:
                return
            if self._wanted_source is None:
                self._wanted_source = self._source_id()
            wanted = self._wanted_source
            if await self._store.index_source() != wanted:
                if not build:
                    return
                log.info("Building the place-name index (once; about a second)")
                index = await asyncio.to_thread(self._source)
                await self._store.replace_index(index, wanted, self._clock.now())
                log.info("Place-name index built: %d cities", len(index.cities))
            self._regions = _Regions.of(await self._store.regions())

    async def _loaded_regions(self) -> _Regions:
        await self.ready()
        assert self._regions is not None
        return self._regions

    # ---------------------------------------------------------------- lookups

    async def resolve(self, text: str) -> Place | None:
        """The place a member most likely means, or None.

        Accepts 'Chicago', 'uppsala, sweden', 'London UK', 'Zürich', 'Sweden', 'London, Ontario',
        and every label this class produces (so autocomplete choices round-trip).
        """
        regions = await self._loaded_regions()
        parts = [folded for part in text.split(",") if (folded := fold(part))]
        if not parts:
            return None
        head, qualifiers = parts[0], parts[1:]
        place = await self._resolve_parts(regions, head, qualifiers)
        if place is None and not qualifiers:
            # No comma: peel trailing words off as a qualifier ("london uk", "portland oregon").
            words = head.split()
            for cut in range(len(words) - 1, 0, -1):
                name, qualifier = " ".join(words[:cut]), " ".join(words[cut:])
                if _scope(regions, qualifier) is not None:
                    place = await self._resolve_parts(regions, name, [qualifier])
                    if place is not None:
                        break
        return place

    async def resolve_or_raise(self, text: str) -> Place:
        """Like `resolve`, but an unknown name raises `UnknownPlace` with 'did you mean' suggestions."""
        place = await self.resolve(text)
        if place is None:
            raise UnknownPlace(text.strip(), await self.suggest(text, limit=5))
        return place

    async def suggest(self, text: str, limit: int = MAX_SUGGESTIONS) -> list[Place]:
        """Places for autocomplete and 'did you mean': exact match, then prefixes, then close spellings.

        Bigger places come first among equals; never more than 25.
        """
        limit = max(0, min(limit, MAX_SUGGESTIONS))
        query = fold(text)
        if not query or limit == 0:
            return []
        regions = await self._loaded_regions()
        found: dict[str, Place] = {}

        def add(place: Place) -> None:
            found.setdefault(place.label, place)

        exact = await self.resolve(text)
        if exact is not None:
            add(exact)
        for place in await self._prefix_matches(regions, query, limit):
            add(place)
        if len(found) < limit:
            for place in await self._fuzzy_matches(regions, query, limit):
                add(place)
        return list(found.values())[:limit]

    # ---------------------------------------------------------------- internals

    async def _resolve_parts(self, regions: _Regions, name: str, qualifiers: list[str]) -> Place | None:
        scopes: list[_Scope] = []
        for qualifier in qualifiers:
            scope = _scope(regions, qualifier)
            if scope is None:
                return None
            scopes.append(scope)
        country_code = regions.country_by_name.get(name)
        if country_code and all(_in_scope(s, country_code, None, whole_country=True) for s in scopes):
            return _region_place(regions, regions.countries[country_code])
        state_key = regions.state_by_name.get(name)
        if state_key and all(_in_scope(s, *state_key) for s in scopes):
            return _region_place(regions, regions.states[state_key])
        # Main names first; an alternate spelling counts only when no city in scope has the main name.
        for lookup in (self._store.cities_named, self._store.cities_also_named):
            in_scope = [
                city
                for city in await lookup(name)
                if all(_in_scope(s, city.country_code, city.region_code) for s in scopes)
            ]
            if in_scope:
                return _city_place(regions, max(in_scope, key=lambda city: (city.population, -city.id)))
        return None

    async def _prefix_matches(self, regions: _Regions, query: str, limit: int) -> list[Place]:
        places = [
            _city_place(regions, city) for city in await self._store.cities_by_label_prefix(query, limit)
        ]
        # Official names only: aliases like "scotland" would put the UK under every "s".
        places += [
            _region_place(regions, region)
            for region in (*regions.countries.values(), *regions.states.values())
            if fold(region.name).startswith(query)
        ]
        places.sort(key=lambda place: place.population, reverse=True)
        return places[:limit]

    async def _fuzzy_matches(self, regions: _Regions, query: str, limit: int) -> list[Place]:
        """Close spellings of a city's main name; the first letter is taken as typed.

        `fuzz.ratio` is at least 75 only between lengths 3/5 and 5/3 of the query's, so only names
        of such lengths are read.
        """
        candidates = await self._store.names_like(query[0], (3 * len(query) + 4) // 5, (5 * len(query)) // 3)
        if not candidates:
            return []
        from rapidfuzz import fuzz, process  # at the first fuzzy look-up, not at every start

        hits = process.extract(
            query,
            [name for name, _id, _population in candidates],
            scorer=fuzz.ratio,
            processor=None,
            limit=limit * 4,
            score_cutoff=FUZZY_SCORE_CUTOFF,
        )
        hits.sort(key=lambda hit: (-round(hit[1]), -candidates[hit[2]][2]))
        ids = [candidates[hit[2]][1] for hit in hits[:limit]]
        by_id = {city.id: city for city in await self._store.cities_by_id(ids)}
        return [_city_place(regions, by_id[city_id]) for city_id in ids if city_id in by_id]


def _scope(regions: _Regions, qualifier: str) -> _Scope | None:
    """What a qualifier after the name allows; None when it is not a country, state or province."""
    pairs: set[tuple[str, str | None]] = set()
    if (country := regions.country_qualifiers.get(qualifier)) is not None:
        pairs.add((country, None))
    pairs.update(regions.state_qualifiers.get(qualifier, ()))
    return frozenset(pairs) if pairs else None


def _in_scope(
    scope: _Scope, country_code: str, region_code: str | None, *, whole_country: bool = False
) -> bool:
    """Whether a city (or a whole country) lies inside what a qualifier allows."""
    for allowed_country, allowed_region in scope:
        if allowed_country != country_code:
            continue
        if allowed_region is None or (not whole_country and allowed_region == region_code):
            return True
    return False


def _country_name(regions: _Regions, code: str) -> str:
    country = regions.countries.get(code)
    return country.name if country else code


def _city_place(regions: _Regions, city: CityRecord) -> Place:
    state = regions.states.get((city.country_code, city.region_code)) if city.region_code else None
    return Place(
        name=city.name,
        country_code=city.country_code,
        country=_country_name(regions, city.country_code),
        point=GeoPoint(city.latitude, city.longitude),
        population=city.population,
        region=state.name if state else None,
    )


def _region_place(regions: _Regions, region: RegionRecord) -> Place:
    return Place(
        name=region.name,
        country_code=region.country_code,
        country=_country_name(regions, region.country_code),
        point=GeoPoint(region.latitude, region.longitude),
        population=region.population,
        kind="country" if region.is_country else "state",
    )
