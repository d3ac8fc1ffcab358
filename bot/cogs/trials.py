"""`/trials`: recruiting MS stem-cell studies from ClinicalTrials.gov, nearest first, five per page.

The page buttons are dynamic items whose custom ids carry the intervention, the page and the
place (rounded coordinates plus its label), so they keep working after a restart; a click
reads the list again from the service, which answers from its cache.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.cogs._context import BotContext, context_of
from bot.cogs._embeds import to_embed
from bot.cogs._places import place_choices
from bot.cogs._replies import pressed_by_its_owner
from bot.cogs._ui import SafeItem, dynamic_buttons
from bot.cogs.trial_watch import ResumeButton
from bot.core.trials import (
    DEFAULT_INTERVENTION,
    INTERVENTION_OPTIONS,
    Place,
    TrialQuery,
    TrialResults,
)
from bot.core.trials.render import PageState, render_trials_page
from bot.core.trials.watch_render import paused_notice

log = logging.getLogger(__name__)

PREVIOUS_PREFIX = "trials:prev:"
NEXT_PREFIX = "trials:next:"
PAGE_LABEL_ID = "trials:page-label"


def trials_message(results: TrialResults, page: int) -> dict[str, Any]:
    """Embed and page buttons for one page; no buttons when everything fits on one page."""
    rendered = render_trials_page(results, page)
    view = discord.ui.View(timeout=None)
    if rendered.page_count > 1:
        previous = PageState.for_results(results, max(rendered.page - 1, 0))
        following = PageState.for_results(results, min(rendered.page + 1, rendered.page_count - 1))
        # Every item is dynamic (the page label too), so discord.py keeps no per-message view in memory.
        view.add_item(
            TrialsPageButton(PREVIOUS_PREFIX, previous, label="Previous", disabled=not rendered.has_previous)
        )
        view.add_item(PageLabel(rendered.page_label))
        view.add_item(TrialsPageButton(NEXT_PREFIX, following, label="Next", disabled=not rendered.has_next))
    return {"embed": to_embed(rendered.embed), "view": view}


class PageLabel(SafeItem[discord.ui.Button], template=PAGE_LABEL_ID):
    """The disabled "Page x of y" between the arrows; it is never pressed."""

    def __init__(self, label: str = "") -> None:
        super().__init__(
            discord.ui.Button(
                label=label or "Page",
                custom_id=PAGE_LABEL_ID,
                style=discord.ButtonStyle.secondary,
                disabled=True,
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str]
    ) -> PageLabel:
        return cls()

    async def pressed(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer()  # disabled, so only an odd client gets here


class TrialsPageButton(
    SafeItem[discord.ui.Button], template=r"trials:(?P<direction>prev|next):(?P<state>.+)"
):
    """Previous / Next: the invoker's click turns the page in place; anyone else gets their own copy."""

    def __init__(self, prefix: str, state: PageState, *, label: str = "", disabled: bool = False) -> None:
        super().__init__(
            discord.ui.Button(
                label=label or ("Previous" if prefix == PREVIOUS_PREFIX else "Next"),
                style=discord.ButtonStyle.primary,
                custom_id=state.encode(prefix),
                disabled=disabled,
            )
        )
        self.state = state

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str]
    ) -> TrialsPageButton:
        state = PageState.decode(match["state"])
        if state is None:
            # Not one of ours after all (a future format?): show the first page of the default list.
            state = PageState()
        prefix = PREVIOUS_PREFIX if match["direction"] == "prev" else NEXT_PREFIX
        return cls(prefix, state)

    async def pressed(self, interaction: discord.Interaction) -> None:
        trials = context_of(interaction).services.trials
        in_place = pressed_by_its_owner(interaction)
        # The cache answers at once, but an expired entry means a registry call: defer first.
        if in_place:
            await interaction.response.defer()
        else:
            await interaction.response.defer(ephemeral=True, thinking=True)
        query = TrialQuery(self.state.intervention)
        results = await trials.search(
            query, near=self.state.place, include_observational=self.state.include_observational
        )
        message = trials_message(results, self.state.page)
        if in_place:
            await interaction.edit_original_response(**message)
        else:
            await interaction.followup.send(**message, ephemeral=True)


class TrialsCog(commands.Cog, name="Trials"):
    """Adapter between Discord and `bot.core.trials`: options in, one rendered page out."""

    def __init__(self, context: BotContext) -> None:
        self.client = context.client
        self.service = context.services.trials
        self.places = context.services.places
        self.watches = context.services.trial_watch

    async def cog_load(self) -> None:
        # Nothing is loaded here: the place index is read from disk per look-up (built at first use).
        self.client.add_dynamic_items(TrialsPageButton, PageLabel)

    async def cog_unload(self) -> None:
        self.client.remove_dynamic_items(TrialsPageButton, PageLabel)

    @app_commands.command(
        name="trials", description="Recruiting MS stem-cell studies from ClinicalTrials.gov, nearest first"
    )
    @app_commands.describe(
        near="A city, state, province or country, such as 'London, Ontario': studies nearest to it first",
        intervention="Which kind of stem-cell therapy to look for (default: any)",
        observational="Also list observational studies, which follow people but assign no treatment",
    )
    @app_commands.choices(
        intervention=[
            app_commands.Choice(name=option.label, value=option.key) for option in INTERVENTION_OPTIONS
        ]
    )
    @app_commands.allowed_contexts(guilds=True, dms=True, private_channels=True)
    @app_commands.allowed_installs(guilds=True, users=False)
    async def trials(
        self,
        interaction: discord.Interaction,
        near: str | None = None,
        intervention: str | None = None,
        observational: bool = False,
    ) -> None:
        # Checked before deferring, so a typo gets a private answer rather than a public one.
        query = TrialQuery(intervention or DEFAULT_INTERVENTION)
        place: Place | None = None
        wants_place = near is not None and near.strip() != ""
        if wants_place and await self.places.load_if_built():
            place = await self.places.resolve_or_raise(near or "")
        await interaction.response.defer(thinking=True)
        try:
            if wants_place and place is None:
                # First use: the place index is built now (about a second), after the defer so
                # Discord's three seconds cannot run out; a typo still ends in a private answer.
                place = await self.places.resolve_or_raise(near or "")
            results = await self.service.search(query, near=place, include_observational=observational)
        except Exception:
            # The tree's handler answers with a follow-up, which would otherwise replace the public
            # "thinking" placeholder and so be seen by everyone; without it, the answer stays private.
            await _remove_placeholder(interaction)
            raise
        await interaction.followup.send(**trials_message(results, 0))
        await self._tell_paused_watches(interaction)

    @trials.autocomplete("near")
    async def near_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await place_choices(self.places, current)

    async def _tell_paused_watches(self, interaction: discord.Interaction) -> None:
        """Once, after a trial watch paused because a DM was refused: say so, privately, with a button
        that turns it back on (marked as told only once sent). Never spoils the results already sent."""
        try:
            paused = await self.watches.untold_pauses(interaction.user.id)
            if paused:
                await interaction.followup.send(
                    paused_notice(paused),
                    view=dynamic_buttons(ResumeButton(interaction.user.id)),
                    ephemeral=True,
                )
                await self.watches.pauses_told(interaction.user.id)  # once sent: never told twice
        except Exception:
            log.exception("Could not tell a member that their trial watch is paused")


async def _remove_placeholder(interaction: discord.Interaction) -> None:
    """Delete the deferred response, so the error reply that follows can be ephemeral."""
    try:
        await interaction.delete_original_response()
    except discord.HTTPException:
        log.warning("Could not remove the placeholder of interaction %s", interaction.id)
