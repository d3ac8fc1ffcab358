"""Auto-response rules: each match mode, validation and limits, hostile regexes, the answer order."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.core.autoresponse import (
    MAX_RESPONSE_LENGTH,
    MAX_TRIGGER_LENGTH,
    MODE_ORDER,
    MatchMode,
    Rule,
    RuleBook,
    RuleDraft,
    RuleRejected,
    Verdict,
    check_draft,
    matches,
    rule_triggers,
    select_rule,
    validate_draft,
)
from bot.core.autoresponse import selection as answer_order
from bot.core.clock import FakeClock
from bot.core.scanning import ClinicWatchSettings, ClinicWordLists, MessageScanner

M = MatchMode
GUILD = 1
CHANNEL = 10
OTHER_CHANNEL = 11
NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def make_rule(number: int, trigger: str, mode: MatchMode = M.WORD, **fields: object) -> Rule:
    draft = validate_draft(RuleDraft(trigger=trigger, response=f"answer {number}", mode=mode, **fields))  # type: ignore[arg-type]
    return Rule(GUILD, number, draft, author_id=7, created_at=NOW, updated_by=7, updated_at=NOW)


def never_fired(number: int) -> datetime | None:
    return None


# --- each mode, as the bot decides (set pattern, then the Unicode check on non-ASCII text) ---


EXAMPLES = [
    # word: whole words, case-insensitive, accents ignored, Unicode-aware edges
    (M.WORD, "hello", "Hello there!", True),
    (M.WORD, "hello", "HELLO", True),
    (M.WORD, "hello", "othello said", False),
    (M.WORD, "hello", "hellooo", False),
    (M.WORD, "hello", "(hello)", True),
    (M.WORD, "hello", "hello😀", True),
    (M.WORD, "hello", "😀hello", True),
    (M.WORD, "good morning", "Good   morning all", True),
    (M.WORD, "good morning", "good-morning", False),
    (M.WORD, "clínica", "Una CLINICA cerca", True),
    (M.WORD, "clinica", "una clínica", True),
    (M.WORD, "hsct", "hsctклиника", False),
    (M.WORD, "hsct", "hsct, клиника", True),
    (M.WORD, "клиника", "Клиника рядом", True),
    (M.WORD, "клиника", "поликлиника", False),
    (M.WORD, "c++", "I code c++ daily", True),
    (M.WORD, "don't", "I DON’T know", True),
    (M.WORD, "❤", "love ❤️ you", True),
    # phrase: words in a row, joined by spaces, hyphens, dots ... or nothing
    (M.PHRASE, "stem cell", "a Stem-Cell clinic", True),
    (M.PHRASE, "stem cell", "stem\n\ncell", True),
    (M.PHRASE, "stem cell", "stemcell", True),
    (M.PHRASE, "stem cell", "stem cells", False),
    (M.PHRASE, "stem cell", "system cell", False),
    (M.PHRASE, "stem-cell!", "stem cell", True),
    # contains: anywhere, even inside words
    (M.CONTAINS, "cell", "stemcells", True),
    (M.CONTAINS, "🎉", "party🎉time", True),
    (M.CONTAINS, "❤️", "love ❤", True),
    (M.CONTAINS, "a.b", "axb", False),
    # starts: at the start, past spaces, punctuation, Markdown and emoji; the trigger a whole word
    (M.STARTS, "hi", "Hi all", True),
    (M.STARTS, "hi", "  **hi** all", True),
    (M.STARTS, "hi", "👋 hi", True),
    (M.STARTS, "hi", "oh hi", False),
    (M.STARTS, "hi", "hiking", False),
    (M.STARTS, "!help", "!help me", True),
    (M.STARTS, "hi", "яhi", False),
    # exact: the whole message, ignoring case, surrounding spaces, punctuation and emoji
    (M.EXACT, "thanks", "  Thanks!! ", True),
    (M.EXACT, "thanks", "thanks 🙏", True),
    (M.EXACT, "thanks", "thanks all", False),
    (M.EXACT, "thank you", "thank\n you.", True),
    (M.EXACT, "thanks", "", False),
    # wildcard: `*` is any run of word letters (any script), at either end or inside
    (M.WILDCARD, "mri*", "MRIs today", True),
    (M.WILDCARD, "mri*", "mri", True),
    (M.WILDCARD, "mri*", "an fmri", False),
    (M.WILDCARD, "*cell", "stemcell", True),
    (M.WILDCARD, "*cell", "cells", False),
    (M.WILDCARD, "*cell*", "stemcells!", True),
    (M.WILDCARD, "*cell*", "стемcellы", True),
    (M.WILDCARD, "st*cell", "stemcell", True),
    (M.WILDCARD, "st*cell", "stемcell", True),
    (M.WILDCARD, "st*cell", "stem cell", False),
    (M.WILDCARD, "hsct*", "hsct-клиника", True),
    # regex: RE2 syntax, case-insensitive, on the folded text
    (M.REGEX, r"ocre\w+", "OCREVUS works", True),
    (M.REGEX, r"^\d{3}$", "123", True),
    (M.REGEX, "clínica", "CLINICA", True),
    (M.REGEX, "x{2,}", "x", False),
]


@pytest.mark.parametrize(("mode", "trigger", "text", "expected"), EXAMPLES)
def test_each_mode(mode: MatchMode, trigger: str, text: str, expected: bool) -> None:
    assert matches(mode, trigger, text) is expected


def test_every_mode_has_examples_that_match_and_that_do_not() -> None:
    """A new match mode needs its rows in EXAMPLES before it can ship."""
    for mode in MatchMode:
        assert {expected for m, _, _, expected in EXAMPLES if m is mode} == {True, False}, mode


def test_the_readmes_describe_every_mode_in_the_answer_order() -> None:
    """The mode table and the answer order in the READMEs (and selection's docstring) copy `MatchMode`."""
    project_root = Path(__file__).resolve().parents[2]
    feature = (project_root / "bot" / "core" / "autoresponse" / "README.md").read_text("utf-8")
    for mode in MatchMode:
        assert f"\n| `{mode.value}`" in feature, mode
    assert " > ".join(f"`{mode.value}`" for mode in MODE_ORDER) in feature
    assert " > ".join(mode.value for mode in MODE_ORDER) in " ".join((answer_order.__doc__ or "").split())
    project = (project_root / "README.md").read_text("utf-8")
    assert all(f"`{mode.value}`" in project for mode in MatchMode)


def test_custom_emoji_and_mentions_are_not_text() -> None:
    """Discord markup is blanked before matching, as for the clinic caution."""
    assert not matches(M.CONTAINS, "party", "<:party:123456789012345678>")
    assert matches(M.WORD, "hello", "<@123456> hello")


def test_the_scanner_reports_rule_numbers_in_its_single_pass() -> None:
    scanner = MessageScanner(ClinicWordLists(clinic=("clinic",), context=("hsct",)), FakeClock(NOW))
    scanner.set_settings(ClinicWatchSettings(GUILD, enabled=False))
    rules = [make_rule(1, "hello"), make_rule(2, "mri*", M.WILDCARD), make_rule(3, "hello there", M.EXACT)]
    scanner.set_rule_triggers(GUILD, [t for rule in rules for t in rule_triggers(rule)])
    assert scanner.scan(GUILD, CHANNEL, "Hello there").rule_labels == ("1", "3")
    assert scanner.scan(GUILD, CHANNEL, "MRIs!").rule_labels == ("2",)
    assert scanner.preview(GUILD, "hello").rule_labels == ("1",)
    assert scanner.builds == 1


# --- validation ---


def test_a_valid_draft_is_cleaned() -> None:
    draft = validate_draft(
        RuleDraft(trigger="  Hello ", response=" Hi! ", mode="phrase", channel_ids=(3, 2, 3))  # type: ignore[arg-type]
    )
    assert draft == RuleDraft(trigger="Hello", response="Hi!", mode=M.PHRASE, channel_ids=(2, 3))


@pytest.mark.parametrize(
    ("draft", "field", "words"),
    [
        (RuleDraft("x" * (MAX_TRIGGER_LENGTH + 1), "ok"), "trigger", "limit is 200"),
        (RuleDraft("hello", "x" * (MAX_RESPONSE_LENGTH + 1)), "response", "limit is 2,000"),
        (RuleDraft("", "ok"), "trigger", "empty"),
        (RuleDraft("hello", "   "), "response", "empty"),
        (RuleDraft("hello", "ok", mode="fuzzy"), "mode", "not a match mode"),  # type: ignore[arg-type]
        (RuleDraft("hello", "ok", cooldown_seconds=-1), "cooldown_seconds", "between"),
        (RuleDraft("hello", "ok", cooldown_seconds=8 * 86400), "cooldown_seconds", "between"),
        (RuleDraft("hello", "ok", channel_ids=tuple(range(1, 30))), "channels", "at most"),
        (RuleDraft("hello", "ok", channel_ids=(-5,)), "channels", "not a channel id"),
        (RuleDraft("<:party:123>", "ok"), "trigger", "nothing to match"),
        (RuleDraft("***", "ok", mode=M.WILDCARD), "trigger", "letter or digit"),
        (RuleDraft("!!!", "ok", mode=M.PHRASE), "trigger", "at least one word"),
        (RuleDraft(".*", "ok", mode=M.REGEX), "trigger", "empty message"),
    ],
)
def test_invalid_drafts_name_the_field(draft: RuleDraft, field: str, words: str) -> None:
    with pytest.raises(RuleRejected) as caught:
        validate_draft(draft)
    assert [problem.field for problem in caught.value.problems] == [field]
    assert words in caught.value.message


def test_every_problem_is_reported_at_once() -> None:
    _, problems = check_draft(RuleDraft("", "", cooldown_seconds=-1, enabled="yes"))  # type: ignore[arg-type]
    assert [p.field for p in problems] == ["trigger", "response", "cooldown_seconds", "enabled"]


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        ("(?<=a)b", "invalid perl operator: (?<="),
        (r"(a)\1", r"invalid escape sequence: \1"),
        ("(?=x)y", "invalid perl operator: (?="),
        ("a{2000}", "invalid repetition size: {2000}"),
        ("(unclosed", "missing ): (unclosed"),
    ],
)
def test_patterns_re2_refuses_are_refused_with_its_reason(pattern: str, reason: str) -> None:
    with pytest.raises(RuleRejected) as caught:
        validate_draft(RuleDraft(pattern, "ok", mode=M.REGEX))
    assert caught.value.problems[0].field == "trigger"
    assert caught.value.message == f"trigger: the regex engine (RE2) refused it: {reason}"


@pytest.mark.parametrize("pattern", ["(a+)+$", "(x|x)*y", "(.*a){20}", r"(\w+\s?)+$", "a.{200}b"])
def test_catastrophic_patterns_finish_on_long_inputs(pattern: str) -> None:
    """Backtracking engines take years on these; RE2 is linear. The bound is a sanity check only."""
    rules = [make_rule(1, pattern, M.REGEX), make_rule(2, "hello")]
    scanner = MessageScanner(ClinicWordLists(clinic=("clinic",), context=("hsct",)), FakeClock(NOW))
    scanner.set_rule_triggers(GUILD, [t for rule in rules for t in rule_triggers(rule)])
    inputs = ["a" * 10_000 + "!", "x" * 10_000, "ab" * 5_000 + " hello", "a " * 5_000]
    began = time.perf_counter()
    results = [scanner.scan(GUILD, CHANNEL, text).rule_labels for text in inputs]
    assert time.perf_counter() - began < 1.0
    assert "2" in results[2]  # the other rules in the set still answer


# --- the answer order ---


def test_the_more_specific_mode_answers_first() -> None:
    rules = [
        make_rule(1, "hel*", M.WILDCARD),
        make_rule(2, "hello", M.CONTAINS),
        make_rule(3, "hello", M.REGEX),
        make_rule(4, "hello"),
        make_rule(5, "hello", M.PHRASE),
        make_rule(6, "hello", M.STARTS),
        make_rule(7, "hello", M.EXACT),
    ]
    selection = select_rule(rules, text="hello", channel_id=CHANNEL, now=NOW, last_fired=never_fired)
    assert selection.winner is not None and selection.winner.rule is rules[6]
    assert [c.rule.number for c in selection.candidates] == [7, 6, 5, 4, 1, 2, 3]
    assert all(c.verdict is Verdict.OUTRANKED for c in selection.candidates[1:])
    assert "exact goes before starts" in selection.candidates[1].explanation()


def test_overlapping_triggers_the_longer_one_wins() -> None:
    short, long_ = make_rule(3, "stem"), make_rule(5, "stem cell")
    selection = select_rule(
        [short, long_], text="stem cell", channel_id=CHANNEL, now=NOW, last_fired=never_fired
    )
    assert selection.winner is not None and selection.winner.rule is long_
    assert "its trigger is longer" in selection.candidates[1].explanation()


def test_equal_triggers_the_lower_number_wins() -> None:
    older, newer = make_rule(3, "stem"), make_rule(4, "cell")
    selection = select_rule(
        [newer, older], text="stem cell", channel_id=CHANNEL, now=NOW, last_fired=never_fired
    )
    assert selection.winner is not None and selection.winner.rule is older
    assert selection.candidates[1].explanation() == (
        "#4 (word “cell”) matches but #3 goes first: it is the older rule."
    )


def test_ineligible_rules_step_aside_for_the_next() -> None:
    disabled = make_rule(1, "hello", M.EXACT, enabled=False)
    elsewhere = make_rule(2, "hello", M.STARTS, channel_ids=(OTHER_CHANNEL,))
    cooling = make_rule(3, "hello", M.PHRASE, cooldown_seconds=60)
    fallback = make_rule(4, "hello")

    def last_fired(number: int) -> datetime | None:
        return NOW - timedelta(seconds=20) if number == 3 else None

    selection = select_rule(
        [fallback, cooling, elsewhere, disabled],
        text="hello",
        channel_id=CHANNEL,
        now=NOW,
        last_fired=last_fired,
    )
    assert selection.winner is not None and selection.winner.rule is fallback
    assert [c.verdict for c in selection.candidates] == [
        Verdict.DISABLED,
        Verdict.OTHER_CHANNEL,
        Verdict.COOLING_DOWN,
        Verdict.ANSWERS,
    ]
    assert "40 more seconds" in selection.candidates[2].explanation()


def test_a_scoped_rule_answers_in_threads_of_its_channel() -> None:
    rule = make_rule(1, "hello", channel_ids=(CHANNEL,))
    selection = select_rule(
        [rule], text="hello", channel_id=999, parent_channel_id=CHANNEL, now=NOW, last_fired=never_fired
    )
    assert selection.winner is not None and selection.winner.rule is rule


def test_an_ascii_hit_inside_a_foreign_word_is_not_an_answer() -> None:
    rule = make_rule(1, "hsct")
    selection = select_rule([rule], text="hsctклиника", channel_id=CHANNEL, now=NOW, last_fired=never_fired)
    assert selection.winner is None
    assert selection.candidates[0].verdict is Verdict.NOT_A_WORD


def test_the_rule_book_takes_the_cooldown_per_rule_and_channel() -> None:
    book = RuleBook()
    rules = [make_rule(1, "hello", cooldown_seconds=30)]
    assert [t.label for t in book.set_rules(GUILD, rules)] == ["1"]
    first = book.choose(GUILD, ["1"], text="hello", channel_id=CHANNEL, now=NOW)
    again = book.choose(GUILD, ["1"], text="hello", channel_id=CHANNEL, now=NOW + timedelta(seconds=10))
    elsewhere = book.choose(GUILD, ["1"], text="hello", channel_id=OTHER_CHANNEL, now=NOW)
    later = book.choose(GUILD, ["1"], text="hello", channel_id=CHANNEL, now=NOW + timedelta(seconds=30))
    assert first.winner is not None and again.winner is None and elsewhere.winner is not None
    assert later.winner is not None


def test_a_dry_run_takes_no_cooldown() -> None:
    book = RuleBook()
    book.set_rules(GUILD, [make_rule(1, "hello")])
    for _ in range(2):
        assert book.choose(GUILD, ["1"], text="hello", channel_id=CHANNEL, now=NOW, dry_run=True).winner
    assert book.cooldowns.last(GUILD, 1, CHANNEL) is None


def test_unknown_labels_and_servers_answer_nothing() -> None:
    book = RuleBook()
    book.set_rules(GUILD, [make_rule(1, "hello")])
    assert book.choose(GUILD, ["9"], text="hello", channel_id=CHANNEL, now=NOW).winner is None
    assert book.choose(2, ["1"], text="hello", channel_id=CHANNEL, now=NOW).winner is None
