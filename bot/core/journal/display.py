"""Journal text made safe and small enough for Discord embeds.

A member's words are shown as they typed them (markdown escaped), and a long note is spread
over the description and continuation fields; only if even that cannot hold it is it shortened,
with a visible pointer to the full text. Pure text: no Discord objects here.
"""

from __future__ import annotations

from bot.core import limits
from bot.core.journal.kinds import (
    BLOOD_COUNTS,
    Answer,
    AppointmentDetails,
    BloodCountDetails,
    EntryDetails,
    MedicineDetails,
    MilestoneDetails,
    MriDetails,
    RelapseDetails,
    ScoreDetails,
    VaccinationDetails,
    format_count,
    format_score,
)
from bot.core.text import escape_markdown

#: Shown where a text had to be cut; our own markdown, so it is not escaped.
SHORTENED_NOTE = "\n… *Shortened to fit here; `/journal export` has the full text.*"
#: A continuation field is only started when at least this much text fits in it.
_MIN_PART = 100


def fit_text(text: str, first_limit: int, *, budget: int, more_parts: int, more_cost: int) -> list[str]:
    """`text` escaped and split into parts: the first holds up to `first_limit` characters, each
    further part up to `limits.EMBED_FIELD_VALUE_CHARS` (and costs `more_cost` more, its field name).

    At most `more_parts` further parts, and all of it within `budget` characters. Cuts fall on a
    line break or a space where one is near. If the text does not fit, the last part ends with
    `SHORTENED_NOTE`, so nothing is silently dropped.
    """
    parts: list[str] = []
    rest = text.strip()
    while rest:
        first = not parts
        cost = 0 if first else more_cost
        limit = min(first_limit if first else limits.EMBED_FIELD_VALUE_CHARS, budget - cost)
        escaped = escape_markdown(rest)
        if len(escaped) <= limit:
            parts.append(escaped)
            break
        room_after = budget - cost - limit - more_cost
        last = len(parts) >= more_parts or min(room_after, limits.EMBED_FIELD_VALUE_CHARS) < _MIN_PART
        if last:
            limit -= len(SHORTENED_NOTE)
        head, rest = _cut(rest, limit)
        if last or not head:
            parts.append((escape_markdown(head) + SHORTENED_NOTE).strip())
            break
        piece = escape_markdown(head)
        parts.append(piece)
        budget -= cost + len(piece)
    return parts


def _cut(text: str, limit: int) -> tuple[str, str]:
    """The longest head of `text` whose escaped form fits `limit`, ending at a line or word break."""
    low, high = 0, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if len(escape_markdown(text[:middle].rstrip())) <= limit:
            low = middle
        else:
            high = middle - 1
    if low >= len(text):
        return text.rstrip(), ""
    end = low
    for breaks in ("\n", " "):
        found = text.rfind(breaks, 0, low + 1)
        if found >= low // 2 and found > 0:
            end = found
            break
    head = text[:end].rstrip()
    if len(escape_markdown(head)) > limit:  # escaping is not strictly monotone (links); be sure
        head, end = text[:low].rstrip(), low
    return head, text[end:].lstrip()


def detail_fields(details: EntryDetails | None) -> list[tuple[str, str]]:
    """A typed entry's fields as (name, value) pairs in plain words, as the member gave them (the
    member's own words unescaped: the caller escapes for Discord); nothing is interpreted."""
    if details is None:
        return []
    if isinstance(details, MilestoneDetails):
        return [("Milestone", details.milestone.label)]
    if isinstance(details, RelapseDetails):
        steroids = "Not sure" if details.steroids is Answer.UNKNOWN else details.steroids.label
        changed = [("What changed", details.what_changed)] if details.what_changed else []
        return [*changed, ("Treated with steroids", steroids)]
    if isinstance(details, MriDetails):
        lesions = "Not stated" if details.new_lesions is None else str(details.new_lesions)
        return [("New or enlarging lesions", lesions), ("Gadolinium-enhancing", details.enhancing.label)]
    if isinstance(details, ScoreDetails):
        return [("Score", format_score(details))]
    if isinstance(details, BloodCountDetails):
        return [
            (name.capitalize(), format_count(getattr(details, name), details.count_unit))
            for name in BLOOD_COUNTS
            if getattr(details, name) is not None
        ]
    if isinstance(details, MedicineDetails):
        return [
            ("Medicine", details.medicine),
            ("Kind", details.medicine_kind.label),
            ("Started or stopped", details.medicine_action.label),
        ]
    if isinstance(details, VaccinationDetails):
        dose = [] if details.dose is None else [("Dose", str(details.dose))]
        return [("Vaccine", details.vaccine), *dose]
    if isinstance(details, AppointmentDetails):
        return [("With", details.with_whom)]
    raise TypeError(f"no display for {type(details).__name__}")  # a new kind lists its fields above


def details_summary(details: EntryDetails | None) -> str:
    """One short line of a typed entry, for lists and tables: 'Reinfusion (day 0)', 'EDSS 3.5 (...)'."""
    return "; ".join(
        value if name in _SUMMARY_BARE else f"{name.lower()} {value}"
        for name, value in detail_fields(details)
    )


#: Fields whose value reads well alone in a one-line summary.
_SUMMARY_BARE = frozenset({"Milestone", "Score", "Medicine", "Vaccine", "Started or stopped", "Kind"})
