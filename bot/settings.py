"""Settings from the environment (and `.env`), validated once at start-up.

`load_settings` reports every problem at once, one line each, so an operator fixes them in one go.
Nothing here runs at import time.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

DEFAULT_DATABASE_PATH = "data/stemcell-bot.sqlite3"
DEFAULT_DISCORD_API_BASE = "https://discord.com/api/v10"
DEFAULT_CLINICALTRIALS_API_BASE = "https://clinicaltrials.gov/api/v2"
DEFAULT_TRIAL_WATCH_INTERVAL = 86400
# An hour at least (studies open over weeks, and the registry asks to be asked politely), a month at most.
TRIAL_WATCH_INTERVAL_RANGE = (3600, 30 * 86400)
SYNC_MODES = ("auto", "always", "never")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")

SyncMode = Literal["auto", "always", "never"]


def packaged_content_dir() -> Path:
    """Where the shipped content lives: inside the installed package, or the source tree's `content/`."""
    here = Path(__file__).resolve().parent
    installed = here / "_content"
    if installed.is_dir():
        return installed
    return here.parent / "content"


class Secret:
    """A string that never shows itself in a repr, str or log line."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def get(self) -> str:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __repr__(self) -> str:
        return "Secret('********')" if self._value else "Secret('')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass(frozen=True)
class Settings:
    """Everything the bot reads from its environment, checked and typed."""

    discord_token: Secret
    database_path: Path
    discord_api_base: str
    api_base_overridden: bool
    dev_guild_id: int | None
    sync_commands: SyncMode
    journal_key: Secret
    clinicaltrials_api_base: str
    content_dir: Path
    log_level: str
    #: Seconds between two looks at the registry for one trial watch.
    trial_watch_interval: int = DEFAULT_TRIAL_WATCH_INTERVAL


class SettingsError(Exception):
    """One or more settings are wrong; `problems` holds one line per problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def _check_http_url(name: str, value: str, problems: list[str]) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        problems.append(
            f"{name}: {value!r} is not an http(s) URL; expected something like 'https://discord.com/api/v10'"
        )
    return value.rstrip("/")


def load_settings(environ: Mapping[str, str], *, require_token: bool = True) -> Settings:
    """Build `Settings` from a mapping (usually `os.environ` after `.env` is loaded).

    Raises `SettingsError` listing every problem found, never just the first.
    """
    problems: list[str] = []

    def get(name: str, default: str = "") -> str:
        return environ.get(name, default).strip()

    token = get("DISCORD_TOKEN")
    if require_token and not token:
        problems.append(
            "DISCORD_TOKEN: not set; expected the bot token from the Discord developer portal "
            "(Applications > your app > Bot > Reset Token), in the environment or in .env"
        )
    elif token and any(c.isspace() for c in token):
        problems.append("DISCORD_TOKEN: contains whitespace; expected the token exactly as copied")

    database_path = Path(get("DATABASE_PATH") or DEFAULT_DATABASE_PATH).expanduser()
    if database_path.exists() and database_path.is_dir():
        problems.append(
            f"DATABASE_PATH: {str(database_path)!r} is a folder; expected a file path such as "
            f"{DEFAULT_DATABASE_PATH!r}"
        )

    api_base_raw = get("DISCORD_API_BASE")
    api_base = _check_http_url("DISCORD_API_BASE", api_base_raw or DEFAULT_DISCORD_API_BASE, problems)

    dev_guild_raw = get("DEV_GUILD_ID")
    dev_guild_id: int | None = None
    if dev_guild_raw:
        if dev_guild_raw.isdigit() and int(dev_guild_raw) > 0:
            dev_guild_id = int(dev_guild_raw)
        else:
            problems.append(
                f"DEV_GUILD_ID: {dev_guild_raw!r} is not a server id; expected a number like "
                f"'123456789012345678' (right-click the server > Copy Server ID), or leave it unset"
            )

    sync = (get("SYNC_COMMANDS") or "auto").lower()
    if sync not in SYNC_MODES:
        problems.append(
            f"SYNC_COMMANDS: {sync!r} is not a sync mode; expected one of {', '.join(SYNC_MODES)}"
        )
        sync = "auto"

    trials_base = _check_http_url(
        "CLINICALTRIALS_API_BASE",
        get("CLINICALTRIALS_API_BASE") or DEFAULT_CLINICALTRIALS_API_BASE,
        problems,
    )

    interval_raw = get("TRIAL_WATCH_INTERVAL")
    interval = DEFAULT_TRIAL_WATCH_INTERVAL
    low, high = TRIAL_WATCH_INTERVAL_RANGE
    if interval_raw:
        if interval_raw.isdigit() and low <= int(interval_raw) <= high:
            interval = int(interval_raw)
        else:
            problems.append(
                f"TRIAL_WATCH_INTERVAL: {interval_raw!r} is not a number of seconds from {low} (an hour) "
                f"to {high} (30 days); expected something like '{DEFAULT_TRIAL_WATCH_INTERVAL}' (a day), "
                "or leave it unset"
            )

    content_raw = get("CONTENT_DIR")
    content_dir = Path(content_raw).expanduser() if content_raw else packaged_content_dir()
    if not content_dir.is_dir():
        problems.append(
            f"CONTENT_DIR: {str(content_dir)!r} is not a folder; expected the folder holding "
            f"explainers.yaml, glossary.yaml and caution.yaml, or leave it unset"
        )

    level = (get("LOG_LEVEL") or "INFO").upper()
    if level not in LOG_LEVELS:
        problems.append(f"LOG_LEVEL: {level!r} is not a level; expected one of {', '.join(LOG_LEVELS)}")
        level = "INFO"

    if problems:
        raise SettingsError(problems)

    return Settings(
        discord_token=Secret(token),
        database_path=database_path,
        discord_api_base=api_base,
        api_base_overridden=bool(api_base_raw) and api_base != DEFAULT_DISCORD_API_BASE,
        dev_guild_id=dev_guild_id,
        sync_commands=sync,
        journal_key=Secret(get("JOURNAL_KEY")),
        clinicaltrials_api_base=trials_base,
        content_dir=content_dir,
        log_level=logging.getLevelName(logging.getLevelName(level)),
        trial_watch_interval=interval,
    )
