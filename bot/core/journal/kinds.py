"""Typed entries: what a milestone, relapse, MRI, disability score, blood count, medicine, vaccination
or appointment holds besides the date and the member's notes.

Each kind has its own small frozen dataclass (`EntryDetails`), carried by an entry's `details`. Field
names are unique across the kinds, so one name means one thing everywhere: in the sealed document,
the export's columns and the forms. Nothing here interprets a result: a blood count is the number
and unit the member read on their report, a score is labelled with who gave it.

Scales (shared/FACTS.md C.3): the EDSS is scored by a clinician, 0 to 10 in half steps above 1.0
(Kurtzke, Neurology 1983;33:1444: each step from 1 to 9 split in two, so there is no 0.5); the
PDDS is a self-rating of 9 levels, 0 to 8 (NINDS Common Data Elements; levels in BMC Health Serv
Res 2013;13:346). The PDDS questionnaire carries a copyright notice, so the level descriptions
below are the project's own short wording, not the questionnaire's text.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from enum import StrEnum


class Milestone(StrEnum):
    """The steps of an aHSCT, in the order they usually come; reinfusion is day 0."""

    MOBILISATION_START = "mobilisation_start"
    COLLECTION = "collection"
    CONDITIONING_START = "conditioning_start"
    REINFUSION = "reinfusion"
    ENGRAFTMENT = "engraftment"
    DISCHARGE = "discharge"
    BACK_HOME = "back_home"

    @property
    def label(self) -> str:
        return _MILESTONE_LABELS[self]


_MILESTONE_LABELS = {
    Milestone.MOBILISATION_START: "Mobilisation starts",
    Milestone.COLLECTION: "Stem-cell collection",
    Milestone.CONDITIONING_START: "Conditioning starts",
    Milestone.REINFUSION: "Reinfusion (day 0)",
    Milestone.ENGRAFTMENT: "Engraftment",
    Milestone.DISCHARGE: "Out of hospital",
    Milestone.BACK_HOME: "Back home",
}


class Answer(StrEnum):
    """Yes, no, or not stated (the report does not say, or the member is not sure)."""

    YES = "yes"
    NO = "no"
    UNKNOWN = "unknown"

    @property
    def label(self) -> str:
        return {Answer.YES: "Yes", Answer.NO: "No", Answer.UNKNOWN: "Not stated"}[self]


class Scale(StrEnum):
    """Which disability scale a score is on."""

    EDSS = "edss"
    PDDS = "pdds"

    @property
    def label(self) -> str:
        return {Scale.EDSS: "EDSS", Scale.PDDS: "PDDS-style level"}[self]


class Scorer(StrEnum):
    """Who gave a score: the EDSS always comes from a clinician, a PDDS-style level from the member."""

    NEUROLOGIST = "neurologist"
    CLINICIAN = "clinician"
    SELF = "self"

    @property
    def label(self) -> str:
        return _SCORER_LABELS[self]


_SCORER_LABELS = {
    Scorer.NEUROLOGIST: "my neurologist",
    Scorer.CLINICIAN: "another clinician (e.g. MS nurse)",
    Scorer.SELF: "me (self-rated)",
}


class CountUnit(StrEnum):
    """How a lab report writes blood counts: billions per litre, or cells per microlitre."""

    PER_LITRE = "e9_per_l"
    PER_MICROLITRE = "per_ul"

    @property
    def label(self) -> str:
        return {CountUnit.PER_LITRE: "×10⁹/L", CountUnit.PER_MICROLITRE: "cells/µL"}[self]

    @property
    def hint(self) -> str:
        """Other ways reports write the same unit, so a member can match theirs."""
        return {
            CountUnit.PER_LITRE: "×10⁹/L (also written 10³/µL or K/µL)",
            CountUnit.PER_MICROLITRE: "cells/µL (also written /mm³)",
        }[self]


class MedicineKind(StrEnum):
    DMT = "dmt"
    OTHER = "other"

    @property
    def label(self) -> str:
        return {MedicineKind.DMT: "MS medicine (DMT)", MedicineKind.OTHER: "Other medicine"}[self]


class MedicineAction(StrEnum):
    STARTED = "started"
    STOPPED = "stopped"

    @property
    def label(self) -> str:
        return self.value.capitalize()


#: Every EDSS step: 0, then 1.0 to 10 in half steps (there is no 0.5).
EDSS_STEPS: tuple[float, ...] = (0.0, *(step / 2 for step in range(2, 21)))
PDDS_MIN, PDDS_MAX = 0, 8
#: The project's own short wording for each self-rated level (not the PDDS questionnaire's text).
PDDS_LEVELS: dict[int, str] = {
    0: "MS does not limit what I do",
    1: "Symptoms I notice, with a small effect on daily life",
    2: "Daily life is limited, walking is not",
    3: "Walking is affected; I walk without an aid",
    4: "I sometimes use a stick or a helping hand to walk",
    5: "I need a stick or crutch to walk a short way",
    6: "I need two sticks, crutches or a walker",
    7: "I mostly use a wheelchair or scooter",
    8: "I am in bed most of the day",
}


@dataclass(frozen=True, slots=True)
class MilestoneDetails:
    milestone: Milestone


@dataclass(frozen=True, slots=True)
class RelapseDetails:
    """A relapse: the entry's date is when it started."""

    what_changed: str | None = None
    steroids: Answer = Answer.UNKNOWN


@dataclass(frozen=True, slots=True)
class MriDetails:
    """An MRI: new or enlarging lesions (None: the report does not say), gadolinium enhancement."""

    new_lesions: int | None = None
    enhancing: Answer = Answer.UNKNOWN


@dataclass(frozen=True, slots=True)
class ScoreDetails:
    """A disability score and who gave it: the EDSS as told by a clinician, or a self-rated level."""

    scale: Scale
    score: float
    scored_by: Scorer


@dataclass(frozen=True, slots=True)
class BloodCountDetails:
    """Counts as the report gives them, in its unit; never compared with any range."""

    neutrophils: float | None = None
    platelets: float | None = None
    lymphocytes: float | None = None
    count_unit: CountUnit = CountUnit.PER_LITRE


@dataclass(frozen=True, slots=True)
class MedicineDetails:
    medicine: str
    medicine_kind: MedicineKind
    medicine_action: MedicineAction


@dataclass(frozen=True, slots=True)
class VaccinationDetails:
    vaccine: str
    dose: int | None = None


@dataclass(frozen=True, slots=True)
class AppointmentDetails:
    with_whom: str


EntryDetails = (
    MilestoneDetails
    | RelapseDetails
    | MriDetails
    | ScoreDetails
    | BloodCountDetails
    | MedicineDetails
    | VaccinationDetails
    | AppointmentDetails
)
DETAIL_CLASSES: tuple[type[EntryDetails], ...] = (
    MilestoneDetails,
    RelapseDetails,
    MriDetails,
    ScoreDetails,
    BloodCountDetails,
    MedicineDetails,
    VaccinationDetails,
    AppointmentDetails,
)
#: Every field of every kind, in a fixed order (the export's columns); no two kinds share a name.
DETAIL_FIELDS: tuple[str, ...] = tuple(f.name for cls in DETAIL_CLASSES for f in fields(cls))
if len(set(DETAIL_FIELDS)) != len(DETAIL_FIELDS):
    raise ImportError("two kinds of entry share a field name; give each its own")
#: The fields holding the member's own words (cleaned, limited, escaped like notes).
DETAIL_TEXT_FIELDS: tuple[str, ...] = ("what_changed", "medicine", "vaccine", "with_whom")
DETAIL_INT_FIELDS: tuple[str, ...] = ("new_lesions", "dose")
DETAIL_FLOAT_FIELDS: tuple[str, ...] = ("score", "neutrophils", "platelets", "lymphocytes")
#: Enum-valued fields and their enums, to read a stored or exported value back.
DETAIL_ENUMS: dict[str, type[StrEnum]] = {
    "milestone": Milestone,
    "steroids": Answer,
    "enhancing": Answer,
    "scale": Scale,
    "scored_by": Scorer,
    "count_unit": CountUnit,
    "medicine_kind": MedicineKind,
    "medicine_action": MedicineAction,
}
BLOOD_COUNTS: tuple[str, ...] = ("neutrophils", "platelets", "lymphocytes")


def format_score(details: ScoreDetails) -> str:
    """'EDSS 3.5 (from my neurologist)', 'PDDS-style level 2 (self-rated)'."""
    if details.scale is Scale.EDSS:
        return f"EDSS {details.score:.1f} (from {details.scored_by.label})"
    return f"PDDS-style level {details.score:.0f} (self-rated)"


def format_count(value: float | None, unit: CountUnit) -> str:
    """A count as the member typed it (no trailing zeros), with its unit; '—' when not given."""
    if value is None:
        return "—"
    return f"{value:g} {unit.label}"
