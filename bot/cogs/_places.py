"""Place-name suggestions for the `near` option of `/trials` and `/trialwatch add`."""

from __future__ import annotations

import asyncio

from discord import app_commands

from bot.core import limits
from bot.core.trials import Gazetteer

# Discord gives an autocomplete answer three seconds; a first build of the place index may take longer.
AUTOCOMPLETE_WAIT_SECONDS = 2.0


async def place_choices(places: Gazetteer, current: str) -> list[app_commands.Choice[str]]:
    """Places whose label starts like `current` (typos forgiven); none while the index is first built."""
    if not await places.load_if_built():
        try:
            # Shielded: the first build goes on after Discord's window for an answer closes.
            await asyncio.wait_for(asyncio.shield(places.ready()), AUTOCOMPLETE_WAIT_SECONDS)
        except TimeoutError:
            return []  # the next keystroke will have suggestions
    choices: list[app_commands.Choice[str]] = []
    for place in await places.suggest(current, limit=limits.AUTOCOMPLETE_CHOICES):
        label = place.label[: limits.CHOICE_VALUE_CHARS]
        choices.append(app_commands.Choice(name=label, value=label))
    return choices
