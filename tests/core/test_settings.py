"""Settings: every problem reported at once, one line each; the token never shows itself."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import SettingsError, load_settings


def test_defaults_with_only_a_token(tmp_path: Path) -> None:
    settings = load_settings({"DISCORD_TOKEN": "abc.def.ghi"})
    assert settings.sync_commands == "auto"
    assert settings.discord_api_base == "https://discord.com/api/v10"
    assert settings.api_base_overridden is False
    assert settings.database_path == Path("data/stemcell-bot.sqlite3")
    assert settings.content_dir.joinpath("explainers.yaml").is_file()
    assert settings.log_level == "INFO"


def test_token_never_in_repr() -> None:
    settings = load_settings({"DISCORD_TOKEN": "super-secret-token-value"})
    assert "super-secret-token-value" not in repr(settings)
    assert settings.discord_token.get() == "super-secret-token-value"


def test_all_problems_at_once() -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(
            {
                "DEV_GUILD_ID": "my server",
                "SYNC_COMMANDS": "sometimes",
                "DISCORD_API_BASE": "ftp://nowhere",
                "LOG_LEVEL": "loud",
                "CONTENT_DIR": "/definitely/not/here",
            }
        )
    problems = caught.value.problems
    names = [p.split(":", 1)[0] for p in problems]
    assert names == [
        "DISCORD_TOKEN",
        "DISCORD_API_BASE",
        "DEV_GUILD_ID",
        "SYNC_COMMANDS",
        "CONTENT_DIR",
        "LOG_LEVEL",
    ]
    assert all("\n" not in p and "expected" in p for p in problems)


def test_api_base_override_is_noticed_and_trailing_slash_dropped() -> None:
    settings = load_settings({"DISCORD_TOKEN": "t", "DISCORD_API_BASE": "http://127.0.0.1:9/api/v10/"})
    assert settings.api_base_overridden is True
    assert settings.discord_api_base == "http://127.0.0.1:9/api/v10"


def test_token_optional_for_check() -> None:
    assert not load_settings({}, require_token=False).discord_token


def test_trial_watch_interval_defaults_to_a_day_and_takes_seconds() -> None:
    assert load_settings({"DISCORD_TOKEN": "t"}).trial_watch_interval == 86400
    hourly = load_settings({"DISCORD_TOKEN": "t", "TRIAL_WATCH_INTERVAL": " 3600 "})
    assert hourly.trial_watch_interval == 3600


@pytest.mark.parametrize("value", ["daily", "60", "0", "-3600", "2592001", "1.5"])
def test_a_bad_trial_watch_interval_is_reported_on_its_own_line_with_the_others(value: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings({"DISCORD_TOKEN": "t", "TRIAL_WATCH_INTERVAL": value, "LOG_LEVEL": "loud"})
    [interval, level] = caught.value.problems
    assert interval.startswith(f"TRIAL_WATCH_INTERVAL: {value!r} is not a number of seconds from 3600")
    assert "expected" in interval and "\n" not in interval
    assert level.startswith("LOG_LEVEL")
