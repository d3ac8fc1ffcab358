"""`/help`: what the bot does, what it stores, and the privacy promise."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.cogs._context import BotContext
from bot.core.content.render import COLOUR_EXPLAINER, NOT_MEDICAL_ADVICE

# One field each, so every part stays within Discord's 1,024 characters as features grow.
WHAT_IT_DOES: tuple[tuple[str, str], ...] = (
    (
        "Read and look up",
        "`/stemcell [topic]`: short, sourced explainers about stem-cell therapy and MS.\n"
        "`/glossary term`: what a word means, in plain language.\n"
        "`/caution`: what to check before going to a stem-cell clinic (ISSCR).\n"
        "`/trials [near] [intervention] [observational]`: recruiting MS stem-cell trials from "
        "ClinicalTrials.gov, nearest first, with who to contact.",
    ),
    (
        "Trial watch",
        "`/trialwatch add [near] [intervention] [radius_km]`: a direct message when a new MS stem-cell "
        "trial opens near you, or one you heard about changes its status (I look about once a day; up to "
        "5 watches). `/trialwatch list` shows them; `/trialwatch remove` stops one, or all.\n"
        "A watch keeps, until you remove it: your Discord id (to reach you), the place, kind and distance "
        "you chose, and which studies it told you about, all **sealed** like your journal. Readable: only "
        "a code name, and when it looks next. `/trialwatch remove` or `/journal forget` deletes it all.",
    ),
    (
        "Your journal",
        "`/journal add|list|view|edit|delete`: your private therapy diary. You can also just send me a "
        "direct message and I'll save it as a note, with an Undo button.\n"
        "`/journal milestone|relapse|mri|score|bloods|medicine|vaccination|appointment`: the steps of "
        "your treatment (reinfusion is day 0) and what happens around it, each with its own short form.\n"
        "`/journal summary|timeline|compare`: your ratings in a chart, a picture of your months around "
        "day 0, and your averages before treatment next to the months after.\n"
        "`/journal report`: a PDF of your journal (1 to 3 pages) to take to your neurologist.\n"
        "`/journal export|import|remind|timezone|forget`: a download of everything and bringing it "
        "back, a gentle DM reminder, your time zone, or deleting it all.",
    ),
    (
        "In servers",
        "When a server talks about an unproven stem-cell clinic or product, I may post the ISSCR "
        "caution list once; about aHSCT at a private or foreign centre, advice on choosing a transplant "
        "centre. Talk about your own care gets no card. Each card has **Questions to ask** and **Not "
        "relevant here** buttons.",
    ),
    (
        "For moderators",
        "`/clinicwatch` tunes the clinic watch or switches it off; `/autoresponse` sets the server's own "
        "automatic answers (a reply, an embed, a reaction or a private message, never pinging anyone); "
        "`/modlog` reports each change.",
    ),
)
WHAT_IT_STORES = (
    "Explainers, the glossary and the caution list store nothing about you.\n"
    "Server settings chosen by moderators are stored with the moderator's id, for the audit log.\n"
    "I read messages in servers only to notice clinic mentions and the moderators' auto-response words; "
    "I keep no message text, and no record of who got a private auto-response. If moderators ask "
    "auto-responses to leave you alone, your Discord id is kept for that.\n"
    "**Your journal**, until you delete it: each entry's type, therapy, phase, ratings, side effects "
    "and notes, and what you entered for milestones, results, medicines, vaccinations and "
    "appointments; your time zone; your reminder settings; and your Discord id, only to send you "
    "reminders. All of it is **sealed** (encrypted) on disk.\n"
    "**Readable** on disk, and nothing more: a code name that can't be traced to you without the "
    "bot's key, entry numbers and dates, when entries were written or changed, how many you have, "
    "and when a reminder is due. No log holds your id or your words."
)
PRIVACY = (
    "Your journal is yours alone: other members and moderators can't see it, and nothing you tell "
    "me is shared or sold. `/journal delete` removes one entry; `/journal forget` removes "
    "everything, from memory too, and leaves no trace in the database files. Backups the bot's "
    "operator made before that are not changed by it."
)


class HelpCog(commands.Cog, name="Help"):
    def __init__(self, context: BotContext) -> None:
        self.context = context

    @app_commands.command(name="help", description="What this bot does, what it stores, and your privacy")
    @app_commands.allowed_contexts(guilds=True, dms=True, private_channels=True)
    @app_commands.allowed_installs(guilds=True, users=False)
    async def help(self, interaction: discord.Interaction) -> None:
        embed = discord.Embed(
            title="Stem-cell companion",
            description=(
                "I help this community read about stem-cell therapy for MS, with the sources "
                "behind every answer. I'm a helper, not a clinician."
            ),
            colour=discord.Colour(COLOUR_EXPLAINER),
        )
        for name, value in WHAT_IT_DOES:
            embed.add_field(name=name, value=value, inline=False)
        embed.add_field(name="What I store", value=WHAT_IT_STORES, inline=False)
        embed.add_field(name="Your privacy", value=PRIVACY, inline=False)
        embed.set_footer(text=NOT_MEDICAL_ADVICE)
        await interaction.response.send_message(embed=embed, ephemeral=True)
