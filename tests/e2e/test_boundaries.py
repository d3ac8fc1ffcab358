"""Where the bot's features stop: a DM is only a DM, and moderator commands only work in known servers."""

from __future__ import annotations

import payloads as p
from channel_watch import MESSAGES_ROUTE, stays_silent
from fake_discord import FakeDiscord

from bot.app import StemcellBot
from bot.db.repositories.audit import AuditRepository

FOREIGN_GUILD = 987_654_321_000
FOREIGN_CHANNEL = 987_654_321_001


async def test_a_message_from_a_server_the_bot_does_not_know_is_not_taken_for_a_dm(
    fake_discord: FakeDiscord, bot: StemcellBot
) -> None:
    """Public chat in a server missing from the cache must never become a journal note, nor be answered."""
    member = int(fake_discord.member["id"])
    message = p.message(
        message_id=fake_discord._ids.next(),
        channel_id=FOREIGN_CHANNEL,
        author=fake_discord.member,
        content="Rough day, fatigue 7, but the kids made me laugh",
        guild_id=FOREIGN_GUILD,
    )
    mark = len(fake_discord.calls)
    await fake_discord.dispatch("MESSAGE_CREATE", message)
    assert await stays_silent(fake_discord, mark)
    assert [c for c in fake_discord.calls[mark:] if c.route == MESSAGES_ROUTE] == []
    assert await bot.services.journal.count(member) == 0


async def test_a_dm_is_still_a_note(fake_discord: FakeDiscord, bot: StemcellBot) -> None:
    """The same words in the member's DM with the bot are saved (the fix above must not stop DMs)."""
    member = int(fake_discord.member["id"])
    mark = len(fake_discord.calls)
    await fake_discord.post_message(fake_discord.member_dm_channel_id, "Rough day, fatigue 7")
    await fake_discord.wait_for_call(
        lambda c: c.method == "POST" and c.params.get("channel_id") == str(fake_discord.member_dm_channel_id),
        after=mark,
    )
    assert await bot.services.journal.count(member) == 1


async def test_moderator_commands_are_for_servers_only(fake_discord: FakeDiscord, bot: StemcellBot) -> None:
    """Synced as guild-installed, guild-context commands: Discord offers them nowhere else."""
    synced = {c["name"]: c for c in fake_discord.commands[None]}
    for name in ("autoresponse", "clinicwatch", "modlog"):
        assert synced[name]["contexts"] == [0], name
        assert synced[name]["integration_types"] == [0], name


async def test_a_moderator_command_from_a_server_the_bot_is_not_in_is_refused_and_not_audited(
    fake_discord: FakeDiscord, bot: StemcellBot
) -> None:
    handle = await fake_discord.invoke(
        "clinicwatch off", user=fake_discord.owner, foreign_guild_id=FOREIGN_GUILD
    )
    data = (await handle.wait_response())["data"]
    assert data["flags"] & p.EPHEMERAL_FLAG
    assert "member of" in data["content"] and "nothing was changed" in data["content"]
    assert await AuditRepository(bot.db).recent(FOREIGN_GUILD) == []
    assert (await bot.services.message_watch.clinic_settings(FOREIGN_GUILD)).enabled
