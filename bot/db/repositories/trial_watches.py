"""Trial watches on SQLite, sealed the journal's way: the member named only by their keyed pseudonym,
everything they chose and everything a watch has told in sealed values (see
`bot/db/migrations/0010_trial_watches.sql` for what stays readable, and why).

Storage only: settings arrive checked, times arrive from the caller; the rules live in
`bot.core.trials.watch` and the schedule in `bot.services.trial_watch`. A change to what a watch
has told names the sealed state it replaces, so a watch changed or removed meanwhile is left alone.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import NamedTuple

from bot.core.journal.crypto import JournalIntegrityError, JournalKeys, log_tag
from bot.core.trials import watch as rules
from bot.core.trials.watch import STATE_PART, WATCH_PART, TrialWatch, WatchSettings
from bot.db.database import Database
from bot.db.repositories.journal import scrub_database

log = logging.getLogger(__name__)

_COLUMNS = "id, member, seq, sealed, sealed_state, next_due_at, checked_at"
# The member's smallest free number from 1 to the limit, chosen inside the inserting statement: no
# row is written once the member holds the most watches a member keeps.
_INSERT = (
    "WITH RECURSIVE slots (n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM slots WHERE n < ?) "
    "INSERT INTO trial_watches (member, seq, sealed, sealed_state, next_due_at, checked_at) "
    "SELECT ?, min(n), ?, ?, ?, NULL FROM slots "
    "WHERE n NOT IN (SELECT seq FROM trial_watches WHERE member = ?) "
    "HAVING min(n) IS NOT NULL RETURNING id, seq"
)
_SELECT_MEMBER = f"SELECT {_COLUMNS} FROM trial_watches WHERE member = ? ORDER BY seq"  # noqa: S608
_SELECT_DUE = (
    f"SELECT {_COLUMNS} FROM trial_watches "  # noqa: S608
    "WHERE next_due_at IS NOT NULL AND next_due_at <= ? ORDER BY next_due_at, id LIMIT ?"
)
_UPDATE_STATE = (
    "UPDATE trial_watches SET sealed_state = ?, next_due_at = ?, checked_at = ? "
    "WHERE id = ? AND sealed_state = ?"
)
_DELETE_ONE = "DELETE FROM trial_watches WHERE member = ? AND seq = ?"
_DELETE_MEMBER = "DELETE FROM trial_watches WHERE member = ? RETURNING 1"


def _ts(moment: datetime) -> str:
    """Fixed-width UTC text, so stored times compare correctly as strings."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def _from_ts(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text).astimezone(UTC)


class StoredWatch(NamedTuple):
    """A watch as read, with what a later change must name: its row and its sealed state as stored."""

    row_id: int
    watch: TrialWatch
    #: The sealed state this read saw; a change is written only while the row still holds it.
    state_token: bytes


class TrialWatchRepository:
    """Every read and write of trial watches, returning `TrialWatch` models opened for their member."""

    def __init__(self, db: Database, keys: JournalKeys) -> None:
        self._db = db
        self._keys = keys
        self._cipher = keys.cipher

    def log_tag(self, user_id: int) -> str:
        """A short pseudonym for a warning about this member: never their Discord id."""
        return log_tag(self._keys.pseudonym(user_id))

    async def add(
        self,
        user_id: int,
        settings: WatchSettings,
        known: Mapping[str, str],
        created_at: datetime,
        next_due_at: datetime,
        limit: int,
    ) -> StoredWatch | None:
        """A new watch under the member's smallest free number; None when they hold `limit` already."""
        member = self._keys.pseudonym(user_id)
        sealed = self._cipher.seal(
            rules.watch_document(user_id, settings, created_at), rules.context(member, WATCH_PART)
        )
        state = self._seal_state(member, known, pause_untold=False)
        row = await self._db.fetch_one(_INSERT, (limit, member, sealed, state, _ts(next_due_at), member))
        if row is None:
            return None
        watch = TrialWatch(
            user_id, int(row["seq"]), settings, dict(known), created_at=created_at, next_due_at=next_due_at
        )
        return StoredWatch(int(row["id"]), watch, state)

    async def member_watches(self, user_id: int) -> list[StoredWatch]:
        """The member's watches by number (a row that does not open is left out, with a warning)."""
        member = self._keys.pseudonym(user_id)
        return self._opened(await self._db.fetch_all(_SELECT_MEMBER, (member,)))

    async def due(self, now: datetime, limit: int) -> list[StoredWatch]:
        """Watches due by `now`, the longest waiting first (the one query across members)."""
        return self._opened(await self._db.fetch_all(_SELECT_DUE, (_ts(now), limit)))

    async def save_state(
        self,
        stored: StoredWatch,
        known: Mapping[str, str],
        *,
        next_due_at: datetime | None,
        checked_at: datetime | None,
        pause_untold: bool = False,
    ) -> StoredWatch | None:
        """Replace what the watch has told and when it is next due (None: paused), only if the row
        still holds `stored`'s state; None when the watch was changed or removed meanwhile."""
        member = self._keys.pseudonym(stored.watch.user_id)
        state = self._seal_state(member, known, pause_untold=pause_untold)
        return await self._replace_state(
            stored, state, known, next_due_at=next_due_at, checked_at=checked_at, pause_untold=pause_untold
        )

    async def put_back(
        self, current: StoredWatch, earlier: StoredWatch, *, next_due_at: datetime | None
    ) -> bool:
        """Return a watch to an earlier state (news that could not be delivered is news again at the
        next check), only if it still holds `current`'s state."""
        restored = await self._replace_state(
            current,
            earlier.state_token,
            earlier.watch.known,
            next_due_at=next_due_at,
            checked_at=current.watch.checked_at,
            pause_untold=earlier.watch.pause_untold,
        )
        return restored is not None

    async def remove(self, user_id: int, seq: int) -> bool:
        """Delete the member's watch #seq; False when they have none."""
        return await self._db.execute(_DELETE_ONE, (self._keys.pseudonym(user_id), seq)) > 0

    async def remove_all(self, user_id: int) -> int:
        """Delete every watch of the member; how many there were."""
        return len(await self._db.fetch_all(_DELETE_MEMBER, (self._keys.pseudonym(user_id),)))

    async def scrub(self) -> bool:
        """Leave no trace of deleted watches in the files (the journal's VACUUM and checkpoint)."""
        return await scrub_database(self._db)

    # --- mapping --------------------------------------------------------------------------------

    async def _replace_state(
        self,
        stored: StoredWatch,
        state: bytes,
        known: Mapping[str, str],
        *,
        next_due_at: datetime | None,
        checked_at: datetime | None,
        pause_untold: bool,
    ) -> StoredWatch | None:
        changed = await self._db.execute(
            _UPDATE_STATE,
            (
                state,
                None if next_due_at is None else _ts(next_due_at),
                None if checked_at is None else _ts(checked_at),
                stored.row_id,
                stored.state_token,
            ),
        )
        if not changed:
            return None
        watch = TrialWatch(
            stored.watch.user_id,
            stored.watch.seq,
            stored.watch.settings,
            dict(known),
            created_at=stored.watch.created_at,
            next_due_at=next_due_at,
            checked_at=checked_at,
            pause_untold=pause_untold,
        )
        return StoredWatch(stored.row_id, watch, state)

    def _seal_state(self, member: bytes, known: Mapping[str, str], *, pause_untold: bool) -> bytes:
        document = rules.state_document(known, pause_untold=pause_untold)
        return self._cipher.seal(document, rules.context(member, STATE_PART))

    def _opened(self, rows: list[sqlite3.Row]) -> list[StoredWatch]:
        opened: list[StoredWatch] = []
        for row in rows:
            member = bytes(row["member"])
            try:
                watch = rules.read_watch(self._cipher.open(row["sealed"], rules.context(member, WATCH_PART)))
                known, untold = rules.read_state(
                    self._cipher.open(row["sealed_state"], rules.context(member, STATE_PART))
                )
            except (JournalIntegrityError, rules.WatchFormatError):
                log.warning("A trial watch of member %s does not open; it is left alone", log_tag(member))
                continue
            opened.append(
                StoredWatch(
                    int(row["id"]),
                    TrialWatch(
                        watch.user_id,
                        int(row["seq"]),
                        watch.settings,
                        known,
                        created_at=watch.created_at,
                        next_due_at=_from_ts(row["next_due_at"]),
                        checked_at=_from_ts(row["checked_at"]),
                        pause_untold=untold,
                    ),
                    bytes(row["sealed_state"]),
                )
            )
        return opened


async def reseal_trial_watches(db: Database, old: JournalKeys, new: JournalKeys) -> int:
    """Re-seal every watch from `old` keys to `new`, pseudonyms included (each from the Discord id in
    the watch's own sealed value), inside the caller's transaction (`rotate-key`'s). A value that
    does not open under `old` raises, and the caller's transaction undoes everything."""
    rows = await db.fetch_all("SELECT id, member, sealed, sealed_state FROM trial_watches")
    for row in rows:
        member = bytes(row["member"])
        watch = old.cipher.open(row["sealed"], rules.context(member, WATCH_PART))
        state = old.cipher.open(row["sealed_state"], rules.context(member, STATE_PART))
        target = new.pseudonym(rules.owner_of(watch))
        await db.execute(
            "UPDATE trial_watches SET member = ?, sealed = ?, sealed_state = ? WHERE id = ?",
            (
                target,
                new.cipher.seal(watch, rules.context(target, WATCH_PART)),
                new.cipher.seal(state, rules.context(target, STATE_PART)),
                row["id"],
            ),
        )
    return len(rows)
