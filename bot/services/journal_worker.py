"""The journal's worker process: where charts, PDFs and export files of a large journal are made.

Rendering a chart or a PDF, or writing a zip of thousands of entries, is seconds of pure-Python work
that holds the GIL: in a thread it would still stall the event loop (heartbeats, every member's
commands). So it runs in a separate process, started at the first job (most starts never need it)
and stopped at shutdown. The process is spawned (not forked: the bot holds threads and an open
database), imports only `bot.core.journal` and matplotlib, and receives opened entries as packed
chunks (`bot.core.journal.jobs`), never the journal key or the database. Once a chart has been drawn
the process holds some 70 MiB, so it stops after `IDLE_SECONDS` without a job; the next job starts
another (a few tenths of a second, in a thread).
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

#: How long the process is kept without a job: long enough for a member's few commands in a row.
IDLE_SECONDS = 600.0


class JournalWorker:
    """One worker process, started lazily and shut down by `close`; a crashed one is replaced."""

    def __init__(self, idle_seconds: float = IDLE_SECONDS) -> None:
        #: The pool, once its process is up. Starting is shielded from the caller's cancellation and
        #: kept here, so a start under way is never lost: the next job or `close` waits for it.
        self._pool: asyncio.Future[ProcessPoolExecutor] | None = None
        self._idle_seconds = idle_seconds
        #: Jobs asked for and not yet answered; the idle stop waits until there are none.
        self._jobs = 0
        self._idle_timer: asyncio.TimerHandle | None = None
        self._idle_stop: asyncio.Task[None] | None = None

    @property
    def started(self) -> bool:
        return self._pool is not None

    async def run(self, job: Callable[..., _T], *args: Any) -> _T:
        """`job(*args)` in the worker process; its exception is raised here."""
        self._jobs += 1
        if self._idle_timer is not None:
            self._idle_timer.cancel()
            self._idle_timer = None
        try:
            return await self._run(job, *args)
        finally:
            self._jobs -= 1
            if self._jobs == 0 and self._pool is not None:
                loop = asyncio.get_running_loop()
                self._idle_timer = loop.call_later(self._idle_seconds, self._stop_when_idle)

    def _stop_when_idle(self) -> None:
        """Let go of the idle pool at once (a job asked for from now on starts a new process) and
        stop its process in the background; `close` waits for that."""
        self._idle_timer = None
        if self._jobs == 0 and self._pool is not None:
            log.debug("The journal's worker process stops after %.0f s without a job", self._idle_seconds)
            starting, self._pool = self._pool, None
            self._idle_stop = asyncio.ensure_future(_stop(starting))

    async def _run(self, job: Callable[..., _T], *args: Any) -> _T:
        pool = await self._started()
        try:
            return await asyncio.get_running_loop().run_in_executor(pool, job, *args)
        except BrokenProcessPool:
            log.warning("The journal's worker process stopped unexpectedly; a new one starts at the next job")
            if self._pool is not None and self._pool.done() and self._pool.result() is pool:
                self._pool = None
            await asyncio.to_thread(pool.shutdown, wait=False, cancel_futures=True)
            raise

    async def close(self) -> None:
        """Stop the process (waiting for a start or a job still running), off the event loop."""
        if self._idle_timer is not None:
            self._idle_timer.cancel()
            self._idle_timer = None
        if self._idle_stop is not None:
            await asyncio.shield(self._idle_stop)
        starting, self._pool = self._pool, None
        if starting is not None:
            await _stop(starting)

    async def _started(self) -> ProcessPoolExecutor:
        """The pool with its process running. Spawning writes the new interpreter's start-up data
        through a pipe, tens of milliseconds: that happens in a thread, so the event loop never waits."""
        if self._pool is None:
            self._pool = asyncio.ensure_future(asyncio.to_thread(_started_pool))
        starting = self._pool
        try:
            return await asyncio.shield(starting)
        except asyncio.CancelledError:
            raise
        except BaseException:
            if self._pool is starting:
                self._pool = None  # the next job tries again
            raise


async def _stop(starting: asyncio.Future[ProcessPoolExecutor]) -> None:
    """Stop a pool's process once it is up (waiting for its job), off the event loop."""
    try:
        pool = await starting
    except Exception:  # it never started: nothing to stop (the start's caller heard why)
        return
    await asyncio.to_thread(pool.shutdown, wait=True, cancel_futures=True)


def _started_pool() -> ProcessPoolExecutor:
    pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
    pool.submit(int).result()  # a job that needs nothing: it returns once the process is up
    return pool
