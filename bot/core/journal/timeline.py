"""`/journal timeline`: a member's months around day 0 (reinfusion), or their calendar months without
one, as one picture: ratings as lines, relapses and MRIs as markers, the phases of treatment as
shaded bands, and milestones labelled.

`build_timeline` is pure data (tested without drawing); `draw_timeline` draws it on any matplotlib
axes (the PNG here, a page of the report); both run in the journal's worker process. Nothing is
interpreted: the lines are the member's own ratings, averaged per day or per week.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

from bot.core.journal.chart import RATING_COLOURS, RATING_MARKERS, RATING_STYLES, png_bytes
from bot.core.journal.model import RATING_HINTS, RATINGS, EntryKind, JournalEntry, Phase
from bot.core.journal.rules import infusion_starts

if TYPE_CHECKING:
    from matplotlib.axes import Axes

#: Days in an average month, for "months from day 0".
MONTH_DAYS = 30.4375
#: How far before day 0 the timeline looks (mobilisation and collection come a few weeks before).
MONTHS_BEFORE_DAY_0 = 6
#: Without a day 0, the most recent months shown.
MONTHS_WITHOUT_DAY_0 = 24
#: Over this many days, ratings are averaged per week, so years of daily entries stay readable.
WEEKLY_AFTER_DAYS = 120
#: A light colour per phase for the bands (Okabe-Ito, as the lines), by phase order.
PHASE_COLOURS = {
    Phase.CONSIDERING: "#BBBBBB",
    Phase.CONSULTATION: "#999999",
    Phase.MOBILISATION: "#56B4E9",
    Phase.COLLECTION: "#0072B2",
    Phase.CONDITIONING: "#E69F00",
    Phase.INFUSION: "#D55E00",
    Phase.IN_HOSPITAL: "#CC79A7",
    Phase.RECOVERY: "#009E73",
    Phase.FOLLOW_UP: "#F0E442",
}
_RELAPSE_COLOUR, _MRI_COLOUR, _MILESTONE_COLOUR = "#D55E00", "#0072B2", "#444444"
_WIDTH_PX, _HEIGHT_PX, _DPI = 1200, 700, 100


@dataclass(frozen=True, slots=True)
class Band:
    """A stretch of days in one phase (from its first entry in that phase to the next phase)."""

    phase: Phase
    start: date
    end: date


@dataclass(frozen=True, slots=True)
class Timeline:
    """What the picture shows; dates outside `start`..`end` are left out."""

    day_zero: date | None
    start: date
    end: date
    #: Per rating, (first day of the day or week, mean of the ratings given in it).
    series: dict[str, list[tuple[date, float]]]
    bands: tuple[Band, ...]
    milestones: tuple[tuple[date, str], ...]
    relapses: tuple[date, ...]
    mris: tuple[date, ...]
    weekly: bool

    def months_from_day_zero(self, day: date) -> float:
        assert self.day_zero is not None
        return (day - self.day_zero).days / MONTH_DAYS


def build_timeline(entries: Sequence[JournalEntry], today: date) -> Timeline:
    """The member's timeline: around the latest day 0 when there is one, else their recent months."""
    ordered = sorted(entries, key=lambda entry: (entry.entry_date, entry.seq))
    first = ordered[0].entry_date if ordered else today
    last = ordered[-1].entry_date if ordered else today
    starts = infusion_starts(e.entry_date for e in ordered if e.phase is Phase.INFUSION)
    day_zero = starts[-1] if starts else None
    if day_zero is not None:
        start = max(first, day_zero - timedelta(days=round(MONTHS_BEFORE_DAY_0 * MONTH_DAYS)))
        end = max(last, day_zero)
    else:
        start = max(first, last - timedelta(days=round(MONTHS_WITHOUT_DAY_0 * MONTH_DAYS)))
        end = last
    shown = [entry for entry in ordered if start <= entry.entry_date <= end]
    weekly = (end - start).days > WEEKLY_AFTER_DAYS
    return Timeline(
        day_zero=day_zero,
        start=start,
        end=end,
        series=_series(shown, weekly),
        bands=_bands(ordered, start, end),
        milestones=tuple(
            (e.entry_date, e.milestone.label if e.milestone else "Milestone")
            for e in shown
            if e.kind is EntryKind.MILESTONE
        ),
        relapses=tuple(e.entry_date for e in shown if e.kind is EntryKind.RELAPSE),
        mris=tuple(e.entry_date for e in shown if e.kind is EntryKind.MRI),
        weekly=weekly,
    )


def _series(entries: Sequence[JournalEntry], weekly: bool) -> dict[str, list[tuple[date, float]]]:
    sums: dict[str, dict[date, list[int]]] = {name: defaultdict(list) for name in RATINGS}
    for entry in entries:
        period = entry.entry_date - timedelta(days=entry.entry_date.weekday()) if weekly else entry.entry_date
        for name, value in entry.ratings().items():
            if value is not None:
                sums[name][period].append(value)
    return {
        name: [(period, sum(values) / len(values)) for period, values in sorted(by_period.items())]
        for name, by_period in sums.items()
        if by_period
    }


def _bands(entries: Sequence[JournalEntry], start: date, end: date) -> tuple[Band, ...]:
    """Runs of one phase, each lasting until the next phase begins (the last one until its last entry)."""
    runs: list[tuple[Phase, date, date]] = []
    for entry in entries:
        if entry.phase is None:
            continue
        if runs and runs[-1][0] is entry.phase:
            runs[-1] = (entry.phase, runs[-1][1], entry.entry_date)
        else:
            runs.append((entry.phase, entry.entry_date, entry.entry_date))
    bands: list[Band] = []
    for index, (phase, first, last) in enumerate(runs):
        until = runs[index + 1][1] if index + 1 < len(runs) else last + timedelta(days=1)
        clipped = Band(phase, max(first, start), min(until, end + timedelta(days=1)))
        if clipped.start < clipped.end:
            bands.append(clipped)
    return tuple(bands)


def render_timeline(timeline: Timeline) -> bytes:
    """The timeline as a PNG (large text and thick lines, for members with blurred vision)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(_WIDTH_PX / _DPI, _HEIGHT_PX / _DPI), dpi=_DPI, layout="constrained")
    FigureCanvasAgg(figure)
    draw_timeline(figure.add_subplot(), timeline, legend_outside=True)
    return png_bytes(figure)


def draw_timeline(axes: Axes, timeline: Timeline, *, legend_outside: bool, fontsize: float = 12) -> None:
    """Draw `timeline` on `axes`: bands, rating lines, relapse and MRI markers, labelled milestones."""
    x = _x_of(timeline)
    title = "My journal around day 0 (reinfusion)" if timeline.day_zero else "My journal"
    axes.set_title(title, fontsize=fontsize + 4)
    shaded: set[Phase] = set()
    for band in timeline.bands:
        axes.axvspan(
            x(band.start),
            x(band.end),
            color=PHASE_COLOURS[band.phase],
            alpha=0.18,
            linewidth=0,
            label=None if band.phase in shaded else band.phase.label,
        )
        shaded.add(band.phase)
    for index, name in enumerate(RATINGS):
        points = timeline.series.get(name)
        if not points:
            continue
        axes.plot(
            [x(day) for day, _ in points],
            [value for _, value in points],
            label=RATING_HINTS[name].split(":")[0] + (" (weekly)" if timeline.weekly else ""),
            color=RATING_COLOURS[index],
            linestyle=RATING_STYLES[index],
            marker=RATING_MARKERS[index],
            linewidth=3.0 if name == "feeling" else 2.0,
            markersize=5 if timeline.weekly else 7,
        )
    if timeline.relapses:
        xs = [x(day) for day in timeline.relapses]
        axes.plot(
            xs, [10.6] * len(xs), "v", color=_RELAPSE_COLOUR, markersize=12, label="Relapse", clip_on=False
        )
    if timeline.mris:
        xs = [x(day) for day in timeline.mris]
        axes.plot(xs, [-0.6] * len(xs), "s", color=_MRI_COLOUR, markersize=10, label="MRI")
    _axes_style(axes, timeline, fontsize)
    _label_milestones(axes, timeline, fontsize - 2)
    if not timeline.series:
        axes.text(
            0.5,
            0.5,
            "No ratings yet: add 'how I feel' or symptom ratings to see lines here.",
            ha="center",
            va="center",
            fontsize=fontsize,
            transform=axes.transAxes,
        )
    if legend_outside:
        axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=fontsize - 1, frameon=False)
    else:
        axes.legend(
            loc="upper center", bbox_to_anchor=(0.5, -0.12), ncols=4, fontsize=fontsize - 3, frameon=False
        )


def _label_milestones(axes: Axes, timeline: Timeline, fontsize: float) -> None:
    """A dashed line at each milestone, its name written level beside it at the top; names that would
    run into the one before go a row lower, so close milestones stay readable."""
    x = _x_of(timeline)
    low, high = axes.get_xlim()
    width_px = max(axes.get_window_extent().width, 1.0)
    per_char = fontsize * 0.62 * axes.figure.dpi / 72 * (high - low) / width_px
    row_ends: list[float] = []
    for day, label in timeline.milestones:
        at = x(day)
        axes.axvline(at, color=_MILESTONE_COLOUR, linewidth=1.2, linestyle="--")
        row = next((i for i, end in enumerate(row_ends) if end < at), len(row_ends))
        end = at + (len(label) + 2) * per_char
        if row == len(row_ends):
            row_ends.append(end)
        else:
            row_ends[row] = end
        axes.annotate(
            label,
            (at, 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(3, -4 - row * fontsize * 1.5),
            textcoords="offset points",
            va="top",
            ha="left",
            fontsize=fontsize,
            color=_MILESTONE_COLOUR,
            bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "alpha": 0.75, "linewidth": 0},
        )


def _x_of(timeline: Timeline):
    """Where a date sits on the x axis: months from day 0, or matplotlib's date numbers."""
    if timeline.day_zero is not None:
        return timeline.months_from_day_zero
    from matplotlib.dates import date2num

    return lambda day: float(date2num(day))


def _axes_style(axes: Axes, timeline: Timeline, fontsize: float) -> None:
    x = _x_of(timeline)
    padding = max(timedelta(days=3), (timeline.end - timeline.start) / 40)
    axes.set_xlim(x(timeline.start - padding), x(timeline.end + padding))
    axes.set_ylim(-1.0, 12.5)
    axes.set_yticks(range(0, 11, 2))
    axes.set_ylabel("Rating (0-10)", fontsize=fontsize)
    axes.grid(True, alpha=0.3)
    axes.tick_params(labelsize=fontsize - 1)
    if timeline.day_zero is not None:
        span = x(timeline.end) - x(timeline.start)
        step = 1 if span <= 12 else 3 if span <= 36 else 6
        low, high = int(x(timeline.start) // step) * step, int(x(timeline.end) // step + 1) * step
        ticks = list(range(low, high + 1, step))
        axes.set_xticks(ticks, [_month_label(tick) for tick in ticks])
        axes.set_xlabel(f"Months from day 0 ({timeline.day_zero.isoformat()})", fontsize=fontsize)
    else:
        from matplotlib.dates import AutoDateLocator, ConciseDateFormatter

        locator = AutoDateLocator(minticks=3, maxticks=8)
        axes.xaxis.set_major_locator(locator)
        axes.xaxis.set_major_formatter(ConciseDateFormatter(locator))


def _month_label(month: int) -> str:
    return "day 0" if month == 0 else f"{month:+d} mo"
