-- Reason: the private journal. Entries are numbered per member (#1, #2, ...) so nobody can
-- address another member's entry; an entry's free text (therapy description, side effects,
-- notes) is stored only as one AES-GCM sealed value in a BLOB column (one authenticated unit per entry,
-- one decryption per entry read, and no hint of which text fields are filled in); no guild id is
-- kept, nothing links a journal
-- to a server. journal_members keeps the member's entry counter (numbers are never reused, even
-- after a delete) and time zone; journal_reminders the DM reminder; journal_meta the key canary.

CREATE TABLE journal_members (
    user_id  INTEGER PRIMARY KEY,
    last_seq INTEGER NOT NULL DEFAULT 0 CHECK (last_seq >= 0),
    timezone TEXT CHECK (timezone IS NULL OR length(timezone) BETWEEN 1 AND 64)
) STRICT;

CREATE TABLE journal_entries (
    id                INTEGER PRIMARY KEY,
    user_id           INTEGER NOT NULL,
    seq               INTEGER NOT NULL CHECK (seq >= 1),
    entry_date        TEXT NOT NULL
        CHECK (entry_date GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]'),
    kind              TEXT NOT NULL CHECK (kind IN ('note', 'checkin', 'milestone', 'relapse')),
    source            TEXT NOT NULL CHECK (source IN ('slash', 'modal', 'dm_quick', 'import')),
    therapy           TEXT CHECK (therapy IN ('ahsct', 'msc', 'other')),
    phase             TEXT CHECK (phase IN ('considering', 'consultation', 'mobilisation', 'collection',
                                            'conditioning', 'infusion', 'in_hospital', 'recovery',
                                            'follow_up')),
    feeling           INTEGER CHECK (feeling BETWEEN 0 AND 10),
    fatigue           INTEGER CHECK (fatigue BETWEEN 0 AND 10),
    mobility          INTEGER CHECK (mobility BETWEEN 0 AND 10),
    pain              INTEGER CHECK (pain BETWEEN 0 AND 10),
    cognition         INTEGER CHECK (cognition BETWEEN 0 AND 10),
    mood              INTEGER CHECK (mood BETWEEN 0 AND 10),
    -- AES-GCM sealed value of {"therapy_other", "side_effects", "notes"} as JSON; NULL when all are empty.
    sealed_text       BLOB,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    UNIQUE (user_id, seq)
) STRICT;

-- Newest-first listing and date ranges per member.
CREATE INDEX journal_entries_by_member_date ON journal_entries (user_id, entry_date, seq);

-- "Day +N" looks up a member's infusion dates on every read.
CREATE INDEX journal_entries_infusions ON journal_entries (user_id, entry_date) WHERE phase = 'infusion';

-- Numbers only grow: the counter follows every insert inside the inserting statement itself.
CREATE TRIGGER journal_entries_count AFTER INSERT ON journal_entries
BEGIN
    INSERT INTO journal_members (user_id, last_seq) VALUES (NEW.user_id, NEW.seq)
        ON CONFLICT (user_id) DO UPDATE SET last_seq = max(last_seq, excluded.last_seq);
END;

CREATE TABLE journal_reminders (
    user_id      INTEGER PRIMARY KEY,
    cadence      TEXT NOT NULL CHECK (cadence IN ('daily', 'weekly')),
    local_time   TEXT NOT NULL CHECK (local_time GLOB '[0-2][0-9]:[0-5][0-9]'),
    timezone     TEXT NOT NULL CHECK (length(timezone) BETWEEN 1 AND 64),
    weekday      INTEGER CHECK (weekday BETWEEN 0 AND 6),
    next_due_at  TEXT NOT NULL,
    last_sent_at TEXT,
    updated_at   TEXT NOT NULL,
    CHECK ((cadence = 'weekly') = (weekday IS NOT NULL))
) STRICT;

-- The reminder loop asks "what is due by now?" across members.
CREATE INDEX journal_reminders_due ON journal_reminders (next_due_at);

CREATE TABLE journal_meta (
    key   TEXT PRIMARY KEY,
    value BLOB NOT NULL
) STRICT;
