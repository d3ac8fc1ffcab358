"""One reply per message, the card first; and a channel never gets more than a few bot replies at once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.core.replies import REPLIES_PER_WINDOW, REPLY_WINDOW, ChannelReplyBudget, Voice, answering_voice

START = datetime(2026, 12, 5, 12, tzinfo=UTC)


def test_a_due_card_speaks_and_a_rule_stays_quiet() -> None:
    assert answering_voice(card_due=True, rule_answers=True) is Voice.CLINIC_CARD
    assert answering_voice(card_due=True, rule_answers=False) is Voice.CLINIC_CARD


def test_a_rule_speaks_only_without_a_card() -> None:
    assert answering_voice(card_due=False, rule_answers=True) is Voice.RULE
    assert answering_voice(card_due=False, rule_answers=False) is None


def test_the_budget_allows_a_few_replies_per_window_then_none() -> None:
    budget = ChannelReplyBudget()
    for _ in range(REPLIES_PER_WINDOW):
        assert budget.has_room(1, START)
        budget.spend(1, START)
    assert not budget.has_room(1, START)
    assert not budget.has_room(1, START + REPLY_WINDOW - timedelta(milliseconds=1))
    assert budget.has_room(1, START + REPLY_WINDOW)


def test_the_budget_is_per_channel() -> None:
    budget = ChannelReplyBudget(replies=1)
    budget.spend(1, START)
    assert not budget.has_room(1, START)
    assert budget.has_room(2, START)


def test_the_window_slides() -> None:
    budget = ChannelReplyBudget(replies=2, window=timedelta(seconds=5))
    budget.spend(1, START)
    budget.spend(1, START + timedelta(seconds=3))
    assert not budget.has_room(1, START + timedelta(seconds=4))
    assert budget.has_room(1, START + timedelta(seconds=5))  # the first reply has left the window
    budget.spend(1, START + timedelta(seconds=5))
    assert not budget.has_room(1, START + timedelta(seconds=7))


def test_a_clock_set_backwards_never_opens_the_budget_early() -> None:
    budget = ChannelReplyBudget(replies=1)
    budget.spend(1, START)
    assert not budget.has_room(1, START - timedelta(hours=1))
