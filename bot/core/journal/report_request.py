"""What a member asks of `/journal report`: the period and whether their notes go in.

Apart from `report` so that the bot's own process, which only checks the request, never imports
the report's layout and drawing code: that runs in the journal's worker process.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.core.journal.compare import add_months
from bot.core.journal.rules import MemberDay, attempt, parse_entry_date
from bot.errors import InvalidInput


@dataclass(frozen=True, slots=True)
class ReportRequest:
    """What the member asked for: the period (inclusive) and whether their notes go in."""

    start: date
    end: date
    include_notes: bool
    made_on: date


#: Without `from`, the report covers this many months up to `to`.
DEFAULT_MONTHS = 12


def report_period(start_text: str | None, end_text: str | None, day: MemberDay) -> tuple[date, date]:
    """The period asked for: `to` defaults to today, `from` to `DEFAULT_MONTHS` before it; both
    'today', 'yesterday' or YYYY-MM-DD, never in the future, `from` not after `to`."""
    problems: list[str] = []
    end = attempt(problems, lambda: parse_entry_date(end_text or "today", day))
    start = attempt(problems, lambda: parse_entry_date(start_text, day)) if start_text else None
    if problems:
        raise InvalidInput(" ".join(problems) + " No report was made.")
    assert end is not None
    start = start or add_months(end, -DEFAULT_MONTHS)
    if start > end:
        raise InvalidInput(
            f"The period starts ({start.isoformat()}) after it ends ({end.isoformat()}). Please swap "
            "`from` and `to`. No report was made."
        )
    return start, end
