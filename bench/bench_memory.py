"""Benchmark: the bot's memory and start-up CPU against a bare discord.py bot; `/trials near:` autocomplete.

Run with `python bench/bench_memory.py [--runs N] [--settle SECONDS] [--keystrokes N]`. In one run,
each client is started as its own process against the project's fake Discord
(tests/e2e/fake_discord.py) on 127.0.0.1, and measured from outside through /proc (Linux):

  (a) the floor: a bare `commands.Bot` with the bot's intents and `max_messages=None`, no cogs;
  (b) the bot exactly as an operator starts it (`python -m bot run`), pointed at the fake Discord
      and at the fake ClinicalTrials.gov (tests/fake_clinicaltrials.py).

Start-up CPU is the process's user + system time from exec until the fake has sent it READY and the
guild; steady RSS is its resident memory `--settle` seconds later. Each is the median of `--runs`
starts, the two clients taking turns. The bot's database is prepared by a first start that also
builds the place index (the one-time cost after an upgrade, printed apart), so the measured starts
are restarts, as in production. Then, on the running bot, `--keystrokes` autocomplete requests for
`/trials near:` (members typing place names, typos included) are timed end to end through the fake
Discord, and RSS is read again after a `/trials near:` command has run.

Children run with Python's bytecode cache on, kept in the run's temporary folder and filled by an
unmeasured first start of each client: an installed bot reads its modules compiled, as pip
compiles them at install, while a machine that sets PYTHONDONTWRITEBYTECODE would make every start
compile the bot's own sources again (discord.py's were compiled when it was installed).

Targets (from issue 14): steady RSS <= 1.6x the bare bot, start-up CPU <= 2x, autocomplete p99
under 50 ms. Prints each figure, each ratio and PASS/FAIL; the exit status is 0 when all pass.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "e2e")]

from fake_clinicaltrials import FakeClinicalTrials  # noqa: E402
from fake_discord import FakeDiscord  # noqa: E402

RSS_TARGET = 1.6
CPU_TARGET = 2.0
AUTOCOMPLETE_P99_TARGET_MS = 50.0
TICKS = os.sysconf("SC_CLK_TCK")

# The floor: discord.py's own bot, connected the same way the project's bot connects to the fake.
BARE_BOT = """
import sys
import discord, discord.gateway, discord.http, yarl
from discord.ext import commands

discord.http.Route.BASE = sys.argv[1]
discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(sys.argv[2])
intents = discord.Intents.none()
intents.guilds = intents.guild_messages = intents.dm_messages = intents.message_content = True
bot = commands.Bot(command_prefix=commands.when_mentioned, intents=intents, max_messages=None)
bot.run("fake-token", log_handler=None)
"""

# What members type, keystroke by keystroke, typos and qualifiers included.
PLACES_TYPED = [
    "London, Ontario",
    "Portland, Maine",
    "Uppsala",
    "Chcago",
    "Newark, New Jersey",
    "Stokholm",
    "Perth, WA",
    "München",
    "São Paulo",
    "Sydney",
]


@dataclass(frozen=True)
class Start:
    """One process start: CPU seconds until connected, and resident MiB once settled."""

    cpu_seconds: float
    rss_mib: float


def cpu_seconds(pid: int) -> float:
    """User + system time of a process and its threads, from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS line")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


@asynccontextmanager
async def running(
    command: list[str], env: Mapping[str, str], cwd: Path
) -> AsyncIterator[subprocess.Popen[bytes]]:
    """A child process, stopped with SIGTERM (the bot closes cleanly on it) and reaped on exit."""
    # Started from a thread: Popen's fork and exec would otherwise pause the fakes' event loop.
    process = await asyncio.to_thread(
        subprocess.Popen, command, env=child_environment(env, cwd), cwd=cwd, stdin=subprocess.DEVNULL
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        try:
            await asyncio.to_thread(process.wait, 20)
        except subprocess.TimeoutExpired:
            process.kill()
            await asyncio.to_thread(process.wait)


def child_environment(env: Mapping[str, str], folder: Path) -> dict[str, str]:
    """This environment with `env`, and a bytecode cache of the run's own for every child.

    Installed code is read compiled (pip compiles it at install); without a cache, a machine that
    sets PYTHONDONTWRITEBYTECODE would make every start compile the bot's sources (a third of its
    start-up) while discord.py's, compiled at install, are read. Each client starts once unmeasured,
    so both are measured reading a warm cache.
    """
    child = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    return {**child, **env, "PYTHONPYCACHEPREFIX": str(folder / "pycache")}


async def measure_start(fake: FakeDiscord, process: subprocess.Popen[bytes], settle: float) -> Start:
    await fake.wait_until_ready(timeout=60)
    cpu = cpu_seconds(process.pid)
    await asyncio.sleep(settle)
    return Start(cpu, rss_mib(process.pid))


async def bare_start(folder: Path, settle: float) -> Start:
    fake = FakeDiscord()
    await fake.start()
    try:
        command = [sys.executable, "-c", BARE_BOT, fake.api_base, fake.gateway_url]
        async with running(command, {}, folder) as process:
            return await measure_start(fake, process, settle)
    finally:
        await fake.stop()


def bot_env(fake: FakeDiscord, registry: FakeClinicalTrials, database: Path) -> dict[str, str]:
    return {
        "DISCORD_TOKEN": "fake-token",
        "DISCORD_API_BASE": fake.api_base,
        "DATABASE_PATH": str(database),
        "CLINICALTRIALS_API_BASE": registry.base_url,
        "SYNC_COMMANDS": "auto",
        "JOURNAL_KEY": "",
        "LOG_LEVEL": "WARNING",
    }


async def trials_near(fake: FakeDiscord, place: str) -> None:
    handle = await fake.invoke("trials", {"near": place})
    await handle.wait_response(timeout=30)
    await handle.wait_followup(timeout=60)


@dataclass(frozen=True)
class FirstStart:
    """A fresh database's first start, the one-time index build, and the commands it synced."""

    cpu_seconds: float
    build_cpu_seconds: float
    commands: dict[int | None, list[dict[str, object]]]


async def first_start(folder: Path, registry: FakeClinicalTrials) -> FirstStart:
    """A fresh database: CPU of the first start, then of building the place index at first use."""
    fake = FakeDiscord()
    await fake.start()
    try:
        env = bot_env(fake, registry, folder / "bot.sqlite3")
        async with running([sys.executable, "-m", "bot", "run"], env, folder) as process:
            await fake.wait_until_ready(timeout=60)
            started = cpu_seconds(process.pid)
            await fake.wait_until(lambda: fake.commands, timeout=30, what="the command sync")
            await trials_near(fake, "London, Ontario")
            return FirstStart(started, cpu_seconds(process.pid) - started, dict(fake.commands))
    finally:
        await fake.stop()


async def bot_restart(
    folder: Path, registry: FakeClinicalTrials, first: FirstStart, settle: float, keystrokes: int
) -> tuple[Start, list[float], float]:
    """A restart: start-up, steady RSS, autocomplete latencies (ms), and RSS after /trials near: ran."""
    fake = FakeDiscord()
    fake.commands = dict(first.commands)  # Discord keeps synced commands; the bot sees no need to sync
    fake.settle_delay = 0.0  # requests as fast as the bot answers: the timing is the bot's
    await fake.start()
    try:
        env = bot_env(fake, registry, folder / "bot.sqlite3")
        async with running([sys.executable, "-m", "bot", "run"], env, folder) as process:
            start = await measure_start(fake, process, settle)
            typed = [name[:cut] for name in PLACES_TYPED for cut in range(1, len(name) + 1)]
            latencies: list[float] = []
            for index in range(keystrokes):
                began = time.perf_counter()
                await fake.autocomplete("trials", "near", typed[index % len(typed)])
                latencies.append((time.perf_counter() - began) * 1000)
            await trials_near(fake, "Portland, Maine")
            await asyncio.sleep(1.0)
            return start, latencies, rss_mib(process.pid)
    finally:
        await fake.stop()


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


async def main(runs: int, settle: float, keystrokes: int) -> int:
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as temp:
        folder = Path(temp)
        async with FakeClinicalTrials() as registry:
            first = await first_start(folder, registry)
            size_mib = (folder / "bot.sqlite3").stat().st_size / 2**20
            await bare_start(folder, 0.0)  # unmeasured: fills the bytecode cache, as first_start does
            # Alternated, so a busy spell on the machine falls on both clients alike.
            bare: list[Start] = []
            restarts: list[tuple[Start, list[float], float]] = []
            for _ in range(runs):
                bare.append(await bare_start(folder, settle))
                restarts.append(await bot_restart(folder, registry, first, settle, keystrokes))
    bot = [start for start, _latencies, _after in restarts]
    latencies = [ms for _start, run_latencies, _after in restarts for ms in run_latencies]
    bare_rss = statistics.median(s.rss_mib for s in bare)
    bot_rss = statistics.median(s.rss_mib for s in bot)
    bare_cpu = statistics.median(s.cpu_seconds for s in bare)
    bot_cpu = statistics.median(s.cpu_seconds for s in bot)
    after_use = statistics.median(after for _start, _latencies, after in restarts)
    rss_ratio, cpu_ratio = bot_rss / bare_rss, bot_cpu / bare_cpu
    p50, p99 = percentile(latencies, 0.50), percentile(latencies, 0.99)
    print(f"{runs} starts each; figures are medians (RSS {settle:.0f} s after connecting)")
    print(f"bare discord.py bot: start-up CPU {bare_cpu:.2f} s, steady RSS {bare_rss:.1f} MiB")
    print(f"the bot (restart):   start-up CPU {bot_cpu:.2f} s, steady RSS {bot_rss:.1f} MiB")
    print(
        f"steady RSS ratio   {rss_ratio:.2f}x (target <= {RSS_TARGET}x)  {verdict(rss_ratio <= RSS_TARGET)}"
    )
    print(
        f"start-up CPU ratio {cpu_ratio:.2f}x (target <= {CPU_TARGET}x)  {verdict(cpu_ratio <= CPU_TARGET)}"
    )
    print(
        f"/trials near: autocomplete over {len(latencies)} keystrokes: p50 {p50:.1f} ms, p99 {p99:.1f} ms "
        f"(target p99 < {AUTOCOMPLETE_P99_TARGET_MS:.0f} ms)  {verdict(p99 < AUTOCOMPLETE_P99_TARGET_MS)}"
    )
    print(
        f"after autocomplete and one /trials near: RSS {after_use:.1f} MiB "
        f"({after_use / bare_rss:.2f}x the bare bot)"
    )
    print(
        f"first start on an empty database (migrations, command sync): CPU {first.cpu_seconds:.2f} s; "
        f"building the place index at first use, once: CPU {first.build_cpu_seconds:.2f} s; "
        f"database {size_mib:.1f} MiB"
    )
    passed = rss_ratio <= RSS_TARGET and cpu_ratio <= CPU_TARGET and p99 < AUTOCOMPLETE_P99_TARGET_MS
    return 0 if passed else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=3, help="starts of each client (median taken)")
    parser.add_argument(
        "--settle", type=float, default=5.0, help="seconds after connecting before RSS is read"
    )
    parser.add_argument("--keystrokes", type=int, default=300, help="autocomplete requests per bot start")
    arguments = parser.parse_args()
    sys.exit(asyncio.run(main(arguments.runs, arguments.settle, arguments.keystrokes)))
