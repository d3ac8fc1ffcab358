"""`/journal` and DM quick notes through the real discord.py client: private, validated, and deletable."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fake_discord import FakeDiscord, InteractionHandle, RestCall
from running_bot import start_bot

from bot.app import StemcellBot
from bot.cogs.journal import REMINDER_MESSAGE, JournalCog
from bot.cogs.journal_views import KEPT_TEXT_FILENAME, NOT_YOURS, ForgetButton
from bot.core.clock import FakeClock
from bot.core.journal.export import entries_from_csv, entries_from_json, read_export_part
from bot.services.journal import JournalService

# Every test here also proves the database it wrote reveals no Discord id and nothing typed.
pytestmark = pytest.mark.usefixtures("journal_leaves_nothing_readable")

EPHEMERAL = 1 << 6
MODAL, UPDATE_MESSAGE = 9, 7
MESSAGES_ROUTE = "/channels/{channel_id}/messages"


def journal_of(bot: StemcellBot) -> JournalService:
    cog = bot.get_cog("Journal")
    assert isinstance(cog, JournalCog)
    return cog.service


def user_id(user: dict[str, Any]) -> int:
    return int(user["id"])


def custom_ids(message: dict[str, Any]) -> list[str]:
    return [c["custom_id"] for row in message.get("components", []) for c in row.get("components", [])]


def button_id(message: dict[str, Any], prefix: str) -> str:
    """The one button whose custom id starts with `prefix` (ids may carry more, such as a time)."""
    [found] = [custom_id for custom_id in custom_ids(message) if custom_id.startswith(prefix)]
    return found


def modal_fields(response: dict[str, Any]) -> dict[str, str | None]:
    """custom_id -> prefilled value of every text input in a modal response."""
    found: dict[str, str | None] = {}

    def walk(components: list[dict[str, Any]]) -> None:
        for component in components:
            if component.get("type") == 4:
                found[component["custom_id"]] = component.get("value")
            walk(component.get("components") or [])
            if isinstance(component.get("component"), dict):
                walk([component["component"]])

    walk(response["data"]["components"])
    return found


def modal_menus(response: dict[str, Any]) -> dict[str, list[str]]:
    """custom_id -> values shown as chosen, of every select menu in a modal response."""
    found: dict[str, list[str]] = {}

    def walk(components: list[dict[str, Any]]) -> None:
        for component in components:
            if component.get("type") == 3:
                found[component["custom_id"]] = [o["value"] for o in component["options"] if o.get("default")]
            walk(component.get("components") or [])
            if isinstance(component.get("component"), dict):
                walk([component["component"]])

    walk(response["data"]["components"])
    return found


def dm_post(fake: FakeDiscord, channel_id: int) -> Callable[[RestCall], bool]:
    return lambda c: (
        c.method == "POST" and c.route == MESSAGES_ROUTE and c.params["channel_id"] == str(channel_id)
    )


async def add_entry(fake: FakeDiscord, options: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    reply = await (await fake.invoke("journal add", options, **kwargs)).wait_response()
    assert "Saved to your journal" in reply["data"]["content"], reply
    return reply


async def send_dm(fake: FakeDiscord, text: str) -> tuple[RestCall, dict[str, Any]]:
    """The member DMs the bot; returns the bot's answer (the call and the message as stored)."""
    mark = len(fake.calls)
    await fake.post_message(fake.member_dm_channel_id, text)
    call = await fake.wait_for_call(dm_post(fake, fake.member_dm_channel_id), after=mark)
    return call, fake.channel_messages(fake.member_dm_channel_id)[-1]


async def test_add_modal_then_list_shows_the_entry_privately_in_a_server(
    fake_discord: FakeDiscord, bot: StemcellBot
) -> None:
    """The form opens with the date prefilled; what it saves is listed, and only the member sees it."""
    handle = await fake_discord.invoke("journal add")
    response = await handle.wait_response()
    assert response["type"] == MODAL
    assert modal_fields(response)["date"] == "today"
    assert len(modal_fields(response)) == 4 and modal_menus(response) == {"phase": []}
    submitted = await fake_discord.submit_modal(
        handle,
        {
            "feeling": "6",
            "symptoms": "fatigue 6, pain 3",
            "phase": ["recovery"],
            "notes": "Walked to the corner shop today",
        },
    )
    saved = (await submitted.wait_response())["data"]
    assert saved["flags"] & EPHEMERAL and "entry #1" in saved["content"]

    # The second step: therapy (a menu), side effects, and the rest as they were.
    more = await fake_discord.click(
        submitted, button_id(saved, f"journal:more:{user_id(fake_discord.member)}:1.")
    )
    details = await more.wait_response()
    assert details["type"] == MODAL and modal_menus(details)["phase"] == ["recovery"]
    assert modal_fields(details)["notes"] == "Walked to the corner shop today"
    step_two = await fake_discord.submit_modal(more, {"therapy": ["ahsct"], "side_effects": "tired"})
    assert "entry #1 is updated" in (await step_two.wait_response())["data"]["content"].lower()

    listed = await (await fake_discord.invoke("journal list")).wait_response()
    assert listed["data"]["flags"] & EPHEMERAL
    description = listed["data"]["embeds"][0]["description"]
    assert "**#1**" in description and "Walked to the corner shop" in description
    [entry] = await journal_of(bot).all_entries(user_id(fake_discord.member))
    assert (entry.feeling, entry.fatigue, entry.pain) == (6, 6, 3)
    assert entry.therapy is not None and entry.therapy.value == "ahsct"
    assert entry.phase is not None and entry.phase.value == "recovery"


async def test_guild_list_is_ephemeral_even_when_empty(fake_discord: FakeDiscord, bot: StemcellBot) -> None:
    reply = await (await fake_discord.invoke("journal list")).wait_response()
    assert reply["data"]["flags"] & EPHEMERAL and "empty" in reply["data"]["content"]


async def test_dm_replies_are_not_ephemeral(fake_discord: FakeDiscord, bot: StemcellBot) -> None:
    await add_entry(fake_discord, {"notes": "First day home"}, dm=True)
    reply = await (await fake_discord.invoke("journal view", {"entry": "#1"}, dm=True)).wait_response()
    assert not reply["data"].get("flags", 0) & EPHEMERAL
    assert reply["data"]["embeds"][0]["description"] == "First day home"


async def test_dm_quick_note_is_saved_and_undo_removes_exactly_it(
    fake_discord: FakeDiscord, bot: StemcellBot
) -> None:
    member = user_id(fake_discord.member)
    await add_entry(fake_discord, {"notes": "An earlier entry"}, dm=True)
    call, message = await send_dm(fake_discord, "Tired after the infusion, slept most of the day")
    assert "entry #2" in call.json["content"]
    undo_id = button_id(message, f"journal:undo:{member}:2.")  # the entry's number and its key
    assert custom_ids(message) == [undo_id]
    [_, note] = await journal_of(bot).all_entries(member)
    assert note.notes == "Tired after the infusion, slept most of the day" and note.source.value == "dm_quick"

    click = await fake_discord.click(message, undo_id)
    response = await click.wait_response()
    assert response["type"] == UPDATE_MESSAGE and "Undone" in response["data"]["content"]
    assert [e.seq for e in await journal_of(bot).all_entries(member)] == [1]


async def test_an_overlong_dm_is_refused_and_nothing_is_saved(
    fake_discord: FakeDiscord, bot: StemcellBot
) -> None:
    call, message = await send_dm(fake_discord, "x" * 4001)
    assert "Nothing was saved" in call.json["content"] and "4,000" in call.json["content"]
    assert custom_ids(message) == []
    assert await journal_of(bot).count(user_id(fake_discord.member)) == 0


async def test_export_attachments_parse_as_json_and_csv_with_the_same_entries(
    fake_discord: FakeDiscord, bot: StemcellBot
) -> None:
    member = user_id(fake_discord.member)
    await add_entry(fake_discord, {"notes": "=1+1 looks like a formula", "feeling": 4})
    await add_entry(fake_discord, {"date": "yesterday", "symptoms": "fatigue 7", "phase": "recovery"})
    handle = await fake_discord.invoke("journal export")
    await handle.wait_followup()
    call = next(c for c in fake_discord.calls if c.files and handle.token in c.path)
    [archive] = call.files
    assert archive.filename.endswith(".zip")
    json_data, csv_data = read_export_part(archive.data)
    from_json = entries_from_json(json_data, member)
    from_csv = entries_from_csv(csv_data, member)
    stored = await journal_of(bot).all_entries(member)
    assert from_json == from_csv == stored
    assert {e.notes for e in from_json} == {"=1+1 looks like a formula", None}


async def test_summary_attaches_a_png_chart_as_the_embed_image(
    fake_discord: FakeDiscord, bot: StemcellBot
) -> None:
    await add_entry(fake_discord, {"feeling": 5, "symptoms": "fatigue 6, pain 2"}, dm=True)
    await add_entry(fake_discord, {"date": "yesterday", "feeling": 7}, dm=True)
    handle = await fake_discord.invoke("journal summary", dm=True)
    message = await handle.wait_followup()
    call = next(c for c in fake_discord.calls if c.files and handle.token in c.path)
    [chart] = call.files
    assert chart.data.startswith(b"\x89PNG\r\n\x1a\n")
    embed = message["embeds"][0]
    assert embed["image"]["url"] == f"attachment://{chart.filename}"
    assert "2 entries" in embed["description"]
    assert any("How I feel" in f["value"] for f in embed["fields"])


async def test_forget_leaves_no_row_about_the_member_in_any_table(
    fake_discord: FakeDiscord, bot: StemcellBot
) -> None:
    member = user_id(fake_discord.member)
    await add_entry(fake_discord, {"notes": "Something private", "feeling": 3}, dm=True)
    await send_dm(fake_discord, "A quick note")
    remind = fake_discord.invoke(
        "journal remind", {"cadence": "daily", "time": "20:30", "timezone": "Europe/London"}, dm=True
    )
    assert "reminder" in (await (await remind).wait_response())["data"]["content"]

    handle = await fake_discord.invoke("journal forget", dm=True)
    question = (await handle.wait_response())["data"]
    assert "2 journal entries" in question["content"]
    click = await fake_discord.click(handle, button_id(question, f"journal:forget:confirm:{member}:"))
    answer = (await click.wait_response())["data"]["content"]
    assert "Deleted 2 journal entries, your reminder and your journal settings" in answer

    tables = await bot.db.fetch_all("SELECT name FROM sqlite_master WHERE type = 'table'")
    for table in (row["name"] for row in tables):
        columns = await bot.db.fetch_all("SELECT name FROM pragma_table_info(?)", (table,))
        for column in (row["name"] for row in columns):
            # Names come from sqlite_master itself; identifiers cannot be bound as parameters.
            query = f'SELECT 1 FROM "{table}" WHERE "{column}" = ? OR "{column}" = ?'  # noqa: S608
            rows = await bot.db.fetch_all(query, (member, str(member)))
            assert rows == [], f"{table}.{column} still holds the member's id"


async def test_a_reminder_due_moments_ago_is_sent_once_by_dm(
    fake_discord: FakeDiscord, bot_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = FakeClock(datetime(2026, 3, 2, 12, 0, tzinfo=UTC))
    monkeypatch.setattr(JournalCog, "reminder_interval", 0.05)
    async with start_bot(fake_discord, bot_env, clock=clock) as running:
        reply = await (
            await fake_discord.invoke(
                "journal remind", {"cadence": "daily", "time": "12:30", "timezone": "UTC"}
            )
        ).wait_response()
        assert reply["data"]["flags"] & EPHEMERAL and "daily at 12:30 (UTC)" in reply["data"]["content"]
        mark = len(fake_discord.calls)
        clock.set(datetime(2026, 3, 2, 12, 30, 4, tzinfo=UTC))
        call = await fake_discord.wait_for_call(
            dm_post(fake_discord, fake_discord.member_dm_channel_id), after=mark
        )
        assert call.json["content"] == REMINDER_MESSAGE
        await asyncio.sleep(0.4)  # several more rounds of the loop
        assert (
            len(
                [
                    c
                    for c in fake_discord.calls[mark:]
                    if dm_post(fake_discord, fake_discord.member_dm_channel_id)(c)
                ]
            )
            == 1
        )
        settings = await journal_of(running).get_reminder(user_id(fake_discord.member))
        assert settings is not None
        assert settings.next_due_at == datetime(2026, 3, 3, 12, 30, tzinfo=UTC)


async def test_a_reminder_missed_long_ago_is_skipped_not_sent_late(
    fake_discord: FakeDiscord, bot_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = FakeClock(datetime(2026, 3, 2, 12, 0, tzinfo=UTC))
    monkeypatch.setattr(JournalCog, "reminder_interval", 0.05)
    async with start_bot(fake_discord, bot_env, clock=clock) as running:
        await (
            await fake_discord.invoke(
                "journal remind", {"cadence": "daily", "time": "12:30", "timezone": "UTC"}
            )
        ).wait_response()
        mark = len(fake_discord.calls)
        clock.set(datetime(2026, 3, 9, 9, 0, tzinfo=UTC))  # a week of downtime
        member = user_id(fake_discord.member)

        async def moved_on() -> bool:
            settings = await journal_of(running).get_reminder(member)
            return settings is not None and settings.next_due_at > clock.now()

        for _ in range(50):
            if await moved_on():
                break
            await asyncio.sleep(0.05)
        assert await moved_on()
        assert not [
            c
            for c in fake_discord.calls[mark:]
            if dm_post(fake_discord, fake_discord.member_dm_channel_id)(c)
        ]


async def test_another_member_gets_no_entry_for_a_number_only_someone_else_has(
    fake_discord: FakeDiscord, bot: StemcellBot
) -> None:
    await add_entry(fake_discord, {"notes": "Ana's private note"})
    reply = await (
        await fake_discord.invoke("journal view", {"entry": "1"}, user=fake_discord.moderator)
    ).wait_response()
    assert reply["data"]["flags"] & EPHEMERAL
    assert "You have no entry #1" in reply["data"]["content"]
    assert "Ana" not in str(reply)


async def test_another_member_cannot_press_the_owners_buttons(
    fake_discord: FakeDiscord, bot: StemcellBot
) -> None:
    member = user_id(fake_discord.member)
    await add_entry(fake_discord, {"notes": "Keep me"})
    handle = await fake_discord.invoke("journal delete", {"entry": "1"})
    question = (await handle.wait_response())["data"]
    confirm_id = button_id(question, f"journal:delete:confirm:{member}:1.")
    for custom_id in (confirm_id, f"journal:undo:{member}:1"):
        if custom_id.startswith("journal:undo"):
            _, message = await send_dm(fake_discord, "Another note")
            custom_id = custom_ids(message)[0]
            target: InteractionHandle | dict[str, Any] = message
        else:
            target = handle
        click = await fake_discord.click(target, custom_id, user=fake_discord.moderator)
        refusal = await click.wait_response()
        assert refusal["data"]["flags"] & EPHEMERAL and refusal["data"]["content"] == NOT_YOURS
    assert await journal_of(bot).count(member) == 2


async def test_delete_asks_then_deletes_only_on_confirm(fake_discord: FakeDiscord, bot: StemcellBot) -> None:
    member = user_id(fake_discord.member)
    await add_entry(fake_discord, {"notes": "one"})
    await add_entry(fake_discord, {"notes": "two"})
    handle = await fake_discord.invoke("journal delete", {"entry": "2"})
    question = (await handle.wait_response())["data"]
    cancel = await fake_discord.click(handle, button_id(question, f"journal:delete:cancel:{member}:2."))
    assert "Nothing was deleted" in (await cancel.wait_response())["data"]["content"]
    handle = await fake_discord.invoke("journal delete", {"entry": "#2"})
    question = (await handle.wait_response())["data"]
    confirm = await fake_discord.click(handle, button_id(question, f"journal:delete:confirm:{member}:2."))
    assert "Entry #2" in (await confirm.wait_response())["data"]["content"]
    assert [e.seq for e in await journal_of(bot).all_entries(member)] == [1]


async def test_edit_opens_the_form_prefilled_and_saves_changes(
    fake_discord: FakeDiscord, bot: StemcellBot
) -> None:
    member = user_id(fake_discord.member)
    await add_entry(
        fake_discord, {"notes": "Before", "feeling": 5, "symptoms": "pain 4", "phase": "infusion"}
    )
    handle = await fake_discord.invoke("journal edit", {"entry": "1"})
    response = await handle.wait_response()
    assert response["type"] == MODAL
    fields = modal_fields(response)
    assert fields["notes"] == "Before" and fields["feeling"] == "5" and fields["symptoms"] == "pain 4"
    assert modal_menus(response)["phase"] == ["infusion"]
    submitted = await fake_discord.submit_modal(handle, {"notes": "After", "feeling": "7"})
    assert "updated" in (await submitted.wait_response())["data"]["content"]
    entry = await journal_of(bot).get(member, 1)
    assert (entry.notes, entry.feeling, entry.pain) == ("After", 7, 4)


async def test_list_pages_with_next_and_previous(fake_discord: FakeDiscord, bot: StemcellBot) -> None:
    member = user_id(fake_discord.member)
    today = datetime.now(UTC).date()
    for day in range(12):
        await add_entry(
            fake_discord, {"notes": f"day {day}", "date": (today - timedelta(days=day)).isoformat()}
        )
    handle = await fake_discord.invoke("journal list")
    first = (await handle.wait_response())["data"]
    assert "Page 1 of 2" in first["embeds"][0]["footer"]["text"]
    click = await fake_discord.click(handle, f"journal:page:{member}:2:next")
    second = (await click.wait_response())["data"]
    assert "Page 2 of 2" in second["embeds"][0]["footer"]["text"]
    assert "**#11**" in second["embeds"][0]["description"]


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"notes": "x", "date": "2999-01-01"}, "is in the future"),
        ({"notes": "x", "date": "03/02/2026"}, "YYYY-MM-DD"),
        ({"feeling": 11}, "from 0 to 10"),
        ({"symptoms": "fatigue 12"}, "from 0 to 10"),
        ({"notes": "x" * 4001}, "the limit is 4,000"),
    ],
)
async def test_bad_options_get_a_kind_message_and_change_nothing(
    fake_discord: FakeDiscord, bot: StemcellBot, options: dict[str, Any], expected: str
) -> None:
    reply = await (await fake_discord.invoke("journal add", options)).wait_response()
    assert reply["data"]["flags"] & EPHEMERAL
    assert expected in reply["data"]["content"] and "Nothing was saved" in reply["data"]["content"]
    assert await journal_of(bot).count(user_id(fake_discord.member)) == 0


async def test_a_refused_form_offers_to_try_again_with_the_text_kept(
    fake_discord: FakeDiscord, bot: StemcellBot
) -> None:
    handle = await fake_discord.invoke("journal add")
    await handle.wait_response()
    submitted = await fake_discord.submit_modal(handle, {"feeling": "12", "notes": "A long day"})
    refusal = (await submitted.wait_response())["data"]
    assert refusal["flags"] & EPHEMERAL and "Nothing was saved" in refusal["content"]
    retry = await fake_discord.click(submitted, button_id(refusal, "journal:retry:"))
    reopened = await retry.wait_response()
    assert reopened["type"] == MODAL and modal_fields(reopened)["notes"] == "A long day"
    assert await journal_of(bot).count(user_id(fake_discord.member)) == 0


async def test_a_refused_form_also_attaches_the_typed_text_so_it_outlives_the_button(
    fake_discord: FakeDiscord, bot: StemcellBot
) -> None:
    """Try again stops after 30 minutes or a restart; the attached copy keeps every word."""
    handle = await fake_discord.invoke("journal add")
    await handle.wait_response()
    note = "Day +12.\nNeutrophils up, walked to the window twice."
    submitted = await fake_discord.submit_modal(
        handle, {"feeling": "12", "symptoms": "fatigue 6", "notes": note}
    )
    refusal = (await submitted.wait_response())["data"]
    assert "nothing is lost" in refusal["content"] and button_id(refusal, "journal:retry:")
    callback = fake_discord.calls_to("POST", "/interactions/{interaction_id}/{token}/callback")[-1]
    kept = callback.file(KEPT_TEXT_FILENAME).text()
    assert note in kept and "How I feel: 12" in kept and "Symptoms: fatigue 6" in kept


async def test_unknown_entry_numbers_get_a_kind_message(fake_discord: FakeDiscord, bot: StemcellBot) -> None:
    for name in ("journal view", "journal edit", "journal delete"):
        reply = await (await fake_discord.invoke(name, {"entry": "7"})).wait_response()
        assert "You have no entry #7" in reply["data"]["content"], name
    reply = await (await fake_discord.invoke("journal view", {"entry": "seven"})).wait_response()
    assert "is not an entry number" in reply["data"]["content"]


async def test_a_form_open_across_a_restart_hands_the_text_back(
    fake_discord: FakeDiscord, bot_env: dict[str, str]
) -> None:
    """Forms live in memory: after a restart nothing can save one, but the member's words come back."""
    async with start_bot(fake_discord, bot_env) as first:
        handle = await fake_discord.invoke("journal add", dm=True)
        await handle.wait_response()
        await first.wait_until_ready()  # let discord.py's delayed ready event run before closing
    async with start_bot(fake_discord, bot_env) as restarted:
        submitted = await fake_discord.submit_modal(
            handle, {"notes": "Day +9. Counts coming back.", "feeling": "6"}
        )
        data = (await submitted.wait_response())["data"]
        assert (
            data["flags"] & EPHEMERAL
            and "not saved" in data["content"]
            and "nothing is lost" in data["content"]
        )
        callback = fake_discord.calls_to("POST", "/interactions/{interaction_id}/{token}/callback")[-1]
        kept = callback.file("your-text.txt").text()
        assert "Day +9. Counts coming back." in kept and "6" in kept
        assert await restarted.services.journal.count(int(fake_discord.member["id"])) == 0


async def test_a_4000_character_markdown_note_can_be_saved_viewed_and_deleted(
    fake_discord: FakeDiscord, bot: StemcellBot
) -> None:
    """Escaping doubles a note full of markdown; the embed must still fit, or the entry is stuck."""
    member = user_id(fake_discord.member)
    note = ("- **~~||__``\\\\ *bold* _x_\n" * 200)[:4000]
    saved = await add_entry(fake_discord, {"notes": note, "feeling": 4, "side_effects": "*_" * 500})
    assert saved["data"]["embeds"][0]["description"].startswith("\\- \\*\\*")

    viewed = (await (await fake_discord.invoke("journal view", {"entry": "1"})).wait_response())["data"]
    [embed] = viewed["embeds"]
    continued = [f["value"] for f in embed["fields"] if f["name"] == "Notes (continued)"]
    assert continued and "/journal export" in continued[-1]

    handle = await fake_discord.invoke("journal delete", {"entry": "1"})
    question = (await handle.wait_response())["data"]
    click = await fake_discord.click(handle, button_id(question, f"journal:delete:confirm:{member}:1."))
    assert "is deleted" in (await click.wait_response())["data"]["content"]
    assert await journal_of(bot).count(member) == 0


async def test_delete_and_forget_confirmations_expire_after_15_minutes(
    fake_discord: FakeDiscord, bot_env: dict[str, str]
) -> None:
    """A stray tap on an old confirmation months later must not delete anything."""
    clock = FakeClock(datetime(2026, 3, 2, 12, 0, tzinfo=UTC))
    member = user_id(fake_discord.member)
    async with start_bot(fake_discord, bot_env, clock=clock) as running:
        await add_entry(fake_discord, {"notes": "Keep me"}, dm=True)
        forget = await fake_discord.invoke("journal forget", dm=True)
        forget_question = (await forget.wait_response())["data"]
        delete = await fake_discord.invoke("journal delete", {"entry": "1"}, dm=True)
        delete_question = (await delete.wait_response())["data"]
        stamp = int(clock.now().timestamp())
        assert (
            button_id(forget_question, "journal:forget:confirm") == f"journal:forget:confirm:{member}:{stamp}"
        )

        clock.advance(minutes=15, seconds=1)
        for handle, question, prefix, expected in (
            (forget, forget_question, "journal:forget:confirm", "run `/journal forget` again"),
            (delete, delete_question, "journal:delete:confirm", "run `/journal delete` again"),
        ):
            click = await fake_discord.click(handle, button_id(question, prefix), dm=True)
            refusal = (await click.wait_response())["data"]
            assert refusal["flags"] & EPHEMERAL and "This confirmation has expired" in refusal["content"]
            assert expected in refusal["content"]
        assert await journal_of(running).count(member) == 1

        # A button from before confirmations carried their time is still recognised, as expired.
        legacy = ForgetButton.__discord_ui_compiled_template__.fullmatch(f"journal:forget:confirm:{member}")
        assert legacy is not None
        button = await ForgetButton.from_custom_id(None, None, legacy)  # type: ignore[arg-type]
        assert button.created_at is None

        fresh = await fake_discord.invoke("journal delete", {"entry": "1"}, dm=True)
        fresh_question = (await fresh.wait_response())["data"]
        clock.advance(minutes=14)
        confirm = await fake_discord.click(
            fresh, button_id(fresh_question, "journal:delete:confirm"), dm=True
        )
        assert "is deleted" in (await confirm.wait_response())["data"]["content"]


async def test_the_symptoms_option_is_limited_like_the_form(
    fake_discord: FakeDiscord, bot: StemcellBot
) -> None:
    """Discord itself stops a longer symptoms text, and the bot refuses one kindly if it arrives."""
    [journal] = [c for c in fake_discord.commands[None] if c["name"] == "journal"]
    [add] = [o for o in journal["options"] if o["name"] == "add"]
    [symptoms] = [o for o in add["options"] if o["name"] == "symptoms"]
    assert symptoms["max_length"] == 200


async def test_a_member_without_a_time_zone_can_write_for_their_own_today(
    fake_discord: FakeDiscord, bot_env: dict[str, str]
) -> None:
    """09:30 on 2 January in Sydney is 22:30 on 1 January in UTC: the 2nd is not 'in the future'."""
    clock = FakeClock(datetime(2026, 1, 1, 22, 30, tzinfo=UTC))
    member = user_id(fake_discord.member)
    async with start_bot(fake_discord, bot_env, clock=clock) as running:
        saved = await add_entry(fake_discord, {"notes": "Slept well", "date": "2026-01-02"}, dm=True)
        assert "time zone" not in saved["data"]["content"]  # an exact date needs no hint
        today = await add_entry(fake_discord, {"notes": "Written today"}, dm=True)
        assert "today is 2026-01-01 as counted in UTC" in today["data"]["content"]
        assert "/journal timezone" in today["data"]["content"]
        call, _ = await send_dm(fake_discord, "A quick note")
        assert "as counted in UTC" in call.json["content"]

        handle = await fake_discord.invoke("journal timezone", {"zone": "Australia/Sydney"}, dm=True)
        answer = (await handle.wait_response())["data"]["content"]
        assert "Australia/Sydney" in answer and "today there is 2026-01-02" in answer
        local = await add_entry(fake_discord, {"notes": "Now in my own time zone"}, dm=True)
        assert "UTC" not in local["data"]["content"]
        dates = [e.entry_date.isoformat() for e in await journal_of(running).all_entries(member)]
        assert dates == ["2026-01-01", "2026-01-01", "2026-01-02", "2026-01-02"]


async def test_the_timezone_command_moves_an_existing_reminder_too(
    fake_discord: FakeDiscord, bot_env: dict[str, str]
) -> None:
    clock = FakeClock(datetime(2026, 3, 2, 12, 0, tzinfo=UTC))
    async with start_bot(fake_discord, bot_env, clock=clock) as running:
        remind = await fake_discord.invoke("journal remind", {"cadence": "daily", "time": "20:30"}, dm=True)
        assert "UTC" in (await remind.wait_response())["data"]["content"]
        handle = await fake_discord.invoke("journal timezone", {"zone": "Europe/Berlin"}, dm=True)
        answer = (await handle.wait_response())["data"]["content"]
        assert "daily at 20:30 (Europe/Berlin)" in answer
        settings = await journal_of(running).get_reminder(user_id(fake_discord.member))
        assert settings is not None and settings.timezone == "Europe/Berlin"
        assert settings.next_due_at == datetime(2026, 3, 2, 19, 30, tzinfo=UTC)
        wrong = await fake_discord.invoke("journal timezone", {"zone": "Atlantis/Nowhere"}, dm=True)
        assert "I don't know the time zone" in (await wrong.wait_response())["data"]["content"]


async def test_button_views_are_not_kept_in_memory_per_message(
    fake_discord: FakeDiscord, bot: StemcellBot
) -> None:
    """Views of dynamic items only are routed by custom id; discord.py must not hold one per message."""
    member = user_id(fake_discord.member)
    store = bot._connection._view_store
    _, message = await send_dm(fake_discord, "A note with an Undo button")
    for day in range(11):
        await add_entry(fake_discord, {"notes": f"day {day}"}, dm=True)
    listed = await fake_discord.invoke("journal list", dm=True)
    await listed.wait_response()
    asked = await fake_discord.invoke("journal forget", dm=True)
    await asked.wait_response()
    assert store._synced_message_views == {}

    click = await fake_discord.click(listed, f"journal:page:{member}:2:next", dm=True)
    assert "Page 2 of 2" in (await click.wait_response())["data"]["embeds"][0]["footer"]["text"]
    undo = await fake_discord.click(message, button_id(message, f"journal:undo:{member}:1."))
    assert "Undone" in (await undo.wait_response())["data"]["content"]
    assert store._synced_message_views == {}


async def test_a_pinned_message_notice_in_the_dm_is_not_taken_for_a_note(
    fake_discord: FakeDiscord, bot: StemcellBot
) -> None:
    """System messages reach the DM handler too; they must get no 'your message had no text' reply."""
    channel = fake_discord.member_dm_channel_id
    pins_add = 6  # Discord's CHANNEL_PINNED_MESSAGE
    mark = len(fake_discord.calls)
    await fake_discord.post_message(channel, "", author=fake_discord.member, message_type=pins_add)
    call, _ = await send_dm(fake_discord, "Real words")
    assert [c for c in fake_discord.calls[mark:] if dm_post(fake_discord, channel)(c)] == [call]
    assert "entry #1" in call.json["content"]
    [entry] = await journal_of(bot).all_entries(user_id(fake_discord.member))
    assert entry.notes == "Real words"
