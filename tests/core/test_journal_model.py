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


def test_a_new_entry_keeps_every_field_of_the_draft_in_its_place() -> None:
    """`new_entry` builds the entry positionally (it runs at every add): each field, set to a value of
    its own, must land in the field of the same name."""
    from journal_factory import draft_with_every_field

    draft = draft_with_every_field()
    assert all(getattr(draft, f.name) is not None for f in fields(EntryDraft))  # every field set
    entry = new_entry(
        draft, user_id=5, seq=4, created_at=datetime(2026, 1, 2, tzinfo=UTC), infusion_day=9, key="k"
    )
    assert entry.to_draft() == draft
    assert (entry.infusion_day, entry.key) == (9, "k")


def test_every_typed_kind_is_handled_wherever_typed_entries_go() -> None:
    """A new typed kind fails here until it has an example, a reader for its form and options, a
    display, a short name for each field inside a sealed entry, and (except milestones) a report table."""
    from journal_factory import TYPED_DETAILS

    from bot.core.journal import kind_rules, sealed
    from bot.core.journal.display import detail_fields
    from bot.core.journal.kinds import DETAIL_CLASSES, DETAIL_FIELDS
    from bot.core.journal.report import tables

    assert set(TYPED_DETAILS) == set(model.DETAILS_OF_KIND)
    assert set(model.DETAILS_OF_KIND.values()) == set(DETAIL_CLASSES)
    assert set(kind_rules._READERS) == set(model.DETAILS_OF_KIND)
    assert set(sealed.DETAIL_NAMES) == set(DETAIL_FIELDS)
    for kind, details in TYPED_DETAILS.items():
        assert detail_fields(details), kind
    entries = [
        new_entry(
            EntryDraft(entry_date=date(2026, 1, 2), kind=kind, details=details),
            user_id=5,
            seq=seq,
            created_at=datetime(2026, 1, 2, tzinfo=UTC),
            infusion_day=None,
        )
        for seq, (kind, details) in enumerate(TYPED_DETAILS.items(), start=1)
    ]
    filled = [table.title for table in tables(entries, (), include_notes=False) if table.rows]
    assert len(filled) == len(TYPED_DETAILS) - 1  # milestones are the report's treatment timeline
