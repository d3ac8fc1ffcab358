"""`/autoresponse`: moderators' own answers to words in messages, managed without a restart.

Every change goes the same way: `AutoresponseService` (checked by `bot.core.autoresponse`, stored
with its audit row in one transaction, then made live), then the mod-log report of that audit
row, then the moderator's ephemeral confirmation. Validation, numbering, limits, the answer order,
imports and the YAML format all live in `bot.core.autoresponse` and the service; this cog only
translates options, forms and files.

Answering messages happens in the one message listener (`message_scan.py`). A message gets
at most one reply from the bot: when the clinic caution fires for it, no rule answers it
(`bot.core.replies`).
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.cogs._checks import ModeratorGroup
from bot.cogs._choices import choices_of
from bot.cogs._context import BotContext, context_of
from bot.cogs._ui import ModeratorItem, ModeratorModal, dynamic_buttons
from bot.core import limits
from bot.core.audit import AuditEntry
from bot.core.autoresponse import (
    DEFAULT_COOLDOWN_SECONDS,
    MAX_COOLDOWN_SECONDS,
    MAX_IMPORT_BYTES,
    MAX_RESPONSE_LENGTH,
    MAX_RULES_PER_GUILD,
    MAX_TRIGGER_LENGTH,
    MIN_COOLDOWN_SECONDS,
    DraftEdit,
    FieldProblem,
    ImportMode,
    ImportRejected,
    MatchMode,
    Rule,
    RuleDraft,
    RuleRejected,
    check_before_response,
)
from bot.core.replies import DryRun
from bot.core.scanning import Outcome
from bot.core.text import clip, escape_markdown, snippet
from bot.errors import InvalidInput, UserFacingError

COG_NAME = "Auto-responses"
COLOUR = 0x3C8D5A
PAGE_SIZE = 10
TRIGGER_SHOWN = 60
RESPONSE_SHOWN = 90
PROBLEMS_FILENAME = "import-problems.txt"
KEPT_RESPONSE_FILENAME = "your-response.txt"

#: The match modes and import modes as Discord shows them, straight from their enums (no copy to
#: keep in step; tests/test_app.py::ENUM_OPTIONS checks them).
MODE_CHOICES = choices_of(MatchMode)
IMPORT_MODE_CHOICES = choices_of(ImportMode)
ScopeChannel = discord.TextChannel | discord.ForumChannel
RuleNumber = app_commands.Range[int, 1, 1_000_000]
Cooldown = app_commands.Range[int, MIN_COOLDOWN_SECONDS, MAX_COOLDOWN_SECONDS]

# --- how rules read in Discord -------------------------------------------------------------------


def quoted(text: str, limit: int = MAX_TRIGGER_LENGTH) -> str:
    """A trigger in curly quotes, on one line, shortened, with Markdown made literal."""
    return f"“{snippet(text, limit)}”"


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
            f"-# {snippet(rule.response, RESPONSE_SHOWN)}"
        )
    embed = discord.Embed(title="Auto-responses", description="\n".join(lines), colour=discord.Colour(COLOUR))
    embed.set_footer(
        text=f"Page {page} of {pages} · {plural(len(rules), 'rule')} (at most {MAX_RULES_PER_GUILD}) · "
        "/autoresponse show number:<n> shows one in full"
    )
    view: discord.ui.View | None = None
    if pages > 1:
        view = dynamic_buttons(
            ListPageButton(max(page - 1, 1), "prev", disabled=page == 1),
            ListPageButton(min(page + 1, pages), "next", disabled=page == pages),
        )
    return {"content": None, "embed": embed, "view": view}


def rule_embed(rule: Rule) -> discord.Embed:
    """A rule in full; the response goes in the description exactly as members will see it."""
    embed = discord.Embed(
        title=f"Auto-response #{rule.number}", description=rule.response, colour=discord.Colour(COLOUR)
    )
    embed.add_field(name="Trigger", value=quoted(rule.trigger), inline=False)
    embed.add_field(name="Mode", value=rule.mode.value)
    embed.add_field(name="State", value="on" if rule.enabled else "off")
    embed.add_field(name="Cooldown", value=f"{rule.draft.cooldown_seconds} s per channel")
    embed.add_field(name="Channels", value=clip(scope_text(rule), limits.EMBED_FIELD_VALUE_CHARS))
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


def test_embed(text: str, dry_run: DryRun, *, channel_id: int) -> discord.Embed:
    """The dry run of `/autoresponse test`: which rule would answer, and the clinic caution, with reasons."""
    selection = dry_run.selection
    embed = discord.Embed(title="Dry run", colour=discord.Colour(COLOUR))
    embed.description = f"If a member sent this in <#{channel_id}>:\n> {snippet(text, RESPONSE_SHOWN)}"
    if selection.winner is not None:
        answer = f"**#{selection.winner.number} would answer.**"
    elif selection.candidates:
        answer = "**No rule would answer right now.**"
    else:
        answer = "**No rule matches this text.**"
    reasons = "\n".join(f"- {line}" for line in selection.explanation())
    embed.add_field(name="Auto-response", value=_field(f"{answer}\n{reasons}".strip()), inline=False)
    embed.add_field(name="Clinic caution", value=_field(_caution_text(dry_run)), inline=False)
    if dry_run.rule_held_back:
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


def _caution_text(dry_run: DryRun) -> str:
    preview = dry_run.preview
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
    return clip(text, limits.EMBED_FIELD_VALUE_CHARS)


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
        f"I couldn't import **{escape_markdown(filename)}**, so nothing was changed. "
        f"{plural(len(problems), 'problem')} to fix:\n"
    )
    lines = [f"- {escape_markdown(problem)}" for problem in problems]
    message = header + "\n".join(lines)
    if len(message) <= limits.MESSAGE_CHARS:
        return message, None
    full = "\n".join(problems) + "\n"
    shown: list[str] = []
    for index, line in enumerate(lines):
        tail = f"\n… and {len(lines) - index} more: every problem is in the attached {PROBLEMS_FILENAME}."
        if len(header) + len("\n".join([*shown, line])) + len(tail) > limits.MESSAGE_CHARS:
            return header + "\n".join(shown) + tail, full
        shown.append(line)
    return message[: limits.MESSAGE_CHARS], full  # not reached: the loop returns once the lines overflow


# --- components ----------------------------------------------------------------------------------


class ResponseForm(ModeratorModal):
    """The multi-line response of a new rule, or of rule #number when editing (prefilled)."""

    def __init__(self, cog: AutoresponseCog, draft: RuleDraft, *, number: int | None = None) -> None:
        super().__init__(title=f"Auto-response #{number}" if number else "New auto-response")
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
                description=f"Up to {MAX_RESPONSE_LENGTH:,} characters. Mentions in it will not ping anyone.",
                component=self.response_input,
            )
        )

    async def submitted(self, interaction: discord.Interaction) -> None:
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
    ModeratorItem[discord.ui.Button], template=r"autoresponse:list:(?P<page>\d+):(?P<direction>prev|next)"
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

    async def pressed(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        rules = await context_of(interaction).services.autoresponses.list(interaction.guild_id)
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
        response=(
            f"What I answer, up to {MAX_RESPONSE_LENGTH:,} characters; leave it out for a multi-line form"
        ),
        channel="Answer only in this channel and its threads (default: every channel)",
        cooldown=f"Seconds before it answers again in the same channel (default {DEFAULT_COOLDOWN_SECONDS})",
        enabled="Start switched on (the default) or off",
    )
    @app_commands.choices(mode=MODE_CHOICES)
    async def add(
        self,
        interaction: discord.Interaction,
        trigger: str,
        mode: str = MatchMode.WORD.value,
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
                check_before_response(draft)
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
        response=f"A new response, up to {MAX_RESPONSE_LENGTH:,} characters",
        channel="Answer only in this channel and its threads",
        everywhere="True: answer in every channel again",
        cooldown="Seconds before this rule answers again in the same channel",
        enabled="Switch the rule on or off",
    )
    @app_commands.choices(mode=MODE_CHOICES)
    async def edit(
        self,
        interaction: discord.Interaction,
        number: RuleNumber,
        trigger: str | None = None,
        mode: str | None = None,
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
            rule = await self.cog.autoresponses.get(interaction.guild_id, number)
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
        rules = await self.cog.autoresponses.list(interaction.guild_id)
        message = list_message(rules, page)
        if message["view"] is None:  # sending (unlike editing) takes no view at all, not None
            del message["view"]
        await interaction.response.send_message(**message, ephemeral=True)

    @app_commands.command(name="show", description="One auto-response in full")
    @app_commands.describe(number="The rule's number, as in /autoresponse list")
    async def show(self, interaction: discord.Interaction, number: RuleNumber) -> None:
        assert interaction.guild_id is not None
        rule = await self.cog.autoresponses.get(interaction.guild_id, number)
        await interaction.response.send_message(embed=rule_embed(rule), ephemeral=True)

    @app_commands.command(
        name="test", description="Dry run: which rule would answer a text, and the clinic caution"
    )
    @app_commands.describe(text="A message as a member might write it (nothing is sent)")
    async def test(self, interaction: discord.Interaction, text: str) -> None:
        assert interaction.guild_id is not None
        channel_id = interaction.channel_id or 0
        dry_run = self.cog.watch.dry_run(
            interaction.guild_id,
            channel_id,
            text,
            parent_channel_id=getattr(interaction.channel, "parent_id", None),
        )
        await interaction.response.send_message(
            embed=test_embed(text, dry_run, channel_id=channel_id), ephemeral=True
        )

    @app_commands.command(name="export", description="Download every auto-response as a YAML file")
    async def export(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        await interaction.response.defer(ephemeral=True, thinking=True)
        exported = await self.cog.autoresponses.export(interaction.guild_id)
        if not exported.rule_count:
            await interaction.followup.send("There are no auto-responses to export yet.", ephemeral=True)
            return
        file = discord.File(
            io.BytesIO(exported.text.encode("utf-8")), filename=f"autoresponses-{interaction.guild_id}.yaml"
        )
        await interaction.followup.send(
            f"All {plural(exported.rule_count, 'auto-response')} of this server. Edit the file and bring it "
            "back with `/autoresponse import`, here or in another server.",
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
    @app_commands.choices(mode=IMPORT_MODE_CHOICES)
    async def import_rules(
        self, interaction: discord.Interaction, file: discord.Attachment, mode: str
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
            drafts = await self.cog.autoresponses.parse(data)
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
    """The change path for rules: `AutoresponseService` changes them, this cog reports and replies."""

    def __init__(self, context: BotContext) -> None:
        self.context = context
        self.client = context.client
        self.autoresponses = context.services.autoresponses
        self.watch = context.services.message_watch
        self.group = AutoresponseGroup(self)

    async def cog_load(self) -> None:
        self.client.add_dynamic_items(ListPageButton)
        self.client.tree.add_command(self.group)

    async def cog_unload(self) -> None:
        self.client.tree.remove_command(self.group.name)
        self.client.remove_dynamic_items(ListPageButton)

    def report(self, entry: AuditEntry) -> None:
        """The mod-log copy of the audit row a change wrote."""
        self.context.modlog.report(
            entry.guild_id, entry.actor_id, entry.action, entry.target, entry.before, entry.after
        )

    # --- the change path: service (checked, stored with audit, made live) -> mod-log -> confirmation ---

    async def add_rule(self, interaction: discord.Interaction, draft: RuleDraft) -> None:
        with explained_refusal():
            added = await self.autoresponses.add(_guild_id(interaction), draft, actor_id=interaction.user.id)
        self.report(added.audit_entry)
        await interaction.response.send_message(
            f"Saved as auto-response **#{added.rule.number}**: {describe(added.rule.draft)}.\n"
            "Try it with `/autoresponse test`.",
            ephemeral=True,
        )

    async def edit_rule(self, interaction: discord.Interaction, number: int, edit: DraftEdit) -> None:
        with explained_refusal():
            change = await self.autoresponses.edit(
                _guild_id(interaction), number, edit, actor_id=interaction.user.id
            )
        if change.audit_entry is None:
            await interaction.response.send_message(
                f"Auto-response #{number} already reads like that; nothing changed.", ephemeral=True
            )
            return
        self.report(change.audit_entry)
        await interaction.response.send_message(
            f"Auto-response **#{number}** is updated: {describe(change.after.draft)}.", ephemeral=True
        )

    async def remove_rule(self, interaction: discord.Interaction, number: int) -> None:
        removed = await self.autoresponses.remove(
            _guild_id(interaction), number, actor_id=interaction.user.id
        )
        self.report(removed.audit_entry)
        rule = removed.rule
        await interaction.response.send_message(
            f"Removed auto-response #{number} ({rule.mode.value} {quoted(rule.trigger, TRIGGER_SHOWN)}). "
            "Its number will not be given to another rule.",
            ephemeral=True,
        )

    async def import_drafts(
        self, interaction: discord.Interaction, drafts: Sequence[RuleDraft], mode: ImportMode, filename: str
    ) -> None:
        """Apply a parsed file in one transaction (after `defer`), or change nothing and say why."""
        try:
            imported = await self.autoresponses.import_rules(
                _guild_id(interaction), drafts, mode, actor_id=interaction.user.id
            )
        except InvalidInput as error:
            message, _ = problems_report(filename, [error.message])
            await interaction.followup.send(message[: limits.MESSAGE_CHARS], ephemeral=True)
            return
        self.report(imported.audit_entry)
        summary = imported.report.summary
        await interaction.followup.send(
            f"Imported **{escape_markdown(filename)}** ({summary.mode.value}): {summary.tally()}. "
            "See them with `/autoresponse list`.",
            ephemeral=True,
        )


def _guild_id(interaction: discord.Interaction) -> int:
    assert interaction.guild_id is not None  # the group is guild-only and checks it at run time
    return interaction.guild_id
