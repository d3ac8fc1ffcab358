"""Journal text in embeds: escaped, split over the description and fields, always within Discord's limits."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from journal_factory import make_entry

from bot.cogs.journal_views import NOTES_CONTINUED, entry_embed
from bot.core import limits
from bot.core.journal import display
from bot.core.journal.model import EntryKind, JournalEntry, Phase, Therapy

MARKDOWN_NOTE = ("- *so tired* _today_ \\ ~~|| `x` # > [a](b)\n" * 200)[:4000]


def entry(notes: str | None, **fields: Any) -> JournalEntry:
    return make_entry(
        123_456_789, user_id=1, entry_date=date(2026, 1, 1), kind=EntryKind.CHECKIN, notes=notes, **fields
    )


def shown(journal_entry: JournalEntry) -> dict[str, Any]:
    """The entry's embed as Discord receives it."""
    return dict(entry_embed(journal_entry).to_dict())


def assert_within_limits(embed_dict: dict[str, Any]) -> None:
    description = str(embed_dict.get("description") or "")
    fields: list[dict[str, str]] = embed_dict.get("fields") or []
    assert len(description) <= limits.EMBED_DESCRIPTION_CHARS
    assert len(fields) <= limits.EMBED_FIELDS
    for field in fields:
        assert 1 <= len(field["name"]) <= limits.EMBED_FIELD_NAME_CHARS
        assert 1 <= len(field["value"].strip()) <= limits.EMBED_FIELD_VALUE_CHARS
    total = len(str(embed_dict.get("title") or "")) + len(description)
    total += len(str((embed_dict.get("footer") or {}).get("text") or ""))
    total += sum(len(f["name"]) + len(f["value"]) for f in fields)
    assert total <= limits.EMBED_TOTAL_CHARS


@pytest.mark.parametrize(
    "notes",
    [MARKDOWN_NOTE, "*" * 4000, "_\n" * 2000, "[a](b " * 666, "- " + "x" * 3998, "word " * 800],
)
def test_the_longest_notes_always_fit_even_beside_every_other_field(notes: str) -> None:
    full = entry(
        notes,
        feeling=5,
        fatigue=6,
        mobility=7,
        pain=8,
        cognition=9,
        mood=10,
        therapy=Therapy.OTHER,
        therapy_other="*_" * 50,
        phase=Phase.FOLLOW_UP,
        side_effects="*" * 1000,
        updated_at=datetime(2026, 1, 2, tzinfo=UTC),
    )
    for each in (full, entry(notes)):
        assert_within_limits(shown(each))


def continued(embed: dict[str, Any]) -> list[str]:
    return [f["value"] for f in embed["fields"] if f["name"] == NOTES_CONTINUED]


def test_a_long_note_continues_in_fields_whole_when_it_fits() -> None:
    embed = shown(entry(MARKDOWN_NOTE))
    parts = continued(embed)
    assert parts, "the note should go on after the description"
    assert "\\*so tired\\* \\_today\\_" in embed["description"]
    words = "\n".join([embed["description"], *parts]).split()
    assert words == display.escape_markdown(MARKDOWN_NOTE).split()  # nothing lost, nothing added


def test_a_note_too_long_even_for_the_fields_says_where_the_rest_is() -> None:
    note = ("- **~~||__``\\\n" * 400)[:4000]
    embed = shown(entry(note))
    text = "".join([embed["description"], *continued(embed)])
    assert text.endswith(display.SHORTENED_NOTE.strip())


def test_a_note_that_fits_is_shown_whole_and_unchanged_in_meaning() -> None:
    embed = shown(entry("Walked to the *corner* shop"))
    assert embed["description"] == "Walked to the \\*corner\\* shop"
    assert not [f for f in embed["fields"] if f["name"] == NOTES_CONTINUED]


def test_escaping_keeps_links_and_marks_line_starts() -> None:
    text = "# big\n> quote\n  - item\nsee https://example.org/a_b_c and [x](y)"
    escaped = display.escape_markdown(text)
    assert escaped == "\\# big\n\\> quote\n  \\- item\nsee https://example.org/a_b_c and \\[x](y)"


def test_crafted_brackets_are_escaped_one_by_one() -> None:
    """The text that made discord.py's escape quadratic; its cost is measured in bench/bench_text.py."""
    escaped = display.escape_markdown("[a](b " * 666)
    assert escaped == "\\[a](b " * 666
