"""Logging in discord.py's own format, with a filter that keeps secrets out of every line."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable

LOG_FORMAT = "[{asctime}] [{levelname:<8}] {name}: {message}"
DATE_FORMAT = "%Y-%m-%d %H:%M:%S"
PAYLOAD_LOGGERS = ("discord.gateway", "discord.client", "discord.state", "discord.webhook", "discord.ui")


class RedactSecrets(logging.Filter):
    """Replaces any configured secret (token, journal key) that reaches a log record."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self._secrets = [s for s in secrets if s and len(s) >= 8]

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._secrets:
            return True
        message = record.getMessage()
        redacted = message
        for secret in self._secrets:
            redacted = redacted.replace(secret, "[redacted]")
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def setup_logging(level: str, secrets: Iterable[str] = ()) -> None:
    """Log to stderr at `level`; discord.py's HTTP chatter only from WARNING up."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(LOG_FORMAT, DATE_FORMAT, style="{"))
    handler.addFilter(RedactSecrets(secrets))
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level)
    numeric = logging.getLevelName(level)
    logging.getLogger("discord.http").setLevel(max(logging.WARNING, numeric))
    # At DEBUG these log whole gateway payloads and interaction data: DM quick notes and journal
    # forms would reach the log. They never go below INFO, whatever LOG_LEVEL says.
    for payload_logger in PAYLOAD_LOGGERS:
        logging.getLogger(payload_logger).setLevel(max(logging.INFO, numeric))
    logging.getLogger("aiosqlite").setLevel(logging.WARNING)
