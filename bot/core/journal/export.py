"""A member's journal as JSON and CSV: the same fields in the same order, and readable back.

The files go to the member who asked; they hold decrypted text by design. No Discord ids are
written, so a member can share an export with a clinician without exposing their account.
Both travel zipped in one file (`export_parts`), split into numbered parts when the journal is
bigger than the upload limit Discord reports for the interaction.
"""

from __future__ import annotations

import csv
import io
import json
import math
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime
from typing import Any

from bot.core.journal.kinds import (
    DETAIL_ENUMS,
    DETAIL_FIELDS,
    DETAIL_FLOAT_FIELDS,
    DETAIL_INT_FIELDS,
    DETAIL_TEXT_FIELDS,
    EntryDetails,
)
from bot.core.journal.model import (
    DETAILS_OF_KIND,
    RATINGS,
    EntryKind,
    EntrySource,
    JournalEntry,
    Phase,
    Therapy,
)

EXPORT_FORMAT = "stemcell-bot journal"
#: Version 2 added the typed entries' columns (`kinds.DETAIL_FIELDS`); version 1 files still read.
EXPORT_VERSION = 2
READABLE_VERSIONS = (1, 2)

#: Column order of the CSV and key order of each JSON entry; new fields are only ever appended.
EXPORT_FIELDS: tuple[str, ...] = (
    "number",
    "entry_date",
    "infusion_day",
    "kind",
    "therapy",
    "therapy_other",
    "phase",
    "feeling",
    "fatigue",
    "mobility",
    "pain",
    "cognition",
    "mood",
    "side_effects",
    "notes",
    "source",
    "created_at",
    "updated_at",
    *DETAIL_FIELDS,
)
#: The columns of a version 1 export (before typed entries).
EXPORT_FIELDS_V1 = EXPORT_FIELDS[: EXPORT_FIELDS.index("updated_at") + 1]
_INT_FIELDS = frozenset(
    {"number", "infusion_day", "feeling", "fatigue", "mobility", "pain", "cognition", "mood"}
    | set(DETAIL_INT_FIELDS)
)
_FLOAT_FIELDS = frozenset(DETAIL_FLOAT_FIELDS)
_TEXT_FIELDS = frozenset({"therapy_other", "side_effects", "notes", *DETAIL_TEXT_FIELDS})
# Spreadsheet programs run a cell starting with these as a formula; a leading apostrophe stops that.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "'")


class ExportFormatError(ValueError):
    """A file handed back to the reader is not an export of this journal."""


def entry_record(entry: JournalEntry) -> dict[str, Any]:
    """One entry as plain JSON-ready values, keys in `EXPORT_FIELDS` order."""
    return {
        "number": entry.seq,
        "entry_date": entry.entry_date.isoformat(),
        "infusion_day": entry.infusion_day,
        "kind": entry.kind.value,
        "therapy": entry.therapy.value if entry.therapy else None,
        "therapy_other": entry.therapy_other,
        "phase": entry.phase.value if entry.phase else None,
        "feeling": entry.feeling,
        "fatigue": entry.fatigue,
        "mobility": entry.mobility,
        "pain": entry.pain,
        "cognition": entry.cognition,
        "mood": entry.mood,
        "side_effects": entry.side_effects,
        "notes": entry.notes,
        "source": entry.source.value,
        "created_at": entry.created_at.astimezone(UTC).isoformat(),
        "updated_at": entry.updated_at.astimezone(UTC).isoformat(),
        **_detail_columns(entry.details),
    }


def _detail_columns(details: EntryDetails | None) -> dict[str, Any]:
    """Every typed-entry column: this entry's own fields filled in, the others empty."""
    columns: dict[str, Any] = dict.fromkeys(DETAIL_FIELDS)
    if details is not None:
        for name in columns.keys() & set(_detail_names(type(details))):
            value = getattr(details, name)
            columns[name] = value.value if name in DETAIL_ENUMS and value is not None else value
    return columns


def _detail_names(shape: type[EntryDetails]) -> tuple[str, ...]:
    return tuple(f.name for f in fields(shape))


def export_json(entries: Iterable[JournalEntry], exported_at: datetime) -> bytes:
    """UTF-8 JSON with a small header saying what the file is."""
    document = {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "exported_at": exported_at.astimezone(UTC).isoformat(),
        "entries": [entry_record(entry) for entry in entries],
    }
    return json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")


def export_csv(entries: Iterable[JournalEntry]) -> bytes:
    """UTF-8 CSV with a byte-order mark (so spreadsheet programs pick the right encoding)."""
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=EXPORT_FIELDS, lineterminator="\r\n")
    writer.writeheader()
    for entry in entries:
        record = entry_record(entry)
        writer.writerow({name: _csv_cell(name, record[name]) for name in EXPORT_FIELDS})
    return buffer.getvalue().encode("utf-8-sig")


def export_filename(exported_at: datetime, extension: str) -> str:
    return f"journal-{exported_at.astimezone(UTC).date().isoformat()}.{extension}"


class ExportTooLarge(Exception):
    """One entry alone does not fit the upload limit, so the journal cannot be sent in parts."""


@dataclass(frozen=True, slots=True)
class ExportPart:
    """One zip file of the export: a JSON and a CSV file of the same run of entries."""

    filename: str
    data: bytes
    first: int
    last: int
    entries: int


def export_parts(entries: Sequence[JournalEntry], exported_at: datetime, limit: int) -> list[ExportPart]:
    """The journal as zip files of at most `limit` bytes each: one when it fits, else numbered parts
    of consecutive entries. `ExportTooLarge` when a single entry does not fit."""
    base = export_filename(exported_at, "zip").removesuffix(".zip")
    # Measured under the longest name a part can have, so renaming a part never makes it bigger.
    widest = f"{base}-part-9999-of-9999"
    chunks: list[Sequence[JournalEntry]] = []
    pending: list[Sequence[JournalEntry]] = [entries]
    while pending:
        chunk = pending.pop(0)
        size = len(_archive(chunk, exported_at, widest))
        if size <= limit:
            chunks.append(chunk)
            continue
        if len(chunk) <= 1:
            raise ExportTooLarge(f"one entry needs {size:,} bytes, more than the limit of {limit:,}")
        # Split in proportion to the excess (halves at least); a piece still too big splits again.
        pieces = min(len(chunk), max(2, math.ceil(size / limit * 1.1)))
        step = math.ceil(len(chunk) / pieces)
        pending[:0] = [chunk[start : start + step] for start in range(0, len(chunk), step)]
    if len(chunks) == 1:
        return [_part(base, chunks[0], exported_at)]
    return [
        _part(f"{base}-part-{number}-of-{len(chunks)}", chunk, exported_at)
        for number, chunk in enumerate(chunks, start=1)
    ]


def _part(name: str, chunk: Sequence[JournalEntry], exported_at: datetime) -> ExportPart:
    data = _archive(chunk, exported_at, name)
    first, last = (chunk[0].seq, chunk[-1].seq) if chunk else (0, 0)
    return ExportPart(f"{name}.zip", data, first, last, len(chunk))


def _archive(chunk: Sequence[JournalEntry], exported_at: datetime, name: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        archive.writestr(f"{name}.json", export_json(chunk, exported_at))
        archive.writestr(f"{name}.csv", export_csv(chunk))
    return buffer.getvalue()


#: More than the files of any journal export unpack to (5,000 entries of the longest texts): a
#: small zip that would unpack past it is not an export, and is never read further.
MAX_UNPACKED_BYTES = 128 * 1024 * 1024


def read_export_part(data: bytes) -> tuple[bytes, bytes]:
    """The JSON and CSV files inside one export zip (the import, and tests)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
            [json_name] = [name for name in names if name.endswith(".json")]
            [csv_name] = [name for name in names if name.endswith(".csv")]
            return _read_within_limit(archive, json_name), _read_within_limit(archive, csv_name)
    except (zipfile.BadZipFile, ValueError, NotImplementedError, EOFError) as exc:
        raise ExportFormatError(f"not a journal export zip: {exc}") from None


def _read_within_limit(archive: zipfile.ZipFile, name: str) -> bytes:
    """The file's bytes, read no further than `MAX_UNPACKED_BYTES` (a zip's own sizes can lie)."""
    with archive.open(name) as member:
        content = member.read(MAX_UNPACKED_BYTES + 1)
    if len(content) > MAX_UNPACKED_BYTES:
        raise ValueError(f"{name} unpacks to more than any journal export")
    return content


def entries_from_json(data: bytes, user_id: int) -> list[JournalEntry]:
    """Read an export back (tests, and a future import); `user_id` is the reader's own."""
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise ExportFormatError(f"not a JSON journal export: {type(exc).__name__}") from None
    if not isinstance(document, dict) or document.get("format") != EXPORT_FORMAT:
        raise ExportFormatError("not a journal export (the 'format' header is missing)")
    if document.get("version") not in READABLE_VERSIONS:
        raise ExportFormatError(
            f"a journal export of a version this bot cannot read: {document.get('version')!r}"
        )
    records = document.get("entries", [])
    if not isinstance(records, list):
        raise ExportFormatError("not a journal export (its 'entries' are not a list)")
    return [_entry(record, user_id) for record in records]


def entries_from_csv(data: bytes, user_id: int) -> list[JournalEntry]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ExportFormatError(f"not a UTF-8 CSV export: {exc}") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    if tuple(reader.fieldnames or ()) not in (EXPORT_FIELDS, EXPORT_FIELDS_V1):
        raise ExportFormatError("not a journal CSV export (unexpected columns)")
    return [_entry(_typed_row(row), user_id) for row in reader]


def _csv_cell(name: str, value: Any) -> str:
    if value is None:
        return ""
    text = str(value)
    if name in _TEXT_FIELDS and text.startswith(_FORMULA_STARTS):
        return "'" + text
    return text


def _typed_row(row: Mapping[str, str]) -> dict[str, Any]:
    typed: dict[str, Any] = {}
    for name in EXPORT_FIELDS:
        cell = row.get(name) or ""
        if cell == "":
            typed[name] = None
        elif name in _INT_FIELDS:
            typed[name] = int(cell)
        elif name in _FLOAT_FIELDS:
            typed[name] = float(cell)
        elif name in _TEXT_FIELDS and cell.startswith("'") and cell[1:].startswith(_FORMULA_STARTS):
            typed[name] = cell[1:]
        else:
            typed[name] = cell
    return typed


#: What each of an entry's own fields may hold in an export (None for an empty field).
_TEXT_COLUMNS = ("therapy_other", "side_effects", "notes")
_WHOLE_NUMBER_COLUMNS = (*RATINGS, "infusion_day")


def _entry(record: Mapping[str, Any], user_id: int) -> JournalEntry:
    if not isinstance(record, Mapping):
        raise ExportFormatError("an entry could not be read: it is not a record")
    for name in _TEXT_COLUMNS:
        if record.get(name) is not None and not isinstance(record.get(name), str):
            raise ExportFormatError(f"an entry could not be read: {name} is not text")
    for name in _WHOLE_NUMBER_COLUMNS:
        value = record.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise ExportFormatError(f"an entry could not be read: {name} is not a whole number")
    try:
        entry_date = date.fromisoformat(record["entry_date"])
        kind = EntryKind(record["kind"])
        entry = JournalEntry(
            user_id=user_id,
            seq=int(record["number"]),
            entry_date=entry_date,
            kind=kind,
            source=EntrySource(record["source"]),
            therapy=Therapy(record["therapy"]) if record.get("therapy") else None,
            therapy_other=record.get("therapy_other"),
            phase=Phase(record["phase"]) if record.get("phase") else None,
            feeling=record.get("feeling"),
            fatigue=record.get("fatigue"),
            mobility=record.get("mobility"),
            pain=record.get("pain"),
            cognition=record.get("cognition"),
            mood=record.get("mood"),
            side_effects=record.get("side_effects"),
            notes=record.get("notes"),
            details=details_from_record(kind, record),
            created_at=datetime.fromisoformat(record["created_at"]).astimezone(UTC),
            updated_at=datetime.fromisoformat(record["updated_at"]).astimezone(UTC),
            infusion_day=record.get("infusion_day"),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ExportFormatError(f"an entry could not be read: {exc}") from None
    return entry


def details_from_record(kind: EntryKind, record: Mapping[str, Any]) -> EntryDetails | None:
    """A typed entry's fields from its export columns; None when its kind has none or all are empty.

    Values are converted to their type here; whether they make sense is for `rules.check_draft`.
    """
    shape = DETAILS_OF_KIND.get(kind)
    if shape is None:
        return None
    values: dict[str, Any] = {}
    for name in _detail_names(shape):
        raw = record.get(name)
        if raw is None or raw == "":
            continue
        if name in DETAIL_ENUMS:
            values[name] = DETAIL_ENUMS[name](raw)
        elif name in DETAIL_FLOAT_FIELDS:
            if isinstance(raw, bool) or not isinstance(raw, int | float | str):
                raise ValueError(f"{name} is not a number")
            number = float(raw)
            if not math.isfinite(number):
                raise ValueError(f"{name} is not a number")
            values[name] = number
        elif name in DETAIL_INT_FIELDS:
            if isinstance(raw, bool) or not isinstance(raw, int):
                raise ValueError(f"{name} is not a whole number")
            values[name] = raw
        elif isinstance(raw, str | int | float) and not isinstance(raw, bool):
            values[name] = str(raw)
        else:
            raise ValueError(f"{name} is not text")
    if not values:
        return None
    return shape(**values)
