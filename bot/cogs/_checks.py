"""Moderator commands are locked twice: hidden by default permissions, and checked at run time.

`default_permissions` is only a hint that server admins can change (and it does nothing on
subcommands), so every moderator group also checks the member's Manage Server permission itself.
"""

from __future__ import annotations

import discord
from discord import app_commands

from bot.cogs._replies import send_ephemeral

MODERATOR_PERMISSIONS = discord.Permissions(manage_guild=True)


class NotAModerator(app_commands.CheckFailure):
    """Raised by the runtime check; the tree's error handler shows `message`."""

    message = (
        "Only moderators with the **Manage Server** permission can use this command. Nothing was changed."
    )


class ModeratorGroup(app_commands.Group):
    """A guild-only command group whose every subcommand requires Manage Server at run time."""

    def __init__(self, *, name: str, description: str) -> None:
        super().__init__(
            name=name,
            description=description,
            guild_only=True,
            default_permissions=MODERATOR_PERMISSIONS,
        )

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.guild is None:
            raise app_commands.NoPrivateMessage()
        if not is_moderator(interaction):
            raise NotAModerator()
        return True


def is_moderator(interaction: discord.Interaction) -> bool:
    """Manage Server in a server, as Discord computed it for this very interaction."""
    return interaction.guild is not None and interaction.permissions.manage_guild


async def refuse_non_moderator(interaction: discord.Interaction) -> bool:
    """The runtime check again for buttons and forms, which the group's check does not cover:
    True for a moderator, a private refusal for anyone else."""
    if is_moderator(interaction):
        return True
    await send_ephemeral(interaction, NotAModerator.message)
    return False
