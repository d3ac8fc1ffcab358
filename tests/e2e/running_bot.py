"""Start the project's real bot against the fake Discord, the way `stemcell-bot run` does."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path

from fake_discord import FakeDiscord

from bot.app import StemcellBot, open_bot
from bot.core.clock import Clock
from bot.core.content.loader import load_content
from bot.settings import load_settings


def bot_environment(fake: FakeDiscord, folder: Path, **overrides: str) -> dict[str, str]:
    """Settings as an operator would write them in `.env`, pointed at the fake."""
    env = {
        "DISCORD_TOKEN": "fake-token",
        "DISCORD_API_BASE": fake.api_base,
        "DATABASE_PATH": str(folder / "bot.sqlite3"),
        "SYNC_COMMANDS": "auto",
        "JOURNAL_KEY": "",
    }
    env.update(overrides)
    return env


@asynccontextmanager
async def start_bot(
    fake: FakeDiscord,
    environment: Mapping[str, str],
    *,
    clock: Clock | None = None,
    rng: random.Random | None = None,
) -> AsyncIterator[StemcellBot]:
    """The real bot, connected and holding the guild; closed (database included) on exit.

    `rng` is the random source that picks among a rule's responses (seed it for a repeatable test).
    """
    settings = load_settings(environment)
    content = load_content(settings.content_dir)
    async with open_bot(settings, content, clock=clock, rng=rng) as bot, fake.running(bot):
        yield bot
