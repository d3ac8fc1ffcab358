"""What a mod-log report says: a short embed naming the change, who made it, and the settings moved.

Pure rendering to plain embed data; `bot/cogs/_modlog.py` posts it. The audit log in the database
keeps every value whole; a report shortens long values so it always fits one embed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.core import limits
from bot.core.content.render import EmbedField, RenderedEmbed
from bot.core.text import clip, escape_markdown, one_line

MODLOG_COLOUR = 0x5B6C8F
VALUE_CHARS = 180  # per setting shown; a long response is cut, the audit log keeps it whole

ACTION_TITLES = {
    "autoresponse.add": "Auto-response added",
    "autoresponse.edit": "Auto-response edited",
    "autoresponse.remove": "Auto-response removed",
    "autoresponse.import": "Auto-responses imported",
    "clinicwatch.false_alarm": "Clinic card marked not relevant",
    "autoresponse.ignore": "Auto-responses ignore a member",
    "autoresponse.unignore": "Auto-responses answer a member again",
    "modlog.set": "Mod-log channel set",
    "modlog.clear": "Mod-log turned off",
}
FEATURE_NAMES = {"clinicwatch": "Clinic watch", "autoresponse": "Auto-responses", "modlog": "Mod-log"}


def change_report(
    actor_id: int,
    action: str,
    target: str | None,
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
) -> RenderedEmbed:
    """A short embed: what changed, by whom, and the fields before and after."""
    title = ACTION_TITLES.get(action) or _default_title(action)
    if target:
        title = f"{title}: {target}"
    fields: list[EmbedField] = []
    if before:
        fields.append(EmbedField("Before", settings_text(before)))
    if after:
        fields.append(EmbedField("After", settings_text(after)))
    return RenderedEmbed(
        title=clip(title, limits.EMBED_TITLE_CHARS),
        description=f"By <@{actor_id}>",
        fields=tuple(fields),
        footer=action,
        colour=MODLOG_COLOUR,
    )


def _default_title(action: str) -> str:
    feature, _, verb = action.partition(".")
    return f"{FEATURE_NAMES.get(feature, feature)}: {verb.replace('.', ' ')}" if verb else action


def settings_text(values: Mapping[str, Any]) -> str:
    """One `**name**: value` line per setting, each value shortened, the whole within one field."""
    lines = [
        f"**{key}**: {escape_markdown(clip(value_text(value), VALUE_CHARS))}" for key, value in values.items()
    ]
    return clip("\n".join(lines) or "-", limits.EMBED_FIELD_VALUE_CHARS)


def value_text(value: Any) -> str:
    """A stored setting as a moderator reads it: yes/no, none, lists joined, on one line."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(value_text(item) for item in value) or "none"
    return one_line(str(value))
