"""How the parsers of member text grow with input length: linear, or worse.

Member text reaches these on the event loop (markdown escaping of notes, symptom parsing). A pattern
that backtracks turns 6,000 characters into seconds. Each line prints the time at n and at 2n
characters and their ratio: about 2 means linear, about 4 quadratic. The floor is `str.lower` on the
same text, measured in the same run.

    python bench/bench_text.py
"""

from __future__ import annotations

import time
from collections.abc import Callable

from bot.core.journal import rules
from bot.core.text import escape_markdown

REPEATS = 7


def best_of(action: Callable[[], object], repeats: int = REPEATS) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return min(times)


def growth(name: str, parse: Callable[[str], object], make: Callable[[int], str], size: int) -> None:
    small, large = make(size), make(2 * size)
    at_n, at_2n = best_of(lambda: parse(small)), best_of(lambda: parse(large))
    floor = best_of(lambda: large.lower())
    print(
        f"{name:<34} n={len(small):>6}: {at_n * 1e6:9.1f} µs   2n: {at_2n * 1e6:9.1f} µs   "
        f"growth {at_2n / at_n:4.2f} (2 = linear)   {at_2n / floor:7.1f}x str.lower"
    )


def main() -> None:
    growth("escape_markdown, crafted brackets", escape_markdown, lambda n: "[a](b " * (n // 6), 6000)
    growth("symptoms, a long run of letters", rules._SYMPTOM_PAIR.findall, lambda n: "a" * n, 6000)
    growth("symptoms, letters then a score", rules._SYMPTOM_PAIR.findall, lambda n: "a" * n + " 5", 6000)


if __name__ == "__main__":
    main()
