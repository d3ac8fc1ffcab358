"""`/journal report`: a PDF of the member's journal for their neurologist (A4, one to three pages).

What it holds: the period, the treatment timeline (every milestone, with its day from day 0), the
timeline chart of the period, then tables of relapses, MRIs, disability scores (with who gave
each), blood counts (with their units), medicines, vaccinations, appointments and side effects; the
member's notes only when they ask. Every page ends with "Self-reported by the patient, not a medical
record". Nothing is interpreted or flagged: the values are as the member entered them.

Drawn with matplotlib's PDF backend (already the bot's chart library) in the journal's worker
process. The layout is a column of lines of fixed height; each table shows its most recent rows
when it is long, and the report stops at three pages with a line saying what was left out (the
export holds everything).
"""

from __future__ import annotations

import io
import textwrap
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from typing import TYPE_CHECKING

from bot.core.journal.display import detail_fields
from bot.core.journal.kinds import (
    BLOOD_COUNTS,
    AppointmentDetails,
    BloodCountDetails,
    MedicineDetails,
    MriDetails,
    RelapseDetails,
    ScoreDetails,
    VaccinationDetails,
)
from bot.core.journal.model import EntryKind, JournalEntry, Phase, format_infusion_day
from bot.core.journal.report_request import ReportRequest
from bot.core.journal.rules import infusion_day, infusion_starts
from bot.core.journal.timeline import build_timeline, draw_timeline

if TYPE_CHECKING:
    from matplotlib.figure import Figure

FOOTER = "Self-reported by the patient, not a medical record"
MAX_PAGES = 3
#: The most rows one table shows (its most recent ones); the export holds the rest.
MAX_TABLE_ROWS = 25
_PAGE_W, _PAGE_H = 8.27, 11.69  # A4, inches
_MARGIN_X, _MARGIN_TOP, _MARGIN_BOTTOM = 0.6, 0.6, 0.75
_LINE = 0.19  # inches per table line at the body size
_BODY, _SMALL, _HEADING, _TITLE = 9.0, 8.0, 11.5, 16.0
_CHART_HEIGHT = 3.9
#: Average glyph width of DejaVu Sans, in em, to fit text to a column without measuring it.
_EM_WIDTH = 0.56


@dataclass(frozen=True, slots=True)
class Table:
    title: str
    #: (header, width in inches) per column.
    columns: tuple[tuple[str, float], ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass
class _Pages:
    """Lines laid from the top of each page down; a page that is full starts the next."""

    figures: list[Figure] = field(default_factory=list)
    y: float = 0.0
    full: bool = False

    def room(self) -> float:
        return self.y - _MARGIN_BOTTOM

    def need(self, inches: float) -> bool:
        """Room for `inches` more, on this page or a new one; False once the last page is full (whose
        last line stays free for `_left_out`)."""
        reserve = _LINE if len(self.figures) >= MAX_PAGES else 0.0
        if self.figures and self.room() >= inches + reserve:
            return True
        if len(self.figures) >= MAX_PAGES:
            self.full = True
            return False
        self.figures.append(_page())
        self.y = _PAGE_H - _MARGIN_TOP
        return True

    def text(
        self, x: float, text: str, size: float = _BODY, *, weight: str = "normal", height: float = _LINE
    ) -> None:
        figure = self.figures[-1]
        figure.text(
            x / _PAGE_W,
            (self.y - height * 0.75) / _PAGE_H,
            drawable(text),
            fontsize=size,
            fontweight=weight,
            parse_math=False,
            va="baseline",
        )


@cache
def _font_characters() -> frozenset[int]:
    """The code points the report's font (DejaVu Sans, shipped with matplotlib) can draw."""
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    return frozenset(FT2Font(font_manager.findfont("DejaVu Sans")).get_charmap())


def drawable(text: str) -> str:
    """`text` with each character the font cannot draw shown as "?": an empty box tells the reader
    nothing (emoji, and scripts such as Chinese or Japanese, are not in the font)."""
    characters = _font_characters()
    if all(ord(character) in characters for character in text):
        return text
    return "".join(c if ord(c) in characters or c == "\n" else "?" for c in text)


def _page() -> Figure:
    from matplotlib.backends.backend_pdf import FigureCanvasPdf
    from matplotlib.figure import Figure

    figure = Figure(figsize=(_PAGE_W, _PAGE_H))
    FigureCanvasPdf(figure)
    return figure


def build_report(entries: Sequence[JournalEntry], request: ReportRequest) -> bytes:
    """The PDF, for the entries of the period (every milestone is shown whatever its date)."""
    import matplotlib
    from matplotlib.backends.backend_pdf import PdfPages

    ordered = sorted(entries, key=lambda entry: (entry.entry_date, entry.seq))
    starts = infusion_starts(e.entry_date for e in ordered if e.phase is Phase.INFUSION)
    period = [e for e in ordered if request.start <= e.entry_date <= request.end]
    pages = _Pages()
    # A glyph the font lacks is replaced before drawing (`drawable`); should one still reach
    # matplotlib, its warning would name the character, a piece of the member's words, in the log.
    with (
        warnings.catch_warnings(),
        matplotlib.rc_context({"pdf.fonttype": 42, "font.family": "DejaVu Sans"}),
    ):
        warnings.simplefilter("ignore")
        _heading(pages, period, request)
        _milestones(pages, ordered, starts)
        _chart(pages, period, request)
        for table in tables(period, starts, include_notes=request.include_notes):
            _table(pages, table)
        if request.include_notes:
            _notes(pages, period, starts)
        if pages.full:
            _left_out(pages)
        buffer = io.BytesIO()
        metadata = {"Title": "Treatment journal (self-reported)", "Creator": "stemcell-bot journal"}
        with PdfPages(buffer, metadata=metadata) as pdf:
            for number, figure in enumerate(pages.figures, start=1):
                figure.text(
                    0.5,
                    0.35 / _PAGE_H,
                    f"{FOOTER} · page {number} of {len(pages.figures)}",
                    ha="center",
                    fontsize=_SMALL,
                    color="#444444",
                    parse_math=False,
                )
                pdf.savefig(figure)
    return buffer.getvalue()


def _heading(pages: _Pages, period: Sequence[JournalEntry], request: ReportRequest) -> None:
    pages.need(1.2)
    pages.text(_MARGIN_X, "Treatment journal", _TITLE, weight="bold", height=0.35)
    pages.y -= 0.35
    plural = "entry" if len(period) == 1 else "entries"
    lines = (
        f"Period: {request.start.isoformat()} to {request.end.isoformat()} · {len(period)} {plural} "
        f"in this period · made on {request.made_on.isoformat()}",
        "Written by the patient in their own journal. Ratings are 0 to 10 (for symptoms, 0 = none); "
        "values are as the patient entered them.",
        "Notes are included at the patient's request."
        if request.include_notes
        else "The patient's notes are not included.",
    )
    for line in lines:
        for part in textwrap.wrap(line, _chars(_PAGE_W - 2 * _MARGIN_X, _BODY)):
            pages.text(_MARGIN_X, part, _BODY)
            pages.y -= _LINE
    pages.y -= 0.1


def _milestones(pages: _Pages, ordered: Sequence[JournalEntry], starts: tuple[date, ...]) -> None:
    milestones = [e for e in ordered if e.kind is EntryKind.MILESTONE]
    rows = tuple(
        (e.entry_date.isoformat(), _day(e, starts), e.milestone.label if e.milestone else "Milestone")
        for e in milestones
    )
    if not rows and starts:
        rows = tuple((day.isoformat(), "day 0", "Infusion (day 0)") for day in starts)
    table = Table("Treatment timeline", (("Date", 1.0), ("Day", 0.9), ("Milestone", 4.5)), rows)
    _table(pages, table, empty="No treatment milestones recorded.")


def _chart(pages: _Pages, period: Sequence[JournalEntry], request: ReportRequest) -> None:
    if not period or not pages.need(_CHART_HEIGHT + 0.2):
        return
    timeline = build_timeline(period, request.end)
    figure = pages.figures[-1]
    bottom = pages.y - _CHART_HEIGHT + 0.55
    axes = figure.add_axes(
        (
            (_MARGIN_X + 0.45) / _PAGE_W,
            bottom / _PAGE_H,
            (_PAGE_W - 2 * _MARGIN_X - 0.55) / _PAGE_W,
            (_CHART_HEIGHT - 1.25) / _PAGE_H,
        )
    )
    draw_timeline(axes, timeline, legend_outside=False, fontsize=9)
    pages.y -= _CHART_HEIGHT + 0.2


def tables(entries: Sequence[JournalEntry], starts: tuple[date, ...], *, include_notes: bool) -> list[Table]:
    """The report's tables for the entries of the period, in the order they are printed."""

    def rows(
        kind: EntryKind, cells: Callable[[JournalEntry], tuple[str, ...]]
    ) -> tuple[tuple[str, ...], ...]:
        return tuple(
            (e.entry_date.isoformat(), _day(e, starts), *cells(e)) for e in entries if e.kind is kind
        )

    date_day = (("Date", 0.9), ("Day", 0.75))
    # The title names the unit only when every row shares it; each row also gives its own.
    blood_units = {e.details.count_unit.label for e in entries if isinstance(e.details, BloodCountDetails)}
    blood_unit = blood_units.pop() if len(blood_units) == 1 else ""
    mri_columns = [("New or enlarging lesions", 1.9), ("Gadolinium-enhancing", 1.7)]
    if include_notes:
        mri_columns.append(("The report's words", 1.8))
    return [
        Table(
            "Relapses",
            (*date_day, ("What changed", 3.6), ("Steroids", 1.0)),
            rows(EntryKind.RELAPSE, _relapse),
        ),
        Table(
            "MRI results",
            (*date_day, *mri_columns),
            rows(EntryKind.MRI, lambda e: _mri(e, include_notes)),
        ),
        Table(
            "Disability scores",
            (*date_day, ("Scale", 1.3), ("Score", 0.7), ("Given by", 2.6)),
            rows(EntryKind.SCORE, _score),
        ),
        Table(
            "Blood counts" + (f" (unit as entered: {blood_unit})" if blood_unit else ""),
            (*date_day, *((name.capitalize(), 1.35) for name in BLOOD_COUNTS), ("Unit", 0.9)),
            rows(EntryKind.BLOOD_COUNT, _counts),
        ),
        Table(
            "Medicines",
            (*date_day, ("Medicine", 2.6), ("Kind", 1.3), ("Started or stopped", 1.3)),
            rows(EntryKind.MEDICINE, _medicine),
        ),
        Table(
            "Vaccinations",
            (*date_day, ("Vaccine", 3.6), ("Dose", 0.8)),
            rows(EntryKind.VACCINATION, _vaccination),
        ),
        Table(
            "Appointments",
            (*date_day, ("With", 4.4)),
            rows(EntryKind.APPOINTMENT, _appointment),
        ),
        Table(
            "Side effects",
            (*date_day, ("Side effects", 5.4)),
            tuple(
                (e.entry_date.isoformat(), _day(e, starts), e.side_effects) for e in entries if e.side_effects
            ),
        ),
    ]


def _relapse(entry: JournalEntry) -> tuple[str, ...]:
    details = entry.details if isinstance(entry.details, RelapseDetails) else RelapseDetails()
    return (details.what_changed or "", dict(detail_fields(details))["Treated with steroids"])


def _mri(entry: JournalEntry, include_notes: bool) -> tuple[str, ...]:
    details = entry.details if isinstance(entry.details, MriDetails) else MriDetails()
    shown = dict(detail_fields(details))
    cells = (shown["New or enlarging lesions"], shown["Gadolinium-enhancing"])
    return (*cells, entry.notes or "") if include_notes else cells


def _score(entry: JournalEntry) -> tuple[str, ...]:
    details = entry.details
    if not isinstance(details, ScoreDetails):
        return ("", "", "")
    score = f"{details.score:.1f}" if details.scale.value == "edss" else f"{details.score:.0f}"
    return (details.scale.label, score, details.scored_by.label)


def _counts(entry: JournalEntry) -> tuple[str, ...]:
    details = entry.details
    if not isinstance(details, BloodCountDetails):
        return ("", "", "", "")
    values = tuple(
        "—" if getattr(details, name) is None else f"{getattr(details, name):g}" for name in BLOOD_COUNTS
    )
    return (*values, details.count_unit.label)


def _medicine(entry: JournalEntry) -> tuple[str, ...]:
    details = entry.details
    if not isinstance(details, MedicineDetails):
        return ("", "", "")
    return (details.medicine, details.medicine_kind.label, details.medicine_action.label)


def _vaccination(entry: JournalEntry) -> tuple[str, ...]:
    details = entry.details
    if not isinstance(details, VaccinationDetails):
        return ("", "")
    return (details.vaccine, "" if details.dose is None else str(details.dose))


def _appointment(entry: JournalEntry) -> tuple[str, ...]:
    return (entry.details.with_whom,) if isinstance(entry.details, AppointmentDetails) else ("",)


def _day(entry: JournalEntry, starts: tuple[date, ...]) -> str:
    offset = infusion_day(entry.entry_date, starts)
    return "" if offset is None else format_infusion_day(offset)


def _table(pages: _Pages, table: Table, *, empty: str | None = None) -> None:
    """A heading, a header row and the rows (the most recent `MAX_TABLE_ROWS`); tables with no rows
    are left out, unless `empty` says what to print instead."""
    if not table.rows and empty is None:
        return
    if not pages.need(_LINE * 3 + 0.1):
        return
    pages.y -= 0.08
    pages.text(_MARGIN_X, table.title, _HEADING, weight="bold", height=0.26)
    pages.y -= 0.26
    if not table.rows:
        pages.text(_MARGIN_X, empty or "", _BODY)
        pages.y -= _LINE
        return
    shown = table.rows[-MAX_TABLE_ROWS:]
    hidden = len(table.rows) - len(shown)
    _row(pages, [header for header, _ in table.columns], table, weight="bold")
    for row in shown:
        if not pages.need(_LINE):
            return
        if pages.y > _PAGE_H - _MARGIN_TOP - _LINE:  # a new page: repeat the header
            _row(pages, [header for header, _ in table.columns], table, weight="bold")
        _row(pages, row, table)
    if hidden and pages.need(_LINE):
        pages.text(
            _MARGIN_X, f"… and {hidden} earlier rows, not shown here (all are in the journal export).", _SMALL
        )
        pages.y -= _LINE


def _row(pages: _Pages, cells: Sequence[str], table: Table, *, weight: str = "normal") -> None:
    x = _MARGIN_X
    for cell, (_, width) in zip(cells, table.columns, strict=False):
        pages.text(x, fit(cell, width, _BODY), _BODY, weight=weight)
        x += width
    pages.y -= _LINE


def _notes(pages: _Pages, period: Sequence[JournalEntry], starts: tuple[date, ...]) -> None:
    noted = [e for e in period if e.notes and e.kind is not EntryKind.MRI]
    if not noted or not pages.need(_LINE * 3):
        return
    pages.y -= 0.08
    pages.text(_MARGIN_X, "Notes (included at the patient's request)", _HEADING, weight="bold", height=0.26)
    pages.y -= 0.26
    width = _PAGE_W - 2 * _MARGIN_X - 1.9
    per_line = _chars(width, _BODY)
    for entry in reversed(noted):  # the most recent first: the likeliest to matter at the appointment
        lines = textwrap.wrap(" ".join((entry.notes or "").split()), per_line) or [""]
        for index, line in enumerate(lines):
            if not pages.need(_LINE):
                return
            if index == 0:
                pages.text(_MARGIN_X, entry.entry_date.isoformat(), _BODY)
                pages.text(_MARGIN_X + 0.9, _day(entry, starts), _BODY)
            pages.text(_MARGIN_X + 1.9, line, _BODY)
            pages.y -= _LINE


def _left_out(pages: _Pages) -> None:
    """The last page is full: say so on its last line (kept free for this)."""
    pages.text(
        _MARGIN_X,
        "The report ends here to stay within three pages; the journal export holds every entry.",
        _SMALL,
        weight="bold",
    )


def _chars(width: float, size: float) -> int:
    return max(4, int(width * 72 / (size * _EM_WIDTH)))


def fit(text: str, width: float, size: float = _BODY) -> str:
    """`text` on one line within `width` inches at `size` points, cut with '…' when longer."""
    flat = " ".join(text.split())
    most = _chars(width - 0.08, size)
    return flat if len(flat) <= most else flat[: most - 1].rstrip() + "…"
