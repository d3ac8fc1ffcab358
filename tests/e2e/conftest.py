"""Fixtures for end-to-end tests: a fake Discord on loopback, and discord.py's globals kept clean."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import date
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


# ---------------------------------------------------------------------------------------------
# The journal's promise, checked on the database each journal test wrote.
# ---------------------------------------------------------------------------------------------


def _typed_text(fake: FakeDiscord) -> set[str]:
    """What people typed into the bot during the test: option and form values, DM and channel text."""
    typed: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key in ("value", "content"):
                value = node.get(key)
                if isinstance(value, str):
                    typed.add(value)
            for child in node.values():
                walk(child)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    for handle in fake._handles.values():
        walk(handle.payload.get("data"))
    bot_id = str(fake.application_id)
    for message in fake.messages.values():
        if message["author"]["id"] != bot_id:
            typed.add(message.get("content", ""))
    return typed


def _looks_like_a_date(text: str) -> bool:
    try:
        date.fromisoformat(text.strip())
    except ValueError:
        return False
    return True


@pytest.fixture
def journal_leaves_nothing_readable(fake_discord: FakeDiscord, bot_env: dict[str, str]) -> Iterator[None]:
    """After the test (the bot closed), the raw bytes of its database, WAL and shm hold no Discord id
    of any person in the fake guild (as text or as SQLite's integer) and nothing anyone typed (dates
    excepted: an entry's date is readable by design; words under 8 characters are not looked for)."""
    yield
    path = Path(bot_env["DATABASE_PATH"])
    raw = b"".join(
        Path(str(path) + suffix).read_bytes()
        for suffix in ("", "-wal", "-shm")
        if Path(str(path) + suffix).exists()
    )
    if not raw:
        return
    for person in (fake_discord.member, fake_discord.moderator, fake_discord.owner):
        user_id = int(person["id"])
        assert str(user_id).encode() not in raw, f"{person['username']}'s id is in the database as text"
        assert user_id.to_bytes(8, "big") not in raw, f"{person['username']}'s id is in the database"
    for text in _typed_text(fake_discord):
        if len(text.strip()) >= 8 and not _looks_like_a_date(text):
            assert text.encode() not in raw, f"typed text is readable in the database: {text[:60]!r}"
