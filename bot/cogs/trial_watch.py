"""`/trialwatch add|list|remove`: a direct message when an MS stem-cell trial opens near a member.

Thin adapter: options go to `TrialWatchService`, which owns the job that looks at the registry;
this cog starts that job with what sends a DM (`DirectMessages`) and answers privately everywhere
(a watch says where a member lives). `ResumeButton` turns watches paused by closed DMs back on;
`/trials` offers it once after a pause. Logs carry no Discord id (`PRIVATE_FEATURE`).
"""

from __future__ import annotations

import logging
import re

import discord
from discord import app_commands
from discord.ext import commands

from bot.cogs._context import BotContext, context_of
from bot.cogs._places import place_choices
from bot.cogs._ui import PRIVATE_FEATURE, OwnedItem, dynamic_buttons
from bot.core import limits
from bot.core.text import shorten
from bot.core.trials import INTERVENTION_OPTIONS
from bot.core.trials.watch import MAX_RADIUS_KM, MIN_RADIUS_KM, parse_watch_number, watch_settings
from bot.core.trials.watch_render import (
    NOTHING_PAUSED,
    RESUME_CHECK_DM,
    RESUME_FAILED,
    RESUME_LABEL,
    STILL_CLOSED,
    added_text,
    describe_watch,
    list_text,
    removed_all_text,
    removed_text,
    resumed_text,
)
from bot.services.trial_watch import Delivery

log = logging.getLogger(__name__)

#: Discord's answer when a member does not accept direct messages from the bot.
CANNOT_MESSAGE_USER = 50007
ALL_WATCHES = "all"


class DirectMessages:
    """The job's way to reach a member (`bot.services.trial_watch.WatchNotifier`): one DM, no pings,
    no link previews."""

    def __init__(self, client: discord.Client) -> None:
        self._client = client

    async def send(self, user_id: int, text: str) -> Delivery:
        try:
            user = self._client.get_user(user_id) or await self._client.fetch_user(user_id)
            await user.send(text, allowed_mentions=discord.AllowedMentions.none(), suppress_embeds=True)
        except discord.Forbidden as error:
            return Delivery.CLOSED if error.code == CANNOT_MESSAGE_USER else Delivery.FAILED
        except discord.NotFound:
            return Delivery.CLOSED  # the account is gone: nobody to tell
        except discord.HTTPException:
            return Delivery.FAILED
        return Delivery.SENT


class ResumeButton(OwnedItem[discord.ui.Button], template=r"trialwatch:resume:(?P<owner>\d+)"):
    """Turns the owner's paused watches back on, once a test DM shows they can be reached."""

    private = True
    not_yours = (
        "This button belongs to someone else's trial watch, so I can't use it for you. Nothing was changed."
    )

    def __init__(self, owner_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label=RESUME_LABEL,
                style=discord.ButtonStyle.primary,
                custom_id=f"trialwatch:resume:{owner_id}",
            )
        )
        self.owner_id = owner_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str]
    ) -> ResumeButton:
        return cls(int(match["owner"]))

    async def pressed(self, interaction: discord.Interaction) -> None:
        service = context_of(interaction).services.trial_watch
        await interaction.response.defer(ephemeral=True, thinking=True)
        if not await service.paused(self.owner_id):
            await interaction.followup.send(NOTHING_PAUSED, ephemeral=True)
            return
        delivery = await service.send_check(self.owner_id, RESUME_CHECK_DM)
        if delivery is Delivery.CLOSED:
            await interaction.followup.send(STILL_CLOSED, ephemeral=True)
            return
        if delivery is not Delivery.SENT:
            await interaction.followup.send(RESUME_FAILED, ephemeral=True)
            return
        resumed = await service.resume(self.owner_id)
        await interaction.followup.send(resumed_text(resumed) if resumed else NOTHING_PAUSED, ephemeral=True)


class TrialWatchCog(commands.Cog, name="Trial watch"):
    """Adapter between Discord and the trial watch: commands, the DM sender, the resume button."""

    trialwatch = app_commands.Group(
        name="trialwatch",
        description="A direct message when an MS stem-cell trial opens near you",
        allowed_contexts=app_commands.AppCommandContext(guild=True, dm_channel=True, private_channel=True),
        allowed_installs=app_commands.AppInstallationType(guild=True, user=False),
        # A watch says where a member lives: its failures are logged without ids.
        extras={PRIVATE_FEATURE: True},
    )

    def __init__(self, context: BotContext) -> None:
        self.client = context.client
        self.service = context.services.trial_watch
        self.places = context.services.places

    async def cog_load(self) -> None:
        self.client.add_dynamic_items(ResumeButton)
        # The job waits until the bot is connected: nothing of it runs during start-up.
        self.service.start(DirectMessages(self.client), self.client.wait_until_ready)

    async def cog_unload(self) -> None:
        await self.service.close()
        self.client.remove_dynamic_items(ResumeButton)

    @trialwatch.command(
        name="add", description="A direct message when a matching trial opens or changes status"
    )
    @app_commands.describe(
        near="A city, state, province or country, such as 'London, Ontario' (default: anywhere)",
        intervention="Which kind of stem-cell therapy to watch for (default: any)",
        radius_km=f"How far from `near` a site may be, {MIN_RADIUS_KM} to {MAX_RADIUS_KM} km (default 200)",
    )
    @app_commands.choices(
        intervention=[
            app_commands.Choice(name=option.label, value=option.key) for option in INTERVENTION_OPTIONS
        ]
    )
    async def add(
        self,
        interaction: discord.Interaction,
        near: str | None = None,
        intervention: str | None = None,
        radius_km: app_commands.Range[int, MIN_RADIUS_KM, MAX_RADIUS_KM] | None = None,
    ) -> None:
        wants_place = near is not None and near.strip() != ""
        place = None
        # Mistakes found before deferring are answered at once (privately, like everything here).
        if not wants_place:
            watch_settings(intervention, None, radius_km)
        elif await self.places.load_if_built():
            place = await self.places.resolve_or_raise(near or "")
        await interaction.response.defer(ephemeral=True, thinking=True)
        if wants_place and place is None:
            place = await self.places.resolve_or_raise(near or "")  # first use: the index is built now
        settings = watch_settings(intervention, place, radius_km)
        added = await self.service.add(interaction.user.id, settings)
        await interaction.followup.send(
            added_text(added.watch, added.matching, self.service.interval), ephemeral=True
        )

    @add.autocomplete("near")
    async def near_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await place_choices(self.places, current)

    @trialwatch.command(name="list", description="Your trial watches, and when each looks next")
    async def list_watches(self, interaction: discord.Interaction) -> None:
        user_id = interaction.user.id
        watches = await self.service.watches(user_id)
        if any(watch.paused for watch in watches):
            view = dynamic_buttons(ResumeButton(user_id))
            await interaction.response.send_message(list_text(watches), view=view, ephemeral=True)
            return
        await interaction.response.send_message(list_text(watches), ephemeral=True)

    @trialwatch.command(
        name="remove", description="Stop a trial watch, or all of them; what it kept goes too"
    )
    @app_commands.describe(watch="The watch's number from /trialwatch list, or 'all'")
    async def remove(self, interaction: discord.Interaction, watch: str) -> None:
        user_id = interaction.user.id
        numbers = [each.seq for each in await self.service.watches(user_id)]
        seq = parse_watch_number(watch, numbers)
        # The database file is rebuilt after a removal, which can take a moment on a large one.
        await interaction.response.defer(ephemeral=True, thinking=True)
        if seq is None:
            text = removed_all_text(await self.service.remove_all(user_id))
        else:
            removed = await self.service.remove(user_id, seq)
            text = removed_text(removed.seq, removed.settings)
        await interaction.followup.send(text, ephemeral=True)

    @remove.autocomplete("watch")
    async def watch_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        watches = await self.service.watches(interaction.user.id)
        typed = current.strip().lstrip("#")
        choices = [
            app_commands.Choice(
                name=shorten(f"#{watch.seq} · {describe_watch(watch.settings)}", limits.CHOICE_NAME_CHARS),
                value=str(watch.seq),
            )
            for watch in watches
            if not typed or str(watch.seq).startswith(typed)
        ]
        if watches and (not typed or ALL_WATCHES.startswith(typed.lower())):
            choices.append(app_commands.Choice(name="All my trial watches", value=ALL_WATCHES))
        return choices[: limits.AUTOCOMPLETE_CHOICES]
