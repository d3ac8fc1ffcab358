"""YAML export and import: refused files say every problem with its rule and field; round trips are exact."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest
import yaml

from bot.core.autoresponse import (
    DEFAULT_PRIVATE_COOLDOWN_SECONDS,
    MAX_IMPORT_BYTES,
    MAX_RULES_PER_GUILD,
    AnswerKind,
    ImportRejected,
    MatchMode,
    RuleDraft,
    RuleTrigger,
    export_rules,
    parse_import,
    validate_draft,
)

#: A file exported by the release before several triggers and answers (commit ac59f6b), kept byte
#: for byte: whatever the format becomes, what moderators saved then must still import.
OLDER_EXPORT = Path(__file__).resolve().parents[1] / "fixtures" / "autoresponses-v1.yaml"

# Stored rules are always cleaned drafts (trimmed, channels sorted): those are what an export holds.
TRICKY = [
    validate_draft(draft)
    for draft in [
        RuleDraft("hello", "Hi! Welcome 👋"),
        RuleDraft(
            "stem cell", "key: value # not a comment\n- not a list\n\nsecond paragraph", MatchMode.PHRASE
        ),
        RuleDraft("yes", "no", MatchMode.EXACT, channel_ids=(123456789012345678, 223456789012345678)),
        RuleDraft("null", "~", MatchMode.STARTS, cooldown_seconds=5, enabled=False),
        RuleDraft(r"ocre\w+ (?:a|b)*", "  indented\ttab 'quotes' \"double\"", MatchMode.REGEX),
        RuleDraft("*cell*", "0x1F", MatchMode.WILDCARD, cooldown_seconds=604800),
        RuleDraft("клиника", "Клиника: " + "длинный ответ " * 100, MatchMode.CONTAINS),
        RuleDraft("'quoted'", "@everyone <@123> is plain text here"),
        RuleDraft(
            "mri",
            "Hi {member}! See the pinned post in {channel}.",
            more_triggers=(
                RuleTrigger("magnetic resonance", MatchMode.PHRASE),
                RuleTrigger("lesion*", MatchMode.WILDCARD),
                RuleTrigger(r"gad\w+", MatchMode.REGEX),
            ),
            more_responses=("Hello again, {member}.", "---"),
            weights=(5, 2, 1),
            kind=AnswerKind.EMBED,
            title="Scans on {server}",
            link="https://example.org/mri?a=1&b=2",
            allowed_role_ids=(323456789012345678,),
            denied_role_ids=(423456789012345678, 523456789012345678),
        ),
        RuleDraft("thanks", "🙏", MatchMode.EXACT, kind=AnswerKind.REACTION, more_responses=("❤️",)),
        RuleDraft(
            "relapse",
            "A private note: talk it through with your MS team.",
            kind=AnswerKind.DM,
            cooldown_seconds=86_400,
        ),
    ]
]


def document(rules: Sequence[object], version: object = 1) -> str:
    return yaml.safe_dump({"version": version, "rules": list(rules)}, allow_unicode=True)


def good(index: int) -> dict[str, object]:
    return {"trigger": f"word{index}", "response": f"answer {index}"}


def test_export_then_import_round_trips_exactly() -> None:
    text = export_rules(TRICKY)
    drafts = parse_import(text)
    assert drafts == TRICKY
    assert export_rules(drafts) == text


def test_the_export_is_a_versioned_document() -> None:
    loaded = yaml.safe_load(export_rules(TRICKY[:1]))
    assert loaded == {
        "version": 2,
        "rules": [
            {
                "triggers": [{"text": "hello", "mode": "word"}],
                "answer": "reply",
                "responses": [{"text": "Hi! Welcome 👋", "weight": 1}],
                "title": "",
                "link": "",
                "channels": [],
                "roles": [],
                "except_roles": [],
                "cooldown_seconds": 60,
                "enabled": True,
            }
        ],
    }


def test_a_file_exported_by_the_previous_release_still_imports() -> None:
    drafts = parse_import(OLDER_EXPORT.read_bytes())
    assert [(d.trigger, d.mode, d.kind) for d in drafts] == [
        ("hello", MatchMode.WORD, AnswerKind.REPLY),
        ("stem cell", MatchMode.PHRASE, AnswerKind.REPLY),
        ("yes", MatchMode.EXACT, AnswerKind.REPLY),
        ("null", MatchMode.STARTS, AnswerKind.REPLY),
        (r"ocre\w+ (?:a|b)*", MatchMode.REGEX, AnswerKind.REPLY),
        ("*cell*", MatchMode.WILDCARD, AnswerKind.REPLY),
        ("клиника", MatchMode.CONTAINS, AnswerKind.REPLY),
        ("'quoted'", MatchMode.WORD, AnswerKind.REPLY),
    ]
    assert drafts == TRICKY[:8]  # the same rules, its 0-second cooldown raised to the minimum
    assert parse_import(export_rules(drafts)) == drafts


def test_an_older_file_below_the_minimum_cooldown_is_raised_and_the_current_one_refused() -> None:
    older = "version: 1\nrules:\n- trigger: hi\n  response: hello\n  cooldown_seconds: 2\n"
    assert parse_import(older)[0].cooldown_seconds == 5
    current = "version: 2\nrules:\n- triggers: [hi]\n  responses: [hello]\n  cooldown_seconds: 2\n"
    with pytest.raises(ImportRejected) as caught:
        parse_import(current)
    assert caught.value.problems == (
        "rule 1: cooldown_seconds: must be between 5 and 604,800 seconds (7 days)",
    )


def test_triggers_and_responses_may_be_written_as_plain_text() -> None:
    text = (
        "version: 2\nrules:\n"
        "- triggers: [mri, 'phrase: stem cell']\n"
        "  responses: [Hi!, Hello!]\n"
        "- triggers: [relapse]\n"
        "  answer: dm\n"
        "  responses: [A private note]\n"
    )
    first, second = parse_import(text)
    assert first.triggers == (RuleTrigger("mri"), RuleTrigger("stem cell", MatchMode.PHRASE))
    assert first.responses == ("Hi!", "Hello!") and first.weights == ()
    assert second.kind is AnswerKind.DM and second.cooldown_seconds == DEFAULT_PRIVATE_COOLDOWN_SECONDS


def test_problems_inside_triggers_and_responses_are_named_by_position() -> None:
    text = (
        "version: 2\nrules:\n"
        "- triggers: [{text: ok}, {text: '(?<=a)b', mode: regex}, {mode: word}, {text: x, colour: red}]\n"
        "  responses: [{text: fine, weight: 0}, {weight: 2}, [nested]]\n"
        "  answer: shout\n"
    )
    with pytest.raises(ImportRejected) as caught:
        parse_import(text)
    assert caught.value.problems == (
        "rule 1: trigger 3: text: missing",
        "rule 1: trigger 4: colour: unknown field",
        "rule 1: response 2: text: missing",
        "rule 1: response 3: must be text or a mapping of text and weight",
    )
    fixed = text.replace("{mode: word}, {text: x, colour: red}", "{text: z}").replace(
        ", {weight: 2}, [nested]", ""
    )
    with pytest.raises(ImportRejected) as caught:
        parse_import(fixed)
    assert caught.value.problems == (
        "rule 1: trigger 2: the regex engine (RE2) refused it: invalid perl operator: (?<=",
        "rule 1: answer: 'shout' is not a kind of answer; use one of reply, embed, reaction, dm",
        "rule 1: weights: each weight is a whole number from 1 to 100",
    )


def test_a_trigger_shared_by_two_rules_of_a_file_is_refused() -> None:
    text = (
        "version: 2\nrules:\n"
        "- triggers: [mri, scan]\n  responses: [one]\n"
        "- triggers: [lesion, SCAN]\n  responses: [two]\n"
    )
    with pytest.raises(ImportRejected) as caught:
        parse_import(text)
    assert caught.value.problems == ("rule 2: trigger 2: same trigger and mode as rule 1",)


def test_defaults_fill_missing_optional_fields() -> None:
    assert parse_import(document([good(1)])) == [RuleDraft("word1", "answer 1")]


@pytest.mark.parametrize(
    "text",
    ["rules: [\n  - trigger: a\n", "version: 1\nrules:\n - trigger: 'open", "\t- bad: indent\n", "{{{"],
)
def test_malformed_yaml_is_refused(text: str) -> None:
    with pytest.raises(ImportRejected) as caught:
        parse_import(text)
    assert caught.value.problems[0].startswith("the file is not valid YAML")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("- a\n- b\n", "must be a mapping"),
        ("version: 3\nrules: []\n", "version: must be 2 (or 1, from an older release)"),
        ("version: 1\nrules: nope\n", "rules: must be a list"),
        ("version: 1\nrules: []\nextra: 1\n", "extra: unknown top-level field"),
    ],
)
def test_the_document_shape_is_checked(text: str, problem: str) -> None:
    with pytest.raises(ImportRejected) as caught:
        parse_import(text)
    assert any(problem in line for line in caught.value.problems)


def test_one_bad_rule_among_fifty_is_reported_with_its_index_and_field() -> None:
    rules = [good(index) for index in range(1, 51)]
    rules[36] = {"trigger": "(?<=a)b", "response": "x", "mode": "regex"}
    with pytest.raises(ImportRejected) as caught:
        parse_import(document(rules))
    assert caught.value.problems == (
        "rule 37: trigger: the regex engine (RE2) refused it: invalid perl operator: (?<=",
    )


def test_every_problem_is_reported_at_once() -> None:
    rules = [
        good(1),
        {"trigger": "x" * 201, "response": "ok"},
        {"trigger": True, "response": "r" * 2001, "mode": "fuzzy"},
        {"response": "ok", "colour": "red"},
        {
            "trigger": "hi",
            "response": "ok",
            "cooldown_seconds": "soon",
            "channels": ["abc"],
            "enabled": "yes",
        },
        good(1),
        "just text",
    ]
    with pytest.raises(ImportRejected) as caught:
        parse_import(document(rules))
    assert caught.value.problems == (
        "rule 2: trigger: is 201 characters long; the limit is 200",
        "rule 3: mode: 'fuzzy' is not a match mode; use one of "
        + ", ".join(mode.value for mode in MatchMode),
        "rule 3: trigger: must be text (put it in quotes)",
        "rule 3: response: is 2,001 characters long; the limit is 2,000",
        "rule 4: colour: unknown field",
        "rule 4: trigger: missing",
        "rule 5: cooldown_seconds: must be a whole number of seconds",
        "rule 5: channels: 'abc' is not a channel id",
        "rule 5: enabled: must be true or false",
        "rule 6: trigger: same trigger and mode as rule 1",
        "rule 7: must be a mapping of trigger, mode, response, ...",
    )


def test_a_file_over_the_rule_limit_is_refused() -> None:
    rules = [good(index) for index in range(MAX_RULES_PER_GUILD + 1)]
    with pytest.raises(ImportRejected) as caught:
        parse_import(document(rules))
    assert caught.value.problems == ("the file holds 501 rules; a server may have at most 500",)


def test_a_file_over_one_megabyte_is_refused_before_parsing() -> None:
    text = "# " + "x" * MAX_IMPORT_BYTES + "\nversion: 1\nrules: []\n"
    with pytest.raises(ImportRejected) as caught:
        parse_import(text.encode())
    assert "the limit is 1,000,000 bytes" in caught.value.problems[0]


def test_bytes_that_are_not_utf8_are_refused() -> None:
    with pytest.raises(ImportRejected) as caught:
        parse_import(b"version: 1\nrules: [\xff]\n")
    assert caught.value.problems == ("the file is not UTF-8 text",)


def test_the_message_is_capped_but_every_problem_is_kept() -> None:
    rules = [{"trigger": "", "response": "ok"} for _ in range(80)]
    with pytest.raises(ImportRejected) as caught:
        parse_import(document(rules))
    assert len(caught.value.problems) == 80
    assert caught.value.message.endswith("... and 30 more")


def test_anchors_and_aliases_are_refused_before_anything_expands() -> None:
    """A "billion laughs" file: a few hundred bytes that would expand to gigabytes if resolved."""
    levels = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    levels += [f"a{n}: &a{n} [{', '.join(['*a' + str(n - 1)] * 10)}]" for n in range(1, 10)]
    rule = "\nrules:\n  - trigger: hi\n    response: hello\n    mode: *a9\n"
    text = "version: 1\n" + "\n".join(levels) + rule
    assert len(text) < 1_000
    with pytest.raises(ImportRejected) as caught:
        parse_import(text)
    assert any("anchors or aliases" in problem for problem in caught.value.problems)


def test_a_structured_value_in_a_scalar_field_is_named_briefly() -> None:
    huge_list = "[" + ", ".join(["x"] * 5000) + "]"
    text = f"version: 1\nrules:\n  - trigger: hi\n    response: hello\n    mode: {huge_list}\n"
    with pytest.raises(ImportRejected) as caught:
        parse_import(text)
    [problem] = caught.value.problems
    assert problem.startswith("rule 1: mode: a list is not a match mode") and len(problem) < 200


def test_an_export_never_uses_anchors_even_for_shared_values() -> None:
    channels = (111_111_111_111_111_111, 222_222_222_222_222_222)
    drafts = [RuleDraft(f"word{n}", "hello", channel_ids=channels) for n in range(3)]
    text = export_rules(drafts)
    assert "&" not in text and "*" not in text
    assert parse_import(text) == drafts
