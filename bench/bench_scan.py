"""Benchmark: the bot's per-message work against discord.py's own cost to parse the same message.

Run with `python bench/bench_scan.py [--messages N] [--repeats R]`. It builds a corpus of
MESSAGE_CREATE payloads shaped like a support server's traffic, then measures in one process:

  (a) discord.py's own MESSAGE_CREATE handler, `ConnectionState.parse_message_create`, on a real
      ConnectionState holding the guild (as after GUILD_CREATE), under the bot's own client
      settings (its intents, and `max_messages=None` as bot/app.py sets it: no message cache): it builds the
      `Message` and dispatches the event to no listener. This is the floor every bot pays for
      every message, before any listener of its own runs;
  (a') the same with discord.py's default message cache (1,000 messages), which costs about 15%
      more and so flatters the ratio; printed for comparison only;
  (b) everything the message listener does per message short of sending: the DM/bot/webhook/self
      checks, the scan (normalise, one re2 pass over the topic words; for the few messages that
      hit one, the second pass and the rules; context window) and the cooldown decision.

All run in the order a bot runs them, batch by batch: discord.py parses a batch of payloads, then
the listener sees Messages built from them (built outside the timed loops). Each figure is the
best of several repeats (the least disturbed run). The target: (b) costs at most 10% of (a).
Prints messages/s, the ratios b/a and b/a' and PASS/FAIL on b/a; the exit status is 0 on PASS.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import discord

from bot.cogs.message_scan import reply_for_message
from bot.core.clock import SystemClock
from bot.core.scanning import load_clinic_watch_words
from bot.services.message_watch import MessageWatch
from bot.settings import packaged_content_dir

TARGET_RATIO = 0.10
BATCH = 50  # messages parsed, then listened to, per timed batch
GUILD_ID = 800_000_000_000_000_001
BOT_USER_ID = 800_000_000_000_000_002
CHANNEL_IDS = [800_000_000_000_001_000 + n for n in range(8)]
DISCORD_EPOCH_MS = 1_420_070_400_000

# What people write in an MS support server: mostly everyday chat, some clinic talk.
EVERYDAY = [
    "morning all, rough night with spasms but coffee is helping",
    "lol same 😂",
    "Has anyone here been on ocrevus for more than 3 years? my last MRI showed no new lesions, so hopeful",
    "fatigue is brutal this week, had to cancel everything",
    "ok",
    "thank you so much ❤️",
    "My neuro wants to switch me to kesimpta, any experiences with the injections?",
    "Does heat make anyone else's symptoms flare? Summer is the worst",
    "https://www.nationalmssociety.org/ has a good page on relapses",
    "Just got my results back, EDSS 3.5. Not sure how to feel.",
    "I've been doing physio twice a week and my balance is slowly getting better",
    "Vitamin D levels were low again, upping my dose",
    "anyone tried the Wahls diet? my sister keeps sending me articles",
    "Hugs to everyone having a hard day today 🫂",
    "Me dijeron que la resonancia salió bien, ¡por fin una buena noticia!",
    "Brain fog is real. I put my keys in the fridge this morning 🙃",
    "Does anyone know if PIP covers mobility aids?",
    "Started a new job and haven't told them about my diagnosis yet, is that ok?",
    "my legs feel like concrete today",
    "Lumbar puncture tomorrow, any tips?? nervous",
    "Je suis diagnostiquée depuis 2019, la fatigue reste le plus dur",
    "I read the Lancet paper on BTK inhibitors last night, interesting results for progressive MS",
    "Yes!",
    "I have an appointment at my neurologist's clinic tomorrow, wish me luck",
    "The MS clinic nurse was lovely today",
    "I'm in a clinical trial for a new remyelination drug, week 12 now",
    "Clinically isolated syndrome was my first diagnosis back in 2015",
    "Long post incoming, sorry. " + "Some days are better than others and I try to keep going. " * 8,
]
CLINIC_TALK = [
    "Has anyone been to a stem cell clinic in Mexico? The price is about 50k",
    "thinking about HSCT abroad, the NHS waiting list is years",
    "Looking at clinics in Cancun for aHSCT, any advice?",
    "fui a una clínica en Monterrey para el trasplante de células madre",
    "They offer MSC infusions, is that the same as HSCT?",
    "the clinic's website says exosomes reversed someone's EDSS, sounds too good",
]
CLINIC_SHARE = 0.05  # about one message in twenty touches the subject


def _snowflake(sequence: int) -> int:
    now_ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
    return (now_ms << 22) | (sequence & 0x3FFFFF)


def _guild_payload() -> dict[str, Any]:
    channels = [
        {"id": str(cid), "type": 0, "name": f"chat-{n}", "position": n, "permission_overwrites": []}
        for n, cid in enumerate(CHANNEL_IDS)
    ]
    return {
        "id": str(GUILD_ID),
        "name": "MS and stem cells",
        "owner_id": "1",
        "roles": [
            {"id": str(GUILD_ID), "name": "@everyone", "permissions": "0", "position": 0},
            {"id": str(GUILD_ID + 10), "name": "member", "permissions": "0", "position": 1},
        ],
        "channels": channels,
        "members": [],
        "member_count": 1200,
        "emojis": [],
        "stickers": [],
        "features": [],
        "threads": [],
        "large": False,
    }


def _user(rng: random.Random, user_id: int, *, bot: bool = False) -> dict[str, Any]:
    """A user object with the fields Discord sends today."""
    name = f"member{user_id % 10_000}"
    return {
        "id": str(user_id),
        "username": name,
        "global_name": None if bot else name.title(),
        "discriminator": "0",
        "avatar": f"{rng.getrandbits(128):032x}" if rng.random() < 0.7 else None,
        "avatar_decoration_data": None,
        "banner": None,
        "accent_color": None,
        "clan": None,
        "primary_guild": None,
        "public_flags": 0,
        "flags": 0,
        "bot": bot,
    }


def _member() -> dict[str, Any]:
    """The partial member a guild MESSAGE_CREATE carries beside its author."""
    return {
        "roles": [str(GUILD_ID + 10)],
        "joined_at": "2024-05-01T10:00:00.000000+00:00",
        "premium_since": None,
        "nick": None,
        "avatar": None,
        "banner": None,
        "deaf": False,
        "mute": False,
        "pending": False,
        "flags": 0,
        "communication_disabled_until": None,
    }


def _message(
    rng: random.Random, sequence: int, channel_id: int, author: dict[str, Any], content: str
) -> dict[str, Any]:
    return {
        "id": str(_snowflake(sequence)),
        "type": 0,
        "channel_id": str(channel_id),
        "author": author,
        "content": content,
        "timestamp": datetime.now(UTC).isoformat(),
        "edited_timestamp": None,
        "tts": False,
        "mention_everyone": False,
        "mentions": [],
        "mention_roles": [],
        "attachments": [],
        "embeds": [],
        "components": [],
        "pinned": False,
        "flags": 0,
    }


def build_corpus(size: int, seed: int = 20260101) -> list[dict[str, Any]]:
    """MESSAGE_CREATE payloads shaped like a support server's traffic.

    About 15% are replies (Discord then embeds the replied-to message), 5% mention someone,
    5% carry an image, 3% come from bots and 1% from webhooks; about 5% talk about clinics or
    stem cells and a few more name a clinic in passing (the corpus text lists above).
    """
    rng = random.Random(seed)
    authors = [_user(rng, 900_000_000_000_000_000 + n) for n in range(150)]
    bot_author = _user(rng, 910_000_000_000_000_000, bot=True)
    payloads = []
    for sequence in range(size):
        channel_id = rng.choice(CHANNEL_IDS)
        author = bot_author if rng.random() < 0.03 else rng.choice(authors)
        content = rng.choice(CLINIC_TALK) if rng.random() < CLINIC_SHARE else rng.choice(EVERYDAY)
        payload = _message(rng, sequence, channel_id, author, content)
        payload["guild_id"] = str(GUILD_ID)
        payload["member"] = _member()
        payload["nonce"] = str(rng.getrandbits(60))
        payload["channel_type"] = 0
        roll = rng.random()
        if roll < 0.15:
            earlier = _message(rng, sequence - 1, channel_id, rng.choice(authors), rng.choice(EVERYDAY))
            payload["type"] = 19
            payload["message_reference"] = {
                "type": 0,
                "message_id": earlier["id"],
                "channel_id": str(channel_id),
                "guild_id": str(GUILD_ID),
            }
            payload["referenced_message"] = earlier
            payload["mentions"] = [{**earlier["author"], "member": _member()}]
        elif roll < 0.20:
            mentioned = rng.choice(authors)
            payload["mentions"] = [{**mentioned, "member": _member()}]
            payload["content"] = f"<@{mentioned['id']}> {content}"
        elif roll < 0.25:
            payload["attachments"] = [
                {
                    "id": str(_snowflake(sequence + 1)),
                    "filename": "image.png",
                    "size": 254_000,
                    "url": "https://cdn.discordapp.com/attachments/1/2/image.png?ex=1&is=2&hm=3",
                    "proxy_url": "https://media.discordapp.net/attachments/1/2/image.png?ex=1&is=2&hm=3",
                    "width": 1170,
                    "height": 2532,
                    "content_type": "image/png",
                    "placeholder": "abc",
                    "placeholder_version": 1,
                }
            ]
        if rng.random() < 0.01:
            payload["webhook_id"] = str(700_000_000_000_000_000)
        payloads.append(payload)
    return payloads


BOT_MAX_MESSAGES = None  # bot/app.py: the bot keeps no message cache
DEFAULT_MAX_MESSAGES = 1000  # discord.py's default, for comparison


def bot_intents() -> discord.Intents:
    """The intents bot/app.py asks for (kept in step with it by hand)."""
    intents = discord.Intents.none()
    intents.guilds = True
    intents.guild_messages = True
    intents.dm_messages = True
    intents.message_content = True
    return intents


def make_state(max_messages: int | None = BOT_MAX_MESSAGES) -> discord.state.ConnectionState:
    """A real ConnectionState with one guild, as after READY and GUILD_CREATE, without a connection."""
    client = discord.Client(intents=bot_intents(), max_messages=max_messages)
    state = client._connection
    state._add_guild_from_data(_guild_payload())  # type: ignore[arg-type]
    return state


def build_message(state: discord.state.ConnectionState, data: dict[str, Any]) -> discord.Message:
    """A `Message` built exactly as `parse_message_create` builds it: the listener's input for (b)."""
    channel, _ = state._get_guild_channel(data)  # type: ignore[arg-type]
    return discord.Message(channel=channel, data=data, state=state)  # type: ignore[arg-type]


def bot_message_path(watch: MessageWatch) -> Callable[[discord.Message], object]:
    """What the message listener decides for each message, up to (not including) sending a reply:
    exactly `message_scan.reply_for_message`, on the bot's own `MessageWatch`."""
    return lambda message: reply_for_message(watch, message)


def measure_once(
    corpus: Sequence[dict[str, Any]],
    state: discord.state.ConnectionState,
    on_message: Callable[[discord.Message], object],
) -> tuple[float, float]:
    """One pass over the corpus in small batches: (a) parse a batch, then (b) listen to it.

    This is the order a running bot follows. The listener's Messages are built from the same
    payloads between the two timed loops (the bot keeps no cache to fetch them from), so only
    discord.py's parse and the listener are timed.
    """
    parse_message_create = state.parse_message_create
    clock = time.perf_counter
    parse_total = listen_total = 0.0
    for start in range(0, len(corpus), BATCH):
        batch = corpus[start : start + BATCH]
        began = clock()
        for payload in batch:
            parse_message_create(payload)  # type: ignore[arg-type]
        parse_total += clock() - began
        fresh = [build_message(state, payload) for payload in batch]
        listening = clock()
        for message in fresh:
            on_message(message)
        listen_total += clock() - listening
    return parse_total, listen_total


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=5000, help="corpus size (default 5000)")
    parser.add_argument("--repeats", type=int, default=15, help="timed repeats; the best counts (default 15)")
    args = parser.parse_args(argv)

    corpus = build_corpus(args.messages)
    state = make_state(BOT_MAX_MESSAGES)
    cached_state = make_state(DEFAULT_MAX_MESSAGES)
    watch = MessageWatch(
        load_clinic_watch_words(packaged_content_dir()),
        SystemClock(),
        None,  # type: ignore[arg-type]  # storage: not used on the message path
        None,  # type: ignore[arg-type]
    )
    watch.scanner.load_settings([])
    on_message = bot_message_path(watch)
    # Warm-up: compiles the server's sets once and counts the cards a first pass sends.
    alerts = [on_message(build_message(state, payload)) for payload in corpus]
    cards = Counter(alert.outcome.value for alert in alerts if alert is not None)

    parse_best = cached_best = bot_best = float("inf")
    for _ in range(args.repeats):
        parse_time, bot_time = measure_once(corpus, state, on_message)
        cached_time, _ = measure_once(corpus, cached_state, lambda message: None)
        parse_best = min(parse_best, parse_time)
        cached_best = min(cached_best, cached_time)
        bot_best = min(bot_best, bot_time)

    count = len(corpus)
    ratio = bot_best / parse_best
    print(f"corpus: {count} MESSAGE_CREATE payloads, {args.repeats} repeats, best run counted")
    print(f"  cards on the first pass: {dict(cards) or 'none'} (then per-channel cooldowns hold)")
    for label, best in (
        ("(a)  discord.py parse, max_messages=None", parse_best),
        ("(a') discord.py parse, message cache 1000", cached_best),
        ("(b)  bot per-message path", bot_best),
    ):
        print(f"{label:<42}: {count / best:>10,.0f} msgs/s  ({best / count * 1e6:6.2f} µs/msg)")
    print(f"ratio b/a' = {bot_best / cached_best:.3f}  (the old floor, with the cache; for comparison)")
    verdict = "PASS" if ratio <= TARGET_RATIO else "FAIL"
    print(f"ratio b/a  = {ratio:.3f}  (target <= {TARGET_RATIO:.2f}, the bot's own settings): {verdict}")
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
