"""Recent clinic and stem-cell words per channel, so strict mode can join a conversation's halves.

"Anyone been to the clinic in Cancún?" followed by "for HSCT, yes" is one clinic mention told in
two messages. Only the matched words are kept, never message text; each channel keeps at most
`messages` entries, entries older than `max_age` or more than `messages` messages back are
ignored, and the least recently active channels are forgotten beyond `max_channels`.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from datetime import timedelta
from typing import NamedTuple

DEFAULT_WINDOW_MESSAGES = 5
DEFAULT_WINDOW_AGE = timedelta(minutes=10)
DEFAULT_MAX_CHANNELS = 2000


class _Remembered(NamedTuple):
    position: int
    at: float
    clinic_words: tuple[str, ...]
    context_words: tuple[str, ...]


class ChannelMemory:
    """One channel's recent hits, and how many messages it has seen since it was first remembered."""

    __slots__ = ("entries", "seen")

    def __init__(self, size: int) -> None:
        self.seen = 0
        self.entries: deque[_Remembered] = deque(maxlen=size)


class ContextWindows:
    """Bounded memory of recent hits per channel; timestamps are POSIX seconds."""

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

    def count_message(self, channel_id: int) -> None:
        """Note one more message in a channel we remember, so old hits slide out by count too."""
        memory = self.channels.get(channel_id)
        if memory is not None:
            memory.seen += 1

    def recall(self, channel_id: int, at: float) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """Clinic and context words from the channel's recent messages (before the current one)."""
        memory = self.channels.get(channel_id)
        if memory is None:
            return (), ()
        clinic: list[str] = []
        context: list[str] = []
        for entry in memory.entries:
            if memory.seen - entry.position > self.messages or at - entry.at > self.max_age_seconds:
                continue
            clinic.extend(word for word in entry.clinic_words if word not in clinic)
            context.extend(word for word in entry.context_words if word not in context)
        return tuple(clinic), tuple(context)

    def remember(
        self, channel_id: int, at: float, clinic_words: tuple[str, ...], context_words: tuple[str, ...]
    ) -> None:
        """Keep the current message's hits; counted as the channel's latest message."""
        memory = self.channels.get(channel_id)
        if memory is None:
            memory = ChannelMemory(self.messages)
            memory.seen = 1  # the current message, not counted before memory existed
            self.channels[channel_id] = memory
            if len(self.channels) > self.max_channels:
                self.channels.popitem(last=False)
        else:
            self.channels.move_to_end(channel_id)
        memory.entries.append(_Remembered(memory.seen, at, clinic_words, context_words))

    def forget(self, channel_id: int) -> None:
        """Drop a channel's memory, e.g. once a caution has answered what it held."""
        self.channels.pop(channel_id, None)
