"""What a cog may use: the client and the services built at start-up, as one typed object.

Cogs take a `BotContext` instead of the bot class, so nothing in `bot/cogs` imports `bot.app` and the
import graph has no cycle. Buttons, menus and forms are built without a cog reference (discord.py
rebuilds dynamic items from their custom ids), so they find the same object with `context_of`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

import discord
from discord.ext import commands

from bot.cogs._modlog import ModlogReporter
from bot.core.clock import Clock
from bot.core.content.model import ContentBundle
from bot.services import Services
from bot.settings import Settings

DirectMessageHandler = Callable[[discord.Message], Awaitable[None]]
CogT = TypeVar("CogT", bound=commands.Cog)


@dataclass(frozen=True, slots=True)
class BotContext:
    """The client, its settings, clock and content, and every service; one per process."""

    client: commands.Bot
    settings: Settings
    clock: Clock
    content: ContentBundle
    services: Services
    modlog: ModlogReporter
    #: Handlers for plain direct messages (the journal's quick notes). The message listener, the
    #: only `on_message`, hands every DM from a person to each of them.
    direct_message_handlers: list[DirectMessageHandler] = field(default_factory=list)


def context_of(interaction: discord.Interaction) -> BotContext:
    """The running bot's context, for components that were rebuilt without a cog reference."""
    context = getattr(interaction.client, "context", None)
    if not isinstance(context, BotContext):
        raise RuntimeError("this client carries no BotContext")
    return context


def cog_of(interaction: discord.Interaction, cog_type: type[CogT]) -> CogT:
    """A component's own cog (for what it built at load, such as a ranker), by type."""
    cog = context_of(interaction).client.get_cog(cog_type.__cog_name__)
    if not isinstance(cog, cog_type):
        raise RuntimeError(f"the {cog_type.__cog_name__} cog is not loaded")
    return cog
