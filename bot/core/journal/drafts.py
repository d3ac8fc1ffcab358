"""From what a member typed (the `/journal add` options or the entry form) to a checked draft, and back.

Both ways of writing an entry share one set of rules, kept here once: every problem is reported at
once, an entry needs something besides its date, a rated entry is a check-in and anything else a
note (unless the member chose a kind), and an edited milestone or relapse stays one. Pure: the cog
hands over the text as typed and shows the refusal's message as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.core.journal import rules
from bot.core.journal.model import SYMPTOMS, EntryDraft, EntryKind, EntrySource, JournalEntry, Therapy
from bot.errors import InvalidInput

NOTHING_TO_SAVE = (
    "There was nothing to save yet: please add how you feel, a symptom, your therapy or phase, "
    "or a few words in the notes. Nothing was saved."
)
#: The kinds read from the ratings; any other kind was the member's choice, and an edit through the
#: form (which has no kind field) keeps it.
_INFERRED_KINDS = (EntryKind.NOTE, EntryKind.CHECKIN)


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
        content = (self.feeling, self.symptoms, self.therapy, self.phase, self.notes, self.side_effects)
        return all(value is None for value in content) and self.kind is None

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
            **{name: rated.get(name) for name in SYMPTOMS},
        )
        return checked(draft, day)


@dataclass(frozen=True, slots=True)
class EntryForm:
    """What the member typed into the entry form, kept as text so a refused save can be retried."""

    entry_date: str = "today"
    feeling: str = ""
    symptoms: str = ""
    therapy_phase: str = ""
    notes: str = ""

    @classmethod
    def from_entry(cls, entry: JournalEntry) -> EntryForm:
        """The form filled in with a stored entry, for an edit."""
        therapy = therapy_text(entry) or ""
        phase = entry.phase.label if entry.phase else ""
        therapy_phase = f"{therapy}, {phase}" if therapy and phase else therapy or phase
        return cls(
            entry_date=entry.entry_date.isoformat(),
            feeling="" if entry.feeling is None else str(entry.feeling),
            symptoms=symptoms_text(entry),
            therapy_phase=therapy_phase,
            notes=entry.notes or "",
        )

    def kept_text(self) -> str:
        """What the member typed, as a plain-text copy; empty when they typed nothing but the date."""
        typed = (
            ("How I feel", self.feeling),
            ("Symptoms", self.symptoms),
            ("Therapy, phase", self.therapy_phase),
        )
        if not any(value.strip() for _, value in typed) and not self.notes.strip():
            return ""
        lines = [f"Date: {self.entry_date}"]
        lines += [f"{label}: {value}" for label, value in typed if value.strip()]
        if self.notes.strip():
            lines += ["", "Notes:", self.notes]
        return "\n".join(lines) + "\n"

    def to_draft(self, day: date | rules.MemberDay, stored: EntryDraft | None) -> EntryDraft:
        """A checked draft; `stored` is the entry being edited (its kind, source and side effects,
        which the form does not show, stay as they were)."""
        problems: list[str] = []
        entry_date = rules.attempt(problems, lambda: rules.parse_entry_date(self.entry_date, day))
        feeling = rules.attempt(problems, lambda: rules.parse_rating("feeling", self.feeling))
        rated = rules.attempt(problems, lambda: rules.parse_symptom_ratings(self.symptoms)) or {}
        therapy_phase = rules.attempt(problems, lambda: rules.parse_therapy_and_phase(self.therapy_phase))
        rules.raise_problems(problems)
        assert entry_date is not None and therapy_phase is not None  # else a problem above
        therapy, therapy_other, phase = therapy_phase
        draft = EntryDraft(
            entry_date=entry_date,
            kind=entry_kind(
                rated=feeling is not None or bool(rated), stored=stored.kind if stored is not None else None
            ),
            source=stored.source if stored is not None else EntrySource.MODAL,
            therapy=therapy,
            therapy_other=therapy_other,
            phase=phase,
            feeling=feeling,
            side_effects=stored.side_effects if stored is not None else None,
            notes=self.notes,
            **{name: rated.get(name) for name in SYMPTOMS},
        )
        return checked(draft, day)
