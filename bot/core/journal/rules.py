"""Journal rules: limits, parsing of what members type, and the kind messages when it is wrong.

Every function here raises a `bot.errors` subclass whose text can be shown to the member as it
is; nothing is changed anywhere when one is raised.
"""

from __future__ import annotations

import functools
import re
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo, available_timezones

from bot.core import limits
from bot.core.journal.kinds import (
    BLOOD_COUNTS,
    DETAIL_TEXT_FIELDS,
    EDSS_STEPS,
    PDDS_MAX,
    PDDS_MIN,
    AppointmentDetails,
    BloodCountDetails,
    CountUnit,
    EntryDetails,
    MedicineDetails,
    MilestoneDetails,
    MriDetails,
    RelapseDetails,
    Scale,
    ScoreDetails,
    Scorer,
    VaccinationDetails,
)
from bot.core.journal.model import (
    DETAILS_OF_KIND,
    MILESTONE_PHASES,
    RATINGS,
    SYMPTOMS,
    Cadence,
    EntryDraft,
    EntryKind,
    EntrySource,
    JournalEntry,
    Phase,
    ReminderSettings,
    Therapy,
)
from bot.errors import InvalidInput, NotFound, UserFacingError

#: Discord's modal text inputs hold at most 4,000 characters; notes use all of it.
MAX_NOTES_CHARS = limits.TEXT_INPUT_VALUE_CHARS
MAX_SIDE_EFFECTS_CHARS = 1000
MAX_THERAPY_OTHER_CHARS = 100
#: What changed in a relapse: a few sentences (the notes hold the rest).
MAX_WHAT_CHANGED_CHARS = 1000
#: A medicine's or vaccine's name, or who an appointment is with.
MAX_NAME_CHARS = 100
MAX_NEW_LESIONS = 999
MAX_DOSE = 20
#: Far above any count a report gives, in ×10⁹/L (a thousand times these in cells/µL): only typing
#: slips and a count copied in the other unit ("1500" neutrophils under ×10⁹/L) are refused;
#: nothing is judged.
MAX_COUNT_PER_LITRE = {"neutrophils": 300.0, "platelets": 5_000.0, "lymphocytes": 300.0}
#: No zone name is longer than this; a longer search text is cut to it.
MAX_TIMEZONE_QUERY_CHARS = 64
#: The symptoms field of the form and the `symptoms` option both hold this much.
MAX_SYMPTOMS_CHARS = 200
RATING_MIN = 0
RATING_MAX = 10
#: Back-dating is allowed (members catch up on a diagnosis or an old relapse), within reason.
EARLIEST_ENTRY_DATE = date(1950, 1, 1)
DEFAULT_PER_PAGE = 10
#: Discord select menus and embeds stay readable up to 25 items.
MAX_PER_PAGE = limits.SELECT_OPTIONS
#: Infusion-phase entries this close to an earlier one are the same infusion, not a new day 0.
INFUSION_SPAN_DAYS = 14
#: Before day 0, show "day -N" only through the preparation weeks (mobilisation, conditioning).
DAYS_COUNTED_BEFORE_INFUSION = 30
#: The furthest ahead of UTC any place on Earth is (Kiribati); bounds "today" when no zone is known.
_MAX_UTC_AHEAD = timedelta(hours=14)
#: How long a delete or forget confirmation stays usable (seconds): a destructive button must not
#: work months later, when a stray tap would be a surprise.
CONFIRMATION_SECONDS = 15 * 60
#: The most entries one journal keeps: years of daily entries, far below what would slow it down.
MAX_ENTRIES_PER_MEMBER = 5000
#: DM quick notes a member may send in any minute: a person writing never gets near it, a script does.
QUICK_NOTES_PER_MINUTE = 20
_QUICK_NOTE_WINDOW = timedelta(minutes=1)
MISSING_REMINDER_TIME = "Please tell me what time to remind you, for example `time: 20:30` or `time: 9pm`."

# Unicode category Cc (C0 and C1 controls) except tab and newline.
_CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_ENTRY_NUMBER = re.compile(r"^#?\s*(\d{1,9})$")
_CLOCK_TIME = re.compile(r"^(\d{1,2})(?:[:.h](\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)?$")
_RATING = re.compile(r"^(\d{1,2})(?:\s*/\s*10)?$")
# Linear: a word only starts after a non-letter, and nothing matched is given back (possessive),
# so a long run of letters is read once instead of once per starting position.
_SYMPTOM_PAIR = re.compile(r"(?<![a-z])([a-z]++)\s*+[:=]?+\s*+(\d{1,2})(?:\s*+/\s*+10)?")

_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

_FIELD_NAMES = {
    "notes": "notes",
    "side_effects": "side effects",
    "therapy_other": "therapy description",
    "what_changed": "description of what changed",
    "medicine": "medicine's name",
    "vaccine": "vaccine's name",
    "with_whom": "appointment's 'with whom'",
}
_DETAIL_LIMITS = {
    "what_changed": MAX_WHAT_CHANGED_CHARS,
    "medicine": MAX_NAME_CHARS,
    "vaccine": MAX_NAME_CHARS,
    "with_whom": MAX_NAME_CHARS,
}
#: What a typed entry must say, for kinds that cannot be saved without it.
MISSING_DETAILS = {
    EntryKind.MILESTONE: "Please choose which milestone this is (for example Reinfusion, day 0).",
    EntryKind.SCORE: (
        "Please give the score: the EDSS your neurologist told you, or your own PDDS-style level."
    ),
    EntryKind.BLOOD_COUNT: "Please give at least one count: neutrophils, platelets or lymphocytes.",
    EntryKind.MEDICINE: "Please name the medicine and say whether you started or stopped it.",
    EntryKind.VACCINATION: "Please name the vaccine.",
    EntryKind.APPOINTMENT: "Please say who the appointment is with.",
}

_THERAPY_WORDS: dict[str, Therapy] = {
    "ahsct": Therapy.AHSCT,
    "hsct": Therapy.AHSCT,
    "ahsct (autologous hsct)": Therapy.AHSCT,
    "autologous hsct": Therapy.AHSCT,
    "stem cell transplant": Therapy.AHSCT,
    "msc": Therapy.MSC,
    "mscs": Therapy.MSC,
    "mesenchymal": Therapy.MSC,
    "mesenchymal stem cells": Therapy.MSC,
    "other": Therapy.OTHER,
}

_PHASE_WORDS: dict[str, Phase] = {
    **{phase.value: phase for phase in Phase},
    **{phase.label.lower(): phase for phase in Phase},
    "consult": Phase.CONSULTATION,
    "mobilization": Phase.MOBILISATION,
    "stem cell collection": Phase.COLLECTION,
    "apheresis": Phase.COLLECTION,
    "harvest": Phase.COLLECTION,
    "chemo": Phase.CONDITIONING,
    "infusion": Phase.INFUSION,
    "reinfusion": Phase.INFUSION,
    "transplant": Phase.INFUSION,
    "day 0": Phase.INFUSION,
    "in hospital": Phase.IN_HOSPITAL,
    "hospital": Phase.IN_HOSPITAL,
    "engraftment": Phase.IN_HOSPITAL,
    "follow up": Phase.FOLLOW_UP,
    "followup": Phase.FOLLOW_UP,
    "follow-up": Phase.FOLLOW_UP,
}

_KIND_WORDS: dict[str, EntryKind] = {
    **{kind.value: kind for kind in EntryKind},
    **{kind.label.lower(): kind for kind in EntryKind},
    "check in": EntryKind.CHECKIN,
    "check-in": EntryKind.CHECKIN,
}


_T = TypeVar("_T")


# --- collecting problems ----------------------------------------------------------------------


def attempt(problems: list[str], action: Callable[[], _T]) -> _T | None:
    """Run one parser, keeping its kind message in `problems` so every problem is reported at once."""
    try:
        return action()
    except InvalidInput as error:
        problems.append(error.message)
        return None


def raise_problems(problems: Sequence[str]) -> None:
    """One refusal naming every problem found (nothing when there is none); nothing was saved."""
    if len(problems) == 1:
        raise InvalidInput(problems[0] + " Nothing was saved.")
    if problems:
        raise InvalidInput(
            "A few things need fixing before I can save this:\n"
            + "\n".join(f"- {p}" for p in problems)
            + "\nNothing was saved."
        )


# --- confirmations ----------------------------------------------------------------------------


def confirmation_stamp(now: datetime) -> int:
    """When a confirmation was asked, in unix seconds: small enough to ride in a button's custom id."""
    return int(now.timestamp())


def confirmation_expired(asked_at: int | None, now: datetime) -> bool:
    """True once a confirmation is older than `CONFIRMATION_SECONDS`, or carries no time at all
    (buttons sent before confirmations held one)."""
    if asked_at is None:
        return True
    return confirmation_stamp(now) - asked_at > CONFIRMATION_SECONDS


# --- dates and time zones -------------------------------------------------------------------


def member_today(now: datetime, zone: ZoneInfo | None) -> date:
    """Today's date where the member lives (UTC when we do not know where that is)."""
    return now.astimezone(zone or UTC).date()


@dataclass(frozen=True, slots=True)
class MemberDay:
    """What 'today' means for one member, and the latest date their entries may have.

    With a known zone both are their local date. Without one, 'today' is the UTC date but any
    date that is already today somewhere on Earth is accepted: a member in Sydney writing on the
    morning of the 2nd must not be told the 2nd is in the future.
    """

    today: date
    latest: date
    zone_known: bool


def member_day(now: datetime, zone: ZoneInfo | None) -> MemberDay:
    if zone is not None:
        local = now.astimezone(zone).date()
        return MemberDay(local, local, zone_known=True)
    return MemberDay(now.astimezone(UTC).date(), latest_possible_today(now), zone_known=False)


def _as_day(day: date | MemberDay) -> MemberDay:
    """A plain date means a member whose zone is known (the date is their local today)."""
    return day if isinstance(day, MemberDay) else MemberDay(day, day, zone_known=True)


def is_relative_date(text: str | None) -> bool:
    """True for blank, 'today' or 'yesterday': dates that depend on the member's time zone."""
    return text is None or text.strip().lower() in ("", "today", "yesterday")


def today_read_in_utc(day: MemberDay, date_text: str | None) -> bool:
    """Whether a date the member typed was read on the UTC calendar because their zone is unknown
    (worth a gentle hint): only 'today', 'yesterday' or a blank date depend on the zone."""
    return not day.zone_known and is_relative_date(date_text)


def latest_possible_today(now: datetime) -> date:
    """The latest date that is 'today' anywhere on Earth: a bound for checks without a zone."""
    return (now.astimezone(UTC) + _MAX_UTC_AHEAD).date()


def parse_timezone(text: str) -> ZoneInfo:
    """An IANA zone such as 'Europe/London'; a kind hint when the name is unknown."""
    name = text.strip()
    if name.upper() in ("UTC", "GMT", "Z"):
        return ZoneInfo("UTC")
    # Only names from the zone list: anything else never reaches the file system (no path tricks,
    # no "file name too long" for a 300-character name).
    known = _timezones_by_lowercase().get(name.lower())
    if known is not None:
        return ZoneInfo(known)
    suggestions = suggest_timezones(name, limit=3)
    hint = f" Did you mean {', '.join(suggestions)}?" if suggestions else ""
    raise InvalidInput(
        f"I don't know the time zone '{_shorten(name)}'. Please use a name like Europe/London, "
        f"America/New_York or Australia/Sydney.{hint}"
    )


def suggest_timezones(query: str, limit: int = limits.AUTOCOMPLETE_CHOICES) -> list[str]:
    """Time-zone names containing what the member typed, for autocomplete (at most `limit`)."""
    needle = query.strip().lower().replace(" ", "_")[:MAX_TIMEZONE_QUERY_CHARS]
    names = _timezone_names()
    if not needle:
        return [name for name, _, _ in names[:limit]]
    starts = [name for name, lowered, last in names if last.startswith(needle) or lowered.startswith(needle)]
    chosen = set(starts)
    contains = [name for name, lowered, _ in names if needle in lowered and name not in chosen]
    return (starts + contains)[:limit]


@functools.cache
def _timezones_by_lowercase() -> dict[str, str]:
    return {lowered: name for name, lowered, _ in _timezone_names()}


@functools.cache
def _timezone_names() -> tuple[tuple[str, str, str], ...]:
    """Every zone name (sorted) with its lowercase form and last part, read from disk once.

    `available_timezones()` walks the whole zoneinfo tree; autocomplete asks on every keystroke.
    """
    return tuple((name, name.lower(), name.lower().split("/")[-1]) for name in sorted(available_timezones()))


def parse_entry_date(text: str, day: date | MemberDay) -> date:
    """'today', 'yesterday' or YYYY-MM-DD, never in the future (the member's today, see `MemberDay`)."""
    member = _as_day(day)
    today = member.today
    cleaned = text.strip().lower()
    if cleaned in ("", "today"):
        return today
    if cleaned == "yesterday":
        return today - timedelta(days=1)
    match = _ISO_DATE.match(cleaned)
    if not match:
        raise InvalidInput(
            f"I couldn't read '{_shorten(text.strip())}' as a date. Please write it as YYYY-MM-DD "
            f"(for example {today.isoformat()}), or 'today' or 'yesterday'."
        )
    try:
        parsed = date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        raise InvalidInput(
            f"'{text.strip()}' is not a real date on the calendar. Please check the month and day "
            f"(YYYY-MM-DD)."
        ) from None
    problem = entry_date_problem(parsed, member)
    if problem:
        raise InvalidInput(problem)
    return parsed


def entry_date_problem(value: date, day: date | MemberDay) -> str | None:
    """Why a date cannot be used for an entry, or None when it can."""
    member = _as_day(day)
    if value > member.latest and member.zone_known:
        return (
            f"{value.isoformat()} is in the future (today is {member.today.isoformat()} where you are). "
            f"Journal entries can be for today or earlier."
        )
    if value > member.latest:
        return (
            f"{value.isoformat()} is in the future everywhere in the world. "
            f"Journal entries can be for today or earlier."
        )
    if value < EARLIEST_ENTRY_DATE:
        return (
            f"{value.isoformat()} is too far back; the journal starts at {EARLIEST_ENTRY_DATE.isoformat()}."
        )
    return None


# --- ratings ----------------------------------------------------------------------------------


def rating_problem(name: str, value: object) -> str | None:
    """Why a rating is not a whole number from 0 to 10 (None when it is, or is unset)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not RATING_MIN <= value <= RATING_MAX:
        scale = f"a whole number from {RATING_MIN} to {RATING_MAX}"
        return f"{_rating_label(name)} should be {scale}, not {value!r}."
    return None


def parse_rating(name: str, text: str | None) -> int | None:
    """A rating typed into a form: '7', '7/10' or blank for 'not rated'."""
    if text is None or not text.strip():
        return None
    match = _RATING.match(text.strip())
    value = int(match.group(1)) if match else None
    if value is None or not RATING_MIN <= value <= RATING_MAX:
        raise InvalidInput(
            f"{_rating_label(name)} should be a whole number from {RATING_MIN} to {RATING_MAX} "
            f"(or left blank), not '{_shorten(text.strip())}'."
        )
    return value


def parse_symptom_ratings(text: str | None) -> dict[str, int]:
    """'fatigue 6, pain 3' (or 'fatigue: 6; mob=4') into ratings; blank means none.

    Names may be shortened to their first three letters, since typing is hard for some members.
    """
    if text is None or not text.strip():
        return {}
    if len(text.strip()) > MAX_SYMPTOMS_CHARS:
        raise InvalidInput(
            f"That is more text than I can read as symptoms ({len(text.strip()):,} characters; the "
            f"limit is {MAX_SYMPTOMS_CHARS}). Please write them short, like 'fatigue 6, pain 3'."
        )
    lowered = text.strip().lower()
    found: dict[str, int] = {}
    problems: list[str] = []
    consumed = _SYMPTOM_PAIR.sub("", lowered)
    for word, number in _SYMPTOM_PAIR.findall(lowered):
        name = _symptom_name(word)
        if name is None:
            problems.append(f"I don't know the symptom '{word}'.")
            continue
        value = int(number)
        if not RATING_MIN <= value <= RATING_MAX:
            problems.append(
                f"{_rating_label(name)} should be from {RATING_MIN} to {RATING_MAX}, not {value}."
            )
            continue
        found[name] = value
    if re.sub(r"[\s,;/.]+", "", consumed):
        problems.append("Part of it wasn't a symptom with a number.")
    if problems:
        raise InvalidInput(
            " ".join(problems)
            + f" Please write symptoms like 'fatigue 6, pain 3'; you can use {', '.join(SYMPTOMS)}, "
            f"each from {RATING_MIN} to {RATING_MAX}."
        )
    return found


def _symptom_name(word: str) -> str | None:
    if len(word) < 3:
        return None
    matches = [name for name in SYMPTOMS if name.startswith(word) or word.startswith(name)]
    return matches[0] if len(matches) == 1 else None


def _rating_label(name: str) -> str:
    return "How you feel overall" if name == "feeling" else name.capitalize()


# --- text ---------------------------------------------------------------------------------------


def clean_text(text: str | None) -> str | None:
    """Trimmed text without invisible control characters; blank becomes None (nothing to store)."""
    if text is None:
        return None
    if text.isprintable() and text == text.strip() and text:  # the usual case: nothing to clean
        return text
    normalised = text.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL_CHARACTERS.sub("", normalised).strip() or None


def text_problem(field_name: str, text: str | None, limit: int) -> str | None:
    """Why a text is too long (with how much to cut), or None."""
    if text is None or len(text) <= limit:
        return None
    label = _FIELD_NAMES.get(field_name, field_name)
    over = len(text) - limit
    return (
        f"Your {label} {'are' if label.endswith('s') else 'is'} {len(text):,} characters long; "
        f"the limit is {limit:,}. Please shorten by {over:,} character{'s' if over != 1 else ''}."
    )


# --- choices ------------------------------------------------------------------------------------


def parse_therapy(text: str | None) -> tuple[Therapy | None, str | None]:
    """A known therapy, or `OTHER` with the member's own words (e.g. 'ocrelizumab'); blank: none."""
    cleaned = clean_text(text)
    if cleaned is None:
        return None, None
    known = _THERAPY_WORDS.get(_normalise_word(cleaned))
    if known is Therapy.OTHER:
        return Therapy.OTHER, None
    if known is not None:
        return known, None
    problem = text_problem("therapy_other", cleaned, MAX_THERAPY_OTHER_CHARS)
    if problem:
        raise InvalidInput(problem)
    return Therapy.OTHER, cleaned


def parse_phase(text: str | None) -> Phase | None:
    cleaned = clean_text(text)
    if cleaned is None:
        return None
    phase = _PHASE_WORDS.get(_normalise_word(cleaned))
    if phase is None:
        raise InvalidInput(
            f"I don't know the phase '{_shorten(cleaned)}'. Choose one of: "
            + ", ".join(p.label for p in Phase)
            + "."
        )
    return phase


def parse_kind(text: str | None) -> EntryKind:
    cleaned = clean_text(text)
    if cleaned is None:
        return EntryKind.NOTE
    kind = _KIND_WORDS.get(_normalise_word(cleaned))
    if kind is None:
        raise InvalidInput(
            f"I don't know the entry type '{_shorten(cleaned)}'. Choose one of: "
            + ", ".join(k.label for k in EntryKind)
            + "."
        )
    return kind


def parse_cadence(text: str) -> Cadence | None:
    """'daily', 'weekly' or 'off' (None)."""
    cleaned = text.strip().lower()
    if cleaned in ("off", "none", "stop", "no"):
        return None
    for cadence in Cadence:
        if cleaned == cadence.value:
            return cadence
    raise InvalidInput(f"Reminders can be 'daily', 'weekly' or 'off', not '{_shorten(text.strip())}'.")


def parse_weekday(text: str) -> int:
    """'monday', 'Mon' or 'tu' into 0 (Monday) .. 6 (Sunday)."""
    cleaned = text.strip().lower()
    matches = [i for i, name in enumerate(_WEEKDAYS) if len(cleaned) >= 2 and name.startswith(cleaned)]
    if len(matches) != 1:
        raise InvalidInput(
            f"I couldn't tell which day '{_shorten(text.strip())}' is. Please write a weekday like Monday."
        )
    return matches[0]


def parse_local_time(text: str) -> time:
    """'21:00', '9pm', '9:30 am' or '0930' into a time of day."""
    cleaned = text.strip().lower()
    if re.fullmatch(r"\d{4}", cleaned):
        cleaned = f"{cleaned[:2]}:{cleaned[2:]}"
    match = _CLOCK_TIME.match(cleaned)
    hour = minute = -1
    if match:
        hour, minute = int(match.group(1)), int(match.group(2) or 0)
        meridiem = (match.group(3) or "").replace(".", "")
        if meridiem:
            hour = -1 if not 1 <= hour <= 12 else hour % 12 + (12 if meridiem == "pm" else 0)
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise InvalidInput(
            f"I couldn't read '{_shorten(text.strip())}' as a time of day. Please write it like 21:00 or 9pm."
        )
    return time(hour, minute)


@dataclass(frozen=True, slots=True)
class ReminderRequest:
    """What `/journal remind` asked for, read and completed from the member's existing reminder.

    `zone` is None when neither the options nor the reminder name one (see `reminders.reminder_zone`).
    """

    local_time: time
    zone: ZoneInfo | None
    weekday: int | None


def parse_reminder_options(
    time_text: str | None,
    zone_text: str | None,
    weekday_text: str | None,
    existing: ReminderSettings | None,
) -> ReminderRequest:
    """The reminder options, every problem reported at once. What is left out carries over from the
    existing reminder: its time (a new reminder needs one) and its weekday."""
    problems: list[str] = []
    local_time = existing.local_time if existing else None
    if time_text is not None and time_text.strip():
        local_time = attempt(problems, lambda: parse_local_time(time_text))
    elif local_time is None:
        problems.append(MISSING_REMINDER_TIME)
    zone = None
    if zone_text is not None and zone_text.strip():
        zone = attempt(problems, lambda: parse_timezone(zone_text))
    weekday = None
    if weekday_text is not None and weekday_text.strip():
        weekday = attempt(problems, lambda: parse_weekday(weekday_text))
    raise_problems(problems)
    assert local_time is not None  # a missing time was a problem above
    if weekday is None and existing is not None:
        weekday = existing.weekday
    return ReminderRequest(local_time, zone, weekday)


def parse_entry_number(text: str | int) -> int:
    """'#3', '3' or 3 into an entry number (the member's own numbering)."""
    if isinstance(text, int) and not isinstance(text, bool):
        number = text
    else:
        match = _ENTRY_NUMBER.match(str(text).strip())
        if not match:
            raise InvalidInput(
                f"'{_shorten(str(text).strip())}' is not an entry number. Use a number like 3 or #3."
            )
        number = int(match.group(1))
    if number < 1:
        raise InvalidInput("Entry numbers start at #1.")
    return number


def infusion_day(entry_date: date, infusion_dates: Iterable[date]) -> int | None:
    """Days from the member's infusion to `entry_date` ('day +30'), as transplant teams count.

    Infusion dates are the dates of the member's entries in the infusion phase. Dates within
    `INFUSION_SPAN_DAYS` of an earlier one belong to the same infusion (several notes on day 0
    and the days after do not restart the count). Before the first infusion, the count runs
    negative only in the weeks of preparation (`DAYS_COUNTED_BEFORE_INFUSION`).
    """
    starts = infusion_starts(infusion_dates)
    if not starts:
        return None
    earlier = [start for start in starts if start <= entry_date]
    if earlier:
        return (entry_date - earlier[-1]).days
    before = (entry_date - starts[0]).days
    return before if -before <= DAYS_COUNTED_BEFORE_INFUSION else None


def infusion_starts(dates: Iterable[date]) -> tuple[date, ...]:
    """Day 0 of each distinct infusion: infusion-phase dates this close together are one infusion."""
    starts: list[date] = []
    for day in sorted(set(dates)):
        if not starts or (day - starts[-1]).days > INFUSION_SPAN_DAYS:
            starts.append(day)
    return tuple(starts)


def entries_numbered_like(entries: Iterable[JournalEntry], typed: str) -> list[JournalEntry]:
    """The entries whose number starts with what the member typed so far ('#1', '1', or nothing)."""
    prefix = typed.strip().lstrip("#").strip()
    return [entry for entry in entries if not prefix or str(entry.seq).startswith(prefix)]


def no_entry(seq: int) -> NotFound:
    """The one message for an entry number the member does not have (theirs or not, same words)."""
    return NotFound(f"You have no entry #{seq}. Use `/journal list` to see your entries and their numbers.")


def entry_gone(seq: int) -> NotFound:
    """A button or form made for an entry that was deleted since (its number may be in use again)."""
    return NotFound(f"Entry #{seq} no longer exists, so nothing was changed.")


def journal_full() -> InvalidInput:
    return InvalidInput(
        f"Your journal already holds {MAX_ENTRIES_PER_MEMBER:,} entries, the most it can keep, so this "
        "one was not saved. If you'd like to keep writing, download a copy with `/journal export` and "
        "delete a few older entries with `/journal delete`."
    )


def journal_busy() -> InvalidInput:
    return InvalidInput(
        "Your journal kept changing while I was importing (new entries were arriving), so I stopped "
        "and nothing was imported. Please try the import again in a moment."
    )


class SlowDown(UserFacingError):
    """Quick notes came faster than a person writes; `quiet` once the member was already told."""

    def __init__(self, message: str, *, quiet: bool) -> None:
        super().__init__(message)
        self.quiet = quiet


class QuickNoteRate:
    """At most `per_minute` DM quick notes per member in any minute (held in memory only).

    The first note refused in a burst is answered; the rest of the burst is not, so a flood of
    messages never becomes a flood of replies. A note accepted again ends the burst.
    """

    def __init__(self, per_minute: int = QUICK_NOTES_PER_MINUTE) -> None:
        self._per_minute = per_minute
        self._accepted: dict[int, deque[datetime]] = {}
        self._told: set[int] = set()

    def admit(self, user_id: int, now: datetime) -> None:
        """Count a note from `user_id` at `now`, or raise `SlowDown` (nothing is counted then)."""
        recent = self._accepted.setdefault(user_id, deque())
        while recent and now - recent[0] >= _QUICK_NOTE_WINDOW:
            recent.popleft()
        if len(recent) >= self._per_minute:
            quiet = user_id in self._told
            self._told.add(user_id)
            raise SlowDown(
                f"You've sent me {self._per_minute} notes within a minute, so I didn't save this one "
                "(or any more in the next minute). Please wait a moment and send it again; every "
                "note saved so far is safe.",
                quiet=quiet,
            )
        self._told.discard(user_id)
        recent.append(now)
        if len(self._accepted) > 1000:
            self._sweep(now)

    def forget(self, user_id: int) -> None:
        self._accepted.pop(user_id, None)
        self._told.discard(user_id)

    def _sweep(self, now: datetime) -> None:
        """Drop members with no note in the last minute, so the table stays small."""
        for user_id in [
            u for u, times in self._accepted.items() if not times or now - times[-1] >= _QUICK_NOTE_WINDOW
        ]:
            self.forget(user_id)


def check_page(page: int, per_page: int) -> None:
    if page < 1:
        raise InvalidInput("Pages start at 1.")
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise InvalidInput(f"A page can show 1 to {MAX_PER_PAGE} entries.")


# --- whole entries ------------------------------------------------------------------------------


def check_draft(draft: EntryDraft, today: date | MemberDay) -> EntryDraft:
    """The draft with its text cleaned, or InvalidInput naming every problem at once.

    `today` is the member's day (a plain date: their local today); without a time zone, pass
    `member_day(now, None)`, which allows any date that is today somewhere.
    """
    details = _cleaned_details(draft.details)
    phase = draft.phase
    if isinstance(details, MilestoneDetails):
        phase = MILESTONE_PHASES.get(details.milestone, phase)  # a milestone starts its phase
    changes = {
        "therapy_other": clean_text(draft.therapy_other),
        "side_effects": clean_text(draft.side_effects),
        "notes": clean_text(draft.notes),
        "details": details,
        "phase": phase,
    }
    # Most drafts arrive clean (every add passes here): copy only when something changed.
    changed = {name: value for name, value in changes.items() if value != getattr(draft, name)}
    cleaned = replace(draft, **changed) if changed else draft
    raise_problems(list(_draft_problems(cleaned, today)))
    return cleaned


def _cleaned_details(details: EntryDetails | None) -> EntryDetails | None:
    """The typed fields with their text cleaned like notes (a blank name becomes None)."""
    if details is None:
        return None
    texts = {
        name: clean_text(getattr(details, name)) for name in DETAIL_TEXT_FIELDS if hasattr(details, name)
    }
    return replace(details, **texts) if texts else details


def details_problems(kind: EntryKind, details: EntryDetails | None) -> Iterable[str]:
    """Why a typed entry's fields cannot be saved: each kind's own rules (none when they can)."""
    shape = DETAILS_OF_KIND.get(kind)
    if details is None:
        # A milestone may leave out which one: entries written before milestones had types did.
        if kind in MISSING_DETAILS and kind is not EntryKind.MILESTONE:
            yield MISSING_DETAILS[kind]
        return
    if shape is None or not isinstance(details, shape):
        yield f"A {kind.label.lower()} entry cannot hold these details."
        return
    for name, limit in _DETAIL_LIMITS.items():
        if hasattr(details, name):
            problem = text_problem(name, getattr(details, name), limit)
            if problem:
                yield problem
    if isinstance(details, MriDetails) and details.new_lesions is not None:
        if not 0 <= details.new_lesions <= MAX_NEW_LESIONS:
            yield f"The number of new or enlarging lesions should be from 0 to {MAX_NEW_LESIONS}."
    elif isinstance(details, ScoreDetails):
        yield from _score_problems(details)
    elif isinstance(details, BloodCountDetails):
        yield from _count_problems(details)
    elif isinstance(details, MedicineDetails | VaccinationDetails | AppointmentDetails):
        yield from _named_problems(details)
    elif isinstance(details, RelapseDetails | MilestoneDetails | MriDetails):
        return


def _score_problems(details: ScoreDetails) -> Iterable[str]:
    if details.scale is Scale.EDSS:
        if details.score not in EDSS_STEPS:
            yield (
                f"An EDSS of {details.score:g} is not on the scale: it is 0, or 1.0 to 10 in steps of 0.5 "
                "(1.0, 1.5, 2.0 ...). Please check the number your neurologist gave."
            )
        if details.scored_by is Scorer.SELF:
            yield (
                "The EDSS is scored by a clinician, so I keep it only as your neurologist or another "
                "clinician told it. For your own rating, use the PDDS-style level."
            )
    else:
        if not PDDS_MIN <= details.score <= PDDS_MAX or details.score != int(details.score):
            yield f"A PDDS-style level is a whole number from {PDDS_MIN} to {PDDS_MAX}."
        if details.scored_by is not Scorer.SELF:
            yield "A PDDS-style level is your own rating, so it is always kept as self-rated."


def _count_problems(details: BloodCountDetails) -> Iterable[str]:
    counts = {name: getattr(details, name) for name in BLOOD_COUNTS}
    if all(value is None for value in counts.values()):
        yield MISSING_DETAILS[EntryKind.BLOOD_COUNT]
    scale = 1 if details.count_unit is CountUnit.PER_LITRE else 1000
    for name, value in counts.items():
        if value is not None and not 0 <= value <= MAX_COUNT_PER_LITRE[name] * scale:
            yield (
                f"{name.capitalize()} {value:g} {details.count_unit.label} does not look like a count from a "
                "report; please check the number and the unit."
            )


def _named_problems(details: MedicineDetails | VaccinationDetails | AppointmentDetails) -> Iterable[str]:
    if isinstance(details, MedicineDetails) and not details.medicine:
        yield MISSING_DETAILS[EntryKind.MEDICINE]
    if isinstance(details, VaccinationDetails):
        if not details.vaccine:
            yield MISSING_DETAILS[EntryKind.VACCINATION]
        if details.dose is not None and not 1 <= details.dose <= MAX_DOSE:
            yield f"The dose number should be from 1 to {MAX_DOSE}."
    if isinstance(details, AppointmentDetails) and not details.with_whom:
        yield MISSING_DETAILS[EntryKind.APPOINTMENT]


def _draft_problems(draft: EntryDraft, today: date | MemberDay) -> Iterable[str]:
    if not isinstance(draft.entry_date, date) or isinstance(draft.entry_date, datetime):
        yield "The entry date is missing."
    else:
        problem = entry_date_problem(draft.entry_date, today)
        if problem:
            yield problem
    for value, enum in (
        (draft.kind, EntryKind),
        (draft.source, EntrySource),
        (draft.therapy, Therapy),
        (draft.phase, Phase),
    ):
        if value is not None and not isinstance(value, enum):
            yield f"'{value}' is not a valid {enum.__name__.lower()}."
    if draft.kind is None:
        yield "The entry type is missing."
    if draft.therapy_other is not None and draft.therapy is not Therapy.OTHER:
        yield "A therapy description only goes with the therapy 'Other'."
    for name in RATINGS:
        problem = rating_problem(name, getattr(draft, name))
        if problem:
            yield problem
    for name, limit in (
        ("therapy_other", MAX_THERAPY_OTHER_CHARS),
        ("side_effects", MAX_SIDE_EFFECTS_CHARS),
        ("notes", MAX_NOTES_CHARS),
    ):
        problem = text_problem(name, getattr(draft, name), limit)
        if problem:
            yield problem
    if isinstance(draft.kind, EntryKind):
        yield from details_problems(draft.kind, draft.details)


def quick_note(text: str, today: date) -> EntryDraft:
    """A plain DM as a note for today, or a polite refusal (over the limit, or nothing to save)."""
    notes = clean_text(text)
    if notes is None:
        raise InvalidInput("Your message had no text I could save as a journal note, so nothing was saved.")
    if len(notes) > MAX_NOTES_CHARS:
        raise InvalidInput(
            f"That message is {len(notes):,} characters; a journal note holds up to {MAX_NOTES_CHARS:,}. "
            f"Nothing was saved. You could send it in two parts, or shorten it a little."
        )
    return EntryDraft(entry_date=today, kind=EntryKind.NOTE, source=EntrySource.DM_QUICK, notes=notes)


def _normalise_word(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip().lower().replace("_", " ")).replace("stem-cell", "stem cell")


def _shorten(text: str, limit: int = 40) -> str:
    """Echo at most a little of what was typed back (never a whole journal text)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


_THERAPY_PHASE_SPLIT = re.compile(r"[,;](?=[^,;]*$)")


def parse_therapy_and_phase(text: str) -> tuple[Therapy | None, str | None, Phase | None]:
    """One form field for both: 'aHSCT, recovery' / 'recovery' / 'aHSCT'.

    Therapy before the last comma (or semicolon), phase after it.
    """
    cleaned = text.strip()
    if not cleaned:
        return None, None, None
    parts = _THERAPY_PHASE_SPLIT.split(cleaned, maxsplit=1)
    if len(parts) == 2:
        therapy, other = parse_therapy(parts[0])
        try:
            return therapy, other, parse_phase(parts[1])
        except InvalidInput:
            if other is None:
                raise  # a known therapy before the comma, so the phase after it was mistyped
            # The member's own words for a therapy may hold a comma ('ocrelizumab, 600 mg').
            therapy, other = parse_therapy(cleaned)
            return therapy, other, None
    try:
        return None, None, parse_phase(cleaned)
    except InvalidInput:
        therapy, other = parse_therapy(cleaned)
        return therapy, other, None
