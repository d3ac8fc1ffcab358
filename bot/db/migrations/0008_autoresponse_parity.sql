-- Reason: auto-responses at parity with the bots moderators know, and two hardening fixes.
-- A rule now has up to 50 triggers, each with its own mode (autoresponse_triggers, position 1 being
-- the main trigger), and up to 20 responses picked at random by weight (autoresponse_variants); it
-- answers as a reply, an embed (title and link), a reaction or a private message (answer_kind); it
-- may be limited to members with some roles or leave members with some roles out (JSON arrays of
-- role ids). Moderators can have the rules ignore members server-wide (autoresponse_ignored_members).
-- The cooldown is at least 5 seconds: a cooldown of 0 let a rule answer every message of a flood.
-- Rules stored with less are raised to 5 seconds here. autoresponse_rules is rebuilt for the new
-- CHECK; dropping it deletes the cooldown rows through ON DELETE CASCADE (PRAGMA foreign_keys cannot
-- be switched off inside the migration's transaction), so they are kept aside and put back.

CREATE TEMP TABLE kept_last_fired AS SELECT * FROM autoresponse_last_fired;
CREATE TEMP TABLE kept_rules AS SELECT * FROM autoresponse_rules;

DROP TABLE autoresponse_rules;

CREATE TABLE autoresponse_rules (
    id               INTEGER PRIMARY KEY,
    guild_id         INTEGER NOT NULL,
    number           INTEGER NOT NULL CHECK (number >= 1),
    answer_kind      TEXT NOT NULL DEFAULT 'reply' CHECK (answer_kind IN ('reply', 'embed', 'reaction', 'dm')),
    embed_title      TEXT NOT NULL DEFAULT '' CHECK (length(embed_title) <= 256),
    embed_link       TEXT NOT NULL DEFAULT '' CHECK (length(embed_link) <= 512),
    channel_ids      TEXT NOT NULL DEFAULT '[]'
        CHECK (json_valid(channel_ids) AND json_type(channel_ids) = 'array'),
    allowed_role_ids TEXT NOT NULL DEFAULT '[]'
        CHECK (json_valid(allowed_role_ids) AND json_type(allowed_role_ids) = 'array'),
    denied_role_ids  TEXT NOT NULL DEFAULT '[]'
        CHECK (json_valid(denied_role_ids) AND json_type(denied_role_ids) = 'array'),
    cooldown_seconds INTEGER NOT NULL CHECK (cooldown_seconds BETWEEN 5 AND 604800),
    enabled          INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    author_id        INTEGER NOT NULL,
    created_at       TEXT NOT NULL,
    updated_by       INTEGER NOT NULL,
    updated_at       TEXT NOT NULL,
    hit_count        INTEGER NOT NULL DEFAULT 0 CHECK (hit_count >= 0),
    last_hit_at      TEXT,
    UNIQUE (guild_id, number)
) STRICT;

INSERT INTO autoresponse_rules (
    id, guild_id, number, channel_ids, cooldown_seconds, enabled, author_id, created_at, updated_by,
    updated_at, hit_count, last_hit_at
)
SELECT id, guild_id, number, channel_ids, max(cooldown_seconds, 5), enabled, author_id, created_at,
    updated_by, updated_at, hit_count, last_hit_at
FROM kept_rules;

CREATE TABLE autoresponse_triggers (
    guild_id INTEGER NOT NULL,
    number   INTEGER NOT NULL,
    position INTEGER NOT NULL CHECK (position BETWEEN 1 AND 50),
    trigger  TEXT NOT NULL CHECK (length(trigger) BETWEEN 1 AND 200),
    mode     TEXT NOT NULL DEFAULT 'word'
        CHECK (mode IN ('word', 'phrase', 'contains', 'starts', 'exact', 'wildcard', 'regex')),
    PRIMARY KEY (guild_id, number, position),
    FOREIGN KEY (guild_id, number) REFERENCES autoresponse_rules (guild_id, number) ON DELETE CASCADE
) STRICT;

INSERT INTO autoresponse_triggers (guild_id, number, position, trigger, mode)
SELECT guild_id, number, 1, trigger, mode FROM kept_rules;

CREATE TABLE autoresponse_variants (
    guild_id INTEGER NOT NULL,
    number   INTEGER NOT NULL,
    position INTEGER NOT NULL CHECK (position BETWEEN 1 AND 20),
    response TEXT NOT NULL CHECK (length(response) BETWEEN 1 AND 2000),
    weight   INTEGER NOT NULL DEFAULT 1 CHECK (weight BETWEEN 1 AND 100),
    PRIMARY KEY (guild_id, number, position),
    FOREIGN KEY (guild_id, number) REFERENCES autoresponse_rules (guild_id, number) ON DELETE CASCADE
) STRICT;

INSERT INTO autoresponse_variants (guild_id, number, position, response, weight)
SELECT guild_id, number, 1, response, 1 FROM kept_rules;

INSERT INTO autoresponse_last_fired SELECT * FROM kept_last_fired;
DROP TABLE kept_last_fired;
DROP TABLE kept_rules;

CREATE TABLE autoresponse_ignored_members (
    guild_id  INTEGER NOT NULL,
    user_id   INTEGER NOT NULL,
    added_by  INTEGER NOT NULL,
    added_at  TEXT NOT NULL,
    PRIMARY KEY (guild_id, user_id)
) STRICT;
