"""`/clinicwatch`: moderators tune the clinic caution for their server; every change is audited."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.cogs._checks import ModeratorGroup
from bot.cogs._choices import choices_of
from bot.cogs._clinic_cards import CARD_ITEMS, verdict_text
from bot.cogs._context import BotContext
from bot.core import limits
from bot.core.audit import changed_fields
from bot.core.content.model import ContentBundle
from bot.core.content.render import COLOUR_CAUTION
from bot.core.scanning import (
    SIGNAL_PHRASES,
    ClinicWatchSettings,
    ClinicWordLists,
    ScanPreview,
    Sensitivity,
    WordKind,
    WordMatch,
)
from bot.core.scanning.settings import MAX_COOLDOWN_MINUTES, MIN_COOLDOWN_MINUTES
from bot.core.text import clip, escape_markdown, snippet

WORDS_SHOWN = 40
WatchedChannel = discord.TextChannel | discord.ForumChannel


def _channel_id(interaction: discord.Interaction, channel: WatchedChannel | None) -> int:
    """The chosen channel, or the one the command was used in."""
    return channel.id if channel is not None else interaction.channel_id or 0


MATCHES_SHOWN = 15


def dry_run_embed(
    text: str, preview: ScanPreview, *, channel_id: int, content: ContentBundle
) -> discord.Embed:
    """`/clinicwatch test`: the outcome, the card, the signals, and every listed word with its place."""
    embed = discord.Embed(title="Clinic watch dry run", colour=discord.Colour(COLOUR_CAUTION))
    embed.description = f"If a member sent this in <#{channel_id}>:\n> {snippet(text, 300)}"
    embed.add_field(name="Outcome", value=verdict_text(preview, content), inline=False)
    if preview.signals:
        signals = "\n".join(
            f"- {signal.phrase}: {', '.join(quoted(word) for word in signal.words)}"
            for signal in preview.signals
        )
        embed.add_field(name="Signals", value=clip(signals, limits.EMBED_FIELD_VALUE_CHARS), inline=False)
    if preview.matches:
        lines = [_match_line(match) for match in preview.matches[:MATCHES_SHOWN]]
        if len(preview.matches) > MATCHES_SHOWN:
            lines.append(f"… and {len(preview.matches) - MATCHES_SHOWN} more")
        embed.add_field(
            name="Words found (positions in the folded text)",
            value=clip("\n".join(lines), limits.EMBED_FIELD_VALUE_CHARS),
            inline=False,
        )
    embed.set_footer(text="Nothing was sent and no cooldown was used.")
    return embed


def _match_line(match: WordMatch) -> str:
    where = ", ".join(f"{start}–{end}" for start, end in match.spans[:3]) or "?"
    kind = match.kind.value if match.kind is not None else "neutral phrase"
    counted = "" if match.counted or match.kind is None else " (not counted: inside a care or neutral phrase)"
    return f"{quoted(match.word)} · {kind} · at {where}{counted}"


def quoted(word: str) -> str:
    return f"“{escape_markdown(word)}”"


def _kind_name(kind: WordKind) -> str:
    """The list's name and what its words signal: "product (a stem-cell product)"."""
    return f"{kind.value} ({SIGNAL_PHRASES[kind]})"


KIND_CHOICES = [app_commands.Choice(name=_kind_name(kind), value=kind.value) for kind in WordKind]


class ClinicWatchGroup(ModeratorGroup):
    """The subcommands; each change goes database first (with audit), then into the live scanner."""

    def __init__(self, context: BotContext) -> None:
        super().__init__(name="clinicwatch", description="Moderators: the clinic caution for this server")
        self.context = context
        self.watch = context.services.message_watch

    async def _change(
        self,
        interaction: discord.Interaction,
        action: str,
        edit: Callable[[ClinicWatchSettings], ClinicWatchSettings],
        done: str,
        *,
        target: str | None = None,
    ) -> None:
        assert interaction.guild_id is not None
        change = await self.watch.change_clinic_settings(
            interaction.guild_id,
            actor_id=interaction.user.id,
            action=f"clinicwatch.{action}",
            edit=edit,
            target=target,
        )
        if change.changed:
            before, after = changed_fields(change.before.audit_view(), change.after.audit_view())
            self.context.modlog.report(
                interaction.guild_id,
                interaction.user.id,
                f"clinicwatch.{action}",
                target,
                before,
                after,
            )
        message = done if change.changed else "That was already the setting; nothing changed."
        await interaction.response.send_message(message, ephemeral=True)

    @app_commands.command(name="status", description="Show the clinic caution's settings for this server")
    async def status(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        settings = await self.watch.clinic_settings(interaction.guild_id)
        embed = discord.Embed(title="Clinic watch", colour=discord.Colour(COLOUR_CAUTION))
        embed.add_field(name="State", value="on" if settings.enabled else "off")
        embed.add_field(name="Sensitivity", value=settings.sensitivity.value)
        embed.add_field(name="Cooldown", value=f"{settings.cooldown_minutes} minutes per channel")
        last = await self.watch.last_caution(interaction.channel_id or 0)
        if last is None:
            fired = "Never in this channel."
        else:
            fired = f"<t:{int(last.timestamp())}:R> in this channel."
            remaining = self.watch.caution_cooldown_remaining(
                interaction.guild_id, interaction.channel_id or 0
            )
            if remaining.total_seconds() > 0:
                fired += f" Quiet for another {int(remaining.total_seconds() // 60) + 1} minutes."
        embed.add_field(name="Last caution", value=fired, inline=False)
        ignored = " ".join(f"<#{c}>" for c in sorted(settings.ignored_channel_ids)) or "none"
        embed.add_field(
            name="Ignored channels", value=clip(ignored, limits.EMBED_FIELD_VALUE_CHARS), inline=False
        )
        for name, value in _chunked_fields("Word lists", _word_list_lines(settings, self.watch.defaults)):
            embed.add_field(name=name, value=value, inline=False)
        reports = await self.watch.false_alarms(interaction.guild_id)
        embed.add_field(name="“Not relevant here” reports", value=reports.summary(), inline=False)
        embed.set_footer(
            text="strict: stem-cell or aHSCT talk plus a clinic, travel, a place, a price or a promise; "
            "broad: a clinic word or a stem-cell product alone is enough"
        )
        await interaction.response.send_message(embed=embed, ephemeral=True)

    @app_commands.command(name="on", description="Post the caution when a stem-cell clinic comes up")
    async def turn_on(self, interaction: discord.Interaction) -> None:
        await self._change(interaction, "on", lambda s: s.with_enabled(True), "Clinic watch is **on**.")

    @app_commands.command(name="off", description="Stop posting the caution in this server")
    async def turn_off(self, interaction: discord.Interaction) -> None:
        await self._change(interaction, "off", lambda s: s.with_enabled(False), "Clinic watch is **off**.")

    @app_commands.command(name="cooldown", description="Minutes between two cautions in the same channel")
    @app_commands.describe(minutes="From 1 to 10080 (one week); the default is 30")
    async def cooldown(
        self,
        interaction: discord.Interaction,
        minutes: app_commands.Range[int, MIN_COOLDOWN_MINUTES, MAX_COOLDOWN_MINUTES],
    ) -> None:
        await self._change(
            interaction,
            "cooldown",
            lambda s: s.with_cooldown(minutes),
            f"At most one caution per channel every **{minutes} minutes**.",
        )

    @app_commands.command(
        name="sensitivity", description="strict: needs stem-cell talk; broad: any clinic word"
    )
    @app_commands.describe(level="strict (the default) or broad")
    @app_commands.choices(level=choices_of(Sensitivity))
    async def sensitivity(self, interaction: discord.Interaction, level: str) -> None:
        await self._change(
            interaction,
            "sensitivity",
            lambda s: s.with_sensitivity(level),
            f"Sensitivity is now **{level}**.",
        )

    @app_commands.command(name="ignore", description="Never post the caution in a channel")
    @app_commands.describe(channel="The channel to leave alone (default: this one)")
    async def ignore(self, interaction: discord.Interaction, channel: WatchedChannel | None = None) -> None:
        channel_id = _channel_id(interaction, channel)
        await self._change(
            interaction,
            "ignore",
            lambda s: s.with_ignored_channel(channel_id),
            f"I'll leave <#{channel_id}> alone (and its threads).",
            target=str(channel_id),
        )

    @app_commands.command(name="unignore", description="Watch an ignored channel again")
    @app_commands.describe(channel="The channel to watch again (default: this one)")
    async def unignore(self, interaction: discord.Interaction, channel: WatchedChannel | None = None) -> None:
        channel_id = _channel_id(interaction, channel)
        await self._change(
            interaction,
            "unignore",
            lambda s: s.without_ignored_channel(channel_id),
            f"I'm watching <#{channel_id}> again.",
            target=str(channel_id),
        )

    @app_commands.command(name="test", description="Dry run: would this text get a card here, and why")
    @app_commands.describe(text="A message as a member might write it (nothing is sent, no cooldown is used)")
    async def test(
        self, interaction: discord.Interaction, text: app_commands.Range[str, 1, limits.MESSAGE_CHARS]
    ) -> None:
        assert interaction.guild_id is not None
        channel_id = interaction.channel_id or 0
        preview = self.watch.clinic_preview(
            interaction.guild_id,
            channel_id,
            text,
            parent_channel_id=getattr(interaction.channel, "parent_id", None),
        )
        embed = dry_run_embed(text, preview, channel_id=channel_id, content=self.context.content)
        await interaction.response.send_message(embed=embed, ephemeral=True)

    @app_commands.command(
        name="words", description="List, add or remove the words of any clinic-watch word list"
    )
    @app_commands.describe(
        action="list, add or remove",
        kind="Which word list (see /clinicwatch status for what each holds)",
        word="The word or phrase to add or remove",
    )
    @app_commands.choices(kind=KIND_CHOICES)
    async def words(
        self,
        interaction: discord.Interaction,
        action: Literal["list", "add", "remove"],
        kind: str,
        word: app_commands.Range[str, 1, 60] | None = None,
    ) -> None:
        assert interaction.guild_id is not None
        word_kind = WordKind(kind)
        defaults = self.watch.defaults
        if action == "list":
            settings = await self.watch.clinic_settings(interaction.guild_id)
            words = settings.effective_words(word_kind, defaults)
            await interaction.response.send_message(_listing(settings, word_kind, words), ephemeral=True)
            return
        if word is None or not word.strip():
            await interaction.response.send_message(
                f"Tell me which word to {action}, e.g. `/clinicwatch words action:{action} kind:{kind} "
                "word:clinica`.",
                ephemeral=True,
            )
            return
        if action == "add":
            edit: Callable[[ClinicWatchSettings], ClinicWatchSettings] = lambda s: s.with_word(  # noqa: E731
                word_kind, word, defaults
            )
            done = f"Added “{escape_markdown(word.strip())}” to the {_kind_name(word_kind)} list."
        else:
            edit = lambda s: s.without_word(word_kind, word, defaults)  # noqa: E731
            done = f"Removed “{escape_markdown(word.strip())}” from the {_kind_name(word_kind)} list."
        await self._change(interaction, f"words.{action}", edit, done, target=f"{kind}:{word.strip()}")


def _word_list(words: list[str] | tuple[str, ...], budget: int = limits.EMBED_FIELD_VALUE_CHARS) -> str:
    """Up to `WORDS_SHOWN` words, escaped, within `budget` characters, saying how many more there are."""
    shown: list[str] = []
    for word in words[:WORDS_SHOWN]:
        more = f" … and {len(words) - len(shown) - 1} more" if len(words) > len(shown) + 1 else ""
        if len(", ".join([*shown, escape_markdown(word)])) + len(more) > budget:
            break
        shown.append(escape_markdown(word))
    hidden = len(words) - len(shown)
    return ", ".join(shown) + (f" … and {hidden} more" if hidden else "") if shown else f"{hidden} words"


def _listing(settings: ClinicWatchSettings, kind: WordKind, words: tuple[str, ...]) -> str:
    """One list for `/clinicwatch words action:list`: this server's changes first, then the rest."""
    added, removed = sorted(settings.added(kind)), sorted(settings.removed(kind))
    lines = [f"**{_kind_name(kind)}**: {len(words)} words in force."]
    if added:
        lines.append(f"Added here: {_word_list(added, 600)}")
    if removed:
        lines.append(f"Removed here: {_word_list(removed, 400)}")
    others = [word for word in words if word not in set(added)]
    heading = "\n".join(lines) + "\nFrom the shipped list: "
    return heading + _word_list(others, limits.MESSAGE_CHARS - len(heading))


def _word_list_lines(settings: ClinicWatchSettings, defaults: ClinicWordLists) -> list[str]:
    """One line per list: how many words are in force, and this server's changes to the defaults."""
    lines = []
    for kind in WordKind:
        line = f"**{kind.value}**: {len(settings.effective_words(kind, defaults))}"
        added, removed = sorted(settings.added(kind)), sorted(settings.removed(kind))
        if added:
            line += f"; added {_word_list(added, 200)}"
        if removed:
            line += f"; removed {_word_list(removed, 200)}"
        lines.append(line)
    return lines


def _chunked_fields(name: str, lines: list[str]) -> list[tuple[str, str]]:
    """Lines grouped into embed fields that each fit Discord's field limit."""
    fields: list[tuple[str, str]] = []
    chunk: list[str] = []
    for line in lines:
        if chunk and len("\n".join([*chunk, line])) > limits.EMBED_FIELD_VALUE_CHARS:
            fields.append((name if not fields else f"{name} (continued)", "\n".join(chunk)))
            chunk = []
        chunk.append(clip(line, limits.EMBED_FIELD_VALUE_CHARS))
    if chunk:
        fields.append((name if not fields else f"{name} (continued)", "\n".join(chunk)))
    return fields


class ClinicWatchCog(commands.Cog, name="Clinic watch"):
    def __init__(self, context: BotContext) -> None:
        self.client = context.client
        self.group = ClinicWatchGroup(context)

    async def cog_load(self) -> None:
        self.client.tree.add_command(self.group)
        self.client.add_dynamic_items(*CARD_ITEMS)

    async def cog_unload(self) -> None:
        self.client.remove_dynamic_items(*CARD_ITEMS)
        self.client.tree.remove_command(self.group.name)
