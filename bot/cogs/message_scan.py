"""The only `on_message` listener: one scan per server message, then the one reply it gets.

Everything that reacts to ordinary messages hangs off this listener, so each message is
normalised and matched once however many features care about it. What to answer is decided by
`MessageWatch` (the clinic card goes first, see `bot.core.replies`); this cog only sends it.
Replies never ping anyone, whatever the stored text says, and bots, webhooks, the bot itself and
DMs never get an auto-response. Plain DMs from people go to the direct-message handlers.
"""

from __future__ import annotations

import logging

import discord
from discord.ext import commands

from bot.cogs._clinic_cards import card_buttons
from bot.cogs._context import BotContext
from bot.cogs._embeds import to_embed
from bot.cogs._rule_answers import send_rule_answer
from bot.core.autoresponse import RuleAnswer
from bot.core.content.render import render_caution, render_centre
from bot.core.scanning import NO_HITS, ClinicAlert, Outcome
from bot.services.message_watch import MessageReply, MessageWatch

log = logging.getLogger(__name__)


def reply_for_message(watch: MessageWatch, message: discord.Message) -> MessageReply | None:
    """Everything the listener decides about one server message, before any I/O.

    The hot path of the whole bot (the benches time exactly this): bots, webhooks and servers the
    bot holds no state for (not cached yet, or a forged event) get nothing, the rest one scan.
    """
    author = message.author
    if author.bot or message.webhook_id is not None:
        return None
    guild = message.guild
    if guild is None:
        return None
    channel = message.channel
    # Only threads have a parent; asking other channels with getattr would cost a caught exception.
    parent_id = channel.parent_id if isinstance(channel, discord.Thread) else None
    result = watch.scan(guild.id, channel.id, message.content, parent_channel_id=parent_id)
    if result is NO_HITS:
        return None
    member = author if isinstance(author, discord.Member) else None
    return watch.reply_to(result, guild.id, channel.id, message.content, parent_id, member)


class MessageScanCog(commands.Cog, name="Message scan"):
    def __init__(self, context: BotContext) -> None:
        self.context = context
        self.watch = context.services.message_watch
        # The two cards the clinic watch sends: the ISSCR caution for unproven clinics and products,
        # "Choosing a transplant centre" for aHSCT at a private or foreign centre.
        self.cards = {
            Outcome.CAUTION: to_embed(render_caution(context.content.caution)),
            Outcome.CENTRE: to_embed(render_centre(context.content.centre)),
        }

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        if isinstance(message.channel, discord.DMChannel):
            if not (message.author.bot or message.webhook_id is not None):
                for handle in self.context.direct_message_handlers:
                    await handle(message)
            return
        reply = reply_for_message(self.watch, message)
        if reply is None:
            return
        guild_id = message.guild.id if message.guild is not None else 0
        if isinstance(reply, ClinicAlert):
            await self._send_card(message, guild_id, reply)
        else:
            await self._send_rule_answer(message, guild_id, reply)

    async def _send_card(self, message: discord.Message, guild_id: int, alert: ClinicAlert) -> None:
        """Reply once with the alert's card, pinging no one; remember the time for the cooldown."""
        try:
            await message.reply(
                content=f"-# {alert.explanation()}",
                embed=self.cards[alert.outcome],
                view=card_buttons(alert),
                mention_author=False,
                allowed_mentions=discord.AllowedMentions.none(),
            )
        except discord.HTTPException as error:
            log.warning(
                "Could not post the clinic card %s (guild=%s channel=%s): %s",
                alert.outcome.value,
                guild_id,
                message.channel.id,
                error.text or error.status,
            )
            return
        await self.watch.record_card(guild_id, message.channel.id, alert.fired_at)

    async def _send_rule_answer(self, message: discord.Message, guild_id: int, answer: RuleAnswer) -> None:
        """Send the rule's answer (reply, embed, reaction or DM), pinging no one; count the hit."""
        if await send_rule_answer(message, answer):
            await self.watch.record_rule_answer(guild_id, answer, message.channel.id)
