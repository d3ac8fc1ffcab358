-- Reason: the clinic caution's per-server settings, and a generic audit log.
-- clinic_watch_settings holds one row per configured server (servers without a row use the
-- defaults). clinic_watch_words stores only each server's differences from the shipped word
-- lists: 'add' rows add a word, 'remove' rows switch a default word off, so a removed default
-- stays removed when the shipped file changes. clinic_watch_last_fired keeps the per-channel
-- cooldown across restarts. audit_log records who changed what, with before/after as JSON; the
-- auto-response feature writes to it too.

CREATE TABLE clinic_watch_settings (
    guild_id         INTEGER PRIMARY KEY,
    enabled          INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    sensitivity      TEXT NOT NULL DEFAULT 'strict' CHECK (sensitivity IN ('strict', 'broad')),
    cooldown_minutes INTEGER NOT NULL DEFAULT 30 CHECK (cooldown_minutes BETWEEN 1 AND 10080),
    updated_at       TEXT NOT NULL
) STRICT;

CREATE TABLE clinic_watch_words (
    guild_id   INTEGER NOT NULL REFERENCES clinic_watch_settings (guild_id) ON DELETE CASCADE,
    kind       TEXT NOT NULL CHECK (kind IN ('clinic', 'context')),
    word       TEXT NOT NULL CHECK (length(word) BETWEEN 1 AND 60),
    action     TEXT NOT NULL CHECK (action IN ('add', 'remove')),
    PRIMARY KEY (guild_id, kind, word)
) STRICT;

CREATE TABLE clinic_watch_ignored_channels (
    guild_id   INTEGER NOT NULL REFERENCES clinic_watch_settings (guild_id) ON DELETE CASCADE,
    channel_id INTEGER NOT NULL,
    PRIMARY KEY (guild_id, channel_id)
) STRICT;

CREATE TABLE clinic_watch_last_fired (
    channel_id INTEGER PRIMARY KEY,
    guild_id   INTEGER NOT NULL,
    fired_at   TEXT NOT NULL
) STRICT;

CREATE INDEX clinic_watch_last_fired_guild ON clinic_watch_last_fired (guild_id);

CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY,
    guild_id    INTEGER NOT NULL,
    actor_id    INTEGER NOT NULL,
    action      TEXT NOT NULL CHECK (length(action) BETWEEN 1 AND 64),
    target      TEXT,
    before_json TEXT CHECK (before_json IS NULL OR json_valid(before_json)),
    after_json  TEXT CHECK (after_json IS NULL OR json_valid(after_json)),
    created_at  TEXT NOT NULL
) STRICT;

CREATE INDEX audit_log_guild_created ON audit_log (guild_id, created_at);
