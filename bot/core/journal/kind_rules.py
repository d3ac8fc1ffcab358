"""Reading a typed entry's fields from what a member typed or chose (a form, or slash options).

Every value arrives as text (a menu's value is text too), so forms and options share one reader.
Problems are collected, never raised one at a time: the member hears of all of them at once (the
caller raises them with `rules.raise_problems`). Whether the values make sense together (an EDSS
step, who scored it) is checked afterwards by `rules.check_draft`, for every way an entry is saved.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import fields
from enum import StrEnum
from typing import TypeVar

from bot.core.journal.kinds import (
    BLOOD_COUNTS,
    Answer,
    AppointmentDetails,
    BloodCountDetails,
    CountUnit,
    EntryDetails,
    MedicineAction,
    MedicineDetails,
    MedicineKind,
    Milestone,
    MilestoneDetails,
    MriDetails,
    RelapseDetails,
    Scale,
    ScoreDetails,
    Scorer,
    VaccinationDetails,
)
from bot.core.journal.model import EntryKind
from bot.core.journal.rules import MISSING_DETAILS, clean_text

_E = TypeVar("_E", bound=StrEnum)
_WHOLE = re.compile(r"^\d{1,6}$")
_DECIMAL = re.compile(r"^\d{1,7}(?:[.,]\d{1,4})?$")
_GROUPED = re.compile(r"^\d{1,3}(?:[, ]\d{3})+$")
_NOT_STATED = frozenset({"not stated", "unknown", "not sure", "?", "n/a", "-"})
#: Keys of the score's text: one of the two scales is filled in, and who gave an EDSS.
EDSS_KEY, PDDS_KEY = "edss", "pdds"
_Reader = Callable[[Mapping[str, str], list[str]], EntryDetails | None]


def details_from_text(kind: EntryKind, values: Mapping[str, str], problems: list[str]) -> EntryDetails | None:
    """The typed fields of an entry of `kind` from text keyed by field name (scores: `EDSS_KEY`,
    `PDDS_KEY` and `scored_by`); None for kinds without fields. Problems go into `problems`."""
    reader = _READERS.get(kind)
    return None if reader is None else reader(values, problems)


def _text(values: Mapping[str, str], name: str) -> str | None:
    return clean_text(values.get(name))


def _choice(
    values: Mapping[str, str], name: str, enum: type[_E], problems: list[str], what: str
) -> _E | None:
    """A menu's value (or the member's own words for it: the value or the label, any case)."""
    typed = _text(values, name)
    if typed is None:
        return None
    lowered = typed.lower()
    for member in enum:
        if lowered in (member.value, str(getattr(member, "label", member.value)).lower()):
            return member
    options = ", ".join(str(getattr(member, "label", member.value)) for member in enum)
    problems.append(f"I don't know the {what} '{_echo(typed)}'. Choose one of: {options}.")
    return None


def _answer(values: Mapping[str, str], name: str, problems: list[str], what: str) -> Answer:
    """Yes, no or not stated; blank, "not sure" and the like are not stated."""
    typed = _text(values, name)
    if typed is None or typed.lower() in _NOT_STATED:
        return Answer.UNKNOWN
    return _choice(values, name, Answer, problems, what) or Answer.UNKNOWN


def _whole(values: Mapping[str, str], name: str, problems: list[str], what: str) -> int | None:
    typed = _text(values, name)
    if typed is None or typed.lower() in _NOT_STATED:
        return None
    if not _WHOLE.match(typed):
        problems.append(f"The {what} should be a whole number, like 2 (or left empty), not '{_echo(typed)}'.")
        return None
    return int(typed)


def parse_count(text: str | None, unit: CountUnit) -> float | None:
    """A count as a report prints it: '1.2' or '1,2' per litre (a decimal comma), '1200' or '1,200'
    per microlitre (a thousands comma: these counts are whole numbers). ValueError when it is not one."""
    typed = clean_text(text)
    if typed is None:
        return None
    if unit is CountUnit.PER_MICROLITRE and _GROUPED.match(typed):
        return float(re.sub(r"[, ]", "", typed))
    if not _DECIMAL.match(typed):
        raise ValueError(typed)
    return float(typed.replace(",", "."))


def _milestone(values: Mapping[str, str], problems: list[str]) -> EntryDetails | None:
    milestone = _choice(values, "milestone", Milestone, problems, "milestone")
    if milestone is None:
        if _text(values, "milestone") is None:
            problems.append(MISSING_DETAILS[EntryKind.MILESTONE])
        return None
    return MilestoneDetails(milestone)


def _relapse(values: Mapping[str, str], problems: list[str]) -> EntryDetails | None:
    steroids = _answer(values, "steroids", problems, "answer about steroids")
    return RelapseDetails(_text(values, "what_changed"), steroids)


def _mri(values: Mapping[str, str], problems: list[str]) -> EntryDetails | None:
    lesions = _whole(values, "new_lesions", problems, "number of new or enlarging lesions")
    enhancing = _answer(values, "enhancing", problems, "answer about enhancing lesions")
    return MriDetails(lesions, enhancing)


def _score(values: Mapping[str, str], problems: list[str]) -> EntryDetails | None:
    edss, pdds = _text(values, EDSS_KEY), _text(values, PDDS_KEY)
    if (edss is None) == (pdds is None):
        problems.append(
            MISSING_DETAILS[EntryKind.SCORE]
            if edss is None
            else "Please give one score per entry: the EDSS or your PDDS-style level, not both."
        )
        return None
    scale, typed = (Scale.EDSS, edss) if edss is not None else (Scale.PDDS, pdds)
    assert typed is not None
    try:
        score = float(typed.replace(",", "."))
    except ValueError:
        problems.append(f"The {scale.label} should be a number, like 3.5, not '{_echo(typed)}'.")
        return None
    if scale is Scale.PDDS:
        # "Who gave it" is asked about the EDSS; a PDDS-style level is always the member's own (the
        # form keeps the EDSS menu set when a level is edited).
        return ScoreDetails(scale, score, Scorer.SELF)
    scorer = _choice(values, "scored_by", Scorer, problems, "person who gave the score")
    return ScoreDetails(scale, score, scorer or Scorer.NEUROLOGIST)


def _blood_count(values: Mapping[str, str], problems: list[str]) -> EntryDetails | None:
    unit = _choice(values, "count_unit", CountUnit, problems, "unit") or CountUnit.PER_LITRE
    counts: dict[str, float | None] = {}
    for name in BLOOD_COUNTS:
        try:
            counts[name] = parse_count(values.get(name), unit)
        except ValueError as typed:
            problems.append(
                f"{name.capitalize()} should be a number as your report shows it, like 1.5 (or left "
                f"empty), not '{_echo(str(typed))}'."
            )
            counts[name] = None
    return BloodCountDetails(count_unit=unit, **counts)


def _medicine(values: Mapping[str, str], problems: list[str]) -> EntryDetails | None:
    name = _text(values, "medicine")
    kind = _choice(values, "medicine_kind", MedicineKind, problems, "kind of medicine")
    action = _choice(values, "medicine_action", MedicineAction, problems, "'started or stopped'")
    if name is None or action is None:
        problems.append(MISSING_DETAILS[EntryKind.MEDICINE])
        return None
    return MedicineDetails(name, kind or MedicineKind.OTHER, action)


def _vaccination(values: Mapping[str, str], problems: list[str]) -> EntryDetails | None:
    name = _text(values, "vaccine")
    dose = _whole(values, "dose", problems, "dose number")
    if name is None:
        problems.append(MISSING_DETAILS[EntryKind.VACCINATION])
        return None
    return VaccinationDetails(name, dose)


def _appointment(values: Mapping[str, str], problems: list[str]) -> EntryDetails | None:
    with_whom = _text(values, "with_whom")
    if with_whom is None:
        problems.append(MISSING_DETAILS[EntryKind.APPOINTMENT])
        return None
    return AppointmentDetails(with_whom)


_READERS: dict[EntryKind, _Reader] = {
    EntryKind.MILESTONE: _milestone,
    EntryKind.RELAPSE: _relapse,
    EntryKind.MRI: _mri,
    EntryKind.SCORE: _score,
    EntryKind.BLOOD_COUNT: _blood_count,
    EntryKind.MEDICINE: _medicine,
    EntryKind.VACCINATION: _vaccination,
    EntryKind.APPOINTMENT: _appointment,
}


def details_text(details: EntryDetails | None) -> dict[str, str]:
    """The fields of a stored entry as the forms show them (the way back of `details_from_text`)."""
    if details is None:
        return {}
    if isinstance(details, ScoreDetails):
        key = EDSS_KEY if details.scale is Scale.EDSS else PDDS_KEY
        score = f"{details.score:.1f}" if details.scale is Scale.EDSS else f"{details.score:.0f}"
        return {key: score, "scored_by": details.scored_by.value}
    shown: dict[str, str] = {}
    for field in fields(details):
        value = getattr(details, field.name)
        if isinstance(value, StrEnum):
            shown[field.name] = value.value
        elif isinstance(value, float):
            shown[field.name] = f"{value:g}"
        elif value is not None:
            shown[field.name] = str(value)
    return shown


def _echo(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
