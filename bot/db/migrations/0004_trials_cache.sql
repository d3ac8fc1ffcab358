-- Reason: /trials keeps each ClinicalTrials.gov answer for 6 hours per query, and keeps the last
-- answer after that so members still get a list, with its age, when the registry is down.
-- One row per normalised query key; the payload is the parsed studies as JSON, not the raw response.
CREATE TABLE trials_cache (
    query_key  TEXT PRIMARY KEY,
    payload    TEXT NOT NULL CHECK (json_valid(payload)),
    fetched_at TEXT NOT NULL
) STRICT;
