"""The `stemcell-bot` entry point stays small, so the journal's worker process stays small.

A console script is the main module of the bot's process, and a spawned worker runs the main
module again before its first job: whatever the entry point imports, every worker imports too.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from importlib.metadata import entry_points
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_console_script_is_the_small_entry_point() -> None:
    (script,) = [e for e in entry_points(group="console_scripts") if e.name == "stemcell-bot"]
    assert script.value == "bot.cli:main"


def test_a_worker_started_under_the_console_script_imports_no_command_line(tmp_path: Path) -> None:
    # What pip writes for `stemcell-bot`, with a job that says what the worker has imported.
    script = tmp_path / "stemcell-bot"
    script.write_text(
        textwrap.dedent(
            """
            import asyncio, json, sys
            from bot.cli import main


            def loaded():
                return sorted(m for m in sys.modules if m.startswith(("bot", "discord", "aiosqlite")))


            if __name__ == "__main__":
                from bot.services.journal_worker import JournalWorker

                async def ask():
                    worker = JournalWorker()
                    try:
                        print(json.dumps(await worker.run(loaded)))
                    finally:
                        await worker.close()

                asyncio.run(ask())
            """
        ),
        encoding="utf-8",
    )
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=120, cwd=tmp_path, check=False
    )
    assert done.returncode == 0, done.stderr
    in_worker = set(json.loads(done.stdout))
    assert "bot.cli" in in_worker, "the worker did run the main module again"
    assert not in_worker & {"bot.__main__", "bot.db", "bot.settings", "discord", "aiosqlite"}, in_worker
