"""Base classes for every button, menu, form and view: who may use it, and errors answered kindly.

discord.py only logs an error raised in a button's callback, so the member sees "This interaction
failed"; these bases answer instead (a `UserFacingError` with its own message, anything else with
an apology and a log line naming the component and ids, never text). Each base asks `allowed`
before acting: anyone (the default), the item's owner (`OwnedItem`, `owner_id` from the custom id),
or a moderator (`ModeratorItem`). A refusal is answered privately and changes nothing. A component
of a private feature sets `private = True`: its log lines then name no guild, channel or user, so
no log ties a Discord id to its use (the journal's).

Subclasses implement `pressed` (items) or `submitted` (forms); `callback` and `on_submit` are the
bases' own.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar, TypeVar

import discord

from bot.cogs._checks import refuse_non_moderator
from bot.cogs._replies import SOMETHING_WENT_WRONG, send_ephemeral
from bot.errors import UserFacingError

log = logging.getLogger(__name__)

ItemT = TypeVar("ItemT", bound=discord.ui.Item[Any])

#: Forms stay open an hour: writing can be slow on a hard day, and a form that times out loses its text.
FORM_TIMEOUT_SECONDS = 3600.0
#: Views holding state in memory (not dynamic items) stop listening after this long.
VIEW_TIMEOUT_SECONDS = 1800.0
# Base classes are never registered; this template matches no custom id.
_NO_CUSTOM_ID = r"(?!)"

DEFAULT_NOT_YOURS = "These buttons belong to someone else, so I can't use them for you. Nothing was changed."
#: The key a private feature's command group sets in `extras` (`extras={PRIVATE_FEATURE: True}`):
#: the tree's error handler then logs its failures without guild, channel or user ids.
PRIVATE_FEATURE = "private"


async def answer_kindly(
    interaction: discord.Interaction,
    action: Callable[[], Awaitable[None]],
    component: str,
    *,
    private: bool = False,
) -> None:
    """Run a component's action; whatever it raises, the member gets a private answer."""
    try:
        await action()
    except UserFacingError as error:
        await send_ephemeral(interaction, error.message)
    except Exception:
        if private:
            log.exception("Component %s failed", component)
        else:
            log.exception(
                "Component %s failed (guild=%s channel=%s user=%s)",
                component,
                interaction.guild_id,
                interaction.channel_id,
                interaction.user.id,
            )
        await send_ephemeral(interaction, SOMETHING_WENT_WRONG)


async def refuse_non_owner(
    interaction: discord.Interaction, owner_id: int, message: str, *, private: bool = False
) -> bool:
    """True for the owner; anyone else gets `message` privately (and nothing changes)."""
    if interaction.user.id == owner_id:
        return True
    if private:
        log.info("Refused a component to a non-owner")
    else:
        log.info("Refused a component to a non-owner (user=%s owner=%s)", interaction.user.id, owner_id)
    await send_ephemeral(interaction, message)
    return False


class SafeItem(discord.ui.DynamicItem[ItemT], template=_NO_CUSTOM_ID):
    """A button or menu rebuilt from its custom id (so it survives restarts), usable by anyone."""

    #: Log lines name no guild, channel or user (a private feature's component).
    private: ClassVar[bool] = False

    async def allowed(self, interaction: discord.Interaction) -> bool:
        """Whether this person may use it; a refusal is answered here. Anyone, by default."""
        return True

    async def pressed(self, interaction: discord.Interaction) -> None:
        raise NotImplementedError

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        try:
            return await self.allowed(interaction)
        except Exception as error:
            await answer_kindly(interaction, _raising(error), type(self).__name__, private=self.private)
            return False

    async def callback(self, interaction: discord.Interaction) -> None:
        await answer_kindly(
            interaction, lambda: self.pressed(interaction), type(self).__name__, private=self.private
        )


class OwnedItem(SafeItem[ItemT], template=_NO_CUSTOM_ID):
    """Usable only by `owner_id`, the member the item was made for (the id rides in the custom id)."""

    owner_id: int
    not_yours: ClassVar[str] = DEFAULT_NOT_YOURS

    async def allowed(self, interaction: discord.Interaction) -> bool:
        return await refuse_non_owner(interaction, self.owner_id, self.not_yours, private=self.private)


class ModeratorItem(SafeItem[ItemT], template=_NO_CUSTOM_ID):
    """Usable only by a moderator of the server it is in, checked when pressed."""

    async def allowed(self, interaction: discord.Interaction) -> bool:
        return await refuse_non_moderator(interaction)


class SafeModal(discord.ui.Modal):
    """A form: `owner_id` (when set) alone may submit it, errors are answered, an hour to write."""

    owner_id: int | None = None
    not_yours: ClassVar[str] = DEFAULT_NOT_YOURS
    #: Log lines name no guild, channel or user (a private feature's form).
    private: ClassVar[bool] = False

    def __init__(self, *, title: str, timeout: float | None = FORM_TIMEOUT_SECONDS) -> None:
        super().__init__(title=title, timeout=timeout)

    async def allowed(self, interaction: discord.Interaction) -> bool:
        if self.owner_id is None:
            return True
        return await refuse_non_owner(interaction, self.owner_id, self.not_yours, private=self.private)

    async def submitted(self, interaction: discord.Interaction) -> None:
        raise NotImplementedError

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        return await self.allowed(interaction)

    async def on_submit(self, interaction: discord.Interaction, /) -> None:
        await answer_kindly(
            interaction, lambda: self.submitted(interaction), type(self).__name__, private=self.private
        )

    async def on_error(self, interaction: discord.Interaction, error: Exception, /) -> None:
        await answer_kindly(interaction, _raising(error), type(self).__name__, private=self.private)


class ModeratorModal(SafeModal):
    """A form only a moderator may submit (checked again at submission: permissions can change)."""

    async def allowed(self, interaction: discord.Interaction) -> bool:
        return await refuse_non_moderator(interaction)


class SafeView(discord.ui.View):
    """A view held in memory (its buttons carry state no custom id could): owner-only when
    `owner_id` is set, errors answered, and it stops listening after `VIEW_TIMEOUT_SECONDS`."""

    not_yours: ClassVar[str] = DEFAULT_NOT_YOURS

    def __init__(self, *, owner_id: int | None = None, timeout: float | None = VIEW_TIMEOUT_SECONDS) -> None:
        super().__init__(timeout=timeout)
        self.owner_id = owner_id

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        if self.owner_id is None:
            return True
        return await refuse_non_owner(interaction, self.owner_id, self.not_yours)

    async def on_error(
        self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item[Any], /
    ) -> None:
        await answer_kindly(interaction, _raising(error), f"{type(self).__name__}.{type(item).__name__}")


def _raising(error: Exception) -> Callable[[], Awaitable[None]]:
    async def again() -> None:
        raise error

    return again


def dynamic_buttons(item: discord.ui.Item[Any], *more: discord.ui.Item[Any]) -> discord.ui.View:
    """A view of dynamic items only, to attach to a message: discord.py routes their clicks by custom
    id and keeps no copy of the view per message (a plain button in a timeout-less view would be held
    forever)."""
    view = discord.ui.View(timeout=None)
    for each in (item, *more):
        view.add_item(each)
    return view
