"""Builders for the JSON objects Discord sends, shaped the way discord.py 2.7 parses them.

Kept apart from the server so a test can build an unusual payload (a webhook author, a reply)
without reaching into the fake's internals.
"""

from __future__ import annotations

import itertools
import time
from datetime import UTC, datetime
from typing import Any

DISCORD_EPOCH_MS = 1_420_070_400_000

# Permission bits the fake hands out; names follow Discord's documentation.
CREATE_INSTANT_INVITE = 1 << 0
ADMINISTRATOR = 1 << 3
MANAGE_GUILD = 1 << 5
ADD_REACTIONS = 1 << 6
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
MANAGE_MESSAGES = 1 << 13
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
USE_EXTERNAL_EMOJIS = 1 << 18
CHANGE_NICKNAME = 1 << 26
USE_APPLICATION_COMMANDS = 1 << 31
SEND_MESSAGES_IN_THREADS = 1 << 38
ALL_PERMISSIONS = (1 << 51) - 1

EVERYONE_PERMISSIONS = (
    CREATE_INSTANT_INVITE
    | ADD_REACTIONS
    | VIEW_CHANNEL
    | SEND_MESSAGES
    | EMBED_LINKS
    | ATTACH_FILES
    | READ_MESSAGE_HISTORY
    | USE_EXTERNAL_EMOJIS
    | CHANGE_NICKNAME
    | USE_APPLICATION_COMMANDS
    | SEND_MESSAGES_IN_THREADS
)
MODERATOR_PERMISSIONS = EVERYONE_PERMISSIONS | MANAGE_GUILD | MANAGE_MESSAGES
BOT_PERMISSIONS = EVERYONE_PERMISSIONS | MANAGE_MESSAGES

# Gateway intents Discord treats as privileged: members, presences, message content.
PRIVILEGED_INTENTS = (1 << 1) | (1 << 8) | (1 << 15)
MESSAGE_CONTENT_INTENT = 1 << 15
GUILD_MESSAGES_INTENT = 1 << 9
DM_MESSAGES_INTENT = 1 << 12

# Channel and message type numbers used below.
GUILD_TEXT = 0
DM = 1
MESSAGE_DEFAULT = 0
MESSAGE_REPLY = 19
MESSAGE_CHAT_INPUT_COMMAND = 20
EPHEMERAL_FLAG = 1 << 6
LOADING_FLAG = 1 << 7


class Snowflakes:
    """Hands out increasing, time-based ids so `created_at` and ordering look like Discord's."""

    def __init__(self) -> None:
        self._counter = itertools.count()

    def next(self) -> int:
        """Return a fresh snowflake; the low bits keep ids unique within one millisecond."""
        now_ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
        return (now_ms << 22) | (next(self._counter) & 0x3FFFFF)


def iso_now() -> str:
    """Discord's timestamp format (ISO 8601 with offset)."""
    return datetime.now(UTC).isoformat()


def user(user_id: int, username: str, *, bot: bool = False, global_name: str | None = None) -> dict[str, Any]:
    """A user object; discriminator "0" is what Discord sends for migrated usernames."""
    return {
        "id": str(user_id),
        "username": username,
        "global_name": global_name if global_name is not None else (None if bot else username.title()),
        "discriminator": "0",
        "avatar": None,
        "bot": bot,
        "system": False,
        "public_flags": 0,
        "flags": 0,
    }


def role(
    role_id: int, name: str, permissions: int, *, position: int, managed: bool = False
) -> dict[str, Any]:
    """A role object; @everyone shares the guild's id."""
    return {
        "id": str(role_id),
        "name": name,
        "color": 0,
        "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
        "hoist": False,
        "icon": None,
        "unicode_emoji": None,
        "position": position,
        "permissions": str(permissions),
        "managed": managed,
        "mentionable": False,
        "flags": 0,
    }


def text_channel(channel_id: int, guild_id: int, name: str, *, position: int) -> dict[str, Any]:
    """A guild text channel with no permission overwrites, so role permissions decide."""
    return {
        "id": str(channel_id),
        "type": GUILD_TEXT,
        "guild_id": str(guild_id),
        "name": name,
        "position": position,
        "permission_overwrites": [],
        "nsfw": False,
        "topic": None,
        "last_message_id": None,
        "rate_limit_per_user": 0,
        "parent_id": None,
        "flags": 0,
    }


def dm_channel(channel_id: int, recipient: dict[str, Any]) -> dict[str, Any]:
    """A DM channel between the bot and `recipient`."""
    return {
        "id": str(channel_id),
        "type": DM,
        "last_message_id": None,
        "recipients": [recipient],
        "flags": 0,
    }


def member(
    member_user: dict[str, Any], role_ids: list[int], *, joined_at: str | None = None
) -> dict[str, Any]:
    """A guild member object (the `user` key is dropped where Discord drops it, by the caller)."""
    return {
        "user": member_user,
        "nick": None,
        "avatar": None,
        "banner": None,
        "roles": [str(r) for r in role_ids],
        "joined_at": joined_at or iso_now(),
        "premium_since": None,
        "deaf": False,
        "mute": False,
        "pending": False,
        "flags": 0,
        "communication_disabled_until": None,
    }


def guild(
    guild_id: int,
    name: str,
    *,
    owner_id: int,
    roles: list[dict[str, Any]],
    channels: list[dict[str, Any]],
    members: list[dict[str, Any]],
) -> dict[str, Any]:
    """A full GUILD_CREATE guild; channels lose `guild_id` as they do in that event."""
    return {
        "id": str(guild_id),
        "name": name,
        "icon": None,
        "splash": None,
        "discovery_splash": None,
        "banner": None,
        "description": None,
        "owner_id": str(owner_id),
        "region": None,
        "afk_channel_id": None,
        "afk_timeout": 300,
        "verification_level": 1,
        "default_message_notifications": 1,
        "explicit_content_filter": 0,
        "mfa_level": 0,
        "nsfw_level": 0,
        "premium_tier": 0,
        "premium_subscription_count": 0,
        "premium_progress_bar_enabled": False,
        "preferred_locale": "en-US",
        "system_channel_id": channels[0]["id"] if channels else None,
        "system_channel_flags": 0,
        "rules_channel_id": None,
        "public_updates_channel_id": None,
        "safety_alerts_channel_id": None,
        "vanity_url_code": None,
        "features": [],
        "roles": roles,
        "emojis": [],
        "stickers": [],
        "channels": [{k: v for k, v in c.items() if k != "guild_id"} for c in channels],
        "threads": [],
        "members": members,
        "member_count": len(members),
        "presences": [],
        "voice_states": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
        "soundboard_sounds": [],
        "large": False,
        "unavailable": False,
        "joined_at": iso_now(),
        "max_members": 500000,
        "max_video_channel_users": 25,
        "application_id": None,
    }


def message(
    *,
    message_id: int,
    channel_id: int,
    author: dict[str, Any],
    content: str = "",
    guild_id: int | None = None,
    embeds: list[dict[str, Any]] | None = None,
    components: list[dict[str, Any]] | None = None,
    attachments: list[dict[str, Any]] | None = None,
    flags: int = 0,
    message_type: int = MESSAGE_DEFAULT,
    mentions: list[dict[str, Any]] | None = None,
    message_reference: dict[str, Any] | None = None,
    referenced_message: dict[str, Any] | None = None,
    webhook_id: int | None = None,
    application_id: int | None = None,
    interaction_metadata: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A message object as REST returns it (gateway events add `member` and `guild_id`)."""
    data: dict[str, Any] = {
        "id": str(message_id),
        "channel_id": str(channel_id),
        "author": author,
        "content": content,
        "timestamp": iso_now(),
        "edited_timestamp": None,
        "tts": False,
        "mention_everyone": False,
        "mentions": mentions or [],
        "mention_roles": [],
        "attachments": attachments or [],
        "embeds": embeds or [],
        "components": components or [],
        "pinned": False,
        "type": message_type,
        "flags": flags,
    }
    if guild_id is not None:
        data["guild_id"] = str(guild_id)
    if message_reference is not None:
        data["message_reference"] = message_reference
        data["referenced_message"] = referenced_message
    if webhook_id is not None:
        data["webhook_id"] = str(webhook_id)
    if application_id is not None:
        data["application_id"] = str(application_id)
    if interaction_metadata is not None:
        data["interaction_metadata"] = interaction_metadata
    return data


def attachment(
    attachment_id: int, filename: str, data: bytes, *, url: str, content_type: str | None
) -> dict[str, Any]:
    """An attachment object whose `url` the fake itself serves, so `Attachment.read()` works."""
    payload: dict[str, Any] = {
        "id": str(attachment_id),
        "filename": filename,
        "size": len(data),
        "url": url,
        "proxy_url": url,
    }
    if content_type:
        payload["content_type"] = content_type
    return payload


def interaction(
    *,
    interaction_id: int,
    application_id: int,
    interaction_type: int,
    data: dict[str, Any],
    token: str,
    channel: dict[str, Any],
    invoker: dict[str, Any],
    guild_id: int | None,
    member_payload: dict[str, Any] | None,
    app_permissions: int,
    source_message: dict[str, Any] | None = None,
    locale: str = "en-US",
    attachment_size_limit: int = 10 * 1024 * 1024,
) -> dict[str, Any]:
    """An INTERACTION_CREATE payload with every key discord.py 2.7 reads unguarded."""
    payload: dict[str, Any] = {
        "id": str(interaction_id),
        "application_id": str(application_id),
        "type": interaction_type,
        "data": data,
        "token": token,
        "version": 1,
        "channel_id": channel["id"],
        "channel": channel,
        "app_permissions": str(app_permissions),
        "locale": locale,
        "entitlements": [],
        "entitlement_sku_ids": [],
        "attachment_size_limit": attachment_size_limit,
    }
    if guild_id is not None:
        payload["guild_id"] = str(guild_id)
        payload["guild"] = {"id": str(guild_id), "locale": "en-US", "features": []}
        payload["guild_locale"] = "en-US"
        payload["member"] = member_payload
        payload["authorizing_integration_owners"] = {"0": str(guild_id)}
        payload["context"] = 0
    else:
        payload["user"] = invoker
        payload["authorizing_integration_owners"] = {"0": "0"}
        payload["context"] = 1
    if source_message is not None:
        payload["message"] = source_message
    return payload
