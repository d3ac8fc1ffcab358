"""What a change to a server's rules may do, decided without storage: add, edit, import, audit rows."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.core.autoresponse import (
    MAX_RULES_PER_GUILD,
    ImportMode,
    ImportReport,
    MatchMode,
    Rule,
    RuleAction,
    RuleDraft,
    RuleRejected,
    StepKind,
    check_before_response,
    plan_add,
    plan_edit,
    plan_import,
)
from bot.core.autoresponse.changes import (
    added_entry,
    edited_entry,
    find_rule,
    imported_entry,
    removed_entry,
)
from bot.core.modlog import ACTION_TITLES
from bot.errors import InvalidInput, NotFound

GUILD = 1
MODERATOR = 42
NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def stored(number: int, trigger: str, response: str = "x", mode: MatchMode = MatchMode.WORD) -> Rule:
    return Rule(GUILD, number, RuleDraft(trigger, response, mode), MODERATOR, NOW, MODERATOR, NOW)


def many(count: int) -> list[Rule]:
    return [stored(n, f"word{n}") for n in range(1, count + 1)]


# --- reading ---


def test_an_unknown_number_is_not_found_with_a_sentence_for_the_moderator() -> None:
    assert find_rule([stored(1, "a"), stored(3, "b")], 3).trigger == "b"
    with pytest.raises(NotFound, match=r"There is no auto-response #9 on this server\."):
        find_rule([stored(1, "a")], 9)


# --- one rule ---


def test_an_added_draft_is_stored_cleaned() -> None:
    assert plan_add([], RuleDraft("  Hello ", " Hi! ", channel_ids=(3, 2, 3))) == RuleDraft(
        "Hello", "Hi!", channel_ids=(2, 3)
    )


def test_a_server_at_the_limit_takes_no_more_rules() -> None:
    assert plan_add(many(MAX_RULES_PER_GUILD - 1), RuleDraft("one more", "x")).trigger == "one more"
    with pytest.raises(InvalidInput, match=f"already has {MAX_RULES_PER_GUILD} auto-responses"):
        plan_add(many(MAX_RULES_PER_GUILD), RuleDraft("one more", "x"))


def test_a_duplicate_points_to_the_rule_to_edit_and_another_mode_is_another_rule() -> None:
    existing = [stored(4, "Hello")]
    with pytest.raises(InvalidInput, match="#4 already answers “Hello” in word mode; edit that one instead"):
        plan_add(existing, RuleDraft("  HELLO ", "y"))
    assert plan_add(existing, RuleDraft("hello", "y", MatchMode.EXACT)).mode is MatchMode.EXACT


def test_an_invalid_draft_names_its_fields() -> None:
    with pytest.raises(RuleRejected) as caught:
        plan_add([], RuleDraft("(?<=a)b", "", MatchMode.REGEX))
    assert [problem.field for problem in caught.value.problems] == ["trigger", "response"]


def test_a_trigger_is_checked_before_the_response_is_written() -> None:
    check_before_response(RuleDraft("hello", ""))  # no response yet: not a problem here
    with pytest.raises(RuleRejected) as caught:
        check_before_response(RuleDraft("x" * 201, ""))
    assert [problem.field for problem in caught.value.problems] == ["trigger"]


def test_an_edit_that_changes_nothing_plans_nothing() -> None:
    rule = stored(1, "hello", "Hi!")
    assert plan_edit([rule], rule, RuleDraft(" hello ", "Hi! ")) is None
    assert plan_edit([rule], rule, RuleDraft("hello", "Hello!")) == RuleDraft("hello", "Hello!")


def test_an_edit_may_keep_its_own_key_but_not_take_another_rules() -> None:
    first, second = stored(1, "hello"), stored(2, "bye")
    assert plan_edit([first, second], first, RuleDraft("HELLO", "new")) == RuleDraft("HELLO", "new")
    with pytest.raises(InvalidInput, match="#2 already answers"):
        plan_edit([first, second], first, RuleDraft("Bye", "x"))


# --- imports ---


def test_a_merge_updates_by_trigger_and_mode_keeps_equal_rules_and_adds_the_rest_in_file_order() -> None:
    hello, bye = stored(1, "hello", "old"), stored(2, "bye", "about bye")
    drafts = [RuleDraft("HELLO", "new answer"), RuleDraft("bye", "about bye"), RuleDraft("mri*", "scan")]
    plan = plan_import([hello, bye], drafts, "merge")
    assert [step.kind for step in plan.steps] == [StepKind.UPDATE, StepKind.KEEP, StepKind.ADD]
    assert plan.update == ((hello, RuleDraft("HELLO", "new answer")),)
    assert plan.keep == (bye,)
    assert plan.add == (RuleDraft("mri*", "scan"),)
    assert plan.remove == ()


def test_a_replace_removes_every_rule_and_adds_the_file_in_order() -> None:
    existing = [stored(1, "a1"), stored(2, "b2")]
    plan = plan_import(existing, [RuleDraft("new", "x"), RuleDraft("b2", "y")], ImportMode.REPLACE)
    assert plan.remove == tuple(existing)
    assert plan.add == (RuleDraft("new", "x"), RuleDraft("b2", "y"))
    assert plan.update == () and plan.keep == ()


def test_a_merge_may_not_take_the_server_past_its_limit() -> None:
    existing = many(MAX_RULES_PER_GUILD - 1)
    fits = [RuleDraft("word1", "changed"), RuleDraft("fresh", "x")]  # one update, one new rule
    assert len(plan_import(existing, fits, ImportMode.MERGE).add) == 1
    with pytest.raises(InvalidInput, match=f"would have {MAX_RULES_PER_GUILD + 1} auto-responses"):
        plan_import(existing, [*fits, RuleDraft("fresher", "x")], ImportMode.MERGE)


def test_a_replace_may_hold_at_most_the_limit() -> None:
    drafts = [RuleDraft(f"word{n}", "x") for n in range(MAX_RULES_PER_GUILD + 1)]
    with pytest.raises(InvalidInput, match=f"at most {MAX_RULES_PER_GUILD} rules"):
        plan_import([], drafts, ImportMode.REPLACE)


@pytest.mark.parametrize("mode", list(ImportMode))
def test_a_file_with_one_rule_twice_or_a_bad_rule_is_refused_whole(mode: ImportMode) -> None:
    with pytest.raises(InvalidInput, match="two rules with the same trigger and mode"):
        plan_import([], [RuleDraft("hi", "x"), RuleDraft(" HI ", "y")], mode)
    with pytest.raises(RuleRejected):
        plan_import([], [RuleDraft("ok", "x"), RuleDraft("(", "x", MatchMode.REGEX)], mode)


def test_the_summary_is_one_set_of_counts_for_the_log_and_the_reply() -> None:
    merge = ImportReport(ImportMode.MERGE, added=(3,), updated=(1,), unchanged=(2, 4), removed=0).summary
    assert merge.audit_view() == {"mode": "merge", "added": 1, "updated": 1, "unchanged": 2, "removed": 0}
    assert merge.tally() == "1 added, 1 updated, 2 unchanged"
    replace = ImportReport(ImportMode.REPLACE, added=(1, 2), updated=(), unchanged=(), removed=3).summary
    assert replace.tally() == "2 added, 0 updated, 0 unchanged, 3 removed first"


# --- audit rows ---


def test_audit_rows_name_the_rule_and_hold_what_changed() -> None:
    rule = stored(7, "hello", "Hi")
    added = added_entry(rule, MODERATOR, NOW)
    assert (added.action, added.target, added.before, added.after) == (
        "autoresponse.add",
        "#7",
        None,
        rule.audit_view(),
    )
    removed = removed_entry(rule, 9, NOW)
    assert (removed.action, removed.actor_id, removed.before, removed.after) == (
        "autoresponse.remove",
        9,
        rule.audit_view(),
        None,
    )
    edited = edited_entry(
        GUILD, 7, rule.draft, rule.draft.with_changes(response="Hello", enabled=False), 9, NOW
    )
    assert (edited.action, edited.target) == ("autoresponse.edit", "#7")
    assert (edited.before, edited.after) == (
        {"response": "Hi", "enabled": True},
        {"response": "Hello", "enabled": False},
    )
    summary = ImportReport(ImportMode.REPLACE, (1,), (), (), 2).summary
    imported = imported_entry(GUILD, summary, MODERATOR, NOW)
    assert (imported.action, imported.target, imported.after) == (
        "autoresponse.import",
        "replace",
        summary.audit_view(),
    )


def test_every_rule_action_has_a_mod_log_title() -> None:
    """A new kind of change without a title would be reported under a made-up one."""
    assert {action.value for action in RuleAction} <= set(ACTION_TITLES)
