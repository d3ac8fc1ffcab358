"""Flesch-Kincaid counting: syllables, sentences as Discord shows them, and the grade formula."""

from __future__ import annotations

import pytest

from bot.core.content.readability import TextCounts, count, grade, sentences, word_syllables


@pytest.mark.parametrize(
    ("word", "syllables"),
    [
        ("the", 1),
        ("make", 1),  # silent final e
        ("people", 2),  # "-le" after a consonant is said
        ("centre", 2),  # so is British "-re"
        ("types", 1),
        ("diseases", 3),  # "-es" after s is said
        ("returned", 2),
        ("tested", 2),  # "-ed" after t is said
        ("studies", 2),
        ("trial", 2),  # "ia" is two sounds
        ("nation", 2),  # but "tion" is one
        ("usual", 3),
        ("being", 2),
        ("likely", 2),
        ("chemotherapy", 5),
        ("cyclophosphamide", 5),
        ("stem-cell", 2),  # hyphenated parts add up
    ],
)
def test_syllables_of_common_and_medical_words(word: str, syllables: int) -> None:
    assert word_syllables(word) == syllables


def test_abbreviations_count_one_syllable_and_numbers_one_a_digit_up_to_three() -> None:
    assert word_syllables("aHSCT") == 1
    assert word_syllables("MS") == 1
    assert word_syllables("NCT04047628") == 1
    assert word_syllables("68") == 2
    assert word_syllables("2018") == 3


def test_markdown_is_read_as_plain_text_with_headings_left_out() -> None:
    text = (
        "**What the evidence says**\n"
        "In MIST, 110 people took part. Results were 3.5% better.\n"
        "- **Mobilisation:** medicines move cells\n"
        "- see [the FDA page](https://www.fda.gov/x) for more\n"
    )
    assert sentences(text) == [
        "In MIST, 110 people took part.",
        "Results were 3.5% better.",  # a decimal point does not end a sentence
        "Mobilisation: medicines move cells",  # a bullet ends at its line
        "see the FDA page for more",  # a link counts as its label
    ]


def test_the_grade_follows_the_flesch_kincaid_formula() -> None:
    counts = count("The cat sat on the mat. It was a happy cat.")
    assert counts == TextCounts(sentences=2, words=11, syllables=12)
    expected = 0.39 * 11 / 2 + 11.8 * 12 / 11 - 15.59
    assert counts.grade == round(expected, 1)


def test_long_sentences_of_long_words_grade_higher_than_short_plain_ones() -> None:
    plain = "Your team will check your blood. They look for low counts. They treat a fever fast."
    hard = (
        "Haematopoietic reconstitution following myeloablative conditioning necessitates "
        "comprehensive immunological surveillance throughout the subsequent convalescence."
    )
    assert grade(plain) < 4 < 8 < grade(hard)


def test_text_without_words_grades_zero() -> None:
    assert grade("") == 0.0
    assert grade("**Heading only**\n\n- \n") == 0.0
