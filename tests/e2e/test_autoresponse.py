"""Auto-responses through the real discord.py client: moderators manage rules by slash command,
members' messages get the one rule that answers, quietly, and nothing else gets anything."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
import yaml
from channel_watch import CLINIC_MESSAGE, MESSAGES_ROUTE, QUIET, bot_posts, reply_to, stays_silent
from fake_discord import FakeDiscord, InteractionHandle, RestCall
from running_bot import start_bot

from bot.app import StemcellBot
from bot.core.autoresponse import Rule
from bot.core.clock import FakeClock
from bot.db.repositories.audit import AuditRepository
from bot.db.repositories.autoresponses import AutoresponseRepository

EPHEMERAL = 1 << 6
FOLLOWUP_ROUTE = "/webhooks/{application_id}/{token}"
WELCOME = "Hi! The pinned post has our reading list."


# --- helpers ------------------------------------------------------------------------------------


async def run(
    fake: FakeDiscord, name: str, options: dict[str, Any] | None = None, *, user: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Invoke a command (as the moderator unless told otherwise) and return its first response's data."""
    handle = await fake.invoke(name, options or {}, user=user or fake.moderator)
    response = await handle.wait_response()
    return response["data"]


async def run_deferred(
    fake: FakeDiscord, name: str, options: dict[str, Any]
) -> tuple[InteractionHandle, RestCall]:
    """Invoke a command that defers (export, import) and return its handle and its follow-up call."""
    mark = len(fake.calls)
    handle = await fake.invoke(name, options, user=fake.moderator)
    await handle.wait_response()
    call = await fake.wait_for_call(lambda c: c.method == "POST" and c.route == FOLLOWUP_ROUTE, after=mark)
    return handle, call


async def add_rule(fake: FakeDiscord, trigger: str, response: str = WELCOME, **options: Any) -> str:
    data = await run(fake, "autoresponse add", {"trigger": trigger, "response": response, **options})
    assert data["flags"] & EPHEMERAL, data
    return str(data["content"])


# --- the core promise ---------------------------------------------------------------------------


async def test_a_moderator_adds_a_rule_and_a_member_gets_the_answer_without_pings(
    fake_discord: FakeDiscord, bot: StemcellBot
) -> None:
    confirmation = await add_rule(fake_discord, "hello")
    assert "#1" in confirmation, confirmation
    mark = len(fake_discord.calls)
    message = await fake_discord.post_message(fake_discord.channel_id, "Hello everyone, I'm new here")
    call = await reply_to(fake_discord, message, mark)
    assert call.json["content"] == WELCOME
    assert call.json["allowed_mentions"]["parse"] == []
    assert call.json["allowed_mentions"].get("replied_user") is False
    rule = await _wait_for_hits(bot, fake_discord.guild_id, 1, 1)
    assert rule.hit_count == 1


async def stored_rule(bot: StemcellBot, guild_id: int, number: int) -> Rule:
    """Rule #number as the database holds it (read past the bot, straight from storage)."""
    rule = await AutoresponseRepository(bot.db).find(guild_id, number)
    assert rule is not None, f"rule #{number} is not stored"
    return rule


async def _wait_for_hits(bot: StemcellBot, guild_id: int, number: int, hits: int) -> Rule:
    for _ in range(50):
        rule = await stored_rule(bot, guild_id, number)
        if rule.hit_count >= hits:
            return rule
        await asyncio.sleep(0.05)
    raise AssertionError(f"rule #{number} never reached {hits} hits")


async def test_the_cooldown_holds_per_channel_and_ends_on_time(
    fake_discord: FakeDiscord, bot_env: dict[str, str]
) -> None:
    clock = FakeClock()
    async with start_bot(fake_discord, bot_env, clock=clock):
        await add_rule(fake_discord, "hello", cooldown=120)
        mark = len(fake_discord.calls)
        first = await fake_discord.post_message(fake_discord.channel_id, "hello")
        await reply_to(fake_discord, first, mark)
        mark = len(fake_discord.calls)
        await fake_discord.post_message(fake_discord.channel_id, "hello again")
        assert await stays_silent(fake_discord, mark), "the cooldown did not hold"
        elsewhere = await fake_discord.post_message(fake_discord.other_channel_id, "hello")
        await reply_to(fake_discord, elsewhere, mark)  # the cooldown is per channel
        clock.advance(seconds=121)
        mark = len(fake_discord.calls)
        later = await fake_discord.post_message(fake_discord.channel_id, "hello, back again")
        await reply_to(fake_discord, later, mark)


async def test_a_response_with_everyone_and_mentions_pings_nobody(
    fake_discord: FakeDiscord, bot: StemcellBot
) -> None:
    response = (
        f"@everyone look! <@&{fake_discord.moderator_role_id}> and <@{fake_discord.member['id']}> @here"
    )
    await add_rule(fake_discord, "announce", response)
    mark = len(fake_discord.calls)
    message = await fake_discord.post_message(fake_discord.channel_id, "announce")
    call = await reply_to(fake_discord, message, mark)
    assert call.json["content"] == response
    mentions = call.json["allowed_mentions"]
    assert mentions["parse"] == [] and mentions.get("replied_user") is False
    assert not mentions.get("users") and not mentions.get("roles")


async def test_a_member_without_manage_server_is_refused_for_every_subcommand(
    fake_discord: FakeDiscord, bot: StemcellBot
) -> None:
    await add_rule(fake_discord, "hello")
    audit_before = await AuditRepository(bot.db).recent(fake_discord.guild_id)
    yaml_file = ("rules.yaml", b"version: 1\nrules: []\n")
    for name, options in [
        ("autoresponse add", {"trigger": "hi", "response": "hello"}),
        ("autoresponse add", {"trigger": "hi"}),
        ("autoresponse edit", {"number": 1, "enabled": False}),
        ("autoresponse edit", {"number": 1}),
        ("autoresponse remove", {"number": 1}),
        ("autoresponse list", {}),
        ("autoresponse show", {"number": 1}),
        ("autoresponse test", {"text": "hello"}),
        ("autoresponse export", {}),
        ("autoresponse import", {"file": yaml_file, "mode": "replace"}),
        ("modlog channel", {"channel": fake_discord.other_channel_id}),
        ("modlog off", {}),
    ]:
        data = await run(fake_discord, name, options, user=fake_discord.member)
        assert data["flags"] & EPHEMERAL and "Manage Server" in data["content"], (name, data)
    assert await AuditRepository(bot.db).recent(fake_discord.guild_id) == audit_before
    assert len(await AutoresponseRepository(bot.db).list(fake_discord.guild_id)) == 1


async def test_test_reports_the_answering_rule_and_the_caution(
    fake_discord: FakeDiscord, bot: StemcellBot
) -> None:
    await add_rule(fake_discord, "hello")
    await add_rule(fake_discord, "hello there", mode="phrase")
    data = await run(fake_discord, "autoresponse test", {"text": "Hello there! Tried a stem cell clinic?"})
    fields = {f["name"]: f["value"] for f in data["embeds"][0]["fields"]}
    assert "#2 would answer" in fields["Auto-response"]
    assert "#1" in fields["Auto-response"] and "goes first" in fields["Auto-response"]
    assert "would be posted" in fields["Clinic watch"] and bot.content.caution.title in fields["Clinic watch"]
    assert "One reply per message" in fields
    quiet = await run(fake_discord, "autoresponse test", {"text": "nothing to see"})
    quiet_fields = {f["name"]: f["value"] for f in quiet["embeds"][0]["fields"]}
    assert "No rule matches" in quiet_fields["Auto-response"]
    assert quiet_fields["Clinic watch"].startswith("**Quiet:**")
    mark = len(fake_discord.calls)
    message = await fake_discord.post_message(fake_discord.channel_id, "hello there")
    await reply_to(fake_discord, message, mark)  # the dry runs took no cooldown


async def test_one_reply_per_message_the_caution_goes_first(
    fake_discord: FakeDiscord, bot: StemcellBot
) -> None:
    await add_rule(fake_discord, "mexico")
    mark = len(fake_discord.calls)
    message = await fake_discord.post_message(fake_discord.channel_id, CLINIC_MESSAGE)
    call = await reply_to(fake_discord, message, mark)
    assert call.json["embeds"][0]["title"] == bot.content.caution.title
    await asyncio.sleep(QUIET)
    assert len(bot_posts(fake_discord, mark)) == 1


# --- add, edit, remove, list, show ----------------------------------------------------------------


async def test_add_without_a_response_opens_a_form_showing_the_trigger(
    fake_discord: FakeDiscord, bot: StemcellBot
) -> None:
    handle = await fake_discord.invoke(
        "autoresponse add", {"trigger": "welcome"}, user=fake_discord.moderator
    )
    modal = (await handle.wait_response())["data"]
    assert "welcome" in str(modal["components"])
    submitted = await fake_discord.submit_modal(handle, {"responses": "Welcome!\nRead the pinned post."})
    confirmation = (await submitted.wait_response())["data"]
    assert confirmation["flags"] & EPHEMERAL and "#1" in confirmation["content"]
    rule = await stored_rule(bot, fake_discord.guild_id, 1)
    assert rule.response == "Welcome!\nRead the pinned post."
    mark = len(fake_discord.calls)
    message = await fake_discord.post_message(fake_discord.channel_id, "welcome")
    assert (await reply_to(fake_discord, message, mark)).json["content"] == rule.response


async def test_a_refused_form_hands_the_written_response_back(
    fake_discord: FakeDiscord, bot: StemcellBot
) -> None:
    """Two forms open for the same trigger: the second save is refused, and its text comes back as a file."""
    first = await fake_discord.invoke("autoresponse add", {"trigger": "welcome"}, user=fake_discord.moderator)
    second = await fake_discord.invoke(
        "autoresponse add", {"trigger": "welcome"}, user=fake_discord.moderator
    )
    await first.wait_response()
    await second.wait_response()
    await (await fake_discord.submit_modal(first, {"responses": "Hello and welcome!"})).wait_response()
    mark = len(fake_discord.calls)
    refused = await fake_discord.submit_modal(
        second, {"triggers": "welcome\nhi there", "responses": "A long, careful welcome text."}
    )
    data = (await refused.wait_response())["data"]
    assert data["flags"] & EPHEMERAL and "nothing is lost" in data["content"]
    callback = next(c for c in fake_discord.calls[mark:] if (c.route or "").endswith("/callback"))
    kept = callback.file("your-auto-response.txt").text()
    assert "welcome\nhi there" in kept and "A long, careful welcome text." in kept
    assert [r.number for r in await AutoresponseRepository(bot.db).list(fake_discord.guild_id)] == [1]


async def test_a_bad_trigger_is_refused_before_the_form_opens(
    fake_discord: FakeDiscord, bot: StemcellBot
) -> None:
    data = await run(fake_discord, "autoresponse add", {"trigger": "(?<=x)y", "mode": "regex"})
    assert data["flags"] & EPHEMERAL and "nothing was changed" in data["content"]
    assert "trigger" in data["content"] and "RE2" in data["content"]


async def test_edit_changes_fields_and_without_options_opens_the_response_prefilled(
    fake_discord: FakeDiscord, bot: StemcellBot
) -> None:
    await add_rule(fake_discord, "hello")
    data = await run(fake_discord, "autoresponse edit", {"number": 1, "trigger": "hi", "cooldown": 5})
    assert "#1" in data["content"] and "“hi”" in data["content"]
    same = await run(fake_discord, "autoresponse edit", {"number": 1, "cooldown": 5})
    assert "nothing changed" in same["content"]
    handle = await fake_discord.invoke("autoresponse edit", {"number": 1}, user=fake_discord.moderator)
    modal = (await handle.wait_response())["data"]
    assert WELCOME in str(modal["components"])  # prefilled
    submitted = await fake_discord.submit_modal(handle, {"responses": "Hi there!"})
    assert "updated" in (await submitted.wait_response())["data"]["content"]
    rule = await stored_rule(bot, fake_discord.guild_id, 1)
    assert (rule.trigger, rule.response, rule.draft.cooldown_seconds) == ("hi", "Hi there!", 5)
    mark = len(fake_discord.calls)
    message = await fake_discord.post_message(fake_discord.channel_id, "hi all")
    assert (await reply_to(fake_discord, message, mark)).json["content"] == "Hi there!"
    [latest, *_] = await AuditRepository(bot.db).recent(fake_discord.guild_id)
    assert latest.action == "autoresponse.edit" and latest.before == {"response": WELCOME}


async def test_a_disabled_rule_and_a_removed_rule_stay_quiet(
    fake_discord: FakeDiscord, bot: StemcellBot
) -> None:
    await add_rule(fake_discord, "hello")
    await add_rule(fake_discord, "bye", "See you!")
    await run(fake_discord, "autoresponse edit", {"number": 1, "enabled": False})
    removed = await run(fake_discord, "autoresponse remove", {"number": 2})
    assert "Removed auto-response #2" in removed["content"]
    mark = len(fake_discord.calls)
    await fake_discord.post_message(fake_discord.channel_id, "hello")
    await fake_discord.post_message(fake_discord.channel_id, "bye")
    assert await stays_silent(fake_discord, mark)
    missing = await run(fake_discord, "autoresponse show", {"number": 2})
    assert missing["flags"] & EPHEMERAL and "no auto-response #2" in missing["content"]


async def test_list_pages_with_buttons_and_shows_hits(fake_discord: FakeDiscord, bot: StemcellBot) -> None:
    rules = [{"trigger": f"word{n}", "response": f"answer {n}"} for n in range(1, 13)]
    document = yaml.safe_dump({"version": 1, "rules": rules}).encode()
    await run_deferred(
        fake_discord, "autoresponse import", {"file": ("rules.yaml", document), "mode": "merge"}
    )
    mark = len(fake_discord.calls)
    message = await fake_discord.post_message(fake_discord.channel_id, "word1")
    await reply_to(fake_discord, message, mark)
    await _wait_for_hits(bot, fake_discord.guild_id, 1, 1)
    handle = await fake_discord.invoke("autoresponse list", user=fake_discord.moderator)
    data = (await handle.wait_response())["data"]
    embed = data["embeds"][0]
    assert data["flags"] & EPHEMERAL and "Page 1 of 2" in embed["footer"]["text"]
    assert "**#1** · word “word1” · 1 hit, last <t:" in embed["description"]
    assert ":R> · on · all channels" in embed["description"]
    assert "#11" not in embed["description"]
    click = await fake_discord.click(handle, "autoresponse:list:2:next:0:-:-", user=fake_discord.moderator)
    await click.wait_response()
    page_two = handle.final_message()
    assert page_two is not None and "Page 2 of 2" in page_two["embeds"][0]["footer"]["text"]
    assert "#12" in page_two["embeds"][0]["description"]
    refused = await fake_discord.click(handle, "autoresponse:list:1:prev:0:-:-", user=fake_discord.member)
    assert "Manage Server" in (await refused.wait_response())["data"]["content"]


async def test_show_gives_the_whole_rule(fake_discord: FakeDiscord, bot: StemcellBot) -> None:
    await add_rule(fake_discord, "hello", channel=fake_discord.other_channel_id, cooldown=30)
    embed = (await run(fake_discord, "autoresponse show", {"number": 1}))["embeds"][0]
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert embed["title"] == "Auto-response #1" and embed["description"] == WELCOME
    assert fields["Mode"] == "word" and fields["Channels"] == f"<#{fake_discord.other_channel_id}>"
    assert fields["Cooldown"].startswith("30 s") and fields["Answers sent"] == "0"


# --- limits and hostile input ------------------------------------------------------------------


async def test_a_trigger_over_the_limit_is_refused_kindly(
    fake_discord: FakeDiscord, bot: StemcellBot
) -> None:
    data = await run(fake_discord, "autoresponse add", {"trigger": "x" * 201, "response": "too long"})
    assert data["flags"] & EPHEMERAL and "nothing was changed" in data["content"]
    assert "trigger" in data["content"] and "200" in data["content"]
    long_response = await run(fake_discord, "autoresponse add", {"trigger": "ok", "response": "y" * 2001})
    assert "response" in long_response["content"] and "2,000" in long_response["content"]
    assert await AutoresponseRepository(bot.db).list(fake_discord.guild_id) == ()


async def test_a_hostile_regex_is_harmless(fake_discord: FakeDiscord, bot: StemcellBot) -> None:
    """`(a+)+$` backtracks catastrophically in Python's `re`; through RE2 it cannot stall the bot."""
    await add_rule(fake_discord, "(a+)+$", "only a's, I see", mode="regex")
    await add_rule(fake_discord, "ping", "pong")
    mark = len(fake_discord.calls)
    await fake_discord.post_message(fake_discord.channel_id, "a" * 10_000 + "!")
    after = await fake_discord.post_message(fake_discord.channel_id, "ping")
    call = await reply_to(fake_discord, after, mark)  # handled in turn, within the usual wait
    assert call.json["content"] == "pong"
    assert [c.json["content"] for c in bot_posts(fake_discord, mark)] == ["pong"]
    matched = await fake_discord.post_message(fake_discord.other_channel_id, "a" * 10_000)
    assert (await reply_to(fake_discord, matched, mark)).json["content"] == "only a's, I see"


async def test_a_regex_that_matches_everything_is_refused(
    fake_discord: FakeDiscord, bot: StemcellBot
) -> None:
    data = await run(fake_discord, "autoresponse add", {"trigger": ".*", "response": "hi", "mode": "regex"})
    assert "empty message" in data["content"] and "nothing was changed" in data["content"]


# --- where rules answer --------------------------------------------------------------------------


async def test_a_rule_scoped_to_a_channel_answers_only_there(
    fake_discord: FakeDiscord, bot: StemcellBot
) -> None:
    await add_rule(fake_discord, "hello", channel=fake_discord.other_channel_id)
    mark = len(fake_discord.calls)
    await fake_discord.post_message(fake_discord.channel_id, "hello")
    assert await stays_silent(fake_discord, mark)
    message = await fake_discord.post_message(fake_discord.other_channel_id, "hello")
    await reply_to(fake_discord, message, mark)


async def test_no_answer_in_dms_or_to_bots_webhooks_or_itself(
    fake_discord: FakeDiscord, bot: StemcellBot
) -> None:
    await add_rule(fake_discord, "hello", "hello", cooldown=5)  # its own answer would trigger it again
    mark = len(fake_discord.calls)
    await fake_discord.post_message(fake_discord.channel_id, "hello", bot=True)
    await fake_discord.post_message(fake_discord.channel_id, "hello", webhook_id=424242)
    assert await stays_silent(fake_discord, mark)
    await fake_discord.post_message(fake_discord.member_dm_channel_id, "hello")
    await asyncio.sleep(QUIET)
    assert [c for c in bot_posts(fake_discord, mark) if c.json.get("content") == "hello"] == []
    message = await fake_discord.post_message(fake_discord.channel_id, "hello")
    await reply_to(fake_discord, message, mark)
    await asyncio.sleep(QUIET)  # the echo of the bot's own "hello" must not be answered
    assert len([c for c in bot_posts(fake_discord, mark) if c.json.get("content") == "hello"]) == 1


async def test_rules_and_their_cooldowns_survive_a_restart(
    fake_discord: FakeDiscord, bot_env: dict[str, str]
) -> None:
    async with start_bot(fake_discord, bot_env) as first:
        await add_rule(fake_discord, "hello")
        mark = len(fake_discord.calls)
        message = await fake_discord.post_message(fake_discord.channel_id, "hello")
        await reply_to(fake_discord, message, mark)
        await _wait_for_hits(first, fake_discord.guild_id, 1, 1)
    async with start_bot(fake_discord, bot_env):
        mark = len(fake_discord.calls)
        await fake_discord.post_message(fake_discord.channel_id, "hello")
        assert await stays_silent(fake_discord, mark)
        message = await fake_discord.post_message(fake_discord.other_channel_id, "hello")
        await reply_to(fake_discord, message, mark)


# --- export and import ---------------------------------------------------------------------------


async def test_export_then_import_round_trips_through_attachments(
    fake_discord: FakeDiscord, bot: StemcellBot
) -> None:
    await add_rule(fake_discord, "hello")
    await add_rule(
        fake_discord, "stem cell", "Multi\nline", mode="phrase", channel=fake_discord.other_channel_id
    )
    await run(fake_discord, "autoresponse edit", {"number": 2, "enabled": False})
    _, call = await run_deferred(fake_discord, "autoresponse export", {})
    exported = call.file(f"autoresponses-{fake_discord.guild_id}.yaml")
    document = yaml.safe_load(exported.text())
    assert [r["triggers"][0]["text"] for r in document["rules"]] == ["hello", "stem cell"]
    repository = AutoresponseRepository(bot.db)
    before = [rule.draft for rule in await repository.list(fake_discord.guild_id)]
    await run(fake_discord, "autoresponse remove", {"number": 1})
    _, reply = await run_deferred(
        fake_discord, "autoresponse import", {"file": ("backup.yaml", exported.data), "mode": "replace"}
    )
    assert "2 added" in reply.json["content"] and "1 removed first" in reply.json["content"]
    assert [rule.draft for rule in await repository.list(fake_discord.guild_id)] == before
    assert [rule.number for rule in await repository.list(fake_discord.guild_id)] == [3, 4]  # never reused
    _, again = await run_deferred(fake_discord, "autoresponse export", {})
    assert again.file(f"autoresponses-{fake_discord.guild_id}.yaml").data == exported.data
    mark = len(fake_discord.calls)
    message = await fake_discord.post_message(fake_discord.channel_id, "hello")
    await reply_to(fake_discord, message, mark)  # imported rules are live at once


async def test_a_page_of_widely_scoped_rules_still_fits(fake_discord: FakeDiscord, bot: StemcellBot) -> None:
    """Ten rules limited to 25 channels each: the list counts the channels rather than naming them."""
    channels = [900_000_000_000_000_000 + n for n in range(25)]
    rules = [
        {"trigger": f"word{n}", "response": "r" * 300, "mode": "word", "channels": list(channels)}
        for n in range(10)
    ]
    document = yaml.safe_dump({"version": 1, "rules": rules}).encode()
    _, reply = await run_deferred(
        fake_discord, "autoresponse import", {"file": ("wide.yaml", document), "mode": "merge"}
    )
    assert "10 added" in reply.json["content"], reply.json["content"]
    data = await run(fake_discord, "autoresponse list")
    description = data["embeds"][0]["description"]
    assert "25 channels" in description and len(description) <= 4096


async def test_a_malformed_yaml_import_changes_nothing_and_says_where(
    fake_discord: FakeDiscord, bot: StemcellBot
) -> None:
    await add_rule(fake_discord, "hello")
    audit_before = await AuditRepository(bot.db).recent(fake_discord.guild_id)
    broken = b"version: 1\nrules:\n- trigger: hi\n  response: [unclosed\n"
    _, reply = await run_deferred(
        fake_discord, "autoresponse import", {"file": ("broken.yaml", broken), "mode": "replace"}
    )
    content = reply.json["content"]
    assert "nothing was changed" in content and "not valid YAML" in content and "line" in content
    assert len(await AutoresponseRepository(bot.db).list(fake_discord.guild_id)) == 1
    assert await AuditRepository(bot.db).recent(fake_discord.guild_id) == audit_before


async def test_one_bad_rule_among_many_changes_nothing_and_is_named_by_index_and_field(
    fake_discord: FakeDiscord, bot: StemcellBot
) -> None:
    await add_rule(fake_discord, "hello")
    rules: list[dict[str, Any]] = [{"trigger": f"word{n}", "response": f"answer {n}"} for n in range(1, 8)]
    rules[3]["mode"] = "fuzzy"
    rules[5]["trigger"] = "t" * 201
    document = yaml.safe_dump({"version": 1, "rules": rules}).encode()
    _, reply = await run_deferred(
        fake_discord, "autoresponse import", {"file": ("rules.yaml", document), "mode": "merge"}
    )
    content = reply.json["content"]
    assert "nothing was changed" in content
    assert "rule 4: mode:" in content and "rule 6: trigger:" in content and "rule 1:" not in content
    assert [r.trigger for r in await AutoresponseRepository(bot.db).list(fake_discord.guild_id)] == ["hello"]


async def test_a_long_problem_list_is_cut_to_fit_and_attached_in_full(
    fake_discord: FakeDiscord, bot: StemcellBot
) -> None:
    rules = [{"trigger": f"word{n}", "response": "", "mode": "nope"} for n in range(1, 61)]
    document = yaml.safe_dump({"version": 1, "rules": rules}).encode()
    _, reply = await run_deferred(
        fake_discord, "autoresponse import", {"file": ("rules.yaml", document), "mode": "merge"}
    )
    assert len(reply.json["content"]) <= 2000 and "attached" in reply.json["content"]
    report = reply.file("import-problems.txt").text()
    assert "rule 60: mode:" in report and "rule 60: response:" in report
    assert await AutoresponseRepository(bot.db).list(fake_discord.guild_id) == ()


async def test_an_oversized_import_is_refused_before_download(
    fake_discord: FakeDiscord, bot: StemcellBot
) -> None:
    mark = len(fake_discord.calls)
    data = await run(
        fake_discord, "autoresponse import", {"file": ("huge.yaml", b"#" * 1_000_001), "mode": "merge"}
    )
    assert (
        data["flags"] & EPHEMERAL and "1 MB" in data["content"] and "Nothing was changed" in data["content"]
    )
    assert not [c for c in fake_discord.calls[mark:] if "/attachments/" in c.path]


# --- mod-log -------------------------------------------------------------------------------------


async def test_the_modlog_channel_gets_a_short_embed_for_each_change(
    fake_discord: FakeDiscord, bot: StemcellBot
) -> None:
    log_channel = fake_discord.other_channel_id
    data = await run(fake_discord, "modlog channel", {"channel": log_channel})
    assert data["flags"] & EPHEMERAL and f"<#{log_channel}>" in data["content"]

    def reported(title: str) -> Callable[[RestCall], bool]:
        return lambda c: (
            c.method == "POST"
            and c.route == MESSAGES_ROUTE
            and c.params["channel_id"] == str(log_channel)
            and title in c.json["embeds"][0]["title"]
        )

    await fake_discord.wait_for_call(reported("Mod-log channel set"))
    mark = len(fake_discord.calls)
    await add_rule(fake_discord, "hello", "Hi @everyone")
    call = await fake_discord.wait_for_call(reported("Auto-response added"), after=mark)
    embed = call.json["embeds"][0]
    assert embed["title"] == "Auto-response added: #1"
    assert f"<@{fake_discord.moderator['id']}>" in embed["description"]
    assert "hello" in str(embed["fields"]) and call.json["allowed_mentions"]["parse"] == []
    mark = len(fake_discord.calls)
    await run(fake_discord, "clinicwatch off")
    await fake_discord.wait_for_call(reported("Clinic watch"), after=mark)
    mark = len(fake_discord.calls)
    off = await run(fake_discord, "modlog off")
    assert "stop reporting" in off["content"]
    await fake_discord.wait_for_call(reported("Mod-log"), after=mark)  # the goodbye in the old channel
    mark = len(fake_discord.calls)
    await run(fake_discord, "autoresponse remove", {"number": 1})
    assert await stays_silent(fake_discord, mark)


async def test_a_vanished_modlog_channel_never_fails_the_command(
    fake_discord: FakeDiscord, bot: StemcellBot, caplog: pytest.LogCaptureFixture
) -> None:
    log_channel = fake_discord.other_channel_id
    await run(fake_discord, "modlog channel", {"channel": log_channel})
    # Reports go out after the answer: wait for this one before taking the permission away.
    await fake_discord.wait_for_call(
        lambda c: (
            c.method == "POST" and c.route == MESSAGES_ROUTE and c.params["channel_id"] == str(log_channel)
        )
    )
    fake_discord.fail_next("POST", MESSAGES_ROUTE, status=403)  # permission taken away
    data = await run(fake_discord, "autoresponse add", {"trigger": "hello", "response": "hi"})
    assert "#1" in data["content"]
    assert len(await AutoresponseRepository(bot.db).list(fake_discord.guild_id)) == 1
    warning = "Could not post to the mod-log channel"
    await fake_discord.wait_until(lambda: warning in caplog.text, what="the 403 warning")
    del fake_discord.channels[log_channel]  # the channel deleted (Discord answers 404)
    data = await run(fake_discord, "autoresponse edit", {"number": 1, "enabled": False})
    assert "updated" in data["content"]
    await fake_discord.wait_until(lambda: caplog.text.count(warning) == 2, what="the 404 warning")
