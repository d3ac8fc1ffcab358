"""No input breaks a command: everything members and moderators type goes through these parsers.

Each parser either returns a value or raises a `UserFacingError` (a kind message, nothing changed);
any other exception would reach the member as "something went wrong" and put their words in an
ERROR log. Hypothesis throws long, odd and hostile text at each one: control characters, scripts from
every plane, digits in other numerals ('²', '٣'), thousands of characters, YAML tricks.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.autoresponse import MatchMode, RuleDraft, parse_import, validate_draft
from bot.core.autoresponse.rules import RuleRejected
from bot.core.autoresponse.transfer import ImportRejected
from bot.core.journal import rules
from bot.core.scanning import ClinicWatchSettings, WordKind, normalise
from bot.core.scanning.settings import ClinicWordLists
from bot.errors import UserFacingError

TODAY = rules.member_day(datetime(2026, 12, 5, 12, tzinfo=UTC), None)
# Odd text: any Unicode (surrogates excluded: Discord never sends them), sometimes very long.
ANY_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=300)
LONG_TEXT = st.text(st.characters(exclude_categories=("Cs",)), min_size=1000, max_size=6000)
MEMBER_TEXT = st.one_of(ANY_TEXT, LONG_TEXT, st.sampled_from(["²", "٣", "9" * 5000, "a" * 300, "../../etc"]))
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def survives(parse: Callable[..., Any], *args: Any) -> None:
    """The parser answers or refuses kindly; anything else fails the test."""
    try:
        parse(*args)
    except UserFacingError as error:
        assert error.message.strip(), "a refusal must say something"


@pytest.mark.parametrize(
    "parse",
    [
        lambda text: rules.parse_entry_date(text, TODAY),
        lambda text: rules.parse_rating("feeling", text),
        rules.parse_symptom_ratings,
        rules.parse_therapy,
        rules.parse_phase,
        rules.parse_kind,
        rules.parse_cadence,
        rules.parse_weekday,
        rules.parse_local_time,
        rules.parse_entry_number,
        rules.parse_timezone,
        rules.parse_therapy_and_phase,
        lambda text: rules.quick_note(text, date(2026, 12, 5)),
    ],
    ids=[
        "date",
        "rating",
        "symptoms",
        "therapy",
        "phase",
        "kind",
        "cadence",
        "weekday",
        "local_time",
        "entry_number",
        "timezone",
        "therapy_and_phase",
        "quick_note",
    ],
)
@FUZZ
@given(text=MEMBER_TEXT)
def test_journal_parsers_never_raise_anything_unkind(parse: Callable[[str], Any], text: str) -> None:
    survives(parse, text)


@FUZZ
@given(query=MEMBER_TEXT)
def test_time_zone_suggestions_never_fail(query: str) -> None:
    assert len(rules.suggest_timezones(query, limit=25)) <= 25


@FUZZ
@given(
    trigger=MEMBER_TEXT,
    response=MEMBER_TEXT,
    mode=st.sampled_from(list(MatchMode)),
    channels=st.lists(st.integers(min_value=-(2**70), max_value=2**70), max_size=30),
    cooldown=st.integers(min_value=-(2**40), max_value=2**40),
)
def test_auto_response_drafts_are_accepted_or_refused_kindly(
    trigger: str, response: str, mode: MatchMode, channels: list[int], cooldown: int
) -> None:
    draft = RuleDraft(trigger, response, mode, tuple(channels), cooldown)
    try:
        validate_draft(draft)
    except RuleRejected as error:
        assert error.problems


YAML_FRAGMENTS = st.sampled_from(
    [
        "version: 1\nrules:\n",
        "- trigger: ",
        "  response: ",
        "  mode: regex\n",
        "  channels: ['²', 99999999999999999999999999999999]\n",
        "  cooldown_seconds: 1e309\n",
        "&a [*a, *a]\n",
        "!!python/object:os.system ls\n",
        "{",
        "\x00",
        "\t",
        "  enabled: maybe\n",
    ]
)


@FUZZ
@given(parts=st.lists(st.one_of(YAML_FRAGMENTS, ANY_TEXT), max_size=12))
def test_imports_are_accepted_or_refused_kindly(parts: list[str]) -> None:
    try:
        parse_import("".join(parts).encode("utf-8", "surrogatepass"))
    except ImportRejected as error:
        assert error.problems


# Scalars as an import file may hold them: odd digits, huge numbers, any text (JSON strings are YAML).
YAML_SCALARS = st.one_of(
    st.sampled_from(
        ["'²'", "9" * 5000, "0x" + "f" * 5000, "1e400", "-1", "null", "true", "'１２３'", ".nan"]
    ),
    ANY_TEXT.map(json.dumps),
    st.integers(min_value=-(2**80), max_value=2**80).map(str),
)
YAML_VALUES = st.one_of(YAML_SCALARS, st.lists(YAML_SCALARS, max_size=5).map(lambda xs: f"[{', '.join(xs)}]"))
RULE_KEYS = st.sampled_from(
    ["trigger", "response", "mode", "channels", "cooldown_seconds", "enabled", "extra"]
)


@FUZZ
@given(rules_=st.lists(st.dictionaries(RULE_KEYS, YAML_VALUES, max_size=7), min_size=1, max_size=3))
def test_imports_with_a_rule_shape_and_hostile_values_are_refused_kindly(
    rules_: list[dict[str, str]],
) -> None:
    """Well-formed files whose values are hostile: '²' or 5,000-digit channel ids, odd text, huge numbers."""
    body = "".join(
        "- " + "\n  ".join(f"{key}: {value}" for key, value in rule.items()) + "\n" for rule in rules_
    )
    try:
        parse_import(f"version: 1\nrules:\n{body}".encode())
    except ImportRejected as error:
        assert error.problems


@pytest.mark.parametrize(
    "channel", ["'²'", "'１２３'", "9" * 5000, "'" + "9" * 5000 + "'", "0x" + "f" * 5000]
)
def test_the_channel_ids_that_once_crashed_an_import_are_refused(channel: str) -> None:
    document = f"version: 1\nrules:\n- trigger: hi\n  response: hello\n  channels: [{channel}]\n"
    with pytest.raises(ImportRejected):
        parse_import(document.encode())


def test_a_time_zone_name_too_long_for_the_file_system_is_refused_kindly() -> None:
    with pytest.raises(UserFacingError):
        rules.parse_timezone("Europe/" + "a" * 300)


@FUZZ
@given(word=MEMBER_TEXT, kind=st.sampled_from(list(WordKind)))
def test_clinic_watch_words_are_accepted_or_refused_kindly(word: str, kind: WordKind) -> None:
    defaults = ClinicWordLists(clinic=("clinic",), context=("stem cells",))
    survives(ClinicWatchSettings(guild_id=1).with_word, kind, word, defaults)
    survives(ClinicWatchSettings(guild_id=1).without_word, kind, word, defaults)


@FUZZ
@given(text=MEMBER_TEXT)
def test_message_normalisation_never_fails(text: str) -> None:
    assert isinstance(normalise(text), str)


def test_a_refusal_never_puts_the_members_words_in_an_error_log(caplog: pytest.LogCaptureFixture) -> None:
    secret = "my-very-private-words-" + "x" * 300
    with caplog.at_level(logging.DEBUG):
        for parse in (rules.parse_timezone, rules.parse_local_time, rules.parse_symptom_ratings):
            survives(parse, secret)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not [r for r in caplog.records if "my-very-private-words" in r.getMessage()]
