"""`/caution`: the ISSCR caution list, posted for everyone in the channel to read."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.cogs._context import BotContext
from bot.cogs._embeds import to_embed
from bot.core.content.render import render_caution


class CautionCog(commands.Cog, name="Caution"):
    def __init__(self, context: BotContext) -> None:
        self.content = context.content

    @app_commands.command(
        name="caution", description="What to check before going to a stem-cell clinic (ISSCR)"
    )
    @app_commands.allowed_contexts(guilds=True, dms=True, private_channels=True)
    @app_commands.allowed_installs(guilds=True, users=False)
    async def caution(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(embed=to_embed(render_caution(self.content.caution)))
