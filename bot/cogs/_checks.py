"""Moderator commands are locked twice: hidden by default permissions, and checked at run time.

`default_permissions` is only a hint that server admins can change (and it does nothing on
subcommands), so every moderator group also checks the member's Manage Server permission itself.
"""

from __future__ import annotations

import discord
from discord import app_commands

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
        if not interaction.permissions.manage_guild:
            raise NotAModerator()
        return True
