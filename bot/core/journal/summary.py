"""The numbers behind `/journal summary`: counts, date range and monthly averages (pure)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from bot.core.journal.model import RATINGS, EntryKind, Phase, RatingPoint
from bot.core.journal.rules import infusion_starts


@dataclass(frozen=True, slots=True)
class MonthlyAverage:
    """One calendar month: how many entries, and the mean of each rating given (None if never rated)."""

    month: str  # "2026-01"
    entries: int
    averages: dict[str, float | None]
    rated: dict[str, int]


@dataclass(frozen=True, slots=True)
class JournalSummary:
    total: int
    by_kind: dict[EntryKind, int]
    by_phase: dict[Phase, int]
    first_date: date | None
    last_date: date | None
    #: Entries carrying at least one rating (what the chart can draw).
    rated_entries: int
    months: tuple[MonthlyAverage, ...]
    #: Day 0 of each infusion the member recorded (phase 'infusion'), oldest first.
    infusion_dates: tuple[date, ...]

    @property
    def is_empty(self) -> bool:
        return self.total == 0

    @property
    def relapses(self) -> int:
        return self.by_kind.get(EntryKind.RELAPSE, 0)


def summarise(points: Sequence[RatingPoint]) -> JournalSummary:
    """Summarise a member's entries (any order); averages are rounded to one decimal."""
    ordered = sorted(points, key=lambda p: p.entry_date)
    by_kind = Counter(p.kind for p in ordered)
    by_phase = Counter(p.phase for p in ordered if p.phase is not None)
    by_month: dict[str, list[RatingPoint]] = defaultdict(list)
    for point in ordered:
        by_month[point.entry_date.strftime("%Y-%m")].append(point)
    months = tuple(_month(month, group) for month, group in sorted(by_month.items()))
    rated = sum(1 for p in ordered if any(v is not None for v in p.ratings().values()))
    return JournalSummary(
        total=len(ordered),
        by_kind={kind: by_kind[kind] for kind in EntryKind if by_kind[kind]},
        by_phase={phase: by_phase[phase] for phase in Phase if by_phase[phase]},
        first_date=ordered[0].entry_date if ordered else None,
        last_date=ordered[-1].entry_date if ordered else None,
        rated_entries=rated,
        months=months,
        infusion_dates=infusion_starts(p.entry_date for p in ordered if p.phase is Phase.INFUSION),
    )


def _month(month: str, group: list[RatingPoint]) -> MonthlyAverage:
    averages: dict[str, float | None] = {}
    rated: dict[str, int] = {}
    for name in RATINGS:
        values = [v for v in (getattr(p, name) for p in group) if v is not None]
        rated[name] = len(values)
        averages[name] = round(sum(values) / len(values), 1) if values else None
    return MonthlyAverage(month=month, entries=len(group), averages=averages, rated=rated)
