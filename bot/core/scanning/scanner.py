"""The single pass over each server message: normalise once, match once, then decide.

The clinic caution and the moderators' auto-responses share one compiled matcher per
server, so a message costs one normalisation and one re2 pass however many features listen.
Matchers are built lazily from the server's settings and dropped by `invalidate` when those
settings change; servers with identical word lists share one compiled matcher.

Neutral phrases ("essai clinique", "MS clinic", "MSc thesis") ride in the same pass. The set says
which triggers hit, not where, so a neutral phrase's hit cancels every clinic or context word it
contains for the whole message: "the MS clinic said the clinic in Mexico is a scam" loses its
"clinic". That approximation is decided at build time, in the plan of each combination of hits,
and costs the per-message path nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.core.clock import Clock, SystemClock
from bot.core.scanning.context import (
    DEFAULT_MAX_CHANNELS,
    DEFAULT_WINDOW_AGE,
    DEFAULT_WINDOW_MESSAGES,
    ContextWindows,
)
from bot.core.scanning.cooldown import CooldownPolicy
from bot.core.scanning.matcher import CompiledMatcher, Trigger, TriggerKind, contains_phrase, word_trigger
from bot.core.scanning.normalise import blank_markup, fold
from bot.core.scanning.settings import (
    ClinicWatchSettings,
    ClinicWordLists,
    Sensitivity,
    WordKind,
    channel_is_ignored,
)

_MAX_SHARED_MATCHERS = 64
_MAX_REMEMBERED_COOLDOWNS = 10_000
_MAX_REMEMBERED_COMBINATIONS = 4096  # distinct multi-trigger hits per server with a ready answer
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_MICROSECOND = timedelta(microseconds=1)


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


# What a hit means for the caution, worked out once per trigger (or combination of triggers):
_RULES_ONLY = 0  # no clinic or context word: the answer is the ready-made result
_COMPLETE = 1  # a caution is due unless the channel is ignored or cooling down
_HALF = 2  # strict mode, one half of a mention: the channel's window may hold the other half

# (clinic words, context words, rule labels, the result when no caution fires, step above)
_Plan = tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...], "ScanResult", int]


class _GuildState:
    """A server's compiled matcher with everything a hit needs, decided at build time, not per message."""

    __slots__ = (
        "combinations",
        "cooldown_ns",
        "covers",
        "find_utf8",
        "ignored",
        "matcher",
        "plans",
        "self_contained",
        "settings",
        "strict",
    )

    def __init__(
        self,
        settings: ClinicWatchSettings,
        matcher: CompiledMatcher | None,
        self_contained: frozenset[str],
        covers: Mapping[str, frozenset[str]] | None = None,
    ) -> None:
        self.settings = settings
        self.matcher = matcher
        self.find_utf8 = None if matcher is None else matcher.find_utf8
        self.strict = settings.sensitivity is Sensitivity.STRICT
        self.ignored = settings.ignored_channel_ids
        self.cooldown_ns = settings.cooldown // _ONE_MICROSECOND * 1000
        # Clinic phrases that carry their own stem-cell context ("stem cell clinic").
        self.self_contained = self_contained
        # Each neutral phrase compiled, and the clinic and context words its hit cancels.
        self.covers: Mapping[str, frozenset[str]] = covers or {}
        # One plan per trigger, for the usual message that hits one trigger alone.
        self.plans: list[_Plan] = []
        if matcher is not None:
            for kind, words in zip(matcher.kinds, matcher.label_tuples, strict=True):
                self.plans.append(
                    self.plan(
                        words if kind is TriggerKind.CLINIC else (),
                        words if kind is TriggerKind.CONTEXT else (),
                        words if kind is TriggerKind.RULE else (),
                        words if kind is TriggerKind.NEUTRAL else (),
                    )
                )
        # Plans for combinations of triggers, keyed by their sorted indices, made on first sight.
        self.combinations: dict[tuple[int, ...], _Plan] = {}

    def is_complete(self, clinic: tuple[str, ...], context: tuple[str, ...]) -> bool:
        """Strict mode's test: a clinic word with context, or a clinic phrase that is its own context."""
        if not clinic:
            return False
        return bool(context) or not self.self_contained.isdisjoint(clinic)

    def cancel(
        self, clinic: tuple[str, ...], context: tuple[str, ...], neutral: tuple[str, ...]
    ) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The clinic and context words left once the neutral phrases found have cancelled theirs."""
        if not neutral:
            return clinic, context
        cancelled = frozenset().union(*(self.covers.get(phrase, ()) for phrase in neutral))
        return (
            tuple(word for word in clinic if word not in cancelled),
            tuple(word for word in context if word not in cancelled),
        )

    def plan(
        self,
        clinic: tuple[str, ...],
        context: tuple[str, ...],
        rules: tuple[str, ...],
        neutral: tuple[str, ...] = (),
    ) -> _Plan:
        """What a hit of these words means for the caution, and the result when no caution fires."""
        clinic, context = self.cancel(clinic, context, neutral)
        quiet = ScanResult(rule_labels=rules) if rules else NO_HITS
        if self.strict and (clinic or context):
            step = _COMPLETE if self.is_complete(clinic, context) else _HALF
        else:
            step = _COMPLETE if clinic else _RULES_ONLY
        return clinic, context, rules, quiet, step

    def plan_for(self, hits: list[int]) -> _Plan:
        """The plan of a multi-trigger hit (re2 reports indices in no particular order)."""
        hits.sort()
        key = tuple(hits)
        plan = self.combinations.get(key)
        if plan is None:
            if len(self.combinations) >= _MAX_REMEMBERED_COMBINATIONS:
                self.combinations.clear()
            assert self.matcher is not None  # only a built matcher produces hits
            plan = self.combinations[key] = self.plan(*_labels(self.matcher, hits))
        return plan


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
        # Cooldowns and the window run on integer nanoseconds: the system clock is read without
        # building a datetime, and one is made only for a caution that fires.
        self._now_ns: Callable[[], int] = (
            time.time_ns if type(clock) is SystemClock else lambda: _to_ns(clock.now())
        )
        self._windows = ContextWindows(window_messages, window_age, max_channels)
        self._window_channels = self._windows.channels
        self._join_window = self._windows.join
        self._settings: dict[int, ClinicWatchSettings] = {}
        self._rule_triggers: dict[int, tuple[Trigger, ...]] = {}
        self._guilds: dict[int, _GuildState] = {}
        # The hot path's first lookup: each built server's compiled set (None: nothing to look for).
        self._finders: dict[int, Callable[[bytes], list[int] | None] | None] = {}
        self._shared: dict[tuple[Trigger, ...], CompiledMatcher] = {}
        self._last_fired: dict[int, int] = {}  # channel id -> when its last caution fired (ns)
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
        self._finders.pop(guild_id, None)

    def load_last_fired(self, last_fired: Mapping[int, datetime]) -> None:
        """Seed cooldowns from the database at start-up, so a restart does not repeat a caution."""
        for channel_id, fired_at in last_fired.items():
            self._last_fired[channel_id] = _to_ns(fired_at)

    def last_fired(self, channel_id: int) -> datetime | None:
        fired = self._last_fired.get(channel_id)
        return None if fired is None else _from_ns(fired)

    def cooldown_remaining(self, guild_id: int, channel_id: int, now: datetime | None = None) -> timedelta:
        policy = CooldownPolicy(self.settings_for(guild_id).cooldown)
        return policy.remaining(self.last_fired(channel_id), now or self._clock.now())

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
        find_utf8 = self._finders.get(guild_id)
        if find_utf8 is None:
            if guild_id in self._finders:  # built, and there is nothing to look for
                return NO_HITS
            find_utf8 = self._build(guild_id).find_utf8
            if find_utf8 is None:
                return NO_HITS
        memory = self._window_channels.get(channel_id)
        if memory is not None:
            memory.seen += 1
        if text.isascii():  # fold()'s own first step, inlined for the common case
            folded = text.lower()
            if "<" in folded:
                folded = blank_markup(folded)
        else:
            folded = fold(text)
        hits = find_utf8(folded.encode())
        if not hits:
            return NO_HITS
        return self._resolve(self._guilds[guild_id], hits, channel_id, parent_channel_id, now)

    def preview(self, guild_id: int, text: str) -> CautionPreview:
        """What the caution would see in `text` alone, and the rule triggers found; nothing is remembered."""
        state = self._guilds.get(guild_id) or self._build(guild_id)
        clinic, context, rules, neutral = _split_hits(state.matcher, text)
        clinic, context = state.cancel(clinic, context, neutral)
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
        clinic, context, rules, quiet, step = state.plans[hits[0]] if len(hits) == 1 else state.plan_for(hits)
        if step == _RULES_ONLY:
            return quiet
        ignored = state.ignored
        if ignored and channel_is_ignored(ignored, channel_id, parent_channel_id):
            return quiet
        at = self._now_ns() if now is None else _to_ns(now)
        # CooldownPolicy.ready on nanoseconds: a clock set backwards never unlocks it early. Checked
        # first: while the channel cools down the window's words are not needed, only kept.
        last = self._last_fired.get(channel_id)
        if last is not None and at - last < state.cooldown_ns:
            if state.strict:  # the conversation may still be about a clinic when the cooldown ends
                self._windows.remember(channel_id, at * 1e-9, clinic, context)
            return quiet
        found_clinic, found_context, joined = clinic, context, False
        if step == _HALF:
            found = self._join_window(channel_id, at * 1e-9, clinic, context)
            if found is None:
                return quiet
            found_clinic, found_context = found
            joined = True
        at -= at % 1000  # whole microseconds, as the datetime persisted by the caller
        fired_at = _from_ns(at) if now is None else now
        self._mark_fired(channel_id, at)
        self._windows.forget(channel_id)  # this caution answered what the window held
        caution = CautionHit(found_clinic, found_context, state.settings.sensitivity, joined, fired_at)
        return ScanResult(caution=caution, rule_labels=rules)

    def _mark_fired(self, channel_id: int, fired_ns: int) -> None:
        self._last_fired.pop(channel_id, None)  # re-insert so the oldest entries are first to go
        self._last_fired[channel_id] = fired_ns
        if len(self._last_fired) > _MAX_REMEMBERED_COOLDOWNS:
            del self._last_fired[next(iter(self._last_fired))]

    # --- building ---

    def _build(self, guild_id: int) -> _GuildState:
        settings = self.settings_for(guild_id)
        triggers: list[Trigger] = []
        self_contained: frozenset[str] = frozenset()
        covers: dict[str, frozenset[str]] = {}
        if settings.enabled:
            clinic_words = settings.effective_words(WordKind.CLINIC, self.defaults)
            triggers += [word_trigger(TriggerKind.CLINIC, word) for word in clinic_words]
            context_words: tuple[str, ...] = ()
            if settings.sensitivity is Sensitivity.STRICT:
                context_words = settings.effective_words(WordKind.CONTEXT, self.defaults)
                triggers += [word_trigger(TriggerKind.CONTEXT, word) for word in context_words]
                self_contained = frozenset(
                    word for word in clinic_words if any(contains_phrase(word, c) for c in context_words)
                )
            covers = _neutral_covers(self.defaults.neutral, (*clinic_words, *context_words))
            triggers += [word_trigger(TriggerKind.NEUTRAL, phrase) for phrase in covers]
        triggers += self._rule_triggers.get(guild_id, ())
        matcher = self._shared_matcher(tuple(triggers)) if triggers else None
        state = _GuildState(settings, matcher, self_contained, covers)
        self._guilds[guild_id] = state
        self._finders[guild_id] = state.find_utf8
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


_Labels = tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...], tuple[str, ...]]


def _neutral_covers(phrases: Iterable[str], watched: tuple[str, ...]) -> dict[str, frozenset[str]]:
    """The neutral phrases worth compiling for these words, each with the words its hit cancels.

    A phrase that covers none of the server's words is left out; so is one the server watches as
    a word of its own (a moderator who adds "mayo clinic" wants it to count).
    """
    covers: dict[str, frozenset[str]] = {}
    for phrase in phrases:
        if phrase in watched:
            continue
        covered = frozenset(word for word in watched if contains_phrase(phrase, word))
        if covered:
            covers[phrase] = covered
    return covers


def _labels(matcher: CompiledMatcher, hits: list[int]) -> _Labels:
    """Split hit indices by kind, in word-list order (re2 reports them in no particular order)."""
    clinic: list[str] = []
    context: list[str] = []
    rules: list[str] = []
    neutral: list[str] = []
    kinds = matcher.kinds
    labels = matcher.labels
    for index in sorted(hits) if len(hits) > 1 else hits:
        kind = kinds[index]
        if kind is TriggerKind.CLINIC:
            clinic.append(labels[index])
        elif kind is TriggerKind.CONTEXT:
            context.append(labels[index])
        elif kind is TriggerKind.NEUTRAL:
            neutral.append(labels[index])
        else:
            rules.append(labels[index])
    return tuple(clinic), tuple(context), tuple(rules), tuple(neutral)


def _to_ns(moment: datetime) -> int:
    """Exact nanoseconds since the epoch (a datetime holds whole microseconds); naive means UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - _EPOCH) // _ONE_MICROSECOND * 1000


def _from_ns(ns: int) -> datetime:
    """The aware UTC datetime of a nanosecond time, truncated to whole microseconds."""
    return _EPOCH + timedelta(microseconds=ns // 1000)


def _split_hits(matcher: CompiledMatcher | None, text: str) -> _Labels:
    hits = None if matcher is None else matcher.match(fold(text))
    return _labels(matcher, hits) if matcher is not None and hits else ((), (), (), ())


def _quoted(words: tuple[str, ...]) -> str:
    quoted = [f"“{word}”" for word in words]
    if len(quoted) == 1:
        return quoted[0]
    return ", ".join(quoted[:-1]) + " and " + quoted[-1]
