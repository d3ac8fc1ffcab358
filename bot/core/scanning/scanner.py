"""The single pass over each server message: normalise once, match once, then decide.

The clinic caution and (later) the moderators' auto-responses share one compiled matcher per
server, so a message costs one normalisation and one re2 pass however many features listen.
Matchers are built lazily from the server's settings and dropped by `invalidate` when those
settings change; servers with identical word lists share one compiled matcher.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.core.clock import Clock
from bot.core.scanning.context import (
    DEFAULT_MAX_CHANNELS,
    DEFAULT_WINDOW_AGE,
    DEFAULT_WINDOW_MESSAGES,
    ContextWindows,
)
from bot.core.scanning.cooldown import CooldownPolicy
from bot.core.scanning.matcher import CompiledMatcher, Trigger, TriggerKind, word_trigger
from bot.core.scanning.normalise import fold
from bot.core.scanning.settings import ClinicWatchSettings, ClinicWordLists, Sensitivity, WordKind

_MAX_SHARED_MATCHERS = 64
_MAX_REMEMBERED_COOLDOWNS = 10_000


@dataclass(frozen=True, slots=True)
class CautionHit:
    """Why a caution is due: the words that triggered it, for the "Why am I seeing this?" line."""

    clinic_words: tuple[str, ...]
    context_words: tuple[str, ...]
    sensitivity: Sensitivity
    joined_with_earlier: bool
    fired_at: datetime

    def explanation(self) -> str:
        """One plain sentence naming the trigger words (no message text is repeated)."""
        clinic = _quoted(self.clinic_words)
        if not self.context_words:
            return f"Why am I seeing this? This message mentions {clinic}."
        where = " in this conversation" if self.joined_with_earlier else ""
        return f"Why am I seeing this? {clinic} came up together with {_quoted(self.context_words)}{where}."


@dataclass(frozen=True, slots=True)
class CautionPreview:
    """A dry run for moderators: the words found in one text, with no memory or cooldown involved."""

    clinic_words: tuple[str, ...]
    context_words: tuple[str, ...]
    would_fire: bool
    rule_labels: tuple[str, ...] = ()  # auto-response triggers found, for `/autoresponse test`


@dataclass(frozen=True, slots=True)
class ScanResult:
    """Everything one message triggered: at most one caution, and the auto-response triggers found."""

    caution: CautionHit | None = None
    rule_labels: tuple[str, ...] = ()


NO_HITS = ScanResult()


class _GuildState:
    __slots__ = ("cooldown", "find_utf8", "matcher", "rule_results", "self_contained", "settings")

    def __init__(
        self, settings: ClinicWatchSettings, matcher: CompiledMatcher | None, self_contained: frozenset[str]
    ) -> None:
        self.settings = settings
        self.matcher = matcher
        self.find_utf8 = None if matcher is None else matcher.find_utf8
        self.cooldown = CooldownPolicy(settings.cooldown)
        # Clinic phrases that carry their own stem-cell context ("stem cell clinic").
        self.self_contained = self_contained
        # One ready-made result per auto-response trigger, for messages that hit that rule alone.
        self.rule_results: dict[int, ScanResult] = {}

    def is_complete(self, clinic: tuple[str, ...], context: tuple[str, ...]) -> bool:
        """Strict mode's test: a clinic word with context, or a clinic phrase that is its own context."""
        if not clinic:
            return False
        return bool(context) or not self.self_contained.isdisjoint(clinic)


class MessageScanner:
    """Per-server compiled matchers, per-channel context windows and cooldowns, behind one `scan`."""

    def __init__(
        self,
        defaults: ClinicWordLists,
        clock: Clock,
        *,
        window_messages: int = DEFAULT_WINDOW_MESSAGES,
        window_age: timedelta = DEFAULT_WINDOW_AGE,
        max_channels: int = DEFAULT_MAX_CHANNELS,
    ) -> None:
        self.defaults = defaults
        self._clock = clock
        self._windows = ContextWindows(window_messages, window_age, max_channels)
        self._window_channels = self._windows.channels
        self._settings: dict[int, ClinicWatchSettings] = {}
        self._rule_triggers: dict[int, tuple[Trigger, ...]] = {}
        self._guilds: dict[int, _GuildState] = {}
        self._shared: dict[tuple[Trigger, ...], CompiledMatcher] = {}
        self._last_fired: dict[int, datetime] = {}
        self.builds = 0  # matchers compiled so far; lets tests prove "once, not per message"

    # --- configuration (called by the cog at start-up and after each settings change) ---

    def load_settings(self, all_settings: Iterable[ClinicWatchSettings]) -> None:
        """Install the stored settings of every configured server (others use the defaults)."""
        for settings in all_settings:
            self.set_settings(settings)

    def set_settings(self, settings: ClinicWatchSettings) -> None:
        """Replace one server's settings; its matcher is rebuilt on its next message."""
        self._settings[settings.guild_id] = settings
        self.invalidate(settings.guild_id)

    def settings_for(self, guild_id: int) -> ClinicWatchSettings:
        return self._settings.get(guild_id) or ClinicWatchSettings(guild_id=guild_id)

    def set_rule_triggers(self, guild_id: int, triggers: Sequence[Trigger]) -> None:
        """Plug a server's auto-response rules into the same pass (their hits come back as labels)."""
        self._rule_triggers[guild_id] = tuple(triggers)
        self.invalidate(guild_id)

    def invalidate(self, guild_id: int) -> None:
        """Forget a server's compiled matcher; the next message rebuilds it from current settings."""
        self._guilds.pop(guild_id, None)

    def load_last_fired(self, last_fired: Mapping[int, datetime]) -> None:
        """Seed cooldowns from the database at start-up, so a restart does not repeat a caution."""
        self._last_fired.update(last_fired)

    def last_fired(self, channel_id: int) -> datetime | None:
        return self._last_fired.get(channel_id)

    def cooldown_remaining(self, guild_id: int, channel_id: int, now: datetime | None = None) -> timedelta:
        policy = CooldownPolicy(self.settings_for(guild_id).cooldown)
        return policy.remaining(self._last_fired.get(channel_id), now or self._clock.now())

    def effective_words(self, guild_id: int, kind: WordKind) -> tuple[str, ...]:
        return self.settings_for(guild_id).effective_words(kind, self.defaults)

    # --- the hot path ---

    def scan(
        self,
        guild_id: int,
        channel_id: int,
        text: str,
        now: datetime | None = None,
        *,
        parent_channel_id: int | None = None,
    ) -> ScanResult:
        """Scan one server message; the caller has already dropped DMs, bots, webhooks and itself.

        `parent_channel_id` is a thread's parent, so ignoring a channel also quiets its threads.
        When a caution is returned its cooldown is already taken; the caller persists
        `caution.fired_at` so the cooldown survives a restart.
        """
        # Every statement here runs for every server message: keep it to lookups and one re2 call.
        state = self._guilds.get(guild_id)
        if state is None:
            state = self._build(guild_id)
        find_utf8 = state.find_utf8
        if find_utf8 is None:
            return NO_HITS
        memory = self._window_channels.get(channel_id)
        if memory is not None:
            memory.seen += 1
        if text.isascii():  # fold()'s own first step, inlined for the common case
            folded = text.lower()
            if "<" in folded:
                folded = fold(folded)
        else:
            folded = fold(text)
        hits = find_utf8(folded.encode())
        if not hits:
            return NO_HITS
        return self._resolve(state, hits, channel_id, parent_channel_id, now)

    def preview(self, guild_id: int, text: str) -> CautionPreview:
        """What the caution would see in `text` alone, and the rule triggers found; nothing is remembered."""
        state = self._guilds.get(guild_id) or self._build(guild_id)
        clinic, context, rules = _split_hits(state.matcher, text)
        settings = state.settings
        broad = settings.sensitivity is Sensitivity.BROAD
        fires = settings.enabled and (bool(clinic) if broad else state.is_complete(clinic, context))
        return CautionPreview(clinic, context, fires, rules)

    # --- the rare path: something matched ---

    def _resolve(
        self,
        state: _GuildState,
        hits: list[int],
        channel_id: int,
        parent_channel_id: int | None,
        now: datetime | None,
    ) -> ScanResult:
        matcher = state.matcher
        if matcher is None:  # cannot happen: only a built matcher produces hits
            return NO_HITS
        if len(hits) == 1:  # the usual case, without the sorting and list building
            kind = matcher.kinds[hits[0]]
            if kind is TriggerKind.RULE:
                result = state.rule_results.get(hits[0])
                if result is None:
                    result = state.rule_results[hits[0]] = ScanResult(
                        rule_labels=matcher.label_tuples[hits[0]]
                    )
                return result
            found = matcher.label_tuples[hits[0]]
            clinic = found if kind is TriggerKind.CLINIC else ()
            context = found if kind is TriggerKind.CONTEXT else ()
            rules = found if kind is TriggerKind.RULE else ()
        else:
            clinic, context, rules = _labels(matcher, hits)
        caution = None
        if clinic or context:
            ignored = state.settings.ignored_channel_ids
            if channel_id not in ignored and parent_channel_id not in ignored:
                caution = self._decide(state, channel_id, clinic, context, now or self._clock.now())
        if caution is None and not rules:
            return NO_HITS
        return ScanResult(caution=caution, rule_labels=rules)

    def _decide(
        self,
        state: _GuildState,
        channel_id: int,
        clinic: tuple[str, ...],
        context: tuple[str, ...],
        now: datetime,
    ) -> CautionHit | None:
        sensitivity = state.settings.sensitivity
        strict = sensitivity is Sensitivity.STRICT
        found_clinic, found_context, joined = clinic, context, False
        if strict and not state.is_complete(clinic, context):
            at = now.timestamp()
            if channel_id in self._window_channels:
                if not clinic:
                    found_clinic = self._windows.recall(channel_id, at, clinic=True)
                if not context:
                    found_context = self._windows.recall(channel_id, at, clinic=False)
            if not (found_clinic and found_context):
                self._windows.remember(channel_id, at, clinic, context)
                return None
            joined = True
        elif not clinic:
            return None
        if not state.cooldown.ready(self._last_fired.get(channel_id), now):
            if strict:  # the conversation may still be about a clinic when the cooldown ends
                self._windows.remember(channel_id, now.timestamp(), clinic, context)
            return None
        self._mark_fired(channel_id, now)
        self._windows.forget(channel_id)  # this caution answered what the window held
        return CautionHit(found_clinic, found_context, sensitivity, joined, now)

    def _mark_fired(self, channel_id: int, now: datetime) -> None:
        self._last_fired.pop(channel_id, None)  # re-insert so the oldest entries are first to go
        self._last_fired[channel_id] = now
        if len(self._last_fired) > _MAX_REMEMBERED_COOLDOWNS:
            del self._last_fired[next(iter(self._last_fired))]

    # --- building ---

    def _build(self, guild_id: int) -> _GuildState:
        settings = self.settings_for(guild_id)
        triggers: list[Trigger] = []
        self_contained: frozenset[str] = frozenset()
        if settings.enabled:
            clinic_words = settings.effective_words(WordKind.CLINIC, self.defaults)
            triggers += [word_trigger(TriggerKind.CLINIC, word) for word in clinic_words]
            if settings.sensitivity is Sensitivity.STRICT:
                context_words = settings.effective_words(WordKind.CONTEXT, self.defaults)
                triggers += [word_trigger(TriggerKind.CONTEXT, word) for word in context_words]
                self_contained = frozenset(
                    word for word in clinic_words if any(_contains_phrase(word, c) for c in context_words)
                )
        triggers += self._rule_triggers.get(guild_id, ())
        matcher = self._shared_matcher(tuple(triggers)) if triggers else None
        state = _GuildState(settings, matcher, self_contained)
        self._guilds[guild_id] = state
        return state

    def _shared_matcher(self, triggers: tuple[Trigger, ...]) -> CompiledMatcher:
        matcher = self._shared.get(triggers)
        if matcher is None:
            if len(self._shared) >= _MAX_SHARED_MATCHERS:
                self._shared.clear()
            matcher = CompiledMatcher(triggers)
            self.builds += 1
            self._shared[triggers] = matcher
        return matcher


_Labels = tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]


def _labels(matcher: CompiledMatcher, hits: list[int]) -> _Labels:
    """Split hit indices by kind, in word-list order (re2 reports them in no particular order)."""
    clinic: list[str] = []
    context: list[str] = []
    rules: list[str] = []
    kinds = matcher.kinds
    labels = matcher.labels
    for index in sorted(hits) if len(hits) > 1 else hits:
        kind = kinds[index]
        if kind is TriggerKind.CLINIC:
            clinic.append(labels[index])
        elif kind is TriggerKind.CONTEXT:
            context.append(labels[index])
        else:
            rules.append(labels[index])
    return tuple(clinic), tuple(context), tuple(rules)


def _split_hits(matcher: CompiledMatcher | None, text: str) -> _Labels:
    hits = None if matcher is None else matcher.match(fold(text))
    return _labels(matcher, hits) if matcher is not None and hits else ((), (), ())


def _contains_phrase(word: str, phrase: str) -> bool:
    """True when `phrase`'s words appear in a row inside `word` (plural "s" allowed, as in matching)."""
    word_tokens = word.split(" ")
    phrase_tokens = phrase.split(" ")
    span = len(phrase_tokens)
    for start in range(len(word_tokens) - span + 1):
        window = word_tokens[start : start + span]
        if all(token in (wanted, wanted + "s") for token, wanted in zip(window, phrase_tokens, strict=True)):
            return True
    return False


def _quoted(words: tuple[str, ...]) -> str:
    quoted = [f"“{word}”" for word in words]
    if len(quoted) == 1:
        return quoted[0]
    return ", ".join(quoted[:-1]) + " and " + quoted[-1]
