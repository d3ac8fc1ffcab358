"""The per-channel cooldown as a pure decision: the caller supplies the last time and the current time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

_NOTHING_LEFT = timedelta(0)


@dataclass(frozen=True, slots=True)
class CooldownPolicy:
    """At most one caution per channel per `cooldown`; no clock inside, so tests pass the time."""

    cooldown: timedelta

    def remaining(self, last_fired: datetime | None, now: datetime) -> timedelta:
        """How long until the next caution may be sent (zero when it may be sent now)."""
        if last_fired is None:
            return _NOTHING_LEFT
        left = last_fired + self.cooldown - now
        return left if left > _NOTHING_LEFT else _NOTHING_LEFT

    def ready(self, last_fired: datetime | None, now: datetime) -> bool:
        """True when a caution may be sent now; a clock set backwards never unlocks it early."""
        return last_fired is None or now - last_fired >= self.cooldown
