"""The journal's worker process: where charts, PDFs and export files of a large journal are made.

Rendering a chart or a PDF, or writing a zip of thousands of entries, is seconds of pure-Python work
that holds the GIL: in a thread it would still stall the event loop (heartbeats, every member's
commands). So it runs in a separate process, started at the first job (most starts never need it)
and stopped at shutdown. The process is spawned (not forked: the bot holds threads and an open
database), imports only `bot.core.journal` and matplotlib, and receives opened entries as packed
chunks (`bot.core.journal.jobs`), never the journal key or the database.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

log = logging.getLogger(__name__)

_T = TypeVar("_T")


class JournalWorker:
    """One worker process, started lazily and shut down by `close`; a crashed one is replaced."""

    def __init__(self) -> None:
        self._pool: ProcessPoolExecutor | None = None

    @property
    def started(self) -> bool:
        return self._pool is not None

    async def run(self, job: Callable[..., _T], *args: Any) -> _T:
        """`job(*args)` in the worker process; its exception is raised here."""
        if self._pool is None:
            self._pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
        pool = self._pool
        try:
            return await asyncio.get_running_loop().run_in_executor(pool, job, *args)
        except BrokenProcessPool:
            log.warning("The journal's worker process stopped unexpectedly; a new one starts at the next job")
            if self._pool is pool:
                self._pool = None
            await asyncio.to_thread(pool.shutdown, wait=False, cancel_futures=True)
            raise

    async def close(self) -> None:
        """Stop the process (waiting for a job still running), off the event loop."""
        pool, self._pool = self._pool, None
        if pool is not None:
            await asyncio.to_thread(pool.shutdown, wait=True, cancel_futures=True)
