"""`/stemcell`: explainers with typo-tolerant autocomplete, an overview menu and related-topic buttons.

Buttons and the menu are dynamic items: their custom ids carry the topic, so they keep working
after a restart without any stored view state.
"""

from __future__ import annotations

import re
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.cogs._context import BotContext, cog_of
from bot.cogs._embeds import to_embed
from bot.cogs._replies import show_to_presser
from bot.cogs._ui import SafeItem
from bot.core import limits
from bot.core.content.model import ContentBundle, Explainer
from bot.core.content.render import (
    render_explainer,
    render_overview,
    shorten,
)
from bot.core.content.search import Ranker
from bot.errors import NotFound

TOPIC_BUTTON_PREFIX = "stemcell:topic:"
OVERVIEW_SELECT_ID = "stemcell:overview"


def topic_ranker(content: ContentBundle) -> Ranker:
    return Ranker((e.slug, e.title, e.aliases) for e in content.explainer_list())


class ExplainerPresenter:
    """Builds the embed and components for a topic or the overview from the loaded content."""

    def __init__(self, content: ContentBundle) -> None:
        self.content = content
        self.ranker = topic_ranker(content)

    def resolve(self, query: str) -> Explainer:
        slug = query if query in self.content.explainers else self.ranker.best(query)
        if slug is None:
            suggestions = [m.label for m in self.ranker.suggest(query)]
            hint = f" Did you mean: {', '.join(suggestions)}?" if suggestions else ""
            raise NotFound(
                f"I don't have a topic called {query!r} yet.{hint} "
                "Use `/stemcell` without a topic to see them all."
            )
        return self.content.explainers[slug]

    def explainer_message(self, explainer: Explainer) -> dict[str, Any]:
        rendered = render_explainer(explainer, self.content)
        view = discord.ui.View(timeout=None)
        for slug, label in rendered.related:
            view.add_item(RelatedTopicButton(slug, label=label))
        for link in rendered.links:
            view.add_item(discord.ui.Button(label=link.label, url=link.url, row=1))
        return {"embed": to_embed(rendered.embed), "view": view}

    def overview_message(self) -> dict[str, Any]:
        view = discord.ui.View(timeout=None)
        view.add_item(OverviewSelect(self.content))
        return {"embed": to_embed(render_overview(self.content)), "view": view}


class RelatedTopicButton(SafeItem[discord.ui.Button], template=r"stemcell:topic:(?P<slug>[a-z0-9-]+)"):
    """A button that swaps the explainer on its message for a related topic (for whoever asked)."""

    def __init__(self, slug: str, *, label: str = "") -> None:
        super().__init__(
            discord.ui.Button(
                label=label or slug, style=discord.ButtonStyle.secondary, custom_id=TOPIC_BUTTON_PREFIX + slug
            )
        )
        self.slug = slug

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str]
    ) -> RelatedTopicButton:
        return cls(match["slug"])

    async def pressed(self, interaction: discord.Interaction) -> None:
        presenter = cog_of(interaction, ExplainersCog).presenter
        await show_to_presser(interaction, **presenter.explainer_message(presenter.resolve(self.slug)))


class OverviewSelect(SafeItem[discord.ui.Select], template=OVERVIEW_SELECT_ID):
    """The overview's topic menu: choosing a topic replaces the overview with it."""

    def __init__(self, content: ContentBundle | None = None) -> None:
        options = [
            discord.SelectOption(
                label=shorten(e.title, limits.SELECT_OPTION_LABEL_CHARS),
                value=e.slug,
                description=shorten(e.summary, limits.SELECT_OPTION_DESCRIPTION_CHARS),
                emoji=e.emoji or None,
            )
            for e in (content.explainer_list() if content else [])
        ]
        super().__init__(
            discord.ui.Select(
                custom_id=OVERVIEW_SELECT_ID,
                placeholder="Choose a topic to read",
                options=options or [discord.SelectOption(label="-", value="-")],
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Select, match: re.Match[str]
    ) -> OverviewSelect:
        return cls()

    async def pressed(self, interaction: discord.Interaction) -> None:
        presenter = cog_of(interaction, ExplainersCog).presenter
        values = (interaction.data or {}).get("values") or []
        slug = str(values[0]) if values else ""
        await show_to_presser(interaction, **presenter.explainer_message(presenter.resolve(slug)))


class ExplainersCog(commands.Cog, name="Explainers"):
    def __init__(self, context: BotContext) -> None:
        self.client = context.client
        self.presenter = ExplainerPresenter(context.content)

    async def cog_load(self) -> None:
        self.client.add_dynamic_items(RelatedTopicButton, OverviewSelect)

    async def cog_unload(self) -> None:
        self.client.remove_dynamic_items(RelatedTopicButton, OverviewSelect)

    @app_commands.command(
        name="stemcell", description="Short, sourced explainers about stem-cell therapy and MS"
    )
    @app_commands.describe(
        topic="The topic to read; leave empty to see all topics",
        private="Show the answer only to you",
    )
    @app_commands.allowed_contexts(guilds=True, dms=True, private_channels=True)
    @app_commands.allowed_installs(guilds=True, users=False)
    async def stemcell(
        self, interaction: discord.Interaction, topic: str | None = None, private: bool = False
    ) -> None:
        if topic is None or not topic.strip():
            message = self.presenter.overview_message()
        else:
            message = self.presenter.explainer_message(self.presenter.resolve(topic.strip()))
        await interaction.response.send_message(**message, ephemeral=private)

    @stemcell.autocomplete("topic")
    async def topic_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return [
            app_commands.Choice(name=shorten(m.label, limits.CHOICE_NAME_CHARS), value=m.key)
            for m in self.presenter.ranker.rank(current)
        ]
