"""Logging keeps secrets and members' words out, even at DEBUG."""

from __future__ import annotations

import logging

import pytest

from bot.log import PAYLOAD_LOGGERS, RedactSecrets, setup_logging


@pytest.fixture
def restore_logging():
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    levels = {name: logging.getLogger(name).level for name in (*PAYLOAD_LOGGERS, "discord.http")}
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, saved in levels.items():
        logging.getLogger(name).setLevel(saved)


def test_debug_never_reaches_the_loggers_that_print_payloads(restore_logging) -> None:
    setup_logging("DEBUG")
    assert logging.getLogger("bot").isEnabledFor(logging.DEBUG)
    for name in PAYLOAD_LOGGERS:
        assert not logging.getLogger(name).isEnabledFor(logging.DEBUG), name


def test_secrets_are_redacted_from_records() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "token is %s", ("abcdefgh12345",), None)
    RedactSecrets(["abcdefgh12345"]).filter(record)
    assert record.getMessage() == "token is [redacted]"
