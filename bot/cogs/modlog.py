"""`/modlog`: where configuration changes are reported (the reports themselves: `bot/cogs/_modlog.py`)."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.cogs._checks import ModeratorGroup
from bot.cogs._context import BotContext
from bot.errors import InvalidInput


class ModlogGroup(ModeratorGroup):
    """`/modlog channel` and `/modlog off`; both are audited by the repository."""

    def __init__(self, context: BotContext) -> None:
        super().__init__(name="modlog", description="Moderators: where configuration changes are reported")
        self.context = context
        self.repository = context.services.modlog

    @app_commands.command(name="channel", description="Report every configuration change in a channel")
    @app_commands.describe(channel="The channel for short reports of each change (moderators only, ideally)")
    async def channel(self, interaction: discord.Interaction, channel: discord.TextChannel) -> None:
        assert interaction.guild is not None
        _check_can_post(interaction.guild, channel.id)
        before = await self.repository.channel(interaction.guild.id)
        if before == channel.id:
            await interaction.response.send_message(
                f"Changes are already reported in <#{channel.id}>; nothing changed.", ephemeral=True
            )
            return
        await self.repository.set_channel(
            interaction.guild.id, channel.id, actor_id=interaction.user.id, now=self.context.clock.now()
        )
        self.context.modlog.report(
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
        before = await self.repository.channel(interaction.guild_id)
        cleared = await self.repository.clear_channel(
            interaction.guild_id, actor_id=interaction.user.id, now=self.context.clock.now()
        )
        if not cleared or before is None:
            await interaction.response.send_message(
                "No mod-log channel was set, so there was nothing to turn off.", ephemeral=True
            )
            return
        self.context.modlog.report(
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
    def __init__(self, context: BotContext) -> None:
        self.client = context.client
        self.group = ModlogGroup(context)

    async def cog_load(self) -> None:
        self.client.tree.add_command(self.group)

    async def cog_unload(self) -> None:
        self.client.tree.remove_command(self.group.name)
