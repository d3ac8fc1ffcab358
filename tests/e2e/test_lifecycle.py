"""The bot's life: one setting moves it to another Discord, commands sync only when changed, it
survives a dropped socket and a rate limit, answers even its own bugs kindly, and stops cleanly."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from pathlib import Path

import discord.gateway
import pytest
from fake_discord import FakeDiscord
from running_bot import start_bot

from bot.app import SOMETHING_WENT_WRONG, StemcellBot

EPHEMERAL = 1 << 6


async def test_api_base_also_moves_the_gateway(fake_discord: FakeDiscord, bot: StemcellBot) -> None:
    assert fake_discord.calls_to("GET", "/gateway/bot")
    assert str(discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY).startswith(
        fake_discord.gateway_url.rstrip("/")
    )
    assert fake_discord.identify_count == 1


async def test_commands_sync_once_and_a_restart_does_not_resync(
    fake_discord: FakeDiscord, bot_env: dict[str, str]
) -> None:
    async with start_bot(fake_discord, bot_env):
        assert fake_discord.sync_count() == 1
    async with start_bot(fake_discord, bot_env):
        reply = await (await fake_discord.invoke("stemcell", {"topic": "hsct"})).wait_response()
        assert "HSCT" in reply["data"]["embeds"][0]["title"]
    assert fake_discord.sync_count() == 1


async def test_dev_guild_gets_its_own_sync(fake_discord: FakeDiscord, bot_env: dict[str, str]) -> None:
    env = {**bot_env, "DEV_GUILD_ID": str(fake_discord.guild_id)}
    async with start_bot(fake_discord, env):
        pass
    assert fake_discord.sync_count() == 1
    assert fake_discord.sync_count(fake_discord.guild_id) == 1
    names = {c["name"] for c in fake_discord.commands.get(fake_discord.guild_id, [])}
    assert "stemcell" in names


async def test_sync_never_leaves_commands_alone(fake_discord: FakeDiscord, bot_env: dict[str, str]) -> None:
    async with start_bot(fake_discord, {**bot_env, "SYNC_COMMANDS": "never"}):
        pass
    assert fake_discord.sync_count() == 0


async def test_resumes_after_close_4000_and_answers(fake_discord: FakeDiscord, bot: StemcellBot) -> None:
    await fake_discord.close_gateway(4000)
    await fake_discord.wait_until_resumed()
    reply = await (await fake_discord.invoke("caution")).wait_response()
    assert reply["data"]["embeds"]
    assert fake_discord.identify_count == 1 and fake_discord.resume_count == 1


async def test_rate_limited_callback_is_retried(fake_discord: FakeDiscord, bot: StemcellBot) -> None:
    fake_discord.fail_next(
        "POST", "/interactions/{interaction_id}/{token}/callback", status=429, retry_after=0.2
    )
    reply = await (await fake_discord.invoke("stemcell", {"topic": "risks"})).wait_response()
    assert reply["data"]["embeds"]
    statuses = [
        c.status for c in fake_discord.calls_to("POST", "/interactions/{interaction_id}/{token}/callback")
    ]
    assert statuses == [429, 200]


async def test_a_bug_gets_an_apology_not_a_traceback(
    fake_discord: FakeDiscord,
    bot: StemcellBot,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(*_: object) -> None:
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(sys.modules["bot.cogs.caution"], "render_caution", broken)
    with caplog.at_level(logging.ERROR, logger="bot.app"):
        reply = await (await fake_discord.invoke("caution")).wait_response()
    assert reply["data"]["flags"] & EPHEMERAL
    assert reply["data"]["content"] == SOMETHING_WENT_WRONG
    assert "secret internal detail" not in str(reply)
    record = next(r for r in caplog.records if r.name == "bot.app")
    assert "/caution" in record.getMessage() and record.exc_info is not None


async def _run_cli_against(fake: FakeDiscord, tmp_path: Path, **extra: str) -> asyncio.subprocess.Process:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "DATABASE_", "SYNC_", "DEV_"))
    }
    env.update(
        DISCORD_TOKEN="fake-token-value",
        DISCORD_API_BASE=fake.api_base,
        DATABASE_PATH=str(tmp_path / "data" / "bot.sqlite3"),
        **extra,
    )
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def test_sigterm_shuts_down_cleanly(fake_discord: FakeDiscord, tmp_path: Path) -> None:
    process = await _run_cli_against(fake_discord, tmp_path)
    try:
        await fake_discord.wait_until_ready(timeout=20)
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), timeout=20)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    log = stderr.decode()
    assert process.returncode == 0, log
    assert "Received SIGTERM" in log and "Shut down cleanly" in log
    assert "fake-token-value" not in log and "Traceback" not in log
    assert (tmp_path / "data" / "bot.sqlite3").exists()
    assert not (tmp_path / "data" / "bot.sqlite3-wal").exists(), "database was not closed"


async def test_missing_message_content_intent_is_one_line_that_says_how_to_fix_it(
    fake_discord: FakeDiscord, tmp_path: Path
) -> None:
    fake_discord.privileged_intents_allowed = False
    process = await _run_cli_against(fake_discord, tmp_path)
    try:
        _, stderr = await asyncio.wait_for(process.communicate(), timeout=20)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    lines = stderr.decode().strip().splitlines()
    assert process.returncode == 1
    assert "Message Content Intent" in lines[-1] and "developer portal" in lines[-1]
    assert "Traceback" not in stderr.decode()


async def test_a_dev_guild_the_bot_is_not_in_is_one_line(fake_discord: FakeDiscord, tmp_path: Path) -> None:
    fake_discord.fail_next("PUT", "/applications/{application_id}/guilds/{guild_id}/commands", status=403)
    process = await _run_cli_against(fake_discord, tmp_path, DEV_GUILD_ID=str(fake_discord.guild_id))
    try:
        _, stderr = await asyncio.wait_for(process.communicate(), timeout=20)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    lines = stderr.decode().strip().splitlines()
    assert process.returncode == 1
    assert lines[-1].startswith(
        f"DEV_GUILD_ID: the bot cannot add commands to server {fake_discord.guild_id}"
    )
    assert "Traceback" not in stderr.decode()
