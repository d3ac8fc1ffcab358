-- Reason: the clinic watch now reads fourteen kinds of signal word (products, venues, travel, money,
-- claims, care...), and moderators may add or remove words of any kind, so the kind CHECK of
-- clinic_watch_words widens (SQLite cannot change a CHECK in place: create, copy, drop, rename).
-- clinic_watch_reports counts "Not relevant here" presses on a card: which card and which kinds of
-- signal it answered, never the member's message; one report per card message.

CREATE TABLE clinic_watch_words_new (
    guild_id   INTEGER NOT NULL REFERENCES clinic_watch_settings (guild_id) ON DELETE CASCADE,
    kind       TEXT NOT NULL CHECK (kind IN ('clinic', 'context', 'product', 'hsct', 'refusal', 'venue',
                                             'travel', 'place', 'private', 'money', 'claim', 'delivery',
                                             'interest', 'care', 'research')),
    word       TEXT NOT NULL CHECK (length(word) BETWEEN 1 AND 60),
    action     TEXT NOT NULL CHECK (action IN ('add', 'remove')),
    PRIMARY KEY (guild_id, kind, word)
) STRICT;

INSERT INTO clinic_watch_words_new (guild_id, kind, word, action)
    SELECT guild_id, kind, word, action FROM clinic_watch_words;

DROP TABLE clinic_watch_words;

ALTER TABLE clinic_watch_words_new RENAME TO clinic_watch_words;

CREATE TABLE clinic_watch_reports (
    card_message_id INTEGER PRIMARY KEY,
    guild_id        INTEGER NOT NULL,
    outcome         TEXT NOT NULL CHECK (outcome IN ('caution', 'centre')),
    signals         TEXT NOT NULL CHECK (json_valid(signals) AND json_type(signals) = 'array'),
    reported_at     TEXT NOT NULL
) STRICT;

CREATE INDEX clinic_watch_reports_by_guild ON clinic_watch_reports (guild_id, reported_at);
