"""The hot path's shortcuts give the same answers as the plain code they stand in for.

`fold`'s Latin-1 table against full Unicode folding, the scanner's nanosecond cooldowns against
datetimes, its ready-made plans for combinations of triggers, and `RuleBook.answer` against
`RuleBook.choose` (the explained, unhurried version of the same choice).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.core.autoresponse import (
    AnswerKind,
    Audience,
    MatchMode,
    Rule,
    RuleBook,
    RuleCooldowns,
    RuleDraft,
    RuleTrigger,
    rule_triggers,
    validate_draft,
)
from bot.core.clock import FakeClock, SystemClock
from bot.core.scanning import (
    ClinicWatchSettings,
    ClinicWordLists,
    MessageScanner,
    Sensitivity,
    Trigger,
    TriggerKind,
    fold,
)
from bot.core.scanning.normalise import _fold_fully

GUILD = 1
CHANNEL = 10
OTHER_CHANNEL = 11
WORDS = ClinicWordLists(
    clinic=("clinic", "stem cell clinic", "klinik"), context=("stem cell",), product=("msc",), hsct=("hsct",)
)
NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def make_scanner(clock: FakeClock | SystemClock, **settings: object) -> MessageScanner:
    scanner = MessageScanner(WORDS, clock)
    scanner.set_settings(replace(ClinicWatchSettings(GUILD), **settings))
    return scanner


# --- fold ---


def test_every_latin1_character_folds_as_full_unicode_folding_does() -> None:
    for code in range(1, 256):
        text = f"Ab{chr(code)}é"  # non-ASCII and not NFKD-normalised, so the Latin-1 table is used
        assert fold(text) == _fold_fully(text), hex(code)


@pytest.mark.parametrize(
    "text",
    [
        "Clínica en Cancún: ¡por fin!",
        "Straße, µg, ½ dose",  # characters that fold to more than one Latin-1 character
        "naïve\x00text",  # a NUL takes the long way too
        "ÉLAN <@123> café <:clinic:42>",
        "Señora 😀 clínica",  # emoji with accents: not Latin-1
        "Ελληνικά ά and й",
        "ﬁne ＣＬＩＮＩＣ",
    ],
)
def test_fold_matches_full_folding_on_mixed_text(text: str) -> None:
    expected = _fold_fully(text)
    if "<" in expected:
        expected = fold(expected)  # markup is blanked the same way on every path
    assert fold(text) == expected


def test_random_latin1_texts_fold_as_full_unicode_folding_does() -> None:
    rng = random.Random(5)
    alphabet = [chr(code) for code in range(32, 256) if code != 60]  # no "<": markup is tested above
    for _ in range(2000):
        text = "".join(rng.choices(alphabet, k=rng.randint(1, 30)))
        assert fold(text) == _fold_fully(text), repr(text)


# --- the scanner's time and plans ---


def test_explicit_time_is_the_time_the_caution_carries() -> None:
    scanner = make_scanner(FakeClock())
    moment = datetime(2026, 3, 1, 9, 30, 15, 123_457, tzinfo=UTC)
    hit = scanner.scan(GUILD, CHANNEL, "stem cell clinic?", moment).alert
    assert hit is not None and hit.fired_at == moment
    assert scanner.last_fired(CHANNEL) == moment


def test_cooldown_boundary_is_exact_to_the_microsecond() -> None:
    clock = FakeClock(datetime(2026, 1, 1, 12, 0, 0, 999_999, tzinfo=UTC))
    scanner = make_scanner(clock, cooldown_minutes=30)
    assert scanner.scan(GUILD, CHANNEL, "stem cell clinic?").alert is not None
    clock.advance(minutes=30, microseconds=-1)
    assert scanner.scan(GUILD, CHANNEL, "stem cell clinic?").alert is None
    assert scanner.cooldown_remaining(GUILD, CHANNEL) == timedelta(microseconds=1)
    clock.advance(microseconds=1)
    assert scanner.scan(GUILD, CHANNEL, "stem cell clinic?").alert is not None


def test_loaded_cooldowns_read_back_as_loaded() -> None:
    scanner = make_scanner(FakeClock())
    fired = datetime(2026, 1, 1, 11, 50, 0, 1, tzinfo=UTC)
    scanner.load_last_fired({CHANNEL: fired})
    assert scanner.last_fired(CHANNEL) == fired
    assert scanner.last_fired(OTHER_CHANNEL) is None


def test_a_clock_set_back_does_not_unlock_the_cooldown() -> None:
    clock = FakeClock()
    scanner = make_scanner(clock)
    assert scanner.scan(GUILD, CHANNEL, "stem cell clinic?").alert is not None
    clock.advance(minutes=-5)
    assert scanner.scan(GUILD, CHANNEL, "stem cell clinic?").alert is None


def test_the_system_clock_gives_an_aware_time_of_now() -> None:
    scanner = make_scanner(SystemClock())
    before = datetime.now(UTC)
    hit = scanner.scan(GUILD, CHANNEL, "stem cell clinic?").alert
    after = datetime.now(UTC)
    assert hit is not None and hit.fired_at.tzinfo is not None
    assert before - timedelta(microseconds=1) <= hit.fired_at <= after
    assert scanner.last_fired(CHANNEL) == hit.fired_at


def test_words_said_during_a_cooldown_still_join_after_it() -> None:
    clock = FakeClock()
    scanner = make_scanner(clock, cooldown_minutes=1)
    assert scanner.scan(GUILD, CHANNEL, "stem cell clinic?").alert is not None
    clock.advance(seconds=50)
    assert scanner.scan(GUILD, CHANNEL, "MSC is on my mind").alert is None  # cooling down: kept
    clock.advance(seconds=20)
    hit = scanner.scan(GUILD, CHANNEL, "which clinic though?").alert
    assert hit is not None and hit.joined_with_earlier and hit.words == ("msc", "clinic")


def test_ignored_channels_keep_no_window() -> None:
    scanner = make_scanner(FakeClock(), ignored_channel_ids=frozenset({CHANNEL}))
    scanner.scan(GUILD, CHANNEL, "MSC question")
    assert scanner.scan(GUILD, CHANNEL, "stem cell clinic").alert is None
    assert CHANNEL not in scanner._windows.channels


def test_combinations_of_triggers_report_labels_in_order_every_time() -> None:
    scanner = make_scanner(FakeClock(), sensitivity=Sensitivity.BROAD)
    scanner.set_rule_triggers(
        GUILD,
        [Trigger(TriggerKind.RULE, "2", r"\bmri\b"), Trigger(TriggerKind.RULE, "1", r"\blesions?\b")],
    )
    first = scanner.scan(GUILD, CHANNEL, "lesions on my MRI")
    again = scanner.scan(GUILD, CHANNEL, "MRI shows lesions")
    assert first.rule_labels == again.rule_labels == ("2", "1")  # trigger order, not text order
    assert first.alert is None
    mixed = scanner.scan(GUILD, CHANNEL, "MRI at the clinic")
    assert mixed.rule_labels == ("2",) and mixed.alert is not None


def test_a_server_with_nothing_to_look_for_is_built_once() -> None:
    scanner = make_scanner(FakeClock(), enabled=False)
    for _ in range(3):
        assert scanner.scan(GUILD, CHANNEL, "stem cell clinic").alert is None
    assert scanner.builds == 0 and GUILD in scanner._guilds


# --- the rule book's hot path against its explained path ---


def _rule(number: int, draft: RuleDraft) -> Rule:
    return Rule(
        GUILD, number, validate_draft(draft), author_id=7, created_at=NOW, updated_by=7, updated_at=NOW
    )


@dataclass(frozen=True)
class _Role:
    id: int


@dataclass(frozen=True)
class _Member:
    """A message author as the rule book reads one (discord.py's `Member` has these three names)."""

    id: int
    display_name: str
    roles: tuple[_Role, ...]

    def get_role(self, role_id: int, /) -> _Role | None:
        return next((role for role in self.roles if role.id == role_id), None)


def test_answer_agrees_with_choose() -> None:
    """Several triggers per rule, scopes, roles, ignored members, private answers: both paths agree."""
    rng = random.Random(11)
    triggers = [
        ("hello", MatchMode.WORD),
        ("hello there", MatchMode.PHRASE),
        ("hel*", MatchMode.WILDCARD),
        ("ell", MatchMode.CONTAINS),
        ("hello", MatchMode.STARTS),
        ("hello", MatchMode.EXACT),
        (r"h\w+o", MatchMode.REGEX),
        ("клиника", MatchMode.WORD),
    ]
    texts = ["hello", "hello there", "hellooo", "hello клиника", "hsct hello", "поликлиника hello", "héllo"]
    roles = [101, 102, 103]
    members = [
        _Member(n, f"member{n}", tuple(_Role(r) for r in rng.sample(roles, n % 3))) for n in range(1, 6)
    ]
    for trial in range(60):
        pool = list(triggers)
        rng.shuffle(pool)
        drafts = []
        while pool:  # rules of one to three triggers each
            taken = [pool.pop() for _ in range(min(len(pool), rng.randint(1, 3)))]
            (first, mode), *more = taken
            drafts.append(
                RuleDraft(
                    first,
                    "answer",
                    mode,
                    channel_ids=tuple(rng.sample([CHANNEL, OTHER_CHANNEL, 99], rng.randint(0, 2))),
                    cooldown_seconds=rng.choice([5, 30, 60]),
                    enabled=rng.random() < 0.8,
                    more_triggers=tuple(RuleTrigger(text, m) for text, m in more),
                    kind=AnswerKind.DM if rng.random() < 0.2 else AnswerKind.REPLY,
                    allowed_role_ids=tuple(rng.sample(roles, rng.choice([0, 0, 1, 2]))),
                )
            )
        drafts = [
            draft.with_changes(
                denied_role_ids=tuple(
                    role
                    for role in rng.sample(roles, rng.choice([0, 0, 1]))
                    if role not in draft.allowed_role_ids
                )
            )
            for draft in drafts
        ]
        rules = [_rule(number, draft) for number, draft in enumerate(drafts, start=1)]
        labels_all = [t.label for rule in rules for t in rule_triggers(rule)]
        ignored = {members[0].id} if trial % 3 == 0 else set()
        fast, explained = RuleBook(), RuleBook()
        for book in (fast, explained):
            book.set_rules(GUILD, rules)
            book.set_ignored(GUILD, ignored)
        for step in range(25):
            labels = tuple(rng.sample(labels_all, rng.randint(1, min(4, len(labels_all)))))
            text = rng.choice(texts)
            channel_id = rng.choice([CHANNEL, OTHER_CHANNEL])
            parent = rng.choice([None, 99])
            member = rng.choice(members)
            now = NOW + timedelta(seconds=10 * step)
            where = {"text": text, "channel_id": channel_id, "now": now, "parent_channel_id": parent}
            got = fast.answer(GUILD, labels, **where, author=member)
            has = frozenset(r.id for r in member.roles)
            audience = Audience(member.display_name, has, member.id in ignored)
            want = explained.choose(GUILD, labels, **where, audience=audience, member_id=member.id).winner
            found = None if got is None else (got.rule.number, got.position)
            expected = None if want is None else (want.rule.number, want.position)
            assert found == expected, (trial, step, labels, text, member)


def test_answer_for_unknown_servers_and_labels_is_none() -> None:
    book = RuleBook()
    assert book.answer(GUILD, ("1",), text="hello", channel_id=CHANNEL, now=NOW) is None
    book.set_rules(GUILD, [_rule(1, RuleDraft("hello", "hi"))])
    assert book.answer(GUILD, ("7",), text="hello", channel_id=CHANNEL, now=NOW) is None
    assert book.answer(GUILD, ["7", "1"], text="hello", channel_id=CHANNEL, now=NOW) is not None


def test_take_checks_and_marks_in_one_step() -> None:
    cooldowns = RuleCooldowns(max_entries=2)
    minute = timedelta(minutes=1)
    assert cooldowns.take(GUILD, 1, CHANNEL, NOW, minute)
    assert not cooldowns.take(GUILD, 1, CHANNEL, NOW + timedelta(seconds=59), minute)
    assert cooldowns.last(GUILD, 1, CHANNEL) == NOW
    assert not cooldowns.take(GUILD, 1, CHANNEL, NOW - timedelta(seconds=5), minute), "clock set back"
    assert cooldowns.take(GUILD, 1, CHANNEL, NOW + minute, minute)
    assert cooldowns.take(GUILD, 2, CHANNEL, NOW, minute)
    assert cooldowns.take(GUILD, 3, CHANNEL, NOW, minute)
    assert len(cooldowns) == 2 and cooldowns.last(GUILD, 1, CHANNEL) is None  # oldest went first
