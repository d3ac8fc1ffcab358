"""Stored journal entries for tests that need one without a database: every optional field empty."""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, date, datetime
from typing import Any

from bot.core.journal.kinds import (
    Answer,
    AppointmentDetails,
    BloodCountDetails,
    CountUnit,
    EntryDetails,
    MedicineAction,
    MedicineDetails,
    MedicineKind,
    Milestone,
    MilestoneDetails,
    MriDetails,
    RelapseDetails,
    Scale,
    ScoreDetails,
    Scorer,
    VaccinationDetails,
)
from bot.core.journal.model import RATINGS, EntryDraft, EntryKind, EntrySource, JournalEntry, Phase, Therapy

WHEN = datetime(2026, 2, 1, 9, 30, 15, 123456, tzinfo=UTC)


def make_entry(seq: int = 1, *, user_id: int = 42, **given: Any) -> JournalEntry:
    """An entry numbered `seq`; anything not given is empty, dated in January 2026."""
    values: dict[str, Any] = {f.name: None for f in fields(JournalEntry)}
    values.update(
        user_id=user_id,
        seq=seq,
        entry_date=date(2026, 1, min(seq, 28)),
        kind=EntryKind.NOTE,
        source=EntrySource.SLASH,
        created_at=WHEN,
        updated_at=WHEN,
    )
    values.update(given)
    return JournalEntry(**values)


#: One typed entry of every kind with its own fields, each field set (text with commas, quotes and a
#: leading "=" where a spreadsheet could trip on it).
TYPED_DETAILS: dict[EntryKind, EntryDetails] = {
    EntryKind.MILESTONE: MilestoneDetails(Milestone.REINFUSION),
    EntryKind.RELAPSE: RelapseDetails('left leg numb, "pins and needles"', Answer.YES),
    EntryKind.MRI: MriDetails(2, Answer.NO),
    EntryKind.SCORE: ScoreDetails(Scale.EDSS, 3.5, Scorer.NEUROLOGIST),
    EntryKind.BLOOD_COUNT: BloodCountDetails(0.45, 23.0, 1.25, CountUnit.PER_LITRE),
    EntryKind.MEDICINE: MedicineDetails("=ocrelizumab", MedicineKind.DMT, MedicineAction.STOPPED),
    EntryKind.VACCINATION: VaccinationDetails("MMR", 2),
    EntryKind.APPOINTMENT: AppointmentDetails("MS nurse, haematology"),
}


def typed_entries(first_seq: int = 1) -> list[JournalEntry]:
    """One stored entry of each typed kind, numbered from `first_seq`."""
    return [
        make_entry(first_seq + index, kind=kind, details=details, notes=f"{kind.label} notes")
        for index, (kind, details) in enumerate(TYPED_DETAILS.items())
    ]


def draft_with_every_field() -> EntryDraft:
    """A typed entry's draft with every field set, each to a value no other field holds."""
    return EntryDraft(
        entry_date=date(2026, 1, 2),
        kind=EntryKind.SCORE,
        source=EntrySource.DM_QUICK,
        therapy=Therapy.OTHER,
        therapy_other="a trial",
        phase=Phase.RECOVERY,
        **{name: number for number, name in enumerate(RATINGS, start=1)},
        side_effects="tired",
        notes="notes",
        details=TYPED_DETAILS[EntryKind.SCORE],
    )
