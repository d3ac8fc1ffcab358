-- Reason: the foundation. Key/value state the bot keeps about itself, such as the hash of the
-- last synced command tree (so a restart does not re-sync unchanged commands).
CREATE TABLE bot_state (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at TEXT NOT NULL
) STRICT;
