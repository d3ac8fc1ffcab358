"""Giving the start-up's scratch memory back to the operating system.

Loading and checking the content builds large short-lived structures (parsed YAML, a scanner
built only to prove the word lists compile, a table of thousands of place names). Python frees
them, but glibc's allocator keeps the freed pages mapped, so the process would hold some
megabytes it no longer uses for as long as it runs. `malloc_trim` hands them back.
"""

from __future__ import annotations

import ctypes
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
