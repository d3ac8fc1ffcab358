"""The clinic watch's three outcomes through the real client: quiet on members' own care, the ISSCR
caution on unproven clinics, the centre card on aHSCT abroad; both buttons; and the moderators'
dry run and word lists."""

from __future__ import annotations

from typing import Any

from channel_watch import CLINIC_MESSAGE, MESSAGES_ROUTE, reply_to, stays_silent
from fake_discord import FakeDiscord, RestCall

from bot.app import StemcellBot

EPHEMERAL = 1 << 6
OWN_CARE = "Back at the transplant clinic for my day +30 bloods, counts are climbing"
ABROAD = "Thinking of paying out of pocket for HSCT in Mexico since my neuro won't refer me"


def custom_ids(message: dict[str, Any]) -> list[str]:
    return [c["custom_id"] for row in message.get("components", []) for c in row.get("components", [])]


async def card_for(fake: FakeDiscord, text: str) -> tuple[RestCall, dict[str, Any]]:
    """Post `text` as the member; the bot's reply call and the card message as the fake stored it."""
    mark = len(fake.calls)
    message = await fake.post_message(fake.channel_id, text)
    call = await reply_to(fake, message, mark)
    [card] = [m for m in fake.channel_messages(fake.channel_id) if m.get("embeds")][-1:]
    return call, card


async def test_members_own_care_gets_no_card(fake_discord: FakeDiscord, bot: StemcellBot) -> None:
    mark = len(fake_discord.calls)
    await fake_discord.post_message(fake_discord.channel_id, OWN_CARE)
    assert await stays_silent(fake_discord, mark)


async def test_an_unproven_clinic_gets_the_caution_with_both_buttons(
    fake_discord: FakeDiscord, bot: StemcellBot
) -> None:
    call, card = await card_for(fake_discord, CLINIC_MESSAGE)
    assert call.json["embeds"][0]["title"] == bot.content.caution.title
    ids = custom_ids(card)
    assert "clinicwatch:questions:caution" in ids
    assert any(i.startswith("clinicwatch:notrelevant:caution:") for i in ids)
    assert call.json["allowed_mentions"]["parse"] == []


async def test_ahsct_abroad_gets_the_centre_card_not_the_caution(
    fake_discord: FakeDiscord, bot: StemcellBot
) -> None:
    call, card = await card_for(fake_discord, ABROAD)
    assert call.json["embeds"][0]["title"] == bot.content.centre.title
    assert "aHSCT" in call.json["content"] and "Mexico" not in call.json["content"]
    assert "clinicwatch:questions:centre" in custom_ids(card)


async def test_questions_to_ask_answers_anyone_privately_with_the_cards_checklist(
    fake_discord: FakeDiscord, bot: StemcellBot
) -> None:
    _, card = await card_for(fake_discord, ABROAD)
    handle = await fake_discord.click(card, "clinicwatch:questions:centre", user=fake_discord.moderator)
    data = (await handle.wait_response())["data"]
    assert data["flags"] & EPHEMERAL
    assert data["embeds"][0]["title"] == bot.content.questions.centre.title


async def test_not_relevant_is_counted_once_per_card_and_reported_to_the_moderators(
    fake_discord: FakeDiscord, bot: StemcellBot
) -> None:
    log_channel = fake_discord.other_channel_id
    await (
        await fake_discord.invoke("modlog channel", {"channel": log_channel}, user=fake_discord.moderator)
    ).wait_response()
    _, card = await card_for(fake_discord, CLINIC_MESSAGE)
    [report_id] = [i for i in custom_ids(card) if i.startswith("clinicwatch:notrelevant:")]
    mark = len(fake_discord.calls)
    first = (await (await fake_discord.click(card, report_id, user=fake_discord.member)).wait_response())[
        "data"
    ]
    assert first["flags"] & EPHEMERAL and "let the moderators know" in first["content"]
    logged = await fake_discord.wait_for_call(
        lambda c: (
            c.method == "POST"
            and c.route == MESSAGES_ROUTE
            and c.params["channel_id"] == str(log_channel)
            and "not relevant" in c.json["embeds"][0]["title"]
        ),
        after=mark,
    )
    assert "ISSCR caution" in str(logged.json["embeds"][0]["fields"])
    assert "Mexico" not in str(logged.json), "a report never carries the member's words"
    again = (await (await fake_discord.click(card, report_id, user=fake_discord.owner)).wait_response())[
        "data"
    ]
    assert "already reported" in again["content"]
    status = await (
        await fake_discord.invoke("clinicwatch status", user=fake_discord.moderator)
    ).wait_response()
    fields = {f["name"]: f["value"] for f in status["data"]["embeds"][0]["fields"]}
    assert fields["“Not relevant here” reports"].startswith("1 reported as not relevant")


async def test_a_moderators_dry_run_shows_outcome_signals_and_positions_and_sends_nothing(
    fake_discord: FakeDiscord, bot: StemcellBot
) -> None:
    mark = len(fake_discord.calls)
    handle = await fake_discord.invoke("clinicwatch test", {"text": ABROAD}, user=fake_discord.moderator)
    data = (await handle.wait_response())["data"]
    assert data["flags"] & EPHEMERAL
    fields = {f["name"]: f["value"] for f in data["embeds"][0]["fields"]}
    assert bot.content.centre.title in fields["Outcome"] and "would be posted" in fields["Outcome"]
    assert "aHSCT" in fields["Signals"]
    assert "hsct" in fields["Words found (positions in the folded text)"]
    assert [c for c in fake_discord.calls[mark:] if c.route == MESSAGES_ROUTE] == []
    call, _ = await card_for(fake_discord, ABROAD)  # the dry run used no cooldown
    assert call.json["embeds"][0]["title"] == bot.content.centre.title


async def test_a_dry_run_of_own_care_says_quiet(fake_discord: FakeDiscord, bot: StemcellBot) -> None:
    handle = await fake_discord.invoke("clinicwatch test", {"text": OWN_CARE}, user=fake_discord.moderator)
    fields = {f["name"]: f["value"] for f in (await handle.wait_response())["data"]["embeds"][0]["fields"]}
    assert fields["Outcome"].startswith("**Quiet:**")


async def test_moderators_manage_any_word_list(fake_discord: FakeDiscord, bot: StemcellBot) -> None:
    mod = fake_discord.moderator
    added = await (
        await fake_discord.invoke(
            "clinicwatch words", {"action": "add", "kind": "product", "word": "glow cells"}, user=mod
        )
    ).wait_response()
    assert "Added" in added["data"]["content"] and "product" in added["data"]["content"]
    listed = await (
        await fake_discord.invoke("clinicwatch words", {"action": "list", "kind": "product"}, user=mod)
    ).wait_response()
    assert "Added here: glow cells" in listed["data"]["content"]
    call, _ = await card_for(fake_discord, "anyone tried glow cells in Panama? they charge 20k")
    assert call.json["embeds"][0]["title"] == bot.content.caution.title
