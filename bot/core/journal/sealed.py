"""What each sealed journal value holds, and the context that binds it to its member and place.

Everything a member enters or rates lives in a few sealed values (`bot/core/journal/README.md`):

- an entry: kind, source, therapy, phase, every rating, side effects, notes and the entry's key,
  as one JSON document, so a page of entries costs one opening per entry;
- a member: their Discord id (to send a reminder, and to re-derive their pseudonym when the key
  is rotated) and their time zone;
- a member's day-0 dates: the date of each infusion-phase entry by number, so "day +N" needs no
  readable phase;
- a reminder: its member's id, cadence, local time, time zone and weekday.

The context (the associated data of AES-GCM) names the member's pseudonym and the kind of value,
so a value copied into another member's row, or from a reminder into an entry, does not open.
Pure: the repository seals and opens with `JournalCipher`; these only turn models into bytes and back.
"""

from __future__ import annotations

import base64
import math
from dataclasses import dataclass, fields
from datetime import date, datetime, time
from typing import Any, NamedTuple

import orjson

from bot.core.journal.crypto import random_bytes
from bot.core.journal.kinds import (
    DETAIL_ENUMS,
    DETAIL_FLOAT_FIELDS,
    DETAIL_INT_FIELDS,
    EntryDetails,
)
from bot.core.journal.model import (
    DETAILS_OF_KIND,
    RATINGS,
    Cadence,
    EntryDraft,
    EntryKind,
    EntrySource,
    JournalEntry,
    Phase,
    ReminderSettings,
    Therapy,
)

ENTRY = b"entry"
MEMBER = b"member"
DAYS = b"days"
REMINDER = b"reminder"
#: Random bytes in an entry key: 72 bits, 12 characters in a custom id, never guessed.
ENTRY_KEY_BYTES = 9
#: An entry key as it travels in a custom id (URL-safe base64 of `ENTRY_KEY_BYTES`).
ENTRY_KEY_PATTERN = r"[A-Za-z0-9_-]{12}"
_TEXT_FIELDS = ("therapy_other", "side_effects", "notes")
#: What an opened entry holds, in `JournalEntry`'s own field order (kind ... notes): `read_entry`
#: builds them in this order, and the repository builds entries positionally (a page is opened on
#: every `/journal list`). A field added to `JournalEntry` there stops the import until it is here.
CONTENT_FIELDS: tuple[str, ...] = (
    "kind",
    "source",
    "therapy",
    "therapy_other",
    "phase",
    *RATINGS,
    "side_effects",
    "notes",
    "details",
)
if CONTENT_FIELDS != tuple(f.name for f in fields(JournalEntry))[3 : 3 + len(CONTENT_FIELDS)]:
    raise ImportError("sealed.CONTENT_FIELDS no longer follows JournalEntry's fields; update read_entry")
_KINDS = {member.value: member for member in EntryKind}
_SOURCES = {member.value: member for member in EntrySource}
_THERAPIES = {member.value: member for member in Therapy}
_PHASES = {member.value: member for member in Phase}
_SOURCE_AT = CONTENT_FIELDS.index("source")
_PHASE_AT = CONTENT_FIELDS.index("phase")


class SealedFormatError(ValueError):
    """An opened value is not the document it should be (it was written by something else)."""


def context(member: bytes, kind: bytes) -> bytes:
    """Binds a sealed value to its member (pseudonym) and to what it is."""
    return b"journal:" + member + b":" + kind


def new_entry_key() -> str:
    return base64.urlsafe_b64encode(random_bytes(ENTRY_KEY_BYTES)).decode("ascii")


def _dump(document: dict[str, Any]) -> bytes:
    """Compact UTF-8 JSON, as `json` wrote it with `ensure_ascii=False` and no spaces (older values
    read the same); orjson makes it in a fifteenth of the time, once per add."""
    return orjson.dumps(document)


def _load(data: bytes) -> dict[str, Any]:
    try:
        document = orjson.loads(data)
    except orjson.JSONDecodeError as exc:  # not JSON, or not UTF-8
        raise SealedFormatError(f"a sealed journal value is not JSON ({exc})") from None
    if not isinstance(document, dict):
        raise SealedFormatError("a sealed journal value is not a JSON object")
    return document


# --- entries ------------------------------------------------------------------------------------


#: The name each field has inside a sealed entry: short, because every entry repeats them (a tenth
#: of the entry's size, and of what each write puts through the WAL). A new field needs one here.
ENTRY_NAMES: dict[str, str] = {
    "key": "k",
    "kind": "kd",
    "source": "s",
    "therapy": "t",
    "therapy_other": "to",
    "phase": "p",
    "feeling": "f",
    "fatigue": "fa",
    "mobility": "mb",
    "pain": "pn",
    "cognition": "cg",
    "mood": "md",
    "side_effects": "se",
    "notes": "n",
    "details": "d",
}
#: The name each typed entry's field has inside the sealed entry's "d" (`bot.core.journal.kinds`).
DETAIL_NAMES: dict[str, str] = {
    "milestone": "m",
    "what_changed": "wc",
    "steroids": "st",
    "new_lesions": "nl",
    "enhancing": "ge",
    "scale": "sc",
    "score": "v",
    "scored_by": "by",
    "neutrophils": "ne",
    "platelets": "pl",
    "lymphocytes": "ly",
    "count_unit": "u",
    "medicine": "md",
    "medicine_kind": "mk",
    "medicine_action": "ma",
    "vaccine": "vc",
    "dose": "ds",
    "with_whom": "ww",
}
#: The fields stored as they are (numbers and text), with their names inside a sealed entry.
_PLAIN_FIELDS = (*RATINGS, *_TEXT_FIELDS)
_PLAIN_NAMES = tuple(ENTRY_NAMES[name] for name in _PLAIN_FIELDS)
_KEY, _KIND, _SOURCE, _THERAPY, _PHASE = (
    ENTRY_NAMES[name] for name in ("key", "kind", "source", "therapy", "phase")
)
_THERAPY_OTHER, _SIDE_EFFECTS, _NOTES = (ENTRY_NAMES[name] for name in _TEXT_FIELDS)
_DETAILS = ENTRY_NAMES["details"]
_RATING_NAMES = tuple(ENTRY_NAMES[name] for name in RATINGS)
if len(set(ENTRY_NAMES.values())) != len(ENTRY_NAMES):
    raise ImportError("sealed.ENTRY_NAMES gives two fields the same name")
if len(set(DETAIL_NAMES.values())) != len(DETAIL_NAMES):
    raise ImportError("sealed.DETAIL_NAMES gives two fields the same name")


def entry_document(draft: EntryDraft, key: str) -> bytes:
    """Everything the member entered or rated, and the entry's key; unset fields are left out."""
    document: dict[str, Any] = {_KEY: key, _KIND: draft.kind.value, _SOURCE: draft.source.value}
    if draft.therapy is not None:
        document[_THERAPY] = draft.therapy.value
    if draft.phase is not None:
        document[_PHASE] = draft.phase.value
    for name, value in zip(_PLAIN_NAMES, _plain_values(draft), strict=True):
        if value is not None:
            document[name] = value
    if draft.details is not None:
        document[_DETAILS] = details_document(draft.details)
    return _dump(document)


def details_document(details: EntryDetails) -> dict[str, Any]:
    """A typed entry's fields under their short names; unset ones left out."""
    document: dict[str, Any] = {}
    for field in fields(details):
        value = getattr(details, field.name)
        if value is not None:
            document[DETAIL_NAMES[field.name]] = value.value if field.name in DETAIL_ENUMS else value
    return document


def read_details(kind: EntryKind, document: object) -> EntryDetails | None:
    """The typed fields of an entry of `kind`, as `details_document` wrote them (None: none stored)."""
    if document is None:
        return None
    shape = DETAILS_OF_KIND.get(kind)
    if shape is None or not isinstance(document, dict):
        raise SealedFormatError(f"a sealed journal entry of kind {kind.value} holds details it cannot have")
    values: dict[str, Any] = {}
    for field in fields(shape):
        raw = document.get(DETAIL_NAMES[field.name])
        if raw is not None:
            values[field.name] = _detail_value(field.name, raw)
    try:
        return shape(**values)
    except TypeError as exc:
        raise SealedFormatError(f"a sealed journal entry lacks a field of its kind ({exc})") from None


def _detail_value(name: str, raw: Any) -> Any:
    enum = DETAIL_ENUMS.get(name)
    try:
        if enum is not None:
            return enum(raw)
    except ValueError as exc:
        raise SealedFormatError(f"a sealed journal entry holds an unknown choice ({exc})") from None
    if name in DETAIL_INT_FIELDS and (isinstance(raw, bool) or not isinstance(raw, int)):
        raise SealedFormatError(f"a sealed journal entry's {name} is not a whole number")
    if name in DETAIL_FLOAT_FIELDS:
        if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw):
            raise SealedFormatError(f"a sealed journal entry's {name} is not a number")
        return float(raw)
    if name not in DETAIL_INT_FIELDS and not isinstance(raw, str):
        raise SealedFormatError(f"a sealed journal entry's {name} is not text")
    return raw


def _plain_values(draft: EntryDraft) -> tuple[Any, ...]:
    return tuple(getattr(draft, name) for name in _PLAIN_FIELDS)


class EntryContent(NamedTuple):
    """An opened entry: its key, and the values of `CONTENT_FIELDS` in that order, typed. (A plain
    tuple: one is made per entry of every page listed.)"""

    key: str
    values: tuple[Any, ...]

    @property
    def phase(self) -> Phase | None:
        return self.values[_PHASE_AT]

    @property
    def source(self) -> EntrySource:
        return self.values[_SOURCE_AT]


def read_entry(data: bytes) -> EntryContent:
    """The fields of `JournalEntry` from kind to notes (`CONTENT_FIELDS`), and the entry's key."""
    document = _load(data)
    if not {_KEY, _KIND, _SOURCE} <= document.keys():
        raise SealedFormatError("a sealed journal entry lacks its key, kind or source")
    get = document.get
    try:
        therapy, phase = get(_THERAPY), get(_PHASE)
        kind = _KINDS[document[_KIND]]
        values = (
            kind,
            _SOURCES[document[_SOURCE]],
            None if therapy is None else _THERAPIES[therapy],
            get(_THERAPY_OTHER),
            None if phase is None else _PHASES[phase],
            *[get(name) for name in _RATING_NAMES],
            get(_SIDE_EFFECTS),
            get(_NOTES),
            read_details(kind, get(_DETAILS)),
        )
        return EntryContent(str(document[_KEY]), values)
    except (KeyError, TypeError) as exc:
        raise SealedFormatError(f"a sealed journal entry lacks or misspells a field ({exc})") from None


# --- members ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MemberRecord:
    """An opened member value: who they are on Discord, and their journal time zone."""

    user_id: int
    timezone: str | None = None


def member_document(user_id: int, timezone: str | None) -> bytes:
    document: dict[str, Any] = {"user_id": user_id}
    if timezone is not None:
        document["timezone"] = timezone
    return _dump(document)


def read_member(data: bytes) -> MemberRecord:
    document = _load(data)
    user_id = document.get("user_id")
    timezone = document.get("timezone")
    if not isinstance(user_id, int) or not (timezone is None or isinstance(timezone, str)):
        raise SealedFormatError("a sealed journal member is not a user id and a time zone")
    return MemberRecord(user_id, timezone)


# --- a member's day-0 dates ---------------------------------------------------------------------


def days_document(infusions: dict[int, date]) -> bytes:
    """The date of each infusion-phase entry, by entry number."""
    return _dump({"infusions": {str(seq): day.isoformat() for seq, day in sorted(infusions.items())}})


def read_days(data: bytes | None) -> dict[int, date]:
    """Entry number -> date of each infusion-phase entry (empty for a member without one)."""
    if data is None:
        return {}
    infusions = _load(data).get("infusions")
    if not isinstance(infusions, dict):
        raise SealedFormatError("a sealed journal day list holds no infusions")
    try:
        return {int(seq): date.fromisoformat(day) for seq, day in infusions.items()}
    except (TypeError, ValueError) as exc:
        raise SealedFormatError(f"a sealed journal day list is malformed ({exc})") from None


# --- reminders ----------------------------------------------------------------------------------


def reminder_document(reminder: ReminderSettings) -> bytes:
    """The settings a member chose (and whom to send to); when it is due stays readable beside it."""
    document: dict[str, Any] = {
        "user_id": reminder.user_id,
        "cadence": reminder.cadence.value,
        "local_time": reminder.local_time.strftime("%H:%M"),
        "timezone": reminder.timezone,
    }
    if reminder.weekday is not None:
        document["weekday"] = reminder.weekday
    return _dump(document)


def reminder_owner(data: bytes) -> int:
    """Whose reminder an opened reminder value is (their Discord id)."""
    user_id = _load(data).get("user_id")
    if not isinstance(user_id, int):
        raise SealedFormatError("a sealed journal reminder names no member")
    return user_id


def read_reminder(data: bytes, next_due_at: datetime, last_sent_at: datetime | None) -> ReminderSettings:
    document = _load(data)
    try:
        hour, minute = (int(part) for part in document["local_time"].split(":"))
        return ReminderSettings(
            user_id=int(document["user_id"]),
            cadence=Cadence(document["cadence"]),
            local_time=time(hour, minute),
            timezone=str(document["timezone"]),
            weekday=document.get("weekday"),
            next_due_at=next_due_at,
            last_sent_at=last_sent_at,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise SealedFormatError(f"a sealed journal reminder is malformed ({exc})") from None
