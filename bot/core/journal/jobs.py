"""The work a journal's worker process does: charts, the timeline, compare, the report, export files.

Each job takes the member's entries as `Packed` chunks (pickled a few hundred at a time by the
service, between which the event loop runs) and returns plain data: PNG or PDF bytes, export parts,
numbers. Top-level functions of pure modules, so a spawned worker imports them without Discord,
the database or the journal key: the worker sees opened entries and nothing else, and never writes.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterable, Sequence
from datetime import date, datetime

from bot.core.journal.compare import Comparison, compare
from bot.core.journal.export import ExportPart, export_parts
from bot.core.journal.importing import ImportPlan, plan_import, read_import
from bot.core.journal.model import JournalEntry
from bot.core.journal.report_request import ReportRequest
from bot.core.journal.rules import MemberDay
from bot.core.journal.summary import JournalSummary, summarise

#: Pickled lists of entries, oldest first; together, a member's whole journal (or the part asked for).
Packed = tuple[bytes, ...]


def pack(entries: Sequence[JournalEntry]) -> bytes:
    """One chunk of entries for the worker (a few milliseconds for a few hundred)."""
    return pickle.dumps(list(entries), protocol=pickle.HIGHEST_PROTOCOL)


def unpack(chunks: Iterable[bytes]) -> list[JournalEntry]:
    entries: list[JournalEntry] = []
    for chunk in chunks:
        entries += pickle.loads(chunk)
    return entries


def summary_job(chunks: Packed) -> tuple[JournalSummary, bytes]:
    """`/journal summary`: counts and monthly averages, and the chart of the ratings (PNG)."""
    from bot.core.journal.chart import render_ratings_chart

    points = [entry.rating_point() for entry in unpack(chunks)]
    return summarise(points), render_ratings_chart(points)


def export_job(chunks: Packed, exported_at: datetime, limit: int) -> list[ExportPart]:
    """`/journal export`: the zip parts (JSON and CSV), each within `limit` bytes."""
    return export_parts(unpack(chunks), exported_at, limit)


def timeline_job(chunks: Packed, today: date) -> bytes:
    """`/journal timeline`: the PNG of the member's months around day 0."""
    from bot.core.journal.timeline import build_timeline, render_timeline

    return render_timeline(build_timeline(unpack(chunks), today))


def compare_job(chunks: Packed) -> Comparison | None:
    """`/journal compare`: before mobilisation against months +3, +6, +12 and +24 after day 0."""
    return compare(unpack(chunks))


def report_job(chunks: Packed, request: ReportRequest) -> bytes:
    """`/journal report`: the PDF for the neurologist (A4, one to three pages)."""
    from bot.core.journal.report import build_report

    return build_report(unpack(chunks), request)


def import_job(data: bytes, existing: Packed, day: MemberDay, last_seq: int, limit: int) -> ImportPlan:
    """`/journal import`: the file read and checked whole, and planned against the journal as it is."""
    return plan_import(read_import(data, day), unpack(existing), last_seq, limit)
