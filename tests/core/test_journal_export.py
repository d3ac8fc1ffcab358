"""Exports: JSON and CSV carry the same fields in the same order and read back to the same entries."""

from __future__ import annotations

import csv
import io
import json

import pytest
from journal_factory import WHEN, make_entry, typed_entries

from bot.core.journal.export import (
    EXPORT_FIELDS,
    ExportFormatError,
    entries_from_csv,
    entries_from_json,
    entry_record,
    export_csv,
    export_filename,
    export_json,
)
from bot.core.journal.model import RATINGS, EntryKind, EntrySource, Phase, Therapy

USER = 42


ENTRIES = [
    make_entry(1, notes="Just a note"),
    make_entry(
        2,
        kind=EntryKind.CHECKIN,
        source=EntrySource.MODAL,
        therapy=Therapy.OTHER,
        therapy_other='trial drug, "blinded"',
        phase=Phase.IN_HOSPITAL,
        feeling=0,
        fatigue=10,
        mobility=3,
        pain=4,
        cognition=5,
        mood=6,
        side_effects="fever; nausea",
        notes="Line one,\nline two — día +2 😴",
        infusion_day=2,
    ),
    make_entry(3, kind=EntryKind.RELAPSE, notes='=HYPERLINK("http://x")', side_effects="-dizzy"),
    make_entry(4, kind=EntryKind.MILESTONE, notes="'quoted' start", therapy=Therapy.AHSCT, infusion_day=-3),
    make_entry(5, source=EntrySource.DM_QUICK),
    *typed_entries(6),
]


def test_json_reads_back_to_the_same_entries() -> None:
    assert entries_from_json(export_json(ENTRIES, WHEN), USER) == ENTRIES


def test_csv_reads_back_to_the_same_entries() -> None:
    assert entries_from_csv(export_csv(ENTRIES), USER) == ENTRIES


def test_json_and_csv_share_fields_and_order() -> None:
    document = json.loads(export_json(ENTRIES, WHEN))
    assert document["format"] == "stemcell-bot journal" and document["version"] == 2
    assert all(tuple(record) == EXPORT_FIELDS for record in document["entries"])
    rows = list(csv.reader(io.StringIO(export_csv(ENTRIES).decode("utf-8-sig"))))
    assert tuple(rows[0]) == EXPORT_FIELDS
    assert len(rows) == len(ENTRIES) + 1


def test_csv_cells_cannot_run_as_spreadsheet_formulas() -> None:
    text = export_csv(ENTRIES).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows[2]["notes"].startswith("'=")
    assert rows[2]["side_effects"].startswith("'-")


def test_exports_carry_no_discord_ids() -> None:
    assert str(USER).encode() not in export_json(ENTRIES, WHEN).replace(b'"number"', b"")
    assert "user_id" not in EXPORT_FIELDS
    assert "user_id" not in entry_record(ENTRIES[0])


def test_empty_journal_exports_cleanly() -> None:
    assert entries_from_json(export_json([], WHEN), USER) == []
    assert entries_from_csv(export_csv([]), USER) == []


def test_not_an_export_is_refused() -> None:
    with pytest.raises(ExportFormatError):
        entries_from_json(b'{"entries": []}', USER)
    with pytest.raises(ExportFormatError):
        entries_from_csv(b"a,b\n1,2\n", USER)
    with pytest.raises(ExportFormatError):
        entries_from_json(b"\xff", USER)


def test_file_names() -> None:
    assert export_filename(WHEN, "csv") == "journal-2026-02-01.csv"


def test_every_rating_survives_both_exports() -> None:
    """A rating added to the model but not to the export fails here (each one gets its own value)."""
    rated = make_entry(6, kind=EntryKind.CHECKIN, **{name: index for index, name in enumerate(RATINGS)})
    assert set(RATINGS) <= set(EXPORT_FIELDS)
    assert entries_from_json(export_json([rated], WHEN), USER) == [rated]
    assert entries_from_csv(export_csv([rated]), USER) == [rated]


def test_every_kind_of_typed_entry_survives_both_exports_with_its_own_columns() -> None:
    typed = typed_entries()
    assert entries_from_json(export_json(typed, WHEN), USER) == typed
    assert entries_from_csv(export_csv(typed), USER) == typed
    [score] = [e for e in typed if e.kind is EntryKind.SCORE]
    record = entry_record(score)
    assert (record["scale"], record["score"], record["scored_by"]) == ("edss", 3.5, "neurologist")
    assert record["medicine"] is None and record["milestone"] is None


def test_an_export_from_before_typed_entries_still_reads() -> None:
    """Version 1 files (no typed columns) come back as the entries they were."""
    old = [make_entry(1, notes="old"), make_entry(2, kind=EntryKind.RELAPSE, notes="relapse")]
    document = json.loads(export_json(old, WHEN))
    document["version"] = 1
    for record in document["entries"]:
        for name in EXPORT_FIELDS[EXPORT_FIELDS.index("updated_at") + 1 :]:
            del record[name]
    assert entries_from_json(json.dumps(document).encode(), USER) == old
    rows = list(csv.reader(io.StringIO(export_csv(old).decode("utf-8-sig"))))
    v1 = "\r\n".join(",".join(f'"{cell}"' for cell in row[:18]) for row in rows).encode()
    assert entries_from_csv(v1, USER) == old
