"""What the journal shows and the components members press: embeds, the entry form, and buttons.

Every button is a dynamic item whose custom id carries the owner's user id (and the page, or the
entry's number and key), so it keeps working after a restart; the bases in `bot.cogs._ui` refuse
anyone else privately and answer every error kindly. A button or form made for an entry carries
the entry's key, so after a delete or `forget` it can never touch a later entry that has the same
number. Forms and the text kept for "Try again" live in memory in `LiveForms`, which `forget`
empties. The rules behind them live in `bot.core.journal` and the actions in `JournalService`.
Nothing here logs journal text or a Discord id.
"""

from __future__ import annotations

import io
import logging
import re
import secrets
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

import discord

from bot.cogs._context import context_of
from bot.cogs._replies import send_ephemeral
from bot.cogs._ui import VIEW_TIMEOUT_SECONDS, ItemT, OwnedItem, SafeModal, dynamic_buttons
from bot.core import limits
from bot.core.clock import Clock
from bot.core.journal import display, reminders, rules
from bot.core.journal.compare import NOT_PROOF, Comparison, comparison_lines
from bot.core.journal.drafts import (
    DetailsForm,
    DraftForm,
    EntryForm,
    TypedEntryForm,
    symptoms_text,
    therapy_text,
)
from bot.core.journal.kind_rules import EDSS_KEY, PDDS_KEY
from bot.core.journal.kinds import (
    BLOOD_COUNTS,
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
    DETAILS_OF_KIND,
    RATING_HINTS,
    EntryKind,
    EntryRef,
    JournalEntry,
    JournalPage,
    Phase,
    ReminderSettings,
    Therapy,
)
from bot.core.journal.sealed import ENTRY_KEY_PATTERN
from bot.core.journal.summary import JournalSummary
from bot.core.text import escape_markdown, snippet
from bot.errors import InvalidInput, NotFound, UserFacingError
from bot.services.journal import JournalService

log = logging.getLogger(__name__)

JOURNAL_COLOUR = 0x4F8A8B
SNIPPET_CHARS = 70
SUMMARY_MONTHS_SHOWN = 12
CHART_FILENAME = "journal-summary.png"
NOTES_CONTINUED = "Notes (continued)"
KEPT_TEXT_FILENAME = "your-journal-entry.txt"
KEPT_TEXT_NOTE = "What you wrote is attached as a file too, so nothing is lost."

NOT_YOURS = (
    "These buttons belong to someone else's journal, so I can't use them for you. "
    "Nothing was changed. Your own journal is always at `/journal list`."
)
TIMEZONE_HINT = (
    "-# I don't know your time zone yet, so today is {today} as counted in UTC. "
    "To use your own, run `/journal timezone`."
)
FORGET_EXPIRED = (
    "This confirmation has expired, so nothing was deleted. "
    "If you still want to delete your journal, please run `/journal forget` again."
)
DELETE_EXPIRED = (
    "This confirmation has expired, so nothing was deleted. "
    "If you still want to delete entry #{seq}, please run `/journal delete` again."
)
UNDO_EXPIRED = (
    "This Undo button has expired (it works for 15 minutes), so nothing was removed. "
    "If you'd still like that note gone, use `/journal delete entry:{seq}`."
)
RETRY_EXPIRED = (
    "This Try again button has expired (it lasts 30 minutes, and not across a restart or after "
    "`/journal forget`), so there is no form to reopen. What you wrote is in the file attached to "
    "the message above, if there was any text."
)
ENTRY_GONE_FORM = "Entry #{seq} no longer exists, so your changes could not be saved. Nothing was changed."
EMPTY_JOURNAL = (
    "Your journal is empty so far. Add an entry with `/journal add`, "
    "or simply send me a direct message and I'll save it as a note."
)


def is_private(interaction: discord.Interaction) -> bool:
    """Replies are ephemeral everywhere except the member's own DM with the bot."""
    return not interaction.context.dm_channel


async def reply(interaction: discord.Interaction, content: str | None = None, **kwargs: Any) -> None:
    """Answer as the first response or a follow-up, privately unless in the member's DM."""
    ephemeral = is_private(interaction)
    if interaction.response.is_done():
        text = content if content is not None else discord.utils.MISSING
        await interaction.followup.send(text, ephemeral=ephemeral, **kwargs)
    else:
        await interaction.response.send_message(content, ephemeral=ephemeral, **kwargs)


async def send_private(interaction: discord.Interaction, content: str, **kwargs: Any) -> None:
    """Answer only the member who pressed or submitted, with files or a view."""
    if interaction.response.is_done():
        await interaction.followup.send(content, ephemeral=True, **kwargs)
    else:
        await interaction.response.send_message(content, ephemeral=True, **kwargs)


def journal_service(interaction: discord.Interaction) -> JournalService:
    """The journal (components are built without a cog reference)."""
    return context_of(interaction).services.journal


def confirmation_stamp(interaction: discord.Interaction) -> int:
    """Now, from the bot's clock, as a confirmation's custom id carries it."""
    return rules.confirmation_stamp(context_of(interaction).clock.now())


def confirmation_expired(interaction: discord.Interaction, asked_at: int | None) -> bool:
    """Whether a delete or forget confirmation is too old to act on (`rules.CONFIRMATION_SECONDS`)."""
    return rules.confirmation_expired(asked_at, context_of(interaction).clock.now())


def live_forms(interaction: discord.Interaction) -> LiveForms:
    """The journal cog's registry of forms (components are built without a cog reference)."""
    cog = context_of(interaction).client.get_cog(JOURNAL_COG_NAME)
    forms = getattr(cog, "live_forms", None)
    if not isinstance(forms, LiveForms):
        raise RuntimeError("the journal cog is not loaded")
    return forms


async def open_form(interaction: discord.Interaction, form: JournalModal) -> None:
    """Show the entry form and keep it in the registry, so `forget` can close it."""
    await interaction.response.send_modal(form)
    live_forms(interaction).opened(form)


# --- what lives in memory ---------------------------------------------------------------------

#: The journal cog's name, by which components find its `LiveForms`.
JOURNAL_COG_NAME = "Journal"
#: At most this many refused forms are kept per member for "Try again" (the oldest goes first).
MAX_KEPT_FORMS = 5


@dataclass(frozen=True, slots=True)
class KeptForm:
    """A refused form's text, kept for "Try again" until it expires."""

    form: DraftForm
    ref: EntryRef | None
    expires_at: datetime


class LiveForms:
    """The journal's open forms and the text kept for "Try again", per member, in memory only.

    `forget` closes a member's open forms and drops their kept text, so nothing they typed outlives
    `/journal forget`; kept text also expires after `VIEW_TIMEOUT_SECONDS` (and goes at the next
    use of the registry), and a restart drops it all (the refusal's attached file keeps the words).
    Forms are held weakly: once discord.py lets go of a finished form, so does this.
    """

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._forms: dict[int, weakref.WeakSet[JournalModal]] = {}
        self._kept: dict[int, dict[str, KeptForm]] = {}

    def opened(self, form: JournalModal) -> None:
        owner = form.owner_id
        if owner is not None:
            self._forms.setdefault(owner, weakref.WeakSet()).add(form)

    def keep(self, owner_id: int, form: DraftForm, ref: EntryRef | None) -> str:
        """Keep a refused form's text; returns the token its "Try again" button carries."""
        now = self._prune()
        kept = self._kept.setdefault(owner_id, {})
        while len(kept) >= MAX_KEPT_FORMS:
            kept.pop(next(iter(kept)))
        token = secrets.token_urlsafe(12)
        kept[token] = KeptForm(form, ref, now + timedelta(seconds=VIEW_TIMEOUT_SECONDS))
        return token

    def kept(self, owner_id: int, token: str) -> KeptForm | None:
        self._prune()
        return self._kept.get(owner_id, {}).get(token)

    def forget(self, owner_id: int) -> None:
        """Close the member's open forms and drop every text kept for them."""
        for form in list(self._forms.pop(owner_id, ())):
            form.stop()
        self._kept.pop(owner_id, None)

    def held_for(self, owner_id: int) -> int:
        """How many open forms and kept texts the registry holds for the member."""
        forms = [form for form in self._forms.get(owner_id, ()) if not form.is_finished()]
        return len(forms) + len(self._kept.get(owner_id, {}))

    def _prune(self) -> datetime:
        """Drop every kept text past its time, whoever it was kept for; returns now."""
        now = self._clock.now()
        for owner_id in list(self._kept):
            alive = {token: k for token, k in self._kept[owner_id].items() if k.expires_at > now}
            if alive:
                self._kept[owner_id] = alive
            else:
                del self._kept[owner_id]
        for owner_id in [owner for owner, forms in self._forms.items() if not forms]:
            del self._forms[owner_id]
        return now


# --- rendering --------------------------------------------------------------------------------


def entry_title(entry: JournalEntry) -> str:
    day = f" · {entry.day_label}" if entry.day_label else ""
    return f"Entry #{entry.seq} · {entry.entry_date.isoformat()}{day}"


def entry_embed(entry: JournalEntry) -> discord.Embed:
    """One entry in full, always within Discord's embed limits (or it could never be shown again).

    Escaping can double a note's length, so a long note continues in "Notes (continued)" fields;
    only what still does not fit is shortened, with a pointer to `/journal export`.
    """
    details: list[tuple[str, str, bool]] = [("Type", entry.kind.label, True)]
    for name, value in display.detail_fields(entry.details):
        details.append((name, escape_markdown(value)[: limits.EMBED_FIELD_VALUE_CHARS], True))
    if entry.feeling is not None:
        details.append(("How I feel", f"{entry.feeling}/10", True))
    symptoms = symptoms_text(entry, " · ")
    if symptoms:
        details.append(("Symptoms (0 = none, 10 = severe)", symptoms, False))
    therapy = therapy_text(entry)
    if therapy:
        details.append(("Therapy", escape_markdown(therapy)[: limits.EMBED_FIELD_VALUE_CHARS], True))
    if entry.phase is not None:
        details.append(("Phase", entry.phase.label, True))
    if entry.side_effects:
        [side_effects] = display.fit_text(
            entry.side_effects,
            limits.EMBED_FIELD_VALUE_CHARS,
            budget=limits.EMBED_FIELD_VALUE_CHARS,
            more_parts=0,
            more_cost=0,
        )
        details.append(("Side effects", side_effects, False))
    title = entry_title(entry)
    edited = " · edited" if entry.updated_at != entry.created_at else ""
    footer = f"Private to you{edited}"
    used = len(title) + len(footer) + sum(len(name) + len(value) for name, value, _ in details)
    notes = (
        display.fit_text(
            entry.notes,
            limits.EMBED_DESCRIPTION_CHARS,
            budget=limits.EMBED_TOTAL_CHARS - used,
            more_parts=limits.EMBED_FIELDS - len(details),
            more_cost=len(NOTES_CONTINUED),
        )
        if entry.notes
        else []
    )
    embed = discord.Embed(
        title=title, description=notes[0] if notes else None, colour=discord.Colour(JOURNAL_COLOUR)
    )
    for part in notes[1:]:
        embed.add_field(name=NOTES_CONTINUED, value=part, inline=False)
    for name, value, inline in details:
        embed.add_field(name=name, value=value, inline=inline)
    embed.set_footer(text=footer)
    return embed


def entry_line(entry: JournalEntry) -> str:
    parts = [f"**#{entry.seq}**", entry.entry_date.isoformat(), entry.kind.label]
    summary = display.details_summary(entry.details)
    if summary:
        parts.append(escape_markdown(snippet(summary, SNIPPET_CHARS) or ""))
    if entry.feeling is not None:
        parts.append(f"feeling {entry.feeling}/10")
    if entry.phase is not None:
        parts.append(entry.phase.label)
    line = " · ".join(parts)
    text = snippet(entry.notes, SNIPPET_CHARS) or snippet(entry.side_effects, SNIPPET_CHARS)
    return f"{line}\n-# {text}" if text else line


def list_message(page: JournalPage, owner_id: int) -> dict[str, Any]:
    """One page of entries, newest first, with Previous/Next when there is more than one page."""
    if page.total == 0:
        return {"content": EMPTY_JOURNAL, "embed": None, "view": None}
    embed = discord.Embed(
        title="My journal",
        description="\n".join(entry_line(e) for e in page.entries),
        colour=discord.Colour(JOURNAL_COLOUR),
    )
    plural = "entry" if page.total == 1 else "entries"
    embed.set_footer(
        text=f"Page {page.page} of {page.pages} · {page.total} {plural}, newest first · "
        "/journal view entry:<number> shows one in full"
    )
    view: discord.ui.View | None = None
    if page.pages > 1:
        view = dynamic_buttons(
            ListPageButton(owner_id, max(page.page - 1, 1), "prev", disabled=not page.has_previous),
            ListPageButton(owner_id, min(page.page + 1, page.pages), "next", disabled=not page.has_next),
        )
    return {"content": None, "embed": embed, "view": view}


def summary_embed(summary: JournalSummary) -> discord.Embed:
    """Counts, date range and monthly averages; the chart is attached as the embed's image."""
    assert summary.first_date is not None and summary.last_date is not None
    plural = "entry" if summary.total == 1 else "entries"
    kinds = ", ".join(f"{count} × {kind.label}" for kind, count in summary.by_kind.items())
    lines = [
        f"**{summary.total} {plural}** from {summary.first_date.isoformat()} "
        f"to {summary.last_date.isoformat()}",
        kinds,
        f"{summary.rated_entries} with ratings",
    ]
    if summary.infusion_dates:
        lines.append("Infusion (day 0): " + ", ".join(d.isoformat() for d in summary.infusion_dates))
    embed = discord.Embed(
        title="My journal at a glance", description="\n".join(lines), colour=discord.Colour(JOURNAL_COLOUR)
    )
    months = summary.months[-SUMMARY_MONTHS_SHOWN:]
    for month in months:
        rated = [
            f"{RATING_HINTS[name].split(':')[0]} {value:.1f}"
            for name, value in month.averages.items()
            if value is not None
        ]
        plural = "entry" if month.entries == 1 else "entries"
        embed.add_field(
            name=f"{month.month} ({month.entries} {plural})",
            value=" · ".join(rated) if rated else "No ratings this month",
            inline=False,
        )
    hidden = len(summary.months) - len(months)
    note = f"Showing the last {len(months)} months of {len(summary.months)}. " if hidden else ""
    embed.set_footer(text=note + "Monthly averages, 0-10. For symptoms, 0 means no trouble.")
    embed.set_image(url=f"attachment://{CHART_FILENAME}")
    return embed


def comparison_embed(comparison: Comparison, today: date) -> discord.Embed:
    """Each rating before treatment and at months +3, +6, +12 and +24, with the entries behind each
    figure, and the words that this is the member's own record, not proof of a cause."""
    intro, fields = comparison_lines(comparison, today)
    embed = discord.Embed(
        title="Before and after, in your own journal",
        description=f"{intro}\n\n{NOT_PROOF}",
        colour=discord.Colour(JOURNAL_COLOUR),
    )
    for name, value in fields[: limits.EMBED_FIELDS]:
        embed.add_field(name=name, value=value[: limits.EMBED_FIELD_VALUE_CHARS], inline=False)
    if not fields:
        embed.add_field(name="No ratings yet", value="Add 'how I feel' or symptom ratings to compare them.")
    embed.set_footer(text="Averages of your ratings, 0-10. For symptoms, 0 means no trouble.")
    return embed


def timezone_hint(day: rules.MemberDay, date_text: str | None) -> str:
    """A gentle line when 'today' was read in UTC because the member's time zone is not known yet."""
    if not rules.today_read_in_utc(day, date_text):
        return ""
    return "\n" + TIMEZONE_HINT.format(today=day.today.isoformat())


def reminder_text(settings: ReminderSettings) -> str:
    stamp = int(settings.next_due_at.timestamp())
    return (
        f"I'll send you a gentle reminder {reminders.describe(settings)} by direct message. "
        f"The next one is <t:{stamp}:F> (<t:{stamp}:R>)."
    )


# --- the entry form ---------------------------------------------------------------------------


def kept_file(form: DraftForm) -> discord.File | None:
    """The typed text as a file attached to a refusal, so it outlives the Try again button."""
    text = form.kept_text()
    if not text:
        return None
    return discord.File(io.BytesIO(text.encode("utf-8")), filename=KEPT_TEXT_FILENAME)


def _text(
    custom_id: str,
    default: str | None,
    *,
    placeholder: str | None = None,
    max_length: int = 100,
    paragraph: bool = False,
) -> discord.ui.TextInput[Any]:
    return discord.ui.TextInput(
        custom_id=custom_id,
        style=discord.TextStyle.paragraph if paragraph else discord.TextStyle.short,
        default=default or None,
        placeholder=placeholder,
        required=False,
        max_length=max_length,
    )


def _menu(
    custom_id: str,
    options: Sequence[tuple[str, str]],
    chosen: str | None,
    *,
    required: bool = False,
    descriptions: Mapping[str, str] | None = None,
) -> discord.ui.Select[Any]:
    """A one-choice menu of (label, value) options with `chosen` shown as picked."""
    return discord.ui.Select(
        custom_id=custom_id,
        options=[
            discord.SelectOption(
                label=label,
                value=value,
                default=value == chosen,
                description=(descriptions or {}).get(value),
            )
            for label, value in options
        ],
        required=required,
        min_values=1 if required else 0,
        max_values=1,
    )


def _labelled(enum: type[StrEnum]) -> list[tuple[str, str]]:
    return [(str(getattr(member, "label", member.value)), member.value) for member in enum]


def _notes(default: str, placeholder: str = "Anything you want to remember.") -> discord.ui.TextInput[Any]:
    return _text("notes", default, placeholder=placeholder, max_length=rules.MAX_NOTES_CHARS, paragraph=True)


def _date(default: str) -> discord.ui.TextInput[Any]:
    return _text("date", default, placeholder="today", max_length=20)


class JournalModal(SafeModal):
    """A journal form: owner-only, its log lines name nobody, and a refused save hands back what was
    typed ("Try again" while it lasts, and a file). Subclasses lay out their fields with `field` and
    say what was typed in `typed`."""

    not_yours = NOT_YOURS
    private = True
    #: Whether the saved entry's reply offers "More details" (the second step).
    offers_more = True

    def __init__(self, owner_id: int, *, title: str, ref: EntryRef | None) -> None:
        super().__init__(title=title[: limits.MODAL_TITLE_CHARS])
        self.owner_id = owner_id
        self.ref = ref

    def field(self, text: str, description: str | None, component: ItemT) -> ItemT:
        """Add `component` under a label (and its description); return it, to read on submit."""
        self.add_item(discord.ui.Label(text=text, description=description, component=component))
        return component

    def typed(self) -> DraftForm:
        raise NotImplementedError

    async def submitted(self, interaction: discord.Interaction) -> None:
        member = interaction.user.id  # the form's owner: nobody else gets past `allowed`
        form = self.typed()
        try:
            saved = await journal_service(interaction).save_form(member, form, self.ref)
        except UserFacingError as error:
            await self._refused(interaction, form, error)
            return
        entry = saved.entry
        if self.ref is None:
            log.info("Journal entry added (source=modal)")
            message = f"Saved to your journal as entry #{entry.seq}."
        else:
            log.info("Journal entry edited")
            message = f"Entry #{entry.seq} is updated."
        hint = timezone_hint(saved.day, getattr(form, "entry_date", None))
        await reply(interaction, message + hint, **saved_entry_reply(entry, more=self.offers_more))

    async def _refused(
        self, interaction: discord.Interaction, form: DraftForm, error: UserFacingError
    ) -> None:
        """Hand the typed text back, so a long note is never lost to a typo in a rating: "Try again"
        reopens the form while it lasts, the attached file keeps the words after that too. An edit
        of an entry deleted meanwhile gets the file only (there is nothing left to edit)."""
        content, kept = error.message, kept_file(form)
        if isinstance(error, NotFound) and self.ref is not None:
            content = ENTRY_GONE_FORM.format(seq=self.ref.seq)
        if kept is not None:
            content += "\n" + KEPT_TEXT_NOTE
        files = [kept] if kept is not None else []
        if not isinstance(error, InvalidInput):
            await send_private(interaction, content, files=files)
            return
        token = live_forms(interaction).keep(interaction.user.id, form, self.ref)
        retry = dynamic_buttons(RetryButton(interaction.user.id, token))
        await send_private(interaction, content, view=retry, files=files)


class EntryModal(JournalModal):
    """The entry form (a note or check-in), new or prefilled for an edit of one entry (`ref`): date,
    how I feel, symptoms, the phase as a menu, and notes. Therapy and side effects are its second
    step, "More details"."""

    def __init__(self, owner_id: int, form: EntryForm, *, ref: EntryRef | None = None) -> None:
        super().__init__(owner_id, title=f"Edit entry #{ref.seq}" if ref else "New journal entry", ref=ref)
        self.date_input = self.field("Date", "YYYY-MM-DD, today or yesterday", _date(form.entry_date))
        self.feeling_input = self.field(
            "How I feel",
            "0 = very bad, 10 = very good (leave empty to skip)",
            _text("feeling", form.feeling, placeholder="for example 6", max_length=5),
        )
        self.symptoms_input = self.field(
            "Symptoms 0-10 (0 = none)",
            "fatigue, mobility, pain, cognition, mood",
            _text(
                "symptoms",
                form.symptoms,
                placeholder="for example: fatigue 6, pain 3",
                max_length=rules.MAX_SYMPTOMS_CHARS,
            ),
        )
        self.phase_select = self.field(
            "Phase", "Where you are in your therapy (optional)", _menu("phase", _labelled(Phase), form.phase)
        )
        self.notes_input = self.field(
            "Notes", None, _notes(form.notes, "How was today? Anything you want to remember.")
        )

    def typed(self) -> EntryForm:
        return EntryForm(
            entry_date=self.date_input.value or "",
            feeling=self.feeling_input.value or "",
            symptoms=self.symptoms_input.value or "",
            phase=self.phase_select.values[0] if self.phase_select.values else "",
            notes=self.notes_input.value or "",
        )


class TypedEntryModal(JournalModal):
    """A typed entry's own form (a milestone, relapse, MRI, score, blood counts, medicine, vaccination
    or appointment): the date, its kind's fields (choices as menus), and notes where they fit."""

    def __init__(self, owner_id: int, form: TypedEntryForm, *, ref: EntryRef | None = None) -> None:
        kind = form.kind
        title = f"Edit entry #{ref.seq}: {kind.label}" if ref else f"New entry: {kind.label}"
        super().__init__(owner_id, title=title, ref=ref)
        self.kind = kind
        self.form = form
        date_label = "Date it started" if kind is EntryKind.RELAPSE else "Date"
        self.date_input = self.field(date_label, "YYYY-MM-DD, today or yesterday", _date(form.entry_date))
        self.inputs: dict[str, discord.ui.TextInput[Any] | discord.ui.Select[Any]] = {}
        for name, (label, description, component) in _kind_fields(form).items():
            self.inputs[name] = self.field(label, description, component)
        self.notes_input: discord.ui.TextInput[Any] | None = None
        if len(self.children) < limits.MODAL_COMPONENTS:
            notes_label = "The report's own words" if kind is EntryKind.MRI else "Notes"
            self.notes_input = self.field(notes_label, None, _notes(form.notes))

    def typed(self) -> TypedEntryForm:
        values: dict[str, str] = {}
        for name, component in self.inputs.items():
            if isinstance(component, discord.ui.Select):
                values[name] = component.values[0] if component.values else ""
            else:
                values[name] = component.value or ""
        notes = self.notes_input.value or "" if self.notes_input is not None else self.form.notes
        return TypedEntryForm(self.kind, self.date_input.value or "", values, notes)


_ANSWERS = [("Yes", Answer.YES.value), ("No", Answer.NO.value), ("Not stated", Answer.UNKNOWN.value)]
_STEROIDS = [("Yes", Answer.YES.value), ("No", Answer.NO.value), ("Not sure", Answer.UNKNOWN.value)]
_Field = tuple[str, str | None, discord.ui.TextInput[Any] | discord.ui.Select[Any]]


def _kind_fields(form: TypedEntryForm) -> dict[str, _Field]:
    """The fields of a kind's form after the date, in order: label, description, component."""
    value = form.value
    if form.kind is EntryKind.MILESTONE:
        menu = _menu("milestone", _labelled(Milestone), value("milestone"), required=True)
        return {"milestone": ("Which milestone", "Reinfusion is day 0 of your timeline", menu)}
    if form.kind is EntryKind.RELAPSE:
        return {
            "what_changed": (
                "What changed",
                "In your own words: new or worse symptoms",
                _text(
                    "what_changed",
                    value("what_changed"),
                    max_length=rules.MAX_WHAT_CHANGED_CHARS,
                    paragraph=True,
                ),
            ),
            "steroids": (
                "Treated with steroids?",
                None,
                _menu("steroids", _STEROIDS, value("steroids") or "unknown"),
            ),
        }
    if form.kind is EntryKind.MRI:
        return {
            "new_lesions": (
                "New or enlarging lesions",
                "A number as the report gives it; leave empty if it does not say",
                _text("new_lesions", value("new_lesions"), placeholder="for example 0 or 2", max_length=12),
            ),
            "enhancing": (
                "Gadolinium-enhancing lesions?",
                "As the report says",
                _menu("enhancing", _ANSWERS, value("enhancing") or "unknown"),
            ),
        }
    if form.kind is EntryKind.SCORE:
        return _score_fields(form)
    if form.kind is EntryKind.BLOOD_COUNT:
        counts: dict[str, _Field] = {
            name: (
                name.capitalize(),
                "As your report shows it (leave empty if not measured)",
                _text(name, value(name), placeholder="for example 1.5", max_length=12),
            )
            for name in BLOOD_COUNTS
        }
        units = [(unit.hint, unit.value) for unit in CountUnit]
        counts["count_unit"] = (
            "Unit",
            "The unit your report uses",
            _menu("count_unit", units, value("count_unit") or CountUnit.PER_LITRE.value, required=True),
        )
        return counts
    if form.kind is EntryKind.MEDICINE:
        return {
            "medicine": (
                "Medicine",
                None,
                _text("medicine", value("medicine"), max_length=rules.MAX_NAME_CHARS),
            ),
            "medicine_kind": (
                "Kind",
                None,
                _menu(
                    "medicine_kind", _labelled(MedicineKind), value("medicine_kind") or "dmt", required=True
                ),
            ),
            "medicine_action": (
                "Started or stopped",
                None,
                _menu("medicine_action", _labelled(MedicineAction), value("medicine_action"), required=True),
            ),
        }
    if form.kind is EntryKind.VACCINATION:
        return {
            "vaccine": (
                "Vaccine",
                "As your centre names it",
                _text("vaccine", value("vaccine"), max_length=rules.MAX_NAME_CHARS),
            ),
            "dose": (
                "Dose number",
                "1 for the first dose (optional)",
                _text("dose", value("dose"), placeholder="1", max_length=4),
            ),
        }
    if form.kind is EntryKind.APPOINTMENT:
        return {
            "with_whom": (
                "With whom",
                "For example: neurologist, MS nurse, transplant clinic",
                _text("with_whom", value("with_whom"), max_length=rules.MAX_NAME_CHARS),
            ),
        }
    raise ValueError(f"no form for entries of kind {form.kind.value}")


def _score_fields(form: TypedEntryForm) -> dict[str, _Field]:
    """The EDSS as a clinician gave it, or the member's own PDDS-style level: one of the two."""
    edss = [(f"{step:.1f}", f"{step:.1f}") for step in EDSS_STEPS]
    pdds = [(f"{level} · {words}", str(level)) for level, words in PDDS_LEVELS.items()]
    clinicians = [(scorer.label.capitalize(), scorer.value) for scorer in Scorer if scorer is not Scorer.SELF]
    scored_by = form.value("scored_by")
    return {
        EDSS_KEY: (
            "EDSS, as your clinician told you",
            "0 to 10; leave empty for your own level",
            _menu(EDSS_KEY, edss, form.value(EDSS_KEY)),
        ),
        "scored_by": (
            "Who gave the EDSS",
            None,
            _menu(
                "scored_by",
                clinicians,
                scored_by if scored_by != Scorer.SELF.value else Scorer.NEUROLOGIST.value,
            ),
        ),
        PDDS_KEY: (
            "Or your own level (PDDS-style)",
            "How MS affects you, in your view",
            _menu(PDDS_KEY, pdds, form.value(PDDS_KEY)),
        ),
    }


class DetailsModal(JournalModal):
    """The second step of an entry, "More details": therapy (a menu, with your own words for
    'Other'), phase (not for milestones, which carry their own), side effects and notes."""

    offers_more = False

    def __init__(self, owner_id: int, form: DetailsForm, *, ref: EntryRef, kind: EntryKind) -> None:
        super().__init__(owner_id, title=f"More details for entry #{ref.seq}", ref=ref)
        therapies = [(therapy.label, therapy.value) for therapy in Therapy]
        self.therapy_select = self.field("Therapy", None, _menu("therapy", therapies, form.therapy))
        self.therapy_other_input = self.field(
            "Therapy in your own words",
            "For 'Other', e.g. a medicine or a trial's name",
            _text("therapy_other", form.therapy_other, max_length=rules.MAX_THERAPY_OTHER_CHARS),
        )
        self.phase_select: discord.ui.Select[Any] | None = None
        self.phase = form.phase
        if kind is not EntryKind.MILESTONE:
            self.phase_select = self.field("Phase", None, _menu("phase", _labelled(Phase), form.phase))
        self.side_effects_input = self.field(
            "Side effects",
            None,
            _text("side_effects", form.side_effects, max_length=rules.MAX_SIDE_EFFECTS_CHARS, paragraph=True),
        )
        self.notes_input = self.field("Notes", None, _notes(form.notes))

    def typed(self) -> DetailsForm:
        phase = self.phase
        if self.phase_select is not None:
            phase = self.phase_select.values[0] if self.phase_select.values else ""
        return DetailsForm(
            therapy=self.therapy_select.values[0] if self.therapy_select.values else "",
            therapy_other=self.therapy_other_input.value or "",
            phase=phase,
            side_effects=self.side_effects_input.value or "",
            notes=self.notes_input.value or "",
        )


def form_for(
    owner_id: int, form: DraftForm, ref: EntryRef | None, kind: EntryKind | None = None
) -> JournalModal:
    """The modal that shows `form` (for a new entry, an edit or Try again)."""
    if isinstance(form, TypedEntryForm):
        return TypedEntryModal(owner_id, form, ref=ref)
    if isinstance(form, DetailsForm) and ref is not None:
        return DetailsModal(owner_id, form, ref=ref, kind=kind or EntryKind.NOTE)
    if isinstance(form, EntryForm):
        return EntryModal(owner_id, form, ref=ref)
    raise ValueError(f"no form for {type(form).__name__}")


def edit_form(owner_id: int, entry: JournalEntry) -> JournalModal:
    """The form an entry is edited in: its kind's own, or the entry form for notes and check-ins."""
    if entry.kind in DETAILS_OF_KIND:
        return TypedEntryModal(owner_id, TypedEntryForm.from_entry(entry), ref=entry.ref)
    return EntryModal(owner_id, EntryForm.from_entry(entry), ref=entry.ref)


def saved_entry_reply(entry: JournalEntry, *, more: bool = True) -> dict[str, Any]:
    """The embed of an entry just saved and, for its owner, the "More details" button (step two)."""
    message: dict[str, Any] = {"embed": entry_embed(entry)}
    if more:
        message["view"] = dynamic_buttons(MoreDetailsButton(entry.user_id, entry.seq, entry.key))
    return message


# --- buttons that survive restarts ------------------------------------------------------------


class JournalButton(OwnedItem[discord.ui.Button], template=r"(?!)"):
    """A button of someone's journal: only its owner may press it; anyone else hears `NOT_YOURS`.
    (The base matches no custom id; each button names its own.) Its log lines name nobody."""

    not_yours = NOT_YOURS
    private = True


class RetryButton(JournalButton, template=r"journal:retry:(?P<owner>\d+):(?P<token>[A-Za-z0-9_-]{16})"):
    """The "Try again" button of a refused form: reopens it with everything the member typed while
    the text is kept (`LiveForms`); after that, or after `forget`, it says so kindly."""

    def __init__(self, owner_id: int, token: str) -> None:
        super().__init__(
            discord.ui.Button(
                label="Try again",
                style=discord.ButtonStyle.primary,
                custom_id=f"journal:retry:{owner_id}:{token}",
            )
        )
        self.owner_id = owner_id
        self.token = token

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str]
    ) -> RetryButton:
        return cls(int(match["owner"]), match["token"])

    async def pressed(self, interaction: discord.Interaction) -> None:
        kept = live_forms(interaction).kept(self.owner_id, self.token)
        if kept is None:
            await send_ephemeral(interaction, RETRY_EXPIRED)
            return
        await open_form(interaction, form_for(self.owner_id, kept.form, kept.ref))


class ListPageButton(
    JournalButton, template=r"journal:page:(?P<owner>\d+):(?P<page>\d+):(?P<direction>prev|next)"
):
    """Previous / Next on `/journal list`: turns the page in place, for the owner only."""

    def __init__(self, owner_id: int, page: int, direction: str, *, disabled: bool = False) -> None:
        super().__init__(
            discord.ui.Button(
                label="Previous" if direction == "prev" else "Next",
                style=discord.ButtonStyle.secondary,
                custom_id=f"journal:page:{owner_id}:{page}:{direction}",
                disabled=disabled,
            )
        )
        self.owner_id = owner_id
        self.page = page

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str]
    ) -> ListPageButton:
        return cls(int(match["owner"]), max(1, int(match["page"])), match["direction"])

    async def pressed(self, interaction: discord.Interaction) -> None:
        page = await journal_service(interaction).list_page(self.owner_id, self.page)
        await interaction.response.edit_message(**list_message(page, self.owner_id))


def _asked_at(match: re.Match[str]) -> int | None:
    return int(match["at"]) if match["at"] else None


def _entry_ref(match: re.Match[str]) -> EntryRef | None:
    """The entry a button was made for; None for a button from before entries had keys."""
    return EntryRef(int(match["seq"]), match["key"]) if match["key"] else None


#: `<number>.<key>`: the key is optional only so buttons sent before keys existed are recognised, and
#: refused as expired.
_ENTRY_IN_ID = rf"(?P<seq>\d+)(?:\.(?P<key>{ENTRY_KEY_PATTERN}))?"


class DeleteEntryButton(
    JournalButton,
    # The time is optional only so buttons sent before it was added are recognised, and refused.
    template=rf"journal:delete:(?P<action>confirm|cancel):(?P<owner>\d+):{_ENTRY_IN_ID}(?::(?P<at>\d+))?",
):
    """Confirm or cancel `/journal delete`; only the confirm button deletes, only the entry it was
    made for (by key, not just number), and only within `rules.CONFIRMATION_SECONDS` of the question."""

    def __init__(
        self, action: str, owner_id: int, seq: int, created_at: int | None, key: str | None = None
    ) -> None:
        confirm = action == "confirm"
        stamp = "" if created_at is None else f":{created_at}"
        entry = f"{seq}.{key}" if key else str(seq)
        super().__init__(
            discord.ui.Button(
                label=f"Yes, delete #{seq}" if confirm else "No, keep it",
                style=discord.ButtonStyle.danger if confirm else discord.ButtonStyle.secondary,
                custom_id=f"journal:delete:{action}:{owner_id}:{entry}{stamp}",
            )
        )
        self.confirm = confirm
        self.owner_id = owner_id
        self.seq = seq
        self.key = key
        self.created_at = created_at

    @classmethod
    def for_entry(cls, action: str, owner_id: int, entry: JournalEntry, created_at: int) -> DeleteEntryButton:
        return cls(action, owner_id, entry.seq, created_at, entry.key)

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str]
    ) -> DeleteEntryButton:
        return cls(match["action"], int(match["owner"]), int(match["seq"]), _asked_at(match), match["key"])

    async def pressed(self, interaction: discord.Interaction) -> None:
        if not self.confirm:
            content = f"Okay, entry #{self.seq} stays just as it was. Nothing was deleted."
        elif self.key is None or confirmation_expired(interaction, self.created_at):
            await send_ephemeral(interaction, DELETE_EXPIRED.format(seq=self.seq))
            return
        else:
            try:
                entry = await journal_service(interaction).delete(self.owner_id, EntryRef(self.seq, self.key))
            except NotFound:
                content = f"Entry #{self.seq} no longer exists, so there was nothing more to do."
            else:
                log.info("Journal entry deleted")
                content = f"Entry #{entry.seq} from {entry.entry_date.isoformat()} is deleted."
        await interaction.response.edit_message(content=content, embed=None, view=None)


class ForgetButton(
    JournalButton,
    template=r"journal:forget:(?P<action>confirm|cancel):(?P<owner>\d+)(?::(?P<at>\d+))?",
):
    """Confirm or cancel `/journal forget`; the confirm deletes every journal row of the owner, but
    only within `rules.CONFIRMATION_SECONDS` of the question."""

    def __init__(self, action: str, owner_id: int, created_at: int | None) -> None:
        confirm = action == "confirm"
        stamp = "" if created_at is None else f":{created_at}"
        super().__init__(
            discord.ui.Button(
                label="Yes, delete everything" if confirm else "No, keep my journal",
                style=discord.ButtonStyle.danger if confirm else discord.ButtonStyle.secondary,
                custom_id=f"journal:forget:{action}:{owner_id}{stamp}",
            )
        )
        self.confirm = confirm
        self.owner_id = owner_id
        self.created_at = created_at

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str]
    ) -> ForgetButton:
        return cls(match["action"], int(match["owner"]), _asked_at(match))

    async def pressed(self, interaction: discord.Interaction) -> None:
        if not self.confirm:
            content = "Nothing was deleted. Your journal is just as you left it."
        elif confirmation_expired(interaction, self.created_at):
            await send_ephemeral(interaction, FORGET_EXPIRED)
            return
        else:
            report = await journal_service(interaction).forget_member(self.owner_id)
            content = (
                report.describe()
                + " If you write to me again, a new, empty journal starts. Take care of yourself."
            )
        await interaction.response.edit_message(content=content, embed=None, view=None)


class UndoQuickNoteButton(
    JournalButton,
    # Key and time are optional only so Undo buttons sent before they existed are recognised, and
    # refused as expired.
    template=rf"journal:undo:(?P<owner>\d+):{_ENTRY_IN_ID}(?::(?P<at>\d+))?",
):
    """Undo on a DM quick note: deletes exactly that entry (by key, so never a later entry with the
    same number), within `rules.CONFIRMATION_SECONDS` like a confirmation."""

    def __init__(self, owner_id: int, seq: int, key: str | None, created_at: int | None) -> None:
        entry = f"{seq}.{key}" if key else str(seq)
        stamp = "" if created_at is None else f":{created_at}"
        super().__init__(
            discord.ui.Button(
                label="Undo",
                style=discord.ButtonStyle.secondary,
                custom_id=f"journal:undo:{owner_id}:{entry}{stamp}",
            )
        )
        self.owner_id = owner_id
        self.seq = seq
        self.key = key
        self.created_at = created_at

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str]
    ) -> UndoQuickNoteButton:
        return cls(int(match["owner"]), int(match["seq"]), match["key"], _asked_at(match))

    async def pressed(self, interaction: discord.Interaction) -> None:
        if self.key is None or confirmation_expired(interaction, self.created_at):
            await send_ephemeral(interaction, UNDO_EXPIRED.format(seq=self.seq))
            return
        try:
            await journal_service(interaction).delete(self.owner_id, EntryRef(self.seq, self.key))
        except NotFound:
            content = f"Entry #{self.seq} no longer exists, so there was nothing to undo."
        else:
            log.info("Journal quick note undone")
            content = f"Undone: that note (entry #{self.seq}) is no longer in your journal."
        await interaction.response.edit_message(content=content, view=None)


class MoreDetailsButton(JournalButton, template=rf"journal:more:(?P<owner>\d+):{_ENTRY_IN_ID}"):
    """ "More details" on an entry just saved: the second step (therapy, phase, side effects, notes),
    for exactly that entry (by key), prefilled with what it holds now."""

    def __init__(self, owner_id: int, seq: int, key: str | None) -> None:
        super().__init__(
            discord.ui.Button(
                label="More details",
                style=discord.ButtonStyle.secondary,
                custom_id=f"journal:more:{owner_id}:{seq}.{key}",
            )
        )
        self.owner_id = owner_id
        self.seq = seq
        self.key = key

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str]
    ) -> MoreDetailsButton:
        return cls(int(match["owner"]), int(match["seq"]), match["key"])

    async def pressed(self, interaction: discord.Interaction) -> None:
        try:
            stored = await journal_service(interaction).get(self.owner_id, self.seq)
        except NotFound:
            stored = None
        if stored is None or self.key is None or stored.key != self.key:
            await send_ephemeral(interaction, rules.entry_gone(self.seq).message)
            return
        form = DetailsModal(self.owner_id, DetailsForm.from_entry(stored), ref=stored.ref, kind=stored.kind)
        await open_form(interaction, form)


class AddEntryButton(JournalButton, template=r"journal:add:(?P<owner>\d+)"):
    """'Write an entry' on a reminder: opens the entry form straight away."""

    def __init__(self, owner_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="Write an entry", style=discord.ButtonStyle.primary, custom_id=f"journal:add:{owner_id}"
            )
        )
        self.owner_id = owner_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str]
    ) -> AddEntryButton:
        return cls(int(match["owner"]))

    async def pressed(self, interaction: discord.Interaction) -> None:
        await open_form(interaction, EntryModal(self.owner_id, EntryForm()))


DYNAMIC_ITEMS: tuple[type[discord.ui.DynamicItem[Any]], ...] = (
    ListPageButton,
    DeleteEntryButton,
    ForgetButton,
    UndoQuickNoteButton,
    AddEntryButton,
    RetryButton,
    MoreDetailsButton,
)
