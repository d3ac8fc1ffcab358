"""The journal's models stay in step: what a member writes is exactly what an entry holds."""

from __future__ import annotations

import typing
from dataclasses import fields
from datetime import UTC, date, datetime

from bot.core.journal import model
from bot.core.journal.model import EntryDraft, EntryKind, JournalEntry, Phase, RatingPoint, new_entry


def test_every_field_of_a_draft_is_a_field_of_an_entry_with_the_same_type() -> None:
    """A field added to `EntryDraft` but not to `JournalEntry` (or typed differently) fails here."""
    entry_types = typing.get_type_hints(JournalEntry)
    for name, kind in typing.get_type_hints(EntryDraft).items():
        assert entry_types.get(name) == kind, name


def test_every_rating_is_a_field_wherever_ratings_travel() -> None:
    for shape in (EntryDraft, JournalEntry, RatingPoint):
        assert set(model.RATINGS) <= {f.name for f in fields(shape)}, shape.__name__


def test_a_new_entry_holds_the_draft_and_its_number() -> None:
    draft = EntryDraft(
        entry_date=date(2026, 1, 2), kind=EntryKind.CHECKIN, phase=Phase.INFUSION, pain=3, notes="day 0"
    )
    when = datetime(2026, 1, 2, 9, tzinfo=UTC)
    entry = new_entry(draft, user_id=5, seq=4, created_at=when, infusion_day=0)
    assert (entry.user_id, entry.seq, entry.created_at, entry.updated_at) == (5, 4, when, when)
    assert entry.day_label == "day 0"
    assert entry.to_draft() == draft


def test_an_empty_journal_still_has_one_page() -> None:
    assert [model.page_count(total, 10) for total in (0, 1, 10, 11, 25)] == [1, 1, 1, 2, 3]
