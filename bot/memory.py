"""The process's memory around start-up: no collections while it starts, then settled for good.

Starting allocates some 67,000 objects the collector tracks, nearly all of which live as long as
the process. Collecting while they are made only walks them again and again (30-50 ms of a start),
and afterwards every full collection would walk them once more (about 55 ms, on the event loop).
So the command line holds the collector while the bot starts (`hold_collection`); once it is set
up, `settle_after_start_up` moves everything alive into the collector's permanent generation
(`gc.freeze`, never walked again), turns it back on and returns the free heap pages to the OS.

Loading and checking the content also builds large short-lived structures (parsed YAML, the
scanner's trial build, thousands of place names). Python frees them, but glibc's allocator keeps
the freed pages mapped; `malloc_trim` hands them back.
"""

from __future__ import annotations

import ctypes
import gc
import logging
import sys

log = logging.getLogger(__name__)


def release_free_memory() -> bool:
    """Return free heap pages to the OS where the C library can (glibc on Linux); else do nothing.

    Returns whether it ran. Cheap (a few milliseconds) and safe to call at any time.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        trim = ctypes.CDLL(None).malloc_trim  # the process's own symbols, the C library's among them
    except (OSError, AttributeError):  # musl and other C libraries have no malloc_trim
        return False
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    trim(0)
    log.debug("Returned the start-up's free memory to the operating system")
    return True


def hold_collection() -> None:
    """No garbage collection until `settle_after_start_up` (called by the command line's `run`)."""
    gc.disable()


def settle_after_start_up() -> None:
    """Freeze what start-up made and collect again, if collection was held; then `release_free_memory`.

    Without a hold (tests, or a bot built in another program) the collector is left as it is.
    """
    if not gc.isenabled():
        gc.freeze()
        gc.enable()
    release_free_memory()
