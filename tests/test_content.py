"""Every shipped content file loads, renders within Discord's limits, and is written in our own words."""

from __future__ import annotations

import re
from pathlib import Path

from bot.core.content.loader import CONTENT_FILES, load_content
from bot.core.content.render import render_caution, render_explainer, render_glossary_term
from bot.settings import packaged_content_dir

SEED = Path(__file__).resolve().parents[2] / "shared" / "seed"
REQUIRED_TOPICS = {
    "stem-cells",
    "stem-cell-therapy",
    "hsct",
    "repair",
    "research",
    "risks",
    "considering",
    "sources",
}


def test_shipped_content_loads_without_problems() -> None:
    bundle = load_content(packaged_content_dir())
    assert REQUIRED_TOPICS <= set(bundle.explainers)
    assert len(bundle.glossary) >= 20
    assert len(bundle.caution.points) >= 3


def test_every_shipped_text_renders_within_discord_limits() -> None:
    bundle = load_content(packaged_content_dir())
    embeds = [render_explainer(e, bundle).embed for e in bundle.explainer_list()]
    embeds += [render_glossary_term(t, bundle) for t in bundle.glossary.values()]
    embeds.append(render_caution(bundle.caution))
    for embed in embeds:
        assert embed.limit_problems() == [], embed.title


def test_every_explainer_names_its_sources_and_review_date() -> None:
    bundle = load_content(packaged_content_dir())
    for explainer in bundle.explainer_list():
        rendered = render_explainer(explainer, bundle).embed
        assert any(f.name == "Sources" and "](http" in f.value for f in rendered.fields), explainer.slug
        assert "Last reviewed" in rendered.footer and "not medical advice" in rendered.footer


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower())


def test_no_sentence_is_copied_from_the_seed_article() -> None:
    """Facts may carry over from the article the content is based on; runs of nine words may not."""
    seed_files = list(SEED.glob("*")) if SEED.is_dir() else []
    seed: set[tuple[str, ...]] = set()
    for path in seed_files:
        words = _words(path.read_text(errors="ignore"))
        seed.update(tuple(words[i : i + 9]) for i in range(len(words) - 8))
    copied = []
    for name in CONTENT_FILES:
        words = _words((packaged_content_dir() / name).read_text(encoding="utf-8"))
        copied += [
            " ".join(words[i : i + 9]) for i in range(len(words) - 8) if tuple(words[i : i + 9]) in seed
        ]
    assert not copied, copied[:5]
