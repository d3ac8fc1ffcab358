"""`/glossary term`: one friendly paragraph per term, autocompleted, with suggestions for unknown terms."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.cogs._context import BotContext
from bot.cogs._embeds import to_embed
from bot.core import limits
from bot.core.content.render import render_glossary_term, shorten
from bot.core.content.search import Ranker
from bot.errors import NotFound


class GlossaryCog(commands.Cog, name="Glossary"):
    def __init__(self, context: BotContext) -> None:
        self.content = context.content
        self.ranker = Ranker((t.slug, t.term, t.aliases) for t in context.content.glossary.values())

    @app_commands.command(
        name="glossary", description="Plain-language meaning of a word you met about MS or stem cells"
    )
    @app_commands.describe(term="The word or abbreviation, e.g. autologous, EDSS, engraftment")
    @app_commands.allowed_contexts(guilds=True, dms=True, private_channels=True)
    @app_commands.allowed_installs(guilds=True, users=False)
    async def glossary(self, interaction: discord.Interaction, term: str) -> None:
        query = term.strip()
        slug = query if query in self.content.glossary else self.ranker.best(query)
        if slug is None:
            suggestions = [m.label for m in self.ranker.suggest(query)]
            hint = (
                f" Perhaps one of these: {', '.join(f'**{s}**' for s in suggestions)}?"
                if suggestions
                else " Start typing and I'll suggest the terms I know."
            )
            raise NotFound(f"I don't have {shorten(query, 60)!r} in the glossary yet.{hint}")
        embed = render_glossary_term(self.content.glossary[slug], self.content)
        await interaction.response.send_message(embed=to_embed(embed))

    @glossary.autocomplete("term")
    async def term_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return [
            app_commands.Choice(name=shorten(m.label, limits.CHOICE_NAME_CHARS), value=m.key)
            for m in self.ranker.rank(current)
        ]
