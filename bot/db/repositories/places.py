"""SQLite side of the place index (implements `bot.core.trials.geo.PlaceStore`).

Derived data only: written whole by `replace_index`, read by the gazetteer's look-ups, each one
indexed statement. No member data lives in these tables.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime

from bot.core.trials.places import CityRecord, PlaceIndex, RegionRecord
from bot.db.database import Database


def _city(row: sqlite3.Row) -> CityRecord:
    return CityRecord(
        id=int(row["id"]),
        name=str(row["name"]),
        name_key=str(row["name_key"]),
        label_key=str(row["label_key"]),
        country_code=str(row["country_code"]),
        region_code=None if row["region_code"] is None else str(row["region_code"]),
        latitude=float(row["latitude"]),
        longitude=float(row["longitude"]),
        population=int(row["population"]),
    )


def _after(prefix: str) -> str:
    """The smallest text greater than every text starting with `prefix` (for an indexed range)."""
    return prefix + "\U0010ffff"


class PlaceIndexRepository:
    """The place index's four tables: cities, their alternate spellings, regions and what built them."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def index_source(self) -> str | None:
        row = await self._db.fetch_one("SELECT source FROM place_index_meta WHERE id = 1")
        return None if row is None else str(row["source"])

    async def replace_index(self, index: PlaceIndex, source: str, built_at: datetime) -> None:
        """Swap the whole index in one transaction: readers see the old one or the new one, never half."""
        async with self._db.transaction() as connection:
            await connection.execute("DELETE FROM place_index_meta")
            await connection.execute("DELETE FROM place_alternate_names")
            await connection.execute("DELETE FROM place_cities")
            await connection.execute("DELETE FROM place_regions")
            await connection.executemany(
                "INSERT INTO place_cities (id, name, name_key, label_key, country_code, region_code, "
                "latitude, longitude, population) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        c.id,
                        c.name,
                        c.name_key,
                        c.label_key,
                        c.country_code,
                        c.region_code,
                        c.latitude,
                        c.longitude,
                        c.population,
                    )
                    for c in index.cities
                ],
            )
            await connection.executemany(
                "INSERT INTO place_alternate_names (name_key, city_id) VALUES (?, ?)", index.alternate_names
            )
            await connection.executemany(
                "INSERT INTO place_regions (country_code, region_code, name, abbreviation, latitude, "
                "longitude, population) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        r.country_code,
                        r.region_code,
                        r.name,
                        r.abbreviation,
                        r.latitude,
                        r.longitude,
                        r.population,
                    )
                    for r in index.regions
                ],
            )
            await connection.execute(
                "INSERT INTO place_index_meta (id, source, built_at, cities) VALUES (1, ?, ?, ?)",
                (source, built_at.isoformat(), len(index.cities)),
            )

    async def regions(self) -> list[RegionRecord]:
        rows = await self._db.fetch_all(
            "SELECT country_code, region_code, name, abbreviation, latitude, longitude, population "
            "FROM place_regions"
        )
        return [
            RegionRecord(
                country_code=str(row["country_code"]),
                region_code=str(row["region_code"]),
                name=str(row["name"]),
                abbreviation=None if row["abbreviation"] is None else str(row["abbreviation"]),
                latitude=float(row["latitude"]),
                longitude=float(row["longitude"]),
                population=int(row["population"]),
            )
            for row in rows
        ]

    async def cities_named(self, name_key: str) -> list[CityRecord]:
        rows = await self._db.fetch_all(
            "SELECT id, name, name_key, label_key, country_code, region_code, latitude, longitude, "
            "population FROM place_cities "
            "WHERE name_key = ?",
            (name_key,),
        )
        return [_city(row) for row in rows]

    async def cities_also_named(self, name_key: str) -> list[CityRecord]:
        rows = await self._db.fetch_all(
            "SELECT id, name, name_key, label_key, country_code, region_code, latitude, longitude, "
            "population FROM place_cities "
            "WHERE id IN (SELECT city_id FROM place_alternate_names WHERE name_key = ?)",
            (name_key,),
        )
        return [_city(row) for row in rows]

    async def cities_by_label_prefix(self, prefix: str, limit: int) -> list[CityRecord]:
        """The `limit` biggest cities whose folded label starts with `prefix`."""
        rows = await self._db.fetch_all(
            "SELECT id, name, name_key, label_key, country_code, region_code, latitude, longitude, "
            "population FROM place_cities "
            "WHERE label_key >= ? AND label_key < ? ORDER BY population DESC, id LIMIT ?",
            (prefix, _after(prefix), limit),
        )
        return [_city(row) for row in rows]

    async def names_like(self, initial: str, min_length: int, max_length: int) -> list[tuple[str, int, int]]:
        """(folded name, city id, population) of cities whose name starts with `initial` and has a
        length in the range: fuzzy candidates, kept to three columns because there are thousands."""
        rows = await self._db.fetch_all(
            "SELECT name_key, id, population FROM place_cities "
            "WHERE name_key >= ? AND name_key < ? AND length(name_key) BETWEEN ? AND ?",
            (initial, _after(initial), min_length, max_length),
        )
        return [(str(row[0]), int(row[1]), int(row[2])) for row in rows]

    async def cities_by_id(self, ids: list[int]) -> list[CityRecord]:
        """The cities with these ids, in no particular order (at most a few dozen ids)."""
        rows = await self._db.fetch_all(
            "SELECT id, name, name_key, label_key, country_code, region_code, latitude, longitude, "
            "population FROM place_cities WHERE id IN (SELECT value FROM json_each(?))",
            (json.dumps(ids),),
        )
        return [_city(row) for row in rows]
