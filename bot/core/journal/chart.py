"""A PNG of a member's ratings over time, for `/journal summary`.

Synchronous and CPU-bound: the cog calls it through `asyncio.to_thread`. It builds a
`matplotlib.figure.Figure` with an Agg canvas directly (never pyplot, whose global state is
not thread-safe), so several charts may render at once. Large text and thick lines, because
many members live with blurred vision or optic neuritis.
"""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, timedelta
from typing import TYPE_CHECKING

from bot.core.journal.model import RATING_HINTS, RATINGS, EntryKind, Phase, RatingPoint
from bot.core.journal.rules import infusion_starts

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

#: Colour-blind-safe palette (Okabe-Ito), one per rating in `RATINGS` order (the timeline shares them).
RATING_COLOURS = ("#000000", "#E69F00", "#56B4E9", "#009E73", "#CC79A7", "#0072B2")
RATING_STYLES = ("-", "--", "-.", ":", "--", "-.")
RATING_MARKERS = ("o", "s", "^", "D", "v", "P")
_WIDTH_PX, _HEIGHT_PX, _DPI = 1000, 560, 100


def daily_series(points: Sequence[RatingPoint]) -> dict[str, list[tuple[date, float]]]:
    """Per rating, the mean value of each day that has one (several entries a day are averaged)."""
    sums: dict[str, dict[date, list[int]]] = {name: defaultdict(list) for name in RATINGS}
    for point in points:
        for name, value in point.ratings().items():
            if value is not None:
                sums[name][point.entry_date].append(value)
    return {
        name: [(day, sum(values) / len(values)) for day, values in sorted(by_day.items())]
        for name, by_day in sums.items()
        if by_day
    }


def render_ratings_chart(points: Sequence[RatingPoint], title: str = "My journal ratings") -> bytes:
    """PNG bytes: one line per rating over time, day 0 of each infusion and relapses marked.

    With no ratings at all the image says so instead of drawing empty axes.
    """
    # Imported here so the bot starts without paying for matplotlib until a chart is asked for.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter, date2num
    from matplotlib.figure import Figure

    figure = Figure(figsize=(_WIDTH_PX / _DPI, _HEIGHT_PX / _DPI), dpi=_DPI, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    axes.set_title(title, fontsize=16)
    series = daily_series(points)
    if not series:
        axes.set_axis_off()
        axes.text(
            0.5,
            0.5,
            "No ratings yet.\nAdd 'how I feel' or symptom ratings to your entries to see them here.",
            ha="center",
            va="center",
            fontsize=15,
            wrap=True,
            transform=axes.transAxes,
        )
        return png_bytes(figure)

    all_days = [day for values in series.values() for day, _ in values]
    first, last = min(all_days), max(all_days)
    for index, name in enumerate(RATINGS):
        if name not in series:
            continue
        days = date2num([day for day, _ in series[name]])
        values = [value for _, value in series[name]]
        axes.plot(
            days,
            values,
            label=RATING_HINTS[name].split(":")[0],
            color=RATING_COLOURS[index],
            linestyle=RATING_STYLES[index],
            marker=RATING_MARKERS[index],
            linewidth=3.0 if name == "feeling" else 2.0,
            markersize=7,
        )
    _mark_events(axes, points, first, last)
    # At least a few days either side, so a single entry gets day ticks rather than hours.
    padding = max(timedelta(days=3), (last - first) / 30)
    axes.set_xlim(float(date2num(first - padding)), float(date2num(last + padding)))
    axes.xaxis_date()
    axes.set_ylim(-0.5, 10.5)
    axes.set_yticks(range(0, 11, 2))
    axes.set_ylabel("Rating (0-10)", fontsize=13)
    axes.grid(True, alpha=0.3)
    locator = AutoDateLocator(minticks=3, maxticks=8)
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    axes.tick_params(labelsize=12)
    axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=12, frameon=False)
    return png_bytes(figure)


def _mark_events(axes: Axes, points: Sequence[RatingPoint], first: date, last: date) -> None:
    """Vertical lines for day 0 of each infusion and for relapses within the plotted range."""
    from matplotlib.dates import date2num

    infusions = infusion_starts(p.entry_date for p in points if p.phase is Phase.INFUSION)
    relapses = sorted({p.entry_date for p in points if p.kind is EntryKind.RELAPSE})
    for index, day in enumerate(infusions):
        if first <= day <= last:
            axes.axvline(
                float(date2num(day)),
                color="#D55E00",
                linewidth=2,
                label="Infusion (day 0)" if index == 0 else None,
            )
    for index, day in enumerate(relapses):
        if first <= day <= last:
            axes.axvline(
                float(date2num(day)),
                color="#7F7F7F",
                linewidth=2,
                linestyle=":",
                label="Relapse" if index == 0 else None,
            )


def png_bytes(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()
