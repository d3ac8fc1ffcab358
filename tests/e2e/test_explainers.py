"""`/stemcell`, `/glossary`, `/caution` and `/help` through the real discord.py client, in servers and DMs."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from fake_discord import FakeDiscord

from bot.app import StemcellBot

EPHEMERAL = 1 << 6
CHANNEL_MESSAGE = 4
UPDATE_MESSAGE = 7


def components(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for row in message.get("components", []) for c in row.get("components", [])]


def custom_ids(message: dict[str, Any]) -> list[str]:
    return [c["custom_id"] for c in components(message) if "custom_id" in c]


def link_urls(message: dict[str, Any]) -> list[str]:
    return [c["url"] for c in components(message) if c.get("style") == 5]


@pytest.mark.parametrize("dm", [False, True], ids=["server", "dm"])
async def test_stemcell_topic_shows_a_sourced_explainer(
    fake_discord: FakeDiscord, bot: StemcellBot, dm: bool
) -> None:
    handle = await fake_discord.invoke("stemcell", {"topic": "hsct"}, dm=dm)
    reply = await handle.wait_response()
    assert reply["type"] == CHANNEL_MESSAGE
    data = reply["data"]
    assert not data.get("flags", 0) & EPHEMERAL
    embed = data["embeds"][0]
    assert "HSCT" in embed["title"]
    sources = next(f for f in embed["fields"] if f["name"] == "Sources")
    assert "](https://" in sources["value"]
    assert "not medical advice" in embed["footer"]["text"] and "Last reviewed" in embed["footer"]["text"]
    assert "stemcell:topic:risks" in custom_ids(data)
    assert link_urls(data) and all(u.startswith("http") for u in link_urls(data))


async def test_private_option_answers_ephemerally(fake_discord: FakeDiscord, bot: StemcellBot) -> None:
    reply = await (await fake_discord.invoke("stemcell", {"topic": "risks", "private": True})).wait_response()
    assert reply["data"]["flags"] & EPHEMERAL


async def test_autocomplete_tolerates_typos_and_aliases(fake_discord: FakeDiscord, bot: StemcellBot) -> None:
    for typed in ("bone marow", "hsc", "stem cell transplant"):
        choices = await fake_discord.autocomplete("stemcell", "topic", typed)
        assert choices and choices[0]["value"] == "hsct", (typed, choices)
    assert len(await fake_discord.autocomplete("stemcell", "topic", "")) <= 25


async def test_related_topic_button_replaces_the_explainer_in_place(
    fake_discord: FakeDiscord, bot: StemcellBot
) -> None:
    handle = await fake_discord.invoke("stemcell", {"topic": "hsct"})
    await handle.wait_response()
    click = await fake_discord.click(handle, "stemcell:topic:risks")
    reply = await click.wait_response()
    assert reply["type"] == UPDATE_MESSAGE
    assert reply["data"]["embeds"][0]["title"] == handle.final_message()["embeds"][0]["title"]
    assert "risk" in reply["data"]["embeds"][0]["title"].lower()


@pytest.mark.parametrize("dm", [False, True], ids=["server", "dm"])
async def test_overview_menu_opens_the_chosen_topic(
    fake_discord: FakeDiscord, bot: StemcellBot, dm: bool
) -> None:
    handle = await fake_discord.invoke("stemcell", dm=dm)
    overview = (await handle.wait_response())["data"]
    assert "topics" in overview["embeds"][0]["title"].lower()
    menu = next(c for c in components(overview) if c.get("custom_id") == "stemcell:overview")
    assert {"hsct", "risks", "considering"} <= {o["value"] for o in menu["options"]}
    chosen = await fake_discord.select(handle, "stemcell:overview", ["considering"])
    reply = await chosen.wait_response()
    assert reply["type"] == UPDATE_MESSAGE
    assert reply["data"]["embeds"][0]["title"] == bot.content.explainers["considering"].emoji + " " + (
        bot.content.explainers["considering"].title
    )


async def test_unknown_topic_gets_a_kind_private_answer(fake_discord: FakeDiscord, bot: StemcellBot) -> None:
    reply = await (await fake_discord.invoke("stemcell", {"topic": "zebra crossing"})).wait_response()
    assert reply["data"]["flags"] & EPHEMERAL
    assert "don't have a topic called 'zebra crossing'" in reply["data"]["content"]


@pytest.mark.parametrize("dm", [False, True], ids=["server", "dm"])
async def test_glossary_known_term(fake_discord: FakeDiscord, bot: StemcellBot, dm: bool) -> None:
    choices = await fake_discord.autocomplete("glossary", "term", "autologus", dm=dm)
    assert choices[0]["value"] == "autologous"
    reply = await (await fake_discord.invoke("glossary", {"term": "autologous"}, dm=dm)).wait_response()
    embed = reply["data"]["embeds"][0]
    assert embed["title"] == "Autologous" and "own" in embed["description"].lower()


async def test_glossary_unknown_term_suggests(fake_discord: FakeDiscord, bot: StemcellBot) -> None:
    reply = await (await fake_discord.invoke("glossary", {"term": "neuro"})).wait_response()
    data = reply["data"]
    assert data["flags"] & EPHEMERAL
    assert "don't have 'neuro' in the glossary" in data["content"]
    assert "**Neural stem cell**" in data["content"]


@pytest.mark.parametrize("dm", [False, True], ids=["server", "dm"])
async def test_caution_posts_the_isscr_list(fake_discord: FakeDiscord, bot: StemcellBot, dm: bool) -> None:
    reply = await (await fake_discord.invoke("caution", dm=dm)).wait_response()
    embed = reply["data"]["embeds"][0]
    assert not reply["data"].get("flags", 0) & EPHEMERAL
    assert len(embed["fields"]) >= 5
    assert any(
        "isscr" in f["value"].lower() or "closerlookatstemcells" in f["value"] for f in embed["fields"]
    )


@pytest.mark.parametrize("dm", [False, True], ids=["server", "dm"])
async def test_help_explains_storage_and_privacy(
    fake_discord: FakeDiscord, bot: StemcellBot, dm: bool
) -> None:
    reply = await (await fake_discord.invoke("help", dm=dm)).wait_response()
    names = [f["name"] for f in reply["data"]["embeds"][0]["fields"]]
    assert reply["data"]["flags"] & EPHEMERAL
    assert "What I store" in names and "Your privacy" in names


async def test_no_reply_can_ping_anyone(fake_discord: FakeDiscord, bot: StemcellBot) -> None:
    for name, options in [("stemcell", {"topic": "hsct"}), ("caution", {}), ("glossary", {"term": "edss"})]:
        await (await fake_discord.invoke(name, options)).wait_response()
    bodies = [
        c.json for c in fake_discord.calls if c.method in ("POST", "PATCH") and isinstance(c.json, dict)
    ]
    messages = [b.get("data", b) for b in bodies if "data" in b or "content" in b or "embeds" in b]
    assert messages
    for message in messages:
        assert message.get("allowed_mentions", {"parse": []}).get("parse") == [], message


async def test_answers_with_buttons_leave_no_view_in_memory(
    fake_discord: FakeDiscord, bot: StemcellBot
) -> None:
    """Every button is dynamic (its state in its custom id), so nothing piles up per message sent."""
    store = bot._connection._view_store
    before = len(store._synced_message_views)
    for topic in ("hsct", "risks", "repair"):
        await (await fake_discord.invoke("stemcell", {"topic": topic})).wait_response()
    await (await fake_discord.invoke("stemcell")).wait_response()
    await asyncio.sleep(0.1)
    assert len(store._synced_message_views) == before


async def test_someone_elses_click_gets_a_private_copy(fake_discord: FakeDiscord, bot: StemcellBot) -> None:
    """A public explainer stays as its asker left it; another member's button press answers them alone."""
    handle = await fake_discord.invoke("stemcell", {"topic": "hsct"}, user=fake_discord.member)
    await handle.wait_response()
    click = await fake_discord.click(handle, "stemcell:topic:risks", user=fake_discord.moderator)
    reply = await click.wait_response()
    assert reply["type"] == CHANNEL_MESSAGE and reply["data"]["flags"] & EPHEMERAL
    assert "risk" in reply["data"]["embeds"][0]["title"].lower()
    assert "HSCT" in handle.final_message()["embeds"][0]["title"]
