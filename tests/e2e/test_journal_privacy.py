"""The journal's privacy and limits through the real client: what `forget` leaves (nothing, in
memory or on disk), buttons bound to the entry they were made for, Undo that expires, a flood of
DM notes, exports that fit what Discord accepts, and logs that tie no Discord id to the journal."""

from __future__ import annotations

import logging
import random
import re
import string
from datetime import UTC, date, datetime
from typing import Any

import pytest
from fake_discord import FakeDiscord
from running_bot import start_bot
from test_journal import (
    EPHEMERAL,
    MODAL,
    UPDATE_MESSAGE,
    add_entry,
    button_id,
    dm_post,
    journal_of,
    send_dm,
    user_id,
)

from bot.app import StemcellBot
from bot.cogs.journal import JournalCog
from bot.cogs.journal_views import RETRY_EXPIRED, UNDO_EXPIRED
from bot.core.clock import FakeClock
from bot.core.journal import rules
from bot.core.journal.export import entries_from_csv, entries_from_json, read_export_part
from bot.core.journal.model import EntryDraft
from bot.services.journal import JournalService

pytestmark = pytest.mark.usefixtures("journal_leaves_nothing_readable")


async def forget_everything(fake: FakeDiscord) -> str:
    """The member runs `/journal forget` in their DM and confirms; returns the bot's answer."""
    member = user_id(fake.member)
    handle = await fake.invoke("journal forget", dm=True)
    question = (await handle.wait_response())["data"]
    click = await fake.click(handle, button_id(question, f"journal:forget:confirm:{member}:"), dm=True)
    return (await click.wait_response())["data"]["content"]


def live_forms_held(bot: StemcellBot, member: int) -> int:
    cog = bot.get_cog("Journal")
    assert isinstance(cog, JournalCog)
    return cog.live_forms.held_for(member)


async def test_an_old_undo_never_removes_the_new_first_entry_after_forget(
    fake_discord: FakeDiscord, bot: StemcellBot
) -> None:
    """Numbers restart at #1 after forget; the Undo of the old #1 must not delete the new #1."""
    member = user_id(fake_discord.member)
    _, old_note = await send_dm(fake_discord, "Before I cleared my journal")
    assert "Deleted 1 journal entry" in await forget_everything(fake_discord)
    call, _ = await send_dm(fake_discord, "A fresh start after clearing")
    assert "entry #1" in call.json["content"]

    click = await fake_discord.click(old_note, button_id(old_note, f"journal:undo:{member}:1."))
    answer = (await click.wait_response())["data"]["content"]
    assert "Entry #1 no longer exists" in answer and "nothing to undo" in answer
    [kept] = await journal_of(bot).all_entries(member)
    assert kept.notes == "A fresh start after clearing"


async def test_an_old_delete_confirmation_never_deletes_the_new_entry_with_its_number(
    fake_discord: FakeDiscord, bot: StemcellBot
) -> None:
    member = user_id(fake_discord.member)
    await add_entry(fake_discord, {"notes": "The old first entry"}, dm=True)
    asked = await fake_discord.invoke("journal delete", {"entry": "1"}, dm=True)
    question = (await asked.wait_response())["data"]
    await forget_everything(fake_discord)
    await add_entry(fake_discord, {"notes": "The new first entry"}, dm=True)

    click = await fake_discord.click(
        asked, button_id(question, f"journal:delete:confirm:{member}:1."), dm=True
    )
    answer = (await click.wait_response())["data"]["content"]
    assert "Entry #1 no longer exists" in answer
    assert [entry.notes for entry in await journal_of(bot).all_entries(member)] == ["The new first entry"]


async def test_undo_expires_after_15_minutes_like_a_confirmation(
    fake_discord: FakeDiscord, bot_env: dict[str, str]
) -> None:
    clock = FakeClock(datetime(2026, 3, 2, 12, 0, tzinfo=UTC))
    member = user_id(fake_discord.member)
    async with start_bot(fake_discord, bot_env, clock=clock) as running:
        _, first = await send_dm(fake_discord, "A note I keep")
        _, second = await send_dm(fake_discord, "A note I undo in time")
        clock.advance(minutes=15, seconds=1)
        late = await fake_discord.click(first, button_id(first, f"journal:undo:{member}:1."))
        refusal = (await late.wait_response())["data"]
        assert refusal["flags"] & EPHEMERAL and refusal["content"] == UNDO_EXPIRED.format(seq=1)
        assert await journal_of(running).count(member) == 2

        clock.set(datetime(2026, 3, 2, 12, 14, tzinfo=UTC))  # within 15 minutes of the second note
        undo = await fake_discord.click(second, button_id(second, f"journal:undo:{member}:2."))
        response = await undo.wait_response()
        assert response["type"] == UPDATE_MESSAGE and "Undone" in response["data"]["content"]
        assert [entry.seq for entry in await journal_of(running).all_entries(member)] == [1]


async def test_try_again_after_forget_does_not_reopen_the_typed_text(
    fake_discord: FakeDiscord, bot: StemcellBot
) -> None:
    """The refused form's text lives in memory for "Try again"; forget drops it."""
    member = user_id(fake_discord.member)
    handle = await fake_discord.invoke("journal add", dm=True)
    await handle.wait_response()
    submitted = await fake_discord.submit_modal(handle, {"feeling": "12", "notes": "Something very private"})
    refusal = (await submitted.wait_response())["data"]
    retry_id = button_id(refusal, f"journal:retry:{member}:")
    assert live_forms_held(bot, member) == 1

    await forget_everything(fake_discord)
    assert live_forms_held(bot, member) == 0
    retry = await fake_discord.click(submitted, retry_id, dm=True)
    answer = await retry.wait_response()
    assert answer["type"] != MODAL and answer["data"]["content"] == RETRY_EXPIRED
    assert await journal_of(bot).count(member) == 0


async def test_a_form_open_when_the_journal_is_forgotten_saves_nothing_afterwards(
    fake_discord: FakeDiscord, bot: StemcellBot
) -> None:
    member = user_id(fake_discord.member)
    handle = await fake_discord.invoke("journal add", dm=True)
    assert (await handle.wait_response())["type"] == MODAL
    assert live_forms_held(bot, member) == 1
    await forget_everything(fake_discord)

    submitted = await fake_discord.submit_modal(handle, {"notes": "Typed before the forget"})
    answer = (await submitted.wait_response(timeout=10))["data"]
    assert answer["flags"] & EPHEMERAL and "not saved" in answer["content"]
    assert await journal_of(bot).count(member) == 0


async def test_a_flood_of_dm_notes_saves_twenty_and_is_answered_once(
    fake_discord: FakeDiscord, bot: StemcellBot
) -> None:
    """Notes past twenty a minute are refused; the first refusal says why, the rest get no reply."""
    member = user_id(fake_discord.member)
    channel = fake_discord.member_dm_channel_id
    mark = len(fake_discord.calls)
    flood = rules.QUICK_NOTES_PER_MINUTE + 5
    for index in range(flood):
        await fake_discord.post_message(channel, f"Flood note number {index}")
    last = f"Flood note number {flood - 1}"
    await fake_discord.wait_until(
        lambda: any(m["content"] == last for m in fake_discord.channel_messages(channel)),
        what="the last note",
    )
    await fake_discord.post_message(channel, "Are you still there?")  # one more, after the burst
    replies = await fake_discord.wait_until(
        lambda: (
            found
            if len(found := [c for c in fake_discord.calls[mark:] if dm_post(fake_discord, channel)(c)])
            >= rules.QUICK_NOTES_PER_MINUTE + 1
            else None
        ),
        what="the replies",
    )
    saved = [c for c in replies if "Saved to your journal" in c.json["content"]]
    refused = [c for c in replies if "within a minute" in c.json["content"]]
    assert (len(saved), len(refused), len(replies)) == (
        rules.QUICK_NOTES_PER_MINUTE,
        1,
        rules.QUICK_NOTES_PER_MINUTE + 1,
    )
    assert await journal_of(bot).count(member) == rules.QUICK_NOTES_PER_MINUTE


def _incompressible(rng: random.Random, size: int) -> str:
    return "".join(rng.choice(string.ascii_letters + string.digits + " ") for _ in range(size))


async def _fill(journal: JournalService, member: int, entries: int) -> None:
    rng = random.Random(7)
    for day in range(entries):
        await journal.add(
            member, EntryDraft(entry_date=date(2025, 1, 1 + day % 28), notes=_incompressible(rng, 1500))
        )


async def test_an_export_bigger_than_the_upload_limit_comes_in_parts_that_fit(
    fake_discord: FakeDiscord, bot: StemcellBot
) -> None:
    """With a small limit reported by the interaction, every file sent fits it, and together the
    parts hold every entry exactly once, as JSON and as CSV."""
    member = user_id(fake_discord.member)
    journal = journal_of(bot)
    await _fill(journal, member, 60)  # some 90 KB of notes that barely compress
    fake_discord.attachment_size_limit = 40_000
    handle = await fake_discord.invoke("journal export", dm=True)
    first = await handle.wait_followup()
    found = re.search(r"comes in (\d+) zip files", first["content"])
    assert found is not None, first["content"]
    parts = int(found.group(1))
    assert parts >= 2
    uploads = await fake_discord.wait_until(
        lambda: (
            calls
            if len(
                calls := [c for c in fake_discord.calls if c.files and handle.token in c.path and c.status]
            )
            == parts
            else None
        ),
        what=f"{parts} parts",
    )
    assert all(call.status == 200 for call in uploads), [call.status for call in uploads]
    from_json: list[Any] = []
    from_csv: list[Any] = []
    for call in uploads:
        [part] = call.files
        assert len(part.data) <= fake_discord.attachment_size_limit and "-part-" in part.filename
        json_data, csv_data = read_export_part(part.data)
        from_json += entries_from_json(json_data, member)
        from_csv += entries_from_csv(csv_data, member)
    stored = await journal.all_entries(member)
    assert from_json == from_csv == stored
    assert f"Part 2 of {parts}" in uploads[1].json["content"]


async def test_an_export_that_cannot_fit_at_all_says_why(fake_discord: FakeDiscord, bot: StemcellBot) -> None:
    member = user_id(fake_discord.member)
    await _fill(journal_of(bot), member, 2)
    fake_discord.attachment_size_limit = 500
    handle = await fake_discord.invoke("journal export", dm=True)
    message = await handle.wait_followup()
    assert "even a single entry" in message["content"] and "Nothing was changed" in message["content"]
    assert not [c for c in fake_discord.calls if c.files and handle.token in c.path]


async def test_no_log_line_ties_a_discord_id_to_the_journal(
    fake_discord: FakeDiscord,
    bot: StemcellBot,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Everything a member does in the journal, a failure included, logs nothing with their id (or
    anyone's) in it, at any level."""
    caplog.set_level(logging.DEBUG, logger="bot")
    member = user_id(fake_discord.member)
    await add_entry(fake_discord, {"notes": "Logged?", "feeling": 5})
    await send_dm(fake_discord, "A quick note")
    for name, options in (
        ("journal remind", {"cadence": "daily", "time": "20:30", "timezone": "Europe/London"}),
        ("journal timezone", {"zone": "Europe/London"}),
        ("journal export", {}),
        ("journal view", {"entry": "1"}),
    ):
        handle = await fake_discord.invoke(name, options, dm=True)
        await handle.wait_response()
    other = await fake_discord.invoke("journal view", {"entry": "1"}, user=fake_discord.moderator)
    await other.wait_response()

    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(JournalService, "list_page", broken)
    failed = await fake_discord.invoke("journal list", dm=True)
    assert "went wrong" in (await failed.wait_response())["data"]["content"]
    await forget_everything(fake_discord)

    records = [record for record in caplog.records if record.name.startswith("bot")]
    assert any("Command /journal list failed" in record.getMessage() for record in records)
    for record in records:
        text = record.getMessage() + (
            logging.Formatter().formatException(record.exc_info) if record.exc_info else ""
        )
        for person in (member, user_id(fake_discord.moderator)):
            assert str(person) not in text, f"{record.name}: {record.getMessage()}"
        assert "Europe/London" not in text and "Logged?" not in text


async def test_the_text_kept_for_try_again_goes_after_30_minutes(
    fake_discord: FakeDiscord, bot_env: dict[str, str]
) -> None:
    clock = FakeClock(datetime(2026, 3, 2, 12, 0, tzinfo=UTC))
    member = user_id(fake_discord.member)
    async with start_bot(fake_discord, bot_env, clock=clock) as running:
        handle = await fake_discord.invoke("journal add", dm=True)
        await handle.wait_response()
        submitted = await fake_discord.submit_modal(handle, {"feeling": "12", "notes": "Kept a while"})
        refusal = (await submitted.wait_response())["data"]
        clock.advance(minutes=30, seconds=1)
        retry = await fake_discord.click(submitted, button_id(refusal, f"journal:retry:{member}:"), dm=True)
        assert (await retry.wait_response())["data"]["content"] == RETRY_EXPIRED
        assert live_forms_held(running, member) == 0
