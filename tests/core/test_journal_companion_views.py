"""The companion's views as pure data: the timeline, compare's windows and counts, the report's
tables and pages, and planning an import (duplicates, numbers, the limit)."""

from __future__ import annotations

import io
import json
import warnings
import zipfile
from datetime import UTC, date, datetime, timedelta

import pytest
from journal_factory import make_entry, typed_entries
from pypdf import PdfReader

from bot.core.journal import export, rules
from bot.core.journal.compare import add_months, compare, comparison_lines
from bot.core.journal.export import export_json
from bot.core.journal.importing import ImportedEntry, plan_import, read_import
from bot.core.journal.kinds import BloodCountDetails, CountUnit, Milestone, MilestoneDetails
from bot.core.journal.model import MILESTONE_PHASES, EntryKind, JournalEntry, Phase
from bot.core.journal.report import FOOTER, MAX_PAGES, build_report, drawable, tables
from bot.core.journal.report_request import ReportRequest, report_period
from bot.core.journal.timeline import build_timeline
from bot.errors import InvalidInput

DAY_0 = date(2025, 6, 1)
TODAY = date(2027, 1, 10)
DAY = rules.MemberDay(TODAY, TODAY, zone_known=True)


def milestone(seq: int, which: Milestone, day: date) -> JournalEntry:
    details = MilestoneDetails(which)
    return make_entry(
        seq, entry_date=day, kind=EntryKind.MILESTONE, details=details, phase=MILESTONE_PHASES[which]
    )


def checkin(seq: int, day: date, feeling: int, **more: object) -> JournalEntry:
    return make_entry(seq, entry_date=day, kind=EntryKind.CHECKIN, feeling=feeling, **more)


def test_add_months_keeps_the_day_within_the_month() -> None:
    assert add_months(date(2025, 1, 31), 1) == date(2025, 2, 28)
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2025, 12, 15), 3) == date(2026, 3, 15)
    assert add_months(date(2025, 3, 15), -3) == date(2024, 12, 15)


def test_compare_counts_each_window_and_starts_before_at_mobilisation() -> None:
    mobilisation = DAY_0 - timedelta(days=40)
    entries = [
        milestone(1, Milestone.MOBILISATION_START, mobilisation),
        milestone(2, Milestone.REINFUSION, DAY_0),
        checkin(3, mobilisation - timedelta(days=1), 4, fatigue=9),
        checkin(4, mobilisation - timedelta(days=80), 6),
        checkin(5, mobilisation - timedelta(days=100), 1),  # more than 3 months before: left out
        checkin(6, mobilisation, 2),  # mobilisation itself is no longer "before"
        checkin(7, add_months(DAY_0, 3) + timedelta(days=15), 8),
        checkin(8, add_months(DAY_0, 3) + timedelta(days=16), 0),  # just outside month +3
        checkin(9, add_months(DAY_0, 12), 9),
    ]
    comparison = compare(entries)
    assert comparison is not None and comparison.mobilisation == mobilisation
    assert [w.label for w in comparison.windows] == [
        "Before",
        "Month +3",
        "Month +6",
        "Month +12",
        "Month +24",
    ]
    feeling = comparison.figures["feeling"]
    assert [(f.average, f.entries) for f in feeling] == [(5.0, 2), (8.0, 1), (None, 0), (9.0, 1), (None, 0)]
    assert [f.entries for f in comparison.figures["fatigue"]] == [1, 0, 0, 0, 0]
    _, fields = comparison_lines(comparison, today=add_months(DAY_0, 13))
    [(_, feeling_text), _] = fields
    assert "Before: **5.0** (2 entries)" in feeling_text and "Month +24: not yet" in feeling_text
    assert "Month +6: — (0 entries)" in feeling_text


def test_compare_counts_before_from_day_0_without_mobilisation_and_needs_a_day_0() -> None:
    assert compare([checkin(1, DAY_0, 5)]) is None
    comparison = compare(
        [milestone(1, Milestone.REINFUSION, DAY_0), checkin(2, DAY_0 - timedelta(days=1), 3)]
    )
    assert comparison is not None and comparison.mobilisation is None
    assert comparison.windows[0].end == DAY_0 - timedelta(days=1)
    assert comparison.figures["feeling"][0].entries == 1


def test_the_timeline_counts_from_the_latest_day_0_with_phases_events_and_milestones() -> None:
    entries = [
        milestone(1, Milestone.MOBILISATION_START, DAY_0 - timedelta(days=40)),
        milestone(2, Milestone.REINFUSION, DAY_0),
        milestone(3, Milestone.DISCHARGE, DAY_0 + timedelta(days=18)),
        make_entry(4, entry_date=DAY_0 - timedelta(days=400), kind=EntryKind.RELAPSE),  # before the window
        make_entry(5, entry_date=DAY_0 - timedelta(days=60), kind=EntryKind.RELAPSE),
        make_entry(6, entry_date=DAY_0 + timedelta(days=180), kind=EntryKind.MRI),
        checkin(7, DAY_0 + timedelta(days=200), 7),
    ]
    timeline = build_timeline(entries, TODAY)
    assert timeline.day_zero == DAY_0 and timeline.end == DAY_0 + timedelta(days=200)
    assert timeline.relapses == (DAY_0 - timedelta(days=60),) and timeline.mris == (
        DAY_0 + timedelta(days=180),
    )
    assert [label for _, label in timeline.milestones] == [
        "Mobilisation starts",
        "Reinfusion (day 0)",
        "Out of hospital",
    ]
    assert [band.phase for band in timeline.bands] == [Phase.MOBILISATION, Phase.INFUSION, Phase.RECOVERY]
    assert timeline.bands[0].end == DAY_0 and timeline.weekly
    assert timeline.series["feeling"] == [
        (DAY_0 + timedelta(days=200 - (DAY_0 + timedelta(days=200)).weekday()), 7.0)
    ]


def test_without_day_0_the_timeline_shows_calendar_months() -> None:
    timeline = build_timeline([checkin(1, date(2026, 1, 5), 4), checkin(2, date(2026, 1, 6), 6)], TODAY)
    assert timeline.day_zero is None and not timeline.weekly
    assert timeline.series["feeling"] == [(date(2026, 1, 5), 4.0), (date(2026, 1, 6), 6.0)]


def test_the_report_tables_hold_each_kind_and_notes_only_when_asked() -> None:
    entries = typed_entries()
    without = {t.title: t for t in tables(entries, (), include_notes=False)}
    assert [row[2:] for row in without["Disability scores"].rows] == [("EDSS", "3.5", "my neurologist")]
    assert [row[2:] for row in without["Blood counts (unit as entered: ×10⁹/L)"].rows] == [
        ("0.45", "23", "1.25", "×10⁹/L")
    ]
    assert "MRI notes" not in str(without["MRI results"].rows)
    with_notes = {t.title: t for t in tables(entries, (), include_notes=True)}
    assert "MRI notes" in str(with_notes["MRI results"].rows)


def test_a_long_journal_makes_at_most_three_a4_pages_each_with_the_footer() -> None:
    entries = [
        checkin(i, DAY_0 + timedelta(days=i), i % 11, notes="words " * 60, side_effects="tired")
        for i in range(1, 600)
    ]
    pdf = build_report(entries, ReportRequest(DAY_0, TODAY, include_notes=True, made_on=TODAY))
    reader = PdfReader(io.BytesIO(pdf))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert len(reader.pages) == MAX_PAGES and text.count(FOOTER) == MAX_PAGES
    assert "earlier rows, not shown here" in text and "The report ends here" in text


def test_the_report_period_defaults_to_a_year_and_refuses_a_backwards_one() -> None:
    assert report_period(None, None, DAY) == (add_months(TODAY, -12), TODAY)
    assert report_period("2026-01-01", "2026-02-01", DAY) == (date(2026, 1, 1), date(2026, 2, 1))
    with pytest.raises(InvalidInput, match="Please swap"):
        report_period("2026-02-01", "2026-01-01", DAY)
    with pytest.raises(InvalidInput, match="No report was made"):
        report_period("someday", None, DAY)


WRITTEN = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def test_an_import_reads_every_entry_of_an_export_and_checks_them() -> None:
    entries = [*typed_entries(), make_entry(20, notes="a note")]
    imported = read_import(export_json(entries, WRITTEN), DAY)
    assert [entry.seq for entry in imported] == [e.seq for e in entries]
    assert [entry.draft for entry in imported] == [rules.check_draft(e.to_draft(), DAY) for e in entries]


def test_an_import_leaves_out_duplicates_and_renumbers_only_what_collides() -> None:
    stored = [make_entry(1, notes="same"), make_entry(2, notes="mine only")]
    incoming = [
        ImportedEntry(1, stored[0].to_draft(), stored[0].created_at, stored[0].updated_at),  # already there
        ImportedEntry(2, make_entry(2, notes="theirs").to_draft(), WRITTEN, WRITTEN),  # number taken
        ImportedEntry(7, make_entry(7, notes="seven").to_draft(), WRITTEN, WRITTEN),
    ]
    plan = plan_import(incoming, stored, last_seq=3, limit=10)
    assert (plan.duplicates, plan.renumbered) == (1, 1)
    assert [(entry.seq, entry.draft.notes) for entry in plan.entries] == [(8, "theirs"), (7, "seven")]
    assert "Imported 2 entries" in plan.describe() and "1 was already there" in plan.describe()
    with pytest.raises(InvalidInput, match="more than the 3 a journal keeps"):
        plan_import(incoming, stored, last_seq=3, limit=3)


def test_a_file_that_is_not_an_export_is_refused_kindly() -> None:
    for data in (b"", b"{}", b"PK\x03\x04 broken zip", "é".encode("latin-1")):
        with pytest.raises(InvalidInput, match="not a journal export"):
            read_import(data, DAY)


def test_the_readmes_sample_timeline_is_drawn_from_invented_entries_that_still_build() -> None:
    """docs/make_sample_timeline.py makes the README's picture; it must keep working as the code changes."""
    import importlib.util
    from pathlib import Path

    script = Path(__file__).parents[2] / "docs" / "make_sample_timeline.py"
    spec = importlib.util.spec_from_file_location("make_sample_timeline", script)
    assert spec is not None and spec.loader is not None
    sample = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(sample)
    entries = sample.sample_entries()
    assert {entry.user_id for entry in entries} == {1}  # nobody's journal
    timeline = build_timeline(entries, sample.TODAY)
    assert timeline.day_zero == sample.DAY_ZERO and timeline.weekly
    assert (len(timeline.relapses), len(timeline.mris), len(timeline.milestones)) == (2, 3, len(Milestone))
    assert {band.phase for band in timeline.bands} >= {Phase.MOBILISATION, Phase.INFUSION, Phase.RECOVERY}
    assert (script.parent / "sample-timeline.png").read_bytes().startswith(b"\x89PNG")


def test_characters_the_report_font_lacks_print_as_question_marks_and_warn_no_log() -> None:
    words = "hair loss 💊 very 悲しい"
    entries = [checkin(1, DAY_0, 5, side_effects=words)]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pdf = build_report(entries, ReportRequest(DAY_0, TODAY, include_notes=False, made_on=TODAY))
    assert not [w for w in caught if "Glyph" in str(w.message)], "no warning naming the member's characters"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "hair loss ? very ???" in text
    assert drawable("été, 3.5 ×10⁹/L") == "été, 3.5 ×10⁹/L", "what the font has is kept"


def test_the_blood_count_title_names_a_unit_only_when_every_row_shares_it() -> None:
    def bloods(seq: int, unit: CountUnit) -> JournalEntry:
        details = BloodCountDetails(1.0, None, None, unit)
        return make_entry(seq, entry_date=DAY_0, kind=EntryKind.BLOOD_COUNT, details=details)

    same = {t.title for t in tables([bloods(1, CountUnit.PER_LITRE)], (), include_notes=False)}
    mixed = [bloods(1, CountUnit.PER_LITRE), bloods(2, CountUnit.PER_MICROLITRE)]
    assert "Blood counts (unit as entered: ×10⁹/L)" in same
    assert "Blood counts" in {t.title for t in tables(mixed, (), include_notes=False)}


def _export_with(**changes: object) -> dict[str, object]:
    document = json.loads(export_json([make_entry(1, notes="a note")], WRITTEN))
    document["entries"][0].update(changes)
    return document


@pytest.mark.parametrize(
    "data",
    [
        json.dumps({**_export_with(), "entries": 5}).encode(),
        json.dumps({**_export_with(), "entries": None}).encode(),
        json.dumps({**_export_with(), "entries": [5]}).encode(),
        json.dumps(_export_with(notes=5)).encode(),
        json.dumps(_export_with(feeling="5")).encode(),
        json.dumps(_export_with(kind="score", scale="pdds", score="nan", scored_by="self")).encode(),
        b"[" * 100_000 + b"]" * 100_000,
    ],
    ids=["entries-number", "entries-null", "entry-number", "notes-number", "rating-text", "nan", "deep"],
)
def test_a_broken_or_hostile_file_is_refused_kindly(data: bytes) -> None:
    with pytest.raises(InvalidInput) as refused:
        read_import(data, DAY)
    assert "journal export" in refused.value.message or "Nothing was saved" in refused.value.message


def test_a_zip_that_unpacks_past_any_export_is_not_read_in_full(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(export, "MAX_UNPACKED_BYTES", 1_000_000)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("journal.json", b" " * 5_000_000)  # compresses to a few KiB
        archive.writestr("journal.csv", b"")
    assert len(buffer.getvalue()) < 50_000
    with pytest.raises(InvalidInput, match="not a journal export"):
        read_import(buffer.getvalue(), DAY)


def test_entry_numbers_leave_room_and_an_empty_export_says_so() -> None:
    too_big = json.dumps(_export_with(number=9_223_372_036_854_775_807)).encode()
    with pytest.raises(InvalidInput, match="not a number from 1 to 1,000,000,000"):
        read_import(too_big, DAY)
    with pytest.raises(InvalidInput, match="holds no entries"):
        read_import(export_json([], WRITTEN), DAY)
