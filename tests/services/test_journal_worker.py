"""The journal's worker process: jobs run in it, a crash is replaced, and no process outlives `close`."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
from concurrent.futures.process import BrokenProcessPool

import pytest

from bot.services.journal_worker import JournalWorker


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


async def test_a_job_runs_in_another_process_which_close_stops() -> None:
    worker = JournalWorker()
    assert not worker.started  # nothing is spawned until a job needs it
    pid = await worker.run(os.getpid)
    assert pid != os.getpid() and worker.started
    assert await worker.run(os.getpid) == pid  # one process, kept between jobs
    await worker.close()
    assert _gone(pid) and not worker.started


async def test_a_crashed_process_fails_its_job_and_the_next_job_gets_a_new_one() -> None:
    worker = JournalWorker()
    try:
        first = await worker.run(os.getpid)
        with pytest.raises(BrokenProcessPool):
            await worker.run(os._exit, 3)
        second = await worker.run(os.getpid)
        assert second not in (first, os.getpid())
    finally:
        await worker.close()


async def test_a_caller_cancelled_while_the_process_starts_leaves_no_process_behind() -> None:
    before = {child.pid for child in multiprocessing.active_children()}
    worker = JournalWorker()
    first = asyncio.create_task(worker.run(os.getpid))
    await asyncio.sleep(0.01)  # the start is under way in its thread
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    assert worker.started  # the start goes on for the next job
    pid = await worker.run(os.getpid)
    assert pid in {child.pid for child in multiprocessing.active_children()} - before
    await worker.close()
    assert _gone(pid)
    assert {child.pid for child in multiprocessing.active_children()} - before == set()


async def test_close_waits_for_a_start_under_way_and_stops_its_process() -> None:
    before = {child.pid for child in multiprocessing.active_children()}
    worker = JournalWorker()
    job = asyncio.create_task(worker.run(os.getpid))
    await asyncio.sleep(0.01)
    await worker.close()
    # The job either ran before the stop or was refused; either way no process is left running.
    await asyncio.gather(job, return_exceptions=True)
    assert {child.pid for child in multiprocessing.active_children()} - before == set()


async def test_the_process_stops_after_a_while_without_a_job_and_the_next_job_starts_another() -> None:
    worker = JournalWorker(idle_seconds=0.3)
    try:
        first = await worker.run(os.getpid)
        await asyncio.sleep(0.1)
        assert await worker.run(os.getpid) == first, "a job within the idle time keeps the process"
        for _ in range(100):  # up to 10 s on a busy machine; it usually goes within half a second
            if not worker.started and _gone(first):
                break
            await asyncio.sleep(0.1)
        assert not worker.started and _gone(first), "an idle process is stopped"
        second = await worker.run(os.getpid)
        assert second not in (first, os.getpid())
    finally:
        await worker.close()


async def test_a_job_asked_for_while_the_idle_stop_runs_waits_for_it_and_gets_a_new_process() -> None:
    worker = JournalWorker(idle_seconds=0.05)
    try:
        first = await worker.run(os.getpid)
        # The idle timer was set when that job ended, so it fires before this sleep ends: the stop
        # is under way (or done) when the next job is asked for.
        await asyncio.sleep(0.06)
        second = await worker.run(os.getpid)
        assert second not in (first, os.getpid()), "never sent to the process being stopped"
    finally:
        await worker.close()
    assert _gone(first) and _gone(second), "close waits for the idle stop too"
