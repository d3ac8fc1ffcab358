"""`/trials` through the real discord.py client, against the fake Discord and the fake registry.

The bot is pointed at both fakes. Its database starts as a copy of one whose place index is
already built (`trials_places`), as after a first run, so each test only pays for the bot's start
and its own round trips; one test starts from an empty database to see the first build.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from fake_clinicaltrials import OBSERVATIONAL_STUDY, FakeClinicalTrials
from fake_discord import FakeDiscord, InteractionHandle
from running_bot import bot_environment, start_bot
from trials_places import database_with_places

from bot.app import StemcellBot
from bot.core.clock import FakeClock

EPHEMERAL = 1 << 6
CHANNEL_MESSAGE = 4
DEFERRED_CHANNEL_MESSAGE = 5
DEFERRED_UPDATE = 6
DISTANCE = re.compile(r"\*\*([\d,.]+) km \(([\d,.]+) mi\)\*\*")
IN_CITY = re.compile(r"\*\*in [^*]+\*\*")
PREVIOUS = "trials:prev:"
NEXT = "trials:next:"


@pytest.fixture
async def registry() -> AsyncIterator[FakeClinicalTrials]:
    """The fake ClinicalTrials.gov, stopped after the bot (fixtures tear down in reverse)."""
    async with FakeClinicalTrials() as fake:
        yield fake


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def trials_env(
    fake_discord: FakeDiscord, registry: FakeClinicalTrials, tmp_path: Path
) -> dict[str, str]:
    """Settings for both fakes, and a database whose place index is already built."""
    database = await database_with_places(tmp_path)
    return bot_environment(
        fake_discord, tmp_path, CLINICALTRIALS_API_BASE=registry.base_url, DATABASE_PATH=str(database)
    )


@pytest.fixture
async def trials_bot(
    fake_discord: FakeDiscord, trials_env: dict[str, str], clock: FakeClock
) -> AsyncIterator[StemcellBot]:
    """The project's bot on both fakes, with a clock the test moves."""
    async with start_bot(fake_discord, trials_env, clock=clock) as running:
        yield running


def components(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for row in message.get("components", []) for c in row.get("components", [])]


def button(message: dict[str, Any], prefix: str) -> dict[str, Any]:
    return next(c for c in components(message) if c.get("custom_id", "").startswith(prefix))


def page_label(message: dict[str, Any]) -> str:
    return next(c["label"] for c in components(message) if c.get("custom_id") == "trials:page-label")


def nct_ids(message: dict[str, Any]) -> list[str]:
    return [f["name"].split()[1] for f in message["embeds"][0]["fields"]]


def distances_km(message: dict[str, Any]) -> list[float]:
    """The nearest-site distance of each study; "in <city>" (under 10 km) counts as 0."""
    found = []
    for field in message["embeds"][0]["fields"]:
        nearest = next((line for line in field["value"].splitlines() if line.startswith("Nearest site:")), "")
        match = DISTANCE.search(nearest)
        if match:
            found.append(float(match[1].replace(",", "")))
        elif IN_CITY.search(nearest):
            found.append(0.0)
    return found


async def trials_reply(handle: InteractionHandle) -> dict[str, Any]:
    """The results message after the bot's defer and follow-up."""
    response = await handle.wait_response()
    assert response["type"] == DEFERRED_CHANNEL_MESSAGE, "defer first: the look-up may take seconds"
    await handle.wait_followup()
    message = handle.final_message()
    assert message is not None
    return message


async def test_near_chicago_lists_studies_nearest_first(
    fake_discord: FakeDiscord, registry: FakeClinicalTrials, trials_bot: StemcellBot
) -> None:
    """Chicago's BEAT-MS site comes first, distances grow down the page, each study links to its record."""
    handle = await fake_discord.invoke("trials", {"near": "Chicago"})
    message = await trials_reply(handle)
    assert not message["flags"] & EPHEMERAL
    embed = message["embeds"][0]
    assert "Chicago, Illinois, United States" in embed["title"]
    fields = embed["fields"]
    assert len(fields) == 5
    first = fields[0]
    assert first["name"].startswith("1. NCT04047628")
    assert "Phase 3" in first["value"]
    assert "Chicago, Illinois, United States, **in Chicago**" in first["value"], "not '0.0 km'"
    assert "](https://clinicaltrials.gov/study/NCT04047628)" in first["value"]
    assert "Contact: BEAT-MS Study Coordinator · beat-ms@example.org · +1 555 0100" in first["value"]
    distances = distances_km(message)
    assert len(distances) == 5 and distances == sorted(distances)
    assert distances[0] == 0.0 and distances[1] > 10
    assert "not medical advice" in embed["footer"]["text"]
    assert "MS team" in embed["footer"]["text"]
    assert "ClinicalTrials.gov" in embed["footer"]["text"] and "ago" in embed["footer"]["text"]
    assert page_label(message) == "Page 1 of 3"
    assert button(message, PREVIOUS)["disabled"] and not button(message, NEXT).get("disabled")
    assert all(len(c["custom_id"]) <= 100 for c in components(message))
    assert len(registry.study_requests) == 1
    assert "1 observational study" in embed["description"], "observational studies are left out, and said so"


async def test_page_buttons_edit_the_message_in_place(
    fake_discord: FakeDiscord, registry: FakeClinicalTrials, trials_bot: StemcellBot
) -> None:
    """Next shows pages 2 and 3 (nearest first, unlocated studies last); Previous goes back; cache only."""
    handle = await fake_discord.invoke("trials", {"near": "Chicago"})
    first_page = await trials_reply(handle)
    click = await fake_discord.click(handle, button(first_page, NEXT)["custom_id"])
    assert (await click.wait_response())["type"] == DEFERRED_UPDATE
    await click.wait_edit()
    second_page = handle.final_message()
    assert second_page is not None and second_page["id"] == first_page["id"]
    assert page_label(second_page) == "Page 2 of 3"
    assert min(distances_km(second_page)) >= max(distances_km(first_page))
    assert second_page["embeds"][0]["fields"][0]["name"].startswith("6. ")
    assert not button(second_page, NEXT).get("disabled") and not button(second_page, PREVIOUS).get("disabled")

    last = await fake_discord.click(handle, button(second_page, NEXT)["custom_id"])
    await last.wait_edit()
    third_page = handle.final_message()
    assert third_page is not None and page_label(third_page) == "Page 3 of 3"
    assert nct_ids(second_page)[-1] == "NCT09000002" and nct_ids(third_page) == ["NCT09000004"]
    assert button(third_page, NEXT)["disabled"]

    back = await fake_discord.click(handle, button(third_page, PREVIOUS)["custom_id"])
    await back.wait_edit()
    again = handle.final_message()
    assert again is not None and nct_ids(again) == nct_ids(second_page)
    assert page_label(again) == "Page 2 of 3"
    assert len(registry.study_requests) == 1, "page turns are served from the cache"


async def test_someone_elses_click_gets_their_own_private_page(
    fake_discord: FakeDiscord, trials_bot: StemcellBot
) -> None:
    """Only the member who asked turns their message's pages; others get a private copy of that page."""
    handle = await fake_discord.invoke("trials", {"near": "Chicago"})
    first_page = await trials_reply(handle)
    click = await fake_discord.click(
        handle, button(first_page, NEXT)["custom_id"], user=fake_discord.moderator
    )
    await click.wait_followup()
    private = click.final_message()
    assert private is not None and private["flags"] & EPHEMERAL
    assert page_label(private) == "Page 2 of 3"
    unchanged = handle.final_message()
    assert unchanged is not None and page_label(unchanged) == "Page 1 of 3"


async def test_page_buttons_work_after_a_restart(
    fake_discord: FakeDiscord, registry: FakeClinicalTrials, trials_env: dict[str, str]
) -> None:
    """The custom id carries the list and place, so a restarted bot still turns the page."""
    async with start_bot(fake_discord, trials_env):
        handle = await fake_discord.invoke("trials", {"near": "Uppsala, Sweden", "intervention": "any"})
        first_page = await trials_reply(handle)
    async with start_bot(fake_discord, trials_env):
        click = await fake_discord.click(handle, button(first_page, NEXT)["custom_id"])
        await click.wait_edit()
    second_page = handle.final_message()
    assert second_page is not None and page_label(second_page) == "Page 2 of 3"
    assert "Uppsala, Sweden" in second_page["embeds"][0]["title"]
    assert len(registry.study_requests) == 1


async def test_autocomplete_offers_places_despite_typos(
    fake_discord: FakeDiscord, trials_bot: StemcellBot
) -> None:
    choices = await fake_discord.autocomplete("trials", "near", "Uppsla")
    assert "Uppsala, Sweden" in [c["value"] for c in choices]
    assert all(c["name"] == c["value"] for c in choices)
    assert len(await fake_discord.autocomplete("trials", "near", "san")) <= 25


async def test_unknown_place_gets_a_private_answer_with_suggestions(
    fake_discord: FakeDiscord, registry: FakeClinicalTrials, trials_bot: StemcellBot
) -> None:
    reply = await (await fake_discord.invoke("trials", {"near": "Chicagoo"})).wait_response()
    assert reply["type"] == CHANNEL_MESSAGE
    data = reply["data"]
    assert data["flags"] & EPHEMERAL
    assert "couldn't find a place called 'Chicagoo'" in data["content"]
    assert "Did you mean" in data["content"] and "Chicago, Illinois, United States" in data["content"]
    assert registry.study_requests == []


async def test_works_in_a_dm_with_an_intervention(
    fake_discord: FakeDiscord, registry: FakeClinicalTrials, trials_bot: StemcellBot
) -> None:
    """In a DM, aHSCT studies near Uppsala: RAM-MS first; a closed Uppsala site does not count."""
    handle = await fake_discord.invoke("trials", {"near": "Uppsala", "intervention": "hsct"}, dm=True)
    message = await trials_reply(handle)
    assert nct_ids(message)[0] == "NCT03477500"
    assert "Uppsala" in message["embeds"][0]["fields"][0]["value"]
    assert "NCT09000003" not in nct_ids(message)  # a mesenchymal study: not an aHSCT one
    assert "Haematopoietic stem cell transplant" in message["embeds"][0]["description"]
    assert not components(message), "everything fits on one page: no page buttons"
    assert "hematopoietic" in registry.study_requests[0].params["query.intr"]


async def test_without_near_lists_every_open_study(
    fake_discord: FakeDiscord, trials_bot: StemcellBot
) -> None:
    message = await trials_reply(await fake_discord.invoke("trials"))
    assert nct_ids(message)[0] == "NCT04047628"  # the most recently updated
    assert "Sites:" in message["embeds"][0]["fields"][0]["value"]
    assert page_label(message) == "Page 1 of 3"


async def test_registry_down_without_cache_says_so_privately(
    fake_discord: FakeDiscord, registry: FakeClinicalTrials, trials_bot: StemcellBot
) -> None:
    registry.mode = "error"
    handle = await fake_discord.invoke("trials", {"near": "Chicago"})
    await handle.wait_response()
    note = await handle.wait_followup()
    assert note["flags"] & EPHEMERAL
    assert "can't be reached right now" in note["content"]
    assert handle.final_message() is None, "the public placeholder is removed"


async def test_registry_down_serves_the_saved_list_with_its_age(
    fake_discord: FakeDiscord, registry: FakeClinicalTrials, trials_bot: StemcellBot, clock: FakeClock
) -> None:
    fresh = await trials_reply(await fake_discord.invoke("trials", {"near": "Chicago"}))
    assert "could not be reached" not in fresh["embeds"][0]["description"]
    clock.advance(hours=7)
    registry.mode = "error"
    handle = await fake_discord.invoke("trials", {"near": "Chicago"})
    stale = await trials_reply(handle)
    assert len(registry.study_requests) == 2
    embed = stale["embeds"][0]
    assert "could not be reached just now" in embed["description"]
    assert "saved 7 hours ago" in embed["description"]
    assert "7 hours ago" in embed["footer"]["text"]
    assert nct_ids(stale) == nct_ids(fresh)
    click = await fake_discord.click(handle, button(stale, NEXT)["custom_id"])
    await click.wait_edit()
    turned = handle.final_message()
    assert turned is not None and page_label(turned) == "Page 2 of 3"


async def test_observational_option_lists_them_labelled_and_the_pages_keep_it(
    fake_discord: FakeDiscord, registry: FakeClinicalTrials, trials_bot: StemcellBot
) -> None:
    """`observational: True` adds the follow-up study, labelled; Next keeps the choice; one fetch for both."""
    await trials_reply(await fake_discord.invoke("trials", {"near": "Chicago"}))
    handle = await fake_discord.invoke("trials", {"near": "Chicago", "observational": True})
    message = await trials_reply(handle)
    embed = message["embeds"][0]
    assert "observational studies" in embed["title"]
    assert "not shown" not in embed["description"]
    follow_up = next(f["value"] for f in embed["fields"] if OBSERVATIONAL_STUDY in f["name"])
    assert follow_up.splitlines()[1].startswith("Observational study (the study itself assigns no treatment)")
    assert "+obs:" in button(message, NEXT)["custom_id"]
    click = await fake_discord.click(handle, button(message, NEXT)["custom_id"])
    await click.wait_edit()
    turned = handle.final_message()
    assert turned is not None and "observational studies" in turned["embeds"][0]["title"]
    assert page_label(turned) == "Page 2 of 3"
    assert len(registry.study_requests) == 1


async def test_a_site_near_newark_new_jersey_shows_its_state_and_invitation(
    fake_discord: FakeDiscord, trials_bot: StemcellBot
) -> None:
    """Newark, New Jersey and Newark, Delaware are told apart; an invitation-only site says so."""
    message = await trials_reply(await fake_discord.invoke("trials", {"near": "Newark, New Jersey"}))
    fields = {f["name"].split()[1]: f["value"] for f in message["embeds"][0]["fields"]}
    assert "Newark, New Jersey, United States" in message["embeds"][0]["title"]
    assert "Newark, Delaware, United States, **" in fields["NCT09000006"]
    assert "**in Newark**" not in fields["NCT09000006"]


async def test_a_fresh_database_builds_the_place_index_at_first_use(
    fake_discord: FakeDiscord, registry: FakeClinicalTrials, tmp_path: Path
) -> None:
    """Nothing is built at start; the first `near` builds the index (after deferring) and answers."""
    env = bot_environment(
        fake_discord,
        tmp_path,
        CLINICALTRIALS_API_BASE=registry.base_url,
        DATABASE_PATH=str(tmp_path / "new.db"),
    )
    async with start_bot(fake_discord, env) as running:
        assert await running.services.places.load_if_built() is False, "not built at start"
        handle = await fake_discord.invoke("trials", {"near": "London, Ontario"})
        assert (await handle.wait_response())["type"] == DEFERRED_CHANNEL_MESSAGE
        await handle.wait_followup(timeout=20)
        message = handle.final_message()
        assert message is not None and "London, Ontario, Canada" in message["embeds"][0]["title"]
        assert nct_ids(message)[0] == "NCT09000001", "its London, Ontario site is the nearest"
        assert "**in London**" in message["embeds"][0]["fields"][0]["value"]
        assert await running.services.places.load_if_built()


async def test_portland_maine_is_not_portland_oregon(
    fake_discord: FakeDiscord, trials_bot: StemcellBot
) -> None:
    choices = [c["value"] for c in await fake_discord.autocomplete("trials", "near", "Portland, Ma")]
    assert choices[0] == "Portland, Maine, United States"
    message = await trials_reply(await fake_discord.invoke("trials", {"near": choices[0]}))
    first = message["embeds"][0]["fields"][0]
    assert first["name"].startswith("1. NCT09000005")
    assert "Portland, Maine, United States, **in Portland**" in first["value"]
    assert "Contact: +1 555 0199 ext. 42" in first["value"]


async def test_nothing_pings(fake_discord: FakeDiscord, trials_bot: StemcellBot) -> None:
    handle = await fake_discord.invoke("trials", {"near": "Chicago"})
    first_page = await trials_reply(handle)
    await (await fake_discord.click(handle, button(first_page, NEXT)["custom_id"])).wait_edit()
    await (await fake_discord.invoke("trials", {"near": "Chicagoo"})).wait_response()
    bodies = [
        c.json for c in fake_discord.calls if c.method in ("POST", "PATCH") and isinstance(c.json, dict)
    ]
    messages = [b.get("data", b) for b in bodies if "data" in b or "content" in b or "embeds" in b]
    assert len(messages) >= 3
    for message in messages:
        if "embeds" in message or "content" in message:
            assert message.get("allowed_mentions", {}).get("parse") == [], message
