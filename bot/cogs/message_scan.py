"""The only `on_message` listener: one scan per server message, then the caution or a rule's answer.

Everything that reacts to ordinary messages hangs off this listener, so each message is
normalised and matched once however many features care about it.

One bot reply per message, which is calmer for the channel: when the clinic caution fires for a
message, the moderators' auto-responses stay quiet for it (and take no cooldown). Replies never
ping anyone, whatever the stored text says, and bots, webhooks, the bot itself and DMs never
get an auto-response.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING

import discord
from discord.ext import commands

from bot.cogs._embeds import to_embed
from bot.cogs.autoresponse import COG_NAME as AUTORESPONSE_COG
from bot.cogs.autoresponse import AutoresponseCog
from bot.core.content.render import render_caution
from bot.core.scanning import NO_HITS, ClinicAlert, Outcome
from bot.core.scanning.settings import MAX_COOLDOWN_MINUTES
from bot.db.repositories.clinic_watch import ClinicWatchRepository

if TYPE_CHECKING:
    from bot.app import StemcellBot

log = logging.getLogger(__name__)


class MessageScanCog(commands.Cog, name="Message scan"):
    def __init__(self, bot: StemcellBot) -> None:
        self.bot = bot
        self.scanner = bot.scanner
        self.clinic_watch = ClinicWatchRepository(bot.db)
        self.caution_embed = to_embed(render_caution(bot.content.caution))

    async def cog_load(self) -> None:
        """Settings and recent cooldowns from the database, so a restart repeats no caution."""
        self.scanner.load_settings(await self.clinic_watch.all_configured())
        since = self.bot.clock.now() - timedelta(minutes=MAX_COOLDOWN_MINUTES)
        self.scanner.load_last_fired(await self.clinic_watch.all_last_fired(since))

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        guild = message.guild
        if message.author.bot or message.webhook_id is not None:
            return
        if guild is None:
            for handle in self.bot.direct_message_handlers:
                await handle(message)
            return
        channel = message.channel
        parent_id = getattr(channel, "parent_id", None)
        result = self.scanner.scan(guild.id, channel.id, message.content, parent_channel_id=parent_id)
        if result is NO_HITS:
            return
        if result.alert is not None:
            if result.alert.outcome is Outcome.CAUTION:
                await self._send_caution(message, result.alert)
            # The centre card's text arrives with content/centre.yaml; until then nothing is sent.
            return  # one reply per message: the clinic watch speaks, the rules stay quiet
        if result.rule_labels:
            await self._send_rule_answer(message, guild.id, result.rule_labels, parent_id)

    async def _send_caution(self, message: discord.Message, caution: ClinicAlert) -> None:
        """Reply once, pinging no one; remember the time so the cooldown outlives a restart."""
        try:
            await message.reply(
                content=f"-# {caution.explanation()}",
                embed=self.caution_embed,
                mention_author=False,
                allowed_mentions=discord.AllowedMentions.none(),
            )
        except discord.HTTPException as error:
            log.warning(
                "Could not post the clinic caution (guild=%s channel=%s): %s",
                message.guild and message.guild.id,
                message.channel.id,
                error.text or error.status,
            )
            return
        assert message.guild is not None
        await self.clinic_watch.record_fired(message.guild.id, message.channel.id, caution.fired_at)

    async def _send_rule_answer(
        self, message: discord.Message, guild_id: int, labels: tuple[str, ...], parent_id: int | None
    ) -> None:
        """Reply with the one rule that answers (its cooldown taken), pinging no one; count the hit."""
        responder = self.bot.get_cog(AUTORESPONSE_COG)
        if not isinstance(responder, AutoresponseCog):
            return
        now = self.bot.clock.now()
        channel_id = message.channel.id
        rule = responder.book.answer(
            guild_id,
            labels,
            text=message.content,
            channel_id=channel_id,
            now=now,
            parent_channel_id=parent_id,
        )
        if rule is None:
            return
        try:
            await message.reply(
                content=rule.response, mention_author=False, allowed_mentions=discord.AllowedMentions.none()
            )
        except discord.HTTPException as error:
            log.warning(
                "Could not post auto-response #%s (guild=%s channel=%s): %s",
                rule.number,
                guild_id,
                channel_id,
                error.text or error.status,
            )
            return
        await responder.repository.record_hit(guild_id, rule.number, channel_id, now)
