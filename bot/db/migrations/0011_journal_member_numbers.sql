-- Reason: a journal entry named its member by the 16-byte keyed pseudonym, in the row and in both
-- of its indexes. Pseudonyms are random by design, so every add landed on its own page of each
-- index, wherever that member's pseudonym fell: a batch of 100 adds dirtied about 124 pages
-- (written whole to the WAL), against 41 with the key below. From here on an entry names its
-- member by the member row's own number (journal_members.id, given in the order members started
-- a journal). Privacy is unchanged: the number is not derived from the Discord id, and only the
-- keyed pseudonym in journal_members leads from a member to it (a copy of the file already showed
-- which entries belong together, and the member rows' order). Sealed values stay as they are:
-- their context names the pseudonym, which is still the member's. The counting triggers follow
-- the member's number; every entry's member already has a row (the old insert trigger made one).

DROP TRIGGER journal_entries_count;
DROP TRIGGER journal_entries_uncount;
DROP INDEX journal_entries_by_member_date;
ALTER TABLE journal_entries RENAME TO journal_entries_v2;

-- No entry may lose its member: any entry without a member row (none are expected) gets one.
INSERT INTO journal_members (member, last_seq, entries)
    SELECT member, max(seq), count(*) FROM journal_entries_v2
    WHERE member NOT IN (SELECT member FROM journal_members) GROUP BY member;

CREATE TABLE journal_entries (
    id          INTEGER PRIMARY KEY,
    -- the member's row (journal_members.id), which holds their keyed pseudonym
    member_id   INTEGER NOT NULL REFERENCES journal_members (id),
    seq         INTEGER NOT NULL CHECK (seq >= 1),
    entry_date  TEXT NOT NULL
        CHECK (entry_date GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]'),
    -- sealed {"key", "kind", "source", "therapy", "therapy_other", "phase", the ratings,
    -- "side_effects", "notes"}, bound to the member's pseudonym: one value, opened once per entry read
    sealed      BLOB NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    UNIQUE (member_id, seq)
) STRICT;

INSERT INTO journal_entries (id, member_id, seq, entry_date, sealed, created_at, updated_at)
    SELECT e.id, m.id, e.seq, e.entry_date, e.sealed, e.created_at, e.updated_at
    FROM journal_entries_v2 AS e JOIN journal_members AS m ON m.member = e.member;

DROP TABLE journal_entries_v2;

-- Newest-first listing and date ranges per member.
CREATE INDEX journal_entries_by_member_date ON journal_entries (member_id, entry_date, seq);

-- Numbers only grow: the counter follows every insert, and the member's entry count follows every
-- insert and delete. The member row exists before its first entry.
CREATE TRIGGER journal_entries_count AFTER INSERT ON journal_entries
BEGIN
    UPDATE journal_members SET last_seq = max(last_seq, NEW.seq), entries = entries + 1
        WHERE id = NEW.member_id;
END;

CREATE TRIGGER journal_entries_uncount AFTER DELETE ON journal_entries
BEGIN
    UPDATE journal_members SET entries = entries - 1 WHERE id = OLD.member_id;
END;
