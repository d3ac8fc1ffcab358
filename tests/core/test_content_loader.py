"""Content loading: a valid folder loads; each kind of mistake is reported with file, entry and field."""

from __future__ import annotations

from pathlib import Path

import pytest
from content_factory import modified, topic, write_content

from bot.core.content.loader import ContentError, load_content
from bot.core.content.model import EvidenceKind
from bot.core.content.render import (
    STRONGEST_EVIDENCE,
    render_caution,
    render_centre,
    render_checklist,
    render_explainer,
)


def problems_for(tmp_path: Path, content: dict) -> list[str]:
    with pytest.raises(ContentError) as caught:
        load_content(write_content(tmp_path, content))
    return caught.value.problems


def test_valid_content_loads_into_typed_models(tmp_path: Path) -> None:
    bundle = load_content(write_content(tmp_path))
    assert list(bundle.explainers) == ["hsct", "risks"]
    assert bundle.explainers["hsct"].related == ("risks",)
    assert bundle.explainers["hsct"].reviewed.isoformat() == "2026-11-25"
    assert bundle.glossary["autologous"].see_also == "hsct"
    assert bundle.caution.points[0].title == "Regulation"


def test_duplicate_slug_is_named(tmp_path: Path) -> None:
    content = modified(lambda c: c["explainers.yaml"]["topics"].append(topic("hsct", aliases=[])))
    problems = problems_for(tmp_path, content)
    assert any(p.startswith("explainers.yaml: topic 'hsct': slug: duplicate slug") for p in problems), (
        problems
    )


def test_duplicate_alias_across_topics_is_named(tmp_path: Path) -> None:
    content = modified(lambda c: c["explainers.yaml"]["topics"][1]["aliases"].append("AHSCT"))
    problems = problems_for(tmp_path, content)
    assert any("topic 'risks': aliases: 'AHSCT' is already used by topic 'hsct'" in p for p in problems)


def test_body_over_embed_limit_is_an_error_not_truncated(tmp_path: Path) -> None:
    content = modified(lambda c: c["explainers.yaml"]["topics"][0].update(body="word " * 1000))
    problems = problems_for(tmp_path, content)
    assert any(
        p.startswith("explainers.yaml: topic 'hsct': description:") and "4096" in p for p in problems
    ), problems


def test_whole_embed_over_6000_is_an_error(tmp_path: Path) -> None:
    points = ["x" * 190 for _ in range(5)]
    content = modified(
        lambda c: c["explainers.yaml"]["topics"][0].update(
            body="y" * 4000,
            key_points=points * 1,
            sources=[{"title": "t" * 190, "url": "https://a.org/"}] * 5,
        )
    )
    problems = problems_for(tmp_path, content)
    assert any("topic 'hsct': whole embed" in p for p in problems), problems


def test_unknown_related_missing_sources_and_bad_url_all_reported_at_once(tmp_path: Path) -> None:
    def change(c: dict) -> None:
        c["explainers.yaml"]["topics"][0]["related"] = ["nowhere"]
        c["explainers.yaml"]["topics"][1]["sources"] = []
        c["caution.yaml"]["sources"] = [{"title": "ISSCR", "url": "not a url"}]

    problems = problems_for(tmp_path, modified(change))
    assert "explainers.yaml: topic 'hsct': related: unknown topic 'nowhere'" in problems
    assert any(p.startswith("explainers.yaml: topic 'risks': sources: missing") for p in problems)
    assert any(p.startswith("caution.yaml: caution list: sources[1].url:") for p in problems)


def test_bad_date_and_unknown_key(tmp_path: Path) -> None:
    def change(c: dict) -> None:
        c["explainers.yaml"]["topics"][0]["reviewed"] = "last week"
        c["explainers.yaml"]["topics"][0]["colour"] = "blue"

    problems = problems_for(tmp_path, modified(change))
    assert any("topic 'hsct': reviewed: 'last week' is not a date" in p for p in problems)
    assert any("topic 'hsct': colour: unknown key" in p for p in problems)


def test_malformed_yaml_names_file_and_line(tmp_path: Path) -> None:
    content = modified(lambda c: c.update({"glossary.yaml": "terms:\n  - term: [unclosed\n"}))
    problems = problems_for(tmp_path, content)
    assert any(p.startswith("glossary.yaml: not valid YAML at line") for p in problems), problems


def test_missing_file_is_reported(tmp_path: Path) -> None:
    write_content(tmp_path)
    (tmp_path / "caution.yaml").unlink()
    with pytest.raises(ContentError) as caught:
        load_content(tmp_path)
    assert any(p.startswith("caution.yaml: file not found") for p in caught.value.problems)


def test_glossary_see_also_must_be_a_topic(tmp_path: Path) -> None:
    content = modified(lambda c: c["glossary.yaml"]["terms"][0].update(see_also="nope"))
    assert "glossary.yaml: term 'autologous': see_also: unknown topic 'nope'" in problems_for(
        tmp_path, content
    )


def test_too_many_related_topics_and_a_word_for_an_emoji_are_named(tmp_path: Path) -> None:
    def change(c: dict) -> None:
        topics = c["explainers.yaml"]["topics"]
        topics += [topic(f"extra-{n}", aliases=[]) for n in range(5)]
        topics[0]["related"] = [f"extra-{n}" for n in range(5)]
        topics[1]["emoji"] = "dna"

    problems = problems_for(tmp_path, modified(change))
    assert any(p.startswith("explainers.yaml: topic 'hsct': related: 5 topics; at most 4") for p in problems)
    assert any(p.startswith("explainers.yaml: topic 'risks': emoji: 'dna' is not one") for p in problems)


def test_real_emoji_are_accepted(tmp_path: Path) -> None:
    def change(c: dict) -> None:
        c["explainers.yaml"]["topics"][0]["emoji"] = "🧬"
        c["explainers.yaml"]["topics"][1]["emoji"] = "👩🏽‍⚕️"

    bundle = load_content(write_content(tmp_path, modified(change)))
    assert bundle.explainers["hsct"].emoji == "🧬"


def test_every_source_needs_a_known_kind(tmp_path: Path) -> None:
    def change(c: dict) -> None:
        del c["explainers.yaml"]["topics"][0]["sources"][0]["kind"]
        c["caution.yaml"]["sources"][0]["kind"] = "gossip"
        c["centre.yaml"]["sources"][0]["kind"] = None
        c["questions.yaml"]["centre"]["sources"][0]["kind"] = 3

    problems = problems_for(tmp_path, modified(change))
    assert any(
        p.startswith(
            "explainers.yaml: topic 'hsct': sources[1].kind: missing; expected one of: systematic review"
        )
        for p in problems
    ), problems
    assert any(
        p.startswith("caution.yaml: caution list: sources[1].kind: 'gossip' is not a kind") for p in problems
    )
    assert any(p.startswith("centre.yaml: centre card: sources[1].kind: missing") for p in problems)
    assert any(
        p.startswith("questions.yaml: checklist 'centre': sources[1].kind: 3 is not a kind") for p in problems
    )


def test_kinds_are_read_whatever_their_spacing_and_case(tmp_path: Path) -> None:
    content = modified(
        lambda c: c["explainers.yaml"]["topics"][1]["sources"][1].update(kind="  Randomised   TRIAL ")
    )
    bundle = load_content(write_content(tmp_path, content))
    assert [s.kind for s in bundle.explainers["risks"].sources] == [
        EvidenceKind.PATIENT_ORGANISATION,
        EvidenceKind.RANDOMISED_TRIAL,
    ]


def test_the_centre_card_checklists_and_jargon_load(tmp_path: Path) -> None:
    bundle = load_content(write_content(tmp_path))
    assert bundle.centre.title == "Choosing a transplant centre"
    assert bundle.centre.points[0].title == "Accreditation"
    assert bundle.questions.clinic.title == "Questions to ask a clinic"
    assert bundle.questions.centre.questions == ("Is it approved?", "What does it cost?")
    assert bundle.jargon == ("EDSS", "apheresis")


def test_a_missing_checklist_an_unknown_one_and_a_doubled_jargon_word_are_named(tmp_path: Path) -> None:
    def change(c: dict) -> None:
        c["questions.yaml"]["hospital"] = c["questions.yaml"].pop("centre")
        c["questions.yaml"]["clinic"]["questions"] = ["Why?"] * 13
        c["jargon.yaml"]["words"].append("edss")

    problems = problems_for(tmp_path, modified(change))
    assert "questions.yaml: centre: missing; expected a checklist with title and questions" in problems
    assert "questions.yaml: hospital: unknown checklist; expected clinic and centre" in problems
    assert any(p.startswith("questions.yaml: checklist 'clinic': questions: 13 questions") for p in problems)
    assert "jargon.yaml: jargon: words: 'edss' is listed twice" in problems


def test_missing_centre_file_is_reported(tmp_path: Path) -> None:
    write_content(tmp_path)
    (tmp_path / "centre.yaml").unlink()
    with pytest.raises(ContentError) as caught:
        load_content(tmp_path)
    assert any(p.startswith("centre.yaml: file not found") for p in caught.value.problems)


def test_sources_show_their_kind_and_the_strongest_is_named(tmp_path: Path) -> None:
    bundle = load_content(write_content(tmp_path))
    embed = render_explainer(bundle.explainers["risks"], bundle).embed
    fields = {f.name: f.value for f in embed.fields}
    assert fields[STRONGEST_EVIDENCE].startswith("**Randomised trial** (")
    assert fields[STRONGEST_EVIDENCE].endswith("Burt et al., JAMA 2019")
    assert "· *Patient organisation*" in fields["Sources"] and "· *Randomised trial*" in fields["Sources"]
    checklist = render_checklist(bundle.questions.centre)
    assert "1. Is it approved?\n2. What does it cost?" in checklist.description
    assert "· *Patient organisation*" in checklist.fields[-1].value
    centre = render_centre(bundle.centre)
    assert (
        centre.title == "Choosing a transplant centre"
        and centre.colour != render_caution(bundle.caution).colour
    )
