"""Helpers for tests about what the bot posts in channels on its own (cautions, rule answers)."""

from __future__ import annotations

import asyncio
from typing import Any

from fake_discord import FakeDiscord, RestCall

MESSAGES_ROUTE = "/channels/{channel_id}/messages"
QUIET = 0.4  # how long to wait before concluding that the bot stayed silent
CLINIC_MESSAGE = "Has anyone been to a stem cell clinic in Mexico? They quote $30k."


def bot_posts(fake: FakeDiscord, after: int = 0) -> list[RestCall]:
    """Messages the bot posted in channels since call number `after`."""
    return [c for c in fake.calls[after:] if c.method == "POST" and c.route == MESSAGES_ROUTE]


async def reply_to(fake: FakeDiscord, message: dict[str, Any], after: int) -> RestCall:
    """The bot's reply to `message` (a POST that references it)."""
    return await fake.wait_for_call(
        lambda c: (
            c.method == "POST"
            and c.route == MESSAGES_ROUTE
            and str(c.json.get("message_reference", {}).get("message_id")) == str(message["id"])
        ),
        after=after,
    )


async def stays_silent(fake: FakeDiscord, after: int) -> bool:
    """True when the bot posted nothing in a channel for a while after call number `after`."""
    await asyncio.sleep(QUIET)
    return bot_posts(fake, after) == []
