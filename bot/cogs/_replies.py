"""Answering an interaction whatever state it is in, without ever raising at the member."""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import discord

from bot.errors import UserFacingError

log = logging.getLogger(__name__)


async def send_ephemeral(interaction: discord.Interaction, message: str) -> None:
    """Reply privately: first response if none was sent yet, otherwise a follow-up."""
    try:
        if interaction.response.is_done():
            await interaction.followup.send(message, ephemeral=True)
        else:
            await interaction.response.send_message(message, ephemeral=True)
    except discord.HTTPException:
        log.warning(
            "Could not deliver an error reply (interaction %s, user %s)", interaction.id, interaction.user.id
        )


def pressed_by_its_owner(interaction: discord.Interaction) -> bool:
    """Whether the member using a button or menu ran the command that posted its message.

    Public answers are shared by a channel; someone else's click gets their own private copy
    instead of changing the message under the person who asked. Unknown owner: treat as theirs.
    """
    message = interaction.message
    metadata = message.interaction_metadata if message is not None else None
    return metadata is None or metadata.user.id == interaction.user.id


async def show_to_presser(interaction: discord.Interaction, **message: Any) -> None:
    """Replace the message for its owner; send anyone else a private copy."""
    if pressed_by_its_owner(interaction):
        await interaction.response.edit_message(**message)
    else:
        await interaction.response.send_message(**message, ephemeral=True)


SOMETHING_WENT_WRONG = (
    "Sorry, something went wrong on my side while doing that. Nothing you did caused it, "
    "and nothing was changed. Please try again in a moment."
)

Callback = Callable[[Any, discord.Interaction], Awaitable[None]]


def answers_errors(callback: Callback) -> Callback:
    """For button, menu and modal callbacks, which the command tree's handler never sees.

    A `UserFacingError` becomes its message; anything else is logged with ids and answered
    with an apology, so the member never meets "This interaction failed".
    """

    @functools.wraps(callback)
    async def wrapper(self: Any, interaction: discord.Interaction) -> None:
        try:
            await callback(self, interaction)
        except UserFacingError as error:
            await send_ephemeral(interaction, error.message)
        except Exception:
            log.exception(
                "Component %s failed (guild=%s channel=%s user=%s)",
                type(self).__name__,
                interaction.guild_id,
                interaction.channel_id,
                interaction.user.id,
            )
            await send_ephemeral(interaction, SOMETHING_WENT_WRONG)

    return wrapper
