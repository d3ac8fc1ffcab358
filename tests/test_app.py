"""Every cog loads into a real bot, and the command tree matches the documented contract."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from discord import app_commands

from bot.app import StemcellBot, build_bot
from bot.core.autoresponse import AnswerKind, ImportMode, MatchMode
from bot.core.content.loader import load_content
from bot.core.journal.kinds import MedicineAction, MedicineKind, Milestone
from bot.core.journal.model import DETAILS_OF_KIND, EntryKind, Phase
from bot.core.scanning import Sensitivity, WordKind
from bot.core.trials import INTERVENTION_OPTIONS
from bot.db.database import Database
from bot.services.journal import load_journal_keys
from bot.settings import load_settings, packaged_content_dir

NAME = re.compile(r"^[-_\w]{1,32}$")


@pytest.fixture
async def loaded_bot(db: Database, tmp_path: Path) -> AsyncIterator[StemcellBot]:
    settings = load_settings({"DISCORD_TOKEN": "x", "DATABASE_PATH": str(tmp_path / "db.sqlite3")})
    keys = await load_journal_keys(db, "", tmp_path / "journal.key")
    async with aiohttp.ClientSession() as session:
        bot = build_bot(settings, db, load_content(packaged_content_dir()), keys, http_session=session)
        for cog in bot.make_cogs():
            await bot.add_cog(cog)
        try:
            yield bot
        finally:
            await bot.close()


async def test_documented_commands_are_registered(loaded_bot: StemcellBot) -> None:
    names = {c.name for c in loaded_bot.tree.get_commands()}
    assert {"stemcell", "glossary", "caution", "help", "trials", "trialwatch"} <= names


async def test_trialwatch_options_match_the_contract(loaded_bot: StemcellBot) -> None:
    """`/trialwatch add [near] [intervention] [radius_km]`, `list`, `remove watch`; `/trials` unchanged."""
    commands = {command.qualified_name: command for command in loaded_bot.tree.walk_commands()}
    options = {
        name: [(p.name, p.required) for p in command.parameters]
        for name, command in commands.items()
        if isinstance(command, app_commands.Command) and name.split()[0] in ("trials", "trialwatch")
    }
    assert options == {
        "trials": [("near", False), ("intervention", False), ("observational", False)],
        "trialwatch add": [("near", False), ("intervention", False), ("radius_km", False)],
        "trialwatch list": [],
        "trialwatch remove": [("watch", True)],
    }
    add = commands["trialwatch add"]
    assert isinstance(add, app_commands.Command)
    radius = next(p for p in add.parameters if p.name == "radius_km")
    assert (radius.min_value, radius.max_value) == (10, 5000)
    intervention = next(p for p in add.parameters if p.name == "intervention")
    assert [c.value for c in intervention.choices] == [o.key for o in INTERVENTION_OPTIONS]


async def test_the_trial_watch_asks_the_registry_through_the_trials_service(loaded_bot: StemcellBot) -> None:
    """One service, so one client and one pace (at most a request a second) for /trials and the watch,
    and one cache: what the watch fetches is what /trials shows."""
    services = loaded_bot.services
    assert services.trial_watch._trials is services.trials
    assert services.trial_watch.interval.total_seconds() == loaded_bot.settings.trial_watch_interval


async def test_stemcell_options_match_the_contract(loaded_bot: StemcellBot) -> None:
    command = loaded_bot.tree.get_command("stemcell")
    assert isinstance(command, app_commands.Command)
    options = {p.name: p for p in command.parameters}
    assert list(options) == ["topic", "private"]
    assert options["topic"].required is False and options["topic"].autocomplete
    assert options["private"].required is False


async def test_every_command_has_valid_names_and_descriptions(loaded_bot: StemcellBot) -> None:
    for command in loaded_bot.tree.walk_commands():
        assert NAME.match(command.name), command.name
        assert 1 <= len(command.description) <= 100, command.qualified_name
        if isinstance(command, app_commands.Command):
            for parameter in command.parameters:
                assert NAME.match(parameter.name)
                assert 1 <= len(parameter.description) <= 100, (command.qualified_name, parameter.name)


async def test_tree_payload_is_stable(loaded_bot: StemcellBot) -> None:
    assert loaded_bot.command_tree_payload() == loaded_bot.command_tree_payload()


# Options whose choices copy a core enum: (command, option) -> enum.
ENUM_OPTIONS = {
    ("clinicwatch sensitivity", "level"): Sensitivity,
    ("clinicwatch words", "kind"): WordKind,
    ("autoresponse add", "mode"): MatchMode,
    ("autoresponse edit", "mode"): MatchMode,
    ("autoresponse add", "answer"): AnswerKind,
    ("autoresponse edit", "answer"): AnswerKind,
    ("autoresponse list", "mode"): MatchMode,
    ("autoresponse import", "mode"): ImportMode,
    ("journal add", "phase"): Phase,
    ("journal add", "kind"): EntryKind,
    ("journal milestone", "which"): Milestone,
    ("journal medicine", "action"): MedicineAction,
    ("journal medicine", "kind"): MedicineKind,
}


@pytest.mark.parametrize(("command_name", "option"), list(ENUM_OPTIONS))
async def test_choices_shown_in_discord_are_the_enum(
    loaded_bot: StemcellBot, command_name: str, option: str
) -> None:
    """A member added to the enum appears in Discord's list; a removed one disappears."""
    commands = {command.qualified_name: command for command in loaded_bot.tree.walk_commands()}
    command = commands[command_name]
    assert isinstance(command, app_commands.Command)
    [parameter] = [p for p in command.parameters if p.name == option]
    assert [choice.value for choice in parameter.choices] == [
        m.value for m in ENUM_OPTIONS[command_name, option]
    ]


def test_every_help_field_fits_discord() -> None:
    """/help is one embed of several fields; each must stay within Discord's field limit as features grow."""
    from bot.cogs.help import PRIVACY, WHAT_IT_DOES, WHAT_IT_STORES
    from bot.core import limits

    fields = [*WHAT_IT_DOES, ("What I store", WHAT_IT_STORES), ("Your privacy", PRIVACY)]
    assert all(0 < len(value) <= limits.EMBED_FIELD_VALUE_CHARS for _, value in fields)
    assert sum(len(name) + len(value) for name, value in fields) < limits.EMBED_TOTAL_CHARS


async def test_help_and_the_readme_name_every_journal_command(loaded_bot: StemcellBot) -> None:
    """A new /journal subcommand is listed in /help and in the README's command table, or this fails."""
    from bot.cogs.help import WHAT_IT_DOES

    journal = loaded_bot.tree.get_command("journal")
    assert isinstance(journal, app_commands.Group)
    subcommands = {command.name for command in journal.commands}
    help_text = dict(WHAT_IT_DOES)["Your journal"]
    listed_in_help = {
        name for group in re.findall(r"`/journal ([\w|]+)`", help_text) for name in group.split("|")
    }
    assert listed_in_help == subcommands
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    [table_row] = re.findall(r"^\| `/journal ([^`]+)` \| everyone", readme, flags=re.MULTILINE)
    assert set(table_row.replace("\\|", "|").split("|")) == subcommands


@pytest.mark.parametrize("kind", list(DETAILS_OF_KIND))
async def test_every_typed_kind_has_its_own_form_within_discords_limit(kind: EntryKind) -> None:
    from bot.cogs.journal_views import TypedEntryModal
    from bot.core import limits
    from bot.core.journal.drafts import TypedEntryForm

    modal = TypedEntryModal(1, TypedEntryForm(kind, "today"))
    assert 2 <= len(modal.children) <= limits.MODAL_COMPONENTS  # the date and at least one field
