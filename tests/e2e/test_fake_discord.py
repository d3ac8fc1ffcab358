"""The fake Discord itself, driven by a small real `commands.Bot`.

If one of these fails, every project e2e test built on the fake is suspect: fix the fake first.
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator

import discord
import discord.gateway
import discord.http
import pytest
import yarl
from discord import app_commands
from discord.ext import commands
from fake_discord import FakeDiscord

CALLBACK = "/interactions/{interaction_id}/{token}/callback"
CHANNEL_MESSAGES = "/channels/{channel_id}/messages"
TOPICS = ["bone marrow", "hsct", "mesenchymal stem cells", "myelin repair"]


class MoreView(discord.ui.View):
    """One button that rewrites the message it sits on."""

    @discord.ui.button(label="More", custom_id="more")
    async def more(self, interaction: discord.Interaction, button: discord.ui.Button[MoreView]) -> None:
        await interaction.response.edit_message(content="expanded", view=None)

    @discord.ui.select(custom_id="pick", options=[discord.SelectOption(label=t, value=t) for t in TOPICS])
    async def pick(self, interaction: discord.Interaction, select: discord.ui.Select[MoreView]) -> None:
        await interaction.response.send_message(f"picked {select.values[0]}", ephemeral=True)


class NoteModal(discord.ui.Modal, title="New note"):
    """A legacy text-input row and a label-wrapped input, the two shapes discord.py 2.7 parses."""

    notes: discord.ui.TextInput[NoteModal] = discord.ui.TextInput(label="Notes", custom_id="notes")
    rating: discord.ui.Label[NoteModal] = discord.ui.Label(
        text="Rating", component=discord.ui.TextInput(custom_id="rating", max_length=2)
    )

    async def on_submit(self, interaction: discord.Interaction) -> None:
        rating = self.rating.component
        assert isinstance(rating, discord.ui.TextInput)
        await interaction.response.send_message(f"saved {self.notes.value} ({rating.value})", ephemeral=True)


class TinyBot(commands.Bot):
    """The smallest bot using what the project bot uses: slash commands, views, modals, on_message."""

    def __init__(self, api_base: str) -> None:
        intents = discord.Intents.default()
        intents.message_content = True
        super().__init__(command_prefix="!", intents=intents, help_command=None, guild_ready_timeout=0.1)
        discord.http.Route.BASE = api_base
        self.seen: list[discord.Message] = []

    async def setup_hook(self) -> None:
        # The plain Client never asks for its gateway; point it at the fake like the project bot does.
        _, url, _ = await self.http.get_bot_gateway()
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(url)
        self._add_commands()
        await self.tree.sync()

    def _add_commands(self) -> None:
        @self.tree.command(description="Repeat a text")
        async def echo(interaction: discord.Interaction, text: str, times: int = 1) -> None:
            where = "dm" if interaction.guild is None else "guild"
            await interaction.response.send_message(f"{text * times} ({where})")

        @self.tree.command(description="An explainer")
        async def stemcell(interaction: discord.Interaction, topic: str) -> None:
            await interaction.response.send_message(f"topic: {topic}", view=MoreView())

        @stemcell.autocomplete("topic")
        async def topic_choices(
            interaction: discord.Interaction, current: str
        ) -> list[app_commands.Choice[str]]:
            words = current.lower().split()
            hits = [t for t in TOPICS if any(w[:4] in t for w in words)] or TOPICS
            return [app_commands.Choice(name=t, value=t) for t in hits]

        journal = app_commands.Group(name="journal", description="Your journal")

        @journal.command(name="add", description="Add a note")
        async def add(interaction: discord.Interaction) -> None:
            await interaction.response.send_modal(NoteModal())

        self.tree.add_command(journal)

        @self.tree.command(description="A file")
        async def export(interaction: discord.Interaction) -> None:
            await interaction.response.defer(ephemeral=True)
            data = discord.File(io.BytesIO(b"date,rating\n2024-01-01,7\n"), filename="journal.csv")
            await interaction.followup.send("here", file=data, ephemeral=True)

        @self.tree.command(description="Resolved options")
        async def inspect(
            interaction: discord.Interaction, who: discord.Member, upload: discord.Attachment
        ) -> None:
            await interaction.response.defer()
            data = await upload.read()
            await interaction.edit_original_response(
                content=f"{who.name} sent {upload.filename} ({len(data)})"
            )

    async def on_message(self, message: discord.Message) -> None:
        if message.author.bot:
            return
        self.seen.append(message)
        if message.content.startswith("ping"):
            await message.reply("pong", mention_author=False)


@pytest.fixture
async def bot(fake_discord: FakeDiscord) -> AsyncIterator[TinyBot]:
    """A TinyBot connected to the fake; closed even when the test fails."""
    async with fake_discord.running(TinyBot(fake_discord.api_base)) as client:
        assert isinstance(client, TinyBot)
        yield client


async def test_slash_command_in_a_guild(fake_discord: FakeDiscord, bot: TinyBot) -> None:
    """Typed options reach the command and the callback comes back as a channel message."""
    handle = await fake_discord.invoke("echo", {"text": "hi", "times": 2})
    reply = await handle.wait_response()
    assert reply["type"] == 4
    assert reply["data"]["content"] == "hihi (guild)"
    assert fake_discord.sync_count() == 1
    assert fake_discord.gateway_received[0]["op"] == 1  # discord.py heartbeats before it identifies
    assert fake_discord.gateway_queries[0]["compress"] == "zlib-stream"


async def test_slash_command_in_a_dm(fake_discord: FakeDiscord, bot: TinyBot) -> None:
    """A DM interaction has `user`, no guild, and context 1; discord.py still routes it."""
    handle = await fake_discord.invoke("echo", {"text": "yo"}, dm=True)
    assert "guild_id" not in handle.payload and handle.payload["context"] == 1
    reply = await handle.wait_response()
    assert reply["data"]["content"] == "yo (dm)"


async def test_button_click_edits_the_message(fake_discord: FakeDiscord, bot: TinyBot) -> None:
    """The view works only if the callback response carried the message id back to discord.py."""
    handle = await fake_discord.invoke("stemcell", {"topic": "hsct"})
    reply = await handle.wait_response()
    assert reply["data"]["components"][0]["components"][0]["custom_id"] == "more"
    click = await fake_discord.click(handle, "more")
    update = await click.wait_response()
    assert update["type"] == 7
    final = handle.final_message()
    assert final is not None
    assert final["content"] == "expanded" and final["components"] == []


async def test_select_menu_answers(fake_discord: FakeDiscord, bot: TinyBot) -> None:
    """A string select sends its chosen values; the item's callback sees them."""
    handle = await fake_discord.invoke("stemcell", {"topic": "hsct"})
    await handle.wait_response()
    picked = await fake_discord.select(handle, "pick", ["myelin repair"], user=fake_discord.moderator)
    reply = await picked.wait_response()
    assert reply["data"]["content"] == "picked myelin repair"
    assert picked.payload["member"]["permissions"] != handle.payload["member"]["permissions"]


async def test_autocomplete_returns_choices(fake_discord: FakeDiscord, bot: TinyBot) -> None:
    """A focused option arrives as text and the choices come back."""
    choices = await fake_discord.autocomplete("stemcell", "topic", "bone marow")
    assert choices[0] == {"name": "bone marrow", "value": "bone marrow"}


async def test_modal_opened_and_submitted(fake_discord: FakeDiscord, bot: TinyBot) -> None:
    """Both modal shapes (action row, label) are filled and parsed by discord.py."""
    handle = await fake_discord.invoke("journal add")
    modal = await handle.wait_response()
    assert modal["type"] == 9
    submit = await fake_discord.submit_modal(handle, {"notes": "slept well", "rating": "7"})
    reply = await submit.wait_response()
    assert reply["data"]["content"] == "saved slept well (7)"
    assert reply["data"]["flags"] == 64


async def test_message_create_gets_a_reply(fake_discord: FakeDiscord, bot: TinyBot) -> None:
    """MESSAGE_CREATE reaches on_message; the reply references it and says whom it may ping."""
    message = await fake_discord.post_message(fake_discord.channel_id, "ping")
    call = await fake_discord.wait_for_call(lambda c: c.route == CHANNEL_MESSAGES)
    assert call.json["content"] == "pong"
    assert str(call.json["message_reference"]["message_id"]) == message["id"]
    assert call.json["allowed_mentions"]["replied_user"] is False
    assert fake_discord.channel_messages(fake_discord.channel_id)[-1]["type"] == 19


async def test_dm_message_gets_a_reply(fake_discord: FakeDiscord, bot: TinyBot) -> None:
    """A plain DM arrives without guild data and the reply goes to the DM channel."""
    await fake_discord.post_message(fake_discord.member_dm_channel_id, "ping me")
    call = await fake_discord.wait_for_call(lambda c: c.route == CHANNEL_MESSAGES)
    assert call.params["channel_id"] == str(fake_discord.member_dm_channel_id)


async def test_content_is_withheld_when_asked(fake_discord: FakeDiscord, bot: TinyBot) -> None:
    """Without the intent Discord sends guild messages with empty content; the bot sees ''."""
    fake_discord.withhold_message_content = True
    await fake_discord.post_message(fake_discord.channel_id, "ping")
    await fake_discord.wait_until(lambda: bot.seen, what="on_message")
    assert bot.seen[0].content == ""


async def test_resume_after_close_4000(fake_discord: FakeDiscord, bot: TinyBot) -> None:
    """4000 makes discord.py RESUME at once; events sent while it was away are replayed."""
    await fake_discord.close_gateway(4000)
    missed = await fake_discord.post_message(fake_discord.channel_id, "ping while away")
    await fake_discord.wait_until_resumed(timeout=3)
    assert fake_discord.identify_count == 1
    resume = next(f for f in fake_discord.gateway_received if f["op"] == 6)
    assert resume["d"]["session_id"] == fake_discord.session_id
    call = await fake_discord.wait_for_call(lambda c: c.route == CHANNEL_MESSAGES)
    assert str(call.json["message_reference"]["message_id"]) == missed["id"]
    handle = await fake_discord.invoke("echo", {"text": "back"})
    assert (await handle.wait_response())["data"]["content"] == "back (guild)"


async def test_rate_limited_callback_is_retried(fake_discord: FakeDiscord, bot: TinyBot) -> None:
    """A 429 with Discord's headers is waited out and retried, not raised."""
    fake_discord.fail_next("POST", CALLBACK, retry_after=0.2)
    handle = await fake_discord.invoke("echo", {"text": "slow"})
    reply = await handle.wait_response()
    assert reply["data"]["content"] == "slow (guild)"
    statuses = [c.status for c in fake_discord.calls_to("POST", CALLBACK)]
    assert statuses == [429, 200]


async def test_followup_file_is_captured(fake_discord: FakeDiscord, bot: TinyBot) -> None:
    """A multipart follow-up after a defer keeps the file bytes and fills the deferred message."""
    handle = await fake_discord.invoke("export")
    assert (await handle.wait_response())["type"] == 5
    followup = await handle.wait_followup()
    call = fake_discord.calls_to("POST", "/webhooks/{application_id}/{token}")[0]
    assert call.file("journal.csv").text().startswith("date,rating")
    assert followup["attachments"][0]["filename"] == "journal.csv"
    final = handle.final_message()
    assert final is not None and final["content"] == "here" and final["flags"] == 64


async def test_an_upload_over_the_reported_limit_is_refused(fake_discord: FakeDiscord, bot: TinyBot) -> None:
    """The interaction reports the fake's attachment limit; a bigger file gets Discord's 413 / 40005."""
    fake_discord.attachment_size_limit = 10
    handle = await fake_discord.invoke("export")
    assert handle.payload["attachment_size_limit"] == 10
    call = await fake_discord.wait_for_call(
        lambda c: c.route == "/webhooks/{application_id}/{token}" and c.status != 0
    )
    assert call.status == 413 and call.files[0].filename == "journal.csv"
    assert handle.followups == []


async def test_resolved_options_and_deferred_edit(fake_discord: FakeDiscord, bot: TinyBot) -> None:
    """Member and attachment options resolve; the attachment is readable; the edit fills the defer."""
    options = {"who": fake_discord.moderator, "upload": ("rules.yaml", b"rules: []\n")}
    handle = await fake_discord.invoke("inspect", options)
    edit = await handle.wait_edit()
    assert edit["content"] == "mod sent rules.yaml (10)"
    final = handle.final_message()
    assert final is not None and final["content"] == "mod sent rules.yaml (10)" and final["flags"] == 0


async def test_unknown_route_is_recorded(fake_discord: FakeDiscord, bot: TinyBot) -> None:
    """A route the fake does not serve answers 404 and is listed, so the teardown check would fail."""
    route = discord.http.Route("GET", "/guilds/{guild_id}/bans", guild_id=fake_discord.guild_id)
    with pytest.raises(discord.NotFound):
        await bot.http.request(route)
    assert [c.path for c in fake_discord.unknown_routes] == [f"/guilds/{fake_discord.guild_id}/bans"]
    with pytest.raises(AssertionError):
        fake_discord.assert_no_unknown_routes()
    fake_discord.unknown_routes.clear()


async def test_unsynced_command_is_a_clear_error(fake_discord: FakeDiscord, bot: TinyBot) -> None:
    """Invoking a command the bot never synced fails in the test, not as a silent timeout."""
    with pytest.raises(AssertionError, match="never synced"):
        await fake_discord.invoke("nosuch")


async def test_privileged_intents_refused(fake_discord: FakeDiscord) -> None:
    """Close code 4014 surfaces as PrivilegedIntentsRequired, the error the project bot explains."""
    fake_discord.privileged_intents_allowed = False
    with pytest.raises(discord.PrivilegedIntentsRequired):
        async with fake_discord.running(TinyBot(fake_discord.api_base)):
            pass


# --- roles, reactions, DMs and modal menus (what auto-responses use) ---------------------------------


async def test_a_new_role_and_a_members_roles_reach_the_client(
    fake_discord: FakeDiscord, bot: TinyBot
) -> None:
    """GUILD_ROLE_CREATE fills the role cache; MESSAGE_CREATE carries the author's roles as a Member."""
    role_id = await fake_discord.add_role("Helpers")
    bob = fake_discord.add_member("bob", [role_id])
    await fake_discord.post_message(fake_discord.channel_id, "hello", author=bob)
    await fake_discord.wait_until(lambda: bot.seen, what="on_message")
    author = bot.seen[-1].author
    assert isinstance(author, discord.Member)
    assert [role.name for role in author.roles] == ["@everyone", "Helpers"]
    fake_discord.set_member_roles(bob, [])
    await fake_discord.post_message(fake_discord.channel_id, "again", author=bob)
    await fake_discord.wait_until(lambda: len(bot.seen) == 2, what="the second message")
    later = bot.seen[-1].author
    assert isinstance(later, discord.Member) and [role.name for role in later.roles] == ["@everyone"]


async def test_reactions_take_unicode_and_the_guilds_own_emoji_only(
    fake_discord: FakeDiscord, bot: TinyBot
) -> None:
    """PUT .../reactions/{emoji}/@me: 204 for 👍 or a guild emoji; Discord's 10014 for anything else."""
    await fake_discord.post_message(fake_discord.channel_id, "react to me")
    await fake_discord.wait_until(lambda: bot.seen, what="on_message")
    message = bot.seen[-1]
    party = fake_discord.add_guild_emoji("party")
    await message.add_reaction("👍")
    await message.add_reaction(discord.PartialEmoji.from_str(party))
    with pytest.raises(discord.HTTPException) as caught:
        await message.add_reaction(discord.PartialEmoji.from_str("<:stranger:123456789012345678>"))
    assert caught.value.code == 10014
    emoji_id = party.split(":")[2].rstrip(">")
    assert [sent for _, _, sent in fake_discord.reactions] == ["👍", f"party:{emoji_id}"]


async def test_a_dm_to_a_member_with_closed_dms_is_refused(fake_discord: FakeDiscord, bot: TinyBot) -> None:
    """Discord creates the DM channel, then answers the message with 403 and code 50007."""
    user = await bot.fetch_user(int(fake_discord.member["id"]))
    await user.send("hello")
    assert [m["content"] for m in fake_discord.dm_messages_to(fake_discord.member)] == ["hello"]
    fake_discord.closed_dms.add(int(fake_discord.member["id"]))
    with pytest.raises(discord.Forbidden) as caught:
        await user.send("hello again")
    assert caught.value.code == 50007
    assert len(fake_discord.dm_messages_to(fake_discord.member)) == 1


async def test_a_modal_select_sends_its_default_or_a_chosen_option(fake_discord: FakeDiscord) -> None:
    """A menu left alone submits its default; a value that is not an option fails the test."""

    class PickModal(discord.ui.Modal, title="Pick"):
        kind: discord.ui.Label[PickModal] = discord.ui.Label(
            text="Kind",
            component=discord.ui.Select(
                custom_id="kind",
                options=[
                    discord.SelectOption(label="Reply", value="reply", default=True),
                    discord.SelectOption(label="Reaction", value="reaction"),
                ],
            ),
        )

        async def on_submit(self, interaction: discord.Interaction) -> None:
            menu = self.kind.component
            assert isinstance(menu, discord.ui.Select)
            await interaction.response.send_message(f"kind {menu.values}", ephemeral=True)

    class PickBot(TinyBot):
        def _add_commands(self) -> None:
            @self.tree.command(description="A form with a menu")
            async def pick(interaction: discord.Interaction) -> None:
                await interaction.response.send_modal(PickModal())

    async with fake_discord.running(PickBot(fake_discord.api_base)):
        for chosen, shown in ((None, "['reply']"), (["reaction"], "['reaction']")):
            handle = await fake_discord.invoke("pick")
            await handle.wait_response()
            submitted = await fake_discord.submit_modal(handle, {} if chosen is None else {"kind": chosen})
            assert (await submitted.wait_response())["data"]["content"] == f"kind {shown}"
        handle = await fake_discord.invoke("pick")
        await handle.wait_response()
        with pytest.raises(AssertionError, match="not all options"):
            await fake_discord.submit_modal(handle, {"kind": ["shout"]})
