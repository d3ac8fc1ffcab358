"""Builds small, valid content folders for tests, so each test breaks exactly one thing."""

from __future__ import annotations

import copy
import shutil
from pathlib import Path
from typing import Any

import yaml

from bot.settings import packaged_content_dir

SOURCE = {
    "title": "National MS Society: Stem cells in MS",
    "url": "https://www.nationalmssociety.org/",
    "kind": "patient organisation",
}
TRIAL = {
    "title": "Burt et al., JAMA 2019",
    "url": "https://doi.org/10.1001/jama.2018.18743",
    "kind": "randomised trial",
}


def topic(slug: str, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "slug": slug,
        "title": f"Topic {slug}",
        "aliases": [f"{slug} alias"],
        "summary": f"A short summary of {slug}.",
        "body": f"Some words about {slug}.",
        "key_points": ["First point.", "Second point."],
        "related": [],
        "sources": [dict(SOURCE)],
        "reviewed": "2026-11-25",
    }
    data.update(overrides)
    return data


def valid_content() -> dict[str, Any]:
    return {
        "explainers.yaml": {
            "topics": [
                topic(
                    "hsct",
                    title="HSCT",
                    aliases=["aHSCT", "stem cell transplant", "bone marrow transplant"],
                    related=["risks"],
                ),
                topic(
                    "risks",
                    title="The risks",
                    aliases=["side effects"],
                    related=["hsct"],
                    sources=[dict(SOURCE), dict(TRIAL)],
                ),
            ]
        },
        "glossary.yaml": {
            "terms": [
                {
                    "term": "Autologous",
                    "slug": "autologous",
                    "aliases": ["own cells"],
                    "definition": "From your own body.",
                    "see_also": "hsct",
                },
                {
                    "term": "EDSS",
                    "slug": "edss",
                    "definition": "A score of how much MS affects you. A doctor gives it.",
                },
            ]
        },
        "caution.yaml": {
            "title": "Before you go to a clinic",
            "intro": "Some things to check.",
            "points": [{"title": "Regulation", "text": "Ask whether it is approved."}],
            "outro": "Talk with your MS team.",
            "sources": [dict(SOURCE)],
            "reviewed": "2026-11-25",
        },
        "centre.yaml": {
            "title": "Choosing a transplant centre",
            "intro": "Some things to ask.",
            "points": [{"title": "Accreditation", "text": "Ask who checks the centre."}],
            "outro": "Go through the answers with your MS team.",
            "sources": [dict(SOURCE)],
            "reviewed": "2026-12-05",
        },
        "questions.yaml": {
            name: {
                "title": f"Questions to ask a {name}",
                "intro": "Write the answers down.",
                "questions": ["Is it approved?", "What does it cost?"],
                "outro": "Talk them through with your MS team.",
                "sources": [dict(SOURCE)],
                "reviewed": "2026-12-05",
            }
            for name in ("clinic", "centre")
        },
        "jargon.yaml": {"words": ["EDSS", "apheresis"]},
    }


SHIPPED_CLINIC_WORDS = packaged_content_dir() / "clinic_watch.yaml"


def write_content(folder: Path, content: dict[str, Any] | None = None) -> Path:
    """Write the YAML files; the clinic word list is the shipped one unless `content` gives its own."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(SHIPPED_CLINIC_WORDS, folder / "clinic_watch.yaml")
    for name, data in (content or valid_content()).items():
        text = data if isinstance(data, str) else yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def modified(change: Any) -> dict[str, Any]:
    """A copy of the valid content with `change(content)` applied."""
    content = copy.deepcopy(valid_content())
    change(content)
    return content
