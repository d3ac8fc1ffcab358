"""Returning the start-up's free memory: it runs where glibc is, and harms nothing held."""

from __future__ import annotations

import sys

from bot.memory import hold_collection, release_free_memory, settle_after_start_up


def test_free_memory_goes_back_on_linux_and_what_is_held_stays_intact() -> None:
    held = [f"place {index}" * 8 for index in range(50_000)]
    scratch = [bytearray(4096) for _ in range(5_000)]
    del scratch
    ran = release_free_memory()
    assert ran is sys.platform.startswith("linux")
    assert held[49_999] == "place 49999" * 8, "live objects are untouched"


def test_rss_does_not_grow_when_free_memory_is_released() -> None:
    if not sys.platform.startswith("linux"):
        assert release_free_memory() is False
        return

    def rss_kib() -> int:
        with open("/proc/self/status", encoding="ascii") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmRSS"))

    scratch = [bytes(1000) for _ in range(200_000)]  # ~200 MiB of blocks from the C allocator
    kept = scratch[::64]  # a few stay, scattered, so freeing alone cannot shrink the heap's top
    del scratch
    before = rss_kib()
    release_free_memory()
    assert rss_kib() < before - 50_000, "the free pages between the kept blocks go back"
    assert len(kept) == 3125


def test_settling_after_a_held_start_freezes_what_lives_and_collects_again() -> None:
    import gc

    assert gc.isenabled()
    frozen_before = gc.get_freeze_count()
    settle_after_start_up()  # not held (as in tests, or a bot built by another program): left as it is
    assert gc.isenabled() and gc.get_freeze_count() == frozen_before
    hold_collection()
    try:
        assert not gc.isenabled()
        survivors = [[index] for index in range(1000)]
        settle_after_start_up()
        assert gc.isenabled() and gc.get_freeze_count() >= frozen_before + len(survivors)
    finally:
        gc.enable()
        gc.unfreeze()
