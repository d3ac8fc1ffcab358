"""`/autoresponse`: moderators' own answers to words in messages, managed without a restart.

Every change goes the same way: `AutoresponseService` (checked by `bot.core.autoresponse`, stored
with its audit row in one transaction, then made live), then the mod-log report of that audit
row, then the moderator's ephemeral confirmation. Validation, numbering, limits, the answer order,
imports and the YAML format all live in `bot.core.autoresponse` and the service; this cog only
translates options, forms and files (how rules read is in `autoresponse_views.py`).

Answering messages happens in the one message listener (`message_scan.py`, sending through
`_rule_answers.py`). A message gets at most one reply from the bot: when the clinic caution fires
for it, no rule answers it (`bot.core.replies`).
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.cogs._checks import ModeratorGroup
from bot.cogs._choices import choices_of
from bot.cogs._context import BotContext
from bot.cogs.autoresponse_views import (
    FormInput,
    ListFilters,
    ListPageButton,
    RuleForm,
    describe,
    list_message,
    plural,
    quoted,
    refusal,
    rule_embed,
    test_embed,
)
from bot.core import limits
from bot.core.audit import AuditEntry
from bot.core.autoresponse import (
    MAX_COOLDOWN_SECONDS,
    MAX_IMPORT_BYTES,
    MAX_RESPONSE_LENGTH,
    MAX_RESPONSE_WEIGHT,
    MAX_TRIGGER_LENGTH,
    MIN_COOLDOWN_SECONDS,
    AnswerKind,
    DraftEdit,
    ImportMode,
    ImportRejected,
    MatchMode,
    RuleDraft,
    RuleRejected,
    check_before_response,
    default_cooldown,
)
from bot.core.autoresponse.typed import (
    is_clear,
    parse_channel_mentions,
    parse_role_mentions,
    parse_trigger_list,
    parse_weights,
    split_responses,
)
from bot.core.text import escape_markdown
from bot.errors import InvalidInput

COG_NAME = "Auto-responses"
TRIGGER_SHOWN = 60
PROBLEMS_FILENAME = "import-problems.txt"

#: The match modes, kinds of answer and import modes as Discord shows them, straight from their enums
#: (no copy to keep in step; tests/test_app.py::ENUM_OPTIONS checks them).
MODE_CHOICES = choices_of(MatchMode)
ANSWER_CHOICES = choices_of(AnswerKind, label="label")
IMPORT_MODE_CHOICES = choices_of(ImportMode)
ScopeChannel = discord.TextChannel | discord.ForumChannel
TestChannel = discord.TextChannel | discord.ForumChannel | discord.Thread
RuleNumber = app_commands.Range[int, 1, 1_000_000]
Cooldown = app_commands.Range[int, MIN_COOLDOWN_SECONDS, MAX_COOLDOWN_SECONDS]

SEVERAL = "separate several with ---"
CLEAR_HINT = "a single - clears it"


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


# --- reading options into rule fields ------------------------------------------------------------


def _guild(interaction: discord.Interaction) -> discord.Guild:
    guild = interaction.guild
    assert guild is not None  # the group is guild-only and checks it at run time
    return guild


def channel_ids_from(
    interaction: discord.Interaction, channel: ScopeChannel | None, channels: str | None
) -> tuple[int, ...] | None:
    """The channels named by the `channel` option and the `channels` text, checked against the server."""
    if channel is None and channels is None:
        return None
    ids = [channel.id] if channel is not None else []
    if channels is not None and not is_clear(channels):
        guild = _guild(interaction)
        for channel_id in parse_channel_mentions(channels):
            if guild.get_channel_or_thread(channel_id) is None:
                raise InvalidInput(
                    f"I can't find the channel <#{channel_id}> on this server. Nothing was changed."
                )
            ids.append(channel_id)
    return tuple(dict.fromkeys(ids))


def role_ids_from(interaction: discord.Interaction, roles: str | None) -> tuple[int, ...] | None:
    """The roles named in a text option, checked against the server; `-` clears them."""
    if roles is None:
        return None
    if is_clear(roles):
        return ()
    guild = _guild(interaction)
    ids = parse_role_mentions(roles)
    for role_id in ids:
        if guild.get_role(role_id) is None:
            raise InvalidInput(f"I can't find the role <@&{role_id}> on this server. Nothing was changed.")
    return ids


def responses_from(text: str) -> list[str]:
    responses = split_responses(text)
    if not responses:
        raise InvalidInput("The response is empty. Nothing was changed.")
    return responses


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
        response=f"What I answer, up to {MAX_RESPONSE_LENGTH:,} characters ({SEVERAL}); leave out for a form",
        more_triggers="More triggers, separated by commas; one may name its mode: phrase: stem cell",
        answer="Reply in the channel (default), an embed, a reaction, or a private message",
        title="For an embed answer: its title",
        link="For an embed answer: a web address the title links to",
        weights=f"How likely each response is, one whole number (1-{MAX_RESPONSE_WEIGHT}) each: 3, 1, 1",
        channel="Answer only in this channel and its threads (default: every channel)",
        channels="Answer only in these channels and their threads: type # and pick each",
        roles="Answer only members with one of these roles: type @ and pick each",
        except_roles="Never answer members with one of these roles: type @ and pick each",
        cooldown="Seconds before it answers again in a channel (for private answers: to a member)",
        enabled="Start switched on (the default) or off",
    )
    @app_commands.choices(mode=MODE_CHOICES, answer=ANSWER_CHOICES)
    async def add(
        self,
        interaction: discord.Interaction,
        trigger: str,
        mode: str = MatchMode.WORD.value,
        response: str | None = None,
        more_triggers: str | None = None,
        answer: str = AnswerKind.REPLY.value,
        title: str | None = None,
        link: str | None = None,
        weights: str | None = None,
        channel: ScopeChannel | None = None,
        channels: str | None = None,
        roles: str | None = None,
        except_roles: str | None = None,
        cooldown: Cooldown | None = None,
        enabled: bool = True,
    ) -> None:
        kind = AnswerKind(answer)
        main_mode = MatchMode(mode)
        draft = RuleDraft(
            trigger=trigger,
            response="",
            mode=main_mode,
            channel_ids=channel_ids_from(interaction, channel, channels) or (),
            cooldown_seconds=default_cooldown(kind) if cooldown is None else cooldown,
            enabled=enabled,
            more_triggers=tuple(parse_trigger_list(more_triggers or "", main_mode)),
            weights=parse_weights(weights or ""),
            kind=kind,
            title=title or "",
            link=link or "",
            allowed_role_ids=role_ids_from(interaction, roles) or (),
            denied_role_ids=role_ids_from(interaction, except_roles) or (),
        )
        if response is None or not response.strip():
            with explained_refusal():  # a bad trigger is refused before anyone writes a response
                check_before_response(draft.with_changes(weights=()))

            async def save(form_interaction: discord.Interaction, typed: FormInput) -> None:
                form_draft = typed.applied_to(draft, cooldown_given=cooldown is not None)
                await self.cog.add_rule(form_interaction, form_draft)

            await interaction.response.send_modal(RuleForm(draft, save))
            return
        await self.cog.add_rule(interaction, draft.with_responses(responses_from(response), draft.weights))

    @app_commands.command(name="edit", description="Change an auto-response (no options: edit it in a form)")
    @app_commands.describe(
        number="The rule's number, as in /autoresponse list",
        trigger=f"A new main trigger, up to {MAX_TRIGGER_LENGTH} characters",
        mode="A new match mode for the main trigger",
        more_triggers=f"Replace the other triggers (separated by commas; {CLEAR_HINT})",
        response=f"Replace the responses, up to {MAX_RESPONSE_LENGTH:,} characters each ({SEVERAL})",
        weights=f"How likely each response is, 3, 1, 1 ({CLEAR_HINT})",
        answer="Reply in the channel, an embed, a reaction, or a private message",
        title=f"For an embed answer: its title ({CLEAR_HINT})",
        link=f"For an embed answer: the title's web address ({CLEAR_HINT})",
        channel="Answer only in this channel and its threads",
        channels="Answer only in these channels: type # and pick each",
        everywhere="True: answer in every channel again",
        roles=f"Answer only members with one of these roles ({CLEAR_HINT})",
        except_roles=f"Never answer members with one of these roles ({CLEAR_HINT})",
        cooldown="Seconds before it answers again in a channel (for private answers: to a member)",
        enabled="Switch the rule on or off",
    )
    @app_commands.choices(mode=MODE_CHOICES, answer=ANSWER_CHOICES)
    async def edit(
        self,
        interaction: discord.Interaction,
        number: RuleNumber,
        trigger: str | None = None,
        mode: str | None = None,
        more_triggers: str | None = None,
        response: str | None = None,
        weights: str | None = None,
        answer: str | None = None,
        title: str | None = None,
        link: str | None = None,
        channel: ScopeChannel | None = None,
        channels: str | None = None,
        everywhere: bool | None = None,
        roles: str | None = None,
        except_roles: str | None = None,
        cooldown: Cooldown | None = None,
        enabled: bool | None = None,
    ) -> None:
        guild_id = _guild(interaction).id
        if (channel is not None or channels is not None) and everywhere:
            raise InvalidInput("Choose either channels or `everywhere`, not both. Nothing was changed.")
        changes: dict[str, Any] = {}
        if trigger is not None:
            changes["trigger"] = trigger
        if mode is not None:
            changes["mode"] = MatchMode(mode)
        if answer is not None:
            changes["kind"] = AnswerKind(answer)
            if changes["kind"] is not AnswerKind.EMBED:
                changes.update(title="", link="")
        for name, value in (("title", title), ("link", link)):
            if value is not None:
                changes[name] = "" if is_clear(value) else value
        scope = channel_ids_from(interaction, channel, channels)
        if scope is not None:
            changes["channel_ids"] = scope
        if everywhere:
            changes["channel_ids"] = ()
        for name, value in (("allowed_role_ids", roles), ("denied_role_ids", except_roles)):
            ids = role_ids_from(interaction, value)
            if ids is not None:
                changes[name] = ids
        if cooldown is not None:
            changes["cooldown_seconds"] = cooldown
        if enabled is not None:
            changes["enabled"] = enabled
        new_weights = None if weights is None else () if is_clear(weights) else parse_weights(weights)
        new_responses = None if response is None else responses_from(response)
        if not changes and new_weights is None and new_responses is None and more_triggers is None:
            rule = await self.cog.autoresponses.get(guild_id, number)

            async def save(form_interaction: discord.Interaction, typed: FormInput) -> None:
                await self.cog.edit_rule(
                    form_interaction, number, lambda stored: typed.applied_to(stored, cooldown_given=True)
                )

            await interaction.response.send_modal(RuleForm(rule.draft, save, number=number))
            return

        def edit(stored: RuleDraft) -> RuleDraft:
            draft = stored.with_changes(**changes)
            if more_triggers is not None:  # lines without a mode take the (new) main trigger's
                more = () if is_clear(more_triggers) else parse_trigger_list(more_triggers, draft.mode)
                draft = draft.with_changes(more_triggers=tuple(more))
            if new_responses is not None:
                kept = draft.weights if len(draft.weights) == len(new_responses) else ()
                draft = draft.with_responses(new_responses, kept)
            if new_weights is not None:
                draft = draft.with_changes(weights=new_weights)
            return draft

        await self.cog.edit_rule(interaction, number, edit)

    @app_commands.command(name="remove", description="Delete an auto-response")
    @app_commands.describe(number="The rule's number, as in /autoresponse list")
    async def remove(self, interaction: discord.Interaction, number: RuleNumber) -> None:
        await self.cog.remove_rule(interaction, number)

    @app_commands.command(
        name="list", description="This server's auto-responses, with how often and when each last answered"
    )
    @app_commands.describe(
        page="Which page of ten to show (default: the first)",
        channel="Only rules that answer in this channel",
        mode="Only rules with a trigger in this match mode",
        disabled="True: only switched-off rules; False: only switched-on rules",
    )
    @app_commands.choices(mode=MODE_CHOICES)
    async def list_rules(
        self,
        interaction: discord.Interaction,
        page: app_commands.Range[int, 1, 1000] = 1,
        channel: ScopeChannel | None = None,
        mode: str | None = None,
        disabled: bool | None = None,
    ) -> None:
        guild_id = _guild(interaction).id
        filters = ListFilters(
            channel_id=channel.id if channel is not None else None,
            mode=MatchMode(mode) if mode is not None else None,
            disabled=disabled,
        )
        rules = await self.cog.autoresponses.list(guild_id)
        ignored = await self.cog.autoresponses.ignored_members(guild_id)
        message = list_message(rules, page, filters, ignored)
        if message["view"] is None:  # sending (unlike editing) takes no view at all, not None
            del message["view"]
        await interaction.response.send_message(**message, ephemeral=True)

    @app_commands.command(name="show", description="One auto-response in full: every trigger and response")
    @app_commands.describe(number="The rule's number, as in /autoresponse list")
    async def show(self, interaction: discord.Interaction, number: RuleNumber) -> None:
        rule = await self.cog.autoresponses.get(_guild(interaction).id, number)
        embed, full_text = rule_embed(rule)
        if full_text is None:
            await interaction.response.send_message(embed=embed, ephemeral=True)
            return
        file = discord.File(io.BytesIO(full_text.encode("utf-8")), filename=f"auto-response-{number}.txt")
        await interaction.response.send_message(embed=embed, file=file, ephemeral=True)

    @app_commands.command(
        name="test", description="Dry run: which rule would answer a text, for whom, and the clinic caution"
    )
    @app_commands.describe(
        text="A message as a member might write it (nothing is sent)",
        member="Check it as this member wrote it: ignored members, roles, private cooldowns",
        channel="Check it in this channel (default: here)",
    )
    async def test(
        self,
        interaction: discord.Interaction,
        text: str,
        member: discord.Member | None = None,
        channel: TestChannel | None = None,
    ) -> None:
        guild_id = _guild(interaction).id
        where = channel if channel is not None else interaction.channel
        channel_id = where.id if where is not None else 0
        dry_run = self.cog.watch.dry_run(
            guild_id,
            channel_id,
            text,
            parent_channel_id=getattr(where, "parent_id", None),
            member=member,
        )
        await interaction.response.send_message(
            embed=test_embed(text, dry_run, channel_id=channel_id, content=self.cog.context.content),
            ephemeral=True,
        )

    @app_commands.command(
        name="ignore", description="Never answer this member's messages with auto-responses"
    )
    @app_commands.describe(member="The member whose messages the server's auto-responses leave alone")
    async def ignore(self, interaction: discord.Interaction, member: discord.Member) -> None:
        await self.cog.set_ignored(interaction, member, ignored=True)

    @app_commands.command(
        name="unignore", description="Answer this member's messages with auto-responses again"
    )
    @app_commands.describe(member="A member auto-responses ignore now")
    async def unignore(self, interaction: discord.Interaction, member: discord.Member) -> None:
        await self.cog.set_ignored(interaction, member, ignored=False)

    @app_commands.command(name="export", description="Download every auto-response as a YAML file")
    async def export(self, interaction: discord.Interaction) -> None:
        guild_id = _guild(interaction).id
        await interaction.response.defer(ephemeral=True, thinking=True)
        exported = await self.cog.autoresponses.export(guild_id)
        if not exported.rule_count:
            await interaction.followup.send("There are no auto-responses to export yet.", ephemeral=True)
            return
        file = discord.File(
            io.BytesIO(exported.text.encode("utf-8")), filename=f"autoresponses-{guild_id}.yaml"
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
        _guild(interaction)
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
            added = await self.autoresponses.add(_guild(interaction).id, draft, actor_id=interaction.user.id)
        self.report(added.audit_entry)
        await interaction.response.send_message(
            f"Saved as auto-response **#{added.rule.number}**: {describe(added.rule.draft)}.\n"
            "Try it with `/autoresponse test`.",
            ephemeral=True,
        )

    async def edit_rule(self, interaction: discord.Interaction, number: int, edit: DraftEdit) -> None:
        with explained_refusal():
            change = await self.autoresponses.edit(
                _guild(interaction).id, number, edit, actor_id=interaction.user.id
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
            _guild(interaction).id, number, actor_id=interaction.user.id
        )
        self.report(removed.audit_entry)
        rule = removed.rule
        await interaction.response.send_message(
            f"Removed auto-response #{number} ({rule.mode.value} {quoted(rule.trigger, TRIGGER_SHOWN)}). "
            "Its number will not be given to another rule.",
            ephemeral=True,
        )

    async def set_ignored(
        self, interaction: discord.Interaction, member: discord.Member, *, ignored: bool
    ) -> None:
        guild_id = _guild(interaction).id
        actor = interaction.user.id
        if ignored:
            entry = await self.autoresponses.ignore(guild_id, member.id, actor_id=actor)
            done = (
                f"Auto-responses will leave {member.mention}'s messages alone on this server. "
                "`/autoresponse unignore` undoes it."
            )
            unchanged = f"Auto-responses already ignore {member.mention}; nothing changed."
        else:
            entry = await self.autoresponses.unignore(guild_id, member.id, actor_id=actor)
            done = f"Auto-responses answer {member.mention}'s messages again."
            unchanged = f"Auto-responses were not ignoring {member.mention}; nothing changed."
        if entry is not None:
            self.report(entry)
        await interaction.response.send_message(done if entry is not None else unchanged, ephemeral=True)

    async def import_drafts(
        self, interaction: discord.Interaction, drafts: Sequence[RuleDraft], mode: ImportMode, filename: str
    ) -> None:
        """Apply a parsed file in one transaction (after `defer`), or change nothing and say why."""
        try:
            imported = await self.autoresponses.import_rules(
                _guild(interaction).id, drafts, mode, actor_id=interaction.user.id
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
