"""A small Discord, on loopback, that the real discord.py client can log in to.

One aiohttp server answers REST under `/api/v10` and the gateway websocket at `/`, so the bot
under test runs its real HTTP, rate-limit, gateway, view and modal code. Tests drive it the way
people do (slash commands, clicks, modal submits, messages) and assert on the REST calls the bot
made. See `tests/e2e/README.md` for a walk-through.
"""

# The waiting helpers take `timeout=` by name: tests read better than wrapping each in asyncio.timeout.
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import re
import secrets
import time
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import discord
import emoji
import payloads as p
from aiohttp import BodyPartReader, WSMsgType, web

JsonDict = dict[str, Any]
Handler = Callable[["RestCall", dict[str, str]], Awaitable[web.StreamResponse]]

API_PREFIX = "/api/v10"

# Application command option types (Discord's numbering).
SUB_COMMAND, SUB_COMMAND_GROUP = 1, 2
STRING, INTEGER, BOOLEAN, USER, CHANNEL, ROLE, MENTIONABLE, NUMBER, ATTACHMENT = 3, 4, 5, 6, 7, 8, 9, 10, 11

# Interaction and callback types.
APPLICATION_COMMAND, MESSAGE_COMPONENT, AUTOCOMPLETE, MODAL_SUBMIT = 2, 3, 4, 5
CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE, DEFERRED_UPDATE, UPDATE_MESSAGE = 4, 5, 6, 7
AUTOCOMPLETE_RESULT, MODAL = 8, 9

BUTTON = 2
SELECT_TYPES = (3, 5, 6, 7, 8)
TEXT_INPUT, LABEL = 4, 18


class FakeDiscordError(AssertionError):
    """A test asked the fake for something Discord could not do (an unsynced command, a missing button)."""


class FakeDiscordTimeout(AssertionError):
    """Something the test waited for did not happen; the message says what."""


@dataclass
class RestFile:
    """One file part of a multipart request, kept whole so tests can parse exports."""

    field: str
    filename: str
    content_type: str
    data: bytes

    def text(self, encoding: str = "utf-8") -> str:
        """The file decoded as text (exports are UTF-8)."""
        return self.data.decode(encoding)


@dataclass
class RestCall:
    """One REST request the bot made, as the fake understood it."""

    method: str
    path: str
    route: str | None
    params: dict[str, str]
    query: dict[str, str]
    json: Any
    files: list[RestFile]
    headers: dict[str, str]
    timestamp: float
    status: int = 0

    def file(self, filename: str) -> RestFile:
        """The uploaded file called `filename`; fails listing what was uploaded."""
        for item in self.files:
            if item.filename == filename:
                return item
        raise FakeDiscordError(
            f"no file {filename!r} in {self.method} {self.path}: {[f.filename for f in self.files]}"
        )


@dataclass
class _Failure:
    method: str
    route: str
    status: int
    retry_after: float
    is_global: bool


class _Router:
    """Maps `METHOD /path` to a route template and its handler; the template names the route in tests."""

    def __init__(self) -> None:
        self._routes: list[tuple[str, str, re.Pattern[str], Handler]] = []

    def add(self, method: str, template: str, handler: Handler) -> None:
        pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template))
        self._routes.append((method, template, re.compile(pattern + r"\Z"), handler))

    def match(self, method: str, path: str) -> tuple[str, dict[str, str], Handler] | None:
        for route_method, template, pattern, handler in self._routes:
            found = pattern.match(path)
            if route_method == method and found:
                return template, found.groupdict(), handler
        return None

    def templates(self) -> set[tuple[str, str]]:
        return {(method, template) for method, template, _, _ in self._routes}


class _GatewayConnection:
    """One websocket; zlib-stream means one compressor for the whole connection, flushed per frame."""

    def __init__(self, ws: web.WebSocketResponse, *, compress: bool) -> None:
        self.ws = ws
        self._compressor = zlib.compressobj() if compress else None
        self._lock = asyncio.Lock()

    async def send(self, frame: JsonDict) -> None:
        data = json.dumps(frame).encode()
        async with self._lock:  # the compressed stream must leave in the order it was built
            if self.ws.closed:
                return
            if self._compressor is not None:
                chunk = self._compressor.compress(data) + self._compressor.flush(zlib.Z_SYNC_FLUSH)
                await self.ws.send_bytes(chunk)
            else:
                await self.ws.send_str(data.decode())


class InteractionHandle:
    """One interaction the fake sent, and everything the bot answered to it."""

    def __init__(self, fake: FakeDiscord, payload: JsonDict, *, source_message_id: int | None) -> None:
        self.fake = fake
        self.payload = payload
        self.id = int(payload["id"])
        self.token: str = payload["token"]
        self.channel_id = int(payload["channel_id"])
        self.guild_id = int(payload["guild_id"]) if "guild_id" in payload else None
        self.source_message_id = source_message_id
        self.response: JsonDict | None = None
        self.followups: list[JsonDict] = []
        self.edits: list[JsonDict] = []
        self.original_message_id: int | None = None
        self.original_deleted = False

    def __repr__(self) -> str:
        return f"<InteractionHandle id={self.id} type={self.payload['type']} response={self.response_type}>"

    @property
    def response_type(self) -> int | None:
        """The callback type the bot chose (4 message, 5 defer, 7 update, 9 modal, ...)."""
        return None if self.response is None else self.response.get("type")

    async def wait_response(self, timeout: float = 5.0) -> JsonDict:
        """The callback body `{type, data}`; fails if the bot did not answer in time (Discord allows 3 s)."""
        await self.fake._wait(lambda: self.response is not None, timeout, f"a response to {self!r}")
        assert self.response is not None
        return self.response

    async def wait_followup(self, count: int = 1, timeout: float = 5.0) -> JsonDict:
        """The `count`-th follow-up message (1-based), once it exists."""
        await self.fake._wait(
            lambda: len(self.followups) >= count, timeout, f"follow-up #{count} to {self!r}"
        )
        return self.followups[count - 1]

    async def wait_edit(self, count: int = 1, timeout: float = 5.0) -> JsonDict:
        """The `count`-th PATCH body sent to the original response (1-based)."""
        await self.fake._wait(lambda: len(self.edits) >= count, timeout, f"edit #{count} of {self!r}")
        return self.edits[count - 1]

    def final_message(self) -> JsonDict | None:
        """The original response message as it stands now, after every edit; None if there is none."""
        if self.original_message_id is None or self.original_deleted:
            return None
        message = self.fake.messages.get(self.original_message_id)
        return copy.deepcopy(message) if message is not None else None


class FakeDiscord:
    """Discord's REST API and gateway for one bot and one guild, on 127.0.0.1."""

    def __init__(self, *, heartbeat_interval: int = 41250) -> None:
        self._ids = p.Snowflakes()
        self.heartbeat_interval = heartbeat_interval
        self.privileged_intents_allowed = True
        self.withhold_message_content = False
        self.echo_bot_messages = True
        # What each interaction reports as `attachment_size_limit`; a file bigger than this in any
        # upload is refused with Discord's 413 / 40005, as Discord refuses it.
        self.attachment_size_limit = 10 * 1024 * 1024
        # discord.py stores a view or modal only after the REST call that sent it returns, and that
        # return races the next gateway event; a person is never this fast, so the fake waits this
        # long after the bot's last write before it sends the next user action.
        self.settle_delay = 0.1
        self._settled_at = 0.0

        self.application_id = self._ids.next()
        self.bot_user = p.user(self.application_id, "stemcell-bot", bot=True)
        self.member = p.user(self._ids.next(), "ana")
        self.moderator = p.user(self._ids.next(), "mod")
        self.owner = p.user(self._ids.next(), "owner")
        self.users: dict[int, JsonDict] = {
            int(u["id"]): u for u in (self.bot_user, self.member, self.moderator, self.owner)
        }

        self.guild_id = self._ids.next()
        self.everyone_role_id = self.guild_id
        self.moderator_role_id = self._ids.next()
        self.bot_role_id = self._ids.next()
        self.channel_id = self._ids.next()
        self.other_channel_id = self._ids.next()
        self.roles: dict[int, JsonDict] = {
            self.everyone_role_id: p.role(
                self.everyone_role_id, "@everyone", p.EVERYONE_PERMISSIONS, position=0
            ),
            self.moderator_role_id: p.role(
                self.moderator_role_id, "Moderators", p.MODERATOR_PERMISSIONS, position=1
            ),
            self.bot_role_id: p.role(
                self.bot_role_id, "stemcell-bot", p.BOT_PERMISSIONS, position=2, managed=True
            ),
        }
        self.member_roles: dict[int, list[int]] = {
            self.application_id: [self.bot_role_id],
            int(self.member["id"]): [],
            int(self.moderator["id"]): [self.moderator_role_id],
            int(self.owner["id"]): [],
        }
        self.channels: dict[int, JsonDict] = {
            self.channel_id: p.text_channel(self.channel_id, self.guild_id, "general", position=0),
            self.other_channel_id: p.text_channel(
                self.other_channel_id, self.guild_id, "off-topic", position=1
            ),
        }
        self._dm_by_user: dict[int, int] = {}
        self.member_dm_channel_id = self._dm_channel_for(int(self.member["id"]))
        self.moderator_dm_channel_id = self._dm_channel_for(int(self.moderator["id"]))

        # Members who closed their DMs to the server's members: a message to them gets 403 / 50007.
        self.closed_dms: set[int] = set()
        # The server's own emoji, by id (a reaction with another custom emoji is "Unknown Emoji").
        self.guild_emojis: dict[int, str] = {}
        # Every reaction the bot added: (channel id, message id, emoji as sent: "👍" or "name:id").
        self.reactions: list[tuple[int, int, str]] = []

        self.messages: dict[int, JsonDict] = {}
        self.deleted_message_ids: list[int] = []
        self.attachments: dict[int, bytes] = {}
        self.calls: list[RestCall] = []
        self.unknown_routes: list[RestCall] = []
        self.commands: dict[int | None, list[JsonDict]] = {}
        self._sync_counts: dict[int | None, int] = {}
        self._failures: list[_Failure] = []
        self._handles: dict[int, InteractionHandle] = {}
        self._handles_by_token: dict[str, InteractionHandle] = {}

        self.session_id: str | None = None
        self.intents = 0
        self.identify_count = 0
        self.resume_count = 0
        self.gateway_received: list[JsonDict] = []
        self.gateway_queries: list[dict[str, str]] = []
        self._seq = 0
        self._dispatch_log: list[JsonDict] = []
        self._active: _GatewayConnection | None = None
        self._connections: set[_GatewayConnection] = set()
        self._pulse = asyncio.Event()

        self._router = _Router()
        self._add_routes()
        self._runner: web.AppRunner | None = None
        self.port = 0

    # ------------------------------------------------------------------ life cycle

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_base(self) -> str:
        """What to put in `discord.http.Route.BASE`."""
        return self.base_url + API_PREFIX

    @property
    def gateway_url(self) -> str:
        """What `GET /gateway/bot` answers and `resume_gateway_url` points at."""
        return f"ws://127.0.0.1:{self.port}/"

    @property
    def guild(self) -> JsonDict:
        """The guild as GUILD_CREATE sends it."""
        members = []
        for user_id, role_ids in self.member_roles.items():
            members.append(p.member(self.users[user_id], role_ids))
        return p.guild(
            self.guild_id,
            "MS Stem-Cell Circle",
            owner_id=int(self.owner["id"]),
            roles=list(self.roles.values()),
            channels=[c for c in self.channels.values() if c["type"] == p.GUILD_TEXT],
            members=members,
        )

    async def start(self) -> None:
        """Bind an ephemeral port on 127.0.0.1 and serve REST and the gateway on it."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_get("/", self._gateway_handler)
        app.router.add_get("/attachments/{channel_id}/{attachment_id}/{filename}", self._serve_attachment)
        app.router.add_route("*", API_PREFIX + "/{tail:.*}", self._rest_handler)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None and server.sockets
        self.port = server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Close every websocket first: aiohttp's cleanup would otherwise wait on them."""
        self._active = None
        for conn in list(self._connections):
            await conn.ws.close(code=1001)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @contextlib.asynccontextmanager
    async def running(
        self, client: discord.Client, *, token: str = "fake-token", timeout: float = 10.0
    ) -> AsyncIterator[discord.Client]:
        """Run `client.start()` until the guild is sent, and always close the client afterwards.

        The client must already point at this fake (Route.BASE and DEFAULT_GATEWAY).
        """
        task = asyncio.create_task(client.start(token))
        try:
            ready = asyncio.create_task(self.wait_until_ready(timeout))
            await asyncio.wait({task, ready}, return_when=asyncio.FIRST_COMPLETED)
            if not ready.done():
                ready.cancel()
                task.result()  # re-raise the start-up failure
                raise FakeDiscordError("the client stopped before it identified")
            ready.result()
            yield client
        finally:
            await client.close()
            if not task.done():
                await asyncio.wait_for(task, timeout)
            elif not task.cancelled():
                task.exception()  # retrieved so asyncio does not warn; already raised above if it mattered

    # ------------------------------------------------------------------ waiting

    def _notify(self) -> None:
        self._pulse.set()
        self._pulse = asyncio.Event()

    async def wait_until(
        self, predicate: Callable[[], Any], timeout: float = 5.0, what: str = "a condition"
    ) -> Any:
        """Wait until `predicate()` is truthy and return it; fails naming `what` and the last REST calls.

        Wakes on every change the fake sees, and every 20 ms for state only the bot knows about.
        """
        return await self._wait(predicate, timeout, what)

    async def _wait(self, predicate: Callable[[], Any], timeout: float, what: str) -> Any:
        try:
            async with asyncio.timeout(timeout):
                while not (result := predicate()):
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._pulse.wait(), 0.02)
                return result
        except TimeoutError:
            recent = "\n  ".join(f"{c.method} {c.path} -> {c.status}" for c in self.calls[-8:])
            raise FakeDiscordTimeout(
                f"timed out after {timeout}s waiting for {what}; last calls:\n  {recent}"
            ) from None

    async def wait_until_ready(self, timeout: float = 10.0) -> None:
        """Wait for a live session: IDENTIFY answered with READY and GUILD_CREATE (or a RESUME done)."""
        await self._wait(
            lambda: self._active is not None and self.session_id is not None, timeout, "the bot to connect"
        )

    async def wait_until_resumed(self, count: int = 1, timeout: float = 10.0) -> None:
        """Wait until the client has resumed `count` times in total."""
        await self._wait(lambda: self.resume_count >= count and self._active is not None, timeout, "a RESUME")

    async def wait_for_call(
        self, predicate: Callable[[RestCall], bool], timeout: float = 5.0, *, after: int = 0
    ) -> RestCall:
        """The first REST call (from index `after` of `calls`) matching `predicate`, waiting if needed."""

        def find() -> RestCall | None:
            return next((c for c in self.calls[after:] if c.status and predicate(c)), None)

        return await self._wait(find, timeout, "a matching REST call")

    def calls_to(self, method: str, route: str) -> list[RestCall]:
        """Every call to one route template, e.g. ("POST", "/channels/{channel_id}/messages")."""
        return [c for c in self.calls if c.method == method and c.route == route]

    def sync_count(self, guild_id: int | None = None) -> int:
        """How many bulk overwrites arrived for global commands (None) or one guild."""
        return self._sync_counts.get(guild_id, 0)

    def assert_no_unknown_routes(self) -> None:
        """Fail naming every request the fake could not route (the bot used an API it does not serve)."""
        if self.unknown_routes:
            listed = ", ".join(f"{c.method} {c.path}" for c in self.unknown_routes)
            raise AssertionError(f"the bot called routes the fake does not know: {listed}")

    def fail_next(
        self, method: str, route: str, status: int = 429, retry_after: float = 0.2, *, is_global: bool = False
    ) -> None:
        """Make the next call to `route` fail once; a 429 carries the headers of a real rate limit."""
        if (method, route) not in self._router.templates():
            raise FakeDiscordError(f"no such route in the fake: {method} {route}")
        self._failures.append(_Failure(method, route, status, retry_after, is_global))

    def channel_messages(self, channel_id: int) -> list[JsonDict]:
        """Messages currently in a channel, oldest first (deleted ones are gone)."""
        return [m for m in self.messages.values() if int(m["channel_id"]) == channel_id]

    # ------------------------------------------------------------------ gateway

    async def _gateway_handler(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.gateway_queries.append(dict(request.query))
        # zstd-stream is not offered (zstandard is not installed); plain text frames are the fallback.
        conn = _GatewayConnection(ws, compress=request.query.get("compress") == "zlib-stream")
        self._connections.add(conn)
        try:
            await conn.send(
                {"op": 10, "d": {"heartbeat_interval": self.heartbeat_interval}, "s": None, "t": None}
            )
            async for msg in ws:
                if msg.type in (WSMsgType.TEXT, WSMsgType.BINARY):
                    await self._on_gateway_frame(conn, json.loads(msg.data))
                else:
                    break
        finally:
            self._connections.discard(conn)
            if self._active is conn:
                self._active = None
            self._notify()
        return ws

    async def _on_gateway_frame(self, conn: _GatewayConnection, frame: JsonDict) -> None:
        self.gateway_received.append(frame)
        op, data = frame.get("op"), frame.get("d")
        if op == 1:
            await conn.send({"op": 11, "d": None, "s": None, "t": None})
        elif op == 2:
            await self._identify(conn, data)
        elif op == 6:
            await self._resume(conn, data)
        elif op == 8:
            await self._dispatch(
                "GUILD_MEMBERS_CHUNK",
                {
                    "guild_id": str(self.guild_id),
                    "members": self.guild["members"],
                    "chunk_index": 0,
                    "chunk_count": 1,
                    "nonce": data.get("nonce"),
                },
            )
        self._notify()

    async def _identify(self, conn: _GatewayConnection, data: JsonDict) -> None:
        intents = int(data.get("intents", 0))
        if intents & p.PRIVILEGED_INTENTS and not self.privileged_intents_allowed:
            await conn.ws.close(code=4014, message=b"Disallowed intent(s).")
            return
        self.intents = intents
        self.identify_count += 1
        self.session_id = secrets.token_hex(16)
        self._seq = 0
        self._dispatch_log = []
        self._active = conn
        ready_user = dict(self.bot_user, verified=True, mfa_enabled=False, email=None)
        await self._dispatch(
            "READY",
            {
                "v": 10,
                "user": ready_user,
                "guilds": [{"id": str(self.guild_id), "unavailable": True}],
                "session_id": self.session_id,
                "session_type": "normal",
                "resume_gateway_url": self.gateway_url,
                "private_channels": [],
                "presences": [],
                "relationships": [],
                "geo_ordered_rtc_regions": [],
                "user_settings": {},
                "application": {"id": str(self.application_id), "flags": 1 << 19},
                "_trace": ["fake-discord"],
            },
        )
        await self._dispatch("GUILD_CREATE", self.guild)

    async def _resume(self, conn: _GatewayConnection, data: JsonDict) -> None:
        if data.get("session_id") != self.session_id or self.session_id is None:
            await conn.send({"op": 9, "d": False, "s": None, "t": None})
            return
        last = int(data.get("seq") or 0)
        # Replay until caught up, then go live with no await in between, so nothing is sent twice
        # or out of order while the backlog drains.
        while pending := [f for f in self._dispatch_log if f["s"] > last]:
            for frame in pending:
                await conn.send(frame)
                last = frame["s"]
        self._active = conn
        self.resume_count += 1
        await self._dispatch("RESUMED", {"_trace": ["fake-discord"]})

    async def _dispatch(self, event: str, data: JsonDict) -> None:
        """Send a dispatch with the next sequence number; kept for replay when the socket is down."""
        self._seq += 1
        frame = {"op": 0, "t": event, "s": self._seq, "d": data}
        self._dispatch_log.append(frame)
        conn = self._active
        if conn is not None:
            await conn.send(frame)
        self._notify()

    async def close_gateway(self, code: int = 4000) -> None:
        """Drop the current socket with `code`; events dispatched until the client resumes are replayed."""
        conn = self._active
        self._active = None
        if conn is None:
            raise FakeDiscordError("no gateway connection to close")
        await conn.ws.close(code=code, message=b"closed by the test")
        self._notify()

    async def dispatch(self, event: str, data: JsonDict) -> None:
        """Send any gateway event, for tests that need one the fake does not build itself."""
        await self._dispatch(event, data)

    # ------------------------------------------------------------------ people and places

    async def add_role(self, name: str, permissions: int = p.EVERYONE_PERMISSIONS) -> int:
        """A new role in the guild; a connected bot hears of it as Discord tells it (GUILD_ROLE_CREATE)."""
        role_id = self._ids.next()
        self.roles[role_id] = p.role(role_id, name, permissions, position=len(self.roles))
        if self._active is not None:
            await self._dispatch(
                "GUILD_ROLE_CREATE", {"guild_id": str(self.guild_id), "role": self.roles[role_id]}
            )
        return role_id

    def add_member(
        self, username: str, role_ids: list[int] | None = None, *, global_name: str | None = None
    ) -> JsonDict:
        """A new member of the guild (their roles ride along with every message they send, as on Discord)."""
        user = p.user(self._ids.next(), username, global_name=global_name)
        self.users[int(user["id"])] = user
        self.member_roles[int(user["id"])] = list(role_ids or [])
        return user

    def set_member_roles(self, user: JsonDict, role_ids: list[int]) -> None:
        """Change a member's roles; their next message carries the new list."""
        self.member_roles[int(user["id"])] = list(role_ids)

    def add_guild_emoji(self, name: str) -> str:
        """A custom emoji of the guild, returned as members write it: `<:name:id>`."""
        emoji_id = self._ids.next()
        self.guild_emojis[emoji_id] = name
        return f"<:{name}:{emoji_id}>"

    def dm_messages_to(self, user: JsonDict) -> list[JsonDict]:
        """What the bot sent to a member's DMs, oldest first."""
        channel_id = self._dm_by_user.get(int(user["id"]))
        return [] if channel_id is None else self.channel_messages(channel_id)

    def _dm_channel_for(self, user_id: int) -> int:
        if user_id not in self._dm_by_user:
            channel_id = self._ids.next()
            recipient = self.users.get(user_id) or p.user(user_id, f"user{user_id}")
            self.users.setdefault(user_id, recipient)
            self.channels[channel_id] = p.dm_channel(channel_id, recipient)
            self._dm_by_user[user_id] = channel_id
        return self._dm_by_user[user_id]

    def _is_dm(self, channel_id: int) -> bool:
        return self.channels[channel_id]["type"] == p.DM

    def permissions_for(self, user_id: int) -> int:
        """Guild-wide permissions from roles; the owner and administrators have all."""
        if user_id == int(self.owner["id"]):
            return p.ALL_PERMISSIONS
        value = int(self.roles[self.everyone_role_id]["permissions"])
        for role_id in self.member_roles.get(user_id, []):
            value |= int(self.roles[role_id]["permissions"])
        return p.ALL_PERMISSIONS if value & p.ADMINISTRATOR else value

    def _member_payload(self, user: JsonDict, *, with_user: bool = True) -> JsonDict:
        user_id = int(user["id"])
        data = p.member(user, self.member_roles.get(user_id, []))
        data["permissions"] = str(self.permissions_for(user_id))
        if not with_user:
            del data["user"]
        return data

    def _interaction_channel(self, channel_id: int, user_id: int) -> JsonDict:
        channel = copy.deepcopy(self.channels[channel_id])
        if channel["type"] == p.GUILD_TEXT:
            channel["permissions"] = str(self.permissions_for(user_id))
        return channel

    def _resolve_channel(self, user: JsonDict, dm: bool, channel_id: int | None) -> int:
        if channel_id is not None:
            if channel_id not in self.channels:
                raise FakeDiscordError(f"unknown channel {channel_id}")
            return channel_id
        return self._dm_channel_for(int(user["id"])) if dm else self.channel_id

    # ------------------------------------------------------------------ interactions

    async def _settle(self) -> None:
        """Let the bot finish handling its last REST answer before a person acts again."""
        delay = self._settled_at - asyncio.get_running_loop().time()
        if delay > 0:
            await asyncio.sleep(delay)

    async def _send_interaction(
        self,
        interaction_type: int,
        data: JsonDict,
        *,
        user: JsonDict,
        channel_id: int,
        source_message: JsonDict | None = None,
        foreign_guild_id: int | None = None,
    ) -> InteractionHandle:
        await self._settle()
        dm = self._is_dm(channel_id)
        payload = p.interaction(
            interaction_id=self._ids.next(),
            application_id=self.application_id,
            interaction_type=interaction_type,
            data=data,
            token="tok-" + secrets.token_urlsafe(24),
            channel=self._interaction_channel(channel_id, int(user["id"])),
            invoker=user,
            guild_id=None if dm else (foreign_guild_id or self.guild_id),
            member_payload=None if dm else self._member_payload(user),
            app_permissions=p.BOT_PERMISSIONS if not dm else p.EVERYONE_PERMISSIONS,
            source_message=copy.deepcopy(source_message) if source_message is not None else None,
            attachment_size_limit=self.attachment_size_limit,
        )
        handle = InteractionHandle(
            self, payload, source_message_id=int(source_message["id"]) if source_message else None
        )
        self._handles[handle.id] = handle
        self._handles_by_token[handle.token] = handle
        await self._dispatch("INTERACTION_CREATE", payload)
        return handle

    def _find_command(self, top: str, dm: bool) -> JsonDict:
        scopes: list[int | None] = [None] if dm else [self.guild_id, None]
        for scope in scopes:
            for command in self.commands.get(scope, []):
                if command["name"] == top and command.get("type", 1) == 1:
                    return command
        synced = sorted({c["name"] for scope in scopes for c in self.commands.get(scope, [])})
        where = "globally" if dm else "globally or to the guild"
        raise FakeDiscordError(f"/{top} was never synced {where}; synced commands: {synced}")

    def _command_data(
        self, name: str, options: dict[str, Any], *, dm: bool, focused: tuple[str, str] | None = None
    ) -> JsonDict:
        """Interaction `data` for `name` ("journal remind"), typing each option from the synced definition."""
        parts = name.split()
        command = self._find_command(parts[0], dm)
        contexts = command.get("contexts")
        if dm and (command.get("dm_permission") is False or (contexts is not None and 1 not in contexts)):
            raise FakeDiscordError(f"/{parts[0]} is guild-only; Discord does not offer it in DMs")
        definitions: list[JsonDict] = command.get("options") or []
        chain: list[JsonDict] = []
        for part in parts[1:]:
            sub = next((o for o in definitions if o["name"] == part and o["type"] in (1, 2)), None)
            if sub is None:
                raise FakeDiscordError(f"/{' '.join(parts[: len(chain) + 1])} has no subcommand {part!r}")
            chain.append(sub)
            definitions = sub.get("options") or []
        if any(o["type"] in (1, 2) for o in definitions):
            names = [o["name"] for o in definitions]
            raise FakeDiscordError(f"/{name} needs a subcommand, one of {names}")
        resolved: dict[str, dict[str, Any]] = {}
        values = dict(options)
        if focused is not None:
            values[focused[0]] = focused[1]
        built: list[JsonDict] = []
        for key, value in values.items():
            definition = next((o for o in definitions if o["name"] == key), None)
            if definition is None:
                raise FakeDiscordError(
                    f"/{name} has no option {key!r}; it has {[o['name'] for o in definitions]}"
                )
            if focused is not None and key == focused[0]:
                built.append({"name": key, "type": definition["type"], "value": str(value), "focused": True})
            else:
                built.append(
                    {
                        "name": key,
                        "type": definition["type"],
                        "value": self._option_value(definition, value, resolved, dm=dm),
                    }
                )
        missing = [o["name"] for o in definitions if o.get("required") and o["name"] not in values]
        if missing and focused is None:
            raise FakeDiscordError(f"/{name} is missing required options {missing}")
        nested = built
        for sub in reversed(chain):
            nested = [{"name": sub["name"], "type": sub["type"], "options": nested}]
        data: JsonDict = {"id": command["id"], "name": command["name"], "type": 1, "options": nested}
        if command.get("guild_id"):
            data["guild_id"] = command["guild_id"]
        if resolved:
            data["resolved"] = resolved
        return data

    def _option_value(
        self, definition: JsonDict, value: Any, resolved: dict[str, dict[str, Any]], *, dm: bool
    ) -> Any:
        kind = definition["type"]
        if kind == STRING:
            return str(value)
        if kind == INTEGER:
            return int(value)
        if kind == BOOLEAN:
            return bool(value)
        if kind == NUMBER:
            return float(value)
        if kind == ATTACHMENT:
            filename, data = value
            attachment_id = self._ids.next()
            self.attachments[attachment_id] = bytes(data)
            url = f"{self.base_url}/attachments/0/{attachment_id}/{filename}"
            resolved.setdefault("attachments", {})[str(attachment_id)] = p.attachment(
                attachment_id, filename, bytes(data), url=url, content_type=None
            )
            return str(attachment_id)
        target_id = int(value["id"]) if isinstance(value, dict) else int(value)
        if kind in (USER, MENTIONABLE) and target_id in self.users:
            resolved.setdefault("users", {})[str(target_id)] = self.users[target_id]
            if not dm and target_id in self.member_roles:
                member = self._member_payload(self.users[target_id], with_user=False)
                resolved.setdefault("members", {})[str(target_id)] = member
            return str(target_id)
        if kind in (ROLE, MENTIONABLE) and target_id in self.roles:
            resolved.setdefault("roles", {})[str(target_id)] = self.roles[target_id]
            return str(target_id)
        if kind == CHANNEL and target_id in self.channels:
            channel = self._interaction_channel(target_id, self.application_id)
            resolved.setdefault("channels", {})[str(target_id)] = channel
            return str(target_id)
        raise FakeDiscordError(f"option {definition['name']!r}: nothing with id {target_id} of type {kind}")

    async def invoke(
        self,
        name: str,
        options: dict[str, Any] | None = None,
        *,
        user: JsonDict | None = None,
        dm: bool = False,
        channel_id: int | None = None,
        foreign_guild_id: int | None = None,
    ) -> InteractionHandle:
        """Run a slash command as `user` (default: the member), in the guild's main channel or a DM.

        `foreign_guild_id` forges the interaction as coming from another server, one the bot was never
        sent a GUILD_CREATE for (what a replayed or crafted interaction looks like).
        """
        user = user or self.member
        channel = self._resolve_channel(user, dm, channel_id)
        data = self._command_data(name, options or {}, dm=self._is_dm(channel))
        return await self._send_interaction(
            APPLICATION_COMMAND, data, user=user, channel_id=channel, foreign_guild_id=foreign_guild_id
        )

    async def autocomplete(
        self,
        name: str,
        option: str,
        value: str,
        options: dict[str, Any] | None = None,
        *,
        user: JsonDict | None = None,
        dm: bool = False,
        channel_id: int | None = None,
        timeout: float = 5.0,
    ) -> list[JsonDict]:
        """Type `value` into `option` of `name` and return the choices the bot offered."""
        user = user or self.member
        channel = self._resolve_channel(user, dm, channel_id)
        data = self._command_data(name, options or {}, dm=self._is_dm(channel), focused=(option, value))
        handle = await self._send_interaction(AUTOCOMPLETE, data, user=user, channel_id=channel)
        response = await handle.wait_response(timeout)
        if response.get("type") != AUTOCOMPLETE_RESULT:
            raise FakeDiscordError(f"autocomplete answered with callback type {response.get('type')}")
        return list(response.get("data", {}).get("choices", []))

    def _message_of(self, target: InteractionHandle | JsonDict) -> JsonDict:
        if isinstance(target, InteractionHandle):
            message_id = target.original_message_id
            if message_id is None and target.followups:
                message_id = int(target.followups[-1]["id"])
            if message_id is None:
                raise FakeDiscordError(f"{target!r} produced no message to interact with")
        else:
            message_id = int(target["id"])
        message = self.messages.get(message_id)
        if message is None:
            raise FakeDiscordError(f"message {message_id} does not exist (deleted, or not sent by the bot)")
        return message

    async def _component(
        self,
        target: InteractionHandle | JsonDict,
        custom_id: str,
        values: list[str] | None,
        user: JsonDict | None,
        dm: bool | None,
    ) -> InteractionHandle:
        message = self._message_of(target)
        if dm is not None and dm != self._is_dm(int(message["channel_id"])):
            where = "a DM" if self._is_dm(int(message["channel_id"])) else "a guild channel"
            raise FakeDiscordError(f"message {message['id']} is in {where}; dm={dm} contradicts it")
        component = next(
            (c for c in _walk_components(message.get("components", [])) if c.get("custom_id") == custom_id),
            None,
        )
        if component is None:
            present = [
                c.get("custom_id")
                for c in _walk_components(message.get("components", []))
                if c.get("custom_id")
            ]
            raise FakeDiscordError(f"no component {custom_id!r} on message {message['id']}; it has {present}")
        if component.get("disabled"):
            raise FakeDiscordError(f"component {custom_id!r} is disabled; Discord would not send the click")
        kind = component["type"]
        data: JsonDict = {"custom_id": custom_id, "component_type": kind}
        if values is None and kind != BUTTON:
            raise FakeDiscordError(f"{custom_id!r} is a type {kind} component, not a button: use select()")
        if values is not None:
            if kind not in SELECT_TYPES:
                raise FakeDiscordError(f"{custom_id!r} is a type {kind} component, not a select menu")
            allowed = {o["value"] for o in component.get("options", [])}
            if kind == 3 and not set(values) <= allowed:
                raise FakeDiscordError(
                    f"values {values} are not all options of {custom_id!r}: {sorted(allowed)}"
                )
            data["values"] = list(values)
        return await self._send_interaction(
            MESSAGE_COMPONENT,
            data,
            user=user or self.member,
            channel_id=int(message["channel_id"]),
            source_message=message,
        )

    async def click(
        self,
        target: InteractionHandle | JsonDict,
        custom_id: str,
        *,
        user: JsonDict | None = None,
        dm: bool | None = None,
    ) -> InteractionHandle:
        """Press the button `custom_id` on a message the bot sent (a handle means its response message).

        Guild or DM follows the message's channel; `dm` only double-checks it.
        """
        return await self._component(target, custom_id, None, user, dm)

    async def select(
        self,
        target: InteractionHandle | JsonDict,
        custom_id: str,
        values: list[str],
        *,
        user: JsonDict | None = None,
        dm: bool | None = None,
    ) -> InteractionHandle:
        """Pick `values` in the select menu `custom_id`."""
        return await self._component(target, custom_id, values, user, dm)

    async def submit_modal(
        self, handle: InteractionHandle, values: dict[str, Any], *, user: JsonDict | None = None
    ) -> InteractionHandle:
        """Fill the modal `handle` was answered with and submit it, as the client would."""
        if handle.response_type != MODAL:
            raise FakeDiscordError(f"{handle!r} was not answered with a modal")
        assert handle.response is not None
        modal = handle.response["data"]
        remaining = dict(values)
        components = [_submitted(c, remaining) for c in modal.get("components", [])]
        if remaining:
            raise FakeDiscordError(f"modal {modal['custom_id']!r} has no fields {sorted(remaining)}")
        data = {"custom_id": modal["custom_id"], "components": [c for c in components if c is not None]}
        source = self.messages.get(handle.source_message_id) if handle.source_message_id else None
        return await self._send_interaction(
            MODAL_SUBMIT,
            data,
            user=user or _invoker(handle.payload),
            channel_id=handle.channel_id,
            source_message=source,
        )

    # ------------------------------------------------------------------ messages

    async def post_message(
        self,
        channel_id: int,
        content: str,
        *,
        author: JsonDict | None = None,
        bot: bool = False,
        webhook_id: int | None = None,
        reference_id: int | None = None,
        message_type: int | None = None,
    ) -> JsonDict:
        """A person (or a bot, or a webhook) posts in a channel; the bot receives MESSAGE_CREATE.

        `message_type` makes it a system message (6 = "pinned a message"); default or reply otherwise.
        """
        if channel_id not in self.channels:
            raise FakeDiscordError(f"unknown channel {channel_id}")
        author = copy.deepcopy(author or self.member)
        if bot:
            author["bot"] = True
        if webhook_id is not None:
            author = dict(author, id=str(webhook_id), bot=True, discriminator="0000")
        body: JsonDict = {"content": content}
        if reference_id is not None:
            body["message_reference"] = {"message_id": str(reference_id), "channel_id": str(channel_id)}
        await self._settle()
        return await self._create_message(
            channel_id, author, body, [], webhook_id=webhook_id, message_type=message_type
        )

    def _mentions(self, content: str) -> list[JsonDict]:
        ids = {int(m) for m in re.findall(r"<@!?(\d+)>", content)}
        return [self.users[i] for i in ids if i in self.users]

    def _attachments_from(self, channel_id: int, files: list[RestFile]) -> list[JsonDict]:
        built = []
        for item in files:
            attachment_id = self._ids.next()
            self.attachments[attachment_id] = item.data
            url = f"{self.base_url}/attachments/{channel_id}/{attachment_id}/{item.filename}"
            built.append(
                p.attachment(attachment_id, item.filename, item.data, url=url, content_type=item.content_type)
            )
        return built

    async def _create_message(
        self,
        channel_id: int,
        author: JsonDict,
        body: JsonDict,
        files: list[RestFile],
        *,
        message_type: int | None = None,
        webhook_id: int | None = None,
        interaction_metadata: JsonDict | None = None,
        extra_flags: int = 0,
        dispatch: bool = True,
    ) -> JsonDict:
        guild_id = None if self._is_dm(channel_id) else self.guild_id
        reference = body.get("message_reference")
        referenced = None
        if reference is not None:
            reference = dict(reference, channel_id=str(reference.get("channel_id") or channel_id))
            if guild_id is not None:
                reference.setdefault("guild_id", str(guild_id))
            referenced = copy.deepcopy(self.messages.get(int(reference["message_id"])))
        if message_type is None:
            message_type = p.MESSAGE_REPLY if reference is not None else p.MESSAGE_DEFAULT
        message = p.message(
            message_id=self._ids.next(),
            channel_id=channel_id,
            author=author,
            content=body.get("content") or "",
            guild_id=guild_id,
            embeds=body.get("embeds"),
            components=body.get("components"),
            attachments=self._attachments_from(channel_id, files),
            flags=int(body.get("flags") or 0) | extra_flags,
            message_type=message_type,
            mentions=self._mentions(body.get("content") or ""),
            message_reference=reference,
            referenced_message=referenced,
            webhook_id=webhook_id,
            application_id=self.application_id if interaction_metadata else None,
            interaction_metadata=interaction_metadata,
        )
        self.messages[int(message["id"])] = message
        if dispatch and not message["flags"] & p.EPHEMERAL_FLAG:
            await self._dispatch_message("MESSAGE_CREATE", message)
        self._notify()
        return message

    async def _dispatch_message(self, event: str, message: JsonDict) -> None:
        """Echo a message over the gateway the way Discord would, honouring intents and content rules."""
        channel_id = int(message["channel_id"])
        dm = self._is_dm(channel_id)
        from_bot = int(message["author"]["id"]) == self.application_id
        if from_bot and not self.echo_bot_messages:
            return
        if not self.intents & (p.DM_MESSAGES_INTENT if dm else p.GUILD_MESSAGES_INTENT):
            return
        data = copy.deepcopy(message)
        author_id = int(message["author"]["id"])
        if not dm and "webhook_id" not in message and author_id in self.member_roles:
            data["member"] = self._member_payload(message["author"], with_user=False)
            del data["member"]["permissions"]
        mentioned = any(int(u["id"]) == self.application_id for u in message.get("mentions", []))
        content_allowed = self.intents & p.MESSAGE_CONTENT_INTENT and not self.withhold_message_content
        if not (content_allowed or dm or from_bot or mentioned):
            data.update(content="", embeds=[], attachments=[], components=[])
        await self._dispatch(event, data)

    async def _edit_message(self, message_id: int, body: JsonDict, files: list[RestFile]) -> JsonDict | None:
        message = self.messages.get(message_id)
        if message is None:
            return None
        for key in ("content", "embeds", "components"):
            if key in body and body[key] is not None:
                message[key] = body[key]
        if "flags" in body and body["flags"] is not None:
            keep = int(message["flags"]) & p.EPHEMERAL_FLAG
            message["flags"] = int(body["flags"]) | keep
        if "attachments" in body and body["attachments"] is not None:
            kept_ids = {str(a.get("id")) for a in body["attachments"]}
            message["attachments"] = [a for a in message["attachments"] if a["id"] in kept_ids]
        message["attachments"] = message["attachments"] + self._attachments_from(
            int(message["channel_id"]), files
        )
        message["flags"] = int(message["flags"]) & ~p.LOADING_FLAG
        message["edited_timestamp"] = p.iso_now()
        if "content" in body:
            message["mentions"] = self._mentions(message["content"])
        if not message["flags"] & p.EPHEMERAL_FLAG:
            await self._dispatch_message("MESSAGE_UPDATE", message)
        self._notify()
        return message

    async def _delete_message(self, message_id: int) -> bool:
        message = self.messages.pop(message_id, None)
        if message is None:
            return False
        self.deleted_message_ids.append(message_id)
        if not message["flags"] & p.EPHEMERAL_FLAG and self.intents & (
            p.GUILD_MESSAGES_INTENT | p.DM_MESSAGES_INTENT
        ):
            event: JsonDict = {"id": message["id"], "channel_id": message["channel_id"]}
            if "guild_id" in message:
                event["guild_id"] = message["guild_id"]
            await self._dispatch("MESSAGE_DELETE", event)
        self._notify()
        return True

    # ------------------------------------------------------------------ REST plumbing

    async def _rest_handler(self, request: web.Request) -> web.StreamResponse:
        path = request.path[len(API_PREFIX) :]
        body, files = await _read_body(request)
        call = RestCall(
            method=request.method,
            path=path,
            route=None,
            params={},
            query=dict(request.query),
            json=body,
            files=files,
            headers=dict(request.headers),
            timestamp=time.time(),
        )
        self.calls.append(call)
        matched = self._router.match(request.method, path)
        if matched is None:
            self.unknown_routes.append(call)
            response = _error(404, "404: Not Found", 0)
        else:
            call.route, call.params, handler = matched
            failure = next(
                (f for f in self._failures if f.method == call.method and f.route == call.route), None
            )
            if failure is not None:
                self._failures.remove(failure)
                response = _failure_response(failure)
            elif any(len(item.data) > self.attachment_size_limit for item in files):
                response = _error(413, "Request entity too large", 40005)
            else:
                response = await handler(call, call.params)
        call.status = response.status
        if request.method != "GET":
            self._settled_at = asyncio.get_running_loop().time() + self.settle_delay
        self._notify()
        return response

    async def _serve_attachment(self, request: web.Request) -> web.StreamResponse:
        data = self.attachments.get(int(request.match_info["attachment_id"]))
        if data is None:
            return web.Response(status=404)
        return web.Response(body=data, headers={"Content-Type": "application/octet-stream"})

    def _add_routes(self) -> None:
        r = self._router.add
        r("GET", "/users/@me", self._get_me)
        r("GET", "/users/{user_id}", self._get_user)
        r("GET", "/oauth2/applications/@me", self._get_application)
        r("GET", "/applications/@me", self._get_application)
        r("GET", "/gateway", self._get_gateway)
        r("GET", "/gateway/bot", self._get_gateway)
        r("GET", "/applications/{application_id}/commands", self._get_commands)
        r("PUT", "/applications/{application_id}/commands", self._put_commands)
        r("GET", "/applications/{application_id}/guilds/{guild_id}/commands", self._get_commands)
        r("PUT", "/applications/{application_id}/guilds/{guild_id}/commands", self._put_commands)
        r("POST", "/interactions/{interaction_id}/{token}/callback", self._interaction_callback)
        r("POST", "/webhooks/{application_id}/{token}", self._post_followup)
        for method in ("GET", "PATCH", "DELETE"):
            r(method, "/webhooks/{application_id}/{token}/messages/@original", self._webhook_message)
            r(method, "/webhooks/{application_id}/{token}/messages/{message_id}", self._webhook_message)
        r("GET", "/channels/{channel_id}", self._get_channel)
        r("POST", "/channels/{channel_id}/messages", self._post_channel_message)
        r("POST", "/channels/{channel_id}/typing", self._no_content)
        r("GET", "/channels/{channel_id}/messages/{message_id}", self._channel_message)
        r("PATCH", "/channels/{channel_id}/messages/{message_id}", self._channel_message)
        r("DELETE", "/channels/{channel_id}/messages/{message_id}", self._channel_message)
        r("PUT", "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me", self._add_reaction)
        r("POST", "/users/@me/channels", self._create_dm)
        r("GET", "/guilds/{guild_id}/members/{user_id}", self._get_member)

    # ------------------------------------------------------------------ REST routes

    async def _no_content(self, call: RestCall, params: dict[str, str]) -> web.StreamResponse:
        return web.Response(status=204)

    async def _get_me(self, call: RestCall, params: dict[str, str]) -> web.StreamResponse:
        return _json(dict(self.bot_user, verified=True, mfa_enabled=False, email=None))

    async def _get_user(self, call: RestCall, params: dict[str, str]) -> web.StreamResponse:
        found = self.users.get(int(params["user_id"]))
        return _json(found) if found else _error(404, "Unknown User", 10013)

    async def _get_member(self, call: RestCall, params: dict[str, str]) -> web.StreamResponse:
        user_id = int(params["user_id"])
        if int(params["guild_id"]) != self.guild_id or user_id not in self.member_roles:
            return _error(404, "Unknown Member", 10007)
        data = self._member_payload(self.users[user_id])
        del data["permissions"]
        return _json(data)

    async def _get_application(self, call: RestCall, params: dict[str, str]) -> web.StreamResponse:
        return _json(
            {
                "id": str(self.application_id),
                "name": "stemcell-bot",
                "icon": None,
                "description": "",
                "summary": "",
                "rpc_origins": [],
                "bot_public": False,
                "bot_require_code_grant": False,
                "bot": self.bot_user,
                "owner": self.owner,
                "team": None,
                "verify_key": "0" * 64,
                "flags": 1 << 19,
                "tags": [],
                "redirect_uris": [],
                "interactions_endpoint_url": None,
                "approximate_guild_count": 1,
                "integration_types_config": {"0": {}},
            }
        )

    async def _get_gateway(self, call: RestCall, params: dict[str, str]) -> web.StreamResponse:
        limit = {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}
        return _json({"url": self.gateway_url, "shards": 1, "session_start_limit": limit})

    async def _get_commands(self, call: RestCall, params: dict[str, str]) -> web.StreamResponse:
        scope = int(params["guild_id"]) if "guild_id" in params else None
        return _json(self.commands.get(scope, []))

    async def _put_commands(self, call: RestCall, params: dict[str, str]) -> web.StreamResponse:
        if int(params["application_id"]) != self.application_id:
            return _error(403, "Missing Access", 50001)
        scope = int(params["guild_id"]) if "guild_id" in params else None
        if scope is not None and scope != self.guild_id:
            return _error(403, "Missing Access", 50001)
        body = call.json if isinstance(call.json, list) else []
        problems = _command_problems(body)
        if problems:
            return _invalid_form(problems)
        previous = {(c["name"], c.get("type", 1)): c["id"] for c in self.commands.get(scope, [])}
        stored = []
        for command in body:
            item = copy.deepcopy(command)
            item["id"] = previous.get((item["name"], item.get("type", 1))) or str(self._ids.next())
            item["application_id"] = str(self.application_id)
            item["version"] = str(self._ids.next())
            item.setdefault("type", 1)
            item.setdefault("options", [])
            item.setdefault("default_member_permissions", None)
            item.setdefault("nsfw", False)
            item.setdefault("description", "")
            if scope is not None:
                item["guild_id"] = str(scope)
            stored.append(item)
        self.commands[scope] = stored
        self._sync_counts[scope] = self._sync_counts.get(scope, 0) + 1
        return _json(stored)

    def _handle_for(self, token: str) -> InteractionHandle | None:
        return self._handles_by_token.get(token)

    async def _interaction_callback(self, call: RestCall, params: dict[str, str]) -> web.StreamResponse:
        handle = self._handles.get(int(params["interaction_id"]))
        if handle is None or handle.token != params["token"]:
            return _error(404, "Unknown interaction", 10062)
        if handle.response is not None:
            return _error(400, "Interaction has already been acknowledged.", 40060)
        body = call.json if isinstance(call.json, dict) else {}
        kind = body.get("type")
        data = body.get("data") or {}
        problems = _callback_problems(kind, data)
        if problems:
            return _invalid_form(problems)
        handle.response = body
        resource: JsonDict = {"type": kind}
        message: JsonDict | None = None
        if kind in (CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE):
            is_command = handle.payload["type"] == APPLICATION_COMMAND
            metadata = {
                "id": str(handle.id),
                "type": handle.payload["type"],
                "user": _invoker(handle.payload),
                "authorizing_integration_owners": handle.payload["authorizing_integration_owners"],
            }
            message = await self._create_message(
                handle.channel_id,
                self.bot_user,
                data,
                call.files,
                message_type=p.MESSAGE_CHAT_INPUT_COMMAND if is_command else p.MESSAGE_DEFAULT,
                webhook_id=self.application_id,
                interaction_metadata=metadata,
                extra_flags=p.LOADING_FLAG if kind == DEFERRED_CHANNEL_MESSAGE else 0,
                dispatch=kind == CHANNEL_MESSAGE,
            )
            handle.original_message_id = int(message["id"])
        elif kind in (DEFERRED_UPDATE, UPDATE_MESSAGE):
            if handle.source_message_id is None:
                return _error(400, "Interaction has no message to update", 50035)
            handle.original_message_id = handle.source_message_id
            if kind == UPDATE_MESSAGE:
                message = await self._edit_message(handle.source_message_id, data, call.files)
        if message is not None:
            resource["message"] = message
        self._notify()
        flags = int(message["flags"]) if message else 0
        interaction: JsonDict = {
            "id": str(handle.id),
            "type": handle.payload["type"],
            "response_message_loading": kind == DEFERRED_CHANNEL_MESSAGE,
            "response_message_ephemeral": bool(flags & p.EPHEMERAL_FLAG),
        }
        if message is not None:
            interaction["response_message_id"] = message["id"]
        return _json({"interaction": interaction, "resource": resource})

    async def _post_followup(self, call: RestCall, params: dict[str, str]) -> web.StreamResponse:
        handle = self._handle_for(params["token"])
        if handle is None:
            return _error(404, "Unknown Webhook", 10015)
        if handle.response is None:
            return _error(404, "Unknown Webhook", 10015)
        body = call.json if isinstance(call.json, dict) else {}
        problems = _message_problems(body)
        if problems:
            return _invalid_form(problems)
        original = self.messages.get(handle.original_message_id or 0)
        if (
            handle.response_type == DEFERRED_CHANNEL_MESSAGE
            and original is not None
            and original["flags"] & p.LOADING_FLAG
        ):
            # Discord turns the first follow-up after a "thinking" defer into the original response.
            message = await self._edit_message(int(original["id"]), dict(body, flags=None), call.files)
        else:
            message = await self._create_message(
                handle.channel_id, self.bot_user, body, call.files, webhook_id=self.application_id
            )
        assert message is not None
        handle.followups.append(copy.deepcopy(message))
        self._notify()
        return _json(message)

    async def _webhook_message(self, call: RestCall, params: dict[str, str]) -> web.StreamResponse:
        handle = self._handle_for(params["token"])
        if handle is None:
            return _error(404, "Unknown Webhook", 10015)
        original = "message_id" not in params
        message_id = handle.original_message_id if original else int(params["message_id"])
        if message_id is None or message_id not in self.messages:
            return _error(404, "Unknown Message", 10008)
        if call.method == "GET":
            return _json(self.messages[message_id])
        if call.method == "DELETE":
            await self._delete_message(message_id)
            if original:
                handle.original_deleted = True
            return web.Response(status=204)
        body = call.json if isinstance(call.json, dict) else {}
        problems = _message_problems(body)
        if problems:
            return _invalid_form(problems)
        if original:
            handle.edits.append(body)
        message = await self._edit_message(message_id, body, call.files)
        return _json(message)

    async def _get_channel(self, call: RestCall, params: dict[str, str]) -> web.StreamResponse:
        channel = self.channels.get(int(params["channel_id"]))
        return _json(channel) if channel else _error(404, "Unknown Channel", 10003)

    async def _post_channel_message(self, call: RestCall, params: dict[str, str]) -> web.StreamResponse:
        channel_id = int(params["channel_id"])
        if channel_id not in self.channels:
            return _error(404, "Unknown Channel", 10003)
        channel = self.channels[channel_id]
        if channel["type"] == p.DM and any(int(u["id"]) in self.closed_dms for u in channel["recipients"]):
            return _error(403, "Cannot send messages to this user", 50007)
        body = call.json if isinstance(call.json, dict) else {}
        problems = _message_problems(body)
        if not (
            body.get("content")
            or body.get("embeds")
            or call.files
            or body.get("components")
            or body.get("sticker_ids")
            or body.get("poll")
        ):
            problems.append("Cannot send an empty message")
        if problems:
            return _invalid_form(problems)
        message = await self._create_message(channel_id, self.bot_user, body, call.files)
        return _json(message)

    async def _channel_message(self, call: RestCall, params: dict[str, str]) -> web.StreamResponse:
        message_id = int(params["message_id"])
        message = self.messages.get(message_id)
        if message is None or int(message["channel_id"]) != int(params["channel_id"]):
            return _error(404, "Unknown Message", 10008)
        if call.method == "GET":
            return _json(message)
        if call.method == "DELETE":
            await self._delete_message(message_id)
            return web.Response(status=204)
        if int(message["author"]["id"]) != self.application_id:
            return _error(403, "Cannot edit a message authored by another user", 50005)
        body = call.json if isinstance(call.json, dict) else {}
        problems = _message_problems(body)
        if problems:
            return _invalid_form(problems)
        return _json(await self._edit_message(message_id, body, call.files))

    async def _add_reaction(self, call: RestCall, params: dict[str, str]) -> web.StreamResponse:
        """PUT .../reactions/{emoji}/@me: a Unicode emoji, or `name:id` of one of the guild's own."""
        message = self.messages.get(int(params["message_id"]))
        if message is None or int(message["channel_id"]) != int(params["channel_id"]):
            return _error(404, "Unknown Message", 10008)
        sent = params["emoji"]
        name, _, emoji_id = sent.rpartition(":")
        custom = emoji_id.isdigit() and self.guild_emojis.get(int(emoji_id)) == name
        if not custom and not emoji.is_emoji(sent):
            return _error(400, "Unknown Emoji", 10014)
        self.reactions.append((int(message["channel_id"]), int(message["id"]), sent))
        self._notify()
        return web.Response(status=204)

    async def _create_dm(self, call: RestCall, params: dict[str, str]) -> web.StreamResponse:
        body = call.json if isinstance(call.json, dict) else {}
        recipient = body.get("recipient_id")
        if recipient is None:
            return _invalid_form(["recipient_id: This field is required"])
        return _json(self.channels[self._dm_channel_for(int(recipient))])


# ---------------------------------------------------------------------- helpers


def _json(data: Any, status: int = 200) -> web.Response:
    """JSON with the exact Content-Type discord.py checks for (no charset suffix)."""
    return web.Response(
        status=status, body=json.dumps(data).encode(), headers={"Content-Type": "application/json"}
    )


def _error(status: int, message: str, code: int) -> web.Response:
    return _json({"message": message, "code": code}, status=status)


def _invalid_form(problems: list[str]) -> web.Response:
    """Discord's 50035 shape, with the problems listed so a failing test shows them."""
    errors = {
        f"problem_{i}": {"_errors": [{"code": "INVALID", "message": text}]} for i, text in enumerate(problems)
    }
    return _json({"message": "Invalid Form Body", "code": 50035, "errors": errors}, status=400)


def _failure_response(failure: _Failure) -> web.Response:
    if failure.status != 429:
        return _error(failure.status, f"{failure.status}: injected by the test", 0)
    body = {
        "message": "You are being rate limited.",
        "retry_after": failure.retry_after,
        "global": failure.is_global,
        "code": 0,
    }
    headers = {
        "Retry-After": str(max(1, round(failure.retry_after))),
        "X-RateLimit-Limit": "5",
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": f"{time.time() + failure.retry_after:.3f}",
        "X-RateLimit-Reset-After": f"{failure.retry_after:.3f}",
        "X-RateLimit-Bucket": "fake-" + failure.route.strip("/").replace("/", "-"),
        "X-RateLimit-Scope": "global" if failure.is_global else "user",
        "Via": "1.1 google",
    }
    if failure.is_global:
        headers["X-RateLimit-Global"] = "true"
    response = _json(body, status=429)
    response.headers.update(headers)
    return response


async def _read_body(request: web.Request) -> tuple[Any, list[RestFile]]:
    """JSON bodies parsed; multipart split into `payload_json` and file parts with their bytes."""
    if not request.body_exists:
        return None, []
    content_type = request.content_type
    if content_type.startswith("multipart/"):
        payload: Any = None
        files: list[RestFile] = []
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader):
                continue
            data = await part.read(decode=False)
            if part.filename is not None:
                files.append(
                    RestFile(
                        part.name or "",
                        part.filename,
                        part.headers.get("Content-Type", "application/octet-stream"),
                        bytes(data),
                    )
                )
            elif part.name == "payload_json":
                payload = json.loads(bytes(data).decode())
        return payload, files
    raw = await request.read()
    if not raw:
        return None, []
    try:
        return json.loads(raw), []
    except ValueError:
        return raw.decode(errors="replace"), []


def _walk_components(components: list[JsonDict]) -> Iterator[JsonDict]:
    """Every component in a message, through rows, sections, containers and labels."""
    for component in components:
        yield component
        yield from _walk_components(component.get("components") or [])
        for key in ("component", "accessory"):
            if isinstance(component.get(key), dict):
                yield from _walk_components([component[key]])


def _submitted(component: JsonDict, values: dict[str, Any]) -> JsonDict | None:
    """The submit-side shape of one modal component, consuming its value from `values`."""
    kind = component.get("type")
    if kind == 1:
        inner = [_submitted(c, values) for c in component.get("components", [])]
        return {"type": 1, "components": [c for c in inner if c is not None]}
    if kind == LABEL:
        inner_component = _submitted(component["component"], values)
        return {"type": LABEL, "id": component.get("id"), "component": inner_component}
    custom_id = component.get("custom_id")
    if custom_id is None:
        return None  # text displays and other read-only parts send nothing back
    if kind == TEXT_INPUT:
        value = str(values.pop(custom_id, component.get("value") or ""))
        if component.get("required", True) and not value:
            raise FakeDiscordError(
                f"modal field {custom_id!r} is required; Discord would not submit it empty"
            )
        max_length = component.get("max_length")
        if max_length is not None and len(value) > max_length:
            raise FakeDiscordError(
                f"modal field {custom_id!r} allows {max_length} characters, got {len(value)}"
            )
        return {"type": TEXT_INPUT, "custom_id": custom_id, "value": value}
    if kind in SELECT_TYPES:
        return {
            "type": kind,
            "custom_id": custom_id,
            "values": _chosen(component, values.pop(custom_id, None)),
        }
    # Checkbox groups send `values`; single checkboxes and radio groups send `value`.
    submitted: JsonDict = {"type": kind, "custom_id": custom_id}
    if custom_id in values:
        value = values.pop(custom_id)
        submitted["values" if isinstance(value, list) else "value"] = value
    return submitted


def _chosen(component: JsonDict, chosen: list[str] | None) -> list[str]:
    """A select menu's submitted values: what the test picked, or the options shown as chosen, as a
    person who leaves the menu alone would send; checked the way Discord checks them."""
    custom_id = component.get("custom_id")
    options = component.get("options") or []
    if chosen is None:
        chosen = [o["value"] for o in options if o.get("default")]
    chosen = list(chosen)
    if component["type"] == 3 and not set(chosen) <= {o["value"] for o in options}:
        raise FakeDiscordError(f"values {chosen} are not all options of {custom_id!r}")
    low = component.get("min_values", 1 if component.get("required", True) else 0)
    high = component.get("max_values", 1)
    if (chosen or component.get("required", True)) and not low <= len(chosen) <= high:
        raise FakeDiscordError(f"{custom_id!r} takes {low} to {high} values, got {len(chosen)}")
    return chosen


def _invoker(payload: JsonDict) -> JsonDict:
    return payload["member"]["user"] if "member" in payload else payload["user"]


def _command_problems(commands: list[JsonDict]) -> list[str]:
    """The checks Discord applies on bulk overwrite that a bot most often trips."""
    problems: list[str] = []
    name_pattern = re.compile(r"^[-_\w]{1,32}$")

    def check_options(path: str, options: list[JsonDict]) -> None:
        if len(options) > 25:
            problems.append(f"{path}: more than 25 options")
        seen_optional = False
        for option in options:
            where = f"{path} {option.get('name')}"
            if not name_pattern.match(option.get("name", "")) or option["name"] != option["name"].lower():
                problems.append(f"{where}: invalid option name")
            if not 1 <= len(option.get("description", "")) <= 100:
                problems.append(f"{where}: description must be 1-100 characters")
            if len(option.get("choices") or []) > 25:
                problems.append(f"{where}: more than 25 choices")
            if option.get("type") in (1, 2):
                check_options(where, option.get("options") or [])
            elif option.get("required"):
                if seen_optional:
                    problems.append(f"{where}: required options must come before optional ones")
            else:
                seen_optional = True

    names = [(c.get("name"), c.get("type", 1)) for c in commands]
    if len(names) != len(set(names)):
        problems.append("duplicate command names")
    for command in commands:
        name = command.get("name", "")
        if command.get("type", 1) == 1:
            if not name_pattern.match(name) or name != name.lower():
                problems.append(f"/{name}: invalid command name")
            if not 1 <= len(command.get("description", "")) <= 100:
                problems.append(f"/{name}: description must be 1-100 characters")
            check_options(f"/{name}", command.get("options") or [])
    return problems


def _message_problems(body: JsonDict) -> list[str]:
    """Discord's message limits: 2000 characters, 10 embeds, 6000 characters of embed text."""
    problems: list[str] = []
    content = body.get("content") or ""
    if len(content) > 2000:
        problems.append(f"content: must be 2000 or fewer in length ({len(content)})")
    embeds = body.get("embeds") or []
    if len(embeds) > 10:
        problems.append("embeds: must be 10 or fewer in length")
    total = 0
    for index, embed in enumerate(embeds):
        title, description = embed.get("title") or "", embed.get("description") or ""
        fields = embed.get("fields") or []
        footer = (embed.get("footer") or {}).get("text") or ""
        author = (embed.get("author") or {}).get("name") or ""
        if len(title) > 256:
            problems.append(f"embeds.{index}.title: must be 256 or fewer in length")
        if len(description) > 4096:
            problems.append(f"embeds.{index}.description: must be 4096 or fewer in length")
        if len(fields) > 25:
            problems.append(f"embeds.{index}.fields: must be 25 or fewer in length")
        for f_index, item in enumerate(fields):
            if not 1 <= len(item.get("name") or "") <= 256 or not 1 <= len(item.get("value") or "") <= 1024:
                problems.append(f"embeds.{index}.fields.{f_index}: name 1-256 and value 1-1024 characters")
        total += len(title) + len(description) + len(footer) + len(author)
        total += sum(len(i.get("name") or "") + len(i.get("value") or "") for i in fields)
    if total > 6000:
        problems.append(f"embeds: total text must be 6000 or fewer characters ({total})")
    return problems


def _modal_component_problems(components: list[JsonDict]) -> list[str]:
    """The limits Discord's API description sets on a modal's labels, text inputs and select menus."""
    problems: list[str] = []
    for component in _walk_components(components):
        kind, custom_id = component.get("type"), component.get("custom_id")
        where = f"component {custom_id or kind}"
        if kind == LABEL:
            if not 1 <= len(component.get("label") or "") <= 45:
                problems.append(f"{where}: label must be 1-45 characters")
            if len(component.get("description") or "") > 100:
                problems.append(f"{where}: description must be 100 or fewer characters")
        if custom_id is not None and not 1 <= len(custom_id) <= 100:
            problems.append(f"{where}: custom_id must be 1-100 characters")
        if kind == TEXT_INPUT:
            value, most = component.get("value") or "", component.get("max_length") or 4000
            if len(value) > most or most > 4000:
                problems.append(f"{where}: value longer than max_length, or max_length over 4000")
            if len(component.get("placeholder") or "") > 100:
                problems.append(f"{where}: placeholder must be 100 or fewer characters")
        if kind in SELECT_TYPES:
            options = component.get("options") or []
            if kind == 3 and not 1 <= len(options) <= 25:
                problems.append(f"{where}: a select menu has 1-25 options")
            if any(not 1 <= len(o.get("label") or "") <= 100 for o in options):
                problems.append(f"{where}: option labels must be 1-100 characters")
            if len(component.get("placeholder") or "") > 150:
                problems.append(f"{where}: placeholder must be 150 or fewer characters")
    return problems


def _callback_problems(kind: Any, data: JsonDict) -> list[str]:
    if kind == AUTOCOMPLETE_RESULT:
        choices = data.get("choices") or []
        problems = [] if len(choices) <= 25 else ["data.choices: Must be 25 or fewer in length."]
        problems += [
            f"data.choices.{i}.name: 1-100 characters"
            for i, c in enumerate(choices)
            if not 1 <= len(str(c.get("name", ""))) <= 100
        ]
        return problems
    if kind == MODAL:
        problems = [] if len(data.get("title") or "") <= 45 else ["data.title: 45 or fewer in length"]
        problems += [] if 1 <= len(data.get("components") or []) <= 5 else ["data.components: 1-5 items"]
        return problems + _modal_component_problems(data.get("components") or [])
    if kind in (CHANNEL_MESSAGE, UPDATE_MESSAGE):
        return _message_problems(data)
    return []
