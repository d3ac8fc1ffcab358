"""Which of the bot's voices answers a server message, and the dry run moderators use to check it.

One reply per message is calmer for a channel: when a clinic card is due for a message, the
moderators' auto-responses stay quiet for it (and take no cooldown). The live path
(`bot/services/message_watch.py`) and the dry runs (`/autoresponse test`) both ask `answering_voice`,
so the rule is written once.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from bot.core.autoresponse.selection import Selection
from bot.core.scanning.scanner import ScanPreview


class Voice(Enum):
    """Who speaks for a message: the clinic watch's card, or a moderator's rule."""

    CLINIC_CARD = "clinic card"
    RULE = "rule"


def answering_voice(*, card_due: bool, rule_answers: bool) -> Voice | None:
    """The one voice that answers: a due clinic card first, a rule only when no card is due."""
    if card_due:
        return Voice.CLINIC_CARD
    if rule_answers:
        return Voice.RULE
    return None


#: Discord lets a bot post 5 messages per 5 seconds in a channel; the bot's own replies keep to 3,
#: leaving room for members' slash-command answers and never meeting a 429 under a flood.
REPLIES_PER_WINDOW = 3
REPLY_WINDOW = timedelta(seconds=5)
_MAX_TRACKED_CHANNELS = 5_000


class ChannelReplyBudget:
    """At most `replies` bot replies per channel in any `window`, whatever the rules' cooldowns say.

    A flood of messages that each match some rule (a hundred rules, a copy-pasted wall of trigger
    words) would otherwise get a reply each. Pure: the caller passes the time.
    """

    __slots__ = ("_replies", "_sent", "_window")

    def __init__(self, replies: int = REPLIES_PER_WINDOW, window: timedelta = REPLY_WINDOW) -> None:
        self._replies = replies
        self._window = window
        self._sent: dict[int, deque[datetime]] = {}

    def has_room(self, channel_id: int, now: datetime) -> bool:
        """Whether one more reply may go out in this channel now (nothing is spent)."""
        sent = self._sent.get(channel_id)
        if sent is None:
            return True
        while sent and now - sent[0] >= self._window:
            sent.popleft()
        return len(sent) < self._replies

    def spend(self, channel_id: int, now: datetime) -> None:
        """Count a reply sent in this channel now."""
        sent = self._sent.pop(channel_id, None) or deque(maxlen=self._replies)
        sent.append(now)
        self._sent[channel_id] = sent  # re-inserted: the least recently active channels go first
        if len(self._sent) > _MAX_TRACKED_CHANNELS:
            del self._sent[next(iter(self._sent))]


@dataclass(frozen=True, slots=True)
class DryRun:
    """What would happen if a member sent a text in a channel now; nothing is sent or remembered."""

    selection: Selection
    preview: ScanPreview

    @property
    def card_due(self) -> bool:
        """A clinic card would be posted: it matches, the channel is watched, and no cooldown holds it."""
        return self.preview.would_send

    @property
    def voice(self) -> Voice | None:
        return answering_voice(card_due=self.card_due, rule_answers=self.selection.winner is not None)

    @property
    def rule_held_back(self) -> bool:
        """A rule would answer on its own, but the card goes first."""
        return self.selection.winner is not None and self.voice is Voice.CLINIC_CARD
