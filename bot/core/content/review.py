"""Plain words: the reading grade of every member-facing text, and jargon left unexplained.

Run by `stemcell-bot check`, `preview` and the tests, not at start-up: a sentence that reads a
little hard is for an editor to fix, never a reason for the bot to stay offline. `load_content`
keeps the rules that would break what Discord shows.

A technical word from `jargon.yaml` is fine in a text when the glossary has it (as a term or an
alias), or when the text explains it where it is used, in brackets right beside it:
"a drop in platelets (ITP)" or "ITP (a drop in platelets)".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache

from bot.core.content.loader import (
    CAUTION_ENTRY,
    CAUTION_FILE,
    CENTRE_ENTRY,
    CENTRE_FILE,
    EXPLAINERS_FILE,
    GLOSSARY_FILE,
    QUESTIONS_FILE,
)
from bot.core.content.model import CautionList, Checklist, ContentBundle
from bot.core.content.readability import GRADE_LIMIT, grade
from bot.core.content.search import fold


@dataclass(frozen=True)
class GradedText:
    where: str  # "file: entry: field", as in every other content message
    grade: float


@dataclass(frozen=True)
class ContentReview:
    topic_grades: dict[str, float]  # slug -> grade of the topic's body, in file order
    graded: tuple[GradedText, ...]  # every graded text, topics included
    jargon_problems: tuple[str, ...]

    def too_hard(self) -> list[GradedText]:
        return [g for g in self.graded if g.grade > GRADE_LIMIT]

    def hardest(self, prefix: str) -> GradedText | None:
        """The hardest text whose place starts with `prefix` (a file, or a file and entry)."""
        return max(
            (g for g in self.graded if g.where.startswith(prefix)), key=lambda g: g.grade, default=None
        )

    def problems(self) -> list[str]:
        hard = [
            f"{g.where}: reads at grade {g.grade:.1f}, above {GRADE_LIMIT:.0f}; "
            "use shorter sentences and everyday words"
            for g in self.too_hard()
        ]
        return hard + list(self.jargon_problems)


def review_content(bundle: ContentBundle) -> ContentReview:
    graded = list(_graded_texts(bundle))
    topic_grades = {
        slug: next(g.grade for g in graded if g.where == f"{EXPLAINERS_FILE}: topic {slug!r}: body")
        for slug in bundle.explainers
    }
    glossary_names = _glossary_names(bundle)
    jargon_problems = [
        f"{where}: {word!r} is a technical word with no glossary entry; add it to {GLOSSARY_FILE}, "
        "or explain it in brackets where it is used"
        for where, text in _member_texts(bundle)
        for word in unexplained_jargon(text, bundle.jargon, glossary_names)
    ]
    return ContentReview(topic_grades, tuple(graded), tuple(jargon_problems))


def _graded_texts(bundle: ContentBundle) -> Iterator[GradedText]:
    for explainer in bundle.explainer_list():
        yield GradedText(f"{EXPLAINERS_FILE}: topic {explainer.slug!r}: body", grade(explainer.body))
    for term in bundle.glossary.values():
        yield GradedText(f"{GLOSSARY_FILE}: term {term.slug!r}: definition", grade(term.definition))
    for file, entry, card in _cards(bundle):
        for index, point in enumerate(card.points, start=1):
            yield GradedText(f"{file}: {entry}: point {index} ({point.title})", grade(point.text))
    for name, checklist in _checklists(bundle):
        for index, question in enumerate(checklist.questions, start=1):
            yield GradedText(f"{QUESTIONS_FILE}: checklist {name!r}: questions[{index}]", grade(question))


def _member_texts(bundle: ContentBundle) -> Iterator[tuple[str, str]]:
    """(where, text) for every text a member reads, for the jargon check."""
    for e in bundle.explainer_list():
        yield f"{EXPLAINERS_FILE}: topic {e.slug!r}", "\n".join((e.summary, e.body, *e.key_points))
    for term in bundle.glossary.values():
        yield f"{GLOSSARY_FILE}: term {term.slug!r}", term.definition
    for file, entry, card in _cards(bundle):
        texts = (card.intro, *(f"{p.title}\n{p.text}" for p in card.points), card.outro)
        yield f"{file}: {entry}", "\n".join(texts)
    for name, checklist in _checklists(bundle):
        yield (
            f"{QUESTIONS_FILE}: checklist {name!r}",
            "\n".join((checklist.intro, *checklist.questions, checklist.outro)),
        )


def _cards(bundle: ContentBundle) -> list[tuple[str, str, CautionList]]:
    return [(CAUTION_FILE, CAUTION_ENTRY, bundle.caution), (CENTRE_FILE, CENTRE_ENTRY, bundle.centre)]


def _checklists(bundle: ContentBundle) -> list[tuple[str, Checklist]]:
    return [("clinic", bundle.questions.clinic), ("centre", bundle.questions.centre)]


def _glossary_names(bundle: ContentBundle) -> frozenset[str]:
    return frozenset(
        fold(name) for t in bundle.glossary.values() for name in (t.term, t.slug, *t.aliases) if fold(name)
    )


def unexplained_jargon(text: str, jargon: Iterable[str], glossary_names: frozenset[str]) -> list[str]:
    """Each jargon word used in `text` that the glossary lacks and the text does not explain."""
    missing = []
    for word in jargon:
        if fold(word) in glossary_names:
            continue
        uses = [m.span() for m in _pattern(word).finditer(text)]
        if uses and not any(_explained_beside(text, start, end) for start, end in uses):
            missing.append(word)
    return missing


@lru_cache(maxsize=1024)
def _pattern(word: str) -> re.Pattern[str]:
    """The word (plural too) as a whole word; exact case when it has capitals (ITP, iPS)."""
    body = r"\s+".join(re.escape(part) for part in word.split())
    flags = 0 if any(c.isupper() for c in word) else re.IGNORECASE
    return re.compile(rf"(?<![\w-]){body}(?:e?s)?(?![\w-])", flags)


def _explained_beside(text: str, start: int, end: int) -> bool:
    """Bracketed right after the word, or the word opening a bracket after plain words."""
    return bool(re.match(r"\s*\(", text[end:])) or bool(re.search(r"\(\s*$", text[:start]))
