"""Plain render data from `bot.core.content.render` turned into discord.py objects."""

from __future__ import annotations

import discord

from bot.core.content.render import RenderedEmbed


def to_embed(rendered: RenderedEmbed) -> discord.Embed:
    embed = discord.Embed(
        title=rendered.title, description=rendered.description, colour=discord.Colour(rendered.colour)
    )
    for field in rendered.fields:
        embed.add_field(name=field.name, value=field.value, inline=field.inline)
    if rendered.footer:
        embed.set_footer(text=rendered.footer)
    return embed
