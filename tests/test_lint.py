"""The layering rule and the house style are checked, not hoped for: ruff runs with the tests."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINTED = [name for name in ("bot", "tests", "bench") if (ROOT / name).is_dir()]


def test_ruff_check_is_clean() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", *LINTED],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format_is_clean() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--check", "--no-cache", *LINTED],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_basedpyright_finds_no_type_error() -> None:
    """basedpyright in basic mode as configured in pyproject.toml (unneeded `type: ignore` included)."""
    result = subprocess.run(
        [sys.executable, "-m", "basedpyright", "--outputjson"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    report = json.loads(result.stdout)
    problems = [
        f"{d['file']}:{d['range']['start']['line'] + 1}: {d['message']}"
        for d in report["generalDiagnostics"]
        if d["severity"] == "error"
    ]
    assert problems == [] and report["summary"]["filesAnalyzed"] > 50, problems


def test_discord_is_banned_in_core_and_db(tmp_path: Path) -> None:
    """A discord import slipped into bot/core, bot/db or bot/services must fail the lint (TID251)."""
    for layer in ("core", "db", "services"):
        probe = ROOT / "bot" / layer / "_layering_probe.py"
        probe.write_text("from discord import Embed\n\nEmbed()\n")
        try:
            result = subprocess.run(
                [sys.executable, "-m", "ruff", "check", "--no-cache", "--select", "TID251", str(probe)],
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=False,
            )
        finally:
            probe.unlink()
        assert result.returncode == 1 and "TID251" in result.stdout, result.stdout
