"""Recent clinic-watch signals per channel, so strict mode can join a conversation's halves.

"I keep reading about mesenchymal cells" followed by "there's a clinic in Cancún that offers it"
is one mention told in two messages. Only the listed words found are kept, by kind, never
message text; each channel keeps at most `messages` entries, entries older than `max_age` or more
than `messages` messages back are ignored, and the least recently active channels are forgotten
beyond `max_channels`. Only messages about stem cells, a product, aHSCT or a clinic are kept:
a place name or a price in passing never waits in a window.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Mapping
from datetime import timedelta

from bot.core.scanning.settings import WordKind

DEFAULT_WINDOW_MESSAGES = 5
DEFAULT_WINDOW_AGE = timedelta(minutes=10)
DEFAULT_MAX_CHANNELS = 2000

# The listed words found in one message, by kind.
Found = Mapping[WordKind, tuple[str, ...]]

# One remembered message: (position in the channel, POSIX time, words found by kind).
_Remembered = tuple[int, float, Found]


class ChannelMemory:
    """One channel's recent signals, and how many messages it has seen since it was first remembered."""

    __slots__ = ("entries", "latest", "seen")

    def __init__(self, size: int) -> None:
        self.seen = 0
        self.entries: deque[_Remembered] = deque(maxlen=size)
        # (position, time) of the latest entry: answers "nothing recent" without walking the entries.
        self.latest: tuple[int, float] = (-(2**62), float("-inf"))


class ContextWindows:
    """Bounded memory of recent signals per channel; timestamps are POSIX seconds."""

    def __init__(
        self,
        messages: int = DEFAULT_WINDOW_MESSAGES,
        max_age: timedelta = DEFAULT_WINDOW_AGE,
        max_channels: int = DEFAULT_MAX_CHANNELS,
    ) -> None:
        if messages < 1 or max_channels < 1:
            raise ValueError("the window needs room for at least one message and one channel")
        self.messages = messages
        self.max_age_seconds = max_age.total_seconds()
        self.max_channels = max_channels
        # Public so the scanner can count a message with one dict lookup on its hot path.
        self.channels: OrderedDict[int, ChannelMemory] = OrderedDict()

    def __len__(self) -> int:
        return len(self.channels)

    def recall(self, channel_id: int, at: float) -> dict[WordKind, tuple[str, ...]]:
        """The words, by kind, of the channel's messages still inside the window (oldest first)."""
        memory = self.channels.get(channel_id)
        if memory is None:
            return {}
        oldest_position = memory.seen - self.messages
        oldest_time = at - self.max_age_seconds
        position, when = memory.latest
        if position < oldest_position or when < oldest_time:
            return {}
        merged: dict[WordKind, tuple[str, ...]] = {}
        for entry_position, entry_time, found in memory.entries:
            if entry_position >= oldest_position and entry_time >= oldest_time:
                for kind, words in found.items():
                    merged[kind] = tuple(dict.fromkeys((*merged.get(kind, ()), *words)))
        return merged

    def remember(self, channel_id: int, at: float, found: Found) -> None:
        """Keep the current message's words; counted as the channel's latest message."""
        memory = self.channels.get(channel_id)
        if memory is None:
            memory = ChannelMemory(self.messages)
            memory.seen = 1  # the current message, not counted before memory existed
            self.channels[channel_id] = memory
            if len(self.channels) > self.max_channels:
                self.channels.popitem(last=False)
        else:
            self.channels.move_to_end(channel_id)
        memory.entries.append((memory.seen, at, found))
        memory.latest = (memory.seen, at)

    def forget(self, channel_id: int) -> None:
        """Drop a channel's memory, e.g. once a card has answered what it held."""
        self.channels.pop(channel_id, None)
