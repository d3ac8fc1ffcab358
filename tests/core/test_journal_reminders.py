"""Reminder timing: local wall-clock times across zones and DST, and no flood after downtime."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.core.journal import reminders
from bot.core.journal.model import Cadence, ReminderSettings

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
KOLKATA = ZoneInfo("Asia/Kolkata")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def daily(at: time, zone: ZoneInfo, after: datetime) -> datetime:
    return reminders.next_occurrence(Cadence.DAILY, at, zone, None, after)


def test_daily_later_today_or_tomorrow() -> None:
    assert daily(time(21), LONDON, utc(2026, 1, 10, 12)) == utc(2026, 1, 10, 21)
    assert daily(time(21), LONDON, utc(2026, 1, 10, 21)) == utc(2026, 1, 11, 21)  # strictly after
    assert daily(time(9, 30), KOLKATA, utc(2026, 1, 10, 12)) == utc(2026, 1, 11, 4)


def test_local_time_holds_across_dst() -> None:
    """21:00 in London is 21:00 UTC in winter and 20:00 UTC in summer."""
    assert daily(time(21), LONDON, utc(2026, 3, 28, 22)) == utc(2026, 3, 29, 20)
    assert daily(time(21), NEW_YORK, utc(2026, 10, 31, 12)) == utc(2026, 11, 1, 1)  # EDT
    assert daily(time(21), NEW_YORK, utc(2026, 11, 1, 12)) == utc(2026, 11, 2, 2)  # EST


def test_time_skipped_by_spring_forward_still_rings_once() -> None:
    """02:30 does not exist in New York on 2026-03-08; the reminder rings at 03:30 local that night."""
    due = daily(time(2, 30), NEW_YORK, utc(2026, 3, 7, 12))
    assert due == utc(2026, 3, 8, 7, 30)
    assert due.astimezone(NEW_YORK).hour == 3
    assert daily(time(2, 30), NEW_YORK, due) == utc(2026, 3, 9, 6, 30)


def test_time_repeated_by_fall_back_rings_once() -> None:
    """01:30 happens twice in New York on 2026-11-01; the reminder rings at the first, not both."""
    first = daily(time(1, 30), NEW_YORK, utc(2026, 10, 31, 12))
    assert first == utc(2026, 11, 1, 5, 30)
    assert daily(time(1, 30), NEW_YORK, first) == utc(2026, 11, 2, 6, 30)


def test_weekly_on_the_chosen_weekday() -> None:
    # 2026-01-10 is a Saturday; Monday = 0.
    due = reminders.next_occurrence(Cadence.WEEKLY, time(9), LONDON, 0, utc(2026, 1, 10, 12))
    assert due == utc(2026, 1, 12, 9)
    assert reminders.next_occurrence(Cadence.WEEKLY, time(9), LONDON, 0, due) == utc(2026, 1, 19, 9)


def test_weekly_needs_a_weekday_and_aware_times() -> None:
    with pytest.raises(ValueError):
        reminders.next_occurrence(Cadence.WEEKLY, time(9), LONDON, None, utc(2026, 1, 1))
    with pytest.raises(ValueError):
        daily(time(9), LONDON, datetime(2026, 1, 1))  # noqa: DTZ001 - the naive time is the point


def _reminder(
    due: datetime, cadence: Cadence = Cadence.DAILY, weekday: int | None = None
) -> ReminderSettings:
    return ReminderSettings(1, cadence, time(21), "Europe/London", weekday, due)


def test_downtime_sends_at_most_one_catch_up() -> None:
    """Down for a week: the loop sees one due reminder, sends it once, and moves to the next evening."""
    due = utc(2026, 1, 10, 21)
    back_up = due + timedelta(hours=3)
    reminder = _reminder(due)
    assert reminders.should_send(reminder, back_up)
    following = reminders.following_due(reminder, back_up)
    assert following == utc(2026, 1, 11, 21)

    long_outage = due + timedelta(days=7, hours=1)
    assert not reminders.should_send(reminder, long_outage)  # too old to be useful: skipped
    following = reminders.following_due(reminder, long_outage)
    assert following == utc(2026, 1, 18, 21)
    assert following > long_outage
    sent = 0
    now = long_outage
    state = reminder
    for _ in range(10):  # the loop polling repeatedly finds nothing more to send
        if state.next_due_at <= now and reminders.should_send(state, now):
            sent += 1
        if state.next_due_at <= now:
            state = _reminder(reminders.following_due(state, now))
        now += timedelta(minutes=1)
    assert sent == 0


def test_not_due_yet_is_not_sent() -> None:
    assert not reminders.should_send(_reminder(utc(2026, 1, 10, 21)), utc(2026, 1, 10, 20, 59))


def test_weekly_catch_up_window_is_wider() -> None:
    reminder = _reminder(utc(2026, 1, 12, 9), Cadence.WEEKLY, 0)
    assert reminders.should_send(reminder, utc(2026, 1, 13, 20))
    assert not reminders.should_send(reminder, utc(2026, 1, 16, 9))


def test_descriptions() -> None:
    assert reminders.describe(_reminder(utc(2026, 1, 1))) == "daily at 21:00 (Europe/London)"
    weekly = _reminder(utc(2026, 1, 1), Cadence.WEEKLY, 2)
    assert reminders.describe(weekly) == "every Wednesday at 21:00 (Europe/London)"
    assert reminders.default_weekday(utc(2026, 1, 10, 23, 30), KOLKATA) == 6  # already Sunday there


def test_the_zone_is_the_chosen_one_else_the_journals_else_utc() -> None:
    assert reminders.reminder_zone(KOLKATA, LONDON) == (KOLKATA, False)
    assert reminders.reminder_zone(None, LONDON) == (LONDON, False)
    assert reminders.reminder_zone(None, None) == (ZoneInfo("UTC"), True)


def test_a_new_reminder_gets_its_weekday_and_whole_minutes() -> None:
    """Set on a Friday evening in London: weekly rings on Fridays; daily carries no weekday."""
    friday = utc(2026, 1, 9, 19)
    weekly = reminders.new_reminder(7, Cadence.WEEKLY, time(21, 15, 42), LONDON, None, friday)
    assert (weekly.weekday, weekly.local_time, weekly.timezone) == (4, time(21, 15), "Europe/London")
    assert weekly.next_due_at == utc(2026, 1, 9, 21, 15)
    daily = reminders.new_reminder(7, Cadence.DAILY, time(8, 0), LONDON, 2, friday)
    assert daily.weekday is None and daily.next_due_at == utc(2026, 1, 10, 8)
    chosen = reminders.new_reminder(7, Cadence.WEEKLY, time(8, 0), LONDON, 0, friday)
    assert chosen.weekday == 0 and chosen.next_due_at == utc(2026, 1, 12, 8)


def test_a_reminder_moved_to_a_new_zone_keeps_its_local_time() -> None:
    set_in_london = reminders.new_reminder(7, Cadence.WEEKLY, time(20, 30), LONDON, 0, utc(2026, 1, 9, 12))
    moved = reminders.in_new_zone(set_in_london, NEW_YORK, utc(2026, 1, 9, 12))
    assert (moved.cadence, moved.local_time, moved.weekday) == (Cadence.WEEKLY, time(20, 30), 0)
    assert moved.timezone == "America/New_York" and moved.next_due_at == utc(2026, 1, 13, 1, 30)


def test_a_handled_reminder_moves_on_and_records_only_a_real_sending() -> None:
    due = reminders.new_reminder(7, Cadence.DAILY, time(21), LONDON, None, utc(2026, 1, 9, 12))
    sent_at = utc(2026, 1, 9, 21, 1)
    sent = reminders.handled(due, sent_at, sent=True)
    assert (sent.next_due_at, sent.last_sent_at) == (utc(2026, 1, 10, 21), sent_at)
    skipped = reminders.handled(sent, utc(2026, 1, 14, 9), sent=False)
    assert (skipped.next_due_at, skipped.last_sent_at) == (utc(2026, 1, 14, 21), sent_at)
