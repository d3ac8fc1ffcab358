"""`/trialwatch` end to end: the real discord.py client on the fake Discord, the fake registry changing
between looks, and a clock the test moves (the job looks every 0.05 s of real time for due watches).

Each test proves a promise: a new study near the member brings exactly one DM, and a restart repeats
nothing; a status change brings one DM; closed DMs pause the watch and `/trials` says so, with a way
back that loses no news; `/journal forget` removes the watches; limits and mistakes get kind, private
answers that change nothing. Every test also checks that the database it wrote holds no Discord id
and nothing typed (`journal_leaves_nothing_readable`).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fake_clinicaltrials import FakeClinicalTrials, new_trial_near_chicago
from fake_discord import FakeDiscord
from running_bot import bot_environment, start_bot
from trials_places import database_with_places

from bot.app import StemcellBot
from bot.core.clock import FakeClock
from bot.core.trials.watch import TrialWatch
from bot.services.trial_watch import TrialWatchService

pytestmark = pytest.mark.usefixtures("journal_leaves_nothing_readable")

EPHEMERAL = 1 << 6
DEFERRED = 5
START = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
FIRST_LOOK = datetime(2026, 1, 3, 0, 0, tzinfo=UTC)  # a whole day after START, on the daily grid
SECOND_LOOK = datetime(2026, 1, 4, 0, 0, tzinfo=UTC)
EVANSTON_TRIAL = new_trial_near_chicago()


@pytest.fixture(autouse=True)
def quick_rounds(monkeypatch: pytest.MonkeyPatch) -> None:
    """The job looks for due watches every 0.05 s instead of every minute."""
    monkeypatch.setattr(TrialWatchService, "poll_seconds", 0.05)


@pytest.fixture
async def registry() -> AsyncIterator[FakeClinicalTrials]:
    async with FakeClinicalTrials() as fake:
        yield fake


@pytest.fixture
async def bot_env(fake_discord: FakeDiscord, registry: FakeClinicalTrials, tmp_path: Path) -> dict[str, str]:
    """Both fakes, and a database whose place index is built (also read by the privacy check)."""
    database = await database_with_places(tmp_path)
    return bot_environment(
        fake_discord, tmp_path, CLINICALTRIALS_API_BASE=registry.base_url, DATABASE_PATH=str(database)
    )


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
async def bot(
    fake_discord: FakeDiscord, bot_env: dict[str, str], clock: FakeClock
) -> AsyncIterator[StemcellBot]:
    async with start_bot(fake_discord, bot_env, clock=clock) as running:
        yield running


def member_id(fake: FakeDiscord) -> int:
    return int(fake.member["id"])


async def watches_of(bot: StemcellBot, user_id: int) -> list[TrialWatch]:
    return await bot.services.trial_watch.watches(user_id)


async def eventually(check: Callable[[], Awaitable[bool]], what: str) -> None:
    """Wait (up to 15 s) for state only the bot knows (its database), looking every 50 ms."""
    for _ in range(300):
        if await check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


async def looked_at(bot: StemcellBot, user_id: int, moment: datetime) -> None:
    """Wait until the job has looked at every watch of the member at `moment` (and sent what it had)."""

    async def done() -> bool:
        watches = await watches_of(bot, user_id)
        return bool(watches) and all(w.checked_at == moment or w.paused for w in watches)

    await eventually(done, f"the look at {moment:%Y-%m-%d %H:%M}")
    await asyncio.sleep(0.3)  # the DM goes out right after the look is recorded


async def add_watch(fake: FakeDiscord, options: dict[str, Any], **kwargs: Any) -> str:
    """`/trialwatch add`; the bot defers privately (the registry may be asked), then answers."""
    handle = await fake.invoke("trialwatch add", options, **kwargs)
    response = await handle.wait_response()
    assert response["type"] == DEFERRED and response["data"]["flags"] & EPHEMERAL
    followup = await handle.wait_followup(timeout=10)
    assert followup["flags"] & EPHEMERAL
    return followup["content"]


async def private_answer(fake: FakeDiscord, command: str, options: dict[str, Any]) -> str:
    """A command answered at once, privately (a refusal, or `/trialwatch list`)."""
    response = await (await fake.invoke(command, options)).wait_response()
    assert response["data"]["flags"] & EPHEMERAL, response
    return response["data"]["content"]


def dms(fake: FakeDiscord) -> list[dict[str, Any]]:
    """What the bot sent the member as direct messages of its own (not answers to their commands)."""
    channel = str(fake.member_dm_channel_id)
    return [
        call.json
        for call in fake.calls
        if call.method == "POST"
        and call.route == "/channels/{channel_id}/messages"
        and call.params["channel_id"] == channel
        and call.status == 200
    ]


async def test_a_new_study_nearby_brings_exactly_one_dm_and_a_restart_repeats_nothing(
    fake_discord: FakeDiscord, registry: FakeClinicalTrials, bot_env: dict[str, str], clock: FakeClock
) -> None:
    member = member_id(fake_discord)
    async with start_bot(fake_discord, bot_env, clock=clock) as bot:
        answer = await add_watch(fake_discord, {"near": "Chicago", "radius_km": 100})
        assert "trial watch **#1** is on" in answer and "within 100 km (62 mi) of Chicago, Illinois" in answer
        assert "Right now 1 open trial matches it" in answer and "<t:1767398400:R>" in answer
        registry.add_study(EVANSTON_TRIAL)
        await bot.wait_until_ready()
        clock.set(FIRST_LOOK)
        await fake_discord.wait_until(lambda: dms(fake_discord), timeout=15, what="the watch's DM")
        await looked_at(bot, member, FIRST_LOOK)
        [dm] = dms(fake_discord)
        assert "NCT09000010" in dm["content"] and "NCT04047628" not in dm["content"], (
            "known studies are not news"
        )
        assert "**New trial near Chicago, Illinois, United States** (watch #1)" in dm["content"]
        assert "talk it through with your MS team" in dm["content"]
        assert dm["allowed_mentions"]["parse"] == [], "a DM pings no one"

    async with start_bot(fake_discord, bot_env, clock=clock) as bot:
        await bot.wait_until_ready()
        await asyncio.sleep(0.5)  # several rounds: nothing is due
        assert len(dms(fake_discord)) == 1
        clock.set(SECOND_LOOK)
        await looked_at(bot, member, SECOND_LOOK)
        assert len(dms(fake_discord)) == 1, "the restarted bot remembers what it told"


async def test_a_status_change_of_a_known_study_brings_one_dm(
    fake_discord: FakeDiscord, registry: FakeClinicalTrials, bot: StemcellBot, clock: FakeClock
) -> None:
    member = member_id(fake_discord)
    answer = await add_watch(fake_discord, {"intervention": "neural"}, dm=True)
    assert "Neural stem or progenitor cells, anywhere" in answer
    registry.set_status("NCT03269071", "RECRUITING")  # STEMS: not yet recruiting when the watch began
    await bot.wait_until_ready()
    clock.set(FIRST_LOOK)
    await fake_discord.wait_until(lambda: dms(fake_discord), timeout=15, what="the watch's DM")
    await looked_at(bot, member, FIRST_LOOK)
    [dm] = dms(fake_discord)
    assert "NCT03269071" in dm["content"] and "Now: Recruiting (before: Not yet recruiting)" in dm["content"]
    clock.set(SECOND_LOOK)
    await looked_at(bot, member, SECOND_LOOK)
    assert len(dms(fake_discord)) == 1


async def test_closed_dms_pause_the_watch_and_trials_says_so_with_a_way_back(
    fake_discord: FakeDiscord, registry: FakeClinicalTrials, bot: StemcellBot, clock: FakeClock
) -> None:
    member = member_id(fake_discord)
    await add_watch(fake_discord, {"near": "Chicago"})
    fake_discord.closed_dms.add(member)
    registry.add_study(EVANSTON_TRIAL)
    await bot.wait_until_ready()
    clock.set(FIRST_LOOK)
    await eventually(lambda: _paused(bot, member), "the watch to pause")
    assert dms(fake_discord) == []

    handle = await fake_discord.invoke("trials", {"near": "Chicago"})
    await handle.wait_followup(count=2, timeout=10)
    results, notice = handle.followups
    assert not results["flags"] & EPHEMERAL and "NCT09000010" in str(results["embeds"])
    assert notice["flags"] & EPHEMERAL and "paused" in notice["content"] and "#1" in notice["content"]
    again = await fake_discord.invoke("trials", {})
    await again.wait_followup(timeout=10)
    await asyncio.sleep(0.3)
    assert len(again.followups) == 1, "the member is told once"

    still = await fake_discord.click(notice, f"trialwatch:resume:{member}")
    assert "still can't send you a direct message" in (await still.wait_followup())["content"]
    assert await _paused(bot, member)
    fake_discord.closed_dms.discard(member)
    back = await fake_discord.click(notice, f"trialwatch:resume:{member}")
    assert "on again" in (await back.wait_followup())["content"]
    clock.set(SECOND_LOOK)  # the next look, a whole day after the one whose news was held back
    await fake_discord.wait_until(lambda: len(dms(fake_discord)) >= 2, timeout=15, what="the news, late")
    check, news = dms(fake_discord)
    assert "on again" in check["content"]
    assert "NCT09000010" in news["content"], "the news that could not be sent is sent now"


async def _paused(bot: StemcellBot, user_id: int) -> bool:
    return any(watch.paused for watch in await watches_of(bot, user_id))


async def test_someone_else_cannot_press_the_resume_button(
    fake_discord: FakeDiscord, registry: FakeClinicalTrials, bot: StemcellBot, clock: FakeClock
) -> None:
    member = member_id(fake_discord)
    await add_watch(fake_discord, {})
    fake_discord.closed_dms.add(member)
    registry.add_study(EVANSTON_TRIAL)
    await bot.wait_until_ready()
    clock.set(FIRST_LOOK)
    await eventually(lambda: _paused(bot, member), "the watch to pause")
    listed = await (await fake_discord.invoke("trialwatch list")).wait_response()
    assert "**Paused**" in listed["data"]["content"]
    fake_discord.closed_dms.discard(member)
    other = await fake_discord.click(
        await _message(fake_discord, listed), f"trialwatch:resume:{member}", user=fake_discord.moderator
    )
    assert "belongs to someone else" in (await other.wait_response())["data"]["content"]
    assert await _paused(bot, member) and dms(fake_discord) == []


async def _message(fake: FakeDiscord, response: dict[str, Any]) -> dict[str, Any]:
    """The message a direct response created (the fake stores it under the interaction's token)."""
    [message] = [m for m in fake.messages.values() if m.get("content") == response["data"]["content"]]
    return message


async def test_journal_forget_removes_the_watches(fake_discord: FakeDiscord, bot: StemcellBot) -> None:
    member = member_id(fake_discord)
    await add_watch(fake_discord, {"near": "Evanston, Illinois"})
    await add_watch(fake_discord, {"intervention": "hsct"})
    handle = await fake_discord.invoke("journal forget", dm=True)
    question = (await handle.wait_response())["data"]
    [confirm] = [
        c["custom_id"]
        for row in question["components"]
        for c in row["components"]
        if c["custom_id"].startswith(f"journal:forget:confirm:{member}")
    ]
    answer = (await (await fake_discord.click(handle, confirm)).wait_response())["data"]["content"]
    assert "2 trial watches" in answer
    assert await watches_of(bot, member) == []
    assert "You have no trial watches" in await private_answer(fake_discord, "trialwatch list", {})
    rows = await bot.db.fetch_all("SELECT count(*) AS n FROM trial_watches")
    assert rows[0]["n"] == 0


async def test_limits_and_mistakes_get_kind_private_answers_and_change_nothing(
    fake_discord: FakeDiscord, registry: FakeClinicalTrials, bot: StemcellBot
) -> None:
    member = member_id(fake_discord)
    answer = await private_answer(fake_discord, "trialwatch add", {"radius_km": 50})
    assert "A radius needs a place" in answer
    answer = await private_answer(fake_discord, "trialwatch add", {"near": "Chicagoo"})
    assert (
        "couldn't find a place called 'Chicagoo'" in answer and "Chicago, Illinois, United States" in answer
    )
    assert registry.study_requests == [] and await watches_of(bot, member) == []

    for radius in (100, 200, 300, 400, 500):
        assert "is on" in await add_watch(fake_discord, {"near": "Chicago", "radius_km": radius})
    assert "already have 5 trial watches" in await add_watch(fake_discord, {})
    assert "#1 already watches exactly this" in await add_watch(
        fake_discord, {"near": "Chicago", "radius_km": 100}
    )
    assert len(await watches_of(bot, member)) == 5

    assert "You have no trial watch #9" in await private_answer(
        fake_discord, "trialwatch remove", {"watch": "9"}
    )
    assert "by its number" in await private_answer(fake_discord, "trialwatch remove", {"watch": "Chicago"})
    assert len(await watches_of(bot, member)) == 5
    others = await (await fake_discord.invoke("trialwatch list", user=fake_discord.moderator)).wait_response()
    assert "You have no trial watches" in others["data"]["content"], "a member's watches are theirs alone"


async def test_list_remove_and_its_autocomplete(
    fake_discord: FakeDiscord, registry: FakeClinicalTrials, bot: StemcellBot
) -> None:
    member = member_id(fake_discord)
    await add_watch(fake_discord, {"near": "Chicago"})
    await add_watch(fake_discord, {"intervention": "hsct"})
    listed = await private_answer(fake_discord, "trialwatch list", {})
    assert (
        "(2 of 5)" in listed and "**#1** Any stem-cell therapy, within 200 km (124 mi) of Chicago" in listed
    )
    assert "**#2** Haematopoietic stem cell transplant (aHSCT), anywhere" in listed
    choices = await fake_discord.autocomplete("trialwatch remove", "watch", "")
    assert [c["value"] for c in choices] == ["1", "2", "all"]
    assert [c["value"] for c in await fake_discord.autocomplete("trialwatch remove", "watch", "#2")] == ["2"]
    near = await fake_discord.autocomplete("trialwatch add", "near", "Evanst")
    assert "Evanston, Illinois, United States" in [c["value"] for c in near]

    handle = await fake_discord.invoke("trialwatch remove", {"watch": "1"})
    assert "removed your trial watch #1" in (await handle.wait_followup())["content"]
    assert [w.seq for w in await watches_of(bot, member)] == [2]
    handle = await fake_discord.invoke("trialwatch remove", {"watch": "all"})
    assert "removed your 1 trial watch" in (await handle.wait_followup())["content"]
    assert await watches_of(bot, member) == []
