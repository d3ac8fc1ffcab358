"""What a rule says once it answers: one of its responses picked at random, placeholders filled, fitted.

Moderators write `{member}`, `{channel}` and `{server}` in a response; they become the member's
display name, the channel's name and the server's name, as plain text. Nothing else in braces
means anything and nothing is evaluated: `{other}` stays as written. A filled name can never
ping: markdown is made literal and every `@` is followed by an invisible joiner, so even a
member named "@everyone" stays text (the client sends no mentions anyway).

The pick takes its random source from the caller (`random.Random`), so tests choose the seed.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from bot.core import limits
from bot.core.autoresponse.rules import AnswerKind, Rule, RuleTrigger
from bot.core.text import clip, escape_markdown, one_line

PLACEHOLDERS = ("member", "channel", "server")
_PLACEHOLDER = re.compile(r"\{(member|channel|server)\}")
_NO_MENTION = "@\u2060"  # WORD JOINER: "@everyone" reads the same and is no longer a mention
_NAME_CHARS = 100  # Discord's longest channel and server names


@dataclass(frozen=True, slots=True)
class RuleAnswer:
    """The rule that answers a message, the trigger it was found by, and the response picked."""

    rule: Rule
    position: int  # of the trigger, from 1 (the main trigger)
    response_index: int = 0

    @property
    def trigger(self) -> RuleTrigger:
        return self.rule.draft.triggers[self.position - 1]

    @property
    def kind(self) -> AnswerKind:
        return self.rule.draft.kind

    @property
    def response(self) -> str:
        """The picked response as the moderator wrote it (placeholders not filled)."""
        return self.rule.draft.responses[self.response_index]


def pick_response(rule: Rule, rng: random.Random) -> int:
    """The index of the response to send: by weight, or each as likely; one response needs no draw."""
    draft = rule.draft
    if not draft.more_responses:
        return 0
    weights = draft.response_weights
    return rng.choices(range(len(weights)), weights=weights)[0]


@dataclass(frozen=True, slots=True)
class Placeholders:
    """The names a response may mention, as Discord reports them; made safe when filled in."""

    member: str
    channel: str
    server: str


def safe_name(name: str) -> str:
    """A name as literal text on one line: no markdown, no mention, at most 100 characters."""
    return escape_markdown(clip(one_line(name), _NAME_CHARS)).replace("@", _NO_MENTION)


def fill_placeholders(text: str, names: Placeholders) -> str:
    """`{member}`, `{channel}` and `{server}` replaced by safe names; any other text left alone."""
    if "{" not in text:
        return text
    values = {
        "member": safe_name(names.member),
        "channel": "#" + safe_name(names.channel),
        "server": safe_name(names.server),
    }
    return _PLACEHOLDER.sub(lambda match: values[match[1]], text)


@dataclass(frozen=True, slots=True)
class RenderedAnswer:
    """An answer as plain data for the message listener: what to send, and how."""

    kind: AnswerKind
    content: str = ""  # reply or DM text
    title: str = ""  # embed
    description: str = ""  # embed
    link: str = ""  # embed
    emoji: str = ""  # reaction


def render_answer(answer: RuleAnswer, names: Placeholders) -> RenderedAnswer:
    """The picked response with its placeholders filled, cut to fit Discord's limits."""
    draft = answer.rule.draft
    text = answer.response
    kind = draft.kind
    if kind is AnswerKind.REACTION:
        return RenderedAnswer(kind, emoji=text)
    filled = fill_placeholders(text, names)
    if kind is AnswerKind.EMBED:
        return RenderedAnswer(
            kind,
            title=clip(fill_placeholders(draft.title, names), limits.EMBED_TITLE_CHARS),
            description=clip(filled, limits.EMBED_DESCRIPTION_CHARS),
            link=draft.link,
        )
    if kind is AnswerKind.DM:
        server, channel = safe_name(names.server), safe_name(names.channel)
        where = f"-# An automatic answer from {server} to your message in #{channel}"
        return RenderedAnswer(kind, content=clip(f"{where}\n{filled}", limits.MESSAGE_CHARS))
    return RenderedAnswer(kind, content=clip(filled, limits.MESSAGE_CHARS))
