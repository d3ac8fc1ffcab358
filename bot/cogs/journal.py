"""`/journal`: a private therapy diary per member, in DMs and (ephemerally) in servers.

Thin adapter: options and form text go through `bot.core.journal.rules`, storage through
`JournalRepository` (every query scoped by the caller's own user id). Also owns the DM quick
note handler and the reminder loop. Logs carry ids only, never journal text.
"""

from __future__ import annotations

import asyncio
import io
import logging
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands, tasks

from bot.cogs import journal_views as views
from bot.cogs._context import BotContext
from bot.cogs.journal_views import (
    CHART_FILENAME,
    EMPTY_JOURNAL,
    AddEntryButton,
    DeleteEntryButton,
    EntryForm,
    EntryModal,
    ForgetButton,
    UndoQuickNoteButton,
    buttons_view,
    entry_embed,
    list_message,
    reply,
    summary_embed,
)
from bot.core.journal import reminders, rules
from bot.core.journal.chart import render_ratings_chart
from bot.core.journal.export import export_csv, export_filename, export_json
from bot.core.journal.model import SYMPTOMS, EntryDraft, EntryKind, EntrySource, Phase, ReminderSettings
from bot.core.journal.summary import summarise
from bot.errors import InvalidInput, UserFacingError

log = logging.getLogger(__name__)

MAX_AUTOCOMPLETE_CHOICES = 25
CHOICE_NAME_LIMIT = 100
REMINDER_MESSAGE = (
    "Hello! This is your gentle journal reminder. How are you today?\n"
    "Reply here with a few words and I'll save them as a note, or press the button to add ratings too.\n"
    "-# To change or stop these reminders, use `/journal remind`."
)
QUICK_NOTE_FAILED = (
    "Sorry, I couldn't save that note just now because of a problem on my side. "
    "Nothing was saved; please try sending it again in a moment."
)
FORGET_QUESTION = (
    "This deletes **everything** the journal holds about you: {entries}, your reminder if you have "
    "one, and your journal settings (time zone and entry numbering). It can't be undone.\n"
    "If you'd like a copy first, use `/journal export` before answering.\n\n"
    "Do you want to delete it all?"
)


def _entries(count: int) -> str:
    return f"{count} journal {'entry' if count == 1 else 'entries'}"


def _phase_choices() -> list[app_commands.Choice[str]]:
    return [app_commands.Choice(name=phase.label, value=phase.value) for phase in Phase]


def _kind_choices() -> list[app_commands.Choice[str]]:
    return [app_commands.Choice(name=kind.label, value=kind.value) for kind in EntryKind]


_WEEKDAY_CHOICES = [
    app_commands.Choice(name=name, value=name.lower())
    for name in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
]


class JournalCog(commands.Cog, name="Journal"):
    """Adapter between Discord and the journal: commands, DM quick notes, reminders."""

    #: How often the reminder loop looks for due reminders (seconds); tests shorten it.
    reminder_interval: float = 30.0

    journal = app_commands.Group(
        name="journal",
        description="Your private therapy journal: only you can read it",
        allowed_contexts=app_commands.AppCommandContext(guild=True, dm_channel=True, private_channel=True),
        allowed_installs=app_commands.AppInstallationType(guild=True, user=False),
    )

    def __init__(self, context: BotContext) -> None:
        self.context = context
        self.client = context.client
        self.clock = context.clock
        self.repository = context.services.journal

    async def cog_load(self) -> None:
        self.client.add_dynamic_items(*views.DYNAMIC_ITEMS)
        self.context.direct_message_handlers.append(self.on_direct_message)
        self.reminder_loop.change_interval(seconds=self.reminder_interval)
        self.reminder_loop.start()

    async def cog_unload(self) -> None:
        self.reminder_loop.cancel()
        if self.on_direct_message in self.context.direct_message_handlers:
            self.context.direct_message_handlers.remove(self.on_direct_message)
        self.client.remove_dynamic_items(*views.DYNAMIC_ITEMS)

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
    @app_commands.choices(phase=_phase_choices(), kind=_kind_choices())
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
        user_id = interaction.user.id
        content = (feeling, symptoms, therapy, phase, notes, side_effects)
        if all(value is None for value in content) and kind is None:
            form = EntryForm(date=date.strip() if date and date.strip() else "today")
            await interaction.response.send_modal(EntryModal(user_id, form))
            return
        day = await self.repository.member_day(user_id)
        draft = _draft_from_options(
            day=day,
            date=date,
            feeling=feeling,
            symptoms=symptoms,
            therapy=therapy,
            phase=phase,
            notes=notes,
            side_effects=side_effects,
            kind=kind,
        )
        entry = await self.repository.add(user_id, draft)
        log.info("Journal entry added (user=%s seq=%s source=slash)", user_id, entry.seq)
        await reply(
            interaction,
            f"Saved to your journal as entry #{entry.seq}." + views.timezone_hint(day, date),
            embed=entry_embed(entry),
        )

    @journal.command(name="edit", description="Change one of your entries (opens the form, filled in)")
    @app_commands.describe(entry="The entry's number, e.g. 3 (see /journal list)")
    async def edit(self, interaction: discord.Interaction, entry: str) -> None:
        seq = rules.parse_entry_number(entry)
        stored = await self.repository.get(interaction.user.id, seq)
        await interaction.response.send_modal(
            EntryModal(interaction.user.id, EntryForm.from_entry(stored), seq=seq)
        )

    # --- read ---------------------------------------------------------------------------------

    @journal.command(name="list", description="Your entries, newest first")
    @app_commands.describe(page="Which page to show (10 entries a page)")
    async def list_entries(
        self, interaction: discord.Interaction, page: app_commands.Range[int, 1, 100000] = 1
    ) -> None:
        journal_page = await self.repository.list_page(interaction.user.id, page)
        message = list_message(journal_page, interaction.user.id)
        await reply(interaction, **_without_none(message))

    @journal.command(name="view", description="Read one of your entries in full")
    @app_commands.describe(entry="The entry's number, e.g. 3 (see /journal list)")
    async def view(self, interaction: discord.Interaction, entry: str) -> None:
        stored = await self.repository.get(interaction.user.id, rules.parse_entry_number(entry))
        await reply(interaction, embed=entry_embed(stored))

    # --- delete / forget ----------------------------------------------------------------------

    @journal.command(name="delete", description="Delete one of your entries (asks first)")
    @app_commands.describe(entry="The entry's number, e.g. 3 (see /journal list)")
    async def delete(self, interaction: discord.Interaction, entry: str) -> None:
        user_id = interaction.user.id
        stored = await self.repository.get(user_id, rules.parse_entry_number(entry))
        asked = views.confirmation_stamp(interaction)
        view = buttons_view(
            DeleteEntryButton("confirm", user_id, stored.seq, asked),
            DeleteEntryButton("cancel", user_id, stored.seq, asked),
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
        count = await self.repository.count(user_id)
        asked = views.confirmation_stamp(interaction)
        view = buttons_view(ForgetButton("confirm", user_id, asked), ForgetButton("cancel", user_id, asked))
        await reply(interaction, FORGET_QUESTION.format(entries=_entries(count)), view=view)

    # --- export / summary ---------------------------------------------------------------------

    @journal.command(name="export", description="Download your whole journal as JSON and CSV files")
    async def export(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=views.is_private(interaction), thinking=True)
        user_id = interaction.user.id
        entries = await self.repository.all_entries(user_id)
        if not entries:
            await reply(interaction, EMPTY_JOURNAL)
            return
        now = self.clock.now()
        json_bytes, csv_bytes = await asyncio.to_thread(
            lambda: (export_json(entries, now), export_csv(entries))
        )
        files = [
            discord.File(io.BytesIO(json_bytes), filename=export_filename(now, "json")),
            discord.File(io.BytesIO(csv_bytes), filename=export_filename(now, "csv")),
        ]
        log.info("Journal exported (user=%s entries=%d)", user_id, len(entries))
        await reply(
            interaction,
            f"Here is your whole journal ({_entries(len(entries))}): the same entries as JSON and as CSV, "
            "which opens in any spreadsheet program. The files hold your notes as plain text, "
            "so keep them somewhere safe.",
            files=files,
        )

    @journal.command(name="summary", description="Counts, monthly averages and a chart of your ratings")
    async def summary(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=views.is_private(interaction), thinking=True)
        points = await self.repository.rating_points(interaction.user.id)
        if not points:
            await reply(interaction, EMPTY_JOURNAL)
            return
        result = summarise(points)
        chart = await asyncio.to_thread(render_ratings_chart, points)
        await reply(
            interaction,
            embed=summary_embed(result),
            file=discord.File(io.BytesIO(chart), filename=CHART_FILENAME),
        )

    # --- reminders ----------------------------------------------------------------------------

    @journal.command(name="remind", description="A gentle DM reminder to write: daily, weekly or off")
    @app_commands.describe(
        cadence="How often to remind you, or off",
        time="Your local time, e.g. 20:30 or 9pm",
        timezone="Where you live, e.g. Europe/London (start typing to search)",
        weekday="For weekly reminders: which day (default: today's weekday)",
    )
    @app_commands.choices(
        cadence=[
            app_commands.Choice(name="Daily", value="daily"),
            app_commands.Choice(name="Weekly", value="weekly"),
            app_commands.Choice(name="Off", value="off"),
        ],
        weekday=_WEEKDAY_CHOICES,
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
            if await self.repository.clear_reminder(user_id):
                log.info("Journal reminder turned off (user=%s)", user_id)
                await reply(
                    interaction, "Your journal reminders are off. You can turn them on again anytime."
                )
            else:
                await reply(interaction, "You had no journal reminder set, so nothing needed changing.")
            return
        existing = await self.repository.get_reminder(user_id)
        problems: list[str] = []
        local_time = existing.local_time if existing else None
        if time is not None and time.strip():
            local_time = views.attempt(problems, lambda: rules.parse_local_time(time))
        elif local_time is None:
            problems.append(
                "Please tell me what time to remind you, for example `time: 20:30` or `time: 9pm`."
            )
        zone = None
        if timezone is not None and timezone.strip():
            zone = views.attempt(problems, lambda: rules.parse_timezone(timezone))
        day = None
        if weekday is not None and weekday.strip():
            day = views.attempt(problems, lambda: rules.parse_weekday(weekday))
        views.raise_problems(problems)
        assert local_time is not None
        note = ""
        if zone is None:
            zone = await self.repository.member_timezone(user_id)
        if zone is None:
            zone = rules.parse_timezone("UTC")
            note = (
                "\nI used UTC because I don't know your time zone yet. To use yours, run this again "
                "with `timezone:` (for example Europe/London)."
            )
        if day is None and existing is not None and existing.weekday is not None:
            day = existing.weekday
        settings = await self.repository.set_reminder(user_id, chosen, local_time, zone, day)
        log.info("Journal reminder set (user=%s cadence=%s)", user_id, chosen.value)
        await reply(
            interaction,
            views.reminder_text(settings)
            + note
            + "\n-# I can only reach you if you allow direct messages from members of a server we share.",
        )

    @journal.command(name="timezone", description="Tell the journal where you live, so 'today' is your today")
    @app_commands.describe(zone="Where you live, e.g. Europe/London (start typing to search)")
    async def timezone(self, interaction: discord.Interaction, zone: str) -> None:
        user_id = interaction.user.id
        chosen = rules.parse_timezone(zone)
        reminder = await self.repository.get_reminder(user_id)
        if reminder is None:
            await self.repository.set_timezone(user_id, chosen)
            moved = ""
        else:  # one time zone per member: the reminder keeps its local time in the new zone
            reminder = await self.repository.set_reminder(
                user_id, reminder.cadence, reminder.local_time, chosen, reminder.weekday
            )
            moved = "\n" + views.reminder_text(reminder)
        today = rules.member_today(self.clock.now(), chosen)
        log.info("Journal time zone set (user=%s)", user_id)
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
            for name in rules.suggest_timezones(current, limit=MAX_AUTOCOMPLETE_CHOICES)
        ]

    @view.autocomplete("entry")
    @edit.autocomplete("entry")
    @delete.autocomplete("entry")
    async def entry_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        """The member's most recent entries (their own only), filtered by the number typed."""
        typed = current.strip().lstrip("#").strip()
        page = await self.repository.list_page(interaction.user.id, 1, rules.MAX_PER_PAGE)
        choices = []
        for entry in page.entries:
            if typed and not str(entry.seq).startswith(typed):
                continue
            label = f"#{entry.seq} · {entry.entry_date.isoformat()} · {entry.kind.label}"
            text = views.snippet(entry.notes, 60)
            name = f"{label} · {text}" if text else label
            choices.append(app_commands.Choice(name=name[:CHOICE_NAME_LIMIT], value=str(entry.seq)))
        return choices[:MAX_AUTOCOMPLETE_CHOICES]

    @tasks.loop(seconds=30)
    async def reminder_loop(self) -> None:
        """Send what is due; a reminder is claimed (moved on) before it is sent, so it goes at most once."""
        try:
            await self.send_due_reminders()
        except Exception:
            log.exception("The journal reminder round failed; trying again next round")

    async def send_due_reminders(self) -> None:
        now = self.clock.now()
        for due in await self.repository.due_reminders(now):
            deliver = reminders.should_send(due, now)
            claimed = await self.repository.mark_reminded(due, now, sent=deliver)
            if claimed is None:
                continue  # changed or turned off meanwhile
            if not deliver:
                log.info("Skipped a journal reminder missed long ago (user=%s)", due.user_id)
                continue
            await self._send_reminder(due)

    async def _send_reminder(self, due: ReminderSettings) -> None:
        try:
            user = self.client.get_user(due.user_id) or await self.client.fetch_user(due.user_id)
            await user.send(REMINDER_MESSAGE, view=buttons_view(AddEntryButton(due.user_id)))
        except discord.HTTPException as error:
            log.warning(
                "Could not send a journal reminder (user=%s status=%s code=%s)",
                due.user_id,
                error.status,
                error.code,
            )
            return
        log.info("Journal reminder sent (user=%s)", due.user_id)

    # --- DM quick notes -----------------------------------------------------------------------

    async def on_direct_message(self, message: discord.Message) -> None:
        """A plain DM becomes a note for today, answered with its number and an Undo button."""
        if message.type not in _NOTE_MESSAGE_TYPES:
            return  # a system message ("pinned a message", a call...) is nothing the member wrote
        user_id = message.author.id
        try:
            day = await self.repository.member_day(user_id)
            draft = rules.quick_note(message.content, day.today)
            entry = await self.repository.add(user_id, draft)
        except UserFacingError as error:
            await _reply_quietly(message, error.message)
            return
        except Exception:
            log.exception("Could not save a DM quick note (user=%s message=%s)", user_id, message.id)
            await _reply_quietly(message, QUICK_NOTE_FAILED)
            return
        log.info("Journal entry added (user=%s seq=%s source=dm)", user_id, entry.seq)
        await _reply_quietly(
            message,
            f"Saved to your journal as entry #{entry.seq} ({entry.entry_date.isoformat()}).\n"
            f"-# Add ratings with `/journal edit entry:{entry.seq}`, "
            "or press Undo if you didn't mean to save it." + views.timezone_hint(day, None),
            view=buttons_view(UndoQuickNoteButton(user_id, entry.seq)),
        )


#: Messages a member writes; every other type is a system notice in the DM.
_NOTE_MESSAGE_TYPES = frozenset({discord.MessageType.default, discord.MessageType.reply})


async def _reply_quietly(message: discord.Message, content: str, **kwargs: Any) -> None:
    try:
        await message.reply(content, mention_author=False, **kwargs)
    except discord.HTTPException as error:
        log.warning(
            "Could not answer a DM (user=%s message=%s status=%s)",
            message.author.id,
            message.id,
            error.status,
        )


def _without_none(message: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in message.items() if value is not None}


def _draft_from_options(
    *,
    day: rules.MemberDay,
    date: str | None,
    feeling: int | None,
    symptoms: str | None,
    therapy: str | None,
    phase: str | None,
    notes: str | None,
    side_effects: str | None,
    kind: str | None,
) -> EntryDraft:
    """A checked draft from `/journal add` options; every problem is reported in one message."""
    problems: list[str] = []
    entry_date = views.attempt(problems, lambda: rules.parse_entry_date(date or "today", day))
    rated = views.attempt(problems, lambda: rules.parse_symptom_ratings(symptoms)) or {}
    therapy_parts = views.attempt(problems, lambda: rules.parse_therapy(therapy)) or (None, None)
    chosen_phase = views.attempt(problems, lambda: rules.parse_phase(phase))
    chosen_kind = views.attempt(problems, lambda: rules.parse_kind(kind)) if kind else None
    views.raise_problems(problems)
    assert entry_date is not None
    if chosen_kind is None:
        chosen_kind = EntryKind.CHECKIN if feeling is not None or rated else EntryKind.NOTE
    draft = EntryDraft(
        entry_date=entry_date,
        kind=chosen_kind,
        source=EntrySource.SLASH,
        therapy=therapy_parts[0],
        therapy_other=therapy_parts[1],
        phase=chosen_phase,
        feeling=feeling,
        side_effects=side_effects,
        notes=notes,
        **{name: rated.get(name) for name in SYMPTOMS},
    )
    draft = rules.check_draft(draft, day)
    if not views.has_content(draft):
        raise InvalidInput(views.NOTHING_TO_SAVE)
    return draft
