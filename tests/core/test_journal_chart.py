"""The ratings chart: always a PNG, whatever the member's journal looks like."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

from bot.core.journal.chart import daily_series, render_ratings_chart
from bot.core.journal.model import RATINGS, EntryKind, Phase, RatingPoint

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _is_png(data: bytes) -> bool:
    return data.startswith(PNG_SIGNATURE) and len(data) > 1000


def test_a_month_of_check_ins() -> None:
    start = date(2026, 1, 1)
    points = [
        RatingPoint(start + timedelta(days=i), EntryKind.CHECKIN, None, feeling=i % 11, fatigue=10 - i % 11)
        for i in range(30)
    ]
    points.append(RatingPoint(date(2026, 1, 5), EntryKind.MILESTONE, Phase.INFUSION))
    points.append(RatingPoint(date(2026, 1, 20), EntryKind.RELAPSE, None, mobility=7))
    assert _is_png(render_ratings_chart(points))


def test_one_entry() -> None:
    assert _is_png(render_ratings_chart([RatingPoint(date(2026, 1, 1), EntryKind.CHECKIN, None, feeling=6)]))


def test_no_ratings_at_all() -> None:
    only_notes = [RatingPoint(date(2026, 1, 1), EntryKind.NOTE, None)]
    assert _is_png(render_ratings_chart(only_notes))
    assert _is_png(render_ratings_chart([]))


def test_several_entries_a_day_are_averaged() -> None:
    day = date(2026, 1, 1)
    series = daily_series(
        [
            RatingPoint(day, EntryKind.CHECKIN, None, feeling=4),
            RatingPoint(day, EntryKind.NOTE, None, feeling=7),
        ]
    )
    assert series == {"feeling": [(day, 5.5)]}


async def test_charts_render_in_parallel_threads() -> None:
    """The cog renders through asyncio.to_thread; Figure without pyplot is safe to run concurrently."""
    points = [
        RatingPoint(date(2026, 1, d), EntryKind.CHECKIN, None, feeling=d % 11, pain=3) for d in range(1, 20)
    ]
    images = await asyncio.gather(*(asyncio.to_thread(render_ratings_chart, points) for _ in range(4)))
    assert all(_is_png(image) for image in images)


def test_every_rating_can_be_drawn() -> None:
    """Each rating has its own colour, line style and marker; a rating added without them fails here."""
    points = [
        RatingPoint(
            date(2026, 1, d),
            EntryKind.CHECKIN,
            None,
            **{name: (d + i) % 11 for i, name in enumerate(RATINGS)},
        )
        for d in range(1, 8)
    ]
    assert set(daily_series(points)) == set(RATINGS)
    assert _is_png(render_ratings_chart(points))
