"""A server's clinic-watch settings as one immutable value, and the pure rules for changing them.

Every change returns a new value, so the repository can store it and audit the before/after pair,
and the scanner can swap it in whole. Invalid changes raise `InvalidInput` with a sentence a
moderator can act on.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import timedelta
from enum import StrEnum
from typing import Any

from bot.core.scanning.normalise import normalise_word
from bot.errors import InvalidInput

DEFAULT_COOLDOWN_MINUTES = 30
MIN_COOLDOWN_MINUTES = 1
MAX_COOLDOWN_MINUTES = 7 * 24 * 60
MAX_ADDED_WORDS_PER_KIND = 100
MAX_IGNORED_CHANNELS = 200


class Sensitivity(StrEnum):
    """`strict`: stem-cell, product or aHSCT talk plus something around it (see rules.py).

    `broad` lowers each bar by one signal: a clinic word or a stem-cell product alone is enough for
    the caution, and aHSCT with any clinic or centre for the centre card. Own care stays quiet in both.
    """

    STRICT = "strict"
    BROAD = "broad"


class WordKind(StrEnum):
    """The word lists of `content/clinic_watch.yaml`, one per kind of signal (see rules.py).

    The values are stored in the database: "clinic" and "context" are the two lists moderators have
    always edited (clinic words, and stem-cell talk in general); the others came with the three
    outcomes.
    """

    CLINIC = "clinic"
    CONTEXT = "context"
    PRODUCT = "product"
    HSCT = "hsct"
    REFUSAL = "refusal"
    VENUE = "venue"
    TRAVEL = "travel"
    PLACE = "place"
    PRIVATE = "private"
    MONEY = "money"
    CLAIM = "claim"
    DELIVERY = "delivery"
    INTEREST = "interest"
    CARE = "care"
    RESEARCH = "research"


def channel_is_ignored(ignored: frozenset[int], channel_id: int, parent_channel_id: int | None) -> bool:
    """Ignoring a channel quiets it and its threads (a thread is judged by its parent channel)."""
    return channel_id in ignored or parent_channel_id in ignored


@dataclass(frozen=True)
class ClinicWordLists:
    """The shipped default words (from content/), already in canonical form, one tuple per kind.

    `neutral` phrases are not a signal: they cancel the listed words inside them ("essai
    clinique", "MSc thesis"), for every server, and change only with the file.
    """

    clinic: tuple[str, ...]
    context: tuple[str, ...]
    neutral: tuple[str, ...] = ()
    product: tuple[str, ...] = ()
    hsct: tuple[str, ...] = ()
    refusal: tuple[str, ...] = ()
    venue: tuple[str, ...] = ()
    travel: tuple[str, ...] = ()
    place: tuple[str, ...] = ()
    private: tuple[str, ...] = ()
    money: tuple[str, ...] = ()
    claim: tuple[str, ...] = ()
    delivery: tuple[str, ...] = ()
    interest: tuple[str, ...] = ()
    care: tuple[str, ...] = ()
    research: tuple[str, ...] = ()

    def of(self, kind: WordKind) -> tuple[str, ...]:
        words: tuple[str, ...] = getattr(self, kind.value)
        return words


@dataclass(frozen=True)
class ClinicWatchSettings:
    """One server's settings; a server never configured gets these defaults."""

    guild_id: int
    enabled: bool = True
    sensitivity: Sensitivity = Sensitivity.STRICT
    cooldown_minutes: int = DEFAULT_COOLDOWN_MINUTES
    # A server's differences from the shipped lists, as (kind, word) pairs: added words, and
    # default words switched off (kept, so they stay off when the shipped file changes).
    words_added: frozenset[tuple[WordKind, str]] = field(default_factory=frozenset)
    words_removed: frozenset[tuple[WordKind, str]] = field(default_factory=frozenset)
    ignored_channel_ids: frozenset[int] = field(default_factory=frozenset)

    @property
    def cooldown(self) -> timedelta:
        return timedelta(minutes=self.cooldown_minutes)

    def added(self, kind: WordKind) -> frozenset[str]:
        return frozenset(word for listed, word in self.words_added if listed is kind)

    def removed(self, kind: WordKind) -> frozenset[str]:
        return frozenset(word for listed, word in self.words_removed if listed is kind)

    def ignores(self, channel_id: int, parent_channel_id: int | None = None) -> bool:
        """Whether the watch stays quiet in this channel (or thread of an ignored channel)."""
        return channel_is_ignored(self.ignored_channel_ids, channel_id, parent_channel_id)

    def effective_words(self, kind: WordKind, defaults: ClinicWordLists) -> tuple[str, ...]:
        """The words in force: defaults minus those removed, plus those added, in a stable order."""
        removed, added = self.removed(kind), self.added(kind)
        if not removed and not added:
            # Most servers keep the defaults: the same tuple, not a copy of 16,000 place names.
            return defaults.of(kind)
        kept = [word for word in defaults.of(kind) if word not in removed]
        return (*kept, *sorted(added - set(kept)))

    def with_enabled(self, enabled: bool) -> ClinicWatchSettings:
        return replace(self, enabled=enabled)

    def with_sensitivity(self, sensitivity: str) -> ClinicWatchSettings:
        try:
            chosen = Sensitivity(sensitivity.strip().lower())
        except ValueError:
            raise InvalidInput("Sensitivity is either `strict` or `broad`.") from None
        return replace(self, sensitivity=chosen)

    def with_cooldown(self, minutes: int) -> ClinicWatchSettings:
        if not MIN_COOLDOWN_MINUTES <= minutes <= MAX_COOLDOWN_MINUTES:
            raise InvalidInput(
                f"The cooldown is a number of minutes from {MIN_COOLDOWN_MINUTES} "
                f"to {MAX_COOLDOWN_MINUTES} (one week)."
            )
        return replace(self, cooldown_minutes=minutes)

    def with_ignored_channel(self, channel_id: int) -> ClinicWatchSettings:
        if channel_id in self.ignored_channel_ids:
            raise InvalidInput("That channel is already ignored.")
        if len(self.ignored_channel_ids) >= MAX_IGNORED_CHANNELS:
            raise InvalidInput(f"A server can ignore at most {MAX_IGNORED_CHANNELS} channels.")
        return replace(self, ignored_channel_ids=self.ignored_channel_ids | {channel_id})

    def without_ignored_channel(self, channel_id: int) -> ClinicWatchSettings:
        if channel_id not in self.ignored_channel_ids:
            raise InvalidInput("That channel is not ignored.")
        return replace(self, ignored_channel_ids=self.ignored_channel_ids - {channel_id})

    def with_word(self, kind: WordKind, word: str, defaults: ClinicWordLists) -> ClinicWatchSettings:
        """Add a word; adding back a removed default simply restores it."""
        canonical = normalise_word(word)
        if canonical in self.effective_words(kind, defaults):
            raise InvalidInput(f"{canonical!r} is already on the {kind} word list.")
        if canonical in self.removed(kind):
            return self._with_lists(kind, self.added(kind), self.removed(kind) - {canonical})
        if len(self.added(kind)) >= MAX_ADDED_WORDS_PER_KIND:
            raise InvalidInput(f"A server can add at most {MAX_ADDED_WORDS_PER_KIND} {kind} words.")
        return self._with_lists(kind, self.added(kind) | {canonical}, self.removed(kind))

    def without_word(self, kind: WordKind, word: str, defaults: ClinicWordLists) -> ClinicWatchSettings:
        """Remove a word: an added one is forgotten, a default one is remembered as removed."""
        canonical = normalise_word(word)
        if canonical in self.added(kind):
            return self._with_lists(kind, self.added(kind) - {canonical}, self.removed(kind))
        if canonical in defaults.of(kind) and canonical not in self.removed(kind):
            return self._with_lists(kind, self.added(kind), self.removed(kind) | {canonical})
        raise InvalidInput(f"{canonical!r} is not on the {kind} word list.")

    def _with_lists(
        self, kind: WordKind, added: frozenset[str], removed: frozenset[str]
    ) -> ClinicWatchSettings:
        others_added = {pair for pair in self.words_added if pair[0] is not kind}
        others_removed = {pair for pair in self.words_removed if pair[0] is not kind}
        return replace(
            self,
            words_added=frozenset(others_added | {(kind, word) for word in added}),
            words_removed=frozenset(others_removed | {(kind, word) for word in removed}),
        )

    def audit_view(self) -> dict[str, Any]:
        """A JSON-ready picture for the audit log: sorted lists, so diffs read well."""
        return {
            "enabled": self.enabled,
            "sensitivity": self.sensitivity.value,
            "cooldown_minutes": self.cooldown_minutes,
            **{f"{kind.value}_words_added": sorted(self.added(kind)) for kind in WordKind},
            **{f"{kind.value}_words_removed": sorted(self.removed(kind)) for kind in WordKind},
            "ignored_channel_ids": sorted(str(channel) for channel in self.ignored_channel_ids),
        }
