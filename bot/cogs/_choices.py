"""Slash-command choices generated from `bot.core` enums, so Discord's list is never a hand copy."""

from __future__ import annotations

from enum import StrEnum

from discord import app_commands


def choices_of(enum: type[StrEnum], *, label: str | None = None) -> list[app_commands.Choice[str]]:
    """One choice per member, shown as its `label` attribute when it has one, else its value."""
    return [
        app_commands.Choice(name=str(getattr(member, label) if label else member.value), value=member.value)
        for member in enum
    ]
