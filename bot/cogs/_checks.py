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


class UnknownServer(app_commands.CheckFailure):
    """A moderator command from a server the bot is not in (forged or replayed): refused, not audited."""

    message = "I can only change settings for a server I'm a member of, so nothing was changed."


class ModeratorGroup(app_commands.Group):
    """A guild-only command group whose every subcommand requires Manage Server at run time."""

    def __init__(self, *, name: str, description: str) -> None:
        super().__init__(
            name=name,
            description=description,
            default_permissions=MODERATOR_PERMISSIONS,
            # Installed to servers only and usable in servers only: never in DMs or as a user app.
            allowed_contexts=app_commands.AppCommandContext(guild=True),
            allowed_installs=app_commands.AppInstallationType(guild=True),
        )

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.guild_id is None:
            raise app_commands.NoPrivateMessage()
        if not in_known_server(interaction):
            raise UnknownServer()
        if not is_moderator(interaction):
            raise NotAModerator()
        return True


def in_known_server(interaction: discord.Interaction) -> bool:
    """Whether the interaction comes from a server the bot is in (Discord sent it that server).

    `interaction.guild` is no proof: for an unknown server discord.py builds a partial guild from the
    interaction itself, so a forged or replayed interaction would pass.
    """
    guild_id = interaction.guild_id
    return guild_id is not None and interaction.client.get_guild(guild_id) is not None


def is_moderator(interaction: discord.Interaction) -> bool:
    """Manage Server in a server the bot is in, as Discord computed it for this very interaction."""
    return in_known_server(interaction) and interaction.permissions.manage_guild


async def refuse_non_moderator(interaction: discord.Interaction) -> bool:
    """The runtime check again for buttons and forms, which the group's check does not cover:
    True for a moderator, a private refusal for anyone else."""
    if is_moderator(interaction):
        return True
    await send_ephemeral(interaction, NotAModerator.message)
    return False
