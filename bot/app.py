"""The Discord client: intents, mentions, the command tree with its one error handler, and sync policy.

`build_bot` receives everything already opened (settings, database, content, HTTP session);
nothing here connects at import, and nothing one-time runs in `on_ready` (it fires on every
reconnect).
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import logging
import random
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import discord
import discord.gateway
import discord.http
import yarl
from discord import app_commands
from discord.ext import commands

from bot.cogs._checks import NotAModerator, UnknownServer
from bot.cogs._context import BotContext
from bot.cogs._modlog import ModlogReporter
from bot.cogs._replies import SOMETHING_WENT_WRONG, send_ephemeral
from bot.cogs._ui import PRIVATE_FEATURE
from bot.core.clock import Clock, SystemClock
from bot.core.content.model import ContentBundle
from bot.core.journal.crypto import JournalKeys, default_key_path
from bot.db.database import Database, open_database
from bot.db.migrate import apply_migrations
from bot.errors import UserFacingError
from bot.memory import settle_after_start_up
from bot.services import build_services
from bot.services.journal import journal_migration_inputs, load_journal_keys
from bot.settings import Settings

log = logging.getLogger(__name__)


FORM_RESCUE_DELAY = 2.0  # seconds, only when live forms cannot be told apart; Discord allows three
FORM_EXPIRED = (
    "Sorry, that form had expired (it was open a long time, or I restarted), so it was not saved. "
    "Please open it again."
)


def form_text(data: Mapping[str, Any]) -> str:
    """Every value typed into a submitted form, in order, one block per field."""
    blocks: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            value = node.get("value")
            if isinstance(value, str) and value.strip():
                blocks.append(f"{node.get('custom_id', 'field')}:\n{value}")
            for child in ("components", "component"):
                walk(node.get(child))
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(data.get("components"))
    return "\n\n".join(blocks)


def tree_hash_key(guild_id: int | None) -> str:
    return f"command_tree_hash:{guild_id or 'global'}"


class StemcellTree(app_commands.CommandTree):
    """Command tree whose error handler always answers the member, kindly and ephemerally."""

    async def on_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        original = getattr(error, "original", error)
        message = _message_for(original)
        if message is None:
            command = interaction.command.qualified_name if interaction.command else "?"
            if _is_private(interaction.command):
                # A private feature (the journal): no log line may tie a Discord id to its use.
                log.error("Command /%s failed", command, exc_info=original)
            else:
                log.error(
                    "Command /%s failed (guild=%s channel=%s user=%s)",
                    command,
                    interaction.guild_id,
                    interaction.channel_id,
                    interaction.user.id,
                    exc_info=original,
                )
            message = SOMETHING_WENT_WRONG
        await send_ephemeral(interaction, message)


def _is_private(command: app_commands.Command[Any, ..., Any] | app_commands.ContextMenu | None) -> bool:
    """Whether the command belongs to a group marked `extras={PRIVATE_FEATURE: True}`."""
    node: Any = command
    while node is not None:
        if node.extras.get(PRIVATE_FEATURE):
            return True
        node = getattr(node, "parent", None)
    return False


def _message_for(error: BaseException) -> str | None:
    """The member-facing text for an expected error, or None for a bug."""
    if isinstance(error, UserFacingError):
        return error.message
    if isinstance(error, NotAModerator | UnknownServer):
        return error.message
    if isinstance(error, app_commands.NoPrivateMessage):
        return "That command works in a server only, not in direct messages."
    if isinstance(error, app_commands.MissingPermissions):
        needed = ", ".join(p.replace("_", " ").title() for p in error.missing_permissions)
        return f"Only members with the {needed} permission can use that command."
    if isinstance(error, app_commands.CommandOnCooldown):
        return f"Easy there: you can use that again in {error.retry_after:.0f} seconds."
    if isinstance(error, app_commands.TransformerError):
        return f"I couldn't understand {error.value!r} for that option. Could you check it and try again?"
    if isinstance(error, app_commands.CheckFailure):
        return "You can't use that command here."
    return None


class StemcellBot(commands.Bot):
    """The bot process: owns nothing it did not receive, closes only what Discord opened."""

    def __init__(
        self,
        settings: Settings,
        db: Database,
        content: ContentBundle,
        journal_keys: JournalKeys,
        *,
        http_session: aiohttp.ClientSession | None = None,
        clock: Clock | None = None,
        rng: random.Random | None = None,
    ) -> None:
        intents = discord.Intents.none()
        intents.guilds = True
        intents.guild_messages = True
        intents.dm_messages = True
        intents.message_content = True
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents,
            allowed_mentions=discord.AllowedMentions.none(),
            tree_cls=StemcellTree,
            help_command=None,
            max_messages=None,
        )
        self.settings = settings
        self.db = db
        self.content = content
        self.clock: Clock = clock or SystemClock()
        # Only when built without the process's shared session (tests of the bot alone).
        self._owned_session = aiohttp.ClientSession() if http_session is None else None
        session = http_session or self._owned_session
        assert session is not None
        self.services = build_services(settings, db, content, journal_keys, session, self.clock, rng=rng)
        self.context = BotContext(
            client=self,
            settings=settings,
            clock=self.clock,
            content=content,
            services=self.services,
            modlog=ModlogReporter(self, self.services.modlog),
        )
        self.synced_scopes: list[str] = []

    async def login(self, token: str) -> None:
        # The REST base is read on every request, so it must be set before the first one.
        if self.settings.api_base_overridden:
            discord.http.Route.BASE = self.settings.discord_api_base
        await super().login(token)

    async def setup_hook(self) -> None:
        if self.settings.api_base_overridden:
            await self._use_gateway_of_api_base()
        await self.services.start()
        for cog in self.make_cogs():
            await self.add_cog(cog)
        await self.sync_commands_if_needed()
        settle_after_start_up()  # the collector back on, and start-up's free memory returned

    def make_cogs(self) -> list[commands.Cog]:
        """Every feature's cog, built with the bot's context (cogs take what they need from it)."""
        from bot.cogs.autoresponse import AutoresponseCog
        from bot.cogs.caution import CautionCog
        from bot.cogs.clinic_watch import ClinicWatchCog
        from bot.cogs.explainers import ExplainersCog
        from bot.cogs.glossary import GlossaryCog
        from bot.cogs.help import HelpCog
        from bot.cogs.journal import JournalCog
        from bot.cogs.message_scan import MessageScanCog
        from bot.cogs.modlog import ModlogCog
        from bot.cogs.trial_watch import TrialWatchCog
        from bot.cogs.trials import TrialsCog

        cog_types: list[Callable[[BotContext], commands.Cog]] = [
            ExplainersCog,
            GlossaryCog,
            CautionCog,
            HelpCog,
            MessageScanCog,
            ClinicWatchCog,
            AutoresponseCog,
            ModlogCog,
            TrialsCog,
            TrialWatchCog,
            JournalCog,
        ]
        return [cog_type(self.context) for cog_type in cog_types]

    async def _use_gateway_of_api_base(self) -> None:
        """Ask the configured API base for its gateway, since discord.py would go to Discord's own."""
        _shards, url, _limits = await self.http.get_bot_gateway()
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(url)
        log.info("Using the gateway announced by %s", self.settings.discord_api_base)

    def command_tree_payload(self, guild: discord.abc.Snowflake | None = None) -> list[dict[str, Any]]:
        commands_ = self.tree.get_commands(guild=guild)
        return sorted((c.to_dict(self.tree) for c in commands_), key=lambda c: (c["type"], c["name"]))

    async def sync_commands_if_needed(self) -> None:
        """Sync globally (and to the dev guild) per SYNC_COMMANDS: `auto` only when the tree changed."""
        mode = self.settings.sync_commands
        if mode == "never":
            log.info("Command sync is off (SYNC_COMMANDS=never)")
            return
        scopes: list[discord.Object | None] = [None]
        if self.settings.dev_guild_id:
            dev_guild = discord.Object(self.settings.dev_guild_id)
            self.tree.copy_global_to(guild=dev_guild)
            scopes.append(dev_guild)
        for guild in scopes:
            payload = self.command_tree_payload(guild)
            digest = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()
            key = tree_hash_key(guild.id if guild else None)
            if mode == "auto" and await self.services.bot_state.get(key) == digest:
                log.info("Commands unchanged since the last sync (%s); not syncing", key)
                continue
            await self.tree.sync(guild=guild)
            await self.services.bot_state.set(key, digest, self.clock.now())
            self.synced_scopes.append(key)
            log.info("Synced %d commands (%s)", len(payload), "global" if guild is None else guild.id)

    async def on_message(self, message: discord.Message) -> None:
        """No prefix commands: message handling lives in the message-scan cog alone."""

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """Rescue the text of a form nobody can answer (it expired, or the bot restarted while it was open).

        Forms live in memory only; without this, a member who wrote a long journal entry in a
        form opened before a restart would see "Something went wrong" and lose every word.
        """
        if interaction.type is not discord.InteractionType.modal_submit:
            return
        live = self._form_is_live(interaction)
        if live:
            return
        if live is None:  # cannot tell: give a live form its moment to answer first
            await asyncio.sleep(FORM_RESCUE_DELAY)
            if interaction.response.is_done():
                return
        written = form_text(interaction.data or {})
        reply = FORM_EXPIRED + (" What you wrote is attached, so nothing is lost." if written else "")
        files = [discord.File(io.BytesIO(written.encode("utf-8")), "your-text.txt")] if written else []
        try:
            await interaction.response.send_message(reply, files=files, ephemeral=True)
        except discord.HTTPException:
            log.warning("Could not answer an expired form (interaction %s)", interaction.id)

    def _form_is_live(self, interaction: discord.Interaction) -> bool | None:
        """Whether discord.py still holds the form this submission belongs to (None: cannot tell).

        discord.py hands a submission to its form before this event runs, and forgets the form
        only after the form has answered, so a form found here is the one answering.
        """
        forms = getattr(getattr(self._connection, "_view_store", None), "_modals", None)
        if not isinstance(forms, dict):
            return None
        return (interaction.data or {}).get("custom_id") in forms

    async def close(self) -> None:
        await super().close()
        await self.context.modlog.settle()
        await self.services.close()
        if self._owned_session is not None:
            await self._owned_session.close()

    async def on_ready(self) -> None:
        log.info(
            "Connected as %s (id %s) to %d servers", self.user, self.user and self.user.id, len(self.guilds)
        )


@asynccontextmanager
async def open_bot(
    settings: Settings,
    content: ContentBundle,
    *,
    clock: Clock | None = None,
    rng: random.Random | None = None,
) -> AsyncIterator[StemcellBot]:
    """Open the database (migrated) and the HTTP session, build the bot; close all in reverse order."""
    db = await open_database(settings.database_path)
    try:
        key_path = default_key_path(settings.database_path)
        inputs = journal_migration_inputs(settings.journal_key.get(), key_path)
        applied = await apply_migrations(db, inputs)
        if applied:
            log.info("Database migrated to schema version %d", applied[-1].version)
        keys = await load_journal_keys(db, settings.journal_key.get(), key_path)
        async with aiohttp.ClientSession() as session:
            bot = build_bot(settings, db, content, keys, http_session=session, clock=clock, rng=rng)
            async with bot:
                yield bot
    finally:
        await db.close()


def build_bot(
    settings: Settings,
    db: Database,
    content: ContentBundle,
    journal_keys: JournalKeys,
    *,
    http_session: aiohttp.ClientSession | None = None,
    clock: Clock | None = None,
    rng: random.Random | None = None,
) -> StemcellBot:
    """Assemble the bot from resources the caller opened (and will close); `rng` picks among a rule's
    responses (seeded in tests)."""
    return StemcellBot(settings, db, content, journal_keys, http_session=http_session, clock=clock, rng=rng)
