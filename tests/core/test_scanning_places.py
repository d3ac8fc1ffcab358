"""Place names are found word by word: whole words only, several-word names, and either script."""

from __future__ import annotations

from bot.core.scanning.matcher import PLACE_LABEL, PLACE_LABEL_OTHER_SCRIPT, PlaceFinder, find_spans

FINDER = PlaceFinder(["mexico", "costa rica", "cote d'ivoire", "москва", "san jose", "san jose del cabo"])


def found(text: str) -> list[str]:
    return [FINDER.triggers[index].label for index in FINDER.find_utf8(text.encode()) or ()]


def test_a_name_is_found_as_whole_words_only() -> None:
    assert found("flying to mexico next week") == [PLACE_LABEL]
    assert found("the mexicoclinic brand") == []
    assert found("new mexicos") == []


def test_names_of_several_words_take_any_separator_between_words() -> None:
    assert found("costa-rica") == [PLACE_LABEL]
    assert found("costa  rica") == [PLACE_LABEL]
    assert found("costa") == []


def test_apostrophes_may_be_typographic_or_left_out() -> None:
    for text in ("cote d'ivoire", "cote d’ivoire", "cote divoire"):
        assert found(text) == [PLACE_LABEL], text


def test_names_in_another_script_are_their_own_group() -> None:
    assert found("клиника в москва") == [PLACE_LABEL_OTHER_SCRIPT]
    assert found("москва and mexico") == [PLACE_LABEL, PLACE_LABEL_OTHER_SCRIPT]


def test_spans_cover_the_longest_name_once() -> None:
    text = "a week in san jose del cabo, then mexico"
    [ascii_trigger, _] = FINDER.triggers
    assert [text[start:end] for start, end in find_spans(ascii_trigger, text)] == [
        "san jose del cabo",
        "mexico",
    ]


def test_a_name_glued_to_letters_of_another_script_is_not_found() -> None:
    assert found("abcмосква") == []
    assert found("москваabc") == []
