-- Reason: a copy of the database files must reveal nothing about who keeps a journal or what they
-- wrote or rated. Until now each member's Discord id sat in the clear beside their entry dates,
-- kinds ("relapse"), therapy, phase, feeling, symptom ratings, time zone and reminder times.
-- From here on members are named only by a keyed pseudonym (HMAC-SHA256 of their id, 16 bytes),
-- and everything they entered or rated is sealed (AES-256-GCM with keys derived from the journal
-- key): one value per entry, one per member (their real id, for reminders and key rotation, and
-- their time zone), one per member for their day-0 dates (so "day +N" needs no readable phase),
-- one per reminder. Readable: pseudonyms, entry numbers, entry dates, created/updated times, when
-- a reminder is next due and when it was last sent. The Python step beside this file
-- (0009_journal_sealed.py) re-seals what the journal held, in this same transaction, then drops
-- the old tables.

DROP TRIGGER journal_entries_count;
DROP INDEX journal_entries_by_member_date;
DROP INDEX journal_entries_infusions;
DROP INDEX journal_reminders_due;
ALTER TABLE journal_entries RENAME TO journal_entries_v1;
ALTER TABLE journal_members RENAME TO journal_members_v1;
ALTER TABLE journal_reminders RENAME TO journal_reminders_v1;

CREATE TABLE journal_members (
    id            INTEGER PRIMARY KEY,
    member        BLOB NOT NULL UNIQUE CHECK (length(member) = 16),
    last_seq      INTEGER NOT NULL DEFAULT 0 CHECK (last_seq >= 0),
    -- how many entries the member has (anyone could count the rows; kept so the limit costs nothing)
    entries       INTEGER NOT NULL DEFAULT 0 CHECK (entries >= 0),
    -- sealed {"user_id", "timezone"}: written before the member's first entry, so every member
    -- row can name its member again when the key is rotated
    sealed_member BLOB,
    -- sealed: the date of each of their day-0 entries, by entry number; NULL while they have none
    sealed_days   BLOB
) STRICT;

CREATE TABLE journal_entries (
    id          INTEGER PRIMARY KEY,
    member      BLOB NOT NULL CHECK (length(member) = 16),
    seq         INTEGER NOT NULL CHECK (seq >= 1),
    entry_date  TEXT NOT NULL
        CHECK (entry_date GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]'),
    -- sealed {"key", "kind", "source", "therapy", "therapy_other", "phase", the ratings,
    -- "side_effects", "notes"}: one value, opened once per entry read
    sealed      BLOB NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    UNIQUE (member, seq)
) STRICT;

-- Newest-first listing and date ranges per member.
CREATE INDEX journal_entries_by_member_date ON journal_entries (member, entry_date, seq);

-- Numbers only grow: the counter follows every insert inside the inserting statement itself, and
-- the member's entry count follows every insert and delete.
CREATE TRIGGER journal_entries_count AFTER INSERT ON journal_entries
BEGIN
    INSERT INTO journal_members (member, last_seq, entries) VALUES (NEW.member, NEW.seq, 1)
        ON CONFLICT (member) DO UPDATE
        SET last_seq = max(last_seq, excluded.last_seq), entries = entries + 1;
END;

CREATE TRIGGER journal_entries_uncount AFTER DELETE ON journal_entries
BEGIN
    UPDATE journal_members SET entries = entries - 1 WHERE member = OLD.member;
END;

CREATE TABLE journal_reminders (
    id           INTEGER PRIMARY KEY,
    member       BLOB NOT NULL UNIQUE CHECK (length(member) = 16),
    -- sealed {"user_id", "cadence", "local_time", "timezone", "weekday"}
    sealed       BLOB NOT NULL,
    next_due_at  TEXT NOT NULL,
    last_sent_at TEXT,
    updated_at   TEXT NOT NULL
) STRICT;

-- The reminder loop asks "what is due by now?" across members.
CREATE INDEX journal_reminders_due ON journal_reminders (next_due_at);
