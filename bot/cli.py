"""The `stemcell-bot` command: an entry point that loads the command line only when it runs.

A console script is its process's main module, and the journal's worker process (spawned, not
forked) runs the main module again before its first job. Kept this small, the worker imports only
what its jobs need, not the whole command line with the database, settings and content modules
(some 34 MiB and a third of a second of CPU less at each worker start).
"""

from __future__ import annotations


def main() -> int:
    from bot.memory import hold_collection

    hold_collection()  # while the command line and the bot load (bot/memory.py); `main` lifts it
    from bot.__main__ import main as run_command_line

    return run_command_line()
