"""The journal as an aHSCT companion, through the real discord.py client: every typed entry by its
form and by its options, the second step, the timeline, compare, the report, import, and forget."""

from __future__ import annotations

from typing import Any

import pytest
from fake_discord import FakeDiscord
from test_journal import EPHEMERAL, MODAL, button_id, journal_of, modal_fields, modal_menus, user_id

from bot.app import StemcellBot
from bot.core.journal.kinds import (
    Answer,
    AppointmentDetails,
    BloodCountDetails,
    CountUnit,
    MedicineAction,
    MedicineDetails,
    MedicineKind,
    Milestone,
    MilestoneDetails,
    MriDetails,
    RelapseDetails,
    Scale,
    ScoreDetails,
    Scorer,
    VaccinationDetails,
)
from bot.core.journal.model import EntryKind, Phase

pytestmark = pytest.mark.usefixtures("journal_leaves_nothing_readable")

#: command, its options, what the same entry's form is given, and what is stored either way.
KINDS: list[tuple[str, dict[str, Any], dict[str, Any], object]] = [
    (
        "milestone",
        {"which": "reinfusion", "date": "2026-01-10"},
        {"date": "2026-01-10", "milestone": ["reinfusion"]},
        MilestoneDetails(Milestone.REINFUSION),
    ),
    (
        "relapse",
        {"what_changed": "Numb left hand for three days", "steroids": "yes"},
        {"what_changed": "Numb left hand for three days", "steroids": ["yes"]},
        RelapseDetails("Numb left hand for three days", Answer.YES),
    ),
    (
        "mri",
        {"new_lesions": 0, "enhancing": "no", "report": "No new or enlarging lesions seen"},
        {"new_lesions": "0", "enhancing": ["no"], "notes": "No new or enlarging lesions seen"},
        MriDetails(0, Answer.NO),
    ),
    (
        "score",
        {"edss": "3.5", "scored_by": "clinician"},
        {"edss": ["3.5"], "scored_by": ["clinician"]},
        ScoreDetails(Scale.EDSS, 3.5, Scorer.CLINICIAN),
    ),
    (
        "bloods",
        {"neutrophils": 0.4, "platelets": 23, "lymphocytes": 0.2},
        {"neutrophils": "0.4", "platelets": "23", "lymphocytes": "0.2"},
        BloodCountDetails(0.4, 23, 0.2, CountUnit.PER_LITRE),
    ),
    (
        "medicine",
        {"name": "natalizumab infusions", "action": "stopped"},
        {"medicine": "natalizumab infusions", "medicine_action": ["stopped"]},
        MedicineDetails("natalizumab infusions", MedicineKind.DMT, MedicineAction.STOPPED),
    ),
    (
        "vaccination",
        {"vaccine": "tetanus booster", "dose": 2},
        {"vaccine": "tetanus booster", "dose": "2"},
        VaccinationDetails("tetanus booster", 2),
    ),
    (
        "appointment",
        {"with_whom": "transplant clinic follow-up", "notes": "Bring the bloods diary"},
        {"with_whom": "transplant clinic follow-up", "notes": "Bring the bloods diary"},
        AppointmentDetails("transplant clinic follow-up"),
    ),
]


@pytest.mark.parametrize(("command", "options", "typed", "expected"), KINDS, ids=[k[0] for k in KINDS])
async def test_each_typed_entry_is_added_by_its_options(
    fake_discord: FakeDiscord,
    bot: StemcellBot,
    command: str,
    options: dict[str, Any],
    typed: Any,
    expected: object,
) -> None:
    reply = (await (await fake_discord.invoke(f"journal {command}", options)).wait_response())["data"]
    assert reply["flags"] & EPHEMERAL and "Saved to your journal as entry #1" in reply["content"], reply
    [entry] = await journal_of(bot).all_entries(user_id(fake_discord.member))
    assert entry.details == expected and entry.source.value == "slash"
    assert button_id(reply, f"journal:more:{user_id(fake_discord.member)}:1.")


@pytest.mark.parametrize(("command", "options", "typed", "expected"), KINDS, ids=[k[0] for k in KINDS])
async def test_each_typed_entry_is_added_by_its_form_and_edited_in_it(
    fake_discord: FakeDiscord,
    bot: StemcellBot,
    command: str,
    options: Any,
    typed: dict[str, Any],
    expected: object,
) -> None:
    handle = await fake_discord.invoke(f"journal {command}", dm=True)
    form = await handle.wait_response()
    assert form["type"] == MODAL and modal_fields(form)["date"] == "today"
    submitted = await fake_discord.submit_modal(handle, typed)
    saved = (await submitted.wait_response())["data"]
    assert "entry #1" in saved["content"], saved
    member = user_id(fake_discord.member)
    [entry] = await journal_of(bot).all_entries(member)
    assert entry.details == expected and entry.source.value == "modal"

    edit = await fake_discord.invoke("journal edit", {"entry": "1"}, dm=True)
    prefilled = await edit.wait_response()
    texts, menus = modal_fields(prefilled), modal_menus(prefilled)
    for name, value in typed.items():
        shown = menus[name] if isinstance(value, list) else texts[name if name != "date" else "date"]
        assert shown == value, name
    again = await fake_discord.submit_modal(edit, {})
    assert "is updated" in (await again.wait_response())["data"]["content"]
    assert (await journal_of(bot).get(member, 1)).details == expected


async def test_a_typed_kind_chosen_in_add_opens_its_own_form(
    fake_discord: FakeDiscord, bot: StemcellBot
) -> None:
    handle = await fake_discord.invoke("journal add", {"kind": "mri", "date": "2026-01-05"})
    form = await handle.wait_response()
    assert form["type"] == MODAL and form["data"]["title"] == "New entry: MRI"
    assert modal_fields(form)["date"] == "2026-01-05" and "enhancing" in modal_menus(form)


async def test_a_typed_entry_with_a_problem_is_refused_kindly_and_nothing_is_saved(
    fake_discord: FakeDiscord, bot: StemcellBot
) -> None:
    """Scores carry who gave them, counts are numbers: each refusal says what to fix."""
    for command, options, expected in (
        ("score", {"edss": "3.5", "level": "2"}, "not both"),
        ("medicine", {"name": "ocrelizumab"}, "started or stopped"),
        ("milestone", {"notes": "big day"}, "which milestone"),
    ):
        reply = (await (await fake_discord.invoke(f"journal {command}", options)).wait_response())["data"]
        assert (
            reply["flags"] & EPHEMERAL
            and expected in reply["content"]
            and "Nothing was saved" in reply["content"]
        )
    handle = await fake_discord.invoke("journal bloods")
    await handle.wait_response()
    submitted = await fake_discord.submit_modal(handle, {"neutrophils": "lots"})
    refusal = (await submitted.wait_response())["data"]
    assert "should be a number" in refusal["content"] and button_id(refusal, "journal:retry:")
    assert await journal_of(bot).count(user_id(fake_discord.member)) == 0


async def test_a_reinfusion_milestone_starts_day_0_for_later_entries(
    fake_discord: FakeDiscord, bot: StemcellBot
) -> None:
    await (
        await fake_discord.invoke("journal milestone", {"which": "reinfusion", "date": "2026-01-10"})
    ).wait_response()
    reply = (
        await (
            await fake_discord.invoke("journal add", {"notes": "Home today", "date": "2026-02-09"})
        ).wait_response()
    )["data"]
    assert reply["embeds"][0]["title"].endswith("day +30")
    entry = await journal_of(bot).get(user_id(fake_discord.member), 1)
    assert entry.phase is Phase.INFUSION and entry.kind is EntryKind.MILESTONE
