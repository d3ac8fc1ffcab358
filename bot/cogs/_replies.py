"""Answering an interaction whatever state it is in, without ever raising at the member."""

from __future__ import annotations

import logging
from typing import Any

import discord

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
