"""Plain-words review: reading grades above 8 and jargon left unexplained are named, file and entry."""

from __future__ import annotations

from pathlib import Path

from content_factory import modified, write_content

from bot.core.content.loader import load_content
from bot.core.content.review import review_content, unexplained_jargon

GLOSSARY = frozenset({"edss", "itp", "low platelets"})
HARD = (
    "Haematopoietic reconstitution following myeloablative conditioning necessitates comprehensive "
    "immunological surveillance throughout the subsequent convalescence period."
)


def test_a_jargon_word_without_glossary_entry_or_explanation_is_listed() -> None:
    text = "Your EBV levels and your EDSS will be checked."
    assert unexplained_jargon(text, ["EBV", "EDSS"], GLOSSARY) == ["EBV"]


def test_a_bracketed_explanation_on_either_side_counts() -> None:
    jargon = ["EBV", "febrile neutropenia"]
    assert unexplained_jargon("EBV (a virus that can wake up) may return.", jargon, GLOSSARY) == []
    assert unexplained_jargon("A fever when counts are low (febrile neutropenia).", jargon, GLOSSARY) == []
    assert unexplained_jargon("Febrile neutropenia is common. EBV too.", jargon, GLOSSARY) == jargon


def test_capitals_are_matched_exactly_and_plurals_are_found() -> None:
    assert unexplained_jargon("The protocol said ebv tests.", ["EBV"], GLOSSARY) == []
    assert unexplained_jargon("Both protocols differ.", ["protocol"], GLOSSARY) == ["protocol"]
    assert unexplained_jargon("A stem-cell trial.", ["cell"], GLOSSARY) == []  # part of a hyphenated word


def test_review_of_a_folder_names_hard_texts_and_unexplained_jargon(tmp_path: Path) -> None:
    def change(c: dict) -> None:
        c["explainers.yaml"]["topics"][0]["body"] = HARD
        c["glossary.yaml"]["terms"][1]["definition"] = "Your EBV is tested. It is fine."
        c["jargon.yaml"]["words"].append("EBV")
        c["caution.yaml"]["points"][0]["text"] = HARD

    review = review_content(load_content(write_content(tmp_path, modified(change))))
    problems = review.problems()
    assert review.topic_grades["hsct"] > 8 >= review.topic_grades["risks"]
    assert any(p.startswith("explainers.yaml: topic 'hsct': body: reads at grade") for p in problems), (
        problems
    )
    assert any(
        p.startswith("caution.yaml: caution list: point 1 (Regulation): reads at grade") for p in problems
    )
    assert "glossary.yaml: term 'edss': 'EBV' is a technical word with no glossary entry" in "\n".join(
        problems
    )
    assert not any("topic 'risks'" in p for p in problems)


def test_plain_content_has_no_problems(tmp_path: Path) -> None:
    review = review_content(load_content(write_content(tmp_path)))
    assert review.problems() == []
    assert list(review.topic_grades) == ["hsct", "risks"]
