"""MessageWatch on a real database: what a message gets, what is remembered, and floods kept calm."""

from __future__ import annotations

import random
from dataclasses import dataclass

import pytest

from bot.core.autoresponse import AnswerKind, RuleAnswer, RuleDraft, pick_response
from bot.core.clock import FakeClock
from bot.core.content.loader import load_content
from bot.core.replies import REPLIES_PER_WINDOW
from bot.core.scanning import ClinicAlert, ClinicWordLists
from bot.db.database import Database
from bot.db.repositories.autoresponses import AutoresponseRepository
from bot.db.repositories.clinic_watch import ClinicWatchRepository
from bot.services.message_watch import MessageWatch
from bot.settings import packaged_content_dir

GUILD, CHANNEL, OTHER_CHANNEL, MODERATOR = 10, 20, 21, 30
CLINIC_TALK = "Has anyone been to a stem cell clinic in Mexico? They quote $30k."


@pytest.fixture
def content_words() -> ClinicWordLists:
    return load_content(packaged_content_dir()).clinic_words


async def watch_with_rules(
    db: Database,
    clock: FakeClock,
    words: ClinicWordLists,
    *triggers: str,
    rng: random.Random | None = None,
    **fields: object,
) -> MessageWatch:
    rules = AutoresponseRepository(db)
    async with db.transaction():
        for trigger in triggers:
            await rules.insert(
                GUILD,
                RuleDraft(trigger, f"About {trigger}", cooldown_seconds=5).with_changes(**fields),
                actor_id=MODERATOR,
                now=clock.now(),
            )
    watch = MessageWatch(words, clock, ClinicWatchRepository(db), rules, rng=rng)
    await watch.load()
    return watch


async def test_a_rule_answers_and_its_hit_is_remembered(
    db: Database, clock: FakeClock, content_words: ClinicWordLists
) -> None:
    watch = await watch_with_rules(db, clock, content_words, "mri")
    reply = watch.reply_for(GUILD, CHANNEL, "my mri is tomorrow", parent_channel_id=None)
    assert isinstance(reply, RuleAnswer) and reply.rule.number == 1
    await watch.record_rule_answer(GUILD, reply, CHANNEL)
    stored = await AutoresponseRepository(db).find(GUILD, 1)
    assert stored is not None and stored.hit_count == 1


async def test_the_card_goes_first_and_the_rule_keeps_its_cooldown(
    db: Database,
    clock: FakeClock,
    content_words,
) -> None:
    watch = await watch_with_rules(db, clock, content_words, "mexico")
    assert isinstance(watch.reply_for(GUILD, CHANNEL, CLINIC_TALK, parent_channel_id=None), ClinicAlert)
    # The rule was not used up by the message the card answered: it answers the next one at once.
    reply = watch.reply_for(GUILD, CHANNEL, "mexico again", parent_channel_id=None)
    assert isinstance(reply, RuleAnswer)


async def test_a_flood_gets_a_few_replies_per_channel_not_one_each(
    db: Database,
    clock: FakeClock,
    content_words,
) -> None:
    triggers = [f"word{n}" for n in range(20)]
    watch = await watch_with_rules(db, clock, content_words, *triggers)
    replies = [watch.reply_for(GUILD, CHANNEL, trigger, parent_channel_id=None) for trigger in triggers]
    assert sum(reply is not None for reply in replies) == REPLIES_PER_WINDOW
    # Another channel has its own budget; the first gets room again once the window has passed.
    assert watch.reply_for(GUILD, OTHER_CHANNEL, "word19", parent_channel_id=None) is not None
    clock.advance(seconds=5)
    assert watch.reply_for(GUILD, CHANNEL, "word19", parent_channel_id=None) is not None


async def test_a_rule_held_back_by_the_budget_is_not_used_up(
    db: Database,
    clock: FakeClock,
    content_words,
) -> None:
    watch = await watch_with_rules(db, clock, content_words, "a1", "a2", "a3", "late")
    for trigger in ("a1", "a2", "a3"):
        assert watch.reply_for(GUILD, CHANNEL, trigger, parent_channel_id=None) is not None
    assert watch.reply_for(GUILD, CHANNEL, "late", parent_channel_id=None) is None
    clock.advance(seconds=5)
    assert watch.reply_for(GUILD, CHANNEL, "late", parent_channel_id=None) is not None


async def test_a_restart_remembers_cooldowns(
    db: Database, clock: FakeClock, content_words: ClinicWordLists
) -> None:
    watch = await watch_with_rules(db, clock, content_words, "mri")
    reply = watch.reply_for(GUILD, CHANNEL, "mri", parent_channel_id=None)
    assert isinstance(reply, RuleAnswer)
    await watch.record_rule_answer(GUILD, reply, CHANNEL)
    restarted = MessageWatch(content_words, clock, ClinicWatchRepository(db), AutoresponseRepository(db))
    await restarted.load()
    clock.advance(seconds=1)
    assert restarted.reply_for(GUILD, CHANNEL, "mri", parent_channel_id=None) is None
    clock.advance(seconds=5)
    assert restarted.reply_for(GUILD, CHANNEL, "mri", parent_channel_id=None) is not None


@dataclass(frozen=True)
class Author:
    """A message author as the live path reads one (discord.py's `Member` has these three names)."""

    id: int
    display_name: str = "ana"
    roles: tuple[object, ...] = ()

    def get_role(self, role_id: int, /) -> object | None:
        return next((role for role in self.roles if getattr(role, "id", None) == role_id), None)


async def test_private_answers_spend_no_channel_budget(
    db: Database, clock: FakeClock, content_words: ClinicWordLists
) -> None:
    """A DM is not posted in the channel, so a wave of private answers leaves room for replies."""
    watch = await watch_with_rules(db, clock, content_words, "relapse", kind=AnswerKind.DM)
    for member in range(REPLIES_PER_WINDOW + 2):
        reply = watch.reply_for(GUILD, CHANNEL, "relapse", parent_channel_id=None, author=Author(member + 1))
        assert isinstance(reply, RuleAnswer), member
    assert watch.budget.has_room(CHANNEL, clock.now())
    await watch.record_rule_answer(GUILD, reply, CHANNEL)
    assert await AutoresponseRepository(db).last_fired(GUILD) == {}  # who got it is kept nowhere


async def test_the_response_is_picked_by_the_injected_random_source(
    db: Database, clock: FakeClock, content_words: ClinicWordLists
) -> None:
    """A seeded source makes the picks repeatable: the same seed, the same answers in the same order."""
    watch = await watch_with_rules(
        db, clock, content_words, "hello", rng=random.Random(3), more_responses=("b", "c", "d")
    )
    found = []
    for _ in range(12):
        clock.advance(seconds=5)
        reply = watch.reply_for(GUILD, CHANNEL, "hello", parent_channel_id=None)
        assert isinstance(reply, RuleAnswer)
        found.append(reply.response)
    assert len(set(found)) > 1 and set(found) <= {"About hello", "b", "c", "d"}
    rule = watch.book.rule(GUILD, 1)
    assert rule is not None
    replay = random.Random(3)
    assert found == [rule.draft.responses[pick_response(rule, replay)] for _ in range(12)]
