"""What the journal seals: every field and every choice a member can make survives the trip into a
sealed document and back, and a document that is not one is refused rather than misread."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time
from itertools import zip_longest

import pytest
from journal_factory import TYPED_DETAILS

from bot.core.journal import sealed
from bot.core.journal.model import (
    RATINGS,
    Cadence,
    EntryDraft,
    EntryKind,
    EntrySource,
    Phase,
    ReminderSettings,
    Therapy,
)

DAY = date(2026, 3, 1)


@pytest.mark.parametrize(
    ("kind", "source", "therapy", "phase"),
    list(zip_longest(EntryKind, EntrySource, Therapy, Phase)),
)
def test_every_choice_round_trips(
    kind: EntryKind | None, source: EntrySource | None, therapy: Therapy | None, phase: Phase | None
) -> None:
    """No CHECK constraint guards sealed values: a member added to an enum must survive here."""
    draft = EntryDraft(
        entry_date=DAY,
        kind=kind or EntryKind.NOTE,
        source=source or EntrySource.SLASH,
        therapy=therapy,
        phase=phase,
    )
    content = sealed.read_entry(sealed.entry_document(draft, "k" * 12))
    opened = dict(zip(sealed.CONTENT_FIELDS, content.values, strict=True))
    assert (opened["kind"], opened["source"], opened["therapy"], opened["phase"]) == (
        draft.kind,
        draft.source,
        therapy,
        phase,
    )
    assert content.key == "k" * 12


def test_every_field_of_an_entry_round_trips_in_journal_entry_order() -> None:
    ratings = {name: index for index, name in enumerate(RATINGS)}
    draft = EntryDraft(
        entry_date=DAY,
        kind=EntryKind.CHECKIN,
        source=EntrySource.MODAL,
        therapy=Therapy.OTHER,
        therapy_other="rituximab, «off label» 💊",
        phase=Phase.RECOVERY,
        side_effects="rash",
        notes='line "one"\nline two',
        **ratings,
    )
    content = sealed.read_entry(sealed.entry_document(draft, sealed.new_entry_key()))
    assert content.values == tuple(getattr(draft, name) for name in sealed.CONTENT_FIELDS)
    assert (content.phase, content.source) == (Phase.RECOVERY, EntrySource.MODAL)


def test_entry_keys_are_unguessable_and_fit_a_custom_id() -> None:
    import re

    keys = {sealed.new_entry_key() for _ in range(1000)}
    assert len(keys) == 1000
    assert all(re.fullmatch(sealed.ENTRY_KEY_PATTERN, key) for key in keys)


def test_members_days_and_reminders_round_trip() -> None:
    assert sealed.read_member(sealed.member_document(42, "Asia/Tokyo")) == sealed.MemberRecord(
        42, "Asia/Tokyo"
    )
    assert sealed.read_member(sealed.member_document(42, None)) == sealed.MemberRecord(42, None)
    days = {3: date(2025, 12, 1), 12: date(2026, 6, 2)}
    assert sealed.read_days(sealed.days_document(days)) == days
    assert sealed.read_days(None) == {}
    reminder = ReminderSettings(
        user_id=42,
        cadence=Cadence.WEEKLY,
        local_time=time(21, 5),
        timezone="Europe/Oslo",
        weekday=4,
        next_due_at=datetime(2026, 3, 6, 20, 5, tzinfo=UTC),
        last_sent_at=None,
    )
    document = sealed.reminder_document(reminder)
    assert sealed.read_reminder(document, reminder.next_due_at, None) == reminder
    assert sealed.reminder_owner(document) == 42


@pytest.mark.parametrize(
    "document",
    [
        b"not json",
        b"[1, 2]",
        b'{"k": "k"}',
        b'{"k": "k", "kd": "diary", "s": "slash"}',
        b'{"key": "k", "kind": "note", "source": "slash"}',
        b"\xff\xfe",
    ],
)
def test_what_is_not_an_entry_is_refused(document: bytes) -> None:
    with pytest.raises(sealed.SealedFormatError):
        sealed.read_entry(document)


def test_contexts_differ_by_member_and_by_kind_of_value() -> None:
    first, second = b"a" * 16, b"b" * 16
    contexts = {
        sealed.context(member, kind)
        for member in (first, second)
        for kind in (sealed.ENTRY, sealed.MEMBER, sealed.DAYS, sealed.REMINDER)
    }
    assert len(contexts) == 8


def test_every_field_of_an_entry_has_its_own_short_name() -> None:
    """A field added to the entry without a name in ENTRY_NAMES fails here (and at import)."""
    assert set(sealed.ENTRY_NAMES) == {"key", *sealed.CONTENT_FIELDS}
    assert len(set(sealed.ENTRY_NAMES.values())) == len(sealed.ENTRY_NAMES)


@pytest.mark.parametrize("kind", list(TYPED_DETAILS))
def test_every_typed_entry_round_trips_its_own_fields(kind: EntryKind) -> None:
    draft = EntryDraft(entry_date=DAY, kind=kind, details=TYPED_DETAILS[kind], notes="n")
    content = sealed.read_entry(sealed.entry_document(draft, "k" * 12))
    assert dict(zip(sealed.CONTENT_FIELDS, content.values, strict=True))["details"] == TYPED_DETAILS[kind]


def test_every_typed_field_has_its_own_short_name() -> None:
    from bot.core.journal.kinds import DETAIL_FIELDS

    assert set(sealed.DETAIL_NAMES) == set(DETAIL_FIELDS)


@pytest.mark.parametrize(
    "document",
    [
        b'{"k": "k", "kd": "note", "s": "slash", "d": {"m": "reinfusion"}}',
        b'{"k": "k", "kd": "milestone", "s": "slash", "d": {"m": "moon"}}',
        b'{"k": "k", "kd": "mri", "s": "slash", "d": {"nl": "two"}}',
        b'{"k": "k", "kd": "score", "s": "slash", "d": {"sc": "edss"}}',
        b'{"k": "k", "kd": "blood_count", "s": "slash", "d": {"ne": "high"}}',
    ],
)
def test_typed_fields_that_are_not_what_they_should_be_are_refused(document: bytes) -> None:
    with pytest.raises(sealed.SealedFormatError):
        sealed.read_entry(document)


@pytest.mark.parametrize("kind", list(TYPED_DETAILS))
def test_documents_are_the_json_the_standard_library_wrote(kind: EntryKind) -> None:
    """Values are written by orjson now: byte for byte what `json` wrote before (compact, UTF-8 kept
    as it is, numbers alike), so values sealed before and after read and compare the same."""
    draft = EntryDraft(
        entry_date=DAY,
        kind=kind,
        therapy=Therapy.OTHER,
        therapy_other='rituximab, «off label» 💊 "quoted" \\ tab\t',
        feeling=0,
        fatigue=10,
        side_effects="ça pique",
        notes="line one\nline two \u2028 \x00 end",
        details=TYPED_DETAILS[kind],
    )
    written = sealed.entry_document(draft, "k" * 12)
    reminder = ReminderSettings(
        user_id=2**63 - 1,
        cadence=Cadence.WEEKLY,
        local_time=time(7, 5),
        timezone="America/Argentina/Buenos_Aires",
        weekday=6,
        next_due_at=datetime(2026, 3, 2, tzinfo=UTC),
    )
    for document in (
        written,
        sealed.reminder_document(reminder),
        sealed.member_document(2**63 - 1, "Pacific/Chatham"),
        sealed.days_document({3: DAY, 12: date(2026, 4, 1)}),
    ):
        assert document == _as_json_wrote_it(json.loads(document))
    spaced = json.dumps(json.loads(written), ensure_ascii=False).encode()  # as any JSON writer may
    assert sealed.read_entry(written).values == sealed.read_entry(spaced).values


def _as_json_wrote_it(document: object) -> bytes:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
