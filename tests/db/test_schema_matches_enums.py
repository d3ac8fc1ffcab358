"""Every value list the schema repeats is tied to the enum it copies, so a missed copy fails here.

A CHECK constraint such as `kind IN ('clinic', 'context')` is a copy of a `bot.core` enum. Adding a
member to the enum without a migration that widens the CHECK would make every write of the new
value fail at run time; this test makes it fail in the suite instead. It reads the constraints from
a database migrated the way the bot migrates its own. (The journal's choices have no CHECK: they
are sealed, and tests/core/test_journal_sealed.py round-trips every member of their enums.)
"""

from __future__ import annotations

import re
from enum import StrEnum

import pytest

from bot.core.autoresponse import AnswerKind, MatchMode
from bot.core.scanning import Outcome
from bot.core.scanning.settings import Sensitivity, WordKind
from bot.db.database import Database

# (table, column) -> the enum whose values the CHECK lists.
TIED: dict[tuple[str, str], type[StrEnum] | frozenset[str]] = {
    ("autoresponse_triggers", "mode"): MatchMode,
    ("autoresponse_rules", "answer_kind"): AnswerKind,
    ("clinic_watch_settings", "sensitivity"): Sensitivity,
    ("clinic_watch_words", "kind"): WordKind,
    # A report answers a card that was sent: every outcome but staying quiet.
    ("clinic_watch_reports", "outcome"): frozenset(o.value for o in Outcome if o is not Outcome.QUIET),
}


async def check_values(db: Database, table: str, column: str) -> set[str] | None:
    """The values `CHECK (column IN (...))` allows in the table as migrated, or None without one."""
    row = await db.fetch_one("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,))
    assert row is not None, f"no table {table}"
    found = re.search(rf"CHECK\s*\(\s*{re.escape(column)}\s+IN\s*\(([^)]*)\)", str(row["sql"]))
    if found is None:
        return None
    return set(re.findall(r"'([^']*)'", found.group(1)))


@pytest.mark.parametrize(("table", "column"), list(TIED))
async def test_check_constraint_lists_exactly_the_enum(db: Database, table: str, column: str) -> None:
    allowed = await check_values(db, table, column)
    if allowed is None:
        pytest.fail(f"{table}.{column} has no CHECK list; drop it from TIED if that is intended")
    tied = TIED[table, column]
    assert allowed == (set(tied) if isinstance(tied, frozenset) else {member.value for member in tied})
