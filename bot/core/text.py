"""Text made safe and short for Discord: one escape, one way to shorten, one snippet.

Pure text, no Discord objects. Our own escape rather than discord.py's, because that one can take
quadratic time on crafted bracket text, and member- or moderator-typed text reaches these.
"""

from __future__ import annotations

import re

ELLIPSIS = "…"

# Linear on any input: links kept whole (clickable), markdown characters one at a time, and the
# line-start markers (quote, heading, list) once per line. `[` is escaped so no masked link forms.
_MARKDOWN = re.compile(
    r"(?P<url>(?:https?|steam)://[^\s<]+[^<.,:;\"'\]\s])"
    r"|(?P<char>[\\*_~|`\[])"
    r"|^(?P<indent>[ \t]*+)(?P<marker>[>#-])",
    re.MULTILINE,
)


def _escape_one(match: re.Match[str]) -> str:
    if match["url"]:
        return match["url"]
    if match["char"]:
        return "\\" + match["char"]
    return f"{match['indent']}\\{match['marker']}"


def escape_markdown(text: str) -> str:
    """The text as typed, with Discord markdown neutralised (at most doubles its length)."""
    return _MARKDOWN.sub(_escape_one, text)


def clip(text: str, limit: int) -> str:
    """At most `limit` characters, cut anywhere, with a visible ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1] + ELLIPSIS


def shorten(text: str, limit: int) -> str:
    """At most `limit` characters, cut at a word boundary, for a small label (menu, choice, button)."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:.")
    return cut + ELLIPSIS


def one_line(text: str) -> str:
    """Every run of whitespace (line breaks included) as one space."""
    return " ".join(text.split())


def snippet(text: str | None, limit: int) -> str:
    """A one-line preview of someone's text: flattened, clipped to `limit`, then markdown escaped."""
    if not text:
        return ""
    flat = one_line(text)
    return escape_markdown(flat if len(flat) <= limit else flat[: limit - 1].rstrip() + ELLIPSIS)
