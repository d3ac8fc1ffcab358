"""When a journal reminder is due: local wall-clock times in IANA zones, DST and downtime handled.

Pure functions on aware datetimes. The rule after downtime: the reminder that was due is sent
once if it is still recent (`CATCH_UP_WINDOW`), and the next one is computed from *now*, so a
bot that was off for a week sends at most one reminder, never one per missed day.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.core.journal.model import Cadence, ReminderSettings

#: A missed reminder is still worth sending this long after its time; later it is skipped.
CATCH_UP_WINDOW: dict[Cadence, timedelta] = {
    Cadence.DAILY: timedelta(hours=12),
    Cadence.WEEKLY: timedelta(days=2),
}

#: Where reminders ring until the member tells us their time zone.
FALLBACK_ZONE = ZoneInfo("UTC")

_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def next_occurrence(
    cadence: Cadence, local_time: time, zone: ZoneInfo, weekday: int | None, after: datetime
) -> datetime:
    """The first moment strictly after `after` when the member's clock shows `local_time` (UTC).

    A time skipped by a DST jump fires at the same instant the clock would have shown it
    (02:30 on a spring-forward night rings at 03:30); a time that happens twice rings once.
    """
    if after.tzinfo is None:
        raise ValueError("after must be timezone-aware")
    if cadence is Cadence.WEEKLY and (weekday is None or not 0 <= weekday <= 6):
        raise ValueError("a weekly reminder needs a weekday from 0 (Monday) to 6 (Sunday)")
    start_day = after.astimezone(zone).date()
    for offset in range(9):
        day = start_day + timedelta(days=offset)
        if cadence is Cadence.WEEKLY and day.weekday() != weekday:
            continue
        candidate = _local_moment(day, local_time, zone)
        if candidate > after:
            return candidate
    raise AssertionError("unreachable: a matching day always falls within 8 days")


def _local_moment(day: date, local_time: time, zone: ZoneInfo) -> datetime:
    # fold=0 picks the first of a repeated time and, for a skipped one, the pre-jump offset.
    return datetime.combine(day, local_time, tzinfo=zone).astimezone(UTC)


def first_due(
    cadence: Cadence, local_time: time, zone: ZoneInfo, weekday: int | None, now: datetime
) -> datetime:
    """When a reminder set at `now` first rings (never immediately in the past)."""
    return next_occurrence(cadence, local_time, zone, weekday, now)


def default_weekday(now: datetime, zone: ZoneInfo) -> int:
    """A weekly reminder without a chosen day rings on the weekday it was set (member's calendar)."""
    return now.astimezone(zone).weekday()


def reminder_zone(chosen: ZoneInfo | None, known: ZoneInfo | None) -> tuple[ZoneInfo, bool]:
    """The zone a reminder rings in: the one just chosen, else the member's journal zone, else UTC.

    The flag is True when UTC was assumed, so the member can be told how to use their own zone.
    """
    zone = chosen if chosen is not None else known
    return (zone, False) if zone is not None else (FALLBACK_ZONE, True)


def new_reminder(
    user_id: int, cadence: Cadence, local_time: time, zone: ZoneInfo, weekday: int | None, now: datetime
) -> ReminderSettings:
    """A reminder set at `now`, in whole minutes: a weekly one without a day rings on today's
    weekday, a daily one on every day (any weekday given is dropped)."""
    if cadence is Cadence.WEEKLY and weekday is None:
        weekday = default_weekday(now, zone)
    if cadence is Cadence.DAILY:
        weekday = None
    local_time = local_time.replace(second=0, microsecond=0, tzinfo=None)
    due = first_due(cadence, local_time, zone, weekday, now)
    return ReminderSettings(user_id, cadence, local_time, zone.key, weekday, due)


def in_new_zone(reminder: ReminderSettings, zone: ZoneInfo, now: datetime) -> ReminderSettings:
    """The reminder after the member moves to `zone`: one zone per member, and the reminder keeps
    its local time (20:30 stays 20:30 on their new clock), its cadence and its weekday."""
    return new_reminder(reminder.user_id, reminder.cadence, reminder.local_time, zone, reminder.weekday, now)


def handled(reminder: ReminderSettings, now: datetime, *, sent: bool) -> ReminderSettings:
    """The reminder once its due time was dealt with at `now`: moved to its next time (missed ones
    are not replayed), and marked sent unless `should_send` said the miss was too old to deliver."""
    return replace(
        reminder,
        next_due_at=following_due(reminder, now),
        last_sent_at=now if sent else reminder.last_sent_at,
    )


def should_send(reminder: ReminderSettings, now: datetime) -> bool:
    """Due and still recent enough to be useful; an old miss is skipped, not delivered late."""
    if reminder.next_due_at > now:
        return False
    return now - reminder.next_due_at <= CATCH_UP_WINDOW[reminder.cadence]


def following_due(reminder: ReminderSettings, now: datetime) -> datetime:
    """The next due time once this one is handled: computed from now, so missed ones never pile up."""
    return next_occurrence(
        reminder.cadence,
        reminder.local_time,
        ZoneInfo(reminder.timezone),
        reminder.weekday,
        max(now, reminder.next_due_at),
    )


def describe(reminder: ReminderSettings) -> str:
    """'daily at 21:00 (Europe/London)' / 'every Monday at 09:00 (UTC)'."""
    clock = reminder.local_time.strftime("%H:%M")
    if reminder.cadence is Cadence.WEEKLY and reminder.weekday is not None:
        return f"every {_WEEKDAYS[reminder.weekday]} at {clock} ({reminder.timezone})"
    return f"daily at {clock} ({reminder.timezone})"


def weekday_name(weekday: int) -> str:
    return _WEEKDAYS[weekday]
