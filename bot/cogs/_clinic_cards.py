"""The clinic watch's two cards as Discord messages, and the two buttons every card carries.

"Questions to ask" answers privately with the checklist that fits the card. "Not relevant here" may be
pressed by anyone: it counts one false-alarm report per card (which card, which kinds of signal; never
the member's message), tells the moderators in the mod-log, and thanks the person privately. The
buttons are dynamic items whose custom ids carry the card and the signal kinds, so they keep working
after a restart with nothing kept in memory.
"""

from __future__ import annotations

import re

import discord

from bot.cogs._context import context_of
from bot.cogs._embeds import to_embed
from bot.cogs._replies import send_ephemeral
from bot.cogs._ui import SafeItem, dynamic_buttons
from bot.core.content.model import Checklist, ContentBundle
from bot.core.content.render import render_checklist
from bot.core.scanning import ClinicAlert, Outcome, ScanPreview
from bot.core.scanning.reports import FalseAlarm, kinds_from_code, signal_code
from bot.core.text import escape_markdown

_CARD = r"(?P<card>caution|centre)"
REPORTED = (
    "Thank you. I've let the moderators know this card didn't fit the conversation, so they can tune "
    "what I listen for. Nothing else happens, and your name is shown only to them."
)
ALREADY_REPORTED = "Thank you. This card was already reported, so the moderators know."


def checklist_for(content: ContentBundle, card: Outcome) -> Checklist:
    """The "Questions to ask" list that goes with a card."""
    return content.questions.centre if card is Outcome.CENTRE else content.questions.clinic


class QuestionsButton(SafeItem[discord.ui.Button], template=rf"clinicwatch:questions:{_CARD}"):
    """The checklist for the card, privately, for whoever presses."""

    def __init__(self, card: Outcome) -> None:
        super().__init__(
            discord.ui.Button(
                label="Questions to ask",
                emoji="📝",
                style=discord.ButtonStyle.primary,
                custom_id=f"clinicwatch:questions:{card.value}",
            )
        )
        self.card = card

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str]
    ) -> QuestionsButton:
        return cls(Outcome(match["card"]))

    async def pressed(self, interaction: discord.Interaction) -> None:
        checklist = checklist_for(context_of(interaction).content, self.card)
        await interaction.response.send_message(embed=to_embed(render_checklist(checklist)), ephemeral=True)


class NotRelevantButton(
    SafeItem[discord.ui.Button], template=rf"clinicwatch:notrelevant:{_CARD}:(?P<signals>[a-z]{{0,26}})"
):
    """A false-alarm report: counted once per card, reported to the mod-log, thanked privately."""

    def __init__(self, report: FalseAlarm) -> None:
        super().__init__(
            discord.ui.Button(
                label="Not relevant here",
                style=discord.ButtonStyle.secondary,
                custom_id=f"clinicwatch:notrelevant:{report.outcome.value}:{signal_code(report.signals)}",
            )
        )
        self.report = report

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str]
    ) -> NotRelevantButton:
        return cls(FalseAlarm(Outcome(match["card"]), kinds_from_code(match["signals"])))

    async def pressed(self, interaction: discord.Interaction) -> None:
        context = context_of(interaction)
        guild_id, message = interaction.guild_id, interaction.message
        if guild_id is None or message is None:
            await send_ephemeral(interaction, ALREADY_REPORTED)
            return
        counted = await context.services.message_watch.report_false_alarm(guild_id, message.id, self.report)
        if counted:
            context.modlog.report(
                guild_id,
                interaction.user.id,
                "clinicwatch.false_alarm",
                None,
                None,
                {"card": self.report.describe(), "channel": f"<#{message.channel.id}>"},
            )
        await send_ephemeral(interaction, REPORTED if counted else ALREADY_REPORTED)


def verdict_text(preview: ScanPreview, content: ContentBundle) -> str:
    """What would happen, in one or two sentences: the card by its title, or why nothing would."""
    if not preview.enabled:
        return "**Nothing would be sent:** clinic watch is off in this server."
    if preview.outcome is Outcome.QUIET:
        return f"**Quiet:** this text alone calls for no card ({preview.sensitivity.value} mode)."
    card = content.caution.title if preview.outcome is Outcome.CAUTION else content.centre.title
    if preview.ignored_here:
        return f"**Nothing would be sent here:** this channel is ignored (elsewhere: “{card}”)."
    verdict = f"**“{card}” would be posted.** {preview.explanation()}"
    if preview.held_by_cooldown:
        minutes = int(preview.cooldown_remaining.total_seconds() // 60) + 1
        verdict = f"**“{card}”, but not now:** this channel's cooldown holds it for {minutes} more minutes."
    return verdict


def counted_words(preview: ScanPreview) -> str:
    """ "Found “msc” (product), “mexico” (place)." for the words that counted, or that none did."""
    counted = [
        f"“{escape_markdown(m.word)}” ({m.kind.value})" for m in preview.matches if m.counted and m.kind
    ]
    return f"Found {', '.join(counted)}." if counted else "No clinic-watch words counted."


CARD_ITEMS: tuple[type[SafeItem[discord.ui.Button]], ...] = (QuestionsButton, NotRelevantButton)


def card_buttons(alert: ClinicAlert) -> discord.ui.View:
    """The two buttons for a card that answers `alert`."""
    signals = tuple(signal.kind for signal in alert.signals)
    return dynamic_buttons(
        QuestionsButton(alert.outcome), NotRelevantButton(FalseAlarm(alert.outcome, signals))
    )
