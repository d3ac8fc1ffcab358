"""From what a member typed (options of a slash command, or a form) to a checked draft, and back.

Every way of writing an entry shares one set of rules, kept here once: every problem is reported at
once, an entry needs something besides its date, a rated entry is a check-in and anything else a
note (unless the member chose a kind), and an edited typed entry (a milestone, an MRI...) stays one.
Three forms, each within Discord's five fields: the entry form (date, how I feel, symptoms, phase,
notes), a typed entry's own form (`TypedEntryForm`, its kind's fields), and the second step of
either, "More details" (`DetailsForm`: therapy, phase, side effects, notes). Pure: the cog hands over
the text as typed (a menu's value is text too) and shows the refusal's message as it is.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Protocol

from bot.core.journal import rules
from bot.core.journal.kind_rules import details_from_text, details_text
from bot.core.journal.model import (
    DETAILS_OF_KIND,
    SYMPTOMS,
    EntryDraft,
    EntryKind,
    EntrySource,
    JournalEntry,
    Phase,
    Therapy,
)
from bot.errors import InvalidInput

NOTHING_TO_SAVE = (
    "There was nothing to save yet: please add how you feel, a symptom, your therapy or phase, "
    "or a few words in the notes. Nothing was saved."
)
#: The kinds read from the ratings; any other kind was the member's choice, and an edit through the
#: form (which has no kind field) keeps it.
_INFERRED_KINDS = (EntryKind.NOTE, EntryKind.CHECKIN)


class DraftForm(Protocol):
    """Any of the forms (or a typed entry's options): text in, a checked draft out."""

    def to_draft(self, day: date | rules.MemberDay, stored: EntryDraft | None) -> EntryDraft: ...

    def kept_text(self) -> str: ...


def has_content(draft: EntryDraft) -> bool:
    """An entry needs something besides its date: a rating, a therapy or phase, or some text."""
    return any(
        value is not None
        for value in (
            *draft.ratings().values(),
            draft.therapy,
            draft.phase,
            draft.notes,
            draft.side_effects,
            draft.details,
        )
    )


def entry_kind(*, rated: bool, chosen: EntryKind | None = None, stored: EntryKind | None = None) -> EntryKind:
    """The member's choice; else a stored milestone or relapse stays one; else a check-in when
    something is rated and a note when nothing is."""
    if chosen is not None:
        return chosen
    if stored is not None and stored not in _INFERRED_KINDS:
        return stored
    return EntryKind.CHECKIN if rated else EntryKind.NOTE


def checked(draft: EntryDraft, day: date | rules.MemberDay) -> EntryDraft:
    """The draft cleaned and checked against the member's day, refused when it holds nothing."""
    draft = rules.check_draft(draft, day)
    if not has_content(draft):
        raise InvalidInput(NOTHING_TO_SAVE)
    return draft


def therapy_text(entry: JournalEntry | EntryDraft) -> str | None:
    """The therapy in words: its label, or the member's own words for 'Other'."""
    if entry.therapy is None:
        return None
    if entry.therapy is Therapy.OTHER and entry.therapy_other:
        return entry.therapy_other
    return entry.therapy.label


def symptoms_text(entry: JournalEntry | EntryDraft, separator: str = ", ") -> str:
    """'fatigue 6, pain 3': the same words the form accepts, so an edit round-trips."""
    return separator.join(
        f"{name} {getattr(entry, name)}" for name in SYMPTOMS if getattr(entry, name) is not None
    )


@dataclass(frozen=True, slots=True)
class EntryOptions:
    """The options of `/journal add` as Discord delivered them; None where one was left out."""

    entry_date: str | None = None
    feeling: int | None = None
    symptoms: str | None = None
    therapy: str | None = None
    phase: str | None = None
    notes: str | None = None
    side_effects: str | None = None
    kind: str | None = None

    @property
    def opens_form(self) -> bool:
        """Nothing but (at most) a date: the member gets the form, with that date filled in."""
        return not self._content_given and self.kind is None

    @property
    def _content_given(self) -> bool:
        content = (self.feeling, self.symptoms, self.therapy, self.phase, self.notes, self.side_effects)
        return any(value is not None for value in content)

    def typed_form(self) -> TypedEntryForm | None:
        """A typed kind (an MRI, a score...) and nothing else: that kind's own form, dated as asked."""
        if self._content_given or self.kind is None:
            return None
        try:
            kind = rules.parse_kind(self.kind)
        except InvalidInput:
            return None
        if kind not in DETAILS_OF_KIND:
            return None
        return TypedEntryForm(kind, self.form().entry_date)

    def form(self) -> EntryForm:
        """The empty form, dated as the options said (today when they said nothing)."""
        typed = (self.entry_date or "").strip()
        return EntryForm(entry_date=typed or "today")

    def to_draft(self, day: rules.MemberDay) -> EntryDraft:
        """A checked draft; every problem is reported in one message."""
        problems: list[str] = []
        entry_date = rules.attempt(problems, lambda: rules.parse_entry_date(self.entry_date or "today", day))
        rated = rules.attempt(problems, lambda: rules.parse_symptom_ratings(self.symptoms)) or {}
        therapy, therapy_other = rules.attempt(problems, lambda: rules.parse_therapy(self.therapy)) or (
            None,
            None,
        )
        phase = rules.attempt(problems, lambda: rules.parse_phase(self.phase))
        kind = rules.attempt(problems, lambda: rules.parse_kind(self.kind)) if self.kind else None
        rules.raise_problems(problems)
        assert entry_date is not None  # a bad date was a problem above
        draft = EntryDraft(
            entry_date=entry_date,
            kind=entry_kind(rated=self.feeling is not None or bool(rated), chosen=kind),
            source=EntrySource.SLASH,
            therapy=therapy,
            therapy_other=therapy_other,
            phase=phase,
            feeling=self.feeling,
            side_effects=self.side_effects,
            notes=self.notes,
        )
        return checked(replace(draft, **{name: rated.get(name) for name in SYMPTOMS}), day)


@dataclass(frozen=True, slots=True)
class EntryForm:
    """What the member typed into the entry form, kept as text so a refused save can be retried.

    `phase` is the phase menu's value ("" when none is chosen); the therapy and side effects are in
    the second step, "More details" (`DetailsForm`).
    """

    entry_date: str = "today"
    feeling: str = ""
    symptoms: str = ""
    phase: str = ""
    notes: str = ""

    @classmethod
    def from_entry(cls, entry: JournalEntry) -> EntryForm:
        """The form filled in with a stored entry, for an edit."""
        return cls(
            entry_date=entry.entry_date.isoformat(),
            feeling="" if entry.feeling is None else str(entry.feeling),
            symptoms=symptoms_text(entry),
            phase=entry.phase.value if entry.phase else "",
            notes=entry.notes or "",
        )

    def kept_text(self) -> str:
        """What the member typed, as a plain-text copy; empty when they typed nothing but the date."""
        phase = Phase(self.phase).label if self.phase in {p.value for p in Phase} else self.phase
        typed = (("How I feel", self.feeling), ("Symptoms", self.symptoms), ("Phase", phase))
        return _kept(self.entry_date, typed, self.notes)

    def to_draft(self, day: date | rules.MemberDay, stored: EntryDraft | None) -> EntryDraft:
        """A checked draft; `stored` is the entry being edited (what the form does not show, such as its
        kind, therapy, side effects and typed fields, stays as it was)."""
        problems: list[str] = []
        entry_date = rules.attempt(problems, lambda: rules.parse_entry_date(self.entry_date, day))
        feeling = rules.attempt(problems, lambda: rules.parse_rating("feeling", self.feeling))
        rated = rules.attempt(problems, lambda: rules.parse_symptom_ratings(self.symptoms)) or {}
        phase = rules.attempt(problems, lambda: rules.parse_phase(self.phase))
        rules.raise_problems(problems)
        assert entry_date is not None  # else a problem above
        base = stored if stored is not None else EntryDraft(entry_date=entry_date, source=EntrySource.MODAL)
        draft = replace(
            base,
            entry_date=entry_date,
            kind=entry_kind(rated=feeling is not None or bool(rated), stored=base.kind if stored else None),
            phase=phase,
            feeling=feeling,
            notes=self.notes,
            **{name: rated.get(name) for name in SYMPTOMS},
        )
        return checked(draft, day)


@dataclass(frozen=True, slots=True)
class TypedEntryForm:
    """A typed entry (a milestone, a relapse, an MRI...) as the member gave it: its kind's fields as
    text keyed by field name (`kind_rules.details_from_text`), its date and notes. The same for its
    form and its slash command's options (`source` says which)."""

    kind: EntryKind
    entry_date: str = "today"
    values: Mapping[str, str] = field(default_factory=dict)
    notes: str = ""
    source: EntrySource = EntrySource.MODAL

    @classmethod
    def from_entry(cls, entry: JournalEntry) -> TypedEntryForm:
        """The kind's form filled in with a stored entry, for an edit."""
        return cls(
            kind=entry.kind,
            entry_date=entry.entry_date.isoformat(),
            values=details_text(entry.details),
            notes=entry.notes or "",
        )

    def value(self, name: str) -> str:
        return self.values.get(name) or ""

    def kept_text(self) -> str:
        typed = [(name.replace("_", " ").capitalize(), value) for name, value in self.values.items()]
        return _kept(self.entry_date, [("Type", self.kind.label), *typed], self.notes, always=bool(typed))

    def to_draft(self, day: date | rules.MemberDay, stored: EntryDraft | None = None) -> EntryDraft:
        """A checked draft of this kind; an edit keeps what this form does not show (therapy, phase,
        ratings, side effects, how it was written)."""
        problems: list[str] = []
        entry_date = rules.attempt(problems, lambda: rules.parse_entry_date(self.entry_date, day))
        details = details_from_text(self.kind, self.values, problems)
        rules.raise_problems(problems)
        assert entry_date is not None  # else a problem above
        base = stored if stored is not None else EntryDraft(entry_date=entry_date, source=self.source)
        draft = replace(base, entry_date=entry_date, kind=self.kind, details=details, notes=self.notes)
        return checked(draft, day)


@dataclass(frozen=True, slots=True)
class DetailsForm:
    """The second step of any entry, "More details": therapy (a menu's value, and the member's own
    words for 'Other'), phase (a menu's value), side effects and notes. Only ever an edit."""

    therapy: str = ""
    therapy_other: str = ""
    phase: str = ""
    side_effects: str = ""
    notes: str = ""

    @classmethod
    def from_entry(cls, entry: JournalEntry) -> DetailsForm:
        return cls(
            therapy=entry.therapy.value if entry.therapy else "",
            therapy_other=entry.therapy_other or "",
            phase=entry.phase.value if entry.phase else "",
            side_effects=entry.side_effects or "",
            notes=entry.notes or "",
        )

    def kept_text(self) -> str:
        typed = (
            ("Therapy", self.therapy),
            ("Therapy in your words", self.therapy_other),
            ("Phase", self.phase),
            ("Side effects", self.side_effects),
        )
        return _kept("(unchanged)", typed, self.notes)

    def to_draft(self, day: date | rules.MemberDay, stored: EntryDraft | None) -> EntryDraft:
        if stored is None:
            raise InvalidInput("These details belong to an entry that is saved first. Nothing was saved.")
        problems: list[str] = []
        phase = rules.attempt(problems, lambda: rules.parse_phase(self.phase))
        therapy = rules.attempt(problems, lambda: _therapy(self.therapy))
        rules.raise_problems(problems)
        other = self.therapy_other.strip() or None
        if other is not None and therapy is None:
            therapy = Therapy.OTHER
        draft = replace(
            stored,
            therapy=therapy,
            therapy_other=other,
            phase=phase,
            side_effects=self.side_effects,
            notes=self.notes,
        )
        return checked(draft, day)


def _therapy(value: str) -> Therapy | None:
    if not value.strip():
        return None
    try:
        return Therapy(value.strip())
    except ValueError:
        raise InvalidInput(
            f"I don't know the therapy '{value.strip()[:40]}'. Choose aHSCT, MSC or Other."
        ) from None


def _kept(entry_date: str, typed: Iterable[tuple[str, str]], notes: str, *, always: bool = False) -> str:
    """A plain-text copy of what was typed; empty when nothing but the date was."""
    pairs = [(label, value) for label, value in typed if value.strip()]
    if not always and not pairs and not notes.strip():
        return ""
    lines = [f"Date: {entry_date}"]
    lines += [f"{label}: {value}" for label, value in pairs]
    if notes.strip():
        lines += ["", "Notes:", notes]
    return "\n".join(lines) + "\n"
