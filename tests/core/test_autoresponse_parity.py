"""Auto-responses at parity with the bots moderators know: several triggers per rule, who may trigger a
rule (roles, ignored members), and answers (picked responses, embeds, reactions, private messages)."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from bot.core.autoresponse import (
    MAX_RESPONSES_PER_RULE,
    MAX_TRIGGERS_PER_RULE,
    AnswerKind,
    Audience,
    MatchMode,
    Placeholders,
    Rule,
    RuleBook,
    RuleDraft,
    RuleRejected,
    RuleTrigger,
    TriggerHit,
    Verdict,
    fill_placeholders,
    pick_response,
    plan_add,
    render_answer,
    rule_triggers,
    select_rule,
    validate_draft,
)
from bot.core.autoresponse.answers import RuleAnswer
from bot.core.autoresponse.changes import filter_rules
from bot.core.clock import FakeClock
from bot.core.scanning import ClinicWatchSettings, ClinicWordLists, MessageScanner
from bot.errors import InvalidInput

M = MatchMode
GUILD = 1
CHANNEL = 10
OTHER_CHANNEL = 11
HELPERS, NEWCOMERS, EVERYONE = 100, 101, GUILD
NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Role:
    id: int


@dataclass
class Member:
    """A message author as the rule book sees one (discord.py's `Member` has the same names).

    `role_reads` counts how often the roles were asked for, to prove they are read only after a match.
    """

    id: int
    display_name: str
    role_ids: tuple[int, ...] = ()
    role_reads: int = field(default=0, init=False)

    @property
    def roles(self) -> list[Role]:
        self.role_reads += 1
        return [Role(EVERYONE), *(Role(role) for role in self.role_ids)]

    def get_role(self, role_id: int, /) -> Role | None:
        self.role_reads += 1
        return Role(role_id) if role_id in (EVERYONE, *self.role_ids) else None


ANA = Member(1001, "ana", (HELPERS,))
BOB = Member(1002, "bob", (NEWCOMERS,))


def rule(number: int, trigger: str = "hello", mode: MatchMode = M.WORD, **fields: object) -> Rule:
    draft = validate_draft(RuleDraft(trigger, f"answer {number}", mode, **fields))  # type: ignore[arg-type]
    return Rule(GUILD, number, draft, author_id=7, created_at=NOW, updated_by=7, updated_at=NOW)


def stored(number: int, draft: RuleDraft) -> Rule:
    return Rule(GUILD, number, validate_draft(draft), 7, NOW, 7, NOW)


def book_with(*rules: Rule, seed: int = 1) -> RuleBook:
    book = RuleBook(rng=random.Random(seed))
    book.set_rules(GUILD, rules)
    return book


def answer(book: RuleBook, labels: list[str], text: str = "hello", **kwargs: object) -> RuleAnswer | None:
    options: dict[str, object] = {"channel_id": CHANNEL, "now": NOW} | kwargs
    return book.answer(GUILD, labels, text=text, **options)  # type: ignore[arg-type]


# --- several triggers per rule -----------------------------------------------------------------------


def test_every_trigger_of_a_rule_is_in_the_scanners_one_pass() -> None:
    multi = rule(
        1, "mri", more_triggers=(RuleTrigger("stem cell", M.PHRASE), RuleTrigger("lesion*", M.WILDCARD))
    )
    assert [t.label for t in rule_triggers(multi)] == ["1", "1.2", "1.3"]
    scanner = MessageScanner(ClinicWordLists(clinic=("clinic",), context=("hsct",)), FakeClock(NOW))
    scanner.set_settings(ClinicWatchSettings(GUILD, enabled=False))
    book = book_with(multi, rule(2, "scan"))
    scanner.set_rule_triggers(GUILD, book.set_rules(GUILD, [multi, rule(2, "scan")]))
    assert scanner.scan(GUILD, CHANNEL, "Stem-cell talk").rule_labels == ("1.2",)
    assert scanner.scan(GUILD, CHANNEL, "lesions on my MRI scan").rule_labels == ("1", "1.3", "2")
    assert scanner.builds == 1


def test_the_answer_names_the_trigger_that_found_it() -> None:
    multi = rule(1, "mri", more_triggers=(RuleTrigger("my scan", M.EXACT), RuleTrigger("scan", M.WORD)))
    book = book_with(multi)
    found = answer(book, ["1.3", "1.2"], text="my scan")
    assert found is not None and found.position == 2 and found.trigger == RuleTrigger("my scan", M.EXACT)
    selection = book.choose(GUILD, ["1.3", "1.2"], text="my scan", channel_id=OTHER_CHANNEL, now=NOW)
    assert selection.explanation() == ["#1 (trigger 2 of 3: exact “my scan”) answers."]


def test_a_rule_ranks_by_its_best_trigger_among_other_rules() -> None:
    wide = rule(1, "scan", more_triggers=(RuleTrigger("scan results", M.EXACT),))
    phrase = rule(2, "scan results", M.PHRASE)
    selection = select_rule(
        [TriggerHit(wide, 1), TriggerHit(wide, 2), TriggerHit(phrase, 1)],
        text="scan results",
        channel_id=CHANNEL,
        now=NOW,
        last_fired=lambda number: None,
    )
    assert selection.winner == TriggerHit(wide, 2)
    assert [c.rule.number for c in selection.candidates] == [1, 2]  # each rule once


def test_a_trigger_inside_a_foreign_word_gives_way_to_another_trigger_of_the_rule() -> None:
    multi = rule(1, "hsct", M.EXACT, more_triggers=(RuleTrigger("клиника"),))
    found = answer(book_with(multi), ["1", "1.2"], text="hsctклиника клиника")
    assert found is not None and found.position == 2


def test_triggers_are_limited_and_never_shared() -> None:
    many = tuple(RuleTrigger(f"word{n}") for n in range(MAX_TRIGGERS_PER_RULE))
    with pytest.raises(RuleRejected) as caught:
        validate_draft(RuleDraft("first", "x", more_triggers=many))
    assert [p.field for p in caught.value.problems] == ["triggers"]
    with pytest.raises(RuleRejected) as caught:
        validate_draft(RuleDraft("Scan", "x", more_triggers=(RuleTrigger("mri"), RuleTrigger(" SCAN "))))
    assert [str(p) for p in caught.value.problems] == ["trigger 3: the same as trigger 1 (word “SCAN”)"]
    existing = [rule(4, "mri", more_triggers=(RuleTrigger("scan"),))]
    with pytest.raises(InvalidInput, match="#4 already answers “scan” in word mode"):
        plan_add(existing, RuleDraft("lesion", "x", more_triggers=(RuleTrigger("Scan"),)))


# --- who may trigger a rule ----------------------------------------------------------------------


def test_a_rule_for_some_roles_answers_their_members_only() -> None:
    book = book_with(rule(1, allowed_role_ids=(HELPERS,), cooldown_seconds=5))
    assert answer(book, ["1"], author=ANA) is not None
    assert answer(book, ["1"], author=BOB, channel_id=OTHER_CHANNEL) is None
    assert answer(book, ["1"], channel_id=OTHER_CHANNEL) is None  # nobody known: no role


def test_a_rule_leaving_a_role_out_never_answers_its_members() -> None:
    book = book_with(rule(1, denied_role_ids=(NEWCOMERS,)))
    assert answer(book, ["1"], author=BOB) is None
    assert answer(book, ["1"], author=ANA) is not None


def test_a_member_left_out_lets_the_next_rule_answer() -> None:
    helpers_only = rule(1, "hello there", M.PHRASE, allowed_role_ids=(HELPERS,))
    everyone = rule(2, "hello")
    found = answer(book_with(helpers_only, everyone), ["1", "2"], text="hello there", author=BOB)
    assert found is not None and found.rule.number == 2


def test_an_ignored_member_is_never_answered() -> None:
    book = book_with(rule(1), rule(2, "hi", M.EXACT))
    book.set_ignored(GUILD, [BOB.id])
    assert answer(book, ["1"], author=BOB) is None
    assert answer(book, ["1", "2"], text="hello hi", author=BOB) is None
    assert answer(book, ["1"], author=ANA) is not None
    book.set_ignored(GUILD, [])
    assert answer(book, ["1"], author=BOB, channel_id=OTHER_CHANNEL) is not None


def test_roles_are_read_only_after_a_rule_with_roles_matched() -> None:
    """The per-message path never touches the member: most messages match nothing."""
    member = Member(1003, "cai", (HELPERS,))
    book = book_with(rule(1), rule(2, "scoped", allowed_role_ids=(HELPERS,)))
    assert answer(book, ["1"], author=member) is not None
    assert member.role_reads == 0
    assert answer(book, ["2"], text="scoped", author=member) is not None
    assert member.role_reads >= 1


def test_the_dry_run_explains_each_member_decision() -> None:
    rules = [
        rule(1, "hello", M.EXACT, allowed_role_ids=(HELPERS,)),
        rule(2, "hello", M.STARTS, denied_role_ids=(NEWCOMERS,)),
        rule(3, "hello"),
    ]
    bob = Audience("bob", frozenset({EVERYONE, NEWCOMERS}))
    selection = select_rule(
        rules, text="hello", channel_id=CHANNEL, now=NOW, last_fired=lambda n: None, audience=bob
    )
    assert [c.verdict for c in selection.candidates] == [
        Verdict.ROLE_MISSING,
        Verdict.ROLE_EXCLUDED,
        Verdict.ANSWERS,
    ]
    assert selection.explanation()[:2] == [
        f"#1 (exact “hello”) would answer, but bob has none of its roles (<@&{HELPERS}>).",
        f"#2 (starts “hello”) would answer, but bob has a role it leaves out (<@&{NEWCOMERS}>).",
    ]
    ignored = Audience("bob", frozenset(), ignored=True)
    quiet = select_rule(
        rules[2:], text="hello", channel_id=CHANNEL, now=NOW, last_fired=lambda n: None, audience=ignored
    )
    assert quiet.winner is None
    assert quiet.explanation() == [
        "#3 (word “hello”) would answer, but bob is ignored by auto-responses on this server."
    ]
    nobody = select_rule(rules[:1], text="hello", channel_id=CHANNEL, now=NOW, last_fired=lambda n: None)
    assert nobody.explanation() == [
        f"#1 (exact “hello”) answers. (It answers only members with <@&{HELPERS}>; name a member to check.)"
    ]


# --- private answers ------------------------------------------------------------------------------


def test_a_private_answer_cools_down_per_member_not_per_channel() -> None:
    book = book_with(rule(1, kind=AnswerKind.DM, cooldown_seconds=3600))
    assert answer(book, ["1"], author=ANA) is not None
    assert answer(book, ["1"], author=BOB) is not None  # same channel, another member
    assert answer(book, ["1"], author=ANA, channel_id=OTHER_CHANNEL) is None  # same member elsewhere
    later = NOW + timedelta(hours=1)
    assert answer(book, ["1"], author=ANA, now=later) is not None
    assert book.cooldowns.last(GUILD, 1, CHANNEL) is None  # the channel's cooldown was never taken
    assert answer(book, ["1"]) is None  # nobody to write to


# --- answers ----------------------------------------------------------------------------------------


def test_one_response_is_picked_at_random_by_weight() -> None:
    weighted = rule(1, more_responses=("two", "three"), weights=(6, 3, 1))
    rng = random.Random(20261205)
    picks = Counter(pick_response(weighted, rng) for _ in range(5000))
    assert set(picks) == {0, 1, 2}
    assert picks[0] > picks[1] > picks[2]
    assert 0.55 < picks[0] / 5000 < 0.65 and 0.05 < picks[2] / 5000 < 0.15
    replay = random.Random(20261205)
    assert Counter(pick_response(weighted, replay) for _ in range(5000)) == picks  # same seed, same picks
    single = rule(2)
    untouched = random.Random(5)
    state = untouched.getstate()
    assert pick_response(single, untouched) == 0 and untouched.getstate() == state


def test_the_same_seed_gives_the_same_answers() -> None:
    multi = rule(1, more_responses=("b", "c", "d"))
    first = [answer(book_with(multi, seed=42), ["1"], channel_id=c) for c in range(1, 30)]
    second = [answer(book_with(multi, seed=42), ["1"], channel_id=c) for c in range(1, 30)]
    assert [a.response for a in first if a] == [a.response for a in second if a]


NAMES = Placeholders(member="ana", channel="general", server="MS Circle")


def test_placeholders_are_filled_and_nothing_else_is_evaluated() -> None:
    text = "Hi {member}, welcome to {channel} on {server}! {other} {{member}} {member.id} {0}"
    assert fill_placeholders(text, NAMES) == (
        "Hi ana, welcome to #general on MS Circle! {other} {ana} {member.id} {0}"
    )


@pytest.mark.parametrize("name", ["@everyone", "@here", "<@123456789012345678>", "**bold** `code`"])
def test_a_filled_name_can_never_ping_or_format(name: str) -> None:
    filled = fill_placeholders("{member}", Placeholders(member=name, channel=name, server=name))
    assert "@everyone" not in filled and "@here" not in filled and "<@1" not in filled
    assert "**" not in filled.replace("\\*", "") and "`" not in filled.replace("\\`", "")


def test_each_kind_of_answer_is_rendered_to_fit() -> None:
    embed_rule = rule(1, kind=AnswerKind.EMBED, title="For {member}", link="https://example.org/x")
    embed = render_answer(RuleAnswer(embed_rule, 1), NAMES)
    assert (embed.title, embed.description, embed.link) == ("For ana", "answer 1", "https://example.org/x")
    react_rule = stored(2, RuleDraft("thanks", ":thumbsup:", kind=AnswerKind.REACTION))
    assert render_answer(RuleAnswer(react_rule, 1), NAMES).emoji == "👍"
    long_rule = stored(3, RuleDraft("x", "{member}" * 250, kind=AnswerKind.DM))
    private = render_answer(RuleAnswer(long_rule, 1), Placeholders("n" * 32, "general", "MS Circle"))
    assert private.content.startswith("-# An automatic answer from MS Circle to your message in #general\n")
    assert len(private.content) == 2000 and private.content.endswith("…")


# --- validation of the new fields -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("draft", "field", "words"),
    [
        (RuleDraft("hi", "ok", cooldown_seconds=0), "cooldown_seconds", "between 5 and"),
        (RuleDraft("hi", "ok", cooldown_seconds=4), "cooldown_seconds", "between 5 and"),
        (RuleDraft("hi", "hello", kind=AnswerKind.REACTION), "response", "not one emoji"),
        (RuleDraft("hi", "👍", kind=AnswerKind.REACTION, more_responses=("👍 👍",)), "response 2", "not one"),
        (RuleDraft("hi", "ok", title="T"), "title", "only an embed"),
        (
            RuleDraft("hi", "ok", kind=AnswerKind.EMBED, title="T", link="javascript:alert(1)"),
            "link",
            "https://",
        ),
        (RuleDraft("hi", "ok", kind=AnswerKind.EMBED, link="https://example.org"), "link", "add a title"),
        (RuleDraft("hi", "ok", kind=AnswerKind.EMBED, title="t" * 257), "title", "limit is 256"),
        (RuleDraft("hi", "ok", more_responses=("b",), weights=(1,)), "weights", "1 weights for 2"),
        (RuleDraft("hi", "ok", weights=(0,)), "weights", "from 1 to 100"),
        (RuleDraft("hi", "ok", more_responses=("x",) * MAX_RESPONSES_PER_RULE), "responses", "at most 20"),
        (RuleDraft("hi", "ok", allowed_role_ids=(5,), denied_role_ids=(5,)), "except_roles", "either let in"),
        (RuleDraft("hi", "ok", allowed_role_ids=tuple(range(1, 30))), "roles", "at most 25 roles"),
        (RuleDraft("hi", "ok", kind="shout"), "answer", "not a kind of answer"),  # type: ignore[arg-type]
        (RuleDraft("hi", "ok", more_triggers=(RuleTrigger("x", "fuzzy"),)), "trigger 2", "not a match mode"),  # type: ignore[arg-type]
    ],
)
def test_new_fields_are_checked_and_named(draft: RuleDraft, field: str, words: str) -> None:
    with pytest.raises(RuleRejected) as caught:
        validate_draft(draft)
    assert [problem.field for problem in caught.value.problems] == [field]
    assert words in caught.value.message


def test_valid_new_fields_are_cleaned() -> None:
    cleaned = validate_draft(
        RuleDraft(
            " hi ",
            " :thumbsup: ",
            kind=AnswerKind.REACTION,
            more_responses=("<:party:123456789012345678>", "❤️"),
            weights=(2, 2, 2),
            allowed_role_ids=(9, 8, 9),
        )
    )
    assert cleaned.responses == ("👍", "<:party:123456789012345678>", "❤️")
    assert cleaned.weights == ()  # equal weights are equal chances
    assert cleaned.allowed_role_ids == (8, 9)


def test_the_list_filters_by_channel_mode_and_state() -> None:
    rules = [
        rule(1, "a1"),
        rule(2, "b2", channel_ids=(CHANNEL,)),
        rule(3, "c3", channel_ids=(OTHER_CHANNEL,), enabled=False),
        rule(4, "d4*", M.WILDCARD, more_triggers=(RuleTrigger("e5", M.EXACT),)),
    ]
    numbers = lambda found: [r.number for r in found]  # noqa: E731
    assert numbers(filter_rules(rules, channel_id=CHANNEL)) == [1, 2, 4]
    assert numbers(filter_rules(rules, mode=M.EXACT)) == [4]
    assert numbers(filter_rules(rules, disabled=True)) == [3]
    assert numbers(filter_rules(rules, disabled=False, channel_id=OTHER_CHANNEL)) == [1, 4]
