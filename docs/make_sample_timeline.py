"""Draws `docs/sample-timeline.png`, the README's example of `/journal timeline`, from an invented
journal: every entry below is made up here (seeded, so the picture is the same each time), none is
anyone's record.

    python docs/make_sample_timeline.py
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bot.core.journal.kinds import Answer, Milestone, MilestoneDetails, MriDetails, RelapseDetails
from bot.core.journal.model import (
    MILESTONE_PHASES,
    EntryDraft,
    EntryKind,
    EntrySource,
    JournalEntry,
    Phase,
    Therapy,
    new_entry,
)
from bot.core.journal.timeline import build_timeline, render_timeline

DAY_ZERO = date(2025, 3, 10)
TODAY = DAY_ZERO + timedelta(days=430)
OUTPUT = Path(__file__).with_name("sample-timeline.png")
_MILESTONE_DAYS = {
    Milestone.MOBILISATION_START: -40,
    Milestone.COLLECTION: -31,
    Milestone.CONDITIONING_START: -6,
    Milestone.REINFUSION: 0,
    Milestone.ENGRAFTMENT: 11,
    Milestone.DISCHARGE: 19,
    Milestone.BACK_HOME: 24,
}


def _phase_on(day: int) -> Phase:
    """The phase an invented member would pick on `day` (days from reinfusion)."""
    for start, phase in (
        (180, Phase.FOLLOW_UP),
        (19, Phase.RECOVERY),
        (1, Phase.IN_HOSPITAL),
        (0, Phase.INFUSION),
    ):
        if day >= start:
            return phase
    for start, phase in ((-6, Phase.CONDITIONING), (-31, Phase.COLLECTION), (-40, Phase.MOBILISATION)):
        if day >= start:
            return phase
    return Phase.CONSULTATION


def sample_drafts() -> list[EntryDraft]:
    """About a year and a half of invented check-ins, milestones, two relapses and three MRIs."""
    rng = random.Random(13)
    drafts: list[EntryDraft] = []
    for day in range(-170, 431):
        if rng.random() < 0.3 or day in _MILESTONE_DAYS.values():
            continue  # days without a check-in, as in any real diary
        # Invented shape: a dip through conditioning and the ward, then a slow climb.
        dip = 3.5 if -6 <= day <= 30 else 0.0
        climb = min(max(day, 0), 365) / 365 * 2.0
        feeling = round(min(10, max(0, 5 - dip + climb + rng.gauss(0, 1))))
        fatigue = round(min(10, max(0, 6 + dip - climb + rng.gauss(0, 1))))
        mobility = round(min(10, max(0, 5 + climb / 2 + rng.gauss(0, 0.8))))
        drafts.append(
            EntryDraft(
                entry_date=DAY_ZERO + timedelta(days=day),
                kind=EntryKind.CHECKIN,
                source=EntrySource.MODAL,
                therapy=Therapy.AHSCT,
                phase=_phase_on(day),
                feeling=feeling,
                fatigue=fatigue,
                mobility=mobility,
            )
        )
    for milestone, day in _MILESTONE_DAYS.items():
        drafts.append(
            EntryDraft(
                entry_date=DAY_ZERO + timedelta(days=day),
                kind=EntryKind.MILESTONE,
                therapy=Therapy.AHSCT,
                phase=MILESTONE_PHASES[milestone],
                details=MilestoneDetails(milestone),
            )
        )
    for day in (-150, -95):
        drafts.append(
            EntryDraft(
                entry_date=DAY_ZERO + timedelta(days=day),
                kind=EntryKind.RELAPSE,
                details=RelapseDetails("numb left leg", Answer.YES),
            )
        )
    for day, lesions in ((-80, 3), (185, 0), (370, 0)):
        drafts.append(
            EntryDraft(
                entry_date=DAY_ZERO + timedelta(days=day),
                kind=EntryKind.MRI,
                details=MriDetails(lesions, Answer.NO),
            )
        )
    return drafts


def sample_entries() -> list[JournalEntry]:
    stamp = datetime.combine(TODAY, datetime.min.time(), tzinfo=UTC)
    return [
        new_entry(draft, user_id=1, seq=seq, created_at=stamp, infusion_day=None)
        for seq, draft in enumerate(sorted(sample_drafts(), key=lambda d: d.entry_date), start=1)
    ]


if __name__ == "__main__":
    OUTPUT.write_bytes(render_timeline(build_timeline(sample_entries(), TODAY)))
    print(f"Wrote {OUTPUT}")
