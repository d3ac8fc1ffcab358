"""Stored journal entries for tests that need one without a database: every optional field empty."""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, date, datetime
from typing import Any

from bot.core.journal.model import EntryKind, EntrySource, JournalEntry

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
