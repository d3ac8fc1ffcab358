"""Errors whose message is safe and kind enough to show to a member as it is.

Free of Discord so that `bot.core` may raise them; the command tree's error handler turns
them into an ephemeral reply.
"""

from __future__ import annotations


class UserFacingError(Exception):
    """An error whose text is written for the member who caused it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(UserFacingError):
    """Something the member asked for does not exist (or is not theirs)."""


class NotAllowed(UserFacingError):
    """The member may not do this here (missing permission, wrong place)."""


class InvalidInput(UserFacingError):
    """The member's input broke a rule (length, range, format)."""
