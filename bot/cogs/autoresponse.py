"""`/autoresponse`: moderators' own answers to words in messages, managed without a restart.

Every change goes the same way: the repository (rule and audit row in one transaction), then
the server's rules are reloaded into the `RuleBook` and the scanner's compiled set, then the
mod-log report, then the moderator's ephemeral confirmation. Validation, numbering, limits,
the answer order and the YAML format all live in `bot.core.autoresponse` and the repository;
this cog only translates options, forms and files.

Answering messages happens in the one message listener (`message_scan.py`). A message gets
at most one reply from the bot: when the clinic caution fires for it, no rule answers it.
"""

from __future__ import annotations

import asyncio
import io
import math
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.cogs._checks import ModeratorGroup, NotAModerator
from bot.cogs._replies import answers_errors, send_ephemeral
from bot.cogs.modlog import report_change
from bot.core.autoresponse import (
    DEFAULT_COOLDOWN_SECONDS,
    MAX_COOLDOWN_SECONDS,
    MAX_IMPORT_BYTES,
    MAX_RESPONSE_LENGTH,
    MAX_RULES_PER_GUILD,
    MAX_TRIGGER_LENGTH,
    FieldProblem,
    ImportMode,
    ImportRejected,
    MatchMode,
    Rule,
    RuleBook,
    RuleDraft,
    RuleRejected,
    Selection,
    export_rules,
    parse_import,
    validate_draft,
)
from bot.core.scanning import Outcome, ScanPreview
from bot.db.repositories.audit import changed_fields
from bot.db.repositories.autoresponses import AutoresponseRepository, DraftEdit
from bot.errors import InvalidInput, UserFacingError

if TYPE_CHECKING:
    from bot.app import StemcellBot

COG_NAME = "Auto-responses"
COLOUR = 0x3C8D5A
PAGE_SIZE = 10
TRIGGER_SHOWN = 60
RESPONSE_SHOWN = 90
MESSAGE_LIMIT = 2000
# Beyond these sizes the YAML work goes to a thread, so the event loop keeps answering others.
EXPORT_IN_THREAD_FROM_RULES = 50
PARSE_IN_THREAD_FROM_BYTES = 32_000
PROBLEMS_FILENAME = "import-problems.txt"
KEPT_RESPONSE_FILENAME = "your-response.txt"
# Stands in for the response while a trigger is checked before the response form opens.
_PLACEHOLDER_RESPONSE = "-"

ModeName = Literal["word", "phrase", "contains", "starts", "exact", "wildcard", "regex"]
ScopeChannel = discord.TextChannel | discord.ForumChannel
RuleNumber = app_commands.Range[int, 1, 1_000_000]
Cooldown = app_commands.Range[int, 0, MAX_COOLDOWN_SECONDS]

NOT_A_MODERATOR = NotAModerator.message


# --- how rules read in Discord -------------------------------------------------------------------


def quoted(text: str, limit: int = MAX_TRIGGER_LENGTH) -> str:
    """A trigger in curly quotes, on one line, shortened, with Markdown made literal."""
    flat = " ".join(text.split())
    if len(flat) > limit:
        flat = flat[: limit - 1] + "…"
    return f"“{discord.utils.escape_markdown(flat)}”"


def scope_text(rule_or_draft: Rule | RuleDraft, *, brief: bool = False) -> str:
    """Where a rule answers; `brief` counts long lists, so a list page fits within Discord's limits."""
    channels = rule_or_draft.channel_ids
    if not channels:
        return "all channels"
    if brief and len(channels) > 2:
        return f"{len(channels)} channels"
    return ", ".join(f"<#{channel}>" for channel in channels)


def describe(draft: RuleDraft) -> str:
    """One line a moderator can check at a glance."""
    state = "on" if draft.enabled else "**off**"
    return (
        f"{draft.mode.value} {quoted(draft.trigger)} · {scope_text(draft)} · "
        f"cooldown {draft.cooldown_seconds} s · {state}"
    )


def plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def list_message(rules: Sequence[Rule], page: int) -> dict[str, Any]:
    """One page of rules by number, with Previous/Next buttons when there is more than one page."""
    if not rules:
        return {
            "content": "This server has no auto-responses yet. Add one with `/autoresponse add`.",
            "embed": None,
            "view": None,
        }
    pages = math.ceil(len(rules) / PAGE_SIZE)
    page = min(max(page, 1), pages)
    lines = []
    for rule in rules[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]:
        state = "on" if rule.enabled else "**off**"
        lines.append(
            f"**#{rule.number}** · {rule.mode.value} · {quoted(rule.trigger, TRIGGER_SHOWN)} · "
            f"{plural(rule.hit_count, 'hit')} · {state} · {scope_text(rule, brief=True)}\n"
            f"-# {discord.utils.escape_markdown(_snippet(rule.response))}"
        )
    embed = discord.Embed(title="Auto-responses", description="\n".join(lines), colour=discord.Colour(COLOUR))
    embed.set_footer(
        text=f"Page {page} of {pages} · {plural(len(rules), 'rule')} (at most {MAX_RULES_PER_GUILD}) · "
        "/autoresponse show number:<n> shows one in full"
    )
    view: discord.ui.View | None = None
    if pages > 1:
        view = discord.ui.View(timeout=None)
        view.add_item(ListPageButton(max(page - 1, 1), "prev", disabled=page == 1))
        view.add_item(ListPageButton(min(page + 1, pages), "next", disabled=page == pages))
    return {"content": None, "embed": embed, "view": view}


def _snippet(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= RESPONSE_SHOWN else flat[: RESPONSE_SHOWN - 1] + "…"


def rule_embed(rule: Rule) -> discord.Embed:
    """A rule in full; the response goes in the description exactly as members will see it."""
    embed = discord.Embed(
        title=f"Auto-response #{rule.number}", description=rule.response, colour=discord.Colour(COLOUR)
    )
    embed.add_field(name="Trigger", value=quoted(rule.trigger), inline=False)
    embed.add_field(name="Mode", value=rule.mode.value)
    embed.add_field(name="State", value="on" if rule.enabled else "off")
    embed.add_field(name="Cooldown", value=f"{rule.draft.cooldown_seconds} s per channel")
    embed.add_field(name="Channels", value=scope_text(rule)[:1024])
    last = f" · last <t:{int(rule.last_hit_at.timestamp())}:R>" if rule.last_hit_at else ""
    embed.add_field(name="Answers sent", value=f"{rule.hit_count}{last}")
    embed.add_field(
        name="History",
        value=f"added by <@{rule.author_id}> <t:{int(rule.created_at.timestamp())}:R>"
        + (
            f"; last changed by <@{rule.updated_by}> <t:{int(rule.updated_at.timestamp())}:R>"
            if rule.updated_at != rule.created_at
            else ""
        ),
        inline=False,
    )
    return embed


def test_embed(text: str, selection: Selection, preview: ScanPreview, *, channel_id: int) -> discord.Embed:
    """The dry run of `/autoresponse test`: which rule would answer, and the clinic watch, with reasons."""
    embed = discord.Embed(title="Dry run", colour=discord.Colour(COLOUR))
    embed.description = (
        f"If a member sent this in <#{channel_id}>:\n> {discord.utils.escape_markdown(_snippet(text))}"
    )
    if selection.winner is not None:
        answer = f"**#{selection.winner.number} would answer.**"
    elif selection.candidates:
        answer = "**No rule would answer right now.**"
    else:
        answer = "**No rule matches this text.**"
    reasons = "\n".join(f"- {line}" for line in selection.explanation())
    embed.add_field(name="Auto-response", value=_field(f"{answer}\n{reasons}".strip()), inline=False)
    embed.add_field(name="Clinic caution", value=_field(_caution_text(preview)), inline=False)
    if preview.would_send and selection.winner is not None:
        embed.add_field(
            name="One reply per message",
            value="The clinic card goes first, so the rule would stay quiet for this message.",
            inline=False,
        )
    embed.set_footer(text="Nothing was sent and no cooldown was used.")
    return embed


_CARD_NAMES = {
    Outcome.CAUTION: "the ISSCR caution",
    Outcome.CENTRE: "the “Choosing a transplant centre” card",
}


def _caution_text(preview: ScanPreview) -> str:
    counted = [f"{quoted(m.word)} ({m.kind.value})" for m in preview.matches if m.counted and m.kind]
    words = f"Found {', '.join(counted)}." if counted else "No clinic-watch words found."
    if not preview.enabled:
        return f"**Would not fire:** clinic watch is off in this server. {words}"
    if preview.outcome is Outcome.QUIET:
        return f"**Would not fire** on this text alone ({preview.sensitivity.value} mode). {words}"
    card = _CARD_NAMES[preview.outcome]
    if preview.ignored_here:
        return f"**Would not fire here:** clinic watch ignores this channel ({card} otherwise). {words}"
    verdict = f"**Would fire:** {card}. {preview.explanation()}"
    if preview.held_by_cooldown:
        minutes = int(preview.cooldown_remaining.total_seconds() // 60) + 1
        verdict += f" (It is cooling down in this channel for {minutes} more minutes.)"
    return f"{verdict} {words}"


def _field(text: str) -> str:
    return text if len(text) <= 1024 else text[:1023] + "…"


def refusal(problems: Sequence[FieldProblem]) -> str:
    """Validation problems as a kind message naming each field to fix."""
    lines = "\n".join(f"- **{problem.field}**: {problem.message}" for problem in problems)
    return f"I couldn't save that auto-response, so nothing was changed:\n{lines}"


@contextmanager
def explained_refusal() -> Iterator[None]:
    """Turn the core's terse `field: problem` refusal into a sentence for moderators."""
    try:
        yield
    except RuleRejected as error:
        raise InvalidInput(refusal(error.problems)) from error


def problems_report(filename: str, problems: Sequence[str]) -> tuple[str, str | None]:
    """The reply to a refused import (within Discord's 2,000 characters) and, if cut, the full text."""
    header = (
        f"I couldn't import **{discord.utils.escape_markdown(filename)}**, so nothing was changed. "
        f"{plural(len(problems), 'problem')} to fix:\n"
    )
    lines = [f"- {discord.utils.escape_markdown(problem)}" for problem in problems]
    message = header + "\n".join(lines)
    if len(message) <= MESSAGE_LIMIT:
        return message, None
    full = "\n".join(problems) + "\n"
    shown: list[str] = []
    for index, line in enumerate(lines):
        tail = f"\n… and {len(lines) - index} more: every problem is in the attached {PROBLEMS_FILENAME}."
        if len(header) + len("\n".join([*shown, line])) + len(tail) > MESSAGE_LIMIT:
            return header + "\n".join(shown) + tail, full
        shown.append(line)
    return message[:MESSAGE_LIMIT], full  # not reached: the loop returns once the lines overflow


async def still_a_moderator(interaction: discord.Interaction) -> bool:
    """The runtime check again for forms and buttons, which the group's check does not cover."""
    if interaction.guild is not None and interaction.permissions.manage_guild:
        return True
    await send_ephemeral(interaction, NOT_A_MODERATOR)
    return False


def autoresponse_cog(interaction: discord.Interaction) -> AutoresponseCog:
    cog = interaction.client.get_cog(COG_NAME)  # type: ignore[union-attr]
    assert isinstance(cog, AutoresponseCog), "the auto-response cog is not loaded"
    return cog


# --- components ----------------------------------------------------------------------------------


class ResponseForm(discord.ui.Modal):
    """The multi-line response of a new rule, or of rule #number when editing (prefilled)."""

    def __init__(self, cog: AutoresponseCog, draft: RuleDraft, *, number: int | None = None) -> None:
        # Writing a careful answer takes time; a form that times out loses its text.
        super().__init__(title=f"Auto-response #{number}" if number else "New auto-response", timeout=3600)
        self.cog = cog
        self.draft = draft
        self.number = number
        self.add_item(discord.ui.TextDisplay(f"**Trigger** ({draft.mode.value}): {quoted(draft.trigger)}"))
        self.response_input: discord.ui.TextInput[ResponseForm] = discord.ui.TextInput(
            custom_id="response",
            style=discord.TextStyle.paragraph,
            default=draft.response or None,
            placeholder="What should I answer? Several lines and Markdown are fine.",
            required=True,
            max_length=MAX_RESPONSE_LENGTH,
        )
        self.add_item(
            discord.ui.Label(
                text="Response",
                description="Up to 2,000 characters. Mentions in it will not ping anyone.",
                component=self.response_input,
            )
        )

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        return await still_a_moderator(interaction)

    @answers_errors
    async def on_submit(self, interaction: discord.Interaction) -> None:
        response = self.response_input.value
        try:
            if self.number is None:
                await self.cog.add_rule(interaction, self.draft.with_changes(response=response))
            else:
                await self.cog.edit_rule(
                    interaction, self.number, lambda d: d.with_changes(response=response)
                )
        except UserFacingError as error:
            if interaction.response.is_done():
                raise
            # A refused form would otherwise lose what the moderator wrote: hand it back as a file.
            kept = discord.File(io.BytesIO(response.encode("utf-8")), filename=KEPT_RESPONSE_FILENAME)
            await interaction.response.send_message(
                f"{error.message}\nWhat you wrote is attached, so nothing is lost.", file=kept, ephemeral=True
            )


class ListPageButton(
    discord.ui.DynamicItem[discord.ui.Button],
    template=r"autoresponse:list:(?P<page>\d+):(?P<direction>prev|next)",
):
    """Previous / Next on `/autoresponse list`; keeps working after a restart."""

    def __init__(self, page: int, direction: str, *, disabled: bool = False) -> None:
        super().__init__(
            discord.ui.Button(
                label="Previous" if direction == "prev" else "Next",
                style=discord.ButtonStyle.secondary,
                custom_id=f"autoresponse:list:{page}:{direction}",
                disabled=disabled,
            )
        )
        self.page = page

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str]
    ) -> ListPageButton:
        return cls(max(1, int(match["page"])), match["direction"])

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        return await still_a_moderator(interaction)

    @answers_errors
    async def callback(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        rules = await autoresponse_cog(interaction).repository.list(interaction.guild_id)
        await interaction.response.edit_message(**list_message(rules, self.page))


# --- commands ------------------------------------------------------------------------------------


class AutoresponseGroup(ModeratorGroup):
    """The subcommands: options in, the cog's change path or a read, an ephemeral answer out."""

    def __init__(self, cog: AutoresponseCog) -> None:
        super().__init__(name="autoresponse", description="Moderators: the bot's automatic answers to words")
        self.cog = cog

    @app_commands.command(
        name="add", description="Add an auto-response (leave out the response to write it in a form)"
    )
    @app_commands.describe(
        trigger=f"What to listen for, up to {MAX_TRIGGER_LENGTH} characters",
        mode="How the trigger must appear in a message (word by default)",
        response="What I answer, up to 2,000 characters; leave it out for a multi-line form",
        channel="Answer only in this channel and its threads (default: every channel)",
        cooldown=f"Seconds before it answers again in the same channel (default {DEFAULT_COOLDOWN_SECONDS})",
        enabled="Start switched on (the default) or off",
    )
    async def add(
        self,
        interaction: discord.Interaction,
        trigger: str,
        mode: ModeName = "word",
        response: str | None = None,
        channel: ScopeChannel | None = None,
        cooldown: Cooldown | None = None,
        enabled: bool = True,
    ) -> None:
        draft = RuleDraft(
            trigger=trigger,
            response=response or "",
            mode=MatchMode(mode),
            channel_ids=(channel.id,) if channel is not None else (),
            cooldown_seconds=DEFAULT_COOLDOWN_SECONDS if cooldown is None else cooldown,
            enabled=enabled,
        )
        if response is None or not response.strip():
            with explained_refusal():  # a bad trigger is refused before anyone writes a response
                validate_draft(draft.with_changes(response=_PLACEHOLDER_RESPONSE))
            await interaction.response.send_modal(ResponseForm(self.cog, draft))
            return
        await self.cog.add_rule(interaction, draft)

    @app_commands.command(
        name="edit", description="Change an auto-response (no options: edit its response in a form)"
    )
    @app_commands.describe(
        number="The rule's number, as in /autoresponse list",
        trigger=f"A new trigger, up to {MAX_TRIGGER_LENGTH} characters",
        mode="A new match mode",
        response="A new response, up to 2,000 characters",
        channel="Answer only in this channel and its threads",
        everywhere="True: answer in every channel again",
        cooldown="Seconds before this rule answers again in the same channel",
        enabled="Switch the rule on or off",
    )
    async def edit(
        self,
        interaction: discord.Interaction,
        number: RuleNumber,
        trigger: str | None = None,
        mode: ModeName | None = None,
        response: str | None = None,
        channel: ScopeChannel | None = None,
        everywhere: bool | None = None,
        cooldown: Cooldown | None = None,
        enabled: bool | None = None,
    ) -> None:
        assert interaction.guild_id is not None
        if channel is not None and everywhere:
            raise InvalidInput("Choose either a channel or `everywhere`, not both. Nothing was changed.")
        changes: dict[str, Any] = {}
        if trigger is not None:
            changes["trigger"] = trigger
        if mode is not None:
            changes["mode"] = MatchMode(mode)
        if response is not None:
            changes["response"] = response
        if channel is not None:
            changes["channel_ids"] = (channel.id,)
        if everywhere:
            changes["channel_ids"] = ()
        if cooldown is not None:
            changes["cooldown_seconds"] = cooldown
        if enabled is not None:
            changes["enabled"] = enabled
        if not changes:
            rule = await self.cog.repository.get(interaction.guild_id, number)
            await interaction.response.send_modal(ResponseForm(self.cog, rule.draft, number=number))
            return
        await self.cog.edit_rule(interaction, number, lambda draft: draft.with_changes(**changes))

    @app_commands.command(name="remove", description="Delete an auto-response")
    @app_commands.describe(number="The rule's number, as in /autoresponse list")
    async def remove(self, interaction: discord.Interaction, number: RuleNumber) -> None:
        await self.cog.remove_rule(interaction, number)

    @app_commands.command(
        name="list", description="This server's auto-responses, with how often each answered"
    )
    @app_commands.describe(page="Which page of ten to show (default: the first)")
    async def list_rules(
        self, interaction: discord.Interaction, page: app_commands.Range[int, 1, 1000] = 1
    ) -> None:
        assert interaction.guild_id is not None
        rules = await self.cog.repository.list(interaction.guild_id)
        message = list_message(rules, page)
        if message["view"] is None:  # sending (unlike editing) takes no view at all, not None
            del message["view"]
        await interaction.response.send_message(**message, ephemeral=True)

    @app_commands.command(name="show", description="One auto-response in full")
    @app_commands.describe(number="The rule's number, as in /autoresponse list")
    async def show(self, interaction: discord.Interaction, number: RuleNumber) -> None:
        assert interaction.guild_id is not None
        rule = await self.cog.repository.get(interaction.guild_id, number)
        await interaction.response.send_message(embed=rule_embed(rule), ephemeral=True)

    @app_commands.command(
        name="test", description="Dry run: which rule would answer a text, and the clinic caution"
    )
    @app_commands.describe(text="A message as a member might write it (nothing is sent)")
    async def test(self, interaction: discord.Interaction, text: str) -> None:
        assert interaction.guild_id is not None
        guild_id, channel_id = interaction.guild_id, interaction.channel_id or 0
        scanner = self.cog.bot.scanner
        now = self.cog.bot.clock.now()
        parent_id = getattr(interaction.channel, "parent_id", None)
        preview = scanner.preview(guild_id, text, channel_id=channel_id, parent_channel_id=parent_id, now=now)
        selection = self.cog.book.choose(
            guild_id,
            preview.rule_labels,
            text=text,
            channel_id=channel_id,
            parent_channel_id=parent_id,
            now=now,
            dry_run=True,
        )
        embed = test_embed(text, selection, preview, channel_id=channel_id)
        await interaction.response.send_message(embed=embed, ephemeral=True)

    @app_commands.command(name="export", description="Download every auto-response as a YAML file")
    async def export(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        await interaction.response.defer(ephemeral=True, thinking=True)
        rules = await self.cog.repository.list(interaction.guild_id)
        if not rules:
            await interaction.followup.send("There are no auto-responses to export yet.", ephemeral=True)
            return
        if len(rules) < EXPORT_IN_THREAD_FROM_RULES:
            text = export_rules(rules)
        else:
            text = await asyncio.to_thread(export_rules, rules)
        file = discord.File(
            io.BytesIO(text.encode("utf-8")), filename=f"autoresponses-{interaction.guild_id}.yaml"
        )
        await interaction.followup.send(
            f"All {plural(len(rules), 'auto-response')} of this server. Edit the file and bring it back "
            "with `/autoresponse import`, here or in another server.",
            file=file,
            ephemeral=True,
        )

    @app_commands.command(
        name="import", description="Load auto-responses from a YAML file made by /autoresponse export"
    )
    @app_commands.describe(
        file="The YAML file (at most 1 MB)",
        mode="merge: update rules with the same trigger, add the rest; replace: start afresh from the file",
    )
    async def import_rules(
        self, interaction: discord.Interaction, file: discord.Attachment, mode: Literal["merge", "replace"]
    ) -> None:
        assert interaction.guild_id is not None
        if file.size > MAX_IMPORT_BYTES:
            raise InvalidInput(
                f"That file is {file.size:,} bytes; an import may be at most {MAX_IMPORT_BYTES:,} bytes "
                "(about 1 MB). Nothing was changed."
            )
        await interaction.response.defer(ephemeral=True, thinking=True)
        data = await file.read()
        try:
            if len(data) < PARSE_IN_THREAD_FROM_BYTES:
                drafts = parse_import(data)
            else:
                drafts = await asyncio.to_thread(parse_import, data)
        except ImportRejected as error:
            await self._send_problems(interaction, file.filename, error.problems)
            return
        await self.cog.import_drafts(interaction, drafts, ImportMode(mode), file.filename)

    async def _send_problems(
        self, interaction: discord.Interaction, filename: str, problems: Sequence[str]
    ) -> None:
        message, full = problems_report(filename, problems)
        if full is None:
            await interaction.followup.send(message, ephemeral=True)
            return
        report = discord.File(io.BytesIO(full.encode("utf-8")), filename=PROBLEMS_FILENAME)
        await interaction.followup.send(message, file=report, ephemeral=True)


# --- the cog -------------------------------------------------------------------------------------


class AutoresponseCog(commands.Cog, name=COG_NAME):
    """Holds the live `RuleBook` (read by the message listener) and the change path."""

    def __init__(self, bot: StemcellBot) -> None:
        self.bot = bot
        self.repository = AutoresponseRepository(bot.db)
        self.book = RuleBook()
        self.group = AutoresponseGroup(self)
        self._loaded_guilds: set[int] = set()

    async def cog_load(self) -> None:
        """Every server's rules into the book and the scanner, and the cooldowns that may still run."""
        for guild_id, rules in (await self.repository.all_rules()).items():
            self._install(guild_id, rules)
        since = self.bot.clock.now() - timedelta(seconds=MAX_COOLDOWN_SECONDS)
        self.book.cooldowns.load(await self.repository.all_last_fired(since))
        self.bot.add_dynamic_items(ListPageButton)
        self.bot.tree.add_command(self.group)

    async def cog_unload(self) -> None:
        self.bot.tree.remove_command(self.group.name)
        self.bot.remove_dynamic_items(ListPageButton)
        for guild_id in self._loaded_guilds:
            self.bot.scanner.set_rule_triggers(guild_id, ())

    def _install(self, guild_id: int, rules: Sequence[Rule]) -> None:
        self.bot.scanner.set_rule_triggers(guild_id, self.book.set_rules(guild_id, rules))
        self._loaded_guilds.add(guild_id)

    async def reload_guild(self, guild_id: int) -> None:
        """After a change: the stored rules become the live ones (one matcher rebuild)."""
        self._install(guild_id, await self.repository.list(guild_id))

    # --- the change path: repository (with audit) -> live rules -> mod-log -> confirmation ---

    async def add_rule(self, interaction: discord.Interaction, draft: RuleDraft) -> None:
        guild_id = _guild_id(interaction)
        with explained_refusal():
            rule = await self.repository.add(
                guild_id, draft, actor_id=interaction.user.id, now=self.bot.clock.now()
            )
        await self.reload_guild(guild_id)
        await report_change(
            self.bot,
            guild_id,
            interaction.user.id,
            "autoresponse.add",
            f"#{rule.number}",
            None,
            rule.audit_view(),
        )
        await interaction.response.send_message(
            f"Saved as auto-response **#{rule.number}**: {describe(rule.draft)}.\n"
            "Try it with `/autoresponse test`.",
            ephemeral=True,
        )

    async def edit_rule(self, interaction: discord.Interaction, number: int, edit: DraftEdit) -> None:
        guild_id = _guild_id(interaction)
        with explained_refusal():
            change = await self.repository.edit(
                guild_id, number, edit, actor_id=interaction.user.id, now=self.bot.clock.now()
            )
        if not change.changed:
            await interaction.response.send_message(
                f"Auto-response #{number} already reads like that; nothing changed.", ephemeral=True
            )
            return
        await self.reload_guild(guild_id)
        before, after = changed_fields(change.before.draft.audit_view(), change.after.draft.audit_view())
        await report_change(
            self.bot, guild_id, interaction.user.id, "autoresponse.edit", f"#{number}", before, after
        )
        await interaction.response.send_message(
            f"Auto-response **#{number}** is updated: {describe(change.after.draft)}.", ephemeral=True
        )

    async def remove_rule(self, interaction: discord.Interaction, number: int) -> None:
        guild_id = _guild_id(interaction)
        rule = await self.repository.remove(
            guild_id, number, actor_id=interaction.user.id, now=self.bot.clock.now()
        )
        await self.reload_guild(guild_id)
        await report_change(
            self.bot,
            guild_id,
            interaction.user.id,
            "autoresponse.remove",
            f"#{number}",
            rule.audit_view(),
            None,
        )
        await interaction.response.send_message(
            f"Removed auto-response #{number} ({rule.mode.value} {quoted(rule.trigger, TRIGGER_SHOWN)}). "
            "Its number will not be given to another rule.",
            ephemeral=True,
        )

    async def import_drafts(
        self, interaction: discord.Interaction, drafts: Sequence[RuleDraft], mode: ImportMode, filename: str
    ) -> None:
        """Apply a parsed file in one transaction (after `defer`), or change nothing and say why."""
        guild_id = _guild_id(interaction)
        try:
            report = await self.repository.import_rules(
                guild_id, drafts, mode=mode, actor_id=interaction.user.id, now=self.bot.clock.now()
            )
        except InvalidInput as error:
            message, _ = problems_report(filename, [error.message])
            await interaction.followup.send(message[:MESSAGE_LIMIT], ephemeral=True)
            return
        await self.reload_guild(guild_id)
        summary = {
            "mode": mode.value,
            "added": len(report.added),
            "updated": len(report.updated),
            "unchanged": len(report.unchanged),
            "removed": report.removed,
        }
        await report_change(
            self.bot, guild_id, interaction.user.id, "autoresponse.import", mode.value, None, summary
        )
        parts = [
            f"{len(report.added)} added",
            f"{len(report.updated)} updated",
            f"{len(report.unchanged)} unchanged",
        ]
        if mode is ImportMode.REPLACE:
            parts.append(f"{report.removed} removed first")
        await interaction.followup.send(
            f"Imported **{discord.utils.escape_markdown(filename)}** ({mode.value}): {', '.join(parts)}. "
            "See them with `/autoresponse list`.",
            ephemeral=True,
        )


def _guild_id(interaction: discord.Interaction) -> int:
    assert interaction.guild_id is not None  # the group is guild-only and checks it at run time
    return interaction.guild_id
