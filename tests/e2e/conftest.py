"""Fixtures for end-to-end tests: a fake Discord on loopback, and discord.py's globals kept clean."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import discord.gateway
import discord.http
import pytest
from fake_discord import FakeDiscord
from running_bot import bot_environment, start_bot

from bot.app import StemcellBot


@pytest.fixture
def discord_endpoints() -> Iterator[None]:
    """Restore `Route.BASE` and `DEFAULT_GATEWAY` after the test.

    A bot pointed at the fake rewrites both class attributes; left behind, they would send a later
    test (or a later fake on another port) to a server that is gone.
    """
    saved_base = discord.http.Route.BASE
    saved_gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    try:
        yield
    finally:
        discord.http.Route.BASE = saved_base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = saved_gateway


@pytest.fixture
async def fake_discord(discord_endpoints: None) -> AsyncIterator[FakeDiscord]:
    """A started fake Discord; fails at teardown if the bot called a route the fake does not serve."""
    fake = FakeDiscord()
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()
    fake.assert_no_unknown_routes()


# ---------------------------------------------------------------------------------------------
# Project bot fixtures go here (the bot built by `bot.app.build_bot`, pointed at `fake_discord`).
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def bot_env(fake_discord: FakeDiscord, tmp_path: Path) -> dict[str, str]:
    """The bot's settings for this test: the fake's address, a database in `tmp_path`."""
    return bot_environment(fake_discord, tmp_path)


@pytest.fixture
async def bot(fake_discord: FakeDiscord, bot_env: dict[str, str]) -> AsyncIterator[StemcellBot]:
    """The project's bot, connected to `fake_discord`; closed before the fake stops."""
    async with start_bot(fake_discord, bot_env) as running:
        yield running
