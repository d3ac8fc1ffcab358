"""What a journal entry is, as plain frozen data that every layer can share without Discord."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field, fields
from datetime import date, datetime, time
from enum import StrEnum
from typing import TYPE_CHECKING, Any, TypeVar

from bot.core.journal.kinds import (
    AppointmentDetails,
    BloodCountDetails,
    EntryDetails,
    MedicineDetails,
    Milestone,
    MilestoneDetails,
    MriDetails,
    RelapseDetails,
    ScoreDetails,
    VaccinationDetails,
)

if TYPE_CHECKING:
    from _typeshed import DataclassInstance


class Therapy(StrEnum):
    """The cell therapy an entry is about; `OTHER` carries the member's own words."""

    AHSCT = "ahsct"
    MSC = "msc"
    OTHER = "other"

    @property
    def label(self) -> str:
        return _THERAPY_LABELS[self]


_THERAPY_LABELS = {Therapy.AHSCT: "aHSCT", Therapy.MSC: "MSC", Therapy.OTHER: "Other"}


class Phase(StrEnum):
    """Where the member stands on the road of a transplant, in the order it is usually walked."""

    CONSIDERING = "considering"
    CONSULTATION = "consultation"
    MOBILISATION = "mobilisation"
    COLLECTION = "collection"
    CONDITIONING = "conditioning"
    INFUSION = "infusion"
    IN_HOSPITAL = "in_hospital"
    RECOVERY = "recovery"
    FOLLOW_UP = "follow_up"

    @property
    def label(self) -> str:
        return _PHASE_LABELS[self]


_PHASE_LABELS = {
    Phase.CONSIDERING: "Considering",
    Phase.CONSULTATION: "Consultation",
    Phase.MOBILISATION: "Mobilisation",
    Phase.COLLECTION: "Collection",
    Phase.CONDITIONING: "Conditioning",
    Phase.INFUSION: "Infusion (day 0)",
    Phase.IN_HOSPITAL: "In hospital / engraftment",
    Phase.RECOVERY: "Recovery",
    Phase.FOLLOW_UP: "Follow-up",
}


class EntryKind(StrEnum):
    """Why the member wrote: a free note, a rated check-in, or one of the typed entries of a
    treatment (a milestone, a relapse, an MRI, a score, blood counts, a medicine, a vaccination, an
    appointment), each with its own fields (`bot.core.journal.kinds`)."""

    NOTE = "note"
    CHECKIN = "checkin"
    MILESTONE = "milestone"
    RELAPSE = "relapse"
    MRI = "mri"
    SCORE = "score"
    BLOOD_COUNT = "blood_count"
    MEDICINE = "medicine"
    VACCINATION = "vaccination"
    APPOINTMENT = "appointment"

    @property
    def label(self) -> str:
        return _KIND_LABELS[self]


_KIND_LABELS = {
    EntryKind.NOTE: "Note",
    EntryKind.CHECKIN: "Check-in",
    EntryKind.MILESTONE: "Milestone",
    EntryKind.RELAPSE: "Relapse",
    EntryKind.MRI: "MRI",
    EntryKind.SCORE: "Disability score",
    EntryKind.BLOOD_COUNT: "Blood counts",
    EntryKind.MEDICINE: "Medicine",
    EntryKind.VACCINATION: "Vaccination",
    EntryKind.APPOINTMENT: "Appointment",
}

#: The fields each typed kind carries (`JournalEntry.details`); notes and check-ins have none.
DETAILS_OF_KIND: dict[EntryKind, type[EntryDetails]] = {
    EntryKind.MILESTONE: MilestoneDetails,
    EntryKind.RELAPSE: RelapseDetails,
    EntryKind.MRI: MriDetails,
    EntryKind.SCORE: ScoreDetails,
    EntryKind.BLOOD_COUNT: BloodCountDetails,
    EntryKind.MEDICINE: MedicineDetails,
    EntryKind.VACCINATION: VaccinationDetails,
    EntryKind.APPOINTMENT: AppointmentDetails,
}
#: The phase a milestone begins (a reinfusion is the infusion phase, so it is day 0 for "day +N").
MILESTONE_PHASES: dict[Milestone, Phase] = {
    Milestone.MOBILISATION_START: Phase.MOBILISATION,
    Milestone.COLLECTION: Phase.COLLECTION,
    Milestone.CONDITIONING_START: Phase.CONDITIONING,
    Milestone.REINFUSION: Phase.INFUSION,
    Milestone.ENGRAFTMENT: Phase.IN_HOSPITAL,
    Milestone.DISCHARGE: Phase.RECOVERY,
    Milestone.BACK_HOME: Phase.RECOVERY,
}


class EntrySource(StrEnum):
    """How the entry arrived, so exports and support questions can tell a quick DM from a form."""

    SLASH = "slash"
    MODAL = "modal"
    DM_QUICK = "dm_quick"
    IMPORT = "import"


class Cadence(StrEnum):
    """How often a member wants to be nudged to write."""

    DAILY = "daily"
    WEEKLY = "weekly"


#: Symptom ratings, in the order they are shown, charted and exported.
SYMPTOMS: tuple[str, ...] = ("fatigue", "mobility", "pain", "cognition", "mood")
#: Every 0-10 rating an entry can carry: the overall feeling first, then the symptoms.
RATINGS: tuple[str, ...] = ("feeling", *SYMPTOMS)

#: What each rating means, for form hints and chart legends (0 is always "no trouble" for symptoms).
RATING_HINTS: dict[str, str] = {
    "feeling": "How I feel overall: 0 = very bad, 10 = very good",
    "fatigue": "Fatigue: 0 = none, 10 = severe",
    "mobility": "Walking and moving: 0 = no trouble, 10 = severe trouble",
    "pain": "Pain: 0 = none, 10 = severe",
    "cognition": "Thinking and memory: 0 = no trouble, 10 = severe trouble",
    "mood": "Low mood: 0 = none, 10 = severe",
}


@dataclass(frozen=True, slots=True)
class EntryDraft:
    """What a member writes: everything optional except the date, so a one-line note is one step.

    Validated by `bot.core.journal.rules.check_draft`; the service re-checks before storing.
    """

    entry_date: date
    kind: EntryKind = EntryKind.NOTE
    source: EntrySource = EntrySource.SLASH
    therapy: Therapy | None = None
    therapy_other: str | None = None
    phase: Phase | None = None
    feeling: int | None = None
    fatigue: int | None = None
    mobility: int | None = None
    pain: int | None = None
    cognition: int | None = None
    mood: int | None = None
    side_effects: str | None = None
    notes: str | None = None
    #: A typed entry's own fields (its kind's class in `DETAILS_OF_KIND`); None for notes and check-ins.
    details: EntryDetails | None = None

    def ratings(self) -> dict[str, int | None]:
        """Every rating by name, unset ones as None."""
        return {name: getattr(self, name) for name in RATINGS}


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """A stored entry as the member sees it: their own number, their text decrypted."""

    user_id: int
    seq: int
    entry_date: date
    kind: EntryKind
    source: EntrySource
    therapy: Therapy | None
    therapy_other: str | None
    phase: Phase | None
    feeling: int | None
    fatigue: int | None
    mobility: int | None
    pain: int | None
    cognition: int | None
    mood: int | None
    side_effects: str | None
    notes: str | None
    details: EntryDetails | None
    created_at: datetime
    updated_at: datetime
    #: Days since the member's infusion ("day +30"); derived on read, never typed or stored.
    infusion_day: int | None = None
    #: The entry's own unguessable key, drawn when it was written: buttons and forms carry it, so
    #: they act on this entry only, never on a later one that reuses its number. Not content, so
    #: two entries that say the same compare equal, and it never shows in a repr.
    key: str = field(default="", compare=False, repr=False)

    def ratings(self) -> dict[str, int | None]:
        """Every rating by name, unset ones as None."""
        return {name: getattr(self, name) for name in RATINGS}

    @property
    def milestone(self) -> Milestone | None:
        """Which treatment milestone this entry marks, if it is one."""
        return self.details.milestone if isinstance(self.details, MilestoneDetails) else None

    @property
    def ref(self) -> EntryRef:
        """What a button or form carries to find this entry again: its number and its key."""
        return EntryRef(self.seq, self.key)

    @property
    def day_label(self) -> str | None:
        """Transplant teams count days around the infusion: 'day -3', 'day 0', 'day +30'."""
        return None if self.infusion_day is None else format_infusion_day(self.infusion_day)

    def to_draft(self) -> EntryDraft:
        """The editable part, so an edit can start from what is stored (`dataclasses.replace`)."""
        return _project(self, EntryDraft)

    def rating_point(self) -> RatingPoint:
        return _project(self, RatingPoint)


@dataclass(frozen=True, slots=True)
class EntryRef:
    """One particular entry: its number (which a fresh journal after `forget` may use again) and its
    key (which no other entry ever has)."""

    seq: int
    key: str


def new_entry(
    draft: EntryDraft,
    *,
    user_id: int,
    seq: int,
    created_at: datetime,
    infusion_day: int | None,
    key: str = "",
) -> JournalEntry:
    """A draft just stored as entry #seq, as the member sees it (created and updated at once)."""
    d = draft  # positional, in JournalEntry's field order (every add builds one; keywords cost more)
    return JournalEntry(
        user_id, seq, d.entry_date, d.kind, d.source, d.therapy, d.therapy_other, d.phase, d.feeling,
        d.fatigue, d.mobility, d.pain, d.cognition, d.mood, d.side_effects, d.notes, d.details,
        created_at, created_at, infusion_day, key,
    )  # fmt: skip


_T = TypeVar("_T", bound="DataclassInstance")


def _fields_of(source: object, shape: type[DataclassInstance]) -> dict[str, Any]:
    """The values of `source` for every field of `shape`; the models share names and types
    (a test in tests/core/test_journal_model.py holds them to it)."""
    return {name: getattr(source, name) for name in _field_names(shape)}


@functools.cache
def _field_names(shape: type[DataclassInstance]) -> tuple[str, ...]:
    # Asked on every stored entry; `fields()` walks the class each time.
    return tuple(f.name for f in fields(shape))


def _project(source: object, target: type[_T]) -> _T:
    """Build `target` from the same-named fields of `source` (the entry holds a superset)."""
    return target(**_fields_of(source, target))


def format_infusion_day(offset: int) -> str:
    return "day 0" if offset == 0 else f"day {offset:+d}"


@dataclass(frozen=True, slots=True)
class RatingPoint:
    """The numbers of one entry, without its text: all a summary or chart needs (nothing to decrypt)."""

    entry_date: date
    kind: EntryKind
    phase: Phase | None
    feeling: int | None = None
    fatigue: int | None = None
    mobility: int | None = None
    pain: int | None = None
    cognition: int | None = None
    mood: int | None = None

    def ratings(self) -> dict[str, int | None]:
        return {name: getattr(self, name) for name in RATINGS}


@dataclass(frozen=True, slots=True)
class JournalPage:
    """One page of a member's entries, newest first; `page` is 1-based and already clamped."""

    entries: tuple[JournalEntry, ...]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return page_count(self.total, self.per_page)

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def page_count(total: int, per_page: int) -> int:
    """Pages needed for `total` entries; an empty journal still has its one (empty) page."""
    return max(1, -(-total // per_page))


@dataclass(frozen=True, slots=True)
class ReminderSettings:
    """A member's reminder: when, in which zone, and when it is next due (UTC)."""

    user_id: int
    cadence: Cadence
    local_time: time
    timezone: str
    #: Monday = 0 ... Sunday = 6; only for weekly reminders.
    weekday: int | None
    next_due_at: datetime
    last_sent_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ForgottenItems:
    """What another feature deleted for the same `forget` (e.g. 3 trial watches), in words."""

    singular: str
    plural: str
    count: int

    def describe(self) -> str:
        return f"{self.count} {self.singular if self.count == 1 else self.plural}"


@dataclass(frozen=True, slots=True)
class DeletionReport:
    """What `forget` removed, per table, so the member can be told exactly what went."""

    counts: dict[str, int] = field(default_factory=dict)
    #: What other features deleted for the same confirmation (their forget hooks).
    others: tuple[ForgottenItems, ...] = ()

    @property
    def entries(self) -> int:
        return self.counts.get("journal_entries", 0)

    @property
    def reminders(self) -> int:
        return self.counts.get("journal_reminders", 0)

    @property
    def settings(self) -> int:
        return self.counts.get("journal_members", 0)

    @property
    def total(self) -> int:
        return sum(self.counts.values()) + sum(item.count for item in self.others)

    def describe(self) -> str:
        """A sentence for the member, e.g. 'Deleted 12 journal entries, your reminder and your settings.'"""
        if self.total == 0:
            return "There was nothing stored about you in the journal, so nothing needed deleting."
        parts: list[str] = []
        if self.entries:
            parts.append(f"{self.entries} journal {'entry' if self.entries == 1 else 'entries'}")
        if self.reminders:
            parts.append("your reminder")
        if self.settings:
            parts.append("your journal settings (time zone and entry numbering)")
        parts += [item.describe() for item in self.others if item.count]
        listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
        return f"Deleted {listed}. Nothing else about you is kept by the journal."
