"""`/clinicwatch`: moderators tune the clinic caution for their server; every change is audited."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.cogs._checks import ModeratorGroup
from bot.cogs._choices import choices_of
from bot.cogs._context import BotContext
from bot.core import limits
from bot.core.audit import changed_fields
from bot.core.content.render import COLOUR_CAUTION
from bot.core.scanning import ClinicWatchSettings, Sensitivity, WordKind
from bot.core.scanning.settings import MAX_COOLDOWN_MINUTES, MIN_COOLDOWN_MINUTES
from bot.core.text import clip

WORDS_SHOWN = 40
WatchedChannel = discord.TextChannel | discord.ForumChannel


def _channel_id(interaction: discord.Interaction, channel: WatchedChannel | None) -> int:
    """The chosen channel, or the one the command was used in."""
    return channel.id if channel is not None else interaction.channel_id or 0


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
        for kind in (WordKind.CLINIC, WordKind.CONTEXT):  # the lists `/clinicwatch words` edits
            added, removed = settings.added(kind), settings.removed(kind)
            count = len(settings.effective_words(kind, self.watch.defaults))
            summary = f"{count} in force"
            if added:
                summary += f"; added: {_word_list(sorted(added))}"
            if removed:
                summary += f"; removed: {_word_list(sorted(removed))}"
            embed.add_field(
                name=f"{kind.value.title()} words",
                value=clip(summary, limits.EMBED_FIELD_VALUE_CHARS),
                inline=False,
            )
        embed.set_footer(text="strict: a clinic word plus stem-cell talk nearby; broad: any clinic word")
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

    @app_commands.command(
        name="words", description="List, add or remove clinic words or stem-cell context words"
    )
    @app_commands.describe(
        action="list, add or remove",
        kind="clinic words, or the stem-cell context words strict mode looks for",
        word="The word or phrase to add or remove",
    )
    @app_commands.choices(kind=choices_of(WordKind))
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
            await interaction.response.send_message(
                f"**{kind.title()} words in force ({len(words)}):** {_word_list(words)}", ephemeral=True
            )
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
            done = f"Added “{word.strip()}” to the {kind} words."
        else:
            edit = lambda s: s.without_word(word_kind, word, defaults)  # noqa: E731
            done = f"Removed “{word.strip()}” from the {kind} words."
        await self._change(interaction, f"words.{action}", edit, done, target=f"{kind}:{word.strip()}")


def _word_list(words: list[str] | tuple[str, ...]) -> str:
    shown = ", ".join(words[:WORDS_SHOWN])
    return shown + (f" … and {len(words) - WORDS_SHOWN} more" if len(words) > WORDS_SHOWN else "")


class ClinicWatchCog(commands.Cog, name="Clinic watch"):
    def __init__(self, context: BotContext) -> None:
        self.client = context.client
        self.group = ClinicWatchGroup(context)

    async def cog_load(self) -> None:
        self.client.tree.add_command(self.group)

    async def cog_unload(self) -> None:
        self.client.tree.remove_command(self.group.name)
