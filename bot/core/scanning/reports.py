"""False-alarm reports on the clinic watch's cards: what a "Not relevant here" press records.

A report keeps which card was sent and which kinds of signal it answered, never the member's
message, so moderators can see which signals misfire in their server (and tune their word lists)
without anyone's words being stored. The kinds travel in the button's custom id as one letter each.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from bot.core.scanning.rules import SIGNAL_PHRASES, Outcome
from bot.core.scanning.settings import WordKind

#: The cards a member can report; staying quiet sends nothing to report.
CARDS = (Outcome.CAUTION, Outcome.CENTRE)
_LETTERS = "abcdefghijklmnopqrstuvwxyz"
_LETTER_OF = {kind: _LETTERS[index] for index, kind in enumerate(WordKind)}
_KIND_OF = {letter: kind for kind, letter in _LETTER_OF.items()}


def signal_code(kinds: Iterable[WordKind]) -> str:
    """The kinds as letters in a stable order ("abf"), short enough for a custom id."""
    return "".join(sorted({_LETTER_OF[kind] for kind in kinds}))


def kinds_from_code(code: str) -> tuple[WordKind, ...]:
    """The kinds a code names; letters it does not know (a future release's) are left out."""
    return tuple(_KIND_OF[letter] for letter in dict.fromkeys(code) if letter in _KIND_OF)


@dataclass(frozen=True, slots=True)
class FalseAlarm:
    """One "Not relevant here" press on one card message."""

    outcome: Outcome
    signals: tuple[WordKind, ...]

    def describe(self) -> str:
        """The card and the signals it answered, in words, for the mod-log (never the message)."""
        phrases = [SIGNAL_PHRASES[kind] for kind in self.signals]
        card = CARD_NAMES[self.outcome]
        return f"{card}, sent for {_and(phrases)}" if phrases else card


@dataclass(frozen=True, slots=True)
class FalseAlarmCounts:
    """A server's reports: how many per card, and which signal kinds they named most."""

    by_card: dict[Outcome, int] = field(default_factory=dict)
    by_signal: Counter[WordKind] = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return sum(self.by_card.values())

    def summary(self, top: int = 3) -> str:
        """One or two lines for `/clinicwatch status`."""
        if not self.total:
            return "No card has been reported as not relevant."
        cards = ", ".join(f"{count} × {CARD_NAMES[card]}" for card, count in self.by_card.items() if count)
        common = [f"{SIGNAL_PHRASES[kind]} ({count})" for kind, count in self.by_signal.most_common(top)]
        line = f"{self.total} reported as not relevant: {cards}."
        return line + (f"\nMost named signals: {', '.join(common)}." if common else "")


CARD_NAMES = {
    Outcome.CAUTION: "the ISSCR caution",
    Outcome.CENTRE: "the “Choosing a transplant centre” card",
}


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
