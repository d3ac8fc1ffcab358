"""When each rule last answered in each place: the memory behind per-rule cooldowns.

A place is a channel (answers in the channel) or a member (private answers, kept in a second
`RuleCooldowns` of the rule book). The decision itself is the scanner's `CooldownPolicy` (pure,
clock passed in); this only keeps the times, bounded so a busy server cannot grow it without
limit. The database keeps the channel times (`record_hit`) so a restart does not repeat an
answer; member times live in memory only, so it keeps no record of who was sent a private answer.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

DEFAULT_MAX_ENTRIES = 50_000

CooldownKey = tuple[int, int, int]  # guild id, rule number, channel id (or member id)


class RuleCooldowns:
    """Last answer times keyed by (guild, rule number, channel or member); the oldest entries go first."""

    __slots__ = ("_fired", "_max_entries")

    def __init__(self, max_entries: int = DEFAULT_MAX_ENTRIES) -> None:
        self._fired: dict[CooldownKey, datetime] = {}
        self._max_entries = max_entries

    def load(self, entries: Iterable[tuple[int, int, int, datetime]]) -> None:
        """Seed from the database at start-up (rows of guild, number, channel, fired_at)."""
        for guild_id, number, channel_id, fired_at in sorted(entries, key=lambda row: row[3]):
            self.mark(guild_id, number, channel_id, fired_at)

    def last(self, guild_id: int, number: int, channel_id: int) -> datetime | None:
        return self._fired.get((guild_id, number, channel_id))

    def take(self, guild_id: int, number: int, channel_id: int, now: datetime, cooldown: timedelta) -> bool:
        """Check and mark in one step: True (and `now` recorded) when the rule may answer now.

        `CooldownPolicy.ready` on the stored time, inlined for the hot path: a clock set
        backwards never unlocks a rule early.
        """
        key = (guild_id, number, channel_id)
        fired = self._fired
        last = fired.get(key)
        if last is not None:
            if now - last < cooldown:
                return False
            del fired[key]  # re-inserted below, so the least recently used entries are first to go
        fired[key] = now
        if len(fired) > self._max_entries:
            del fired[next(iter(fired))]
        return True

    def mark(self, guild_id: int, number: int, channel_id: int, at: datetime) -> None:
        key = (guild_id, number, channel_id)
        self._fired.pop(key, None)  # re-insert so the least recently used entries are first to go
        self._fired[key] = at
        if len(self._fired) > self._max_entries:
            del self._fired[next(iter(self._fired))]

    def forget_guild(self, guild_id: int, keep: Iterable[int] = ()) -> None:
        """Drop a server's times except for the rule numbers in `keep` (after removals, a replace)."""
        kept = set(keep)
        for key in [key for key in self._fired if key[0] == guild_id and key[1] not in kept]:
            del self._fired[key]

    def __len__(self) -> int:
        return len(self._fired)
