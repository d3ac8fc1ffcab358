"""Sending a moderator rule's answer to a member's message: a reply, an embed, a reaction or a DM.

What to say was decided in `bot.core.autoresponse` (`render_answer`: a response picked, its
placeholders filled with names that cannot ping, cut to Discord's limits); this only talks to
Discord. Nothing pings, embeds included. A member whose DMs are closed simply gets nothing: Discord
answers 403 with code 50007, which is expected and logged quietly, without naming the member.
"""

from __future__ import annotations

import logging

import discord

from bot.core.autoresponse import AnswerKind, Placeholders, RuleAnswer, render_answer

log = logging.getLogger(__name__)

ANSWER_COLOUR = 0x3C8D5A
DMS_CLOSED = 50007  # Discord: "Cannot send messages to this user"


def placeholders_for(message: discord.Message) -> Placeholders:
    """The names `{member}`, `{channel}` and `{server}` stand for in an answer to `message`."""
    guild = message.guild
    return Placeholders(
        member=message.author.display_name,
        channel=getattr(message.channel, "name", None) or "this channel",
        server=guild.name if guild is not None else "this server",
    )


async def send_rule_answer(message: discord.Message, answer: RuleAnswer) -> bool:
    """Deliver the answer; True when Discord took it (the hit is then counted)."""
    rendered = render_answer(answer, placeholders_for(message))
    nobody = discord.AllowedMentions.none()
    try:
        if rendered.kind is AnswerKind.REACTION:
            # `<:name:id>` becomes Discord's `name:id`; a Unicode emoji goes as it is.
            await message.add_reaction(discord.PartialEmoji.from_str(rendered.emoji))
        elif rendered.kind is AnswerKind.EMBED:
            embed = discord.Embed(
                title=rendered.title or None,
                description=rendered.description,
                url=rendered.link or None,
                colour=discord.Colour(ANSWER_COLOUR),
            )
            await message.reply(embed=embed, mention_author=False, allowed_mentions=nobody)
        elif rendered.kind is AnswerKind.DM:
            await message.author.send(rendered.content, allowed_mentions=nobody)
        else:
            await message.reply(content=rendered.content, mention_author=False, allowed_mentions=nobody)
    except discord.HTTPException as error:
        guild_id = message.guild.id if message.guild is not None else None
        if rendered.kind is AnswerKind.DM and error.code == DMS_CLOSED:
            log.info(
                "Private auto-response #%s not sent: the member's DMs are closed (guild=%s)",
                answer.rule.number,
                guild_id,
            )
            return False
        log.warning(
            "Could not send auto-response #%s as %s (guild=%s channel=%s): %s",
            answer.rule.number,
            rendered.kind.value,
            guild_id,
            message.channel.id,
            error.text or error.status,
        )
        return False
    return True
