"""`/journal`: a private therapy diary per member, in DMs and (ephemerally) in servers.

Thin adapter: options, form text and DMs go to `JournalService` (every action scoped by the
caller's own user id), whose answers become embeds, buttons, files and replies here. Also owns
the DM quick note handler, the reminder loop and the registry of open forms (`LiveForms`), which
`/journal forget` empties. Logs carry neither journal text nor a Discord id: a warning about one
member names their short pseudonym (`JournalService.log_tag`).
"""

from __future__ import annotations

import io
import logging
from contextlib import aclosing
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands, tasks

from bot.cogs import journal_views as views
from bot.cogs._choices import choices_of
from bot.cogs._context import BotContext
from bot.cogs._ui import PRIVATE_FEATURE, dynamic_buttons
from bot.cogs.journal_views import (
    CHART_FILENAME,
    EMPTY_JOURNAL,
    JOURNAL_COG_NAME,
    AddEntryButton,
    DeleteEntryButton,
    EntryModal,
    ForgetButton,
    LiveForms,
    TypedEntryModal,
    UndoQuickNoteButton,
    edit_form,
    entry_embed,
    list_message,
    open_form,
    reply,
    saved_entry_reply,
    summary_embed,
)
from bot.core import limits
from bot.core.journal import reminders, rules
from bot.core.journal.compare import NO_DAY_ZERO
from bot.core.journal.drafts import EntryOptions, TypedEntryForm
from bot.core.journal.export import ExportPart, ExportTooLarge
from bot.core.journal.importing import MAX_IMPORT_BYTES
from bot.core.journal.kind_rules import EDSS_KEY, PDDS_KEY
from bot.core.journal.kinds import (
    EDSS_STEPS,
    PDDS_LEVELS,
    Answer,
    CountUnit,
    MedicineAction,
    MedicineKind,
    Milestone,
    Scorer,
)
from bot.core.journal.model import (
    Cadence,
    EntryKind,
    EntrySource,
    ForgottenItems,
    Phase,
    ReminderSettings,
)
from bot.core.text import snippet
from bot.errors import UserFacingError

log = logging.getLogger(__name__)

#: How much of a note an entry's autocomplete choice shows after its number, date and kind.
CHOICE_SNIPPET_CHARS = 60
REMINDER_MESSAGE = (
    "Hello! This is your gentle journal reminder. How are you today?\n"
    "Reply here with a few words and I'll save them as a note, or press the button to add ratings too.\n"
    "-# To change or stop these reminders, use `/journal remind`."
)
QUICK_NOTE_FAILED = (
    "Sorry, I couldn't save that note just now because of a problem on my side. "
    "Nothing was saved; please try sending it again in a moment."
)
UTC_ASSUMED = (
    "\nI used UTC because I don't know your time zone yet. To use yours, run this again "
    "with `timezone:` (for example Europe/London)."
)
DMS_NEEDED = "\n-# I can only reach you if you allow direct messages from members of a server we share."
EXPORT_TOO_LARGE = (
    "I'm sorry: Discord lets me send at most {limit} per file here, and even a single entry of your "
    "journal is bigger than that, so I can't send an export in this place. Nothing was changed. "
    "Please try `/journal export` in a direct message with me."
)
TIMELINE_FILENAME = "journal-timeline.png"
TIMELINE_TEXT = (
    "Your timeline: your ratings as lines, relapses (▼) and MRIs (■) as markers, the phases of your "
    "treatment as shaded bands and your milestones labelled, counted in months from day 0 when you "
    "have recorded your reinfusion. It shows what you wrote down, nothing more."
)
REPORT_TEXT = (
    "Here is your report for {first} to {last}, a PDF to take to your neurologist or MS team. Every "
    "page says it is self-reported by you, not a medical record. It holds what you entered, so keep "
    "it somewhere safe."
)
REPORT_WITHOUT_NOTES = " Your notes are not in it; add `include_notes: True` to put them in."
REPORT_TOO_LARGE = (
    "I'm sorry: the report is bigger than Discord lets me send here ({limit}). Please try a shorter "
    "period with `from` and `to`, or ask in a direct message with me."
)
IMPORT_TOO_LARGE = (
    "That file is {size}, bigger than any journal export ({limit} at most), so I didn't read it. "
    "Nothing was imported. Please attach the zip file that `/journal export` sent you."
)
IMPORT_UNREADABLE = (
    "I couldn't fetch that file from Discord just now. Nothing was imported; please try again in a moment."
)
FORGET_QUESTION = (
    "This deletes **everything** the journal holds about you: {entries}, your reminder if you have "
    "one, and your journal settings (time zone and entry numbering). It can't be undone.\n"
    "If you'd like a copy first, use `/journal export` before answering.\n\n"
    "Do you want to delete it all?"
)


def _entries(count: int) -> str:
    return f"{count} journal {'entry' if count == 1 else 'entries'}"


NOTES = "Anything you want to remember (up to 4,000 characters)"


def _answer_choices(unknown: str) -> list[app_commands.Choice[str]]:
    """Yes, no, and the words for 'not known' that suit the question."""
    names = {Answer.YES: "Yes", Answer.NO: "No", Answer.UNKNOWN: unknown}
    return [app_commands.Choice(name=name, value=answer.value) for answer, name in names.items()]


def _cadence_choices() -> list[app_commands.Choice[str]]:
    every = [app_commands.Choice(name=cadence.value.capitalize(), value=cadence.value) for cadence in Cadence]
    return [*every, app_commands.Choice(name="Off", value="off")]


def _weekday_choices() -> list[app_commands.Choice[str]]:
    names = [reminders.weekday_name(weekday) for weekday in range(7)]
    return [app_commands.Choice(name=name, value=name.lower()) for name in names]


def _edss_choices() -> list[app_commands.Choice[str]]:
    return [app_commands.Choice(name=f"{step:.1f}", value=f"{step:.1f}") for step in EDSS_STEPS]


def _pdds_choices() -> list[app_commands.Choice[str]]:
    return [
        app_commands.Choice(name=f"{level} · {words}", value=str(level))
        for level, words in PDDS_LEVELS.items()
    ]


def _clinician_choices() -> list[app_commands.Choice[str]]:
    return [
        app_commands.Choice(name=scorer.label.capitalize(), value=scorer.value)
        for scorer in Scorer
        if scorer is not Scorer.SELF
    ]


def _number(value: float | None) -> str | None:
    return None if value is None else f"{value:g}"


def _size(limit: int) -> str:
    return f"{limit / 1024 / 1024:.1f} MB" if limit >= 1024 * 1024 else f"{limit / 1024:.0f} KB"


class JournalCog(commands.Cog, name=JOURNAL_COG_NAME):
    """Adapter between Discord and the journal: commands, DM quick notes, reminders, open forms."""

    #: How often the reminder loop looks for due reminders (seconds); tests shorten it.
    reminder_interval: float = 30.0

    journal = app_commands.Group(
        name="journal",
        description="Your private therapy journal: only you can read it",
        allowed_contexts=app_commands.AppCommandContext(guild=True, dm_channel=True, private_channel=True),
        allowed_installs=app_commands.AppInstallationType(guild=True, user=False),
        # Its failures are logged without ids: no log line may tie a Discord id to the journal.
        extras={PRIVATE_FEATURE: True},
    )

    def __init__(self, context: BotContext) -> None:
        self.context = context
        self.client = context.client
        self.clock = context.clock
        self.service = context.services.journal
        #: Open entry forms and the text kept for "Try again", per member; `forget` empties it.
        self.live_forms = LiveForms(context.clock)

    async def cog_load(self) -> None:
        self.client.add_dynamic_items(*views.DYNAMIC_ITEMS)
        self.context.direct_message_handlers.append(self.on_direct_message)
        self.service.on_forget(self.forget_live_forms)
        self.reminder_loop.change_interval(seconds=self.reminder_interval)
        self.reminder_loop.start()

    async def cog_unload(self) -> None:
        self.reminder_loop.cancel()
        if self.on_direct_message in self.context.direct_message_handlers:
            self.context.direct_message_handlers.remove(self.on_direct_message)
        self.service.remove_forget_hook(self.forget_live_forms)
        self.client.remove_dynamic_items(*views.DYNAMIC_ITEMS)

    async def forget_live_forms(self, user_id: int) -> ForgottenItems | None:
        """`forget`'s hook: the member's open forms close and the text kept for them goes."""
        self.live_forms.forget(user_id)
        return None

    # --- add / edit ---------------------------------------------------------------------------

    @journal.command(name="add", description="Add a journal entry (with no options, a form opens)")
    @app_commands.describe(
        date="YYYY-MM-DD, 'today' or 'yesterday' (default: today)",
        feeling="How you feel overall: 0 = very bad, 10 = very good",
        symptoms="Symptom ratings 0-10, e.g. 'fatigue 6, pain 3' (0 = no trouble)",
        therapy="aHSCT, MSC, or your own words",
        phase="Where you are in your therapy",
        notes="Anything you want to remember (up to 4,000 characters)",
        side_effects="Side effects you noticed",
        kind="Note, check-in, milestone or relapse",
    )
    @app_commands.choices(phase=choices_of(Phase, label="label"), kind=choices_of(EntryKind, label="label"))
    async def add(
        self,
        interaction: discord.Interaction,
        date: str | None = None,
        feeling: app_commands.Range[int, 0, 10] | None = None,
        symptoms: app_commands.Range[str, 1, rules.MAX_SYMPTOMS_CHARS] | None = None,
        therapy: str | None = None,
        phase: str | None = None,
        notes: str | None = None,
        side_effects: str | None = None,
        kind: str | None = None,
    ) -> None:
        options = EntryOptions(
            entry_date=date,
            feeling=feeling,
            symptoms=symptoms,
            therapy=therapy,
            phase=phase,
            notes=notes,
            side_effects=side_effects,
            kind=kind,
        )
        user_id = interaction.user.id
        if options.opens_form:
            await open_form(interaction, EntryModal(user_id, options.form()))
            return
        typed = options.typed_form()
        if typed is not None:  # a typed kind and nothing else: its own form
            await open_form(interaction, TypedEntryModal(user_id, typed))
            return
        saved = await self.service.add_from_options(user_id, options)
        log.info("Journal entry added (source=slash)")
        await reply(
            interaction,
            f"Saved to your journal as entry #{saved.entry.seq}." + views.timezone_hint(saved.day, date),
            **saved_entry_reply(saved.entry),
        )

    @journal.command(name="edit", description="Change one of your entries (opens the form, filled in)")
    @app_commands.describe(entry="The entry's number, e.g. 3 (see /journal list)")
    async def edit(self, interaction: discord.Interaction, entry: str) -> None:
        stored = await self.service.get(interaction.user.id, rules.parse_entry_number(entry))
        await open_form(interaction, edit_form(interaction.user.id, stored))

    # --- typed entries: each kind with its own options, or its own form when none is given ------

    async def add_typed(
        self,
        interaction: discord.Interaction,
        kind: EntryKind,
        date: str | None,
        values: dict[str, str | None],
        notes: str | None,
    ) -> None:
        """A typed entry from its command's options; with nothing but a date, its form opens."""
        user_id = interaction.user.id
        given = {name: value for name, value in values.items() if value is not None}
        if not given and notes is None:
            form = TypedEntryForm(kind, (date or "").strip() or "today")
            await open_form(interaction, TypedEntryModal(user_id, form))
            return
        form = TypedEntryForm(kind, date or "today", given, notes or "", source=EntrySource.SLASH)
        saved = await self.service.save_form(user_id, form, None)
        log.info("Journal entry added (source=slash)")
        await reply(
            interaction,
            f"Saved to your journal as entry #{saved.entry.seq}." + views.timezone_hint(saved.day, date),
            **saved_entry_reply(saved.entry),
        )

    @journal.command(name="milestone", description="A step of your treatment; reinfusion is day 0")
    @app_commands.describe(
        which="Which milestone", date="YYYY-MM-DD, 'today' or 'yesterday' (default: today)", notes=NOTES
    )
    @app_commands.choices(which=choices_of(Milestone, label="label"))
    async def milestone(
        self,
        interaction: discord.Interaction,
        which: str | None = None,
        date: str | None = None,
        notes: str | None = None,
    ) -> None:
        await self.add_typed(interaction, EntryKind.MILESTONE, date, {"milestone": which}, notes)

    @journal.command(name="relapse", description="A relapse: when it started, what changed, steroids")
    @app_commands.describe(
        date="The day it started: YYYY-MM-DD, 'today' or 'yesterday'",
        what_changed="New or worse symptoms, in your own words",
        steroids="Was it treated with steroids?",
        notes=NOTES,
    )
    @app_commands.choices(steroids=_answer_choices("Not sure"))
    async def relapse(
        self,
        interaction: discord.Interaction,
        date: str | None = None,
        what_changed: app_commands.Range[str, 1, rules.MAX_WHAT_CHANGED_CHARS] | None = None,
        steroids: str | None = None,
        notes: str | None = None,
    ) -> None:
        values = {"what_changed": what_changed, "steroids": steroids}
        await self.add_typed(interaction, EntryKind.RELAPSE, date, values, notes)

    @journal.command(name="mri", description="An MRI result, in the report's own words")
    @app_commands.describe(
        date="The day of the scan: YYYY-MM-DD, 'today' or 'yesterday'",
        new_lesions="New or enlarging lesions, as the report gives them (leave out if it does not say)",
        enhancing="Gadolinium-enhancing lesions, as the report says",
        report="The report's own words",
    )
    @app_commands.choices(enhancing=_answer_choices("Not stated"))
    async def mri(
        self,
        interaction: discord.Interaction,
        date: str | None = None,
        new_lesions: app_commands.Range[int, 0, rules.MAX_NEW_LESIONS] | None = None,
        enhancing: str | None = None,
        report: str | None = None,
    ) -> None:
        values = {"new_lesions": None if new_lesions is None else str(new_lesions), "enhancing": enhancing}
        await self.add_typed(interaction, EntryKind.MRI, date, values, report)

    @journal.command(
        name="score", description="A disability score: EDSS from your clinician, or your own level"
    )
    @app_commands.describe(
        edss="The EDSS your neurologist or another clinician told you (0 to 10)",
        scored_by="Who gave you the EDSS (default: your neurologist)",
        level="Or your own PDDS-style level: how MS affects you, in your view",
        date="YYYY-MM-DD, 'today' or 'yesterday' (default: today)",
        notes=NOTES,
    )
    @app_commands.choices(edss=_edss_choices(), scored_by=_clinician_choices(), level=_pdds_choices())
    async def score(
        self,
        interaction: discord.Interaction,
        edss: str | None = None,
        scored_by: str | None = None,
        level: str | None = None,
        date: str | None = None,
        notes: str | None = None,
    ) -> None:
        values = {EDSS_KEY: edss, "scored_by": scored_by, PDDS_KEY: level}
        await self.add_typed(interaction, EntryKind.SCORE, date, values, notes)

    @journal.command(name="bloods", description="Blood counts as your report gives them, with their unit")
    @app_commands.describe(
        neutrophils="Neutrophils, as on your report",
        platelets="Platelets, as on your report",
        lymphocytes="Lymphocytes, as on your report",
        unit="The unit your report uses (default ×10⁹/L)",
        date="The day of the test: YYYY-MM-DD, 'today' or 'yesterday'",
        notes=NOTES,
    )
    @app_commands.choices(unit=[app_commands.Choice(name=u.hint, value=u.value) for u in CountUnit])
    async def bloods(
        self,
        interaction: discord.Interaction,
        neutrophils: app_commands.Range[float, 0] | None = None,
        platelets: app_commands.Range[float, 0] | None = None,
        lymphocytes: app_commands.Range[float, 0] | None = None,
        unit: str | None = None,
        date: str | None = None,
        notes: str | None = None,
    ) -> None:
        values = {
            "neutrophils": _number(neutrophils),
            "platelets": _number(platelets),
            "lymphocytes": _number(lymphocytes),
            "count_unit": unit,
        }
        await self.add_typed(interaction, EntryKind.BLOOD_COUNT, date, values, notes)

    @journal.command(name="medicine", description="A medicine started or stopped (an MS medicine or another)")
    @app_commands.describe(
        name="The medicine's name",
        action="Started or stopped",
        kind="An MS medicine (DMT) or another (default: MS medicine)",
        date="YYYY-MM-DD, 'today' or 'yesterday' (default: today)",
        notes=NOTES,
    )
    @app_commands.choices(
        action=choices_of(MedicineAction, label="label"), kind=choices_of(MedicineKind, label="label")
    )
    async def medicine(
        self,
        interaction: discord.Interaction,
        name: app_commands.Range[str, 1, rules.MAX_NAME_CHARS] | None = None,
        action: str | None = None,
        kind: str | None = None,
        date: str | None = None,
        notes: str | None = None,
    ) -> None:
        given = name is not None or action is not None
        values = {
            "medicine": name,
            "medicine_action": action,
            "medicine_kind": kind or ("dmt" if given else None),
        }
        await self.add_typed(interaction, EntryKind.MEDICINE, date, values, notes)

    @journal.command(name="vaccination", description="A vaccination: which, which dose, when")
    @app_commands.describe(
        vaccine="The vaccine, as your centre names it",
        dose="Which dose: 1 for the first",
        date="YYYY-MM-DD, 'today' or 'yesterday' (default: today)",
        notes=NOTES,
    )
    async def vaccination(
        self,
        interaction: discord.Interaction,
        vaccine: app_commands.Range[str, 1, rules.MAX_NAME_CHARS] | None = None,
        dose: app_commands.Range[int, 1, rules.MAX_DOSE] | None = None,
        date: str | None = None,
        notes: str | None = None,
    ) -> None:
        values = {"vaccine": vaccine, "dose": None if dose is None else str(dose)}
        await self.add_typed(interaction, EntryKind.VACCINATION, date, values, notes)

    @journal.command(name="appointment", description="An appointment: with whom, when, and a note")
    @app_commands.describe(
        with_whom="For example: neurologist, MS nurse, transplant clinic",
        date="YYYY-MM-DD, 'today' or 'yesterday' (default: today)",
        notes=NOTES,
    )
    async def appointment(
        self,
        interaction: discord.Interaction,
        with_whom: app_commands.Range[str, 1, rules.MAX_NAME_CHARS] | None = None,
        date: str | None = None,
        notes: str | None = None,
    ) -> None:
        await self.add_typed(interaction, EntryKind.APPOINTMENT, date, {"with_whom": with_whom}, notes)

    # --- read ---------------------------------------------------------------------------------

    @journal.command(name="list", description="Your entries, newest first")
    @app_commands.describe(page="Which page to show (10 entries a page)")
    async def list_entries(
        self, interaction: discord.Interaction, page: app_commands.Range[int, 1, 100000] = 1
    ) -> None:
        journal_page = await self.service.list_page(interaction.user.id, page)
        message = list_message(journal_page, interaction.user.id)
        await reply(interaction, **_without_none(message))

    @journal.command(name="view", description="Read one of your entries in full")
    @app_commands.describe(entry="The entry's number, e.g. 3 (see /journal list)")
    async def view(self, interaction: discord.Interaction, entry: str) -> None:
        stored = await self.service.get(interaction.user.id, rules.parse_entry_number(entry))
        await reply(interaction, embed=entry_embed(stored))

    # --- delete / forget ----------------------------------------------------------------------

    @journal.command(name="delete", description="Delete one of your entries (asks first)")
    @app_commands.describe(entry="The entry's number, e.g. 3 (see /journal list)")
    async def delete(self, interaction: discord.Interaction, entry: str) -> None:
        user_id = interaction.user.id
        stored = await self.service.get(user_id, rules.parse_entry_number(entry))
        asked = views.confirmation_stamp(interaction)
        view = dynamic_buttons(
            DeleteEntryButton.for_entry("confirm", user_id, stored, asked),
            DeleteEntryButton.for_entry("cancel", user_id, stored, asked),
        )
        await reply(
            interaction,
            f"Do you want to delete entry #{stored.seq}? It can't be brought back afterwards.",
            embed=entry_embed(stored),
            view=view,
        )

    @journal.command(name="forget", description="Delete everything the journal holds about you (asks first)")
    async def forget(self, interaction: discord.Interaction) -> None:
        user_id = interaction.user.id
        count = await self.service.count(user_id)
        asked = views.confirmation_stamp(interaction)
        view = dynamic_buttons(
            ForgetButton("confirm", user_id, asked), ForgetButton("cancel", user_id, asked)
        )
        await reply(interaction, FORGET_QUESTION.format(entries=_entries(count)), view=view)

    # --- export / summary ---------------------------------------------------------------------

    @journal.command(name="export", description="Download your whole journal as JSON and CSV files")
    async def export(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=views.is_private(interaction), thinking=True)
        limit = interaction.filesize_limit  # what Discord lets this interaction upload, per file
        try:
            parts, count = await self.service.export(interaction.user.id, limit)
        except ExportTooLarge:
            await reply(interaction, EXPORT_TOO_LARGE.format(limit=_size(limit)))
            return
        if not parts:
            await reply(interaction, EMPTY_JOURNAL)
            return
        log.info("Journal exported (entries=%d parts=%d)", count, len(parts))
        intro = (
            f"Here is your whole journal ({_entries(count)}) in a zip file: the same entries as "
            "JSON and as CSV, which opens in any spreadsheet program. The files hold your notes as "
            "plain text, so keep them somewhere safe."
        )
        if len(parts) > 1:
            intro = (
                f"Here is your whole journal ({_entries(count)}). It is bigger than Discord lets "
                f"me send in one file here ({_size(limit)}), so it comes in {len(parts)} zip files, one "
                "per message, each with the same entries as JSON and as CSV (which opens in any "
                "spreadsheet program). The files hold your notes as plain text, so keep them "
                "somewhere safe."
            )
        for number, part in enumerate(parts, start=1):
            text = intro if number == 1 else _part_line(part, number, len(parts))
            await reply(interaction, text, file=discord.File(io.BytesIO(part.data), filename=part.filename))

    @journal.command(name="summary", description="Counts, monthly averages and a chart of your ratings")
    async def summary(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=views.is_private(interaction), thinking=True)
        made = await self.service.summary_with_chart(interaction.user.id)
        if made is None:
            await reply(interaction, EMPTY_JOURNAL)
            return
        result, chart = made
        await reply(
            interaction,
            embed=summary_embed(result),
            file=discord.File(io.BytesIO(chart), filename=CHART_FILENAME),
        )

    # --- the companion's views: timeline, compare, report ------------------------------------

    @journal.command(
        name="timeline", description="A picture of your months around day 0: ratings, events and phases"
    )
    async def timeline(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=views.is_private(interaction), thinking=True)
        image = await self.service.timeline(interaction.user.id)
        if image is None:
            await reply(interaction, EMPTY_JOURNAL)
            return
        await reply(
            interaction,
            TIMELINE_TEXT,
            file=discord.File(io.BytesIO(image), filename=TIMELINE_FILENAME),
        )

    @journal.command(
        name="compare", description="Your ratings before treatment and 3, 6, 12, 24 months after"
    )
    async def compare(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=views.is_private(interaction), thinking=True)
        if not await self.service.count(interaction.user.id):
            await reply(interaction, EMPTY_JOURNAL)
            return
        comparison = await self.service.compare(interaction.user.id)
        if comparison is None:
            await reply(interaction, NO_DAY_ZERO)
            return
        today = await self.service.member_today(interaction.user.id)
        await reply(interaction, embed=views.comparison_embed(comparison, today))

    @journal.command(name="report", description="A PDF of your journal for your neurologist (1 to 3 pages)")
    @app_commands.describe(
        date_from="First day: YYYY-MM-DD (default: 12 months before the last day)",
        date_to="Last day: YYYY-MM-DD, 'today' or 'yesterday' (default: today)",
        include_notes="Put your notes in too (default: no)",
    )
    @app_commands.rename(date_from="from", date_to="to")
    async def report(
        self,
        interaction: discord.Interaction,
        date_from: str | None = None,
        date_to: str | None = None,
        include_notes: bool = False,
    ) -> None:
        await interaction.response.defer(ephemeral=views.is_private(interaction), thinking=True)
        made = await self.service.report(interaction.user.id, date_from, date_to, include_notes=include_notes)
        if made is None:
            await reply(interaction, EMPTY_JOURNAL)
            return
        pdf, first, last = made
        if len(pdf) > interaction.filesize_limit:
            await reply(interaction, REPORT_TOO_LARGE.format(limit=_size(interaction.filesize_limit)))
            return
        log.info("Journal report made (notes=%s)", include_notes)
        await reply(
            interaction,
            REPORT_TEXT.format(first=first.isoformat(), last=last.isoformat())
            + ("" if include_notes else REPORT_WITHOUT_NOTES),
            file=discord.File(io.BytesIO(pdf), filename=f"journal-report-{last.isoformat()}.pdf"),
        )

    @journal.command(name="import", description="Bring your own journal export back in (checked whole first)")
    @app_commands.describe(file="The zip file (or the .json inside it) that /journal export sent you")
    async def import_(self, interaction: discord.Interaction, file: discord.Attachment) -> None:
        await interaction.response.defer(ephemeral=views.is_private(interaction), thinking=True)
        if file.size > MAX_IMPORT_BYTES:
            await reply(
                interaction, IMPORT_TOO_LARGE.format(size=_size(file.size), limit=_size(MAX_IMPORT_BYTES))
            )
            return
        try:
            data = await file.read()
        except discord.HTTPException as error:
            log.warning("Could not fetch an import attachment (status=%s)", error.status)
            await reply(interaction, IMPORT_UNREADABLE)
            return
        plan = await self.service.import_file(interaction.user.id, data)
        await reply(interaction, plan.describe())

    # --- reminders ----------------------------------------------------------------------------

    @journal.command(name="remind", description="A gentle DM reminder to write: daily, weekly or off")
    @app_commands.describe(
        cadence="How often to remind you, or off",
        time="Your local time, e.g. 20:30 or 9pm",
        timezone="Where you live, e.g. Europe/London (start typing to search)",
        weekday="For weekly reminders: which day (default: today's weekday)",
    )
    @app_commands.choices(
        cadence=_cadence_choices(),
        weekday=_weekday_choices(),
    )
    async def remind(
        self,
        interaction: discord.Interaction,
        cadence: str,
        time: str | None = None,
        timezone: str | None = None,
        weekday: str | None = None,
    ) -> None:
        user_id = interaction.user.id
        chosen = rules.parse_cadence(cadence)
        if chosen is None:
            if await self.service.clear_reminder(user_id):
                log.info("Journal reminder turned off")
                await reply(
                    interaction, "Your journal reminders are off. You can turn them on again anytime."
                )
            else:
                await reply(interaction, "You had no journal reminder set, so nothing needed changing.")
            return
        change = await self.service.remind(
            user_id, chosen, time_text=time, zone_text=timezone, weekday_text=weekday
        )
        log.info("Journal reminder set")
        await reply(
            interaction,
            views.reminder_text(change.reminder) + (UTC_ASSUMED if change.zone_assumed else "") + DMS_NEEDED,
        )

    @journal.command(name="timezone", description="Tell the journal where you live, so 'today' is your today")
    @app_commands.describe(zone="Where you live, e.g. Europe/London (start typing to search)")
    async def timezone(self, interaction: discord.Interaction, zone: str) -> None:
        user_id = interaction.user.id
        chosen = rules.parse_timezone(zone)
        reminder = await self.service.change_timezone(user_id, chosen)
        moved = "" if reminder is None else "\n" + views.reminder_text(reminder)
        today = rules.member_today(self.clock.now(), chosen)
        log.info("Journal time zone set")
        await reply(
            interaction,
            f"Thank you. Your journal now uses {chosen.key}: today there is {today.isoformat()}, "
            f"and 'today' and 'yesterday' follow your own calendar.{moved}",
        )

    @remind.autocomplete("timezone")
    @timezone.autocomplete("zone")
    async def timezone_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return [
            app_commands.Choice(name=name, value=name)
            for name in rules.suggest_timezones(current, limit=limits.AUTOCOMPLETE_CHOICES)
        ]

    @view.autocomplete("entry")
    @edit.autocomplete("entry")
    @delete.autocomplete("entry")
    async def entry_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        """The member's most recent entries (their own only), filtered by the number typed."""
        page = await self.service.list_page(interaction.user.id, 1, rules.MAX_PER_PAGE)
        choices = []
        for entry in rules.entries_numbered_like(page.entries, current):
            label = f"#{entry.seq} · {entry.entry_date.isoformat()} · {entry.kind.label}"
            text = snippet(entry.notes, CHOICE_SNIPPET_CHARS)
            name = f"{label} · {text}" if text else label
            choices.append(app_commands.Choice(name=name[: limits.CHOICE_NAME_CHARS], value=str(entry.seq)))
        return choices[: limits.AUTOCOMPLETE_CHOICES]

    @tasks.loop(seconds=30)
    async def reminder_loop(self) -> None:
        """Send what is due; a reminder is claimed (moved on) before it is sent, so it goes at most once."""
        try:
            await self.send_due_reminders()
        except Exception:
            log.exception("The journal reminder round failed; trying again next round")

    async def send_due_reminders(self) -> None:
        async with aclosing(self.service.claim_due_reminders()) as due_now:
            async for due in due_now:
                await self._send_reminder(due)

    async def _send_reminder(self, due: ReminderSettings) -> None:
        try:
            user = self.client.get_user(due.user_id) or await self.client.fetch_user(due.user_id)
            await user.send(REMINDER_MESSAGE, view=dynamic_buttons(AddEntryButton(due.user_id)))
        except discord.HTTPException as error:
            log.warning(
                "Could not send a journal reminder (member=%s status=%s code=%s)",
                self.service.log_tag(due.user_id),
                error.status,
                error.code,
            )
            return
        log.info("Journal reminder sent")

    # --- DM quick notes -----------------------------------------------------------------------

    async def on_direct_message(self, message: discord.Message) -> None:
        """A plain DM becomes a note for today, answered with its number and an Undo button."""
        if message.type not in _NOTE_MESSAGE_TYPES:
            return  # a system message ("pinned a message", a call...) is nothing the member wrote
        user_id = message.author.id
        try:
            saved = await self.service.add_quick_note(user_id, message.content)
        except rules.SlowDown as error:
            if not error.quiet:  # a flood of notes gets one answer, not one each
                await _reply_quietly(message, error.message)
            return
        except UserFacingError as error:
            await _reply_quietly(message, error.message)
            return
        except Exception:
            log.exception("Could not save a DM quick note (member=%s)", self.service.log_tag(user_id))
            await _reply_quietly(message, QUICK_NOTE_FAILED)
            return
        entry = saved.entry
        log.info("Journal entry added (source=dm)")
        asked = rules.confirmation_stamp(self.clock.now())
        await _reply_quietly(
            message,
            f"Saved to your journal as entry #{entry.seq} ({entry.entry_date.isoformat()}).\n"
            f"-# Add ratings with `/journal edit entry:{entry.seq}`, "
            "or press Undo within 15 minutes if you didn't mean to save it."
            + views.timezone_hint(saved.day, None),
            view=dynamic_buttons(UndoQuickNoteButton(user_id, entry.seq, entry.key, asked)),
        )


#: Messages a member writes; every other type is a system notice in the DM.
_NOTE_MESSAGE_TYPES = frozenset({discord.MessageType.default, discord.MessageType.reply})


async def _reply_quietly(message: discord.Message, content: str, **kwargs: Any) -> None:
    try:
        await message.reply(content, mention_author=False, **kwargs)
    except discord.HTTPException as error:
        log.warning("Could not answer a DM (status=%s code=%s)", error.status, error.code)


def _part_line(part: ExportPart, number: int, parts: int) -> str:
    return f"Part {number} of {parts}: entries #{part.first} to #{part.last} ({_entries(part.entries)})."


def _without_none(message: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in message.items() if value is not None}
