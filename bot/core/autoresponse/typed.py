"""What moderators type into options and forms, read into rule fields (or refused with a kind sentence).

- Triggers: one per line in the form, or separated by commas in the `more_triggers` option. A
  trigger may start with its own mode and a colon (`phrase: stem cell`, `regex: ocre\\w+`); the
  others take the mode chosen beside them.
- Responses: several are separated by `---` (on its own line in the form, or with spaces
  around it in an option): `Hi! --- Hello! --- Welcome!`.
- Weights: one whole number per response, `3, 1, 1`.
- Channels and roles: Discord's own mentions (`#general` becomes `<#123...>` as the moderator
  picks it, `@Helpers` becomes `<@&123...>`) or bare ids, separated by spaces or commas.
- A single `-` clears an optional list or text in `/autoresponse edit`.

Pure text in, plain values out; the rule's own checks (`check_draft`) then decide what is allowed.
"""

from __future__ import annotations

import re

from bot.core.autoresponse.rules import MAX_RESPONSE_WEIGHT, MatchMode, RuleTrigger
from bot.core.text import snippet
from bot.errors import InvalidInput

CLEAR = "-"
_MODE_PREFIX = re.compile(
    r"^\s*(?P<mode>" + "|".join(mode.value for mode in MatchMode) + r")\s*:\s?(?P<text>.*)$",
    re.IGNORECASE | re.DOTALL,
)
_RESPONSE_SEPARATOR = re.compile(r"(?:^|\s)---(?=\s|$)")
_CHANNEL = re.compile(r"<#([0-9]{15,21})>")
_ROLE = re.compile(r"<@&([0-9]{15,21})>")
_BARE_ID = re.compile(r"[0-9]{15,21}")
_MAX_ID = 2**63 - 1
_SHOWN = 40


def is_clear(text: str) -> bool:
    """The moderator asked to clear the value (a single `-`)."""
    return text.strip() == CLEAR


def parse_trigger_line(line: str, default_mode: MatchMode) -> RuleTrigger:
    """`phrase: stem cell` -> a phrase trigger; a line without a mode name takes `default_mode`."""
    found = _MODE_PREFIX.match(line)
    if found is None:
        return RuleTrigger(line.strip(), default_mode)
    return RuleTrigger(found["text"].strip(), MatchMode(found["mode"].lower()))


def parse_trigger_lines(text: str, default_mode: MatchMode) -> list[RuleTrigger]:
    """One trigger per non-blank line (the form)."""
    return [parse_trigger_line(line, default_mode) for line in text.splitlines() if line.strip()]


def parse_trigger_list(text: str, default_mode: MatchMode) -> list[RuleTrigger]:
    """Triggers separated by commas (an option, which cannot hold line breaks)."""
    return [parse_trigger_line(part, default_mode) for part in text.split(",") if part.strip()]


def split_responses(text: str) -> list[str]:
    """Responses separated by `---`; blank pieces are dropped, each piece is trimmed."""
    return [piece.strip() for piece in _RESPONSE_SEPARATOR.split(text) if piece.strip()]


def parse_weights(text: str) -> tuple[int, ...]:
    """`3, 1, 1` -> (3, 1, 1); anything but whole numbers from 1 to 100 is refused by name."""
    weights: list[int] = []
    for part in re.split(r"[\s,;]+", text.strip()):
        if not part:
            continue
        if not (part.isascii() and part.isdigit()) or not 1 <= int(part[:4]) <= MAX_RESPONSE_WEIGHT:
            raise InvalidInput(
                f"“{snippet(part, _SHOWN)}” is not a weight: give one whole number from 1 to "
                f"{MAX_RESPONSE_WEIGHT} per response, like `3, 1, 1`. Nothing was changed."
            )
        weights.append(int(part))
    return tuple(weights)


def parse_channel_mentions(text: str) -> tuple[int, ...]:
    """Channel ids from `#channel` mentions or bare ids; anything else is refused by name."""
    return _parse_ids(text, _CHANNEL, "channel", "type # and pick the channel from the list")


def parse_role_mentions(text: str) -> tuple[int, ...]:
    """Role ids from `@role` mentions or bare ids; anything else is refused by name."""
    return _parse_ids(text, _ROLE, "role", "type @ and pick the role from the list")


def _parse_ids(text: str, mention: re.Pattern[str], what: str, how: str) -> tuple[int, ...]:
    ids: list[int] = []
    for part in re.split(r"[\s,]+", text.strip()):
        if not part:
            continue
        found = mention.fullmatch(part)
        digits = found[1] if found else part if _BARE_ID.fullmatch(part) else None
        if digits is None or not 0 < int(digits) <= _MAX_ID:
            raise InvalidInput(
                f"“{snippet(part, _SHOWN)}” is not a {what}: {how}, so it becomes a link. "
                "Nothing was changed."
            )
        ids.append(int(digits))
    return tuple(dict.fromkeys(ids))
