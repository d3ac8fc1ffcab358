"""How auto-responses read in Discord, and their components: the rule form and the list's pages.

Pure presentation of `bot.core.autoresponse` values (one-line summaries, the list page, a rule in
full, the dry run) plus `RuleForm` (a rule's triggers, mode, kind of answer, responses and weights
in one form) and `ListPageButton`. The commands and the change path are in `autoresponse.py`.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import discord

from bot.cogs._clinic_cards import counted_words, verdict_text
from bot.cogs._context import context_of
from bot.cogs._ui import ModeratorItem, ModeratorModal, dynamic_buttons
from bot.core import limits
from bot.core.autoresponse import (
    MAX_RESPONSES_PER_RULE,
    MAX_RULES_PER_GUILD,
    MAX_TRIGGERS_PER_RULE,
    AnswerKind,
    FieldProblem,
    MatchMode,
    Rule,
    RuleDraft,
    RuleTrigger,
    default_cooldown,
)
from bot.core.autoresponse.changes import filter_rules
from bot.core.autoresponse.typed import parse_trigger_lines, parse_weights, split_responses
from bot.core.content.model import ContentBundle
from bot.core.replies import DryRun
from bot.core.text import clip, escape_markdown, snippet
from bot.errors import InvalidInput, UserFacingError

COLOUR = 0x3C8D5A
PAGE_SIZE = 10
TRIGGER_SHOWN = 60
RESPONSE_SHOWN = 90
KEPT_FORM_FILENAME = "your-auto-response.txt"
RESPONSE_SEPARATOR = "\n---\n"
_ROLES_SHOWN = 3
ItemT = TypeVar("ItemT", bound=discord.ui.Item[Any])

# --- how rules read in Discord -------------------------------------------------------------------


def quoted(text: str, limit: int = 200) -> str:
    """A trigger in curly quotes, on one line, shortened, with Markdown made literal."""
    return f"“{snippet(text, limit)}”"


def plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def scope_text(draft: RuleDraft, *, brief: bool = False) -> str:
    """Where a rule answers; `brief` counts long lists, so a list page fits within Discord's limits."""
    channels = draft.channel_ids
    if not channels:
        return "all channels"
    if brief and len(channels) > 2:
        return f"{len(channels)} channels"
    return ", ".join(f"<#{channel}>" for channel in channels)


def audience_text(draft: RuleDraft, *, brief: bool = False) -> str:
    """Whom a rule answers: everyone, members with some roles, everyone except some roles."""

    def roles(ids: Sequence[int]) -> str:
        if brief and len(ids) > _ROLES_SHOWN:
            return plural(len(ids), "role")
        return ", ".join(f"<@&{role}>" for role in ids)

    parts = []
    if draft.allowed_role_ids:
        parts.append(f"members with {roles(draft.allowed_role_ids)}")
    if draft.denied_role_ids:
        parts.append(f"{'but not' if parts else 'everyone except'} {roles(draft.denied_role_ids)}")
    return " ".join(parts) or "everyone"


def cooldown_text(draft: RuleDraft) -> str:
    per = "member" if draft.kind.private else "channel"
    return f"cooldown {draft.cooldown_seconds:,} s per {per}"


def triggers_text(draft: RuleDraft, limit: int = TRIGGER_SHOWN) -> str:
    """The main trigger, and how many more."""
    more = len(draft.more_triggers)
    first = f"{draft.mode.value} {quoted(draft.trigger, limit)}"
    return f"{first} (+{more} more)" if more else first


def describe(draft: RuleDraft) -> str:
    """One line a moderator can check at a glance."""
    state = "on" if draft.enabled else "**off**"
    responses = f" · {plural(len(draft.responses), 'response')}" if draft.more_responses else ""
    return (
        f"{triggers_text(draft, 200)} · {draft.kind.label}{responses} · {scope_text(draft)} · "
        f"{audience_text(draft)} · {cooldown_text(draft)} · {state}"
    )


@dataclass(frozen=True, slots=True)
class ListFilters:
    """What `/autoresponse list` narrows the rules to; carried in the page buttons' custom ids."""

    channel_id: int | None = None
    mode: MatchMode | None = None
    disabled: bool | None = None

    def apply(self, rules: Sequence[Rule]) -> tuple[Rule, ...]:
        return filter_rules(rules, channel_id=self.channel_id, mode=self.mode, disabled=self.disabled)

    @property
    def active(self) -> bool:
        return self != ListFilters()

    def describe(self) -> str:
        parts = []
        if self.channel_id is not None:
            parts.append(f"answering in <#{self.channel_id}>")
        if self.mode is not None:
            parts.append(f"with a {self.mode.value} trigger")
        if self.disabled is not None:
            parts.append("switched off" if self.disabled else "switched on")
        return "Rules " + ", ".join(parts)

    def id_part(self) -> str:
        """`channel:mode:state` for a custom id (0, - and - when not filtered)."""
        state = "-" if self.disabled is None else ("off" if self.disabled else "on")
        return f"{self.channel_id or 0}:{self.mode.value if self.mode else '-'}:{state}"

    @classmethod
    def from_id_part(cls, channel: str, mode: str, state: str) -> ListFilters:
        return cls(
            channel_id=int(channel) or None,
            mode=MatchMode(mode) if mode in tuple(MatchMode) else None,
            disabled=None if state == "-" else state == "off",
        )


def _hits_text(rule: Rule) -> str:
    hits = plural(rule.hit_count, "hit")
    if rule.last_hit_at is None:
        return hits
    return f"{hits}, last <t:{int(rule.last_hit_at.timestamp())}:R>"


def list_message(
    all_rules: Sequence[Rule], page: int, filters: ListFilters, ignored: Sequence[int] = ()
) -> dict[str, Any]:
    """One page of rules by number, with Previous/Next buttons when there is more than one page."""
    if not all_rules:
        return {
            "content": "This server has no auto-responses yet. Add one with `/autoresponse add`.",
            "embed": None,
            "view": None,
        }
    rules = filters.apply(all_rules)
    pages = max(1, math.ceil(len(rules) / PAGE_SIZE))
    page = min(max(page, 1), pages)
    lines = []
    for rule in rules[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]:
        draft = rule.draft
        state = "on" if rule.enabled else "**off**"
        answer = "" if draft.kind is AnswerKind.REPLY else f" · {draft.kind.value}"
        audience = (
            ""
            if not (draft.allowed_role_ids or draft.denied_role_ids)
            else " · " + audience_text(draft, brief=True)
        )
        lines.append(
            f"**#{rule.number}** · {triggers_text(draft)}{answer} · {_hits_text(rule)} · {state} · "
            f"{scope_text(draft, brief=True)}{audience}\n"
            f"-# {snippet(rule.response, RESPONSE_SHOWN)}"
        )
    if not lines:
        lines.append("No rule matches these filters.")
    embed = discord.Embed(title="Auto-responses", description="\n".join(lines), colour=discord.Colour(COLOUR))
    if filters.active:
        embed.add_field(
            name="Filter", value=clip(filters.describe(), limits.EMBED_FIELD_VALUE_CHARS), inline=False
        )
    if ignored:
        shown = ", ".join(f"<@{member}>" for member in ignored[:20])
        more = f" and {len(ignored) - 20} more" if len(ignored) > 20 else ""
        embed.add_field(
            name="Ignored members", value=clip(shown + more, limits.EMBED_FIELD_VALUE_CHARS), inline=False
        )
    shown_count = f"{len(rules)} of {len(all_rules)}" if filters.active else str(len(all_rules))
    embed.set_footer(
        text=f"Page {page} of {pages} · {shown_count} rules (at most {MAX_RULES_PER_GUILD}) · "
        "/autoresponse show number:<n> shows one in full"
    )
    view: discord.ui.View | None = None
    if pages > 1:
        view = dynamic_buttons(
            ListPageButton(max(page - 1, 1), "prev", filters, disabled=page == 1),
            ListPageButton(min(page + 1, pages), "next", filters, disabled=page == pages),
        )
    return {"content": None, "embed": embed, "view": view}


class _FieldBudget:
    """Adds embed fields while the whole embed stays within Discord's 6,000 characters and 25 fields."""

    def __init__(self, embed: discord.Embed, reserve: int) -> None:
        self.embed = embed
        self.left = limits.EMBED_TOTAL_CHARS - reserve - len(embed.title or "") - len(embed.description or "")
        self.cut = False

    def add(self, name: str, value: str, *, inline: bool = True) -> None:
        whole = value or "-"
        room = min(limits.EMBED_FIELD_VALUE_CHARS, self.left - len(name))
        if len(self.embed.fields) >= limits.EMBED_FIELDS - 1 or room < 20:
            self.cut = True
            return
        value = clip(whole, room)
        self.cut = self.cut or value != whole
        self.left -= len(name) + len(value)
        self.embed.add_field(name=name, value=value, inline=inline)


def rule_embed(rule: Rule) -> tuple[discord.Embed, str | None]:
    """A rule in full, and its whole text as a file when the embed could not hold everything.

    With one response, the description is that response exactly as members will see it.
    """
    draft = rule.draft
    responses = draft.responses
    description = (
        responses[0]
        if len(responses) == 1
        else f"Answers with one of {len(responses)} responses, picked at random (below)."
    )
    embed = discord.Embed(
        title=f"Auto-response #{rule.number}",
        description=clip(description, limits.EMBED_DESCRIPTION_CHARS),
        colour=discord.Colour(COLOUR),
    )
    budget = _FieldBudget(embed, reserve=limits.EMBED_FOOTER_CHARS // 20)
    if len(draft.triggers) == 1:
        budget.add("Trigger", quoted(draft.trigger), inline=False)
    else:
        listed = "\n".join(
            f"{position}. {trigger.mode.value} {quoted(trigger.text)}"
            for position, trigger in enumerate(draft.triggers, start=1)
        )
        budget.add(f"Triggers ({len(draft.triggers)})", listed, inline=False)
    budget.add("Mode", draft.mode.value)
    budget.add("State", "on" if rule.enabled else "off")
    budget.add("Answer", draft.kind.label)
    budget.add("Cooldown", cooldown_text(draft).removeprefix("cooldown "))
    budget.add("Channels", scope_text(draft))
    budget.add("Who", audience_text(draft))
    last = f" · last <t:{int(rule.last_hit_at.timestamp())}:R>" if rule.last_hit_at else ""
    budget.add("Answers sent", f"{rule.hit_count}{last}")
    if draft.title or draft.link:
        link = f"\nlink {draft.link}" if draft.link else ""
        budget.add("Embed", f"title {quoted(draft.title)}{link}", inline=False)
    if len(responses) > 1:
        for position, (text, weight) in enumerate(
            zip(responses, draft.response_weights, strict=True), start=1
        ):
            odds = f" (weight {weight})" if draft.weights else ""
            budget.add(f"Response {position}{odds}", escape_markdown(text), inline=False)
    history = f"added by <@{rule.author_id}> <t:{int(rule.created_at.timestamp())}:R>"
    if rule.updated_at != rule.created_at:
        history += f"; last changed by <@{rule.updated_by}> <t:{int(rule.updated_at.timestamp())}:R>"
    budget.add("History", history, inline=False)
    if not budget.cut:
        return embed, None
    embed.set_footer(text="Too long to show whole here: every trigger and response is in the attached file.")
    return embed, rule_text(rule)


def rule_text(rule: Rule) -> str:
    """Every trigger and response of a rule in plain text (attached when an embed cannot hold it)."""
    draft = rule.draft
    lines = [f"Auto-response #{rule.number}", "", "Triggers:"]
    lines += [f"  {p}. {t.mode.value}: {t.text}" for p, t in enumerate(draft.triggers, start=1)]
    lines += ["", f"Answer: {draft.kind.label}"]
    if draft.title:
        lines.append(f"Title: {draft.title}")
    if draft.link:
        lines.append(f"Link: {draft.link}")
    for position, (text, weight) in enumerate(
        zip(draft.responses, draft.response_weights, strict=True), start=1
    ):
        lines += ["", f"Response {position} (weight {weight}):", text]
    return "\n".join(lines) + "\n"


def test_embed(text: str, dry_run: DryRun, *, channel_id: int, content: ContentBundle) -> discord.Embed:
    """The dry run of `/autoresponse test`: which rule would answer, and the clinic watch, with reasons."""
    selection = dry_run.selection
    embed = discord.Embed(title="Dry run", colour=discord.Colour(COLOUR))
    embed.description = f"If a member sent this in <#{channel_id}>:\n> {snippet(text, RESPONSE_SHOWN)}"
    if selection.winner is not None:
        answer = f"**#{selection.winner.rule.number} would answer.**"
    elif selection.candidates:
        answer = "**No rule would answer right now.**"
    else:
        answer = "**No rule matches this text.**"
    reasons = "\n".join(f"- {line}" for line in selection.explanation())
    embed.add_field(name="Auto-response", value=_field(f"{answer}\n{reasons}".strip()), inline=False)
    clinic = f"{verdict_text(dry_run.preview, content)} {counted_words(dry_run.preview)}"
    embed.add_field(name="Clinic watch", value=_field(clinic), inline=False)
    if dry_run.rule_held_back:
        embed.add_field(
            name="One reply per message",
            value="The clinic card goes first, so the rule would stay quiet for this message.",
            inline=False,
        )
    embed.set_footer(text="Nothing was sent and no cooldown was used.")
    return embed


def _field(text: str) -> str:
    return clip(text, limits.EMBED_FIELD_VALUE_CHARS)


def refusal(problems: Sequence[FieldProblem]) -> str:
    """Validation problems as a kind message naming each field to fix."""
    lines = "\n".join(f"- **{problem.field}**: {escape_markdown(problem.message)}" for problem in problems)
    return clip(f"I couldn't save that auto-response, so nothing was changed:\n{lines}", limits.MESSAGE_CHARS)


# --- the form ------------------------------------------------------------------------------------


def trigger_lines(draft: RuleDraft) -> str:
    """The form's triggers: one per line, each with its mode unless it is the main trigger's mode."""
    return "\n".join(
        trigger.text if trigger.mode is draft.mode else f"{trigger.mode.value}: {trigger.text}"
        for trigger in draft.triggers
    )


@dataclass(frozen=True, slots=True)
class FormInput:
    """What a moderator typed into the rule form, read into rule fields."""

    triggers: tuple[RuleTrigger, ...]
    kind: AnswerKind
    responses: tuple[str, ...]
    weights: tuple[int, ...]

    def applied_to(self, draft: RuleDraft, *, cooldown_given: bool) -> RuleDraft:
        """`draft` with the form's fields; leaving the embed drops its title and link, and a rule
        whose cooldown nobody chose takes the default of its kind of answer."""
        changed = draft.with_triggers(self.triggers).with_responses(self.responses, self.weights)
        changes: dict[str, Any] = {"kind": self.kind}
        if self.kind is not AnswerKind.EMBED:
            changes.update(title="", link="")
        if not cooldown_given and self.kind.private != draft.kind.private:
            changes["cooldown_seconds"] = default_cooldown(self.kind)
        return changed.with_changes(**changes)


SaveForm = Callable[[discord.Interaction, FormInput], Awaitable[None]]


class RuleForm(ModeratorModal):
    """A rule's triggers, match mode, kind of answer, responses and weights in one form.

    Opened by `/autoresponse add` without a response (prefilled with the command's triggers) and
    by `/autoresponse edit` without options (prefilled with the rule). `save` carries it out.
    """

    def __init__(self, draft: RuleDraft, save: SaveForm, *, number: int | None = None) -> None:
        super().__init__(title=f"Auto-response #{number}" if number else "New auto-response")
        self.save = save
        lines = trigger_lines(draft)
        responses = RESPONSE_SEPARATOR.join(draft.responses) if any(draft.responses) else ""
        if len(lines) > limits.TEXT_INPUT_VALUE_CHARS or len(responses) > limits.TEXT_INPUT_VALUE_CHARS:
            raise InvalidInput(
                "This rule is too long to edit in a form. Change it with the options of "
                "`/autoresponse edit`, or export it, edit the file and import it again."
            )
        self.triggers_input = self._field(
            "Triggers",
            f"One per line, up to {MAX_TRIGGERS_PER_RULE}. Start a line with a mode to change it: "
            "phrase: stem cell",
            _paragraph("triggers", lines, "mri\nphrase: stem cell\nwildcard: lesion*"),
        )
        self.mode_select = self._field(
            "Match mode",
            "For every line that does not name its own mode",
            _menu("mode", [(mode.value, mode.value, mode is draft.mode) for mode in MatchMode]),
        )
        self.kind_select = self._field(
            "Answer with",
            None,
            _menu("answer", [(kind.label, kind.value, kind is draft.kind) for kind in AnswerKind]),
        )
        self.responses_input = self._field(
            "Responses",
            f"Up to {MAX_RESPONSES_PER_RULE}, one picked at random; {{member}} {{channel}} {{server}}; "
            "a reaction: an emoji",
            _paragraph(
                "responses",
                responses,
                "What should I answer? For several answers, put a line with --- between them.",
            ),
        )
        self.weights_input = self._field(
            "Weights (optional)",
            "One whole number per response; leave empty for equal chances",
            discord.ui.TextInput(
                custom_id="weights",
                style=discord.TextStyle.short,
                default=", ".join(str(weight) for weight in draft.weights) or None,
                placeholder="3, 1, 1",
                required=False,
                max_length=limits.TEXT_INPUT_PLACEHOLDER_CHARS,
            ),
        )

    def _field(self, text: str, description: str | None, component: ItemT) -> ItemT:
        """Add `component` under a label (and its description); return it, to read on submit."""
        self.add_item(discord.ui.Label(text=text, description=description, component=component))
        return component

    def typed(self) -> str:
        """Everything typed, to hand back as a file when the save is refused."""
        return (
            f"Triggers ({self.mode_select.values[0] if self.mode_select.values else 'word'} unless named):\n"
            f"{self.triggers_input.value}\n\nResponses:\n{self.responses_input.value}\n\n"
            f"Weights: {self.weights_input.value}\n"
        )

    def read(self) -> FormInput:
        default_mode = MatchMode(self.mode_select.values[0]) if self.mode_select.values else MatchMode.WORD
        kind = AnswerKind(self.kind_select.values[0]) if self.kind_select.values else AnswerKind.REPLY
        triggers = parse_trigger_lines(self.triggers_input.value, default_mode)
        responses = split_responses(self.responses_input.value)
        if not triggers or not responses:
            raise InvalidInput("The form needs at least one trigger and one response. Nothing was changed.")
        return FormInput(tuple(triggers), kind, tuple(responses), parse_weights(self.weights_input.value))

    async def submitted(self, interaction: discord.Interaction) -> None:
        try:
            await self.save(interaction, self.read())
        except UserFacingError as error:
            if interaction.response.is_done():
                raise
            # A refused form would otherwise lose what the moderator wrote: hand it back as a file.
            kept = discord.File(io.BytesIO(self.typed().encode("utf-8")), filename=KEPT_FORM_FILENAME)
            await interaction.response.send_message(
                f"{error.message}\nWhat you wrote is attached, so nothing is lost.", file=kept, ephemeral=True
            )


def _paragraph(custom_id: str, default: str, placeholder: str) -> discord.ui.TextInput[RuleForm]:
    """A required multi-line field of the form, as long as Discord allows."""
    return discord.ui.TextInput(
        custom_id=custom_id,
        style=discord.TextStyle.paragraph,
        default=default or None,
        placeholder=placeholder,
        required=True,
        max_length=limits.TEXT_INPUT_VALUE_CHARS,
    )


def _menu(custom_id: str, options: Sequence[tuple[str, str, bool]]) -> discord.ui.Select[RuleForm]:
    """A one-choice menu of (label, value, chosen) options, for a form."""
    return discord.ui.Select(
        custom_id=custom_id,
        options=[
            discord.SelectOption(label=label, value=value, default=chosen) for label, value, chosen in options
        ],
        required=True,
    )


# --- the list's pages ----------------------------------------------------------------------------


class ListPageButton(
    ModeratorItem[discord.ui.Button],
    template=r"autoresponse:list:(?P<page>\d+):(?P<direction>prev|next)"
    r":(?P<channel>\d+):(?P<mode>[a-z-]+):(?P<state>on|off|-)",
):
    """Previous / Next on `/autoresponse list`, with its filters; keeps working after a restart."""

    def __init__(self, page: int, direction: str, filters: ListFilters, *, disabled: bool = False) -> None:
        super().__init__(
            discord.ui.Button(
                label="Previous" if direction == "prev" else "Next",
                style=discord.ButtonStyle.secondary,
                custom_id=f"autoresponse:list:{page}:{direction}:{filters.id_part()}",
                disabled=disabled,
            )
        )
        self.page = page
        self.filters = filters

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str]
    ) -> ListPageButton:
        filters = ListFilters.from_id_part(match["channel"], match["mode"], match["state"])
        return cls(max(1, int(match["page"])), match["direction"], filters)

    async def pressed(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        service = context_of(interaction).services.autoresponses
        rules = await service.list(interaction.guild_id)
        ignored = await service.ignored_members(interaction.guild_id)
        await interaction.response.edit_message(**list_message(rules, self.page, self.filters, ignored))
