"""What moderators type for several triggers, responses, weights, channels and roles; and no text, however
odd, breaks these parsers or an import of the current format (each answers or refuses kindly)."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.autoresponse import (
    ImportRejected,
    MatchMode,
    RuleDraft,
    RuleRejected,
    RuleTrigger,
    parse_import,
)
from bot.core.autoresponse.rules import validate_draft
from bot.core.autoresponse.typed import (
    is_clear,
    parse_channel_mentions,
    parse_role_mentions,
    parse_trigger_line,
    parse_trigger_lines,
    parse_trigger_list,
    parse_weights,
    split_responses,
)
from bot.errors import InvalidInput, UserFacingError

M = MatchMode
CHANNEL = 123456789012345678
ROLE = 223456789012345678


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("mri", RuleTrigger("mri", M.WORD)),
        ("  phrase: stem cell ", RuleTrigger("stem cell", M.PHRASE)),
        ("REGEX:ocre\\w+", RuleTrigger("ocre\\w+", M.REGEX)),
        ("word: exact: x", RuleTrigger("exact: x", M.WORD)),
        ("note: this", RuleTrigger("note: this", M.WORD)),
    ],
)
def test_a_line_may_name_its_own_mode(line: str, expected: RuleTrigger) -> None:
    assert parse_trigger_line(line, M.WORD) == expected


def test_triggers_come_one_per_line_or_separated_by_commas() -> None:
    assert parse_trigger_lines("mri\n\n  wildcard: lesion*\nscan", M.CONTAINS) == [
        RuleTrigger("mri", M.CONTAINS),
        RuleTrigger("lesion*", M.WILDCARD),
        RuleTrigger("scan", M.CONTAINS),
    ]
    assert parse_trigger_list("scan, lesion ,, phrase: stem cell", M.WORD) == [
        RuleTrigger("scan"),
        RuleTrigger("lesion"),
        RuleTrigger("stem cell", M.PHRASE),
    ]


def test_responses_are_separated_by_three_dashes() -> None:
    assert split_responses("Hi! --- Hello!---not split --- \n") == ["Hi!", "Hello!---not split"]
    assert split_responses("First line\nsecond line\n---\nAnother\n\n---\n") == [
        "First line\nsecond line",
        "Another",
    ]
    assert split_responses("  ---  ") == []


def test_weights_are_whole_numbers_from_one_to_a_hundred() -> None:
    assert parse_weights("3, 1,1") == (3, 1, 1)
    assert parse_weights("") == ()
    for wrong in ("0", "101", "2.5", "three", "²", "9" * 400):
        with pytest.raises(InvalidInput, match="is not a weight"):
            parse_weights(wrong)


def test_channels_and_roles_are_mentions_or_ids() -> None:
    assert parse_channel_mentions(f"<#{CHANNEL}>, {CHANNEL + 1} <#{CHANNEL}>") == (CHANNEL, CHANNEL + 1)
    assert parse_role_mentions(f"<@&{ROLE}> {ROLE + 1}") == (ROLE, ROLE + 1)
    with pytest.raises(InvalidInput, match="“general” is not a channel: type #"):
        parse_channel_mentions("general")
    with pytest.raises(InvalidInput, match="is not a role"):
        parse_role_mentions(f"<#{CHANNEL}>")
    assert is_clear(" - ") and not is_clear("--")


# --- no input breaks them -------------------------------------------------------------------------

ANY_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=300)
ODD = st.one_of(ANY_TEXT, st.sampled_from(["²", "٣", "9" * 5000, "<#²>", "<@&" + "9" * 40 + ">", "---", "-"]))
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def survives(parse: object, text: str) -> None:
    try:
        parse(text)  # type: ignore[operator]
    except UserFacingError as error:
        assert error.message.strip()


@FUZZ
@given(text=ODD)
def test_the_parsers_answer_or_refuse_kindly(text: str) -> None:
    for parse in (
        parse_weights,
        parse_channel_mentions,
        parse_role_mentions,
        split_responses,
        lambda t: parse_trigger_lines(t, M.WORD),
        lambda t: parse_trigger_list(t, M.REGEX),
    ):
        survives(parse, text)


@FUZZ
@given(triggers=st.lists(ODD, max_size=5), responses=st.lists(ODD, min_size=1, max_size=4), kind=ODD)
def test_drafts_with_odd_new_fields_are_accepted_or_refused_kindly(
    triggers: list[str], responses: list[str], kind: str
) -> None:
    draft = RuleDraft(
        "mri",
        responses[0],
        more_triggers=tuple(parse_trigger_line(t, M.WORD) for t in triggers),
        more_responses=tuple(responses[1:]),
        kind=kind,  # type: ignore[arg-type]
        title=kind,
        link=kind,
    )
    try:
        validate_draft(draft)
    except RuleRejected as error:
        assert error.problems


SCALARS = st.one_of(
    st.sampled_from(["'²'", "9" * 5000, "1e400", "null", "true", "[]", "{}", "[[1]]", "{text: 1}"]),
    ANY_TEXT.map(json.dumps),
)
KEYS = st.sampled_from(
    [
        "triggers",
        "responses",
        "answer",
        "title",
        "link",
        "channels",
        "roles",
        "except_roles",
        "cooldown_seconds",
    ]
)


@FUZZ
@given(rules_=st.lists(st.dictionaries(KEYS, SCALARS, max_size=8), min_size=1, max_size=3))
def test_current_format_imports_with_hostile_values_are_refused_kindly(rules_: list[dict[str, str]]) -> None:
    body = "".join(
        "- " + "\n  ".join(f"{key}: {value}" for key, value in rule.items()) + "\n" if rule else "- {}\n"
        for rule in rules_
    )
    try:
        parse_import(f"version: 2\nrules:\n{body}".encode())
    except ImportRejected as error:
        assert error.problems
