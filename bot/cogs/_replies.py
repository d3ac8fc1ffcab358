"""Answering an interaction whatever state it is in, without ever raising at the member."""

from __future__ import annotations

import logging

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
