"""Every shipped content file loads, renders within Discord's limits, and is written in our own words."""

from __future__ import annotations

import json
import re
from pathlib import Path

from bot.core.content.loader import CONTENT_FILES, load_content
from bot.core.content.model import EvidenceKind
from bot.core.content.render import (
    render_caution,
    render_centre,
    render_checklist,
    render_explainer,
    render_glossary_term,
)
from bot.core.content.review import review_content
from bot.core.content.search import fold
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
    "fertility",
    "choosing-a-centre",
    "recovery",
    "after-hsct",
}


def test_shipped_content_loads_without_problems() -> None:
    bundle = load_content(packaged_content_dir())
    assert REQUIRED_TOPICS <= set(bundle.explainers)
    assert len(bundle.glossary) >= 55
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


def test_shipped_content_reads_at_grade_8_or_below_and_explains_its_jargon() -> None:
    """Every explainer body, definition, card point and question: grade 8 at most; no bare jargon."""
    review = review_content(load_content(packaged_content_dir()))
    assert review.problems() == []
    assert len(review.topic_grades) == len(load_content(packaged_content_dir()).explainers)


def test_glossary_covers_the_words_members_asked_about() -> None:
    bundle = load_content(packaged_content_dir())
    names = {fold(n) for t in bundle.glossary.values() for n in (t.term, t.slug, *t.aliases)}
    wanted = [
        "iPS", "embryonic", "pluripotent", "MRI", "ITP", "platelets", "FDA", "NCT", "ISRCTN",
        "phase 1", "phase 2", "phase 3", "regenerative medicine", "reinfusion", "rejection",
        "alemtuzumab", "ocrelizumab", "ofatumumab", "cladribine", "natalizumab", "fingolimod",
        "dimethyl fumarate", "interferon", "EBV", "revaccination", "fertility preservation",
        "early menopause", "JACIE", "FACT", "accreditation",
    ]  # fmt: skip
    assert [w for w in wanted if fold(w) not in names] == []
    assert len(bundle.glossary) >= 55
    assert {fold(w) for w in bundle.jargon} <= names


def test_every_topic_sends_members_to_their_ms_team_and_has_at_most_four_related() -> None:
    bundle = load_content(packaged_content_dir())
    for explainer in bundle.explainer_list():
        text = " ".join((explainer.body, *explainer.key_points))
        assert "MS team" in text, explainer.slug
        assert 1 <= len(explainer.related) <= 4, explainer.slug
    for card in (bundle.caution, bundle.centre):
        assert "MS team" in card.outro + " ".join(p.text for p in card.points)


def test_new_topics_and_cards_are_shipped_with_sources_of_known_kinds() -> None:
    bundle = load_content(packaged_content_dir())
    assert {"fertility", "choosing-a-centre", "after-hsct"} <= set(bundle.explainers)
    every_source = [s for e in bundle.explainer_list() for s in e.sources]
    every_source += [*bundle.caution.sources, *bundle.centre.sources]
    every_source += [*bundle.questions.clinic.sources, *bundle.questions.centre.sources]
    assert all(isinstance(s.kind, EvidenceKind) for s in every_source)
    assert len({s.kind for s in every_source}) >= 8  # the labels tell members something
    embeds = [render_centre(bundle.centre), render_checklist(bundle.questions.clinic)]
    embeds.append(render_checklist(bundle.questions.centre))
    for embed in embeds:
        assert embed.limit_problems() == [], embed.title


def test_schema_lists_the_same_evidence_kinds_and_files_as_the_loader() -> None:
    schema = json.loads((packaged_content_dir() / "schema.json").read_text(encoding="utf-8"))
    assert schema["$defs"]["evidenceKind"]["enum"] == [kind.key for kind in EvidenceKind]
    assert "kind" in schema["$defs"]["source"]["required"]
    titles = " ".join(schema["$defs"][ref["$ref"].rsplit("/", 1)[1]]["title"] for ref in schema["oneOf"])
    for name in CONTENT_FILES:
        if name != "clinic_watch.yaml":  # described by the clinic watch's own documentation
            assert name in titles, name
