"""Auto-responses with everything moderators know from other bots, through the real discord.py client:
roles and ignored members decide who is answered; a rule has several triggers and several responses;
it answers with a reply, an embed, a reaction or a private message; placeholders never ping; an
export, removed and imported again, gives back every field."""

from __future__ import annotations

import asyncio
import logging
import random
from typing import Any

import pytest
import yaml
from channel_watch import MESSAGES_ROUTE, bot_posts, reply_to, stays_silent
from fake_discord import FakeDiscord, RestCall
from running_bot import start_bot

from bot.app import StemcellBot
from bot.core.autoresponse import AnswerKind, MatchMode, Rule, RuleTrigger
from bot.core.clock import FakeClock
from bot.db.repositories.autoresponses import AutoresponseRepository

EPHEMERAL = 1 << 6
FOLLOWUP_ROUTE = "/webhooks/{application_id}/{token}"
REACTION_ROUTE = "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me"
SERVER = "MS Stem-Cell Circle"
NO_WORD_JOINER = "\u2060"


async def run(fake: FakeDiscord, name: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
    """Invoke a command as the moderator and return its first response's data."""
    handle = await fake.invoke(name, options or {}, user=fake.moderator)
    return (await handle.wait_response())["data"]


async def run_deferred(fake: FakeDiscord, name: str, options: dict[str, Any]) -> RestCall:
    """Invoke a command that defers (export, import) and return its follow-up call."""
    mark = len(fake.calls)
    handle = await fake.invoke(name, options, user=fake.moderator)
    await handle.wait_response()
    return await fake.wait_for_call(lambda c: c.method == "POST" and c.route == FOLLOWUP_ROUTE, after=mark)


async def add_rule(fake: FakeDiscord, trigger: str, response: str, **options: Any) -> str:
    data = await run(fake, "autoresponse add", {"trigger": trigger, "response": response, **options})
    assert data["flags"] & EPHEMERAL and "Saved as auto-response" in data["content"], data
    return str(data["content"])


async def stored_rules(bot: StemcellBot, guild_id: int) -> tuple[Rule, ...]:
    return await AutoresponseRepository(bot.db).list(guild_id)


async def hits(bot: StemcellBot, guild_id: int, number: int, at_least: int) -> int:
    """Rule #number's hit count once it reaches `at_least` (the count is written after the send)."""
    for _ in range(50):
        rule = await AutoresponseRepository(bot.db).find(guild_id, number)
        assert rule is not None
        if rule.hit_count >= at_least:
            return rule.hit_count
        await asyncio.sleep(0.05)
    raise AssertionError(f"rule #{number} never reached {at_least} hits")


def dry_run_reasons(data: dict[str, Any]) -> str:
    return {f["name"]: f["value"] for f in data["embeds"][0]["fields"]}["Auto-response"]


# --- who is answered ---------------------------------------------------------------------------------


async def test_a_role_restricted_rule_answers_one_member_and_not_another(
    fake_discord: FakeDiscord, bot_env: dict[str, str]
) -> None:
    helpers = await fake_discord.add_role("Helpers")
    ana = fake_discord.add_member("ana2", [helpers], global_name="Ana")
    bob = fake_discord.add_member("bob", global_name="Bob")
    async with start_bot(fake_discord, bot_env, clock=FakeClock()):
        await add_rule(fake_discord, "mri", "The pinned post explains scans.", roles=f"<@&{helpers}>")
        mark = len(fake_discord.calls)
        await fake_discord.post_message(fake_discord.channel_id, "my MRI is tomorrow", author=bob)
        assert await stays_silent(fake_discord, mark), "a member without the role was answered"
        message = await fake_discord.post_message(fake_discord.channel_id, "my MRI is tomorrow", author=ana)
        await reply_to(fake_discord, message, mark)
        reasons = dry_run_reasons(
            await run(fake_discord, "autoresponse test", {"text": "mri", "member": bob})
        )
        assert f"Bob has none of its roles (<@&{helpers}>)" in reasons


async def test_a_rule_leaving_a_role_out_never_answers_its_members(
    fake_discord: FakeDiscord, bot_env: dict[str, str]
) -> None:
    newcomers = await fake_discord.add_role("Newcomers")
    async with start_bot(fake_discord, bot_env, clock=FakeClock()):
        await add_rule(fake_discord, "welcome", "Glad you are here.", except_roles=f"<@&{newcomers}>")
        cai = fake_discord.add_member("cai", [newcomers])
        mark = len(fake_discord.calls)
        await fake_discord.post_message(fake_discord.channel_id, "welcome everyone", author=cai)
        assert await stays_silent(fake_discord, mark)
        fake_discord.set_member_roles(cai, [])  # the role taken away: their next message counts
        message = await fake_discord.post_message(fake_discord.channel_id, "welcome everyone", author=cai)
        await reply_to(fake_discord, message, mark)


async def test_an_ignored_member_never_triggers_until_unignored(
    fake_discord: FakeDiscord, bot_env: dict[str, str]
) -> None:
    clock = FakeClock()
    async with start_bot(fake_discord, bot_env, clock=clock) as bot:
        await add_rule(fake_discord, "hello", "Hi there!", cooldown=5)
        bob = fake_discord.add_member("bob", global_name="Bob")
        data = await run(fake_discord, "autoresponse ignore", {"member": bob})
        assert data["flags"] & EPHEMERAL and f"<@{bob['id']}>" in data["content"]
        mark = len(fake_discord.calls)
        for text in ("hello", "hello again", "HELLO!"):
            clock.advance(seconds=5)
            await fake_discord.post_message(fake_discord.channel_id, text, author=bob)
        assert await stays_silent(fake_discord, mark), "an ignored member was answered"
        message = await fake_discord.post_message(
            fake_discord.channel_id, "hello", author=fake_discord.member
        )
        await reply_to(fake_discord, message, mark)
        reasons = dry_run_reasons(
            await run(fake_discord, "autoresponse test", {"text": "hello", "member": bob})
        )
        assert "Bob is ignored by auto-responses" in reasons
        listed = await run(fake_discord, "autoresponse list")
        assert f"<@{bob['id']}>" in str(listed["embeds"][0]["fields"])
        again = await run(fake_discord, "autoresponse ignore", {"member": bob})
        assert "already ignore" in again["content"]
        await run(fake_discord, "autoresponse unignore", {"member": bob})
        clock.advance(seconds=5)
        mark = len(fake_discord.calls)
        message = await fake_discord.post_message(fake_discord.channel_id, "hello", author=bob)
        await reply_to(fake_discord, message, mark)
        actions = [entry.action for entry in await bot.services.audit.recent(fake_discord.guild_id)]
        assert actions[:2] == ["autoresponse.unignore", "autoresponse.ignore"]


# --- several triggers, several responses -----------------------------------------------------------


async def test_one_rule_answers_each_of_its_triggers(
    fake_discord: FakeDiscord, bot_env: dict[str, str]
) -> None:
    clock = FakeClock()
    async with start_bot(fake_discord, bot_env, clock=clock) as bot:
        confirmation = await add_rule(
            fake_discord,
            "mri",
            "Scans are in the pinned post.",
            more_triggers="scan, phrase: stem cell, wildcard: lesion*",
            cooldown=5,
        )
        assert "(+3 more)" in confirmation
        for text in ("my MRI", "scan tomorrow", "Stem-cell news", "new lesions"):
            clock.advance(seconds=5)
            mark = len(fake_discord.calls)
            message = await fake_discord.post_message(fake_discord.channel_id, text)
            assert (await reply_to(fake_discord, message, mark)).json[
                "content"
            ] == "Scans are in the pinned post."
        assert await hits(bot, fake_discord.guild_id, 1, 4) == 4
        assert [r.number for r in await stored_rules(bot, fake_discord.guild_id)] == [1]
        clock.advance(seconds=5)
        reasons = dry_run_reasons(await run(fake_discord, "autoresponse test", {"text": "stem cell talk"}))
        assert "#1 (trigger 3 of 4: phrase “stem cell”) answers." in reasons


async def test_random_responses_over_many_messages_stay_within_the_list(
    fake_discord: FakeDiscord, bot_env: dict[str, str]
) -> None:
    clock = FakeClock()
    async with start_bot(fake_discord, bot_env, clock=clock, rng=random.Random(2026)):
        await add_rule(fake_discord, "hello", "Alpha --- Beta --- Gamma", cooldown=5)
        said = []
        for _ in range(24):
            clock.advance(seconds=5)
            mark = len(fake_discord.calls)
            message = await fake_discord.post_message(fake_discord.channel_id, "hello")
            said.append((await reply_to(fake_discord, message, mark)).json["content"])
    assert set(said) == {"Alpha", "Beta", "Gamma"}, said


async def test_a_rule_added_in_the_form_with_several_triggers_and_responses(
    fake_discord: FakeDiscord, bot: StemcellBot
) -> None:
    handle = await fake_discord.invoke(
        "autoresponse add", {"trigger": "welcome"}, user=fake_discord.moderator
    )
    modal = (await handle.wait_response())["data"]
    labels = [component["label"] for component in modal["components"]]
    assert labels == ["Triggers", "Match mode", "Answer with", "Responses", "Weights (optional)"]
    submitted = await fake_discord.submit_modal(
        handle,
        {
            "triggers": "welcome\nphrase: new here\nhi all",
            "mode": ["starts"],
            "answer": ["embed"],
            "responses": "Hi {member}!\n---\nHello, {member}.",
            "weights": "3, 1",
        },
    )
    confirmation = (await submitted.wait_response())["data"]
    assert "#1" in confirmation["content"], confirmation
    [rule] = await stored_rules(bot, fake_discord.guild_id)
    assert rule.draft.triggers == (
        RuleTrigger("welcome", MatchMode.STARTS),
        RuleTrigger("new here", MatchMode.PHRASE),
        RuleTrigger("hi all", MatchMode.STARTS),
    )
    assert rule.draft.responses == ("Hi {member}!", "Hello, {member}.") and rule.draft.weights == (3, 1)
    assert rule.kind is AnswerKind.EMBED
    editing = await fake_discord.invoke("autoresponse edit", {"number": 1}, user=fake_discord.moderator)
    prefilled = str((await editing.wait_response())["data"]["components"])
    assert "phrase: new here" in prefilled and "Hello, {member}." in prefilled and "3, 1" in prefilled


# --- kinds of answer --------------------------------------------------------------------------------


async def test_an_embed_answer(fake_discord: FakeDiscord, bot: StemcellBot) -> None:
    await add_rule(
        fake_discord,
        "getting started",
        "Welcome, {member}! The guide answers most first questions.",
        mode="phrase",
        answer="embed",
        title="Getting started on {server}",
        link="https://example.org/guide",
    )
    mark = len(fake_discord.calls)
    message = await fake_discord.post_message(fake_discord.channel_id, "any tips for getting started?")
    call = await reply_to(fake_discord, message, mark)
    [embed] = call.json["embeds"]
    assert embed["title"] == f"Getting started on {SERVER}"
    assert embed["url"] == "https://example.org/guide"
    assert embed["description"] == "Welcome, Ana! The guide answers most first questions."
    assert not call.json.get("content") and call.json["allowed_mentions"]["parse"] == []


async def test_a_reaction_answer(fake_discord: FakeDiscord, bot: StemcellBot) -> None:
    party = fake_discord.add_guild_emoji("party")
    await add_rule(fake_discord, "thanks", "🙏", answer="reaction")
    await add_rule(fake_discord, "we did it", party, answer="reaction", mode="phrase")
    mark = len(fake_discord.calls)
    thanks = await fake_discord.post_message(fake_discord.channel_id, "thanks everyone")
    done = await fake_discord.post_message(fake_discord.channel_id, "We did it!")
    await fake_discord.wait_until(lambda: len(fake_discord.reactions) == 2, what="two reactions")
    emoji_id = party.split(":")[2].rstrip(">")
    assert fake_discord.reactions == [
        (fake_discord.channel_id, int(thanks["id"]), "🙏"),
        (fake_discord.channel_id, int(done["id"]), f"party:{emoji_id}"),
    ]
    assert bot_posts(fake_discord, mark) == []  # a reaction only: no message
    assert await hits(bot, fake_discord.guild_id, 1, 1) == 1


async def test_a_private_answer_by_dm_and_nothing_when_dms_are_closed(
    fake_discord: FakeDiscord, bot: StemcellBot, caplog: pytest.LogCaptureFixture
) -> None:
    await add_rule(
        fake_discord,
        "relapse",
        "Sorry you are going through this, {member}. Talk it through with your MS team.",
        answer="dm",
    )
    mark = len(fake_discord.calls)
    await fake_discord.post_message(fake_discord.channel_id, "I think it's a relapse")
    await fake_discord.wait_until(lambda: fake_discord.dm_messages_to(fake_discord.member), what="the DM")
    [dm] = fake_discord.dm_messages_to(fake_discord.member)
    assert dm["content"] == (
        f"-# An automatic answer from {SERVER} to your message in #general\n"
        "Sorry you are going through this, Ana. Talk it through with your MS team."
    )
    assert await hits(bot, fake_discord.guild_id, 1, 1) == 1
    bob = fake_discord.add_member("bob")
    fake_discord.closed_dms.add(int(bob["id"]))
    caplog.set_level(logging.INFO, logger="bot.cogs._rule_answers")
    await fake_discord.post_message(fake_discord.channel_id, "a relapse again?", author=bob)
    await fake_discord.wait_until(lambda: "DMs are closed" in caplog.text, what="the closed-DM log line")
    assert any(c.status == 403 for c in fake_discord.calls[mark:]), "Discord refused the DM"
    await asyncio.sleep(0.4)
    in_channel = [
        c for c in bot_posts(fake_discord, mark) if c.params["channel_id"] == str(fake_discord.channel_id)
    ]
    assert in_channel == [], "nothing is posted in the channel instead"
    assert fake_discord.dm_messages_to(bob) == []
    assert "DMs are closed" in caplog.text and bob["id"] not in caplog.text
    assert not [r for r in caplog.records if r.levelname in ("WARNING", "ERROR")]
    rule = await AutoresponseRepository(bot.db).find(fake_discord.guild_id, 1)
    assert rule is not None and rule.hit_count == 1  # only the delivered answer counts


async def test_placeholders_never_ping(fake_discord: FakeDiscord, bot: StemcellBot) -> None:
    sneaky = fake_discord.add_member("sneaky", global_name="@everyone")
    await add_rule(fake_discord, "hello", "Welcome {member} to {channel} on {server}!")
    await add_rule(fake_discord, "hi", "{member}", answer="embed", title="{member}", mode="exact")
    mark = len(fake_discord.calls)
    message = await fake_discord.post_message(fake_discord.channel_id, "hello", author=sneaky)
    call = await reply_to(fake_discord, message, mark)
    assert call.json["content"] == f"Welcome @{NO_WORD_JOINER}everyone to #general on {SERVER}!"
    mentions = call.json["allowed_mentions"]
    assert mentions["parse"] == [] and not mentions.get("users") and not mentions.get("roles")
    mark = len(fake_discord.calls)
    message = await fake_discord.post_message(fake_discord.channel_id, "hi", author=sneaky)
    embed = (await reply_to(fake_discord, message, mark)).json["embeds"][0]
    assert "@everyone" not in embed["title"] + embed["description"]


# --- safety ---------------------------------------------------------------------------------------


async def test_a_rule_imported_with_a_cooldown_of_0_answers_a_flood_once(
    fake_discord: FakeDiscord, bot_env: dict[str, str]
) -> None:
    """A file from the previous release may say 0 seconds: it is raised to 5, so a flood gets one answer."""
    older = b"version: 1\nrules:\n- trigger: hello\n  response: Hi!\n  cooldown_seconds: 0\n"
    async with start_bot(fake_discord, bot_env, clock=FakeClock()):
        reply = await run_deferred(
            fake_discord, "autoresponse import", {"file": ("old.yaml", older), "mode": "merge"}
        )
        assert "1 added" in reply.json["content"]
        mark = len(fake_discord.calls)
        for _ in range(10):
            await fake_discord.post_message(fake_discord.channel_id, "hello")
        await asyncio.sleep(0.5)
        assert len(bot_posts(fake_discord, mark)) == 1


# --- moderators' tools --------------------------------------------------------------------------------


async def test_export_remove_all_and_import_restores_every_field(
    fake_discord: FakeDiscord, bot: StemcellBot
) -> None:
    helpers = await fake_discord.add_role("Helpers")
    newcomers = await fake_discord.add_role("Newcomers")
    await add_rule(
        fake_discord,
        "mri",
        "Hi {member}! --- Hello {member}. --- Welcome.",
        more_triggers="scan, phrase: stem cell, regex: gad\\w+",
        weights="5, 2, 1",
        answer="embed",
        title="Scans",
        link="https://example.org/scans",
        channels=f"<#{fake_discord.channel_id}> <#{fake_discord.other_channel_id}>",
        roles=f"<@&{helpers}>",
        except_roles=f"<@&{newcomers}>",
        cooldown=120,
        enabled=False,
    )
    await add_rule(fake_discord, "relapse", "A private note.", answer="dm", cooldown=3600)
    await add_rule(fake_discord, "thanks", "🙏 --- :thumbsup:", answer="reaction", mode="exact")
    before = [rule.draft for rule in await stored_rules(bot, fake_discord.guild_id)]
    exported = (await run_deferred(fake_discord, "autoresponse export", {})).file(
        f"autoresponses-{fake_discord.guild_id}.yaml"
    )
    document = yaml.safe_load(exported.text())
    assert document["version"] == 2 and len(document["rules"][0]["triggers"]) == 4
    for number in (1, 2, 3):
        await run(fake_discord, "autoresponse remove", {"number": number})
    assert await stored_rules(bot, fake_discord.guild_id) == ()
    reply = await run_deferred(
        fake_discord, "autoresponse import", {"file": ("backup.yaml", exported.data), "mode": "merge"}
    )
    assert "3 added" in reply.json["content"]
    after = await stored_rules(bot, fake_discord.guild_id)
    assert [rule.draft for rule in after] == before
    assert [rule.number for rule in after] == [4, 5, 6]  # a number is never given out twice
    again = (await run_deferred(fake_discord, "autoresponse export", {})).file(
        f"autoresponses-{fake_discord.guild_id}.yaml"
    )
    assert again.data == exported.data


async def test_list_filters_and_show_gives_every_trigger_and_response(
    fake_discord: FakeDiscord, bot: StemcellBot
) -> None:
    await add_rule(fake_discord, "hello", "Hi!")
    await add_rule(fake_discord, "bye", "See you", mode="exact", enabled=False)
    await add_rule(
        fake_discord,
        "mri",
        " --- ".join(f"Answer number {n}: " + "x" * 900 for n in range(1, 8)),
        more_triggers="exact: scan please",
        channel=fake_discord.other_channel_id,
    )
    listed = await run(fake_discord, "autoresponse list", {"mode": "exact"})
    text = listed["embeds"][0]["description"]
    assert "**#2**" in text and "**#3**" in text and "**#1**" not in text
    assert "2 of 3 rules" in listed["embeds"][0]["footer"]["text"]
    off = await run(fake_discord, "autoresponse list", {"disabled": True})
    assert "**#2**" in off["embeds"][0]["description"] and "**#1**" not in off["embeds"][0]["description"]
    here = await run(fake_discord, "autoresponse list", {"channel": fake_discord.channel_id})
    assert "**#3**" not in here["embeds"][0]["description"]
    mark = len(fake_discord.calls)
    shown = await run(fake_discord, "autoresponse show", {"number": 3})
    fields = {f["name"]: f["value"] for f in shown["embeds"][0]["fields"]}
    assert fields["Triggers (2)"] == "1. word “mri”\n2. exact “scan please”"
    assert "Response 1" in fields
    callback = next(c for c in fake_discord.calls[mark:] if (c.route or "").endswith("/callback"))
    full = callback.file("auto-response-3.txt").text()
    assert all(f"Answer number {n}: " + "x" * 900 in full for n in range(1, 8))


async def test_a_message_to_the_channel_is_not_sent_for_a_reaction(
    fake_discord: FakeDiscord, bot: StemcellBot
) -> None:
    """Sanity: the reaction route is the only call a reaction answer makes."""
    await add_rule(fake_discord, "yay", "🎉", answer="reaction")
    mark = len(fake_discord.calls)
    await fake_discord.post_message(fake_discord.channel_id, "yay")
    call = await fake_discord.wait_for_call(lambda c: c.route == REACTION_ROUTE, after=mark)
    assert call.method == "PUT" and call.status == 204
    assert not [c for c in fake_discord.calls[mark:] if c.route == MESSAGES_ROUTE and c.method == "POST"]


async def test_edit_changes_and_clears_the_new_fields_by_options(
    fake_discord: FakeDiscord, bot: StemcellBot
) -> None:
    helpers = await fake_discord.add_role("Helpers")
    await add_rule(
        fake_discord,
        "mri",
        "One --- Two",
        more_triggers="scan",
        weights="3, 1",
        answer="embed",
        title="Scans",
        roles=f"<@&{helpers}>",
    )
    data = await run(
        fake_discord,
        "autoresponse edit",
        {
            "number": 1,
            "mode": "exact",
            "more_triggers": "my scan, word: lesion",
            "answer": "reply",
            "roles": "-",
        },
    )
    assert "updated" in data["content"], data
    [rule] = await stored_rules(bot, fake_discord.guild_id)
    assert rule.draft.triggers == (
        RuleTrigger("mri", MatchMode.EXACT),
        RuleTrigger("my scan", MatchMode.EXACT),  # a trigger without a mode takes the main one's
        RuleTrigger("lesion", MatchMode.WORD),
    )
    assert (rule.kind, rule.draft.title, rule.draft.allowed_role_ids) == (AnswerKind.REPLY, "", ())
    assert rule.draft.weights == (3, 1)  # the responses stayed, so their weights did
    await run(fake_discord, "autoresponse edit", {"number": 1, "response": "Only one", "more_triggers": "-"})
    [rule] = await stored_rules(bot, fake_discord.guild_id)
    assert (rule.draft.responses, rule.draft.weights, rule.draft.more_triggers) == (("Only one",), (), ())


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"roles": "@nobody"}, "is not a role: type @ and pick the role"),
        ({"roles": "<@&123456789012345678>"}, "can't find the role"),
        ({"channels": "<#123456789012345678>"}, "can't find the channel"),
        ({"weights": "3, lots"}, "is not a weight"),
        ({"response": "hi --- there", "weights": "1, 2, 3"}, "3 weights for 2 responses"),
        ({"answer": "reaction", "response": "hello"}, "not one emoji"),
        ({"link": "https://example.org"}, "only an embed answer has a link"),
    ],
)
async def test_what_a_moderator_types_wrong_is_refused_kindly(
    fake_discord: FakeDiscord, bot: StemcellBot, options: dict[str, str], words: str
) -> None:
    data = await run(fake_discord, "autoresponse add", {"trigger": "hello", "response": "hi", **options})
    assert (
        data["flags"] & EPHEMERAL
        and words in data["content"]
        and "nothing was changed" in data["content"].lower()
    ), data["content"]
    assert await stored_rules(bot, fake_discord.guild_id) == ()
