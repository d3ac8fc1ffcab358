"""Typed content: explainers, glossary terms and the caution list, as loaded from YAML."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.core.scanning.settings import ClinicWordLists


@dataclass(frozen=True)
class Source:
    title: str
    url: str


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
    title: str
    intro: str
    points: tuple[CautionPoint, ...]
    outro: str
    sources: tuple[Source, ...]
    reviewed: date


@dataclass(frozen=True)
class ContentBundle:
    """Everything the explainer commands need, loaded and validated once at start-up."""

    explainers: dict[str, Explainer]
    glossary: dict[str, GlossaryTerm]
    caution: CautionList
    clinic_words: ClinicWordLists

    def explainer_list(self) -> list[Explainer]:
        """Topics in file order (the order editors chose for the overview)."""
        return list(self.explainers.values())
