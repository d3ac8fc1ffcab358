"""Every topic through `/stemcell`, and every related-topic button pressed: no navigation dead-ends."""

from __future__ import annotations

from typing import Any

from fake_discord import FakeDiscord

from bot.app import StemcellBot
from bot.core.content.render import STRONGEST_EVIDENCE, explainer_heading

UPDATE_MESSAGE = 7
TOPIC_BUTTON = "stemcell:topic:"


def related_buttons(message: dict[str, Any]) -> list[str]:
    ids = [c.get("custom_id", "") for row in message.get("components", []) for c in row.get("components", [])]
    return [i.removeprefix(TOPIC_BUTTON) for i in ids if i.startswith(TOPIC_BUTTON)]


def assert_is_explainer(message: dict[str, Any], bot: StemcellBot, slug: str) -> None:
    """The message shows `slug` in full: its heading, evidence labels, sources and its own buttons."""
    explainer = bot.content.explainers[slug]
    embed = message["embeds"][0]
    assert embed["title"] == explainer_heading(explainer), slug
    names = [f["name"] for f in embed["fields"]]
    assert STRONGEST_EVIDENCE in names and "Sources" in names, slug
    sources = next(f["value"] for f in embed["fields"] if f["name"] == "Sources")
    assert " · *" in sources, slug  # each source carries its kind of evidence
    assert related_buttons(message) == list(explainer.related), slug


async def test_every_topic_renders_from_the_overview_and_every_related_button_leads_somewhere(
    fake_discord: FakeDiscord, bot: StemcellBot
) -> None:
    """A member can reach each topic from the menu, and each related button opens a whole topic."""
    pressed: set[tuple[str, str]] = set()
    for explainer in bot.content.explainer_list():
        for target in explainer.related:
            handle = await fake_discord.invoke("stemcell")
            await handle.wait_response()
            chosen = await (
                await fake_discord.select(handle, "stemcell:overview", [explainer.slug])
            ).wait_response()
            assert chosen["type"] == UPDATE_MESSAGE
            assert_is_explainer(chosen["data"], bot, explainer.slug)
            reply = await (await fake_discord.click(handle, TOPIC_BUTTON + target)).wait_response()
            assert reply["type"] == UPDATE_MESSAGE, (explainer.slug, target)
            assert_is_explainer(reply["data"], bot, target)
            assert_is_explainer(handle.final_message() or {}, bot, target)
            pressed.add((explainer.slug, target))
    edges = {(e.slug, r) for e in bot.content.explainer_list() for r in e.related}
    assert pressed == edges and len(edges) >= len(bot.content.explainers)


async def test_every_topic_answers_the_slash_command_by_its_slug(
    fake_discord: FakeDiscord, bot: StemcellBot
) -> None:
    for explainer in bot.content.explainer_list():
        reply = await (await fake_discord.invoke("stemcell", {"topic": explainer.slug})).wait_response()
        assert_is_explainer(reply["data"], bot, explainer.slug)


async def test_every_topic_can_be_reached_from_the_overview_menu(
    fake_discord: FakeDiscord, bot: StemcellBot
) -> None:
    handle = await fake_discord.invoke("stemcell")
    overview = (await handle.wait_response())["data"]
    menu = next(
        c
        for row in overview["components"]
        for c in row["components"]
        if c.get("custom_id") == "stemcell:overview"
    )
    assert [o["value"] for o in menu["options"]] == list(bot.content.explainers)
