-- Reason: moderators' auto-response rules, their per-channel cooldowns and the mod-log channel.
-- autoresponse_rules holds one row per rule, numbered per server (#1, #2, ...); the text limits
-- and the modes are checked here as well as in bot/core/autoresponse/rules.py. channel_ids is a
-- JSON array (empty: every channel). autoresponse_numbering keeps each server's last number, so
-- a removed rule's number is not handed to the next rule (an import with `replace` starts again
-- at 1). autoresponse_last_fired keeps when each rule last answered in each channel, so cooldowns
-- survive a restart; it goes with its rule. guild_modlog is where configuration changes are
-- reported. Changes themselves are written to audit_log (0002).

CREATE TABLE autoresponse_rules (
    id               INTEGER PRIMARY KEY,
    guild_id         INTEGER NOT NULL,
    number           INTEGER NOT NULL CHECK (number >= 1),
    trigger          TEXT NOT NULL CHECK (length(trigger) BETWEEN 1 AND 200),
    mode             TEXT NOT NULL DEFAULT 'word'
        CHECK (mode IN ('word', 'phrase', 'contains', 'starts', 'exact', 'wildcard', 'regex')),
    response         TEXT NOT NULL CHECK (length(response) BETWEEN 1 AND 2000),
    channel_ids      TEXT NOT NULL DEFAULT '[]'
        CHECK (json_valid(channel_ids) AND json_type(channel_ids) = 'array'),
    cooldown_seconds INTEGER NOT NULL CHECK (cooldown_seconds BETWEEN 0 AND 604800),
    enabled          INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    author_id        INTEGER NOT NULL,
    created_at       TEXT NOT NULL,
    updated_by       INTEGER NOT NULL,
    updated_at       TEXT NOT NULL,
    hit_count        INTEGER NOT NULL DEFAULT 0 CHECK (hit_count >= 0),
    last_hit_at      TEXT,
    UNIQUE (guild_id, number)
) STRICT;

CREATE TABLE autoresponse_numbering (
    guild_id    INTEGER PRIMARY KEY,
    last_number INTEGER NOT NULL CHECK (last_number >= 0)
) STRICT;

CREATE TABLE autoresponse_last_fired (
    guild_id   INTEGER NOT NULL,
    number     INTEGER NOT NULL,
    channel_id INTEGER NOT NULL,
    fired_at   TEXT NOT NULL,
    PRIMARY KEY (guild_id, number, channel_id),
    FOREIGN KEY (guild_id, number) REFERENCES autoresponse_rules (guild_id, number) ON DELETE CASCADE
) STRICT;

-- Start-up loads only the cooldowns that may still be running.
CREATE INDEX autoresponse_last_fired_at ON autoresponse_last_fired (fired_at);

CREATE TABLE guild_modlog (
    guild_id   INTEGER PRIMARY KEY,
    channel_id INTEGER NOT NULL,
    updated_at TEXT NOT NULL
) STRICT;
