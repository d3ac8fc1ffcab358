"""Clinic watch through the real discord.py client: the caution answers clinic talk once, quietly,
and only as moderators allow."""

from __future__ import annotations

import asyncio

from channel_watch import CLINIC_MESSAGE, QUIET, bot_posts, reply_to, stays_silent
from fake_discord import FakeDiscord
from running_bot import start_bot

from bot.app import StemcellBot
from bot.db.repositories.audit import AuditRepository

EPHEMERAL = 1 << 6


async def test_clinic_message_gets_the_caution_as_a_reply_that_pings_no_one(
    fake_discord: FakeDiscord, bot: StemcellBot
) -> None:
    mark = len(fake_discord.calls)
    message = await fake_discord.post_message(fake_discord.channel_id, CLINIC_MESSAGE)
    call = await reply_to(fake_discord, message, mark)
    body = call.json
    assert body["allowed_mentions"]["parse"] == [] and body["allowed_mentions"].get("replied_user") is False
    assert "Why am I seeing this?" in body["content"] and "a clinic" in body["content"]
    assert "Mexico" not in body["content"], "the line names kinds of words, never the member's own"
    assert body["embeds"][0]["title"] == bot.content.caution.title


async def test_a_second_mention_within_the_cooldown_gets_nothing(
    fake_discord: FakeDiscord, bot: StemcellBot
) -> None:
    mark = len(fake_discord.calls)
    first = await fake_discord.post_message(fake_discord.channel_id, CLINIC_MESSAGE)
    await reply_to(fake_discord, first, mark)
    mark = len(fake_discord.calls)
    await fake_discord.post_message(fake_discord.channel_id, "Another stem cell clinic in Panama emailed me")
    assert await stays_silent(fake_discord, mark)


async def test_strict_mode_joins_context_from_earlier_messages(
    fake_discord: FakeDiscord, bot: StemcellBot
) -> None:
    mark = len(fake_discord.calls)
    await fake_discord.post_message(fake_discord.channel_id, "I keep reading about mesenchymal cells for MS")
    second = await fake_discord.post_message(
        fake_discord.channel_id, "there's a clinic in Cancun that offers it"
    )
    call = await reply_to(fake_discord, second, mark)
    assert "This conversation mentions a stem-cell product" in call.json["content"]


async def test_clinical_trial_talk_is_not_a_clinic_mention(
    fake_discord: FakeDiscord, bot: StemcellBot
) -> None:
    mark = len(fake_discord.calls)
    await fake_discord.post_message(
        fake_discord.channel_id, "The stem cell clinical trial at my hospital is recruiting"
    )
    assert await stays_silent(fake_discord, mark)


async def test_bots_and_webhooks_get_nothing(fake_discord: FakeDiscord, bot: StemcellBot) -> None:
    mark = len(fake_discord.calls)
    await fake_discord.post_message(fake_discord.channel_id, CLINIC_MESSAGE, bot=True)
    await fake_discord.post_message(fake_discord.channel_id, CLINIC_MESSAGE, webhook_id=424242)
    assert await stays_silent(fake_discord, mark)


async def test_no_caution_in_direct_messages(fake_discord: FakeDiscord, bot: StemcellBot) -> None:
    """A DM is the member's own journal space: it may be saved as a note, but never gets the caution."""
    mark = len(fake_discord.calls)
    await fake_discord.post_message(fake_discord.member_dm_channel_id, CLINIC_MESSAGE)
    await asyncio.sleep(QUIET)
    cautions = [
        c
        for c in bot_posts(fake_discord, mark)
        if c.json.get("embeds") and c.json["embeds"][0].get("title") == bot.content.caution.title
    ]
    assert cautions == []


async def test_a_member_cannot_turn_it_off(fake_discord: FakeDiscord, bot: StemcellBot) -> None:
    reply = await (await fake_discord.invoke("clinicwatch off", user=fake_discord.member)).wait_response()
    assert reply["data"]["flags"] & EPHEMERAL and "Manage Server" in reply["data"]["content"]
    mark = len(fake_discord.calls)
    message = await fake_discord.post_message(fake_discord.channel_id, CLINIC_MESSAGE)
    await reply_to(fake_discord, message, mark)
    assert await AuditRepository(bot.db).recent(fake_discord.guild_id) == []


async def test_every_subcommand_refuses_members(fake_discord: FakeDiscord, bot: StemcellBot) -> None:
    for name, options in [
        ("clinicwatch status", {}),
        ("clinicwatch on", {}),
        ("clinicwatch cooldown", {"minutes": 5}),
        ("clinicwatch sensitivity", {"level": "broad"}),
        ("clinicwatch ignore", {}),
        ("clinicwatch unignore", {}),
        ("clinicwatch words", {"action": "add", "kind": "clinic", "word": "spa"}),
    ]:
        reply = await (await fake_discord.invoke(name, options, user=fake_discord.member)).wait_response()
        assert "Manage Server" in reply["data"]["content"], name
    assert await AuditRepository(bot.db).recent(fake_discord.guild_id) == []


async def test_after_a_moderator_turns_it_off_no_caution_and_the_change_is_audited(
    fake_discord: FakeDiscord, bot: StemcellBot
) -> None:
    reply = await (await fake_discord.invoke("clinicwatch off", user=fake_discord.moderator)).wait_response()
    assert reply["data"]["flags"] & EPHEMERAL and "off" in reply["data"]["content"]
    mark = len(fake_discord.calls)
    await fake_discord.post_message(fake_discord.channel_id, CLINIC_MESSAGE)
    assert await stays_silent(fake_discord, mark)
    [entry] = await AuditRepository(bot.db).recent(fake_discord.guild_id)
    assert entry.actor_id == int(fake_discord.moderator["id"]) and entry.action == "clinicwatch.off"
    assert entry.before == {"enabled": True} and entry.after == {"enabled": False}


async def test_ignored_channels_are_ignored(fake_discord: FakeDiscord, bot: StemcellBot) -> None:
    await (
        await fake_discord.invoke(
            "clinicwatch ignore", {"channel": fake_discord.other_channel_id}, user=fake_discord.moderator
        )
    ).wait_response()
    mark = len(fake_discord.calls)
    await fake_discord.post_message(fake_discord.other_channel_id, CLINIC_MESSAGE)
    assert await stays_silent(fake_discord, mark)
    message = await fake_discord.post_message(fake_discord.channel_id, CLINIC_MESSAGE)
    await reply_to(fake_discord, message, mark)


async def test_broad_mode_and_added_words(fake_discord: FakeDiscord, bot: StemcellBot) -> None:
    mod = fake_discord.moderator
    await (await fake_discord.invoke("clinicwatch sensitivity", {"level": "broad"}, user=mod)).wait_response()
    await (
        await fake_discord.invoke(
            "clinicwatch words", {"action": "add", "kind": "clinic", "word": "medical spa"}, user=mod
        )
    ).wait_response()
    mark = len(fake_discord.calls)
    message = await fake_discord.post_message(
        fake_discord.channel_id, "My cousin swears by a medical spa in Tijuana"
    )
    call = await reply_to(fake_discord, message, mark)
    assert "mentions a clinic" in call.json["content"]


async def test_status_shows_settings_and_last_caution(fake_discord: FakeDiscord, bot: StemcellBot) -> None:
    mark = len(fake_discord.calls)
    message = await fake_discord.post_message(fake_discord.channel_id, CLINIC_MESSAGE)
    await reply_to(fake_discord, message, mark)
    reply = await (
        await fake_discord.invoke("clinicwatch status", user=fake_discord.moderator)
    ).wait_response()
    fields = {f["name"]: f["value"] for f in reply["data"]["embeds"][0]["fields"]}
    assert fields["State"] == "on" and fields["Sensitivity"] == "strict"
    assert fields["Cooldown"].startswith("30 minutes")
    assert "<t:" in fields["Last caution"] and "Quiet for another" in fields["Last caution"]


async def test_bad_input_is_refused_kindly(fake_discord: FakeDiscord, bot: StemcellBot) -> None:
    mod = fake_discord.moderator
    reply = await (
        await fake_discord.invoke(
            "clinicwatch words", {"action": "remove", "kind": "clinic", "word": "zzz"}, user=mod
        )
    ).wait_response()
    assert reply["data"]["flags"] & EPHEMERAL and "not on the clinic word list" in reply["data"]["content"]
    reply = await (await fake_discord.invoke("clinicwatch unignore", user=mod)).wait_response()
    assert "not ignored" in reply["data"]["content"]
    assert await AuditRepository(bot.db).recent(fake_discord.guild_id) == []


async def test_the_cooldown_survives_a_restart(fake_discord: FakeDiscord, bot_env: dict[str, str]) -> None:
    async with start_bot(fake_discord, bot_env):
        mark = len(fake_discord.calls)
        message = await fake_discord.post_message(fake_discord.channel_id, CLINIC_MESSAGE)
        await reply_to(fake_discord, message, mark)
    async with start_bot(fake_discord, bot_env):
        mark = len(fake_discord.calls)
        await fake_discord.post_message(fake_discord.channel_id, CLINIC_MESSAGE)
        assert await stays_silent(fake_discord, mark)
