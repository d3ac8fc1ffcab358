"""The journal as an aHSCT companion, through the real discord.py client: every typed entry by its
form and by its options, the second step, the timeline, compare, the report, import, and forget."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fake_discord import FakeDiscord, InteractionHandle, RestFile
from pypdf import PdfReader
from test_journal import (
    EPHEMERAL,
    MODAL,
    add_entry,
    button_id,
    journal_of,
    modal_fields,
    modal_menus,
    user_id,
)

from bot.app import StemcellBot
from bot.core.journal.compare import NOT_PROOF, add_months
from bot.core.journal.export import read_export_part
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
from bot.core.journal.model import DETAILS_OF_KIND, EntryDraft, EntryKind, Phase

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


def test_every_typed_kind_is_added_end_to_end_below() -> None:
    assert {type(expected) for *_, expected in KINDS} == set(DETAILS_OF_KIND.values())


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


TODAY = datetime.now(UTC).date()
DAY_0 = TODAY - timedelta(days=400)
MOBILISATION = DAY_0 - timedelta(days=40)


async def record_a_transplant(fake: FakeDiscord, **where: Any) -> None:
    """Milestones, check-ins before and after, and one entry of every other typed kind."""
    steps = [
        ("journal milestone", {"which": "mobilisation_start", "date": MOBILISATION.isoformat()}),
        ("journal milestone", {"which": "reinfusion", "date": DAY_0.isoformat()}),
        (
            "journal add",
            {"feeling": 4, "symptoms": "fatigue 8", "date": (MOBILISATION - timedelta(days=10)).isoformat()},
        ),
        (
            "journal add",
            {
                "feeling": 6,
                "date": (MOBILISATION - timedelta(days=20)).isoformat(),
                "notes": "PRIVATE-NOTE-MARKER before",
            },
        ),
        (
            "journal add",
            {
                "feeling": 8,
                "symptoms": "fatigue 3",
                "date": add_months(DAY_0, 3).isoformat(),
                "side_effects": "hair thinning",
            },
        ),
        (
            "journal relapse",
            {
                "date": (DAY_0 - timedelta(days=90)).isoformat(),
                "what_changed": "Blurred vision, left eye",
                "steroids": "yes",
            },
        ),
        (
            "journal mri",
            {
                "date": add_months(DAY_0, 6).isoformat(),
                "new_lesions": 0,
                "enhancing": "no",
                "report": "Stable appearances",
            },
        ),
        ("journal score", {"edss": "3.5", "date": add_months(DAY_0, 6).isoformat()}),
        ("journal score", {"level": "2", "date": add_months(DAY_0, 7).isoformat()}),
        (
            "journal bloods",
            {"neutrophils": 0.3, "platelets": 19, "date": (DAY_0 + timedelta(days=8)).isoformat()},
        ),
        (
            "journal medicine",
            {"name": "ocrelizumab", "action": "stopped", "date": (DAY_0 - timedelta(days=200)).isoformat()},
        ),
        (
            "journal vaccination",
            {"vaccine": "pneumococcal", "dose": 1, "date": add_months(DAY_0, 12).isoformat()},
        ),
        (
            "journal appointment",
            {"with_whom": "neurologist follow-up", "date": add_months(DAY_0, 12).isoformat()},
        ),
    ]
    for command, options in steps:
        reply = (await (await fake.invoke(command, options, **where)).wait_response())["data"]
        assert "Saved to your journal" in reply["content"], (command, reply)


async def followup_file(fake: FakeDiscord, handle: InteractionHandle) -> tuple[dict[str, Any], RestFile]:
    message = await handle.wait_followup(timeout=30)
    call = next(c for c in fake.calls if c.files and handle.token in c.path)
    [file] = call.files
    return message, file


async def test_the_timeline_is_a_png_of_the_months_around_day_0(
    fake_discord: FakeDiscord, bot: StemcellBot
) -> None:
    await record_a_transplant(fake_discord, dm=True)
    handle = await fake_discord.invoke("journal timeline", dm=True)
    message, image = await followup_file(fake_discord, handle)
    assert image.filename == "journal-timeline.png" and image.data.startswith(b"\x89PNG\r\n\x1a\n")
    assert "relapses" in message["content"] and "day 0" in message["content"]


async def test_compare_shows_each_average_with_its_count_and_says_it_is_not_proof(
    fake_discord: FakeDiscord, bot: StemcellBot
) -> None:
    await record_a_transplant(fake_discord)
    handle = await fake_discord.invoke("journal compare")
    message = await handle.wait_followup(timeout=30)
    [embed] = message["embeds"]
    assert (
        NOT_PROOF in embed["description"]
        and f"Day 0 (reinfusion): {DAY_0.isoformat()}" in embed["description"]
    )
    fields = {field["name"]: field["value"] for field in embed["fields"]}
    feeling = fields["How I feel overall: 0 = very bad, 10 = very good"]
    assert "Before: **5.0** (2 entries)" in feeling and "Month +3: **8.0** (1 entry)" in feeling
    assert "Month +6: — (0 entries)" in feeling and "Month +24: not yet" in feeling
    assert "Before: **8.0** (1 entry)" in fields["Fatigue: 0 = none, 10 = severe"]


async def test_compare_without_day_0_says_how_to_add_it(fake_discord: FakeDiscord, bot: StemcellBot) -> None:
    await add_entry(fake_discord, {"feeling": 5})
    handle = await fake_discord.invoke("journal compare")
    assert "Reinfusion (day 0)" in (await handle.wait_followup(timeout=30))["content"]


def pdf_text(data: bytes) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(data))
    return len(reader.pages), "\n".join(page.extract_text() for page in reader.pages)


async def test_the_report_is_an_a4_pdf_with_milestones_tables_and_the_footer(
    fake_discord: FakeDiscord, bot: StemcellBot
) -> None:
    await record_a_transplant(fake_discord, dm=True)
    start = (MOBILISATION - timedelta(days=300)).isoformat()
    handle = await fake_discord.invoke("journal report", {"from": start}, dm=True)
    message, report = await followup_file(fake_discord, handle)
    assert report.filename == f"journal-report-{TODAY.isoformat()}.pdf" and report.data.startswith(b"%PDF")
    assert "not in it" in message["content"]
    pages, text = pdf_text(report.data)
    assert 1 <= pages <= 3
    assert text.count("Self-reported by the patient, not a medical record") == pages
    page = PdfReader(io.BytesIO(report.data)).pages[0]
    assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (595, 842)  # A4
    for expected in (
        f"Period: {start} to {TODAY.isoformat()}",
        "Treatment timeline",
        f"{MOBILISATION.isoformat()} Mobilisation starts",
        f"{DAY_0.isoformat()} day 0 Reinfusion (day 0)",
        "Relapses",
        "Blurred vision, left eye",
        "MRI results",
        "Disability scores",
        "EDSS 3.5 my neurologist",
        "PDDS-style level 2 me (self-rated)",
        "Blood counts",
        "0.3 19 — ×10⁹/L",
        "Medicines",
        "ocrelizumab MS medicine (DMT) Stopped",
        "Vaccinations",
        "pneumococcal 1",
        "Appointments",
        "neurologist follow-up",
        "Side effects",
        "hair thinning",
    ):
        assert expected in text, expected
    assert "PRIVATE-NOTE-MARKER" not in text and "Stable appearances" not in text

    with_notes = await fake_discord.invoke("journal report", {"from": start, "include_notes": True}, dm=True)
    _, report = await followup_file(fake_discord, with_notes)
    _, text = pdf_text(report.data)
    assert "PRIVATE-NOTE-MARKER before" in text and "Stable appearances" in text


async def test_a_report_period_that_makes_no_sense_is_refused_kindly(
    fake_discord: FakeDiscord, bot: StemcellBot
) -> None:
    await add_entry(fake_discord, {"feeling": 5})
    handle = await fake_discord.invoke("journal report", {"from": "2026-05-01", "to": "2026-01-01"})
    assert "Please swap" in (await handle.wait_followup(timeout=30))["content"]


async def export_zip(fake: FakeDiscord) -> RestFile:
    handle = await fake.invoke("journal export", dm=True)
    _, archive = await followup_file(fake, handle)
    return archive


def exported_entries(archive: RestFile) -> list[dict[str, Any]]:
    json_data, _ = read_export_part(archive.data)
    return json.loads(json_data)["entries"]


async def test_import_restores_an_export_exactly_and_a_second_import_changes_nothing(
    fake_discord: FakeDiscord, bot: StemcellBot
) -> None:
    member = user_id(fake_discord.member)
    await record_a_transplant(fake_discord, dm=True)
    await add_entry(fake_discord, {"notes": "to be deleted"}, dm=True)
    deleted = await journal_of(bot).get(member, 14)
    await journal_of(bot).delete(member, deleted.ref)  # a gap in the numbers, as real journals have
    before = await export_zip(fake_discord)
    assert len(exported_entries(before)) == 13

    asked = await fake_discord.invoke("journal forget", dm=True)
    question = (await asked.wait_response())["data"]
    await (
        await fake_discord.click(asked, button_id(question, f"journal:forget:confirm:{member}:"))
    ).wait_response()
    assert await journal_of(bot).count(member) == 0

    handle = await fake_discord.invoke("journal import", {"file": (before.filename, before.data)}, dm=True)
    answer = (await handle.wait_followup(timeout=30))["content"]
    assert answer == "Imported 13 entries into your journal."
    after = await export_zip(fake_discord)
    assert exported_entries(after) == exported_entries(before)
    assert (await journal_of(bot).get(member, 2)).day_label == "day 0"

    again = await fake_discord.invoke("journal import", {"file": (before.filename, before.data)}, dm=True)
    assert "already in your journal" in (await again.wait_followup(timeout=30))["content"]
    assert await journal_of(bot).count(member) == 13
    assert (await journal_of(bot).add(member, EntryDraft(entry_date=TODAY, notes="next"))).seq == 14


async def test_an_import_with_one_bad_entry_imports_nothing_and_says_which(
    fake_discord: FakeDiscord, bot: StemcellBot
) -> None:
    member = user_id(fake_discord.member)
    await record_a_transplant(fake_discord, dm=True)
    archive = await export_zip(fake_discord)
    json_data, _ = read_export_part(archive.data)
    document = json.loads(json_data)
    [edss] = [entry for entry in document["entries"] if entry["scale"] == "edss"]
    edss["score"] = 0.5  # the EDSS has no 0.5
    for entry in document["entries"]:
        entry["number"] += 100
        entry["created_at"] = entry["created_at"].replace("+00:00", "+01:00")  # not already there
    changed = json.dumps(document).encode()
    handle = await fake_discord.invoke("journal import", {"file": ("journal.json", changed)}, dm=True)
    refusal = (await handle.wait_followup(timeout=30))["content"]
    assert f"Entry #{edss['number']}" in refusal and "not on the scale" in refusal
    assert "Nothing was imported" in refusal
    assert await journal_of(bot).count(member) == 13
    wrong = await fake_discord.invoke("journal import", {"file": ("notes.txt", b"hello")}, dm=True)
    assert "not a journal export" in (await wrong.wait_followup(timeout=30))["content"]


async def test_forget_removes_every_kind_of_entry(fake_discord: FakeDiscord, bot: StemcellBot) -> None:
    member = user_id(fake_discord.member)
    await record_a_transplant(fake_discord)
    assert {e.kind for e in await journal_of(bot).all_entries(member)} == set(EntryKind) - {EntryKind.NOTE}
    asked = await fake_discord.invoke("journal forget")
    question = (await asked.wait_response())["data"]
    assert "13 journal entries" in question["content"]
    done = await fake_discord.click(asked, button_id(question, f"journal:forget:confirm:{member}:"))
    assert "Deleted 13 journal entries" in (await done.wait_response())["data"]["content"]
    assert await journal_of(bot).count(member) == 0
    assert await bot.db.fetch_all("SELECT 1 FROM journal_entries") == []
