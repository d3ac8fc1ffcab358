-- Reason: /trialwatch keeps, per member, up to five watches (a kind of intervention, optionally a
-- place and a radius) and sends a direct message when a matching study opens or a known one changes
-- status. A watch is as private as a journal: it shows roughly where a member lives and which
-- treatment they consider. So it is stored the journal's way (bot/core/journal/README.md): the
-- member only as their keyed pseudonym, and sealed with the journal's keys (AES-256-GCM, bound to
-- the member and to the part of the watch):
--   sealed       {"u": Discord id (to send the DM), "i": intervention, "p": place, "r": radius,
--                 "c": when it was set up}
--   sealed_state {"k": NCT number -> the status last told, "n": a pause still to be told}
-- Readable, for the scheduler and the member's numbering only: the pseudonym, the member's number
-- for the watch, when it is next due (NULL while paused because direct messages were refused) and
-- when it was last checked. Deleted by /trialwatch remove and by /journal forget.
CREATE TABLE trial_watches (
    id           INTEGER PRIMARY KEY,
    member       BLOB NOT NULL CHECK (length(member) = 16),
    seq          INTEGER NOT NULL CHECK (seq >= 1),
    sealed       BLOB NOT NULL,
    sealed_state BLOB NOT NULL,
    next_due_at  TEXT,
    checked_at   TEXT,
    UNIQUE (member, seq)
) STRICT;

-- "Which watches are due": the scheduler's one query across members.
CREATE INDEX trial_watches_due ON trial_watches (next_due_at) WHERE next_due_at IS NOT NULL;
