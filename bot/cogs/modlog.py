"""`/modlog`: where configuration changes are reported, and the reporter every moderator cog calls.

The audit log in the database is the record; the mod-log channel is a courtesy copy for the team.
So a report that cannot be posted (channel deleted, permission removed, Discord slow) is logged
and dropped: the moderator's change has already happened and their command must still succeed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.cogs._checks import ModeratorGroup
from bot.db.repositories.autoresponses import AutoresponseRepository
from bot.errors import InvalidInput

if TYPE_CHECKING:
    from bot.app import StemcellBot

log = logging.getLogger(__name__)

MODLOG_COLOUR = 0x5B6C8F
# The report runs before the moderator's confirmation; it must never eat Discord's 3-second window.
REPORT_TIMEOUT_SECONDS = 2.0
VALUE_CHARS = 180  # per setting shown; a long response is cut, the audit log keeps it whole
FIELD_CHARS = 1024

ACTION_TITLES = {
    "autoresponse.add": "Auto-response added",
    "autoresponse.edit": "Auto-response edited",
    "autoresponse.remove": "Auto-response removed",
    "autoresponse.import": "Auto-responses imported",
    "modlog.set": "Mod-log channel set",
    "modlog.clear": "Mod-log turned off",
}


def change_embed(
    actor_id: int,
    action: str,
    target: str | None,
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
) -> discord.Embed:
    """A short embed: what changed, by whom, and the fields before and after."""
    title = ACTION_TITLES.get(action) or _default_title(action)
    if target:
        title = f"{title}: {target}"
    embed = discord.Embed(title=title[:256], colour=discord.Colour(MODLOG_COLOUR))
    embed.description = f"By <@{actor_id}>"
    if before:
        embed.add_field(name="Before", value=_settings_text(before), inline=False)
    if after:
        embed.add_field(name="After", value=_settings_text(after), inline=False)
    embed.set_footer(text=action)
    return embed


def _default_title(action: str) -> str:
    feature, _, verb = action.partition(".")
    names = {"clinicwatch": "Clinic watch", "autoresponse": "Auto-responses", "modlog": "Mod-log"}
    return f"{names.get(feature, feature)}: {verb.replace('.', ' ')}" if verb else action


def _settings_text(values: Mapping[str, Any]) -> str:
    lines = []
    for key, value in values.items():
        shown = _value_text(value)
        if len(shown) > VALUE_CHARS:
            shown = shown[: VALUE_CHARS - 1] + "…"
        lines.append(f"**{key}**: {discord.utils.escape_markdown(shown)}")
    text = "\n".join(lines) or "-"
    return text if len(text) <= FIELD_CHARS else text[: FIELD_CHARS - 1] + "…"


def _value_text(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(_value_text(item) for item in value) or "none"
    return " ".join(str(value).split())


_reports_in_flight: set[asyncio.Task[None]] = set()


async def report_change(
    bot: StemcellBot,
    guild_id: int,
    actor_id: int,
    action: str,
    target: str | None,
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
    *,
    channel_id: int | None = None,
) -> None:
    """Report a change to the mod-log channel in the background; returns at once, never raises.

    The moderator's command answers first: a slow or rate-limited mod-log channel must never make a
    saved change look like a failure. `channel_id` overrides the configured channel (`/modlog off`
    says goodbye in the old one).
    """
    task = asyncio.create_task(
        _post_report(bot, guild_id, actor_id, action, target, before, after, channel_id),
        name=f"modlog-report-{guild_id}",
    )
    _reports_in_flight.add(task)
    task.add_done_callback(_reports_in_flight.discard)


async def _post_report(
    bot: StemcellBot,
    guild_id: int,
    actor_id: int,
    action: str,
    target: str | None,
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
    channel_id: int | None,
) -> None:
    try:
        if channel_id is None:
            channel_id = await AutoresponseRepository(bot.db).get_modlog_channel(guild_id)
        if channel_id is None:
            return
        embed = change_embed(actor_id, action, target, before, after)
        channel = bot.get_partial_messageable(channel_id, guild_id=guild_id)
        await asyncio.wait_for(
            channel.send(embed=embed, allowed_mentions=discord.AllowedMentions.none()),
            timeout=REPORT_TIMEOUT_SECONDS,
        )
    except discord.HTTPException as error:
        log.warning(
            "Could not post to the mod-log channel (guild=%s channel=%s action=%s): %s",
            guild_id,
            channel_id,
            action,
            error.text or error.status,
        )
    except TimeoutError:
        log.warning(
            "The mod-log report timed out (guild=%s channel=%s action=%s)", guild_id, channel_id, action
        )
    except Exception:  # the change is already saved; a broken report must not fail the command
        log.exception(
            "The mod-log report failed (guild=%s channel=%s action=%s)", guild_id, channel_id, action
        )


class ModlogGroup(ModeratorGroup):
    """`/modlog channel` and `/modlog off`; both are audited by the repository."""

    def __init__(self, bot: StemcellBot) -> None:
        super().__init__(name="modlog", description="Moderators: where configuration changes are reported")
        self.bot = bot
        self.repository = AutoresponseRepository(bot.db)

    @app_commands.command(name="channel", description="Report every configuration change in a channel")
    @app_commands.describe(channel="The channel for short reports of each change (moderators only, ideally)")
    async def channel(self, interaction: discord.Interaction, channel: discord.TextChannel) -> None:
        assert interaction.guild is not None
        _check_can_post(interaction.guild, channel.id)
        before = await self.repository.get_modlog_channel(interaction.guild.id)
        if before == channel.id:
            await interaction.response.send_message(
                f"Changes are already reported in <#{channel.id}>; nothing changed.", ephemeral=True
            )
            return
        await self.repository.set_modlog_channel(
            interaction.guild.id, channel.id, actor_id=interaction.user.id, now=self.bot.clock.now()
        )
        await report_change(
            self.bot,
            interaction.guild.id,
            interaction.user.id,
            "modlog.set",
            None,
            {"channel": f"<#{before}>" if before else None},
            {"channel": f"<#{channel.id}>"},
        )
        await interaction.response.send_message(
            f"From now on I'll report each change to auto-responses and the clinic watch in <#{channel.id}>.",
            ephemeral=True,
        )

    @app_commands.command(name="off", description="Stop reporting configuration changes in a channel")
    async def off(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        before = await self.repository.get_modlog_channel(interaction.guild_id)
        cleared = await self.repository.clear_modlog_channel(
            interaction.guild_id, actor_id=interaction.user.id, now=self.bot.clock.now()
        )
        if not cleared or before is None:
            await interaction.response.send_message(
                "No mod-log channel was set, so there was nothing to turn off.", ephemeral=True
            )
            return
        await report_change(
            self.bot,
            interaction.guild_id,
            interaction.user.id,
            "modlog.clear",
            None,
            None,
            None,
            channel_id=before,
        )
        await interaction.response.send_message(
            f"I'll stop reporting changes in <#{before}>. The audit log still keeps every change.",
            ephemeral=True,
        )


def _check_can_post(guild: discord.Guild, channel_id: int) -> None:
    """Refuse a channel the bot cannot post embeds in, before saving it (when the cache can tell)."""
    channel = guild.get_channel(channel_id)
    me = guild.me
    if channel is None or me is None:
        return
    permissions = channel.permissions_for(me)
    if not (permissions.view_channel and permissions.send_messages and permissions.embed_links):
        raise InvalidInput(
            f"I can't post reports in <#{channel_id}>: I need View Channel, Send Messages and Embed Links "
            "there. Nothing was changed."
        )


class ModlogCog(commands.Cog, name="Mod-log"):
    def __init__(self, bot: StemcellBot) -> None:
        self.bot = bot
        self.group = ModlogGroup(bot)

    async def cog_load(self) -> None:
        self.bot.tree.add_command(self.group)

    async def cog_unload(self) -> None:
        self.bot.tree.remove_command(self.group.name)
