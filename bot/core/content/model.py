"""Typed content: explainers, glossary terms, the caution and centre cards and their checklists."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import Enum

from bot.core.scanning.settings import ClinicWordLists


class EvidenceKind(Enum):
    """What sort of evidence a source is, strongest first, so members can weigh what they read.

    The order is the usual ladder of evidence for "does it work and is it safe": pooled studies,
    then trials with a comparison group chosen by chance, then studies without one, then expert
    advice and everything else. Registry records and background pages come last because they say
    what a trial is or what a word means, not whether a treatment helps.
    """

    SYSTEMATIC_REVIEW = ("systematic review", "Systematic review or meta-analysis", "many studies pooled")
    RANDOMISED_TRIAL = ("randomised trial", "Randomised trial", "groups chosen by chance, then compared")
    COHORT = ("cohort", "Cohort or registry study", "treated people followed over time")
    CASE_SERIES = ("case series", "Case series", "a small group, with nothing to compare against")
    CONSENSUS = ("consensus", "Consensus or position statement", "advice agreed by expert groups")
    REGULATOR = ("regulator", "Regulator warning or guidance", "advice from a medicines regulator")
    PATIENT_ORGANISATION = (
        "patient organisation",
        "Patient organisation",
        "a charity or society for patients",
    )
    NEWS = ("news", "News report", "a journalist's account")
    TRIAL_REGISTRY = ("trial registry", "Trial registry or protocol", "what a trial plans, not its results")
    REFERENCE = ("reference", "Background reference", "general facts, such as word meanings")

    def __init__(self, key: str, label: str, meaning: str) -> None:
        self.key = key
        self.label = label
        self.meaning = meaning

    @property
    def rank(self) -> int:
        """0 for the strongest kind; larger numbers are weaker."""
        return list(EvidenceKind).index(self)

    @classmethod
    def from_key(cls, key: str) -> EvidenceKind | None:
        wanted = " ".join(key.casefold().split())
        return next((kind for kind in cls if kind.key == wanted), None)


@dataclass(frozen=True)
class Source:
    title: str
    url: str
    kind: EvidenceKind


def strongest_evidence(sources: tuple[Source, ...]) -> Source | None:
    """The source of the strongest kind (the first listed when several share it)."""
    return min(sources, key=lambda s: s.kind.rank, default=None)


@dataclass(frozen=True)
class Explainer:
    slug: str
    title: str
    summary: str
    body: str
    key_points: tuple[str, ...]
    related: tuple[str, ...]
    sources: tuple[Source, ...]
    reviewed: date
    aliases: tuple[str, ...] = ()
    emoji: str | None = None


@dataclass(frozen=True)
class GlossaryTerm:
    slug: str
    term: str
    definition: str
    aliases: tuple[str, ...] = ()
    see_also: str | None = None


@dataclass(frozen=True)
class CautionPoint:
    title: str
    text: str


@dataclass(frozen=True)
class CautionList:
    """A card of points: the ISSCR caution list, and the same shape for choosing a transplant centre."""

    title: str
    intro: str
    points: tuple[CautionPoint, ...]
    outro: str
    sources: tuple[Source, ...]
    reviewed: date


@dataclass(frozen=True)
class Checklist:
    """A short private list of questions a member can take to a clinic or centre."""

    title: str
    intro: str
    questions: tuple[str, ...]
    outro: str
    sources: tuple[Source, ...]
    reviewed: date


@dataclass(frozen=True)
class Checklists:
    """The "Questions to ask" lists, one for each card the clinic watch can send."""

    clinic: Checklist  # beside the ISSCR caution (unproven stem-cell clinics and products)
    centre: Checklist  # beside the "Choosing a transplant centre" card (aHSCT abroad or privately)


@dataclass(frozen=True)
class ContentBundle:
    """Everything the explainer commands need, loaded and validated once at start-up."""

    explainers: dict[str, Explainer]
    glossary: dict[str, GlossaryTerm]
    caution: CautionList
    clinic_words: ClinicWordLists
    centre: CautionList
    questions: Checklists
    jargon: tuple[str, ...] = ()  # technical words an explainer must explain or leave to the glossary

    def explainer_list(self) -> list[Explainer]:
        """Topics in file order (the order editors chose for the overview)."""
        return list(self.explainers.values())
