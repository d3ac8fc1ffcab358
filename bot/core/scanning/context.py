"""Recent clinic and stem-cell words per channel, so strict mode can join a conversation's halves.

"Anyone been to the clinic in Cancún?" followed by "for HSCT, yes" is one clinic mention told in
two messages. Only the matched words are kept, never message text; each channel keeps at most
`messages` entries, entries older than `max_age` or more than `messages` messages back are
ignored, and the least recently active channels are forgotten beyond `max_channels`.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from datetime import timedelta
from typing import Literal

DEFAULT_WINDOW_MESSAGES = 5
DEFAULT_WINDOW_AGE = timedelta(minutes=10)
DEFAULT_MAX_CHANNELS = 2000


# One remembered message: (position in the channel, POSIX time, clinic words, context words).
# A plain tuple: this is built on every hit, and a named tuple costs ten times as much to create.
_Remembered = tuple[int, float, tuple[str, ...], tuple[str, ...]]


class ChannelMemory:
    """One channel's recent hits, and how many messages it has seen since it was first remembered."""

    __slots__ = ("entries", "last_clinic", "last_context", "seen")

    def __init__(self, size: int) -> None:
        self.seen = 0
        self.entries: deque[_Remembered] = deque(maxlen=size)
        # (position, time) of the latest entry holding each kind: answers "nothing recent of that
        # kind" without walking the entries, the usual case for a clinic word said in passing.
        self.last_clinic: tuple[int, float] = (-(2**62), float("-inf"))
        self.last_context: tuple[int, float] = (-(2**62), float("-inf"))


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

    def recall(self, channel_id: int, at: float, *, clinic: bool) -> tuple[str, ...]:
        """Clinic words (`clinic=True`) or context words from the channel's recent messages."""
        memory = self.channels.get(channel_id)
        if memory is None:
            return ()
        oldest_position = memory.seen - self.messages
        oldest_time = at - self.max_age_seconds
        latest_position, latest_time = memory.last_clinic if clinic else memory.last_context
        if latest_position < oldest_position or latest_time < oldest_time:
            return ()
        return self._collect(memory, oldest_position, oldest_time, 2 if clinic else 3)

    def join(
        self, channel_id: int, at: float, clinic_words: tuple[str, ...], context_words: tuple[str, ...]
    ) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
        """Complete half a mention from the window: both halves, or None once this half is remembered.

        `recall` and `remember` in one call, for strict mode's usual step: a clinic word said in
        passing, with nothing recent to join, costs one lookup, two comparisons and one append.
        """
        memory = self.channels.get(channel_id)
        if memory is None:
            self.remember(channel_id, at, clinic_words, context_words)
            return None
        seen = memory.seen
        oldest_position = seen - self.messages
        oldest_time = at - self.max_age_seconds
        clinic, context = clinic_words, context_words
        if not clinic:
            position, when = memory.last_clinic
            if position >= oldest_position and when >= oldest_time:
                clinic = self._collect(memory, oldest_position, oldest_time, 2)
        if not context:
            position, when = memory.last_context
            if position >= oldest_position and when >= oldest_time:
                context = self._collect(memory, oldest_position, oldest_time, 3)
        if clinic and context:
            return clinic, context
        self.channels.move_to_end(channel_id)
        memory.entries.append((seen, at, clinic_words, context_words))
        if clinic_words:
            memory.last_clinic = (seen, at)
        if context_words:
            memory.last_context = (seen, at)
        return None

    @staticmethod
    def _collect(
        memory: ChannelMemory, oldest_position: int, oldest_time: float, slot: Literal[2, 3]
    ) -> tuple[str, ...]:
        """The words in `slot` (2: clinic, 3: context) of the entries still inside the window."""
        found: tuple[str, ...] = ()
        for entry in memory.entries:
            if entry[0] >= oldest_position and entry[1] >= oldest_time:
                found += entry[2] if slot == 2 else entry[3]
        # A word said twice is reported once, in the order it was first said.
        return tuple(dict.fromkeys(found)) if len(found) > 1 else found

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
        memory.entries.append((memory.seen, at, clinic_words, context_words))
        if clinic_words:
            memory.last_clinic = (memory.seen, at)
        if context_words:
            memory.last_context = (memory.seen, at)

    def forget(self, channel_id: int) -> None:
        """Drop a channel's memory, e.g. once a caution has answered what it held."""
        self.channels.pop(channel_id, None)
