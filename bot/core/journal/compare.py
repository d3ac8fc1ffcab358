"""`/journal compare`: each rating's average before treatment against months +3, +6, +12 and +24 after
reinfusion, with how many entries stand behind each figure.

"Before" is the three months before mobilisation started (the mobilisation milestone, else the
first entry in the mobilisation phase shortly before day 0), or the three months before day 0 when
no mobilisation is recorded. "Month +N" is the month centred on N months after day 0. Only the
member's own numbers are averaged; nothing is judged, and the words shown with the figures say
that a change in a personal record is not proof of its cause.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from bot.core.journal.kinds import Milestone
from bot.core.journal.model import RATING_HINTS, RATINGS, JournalEntry, Phase
from bot.core.journal.rules import infusion_starts

COMPARED_MONTHS = (3, 6, 12, 24)
BEFORE_MONTHS = 3
#: Each "month +N" runs this many days either side of the day N months after day 0.
HALF_WINDOW_DAYS = 15
#: A mobilisation-phase entry further back than this before day 0 belongs to another treatment.
MOBILISATION_LOOKBACK_DAYS = 120
NOT_PROOF = (
    "These are averages of your own ratings: a personal record, not proof of what caused any "
    "change, since many things affect how you feel. Talk them through with your MS team."
)
NO_DAY_ZERO = (
    "To compare before and after, I need the date of your reinfusion (day 0). Add it with "
    "`/journal milestone which: Reinfusion (day 0) date: YYYY-MM-DD`, then try again."
)


@dataclass(frozen=True, slots=True)
class Window:
    """A stretch of days averaged together; `end` is included."""

    label: str
    start: date
    end: date


@dataclass(frozen=True, slots=True)
class Figure:
    """One rating's average over one window, and how many entries gave it (None: none did)."""

    average: float | None
    entries: int


@dataclass(frozen=True, slots=True)
class Comparison:
    day_zero: date
    #: When mobilisation started; None when "before" counts back from day 0 instead.
    mobilisation: date | None
    windows: tuple[Window, ...]
    #: Per rating, one figure per window, in `windows` order (only ratings given at least once).
    figures: dict[str, tuple[Figure, ...]]


def compare(entries: Sequence[JournalEntry]) -> Comparison | None:
    """The member's before-and-after figures; None without a day 0 (`NO_DAY_ZERO` says what to do)."""
    starts = infusion_starts(e.entry_date for e in entries if e.phase is Phase.INFUSION)
    if not starts:
        return None
    day_zero = starts[-1]
    mobilisation = _mobilisation_start(entries, day_zero)
    before_end = (mobilisation or day_zero) - timedelta(days=1)
    windows = [Window("Before", add_months(before_end + timedelta(days=1), -BEFORE_MONTHS), before_end)]
    for months in COMPARED_MONTHS:
        middle = add_months(day_zero, months)
        windows.append(
            Window(
                f"Month +{months}",
                middle - timedelta(days=HALF_WINDOW_DAYS),
                middle + timedelta(days=HALF_WINDOW_DAYS),
            )
        )
    sums = {name: [[0, 0] for _ in windows] for name in RATINGS}
    for entry in entries:
        for index, window in enumerate(windows):
            if window.start <= entry.entry_date <= window.end:
                for name, value in entry.ratings().items():
                    if value is not None:
                        sums[name][index][0] += value
                        sums[name][index][1] += 1
    figures = {
        name: tuple(Figure(round(total / count, 1) if count else None, count) for total, count in per_window)
        for name, per_window in sums.items()
        if any(count for _, count in per_window)
    }
    return Comparison(day_zero, mobilisation, tuple(windows), figures)


def _mobilisation_start(entries: Sequence[JournalEntry], day_zero: date) -> date | None:
    """The latest mobilisation milestone before day 0, else the first mobilisation-phase entry of the
    weeks before it."""
    earliest = day_zero - timedelta(days=MOBILISATION_LOOKBACK_DAYS)
    milestones = [
        e.entry_date
        for e in entries
        if e.milestone is Milestone.MOBILISATION_START and earliest <= e.entry_date <= day_zero
    ]
    if milestones:
        return max(milestones)
    phases = [
        e.entry_date
        for e in entries
        if e.phase is Phase.MOBILISATION and earliest <= e.entry_date <= day_zero
    ]
    return min(phases) if phases else None


def add_months(day: date, months: int) -> date:
    """The same day `months` later (or earlier), kept within the month: 31 Jan + 1 month = 28/29 Feb."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def comparison_lines(comparison: Comparison, today: date) -> tuple[str, list[tuple[str, str]]]:
    """What the member reads: a line naming the windows, and per rating its figures with their counts
    ('—' where no entry gave one; 'not yet' for months still to come)."""
    before = (
        "the 3 months before mobilisation started"
        if comparison.mobilisation
        else "the 3 months before day 0 (no mobilisation start is recorded)"
    )
    spans = "; ".join(
        f"{window.label}: {window.start.isoformat()} to {window.end.isoformat()}"
        for window in comparison.windows
    )
    intro = f"Day 0 (reinfusion): {comparison.day_zero.isoformat()}. Before = {before}.\n{spans}"
    fields: list[tuple[str, str]] = []
    for name, figures in comparison.figures.items():
        parts = []
        for window, figure in zip(comparison.windows, figures, strict=True):
            if figure.average is None and window.start > today:
                parts.append(f"{window.label}: not yet")
            elif figure.average is None:
                parts.append(f"{window.label}: — (0 entries)")
            else:
                plural = "entry" if figure.entries == 1 else "entries"
                parts.append(f"{window.label}: **{figure.average:.1f}** ({figure.entries} {plural})")
        fields.append((RATING_HINTS[name], "\n".join(parts)))
    return intro, fields
