"""Posts mod-log reports: a short embed in the server's mod-log channel for each configuration change.

The audit log in the database is the record; the mod-log channel is a courtesy copy for the team.
So a report that cannot be posted (channel deleted, permission removed, Discord slow) is logged and
dropped: the moderator's change has already happened and their command must still succeed. What a
report says is decided in `bot.core.modlog`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any

import discord

from bot.cogs._embeds import to_embed
from bot.core.modlog import change_report
from bot.db.repositories.modlog import ModlogRepository

log = logging.getLogger(__name__)

# A report must never hold a moderator's command up; a slower one is dropped and logged.
REPORT_TIMEOUT_SECONDS = 2.0


class ModlogReporter:
    """Reports changes in the background: `report` returns at once and never raises."""

    def __init__(self, client: discord.Client, repository: ModlogRepository) -> None:
        self._client = client
        self._repository = repository
        self._in_flight: set[asyncio.Task[None]] = set()

    def report(
        self,
        guild_id: int,
        actor_id: int,
        action: str,
        target: str | None,
        before: Mapping[str, Any] | None,
        after: Mapping[str, Any] | None,
        *,
        channel_id: int | None = None,
    ) -> None:
        """Post a report of one change; `channel_id` overrides the configured channel (`/modlog off`
        says goodbye in the old one).

        The moderator's command answers first: a slow or rate-limited mod-log channel must never
        make a saved change look like a failure.
        """
        task = asyncio.create_task(
            self._post(guild_id, actor_id, action, target, before, after, channel_id),
            name=f"modlog-report-{guild_id}",
        )
        self._in_flight.add(task)
        task.add_done_callback(self._in_flight.discard)

    async def settle(self) -> None:
        """Wait for reports in flight (at shutdown, and in tests that read the channel)."""
        if self._in_flight:
            await asyncio.wait(list(self._in_flight))

    async def _post(
        self,
        guild_id: int,
        actor_id: int,
        action: str,
        target: str | None,
        before: Mapping[str, Any] | None,
        after: Mapping[str, Any] | None,
        channel_id: int | None,
    ) -> None:
        try:
            if channel_id is None:
                channel_id = await self._repository.channel(guild_id)
            if channel_id is None:
                return
            embed = to_embed(change_report(actor_id, action, target, before, after))
            channel = self._client.get_partial_messageable(channel_id, guild_id=guild_id)
            await asyncio.wait_for(
                channel.send(embed=embed, allowed_mentions=discord.AllowedMentions.none()),
                timeout=REPORT_TIMEOUT_SECONDS,
            )
        except discord.HTTPException as error:
            log.warning(
                "Could not post to the mod-log channel (guild=%s channel=%s action=%s): %s",
                guild_id,
                channel_id,
                action,
                error.text or error.status,
            )
        except TimeoutError:
            log.warning(
                "The mod-log report timed out (guild=%s channel=%s action=%s)", guild_id, channel_id, action
            )
        except Exception:  # the change is already saved; a broken report must not fail the command
            log.exception(
                "The mod-log report failed (guild=%s channel=%s action=%s)", guild_id, channel_id, action
            )
