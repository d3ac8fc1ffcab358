"""The single pass over each server message: normalise once, match once, then decide.

The clinic watch and the moderators' auto-responses share one compiled matcher per server (the
*topic set*), so a message costs one normalisation and one re2 pass however many features listen.
The topic set holds only what a message must be about before anything can fire: clinic words,
stem-cell talk, stem-cell products and aHSCT (rules.py). About nine messages in ten hit nothing
and cost nothing more.

For the few that hit a topic, a second set finds everything around it: centres, travel, place
names, going private, money, promises, injections, own care, research and neutral phrases. Their
kinds decide the outcome (`rules.decide`). Words inside a neutral or care phrase ("essai
clinique", "transplant clinic") do not count; when such a phrase and a word it contains are both
found, a third step finds where each matched, so the phrase cancels only the occurrences inside
it ("the MS clinic said the clinic in Mexico is a scam" keeps its second "clinic"). What each
combination of hits means is worked out once and remembered.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from itertools import product
from types import MappingProxyType
from typing import NamedTuple

from bot.core.clock import Clock, SystemClock
from bot.core.scanning.context import (
    DEFAULT_MAX_CHANNELS,
    DEFAULT_WINDOW_AGE,
    DEFAULT_WINDOW_MESSAGES,
    ContextWindows,
)
from bot.core.scanning.cooldown import CooldownPolicy
from bot.core.scanning.matcher import (
    BUILT_IN_TRIGGERS,
    PLACE_LABEL,
    PLACE_LABEL_OTHER_SCRIPT,
    CompiledMatcher,
    PlaceFinder,
    Trigger,
    TriggerKind,
    compiled,
    contains_phrase,
    find_spans,
    word_trigger,
)
from bot.core.scanning.normalise import blank_markup, fold
from bot.core.scanning.rules import QUIET, SIGNAL_PHRASES, TOPICS, Decision, Outcome, decide, describe
from bot.core.scanning.settings import (
    ClinicWatchSettings,
    ClinicWordLists,
    Sensitivity,
    WordKind,
    channel_is_ignored,
)

_MAX_SHARED_MATCHERS = 64
_MAX_REMEMBERED_COOLDOWNS = 10_000
_MAX_REMEMBERED_COMBINATIONS = 4096  # distinct combinations of hits per server with a ready answer
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_MICROSECOND = timedelta(microseconds=1)
_NO_TIME = timedelta(0)

# The lists of the topic set, in this order; every other list goes to the second set.
_TOPIC_KINDS = (WordKind.CLINIC, WordKind.CONTEXT, WordKind.PRODUCT, WordKind.HSCT, WordKind.REFUSAL)
_SURROUNDING_KINDS = tuple(kind for kind in WordKind if kind not in TOPICS)
# Care and research phrases cancel the words inside them, like neutral ones ("transplant clinic",
# "essai clinique"), and count as signals themselves.
_CANCELLING_KINDS = frozenset({WordKind.CARE, WordKind.RESEARCH})

Found = dict[WordKind, tuple[str, ...]]


@dataclass(frozen=True, slots=True)
class SignalFound:
    """One kind of signal in a message and the listed words that gave it (never message text)."""

    kind: WordKind
    words: tuple[str, ...]

    @property
    def phrase(self) -> str:
        """What the "Why am I seeing this?" line calls it: "a stem-cell product", "travel abroad"."""
        return SIGNAL_PHRASES[self.kind]


@dataclass(frozen=True, slots=True)
class ClinicAlert:
    """A card is due: which one, and the signals that called for it."""

    outcome: Outcome
    signals: tuple[SignalFound, ...]
    sensitivity: Sensitivity
    joined_with_earlier: bool
    fired_at: datetime

    def explanation(self) -> str:
        """One plain sentence naming the kinds of signal found; the member's words are never repeated."""
        return _explanation(self.signals, joined=self.joined_with_earlier)

    @property
    def words(self) -> tuple[str, ...]:
        """Every listed word behind the signals, for a moderator's view (never shown in a channel)."""
        return tuple(word for signal in self.signals for word in signal.words)


@dataclass(frozen=True, slots=True)
class ScanResult:
    """Everything one message triggered: at most one card, and the auto-response triggers found."""

    alert: ClinicAlert | None = None
    rule_labels: tuple[str, ...] = ()

    @property
    def outcome(self) -> Outcome:
        return Outcome.QUIET if self.alert is None else self.alert.outcome


NO_HITS = ScanResult()


@dataclass(frozen=True, slots=True)
class WordMatch:
    """A listed word found in a dry-run text, where, and whether it counted."""

    word: str
    kind: WordKind | None  # None for a neutral phrase
    spans: tuple[tuple[int, int], ...]  # character offsets in the folded text (lower case, no accents)
    counted: bool  # False when every occurrence sits inside a neutral or care phrase


@dataclass(frozen=True, slots=True)
class ScanPreview:
    """A dry run for moderators: what one text alone would get, and why; nothing is remembered."""

    outcome: Outcome  # what the text calls for under the server's words and sensitivity
    signals: tuple[SignalFound, ...]  # the signals that decided it (empty when quiet)
    matches: tuple[WordMatch, ...]  # every listed word found, in the order of the text
    sensitivity: Sensitivity
    enabled: bool
    ignored_here: bool
    cooldown_remaining: timedelta
    rule_labels: tuple[str, ...] = ()  # auto-response triggers found, for `/autoresponse test`

    @property
    def would_send(self) -> bool:
        """True when a member's message like this would get the card right now."""
        return (
            self.outcome is not Outcome.QUIET
            and self.enabled
            and not self.ignored_here
            and (self.cooldown_remaining <= _NO_TIME)
        )

    @property
    def held_by_cooldown(self) -> bool:
        """True when only the channel's cooldown keeps the card back."""
        due = self.outcome is not Outcome.QUIET and self.enabled and not self.ignored_here
        return due and self.cooldown_remaining > _NO_TIME

    def explanation(self) -> str:
        return _explanation(self.signals, joined=False) if self.signals else ""


@dataclass(frozen=True, slots=True)
class _Verdict:
    """What a combination of hits means, worked out once.

    When a neutral, care or research phrase found holds a word also found, the answer depends on
    where each matched. `checks` lists each such word with its holders and how often each holds
    it; when plain counts show every occurrence inside a holder, `found` and `decision` (worked out
    for that case) stand; otherwise the words are placed one by one (`_positions`).
    """

    found: Found
    decision: Decision
    checks: tuple[tuple[str, tuple[tuple[str, int], ...]], ...] = ()
    topical: bool = True  # False when no topic word is left once the holders have had their say

    def holds_by_count(self, folded: str) -> bool:
        """True when the counts prove every checked word sits inside its holders.

        Each occurrence of a holder holds the word `times` times, so a text with no more
        occurrences of the word than that has them all inside. Spellings the counts miss
        ("MS-clinic", "clinic" inside "clinical") only send the message to the exact check.
        """
        for word, holders in self.checks:
            inside = 0
            for holder, times in holders:
                inside += folded.count(holder) * times
            if not inside or folded.count(word) > inside:
                return False
        return True


# What a topic-set hit means, worked out once per trigger or combination of triggers: the rule
# labels, the result when no card is sent, and the verdict of the topic-set hits on their own
# (None when they hold no topic word at all: the hit was a rule's).
_Plan = tuple[tuple[str, ...], ScanResult, "_Verdict | None"]


class _GuildState:
    """A server's compiled sets with everything a hit needs, decided at build time, not per message."""

    __slots__ = (
        "combinations",
        "cooldown_ns",
        "covers",
        "find_places",
        "find_surrounding",
        "find_utf8",
        "ignored",
        "implied",
        "matcher",
        "place_offset",
        "places",
        "plans",
        "sensitivity",
        "settings",
        "strict",
        "surrounding",
        "verdicts",
    )

    def __init__(
        self,
        settings: ClinicWatchSettings,
        matcher: CompiledMatcher | None,
        surrounding: CompiledMatcher | None = None,
        covers: Mapping[str, frozenset[str]] | None = None,
        implied: Mapping[str, WordKind] | None = None,
        places: PlaceFinder | None = None,
    ) -> None:
        self.settings = settings
        self.matcher = matcher
        self.find_utf8 = None if matcher is None else matcher.find_utf8
        self.surrounding = surrounding
        self.find_surrounding = None if surrounding is None else surrounding.find_utf8
        # Place names have a set of their own, tried only when they could change the outcome; their
        # hits are numbered after the surrounding set's, so one list of indices holds both.
        self.places = places
        self.find_places = None if places is None else places.find_utf8
        self.place_offset = 0 if surrounding is None else len(surrounding.triggers)
        self.sensitivity = settings.sensitivity
        self.strict = settings.sensitivity is Sensitivity.STRICT
        self.ignored = settings.ignored_channel_ids
        self.cooldown_ns = settings.cooldown // _ONE_MICROSECOND * 1000
        # Each cancelling phrase (neutral, care or research) and the listed words inside it.
        self.covers: Mapping[str, frozenset[str]] = covers or {}
        # Clinic words that carry their own stem-cell talk ("stem cell clinic", "stemcellclinic.mx").
        self.implied: Mapping[str, WordKind] = implied or {}
        # One plan per trigger, for the usual message that hits one trigger alone.
        self.plans: list[_Plan] = []
        if matcher is not None:
            self.plans = [self.plan((index,)) for index in range(len(matcher.triggers))]
        self.combinations: dict[tuple[int, ...], _Plan] = {}
        self.verdicts: dict[tuple[tuple[int, ...], tuple[int, ...]], _Verdict] = {}

    def plan(self, hits: Sequence[int]) -> _Plan:
        """Rule labels, the quiet result, and the verdict of these topic-set hits on their own."""
        assert self.matcher is not None  # only a built matcher produces hits
        triggers = [self.matcher.triggers[index] for index in hits]
        rules = tuple(t.label for t in triggers if t.kind is TriggerKind.RULE)
        quiet = ScanResult(rule_labels=rules) if rules else NO_HITS
        if not any(t.signal in TOPICS for t in triggers):
            return rules, quiet, None
        return rules, quiet, self.verdict(triggers)

    def plan_for(self, hits: list[int]) -> _Plan:
        """The plan of a multi-trigger hit (re2 reports indices in no particular order)."""
        hits.sort()
        key = tuple(hits)
        plan = self.combinations.get(key)
        if plan is None:
            if len(self.combinations) >= _MAX_REMEMBERED_COMBINATIONS:
                self.combinations.clear()
            plan = self.combinations[key] = self.plan(key)
        return plan

    def verdict_for(self, hits: list[int], around: list[int]) -> _Verdict:
        """The verdict of topic-set and surrounding hits together, remembered per combination."""
        hits.sort()  # re2 reports indices in no particular order; both lists are the caller's own
        around.sort()
        key = (tuple(hits), tuple(around))
        verdict = self.verdicts.get(key)
        if verdict is None:
            if len(self.verdicts) >= _MAX_REMEMBERED_COMBINATIONS:
                self.verdicts.clear()
            verdict = self.verdicts[key] = self.verdict(self.hit_triggers(*key))
        return verdict

    def hit_triggers(self, hits: Sequence[int], around: Sequence[int]) -> list[Trigger]:
        assert self.matcher is not None
        found = [self.matcher.triggers[index] for index in hits]
        offset = self.place_offset
        for index in around:
            if index < offset:
                assert self.surrounding is not None
                found.append(self.surrounding.triggers[index])
            else:
                assert self.places is not None
                found.append(self.places.triggers[index - offset])
        return found

    def around(self, data: bytes, *, places: bool) -> list[int]:
        """Surrounding hits (and place-name hits, numbered after them, when asked for)."""
        found = (self.find_surrounding(data) if self.find_surrounding is not None else None) or []
        if places and self.find_places is not None:
            found += [self.place_offset + index for index in self.find_places(data) or ()]
        return found

    def signal_pairs(self, trigger: Trigger) -> list[tuple[WordKind, str]]:
        """The signals one listed word gives: its own, and the stem-cell talk a clinic phrase holds."""
        if trigger.kind is not TriggerKind.SIGNAL or trigger.signal is None:
            return []
        pairs = [(trigger.signal, trigger.label)]
        if trigger.signal is WordKind.CLINIC and trigger.label in self.implied:
            pairs.append((self.implied[trigger.label], trigger.label))
        return pairs

    def verdict(self, triggers: Sequence[Trigger]) -> _Verdict:
        """What these hits mean before any positions are looked at."""
        pairs = [pair for trigger in triggers for pair in self.signal_pairs(trigger)]
        holders = [t.label for t in triggers if t.kind is not TriggerKind.RULE and t.label in self.covers]
        labels = {label for _, label in pairs}
        held = {word for holder in holders for word in self.covers[holder] if word in labels}
        checks = tuple(
            (word, tuple((h, h.count(word)) for h in holders if word in self.covers[h]))
            for word in sorted(held)
        )
        found = _group(pair for pair in pairs if pair[1] not in held)
        return _Verdict(found, decide(found, self.sensitivity), checks, not found.keys().isdisjoint(TOPICS))


class _StateParts(NamedTuple):
    """What `_GuildState` is built from, in its argument order."""

    matcher: CompiledMatcher | None
    surrounding: CompiledMatcher | None
    covers: Mapping[str, frozenset[str]]
    implied: Mapping[str, WordKind]
    places: PlaceFinder | None


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
        # building a datetime, and one is made only for a card that fires.
        self._now_ns: Callable[[], int] = (
            time.time_ns if type(clock) is SystemClock else lambda: _to_ns(clock.now())
        )
        self._windows = ContextWindows(window_messages, window_age, max_channels)
        self._window_age_ns = window_age // _ONE_MICROSECOND * 1000
        self._window_channels = self._windows.channels
        self._settings: dict[int, ClinicWatchSettings] = {}
        self._rule_triggers: dict[int, tuple[Trigger, ...]] = {}
        self._guilds: dict[int, _GuildState] = {}
        # The hot path's first lookup: each built server's compiled set (None: nothing to look for).
        self._finders: dict[int, Callable[[bytes], list[int] | None] | None] = {}
        self._shared: dict[tuple[Trigger, ...], CompiledMatcher] = {}
        self._places: dict[tuple[str, ...], PlaceFinder] = {}
        self._last_fired: dict[int, int] = {}  # channel id -> when its last card fired (ns)
        self.builds = 0  # sets compiled so far; lets tests prove "once, not per message"

    # --- configuration (called by the cog at start-up and after each settings change) ---

    def load_settings(self, all_settings: Iterable[ClinicWatchSettings]) -> None:
        """Install the stored settings of every configured server (others use the defaults).

        Called at start-up, so the default sets are compiled here, before the first message.
        """
        for settings in all_settings:
            self.set_settings(settings)
        self.compile_defaults()

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
        """Seed cooldowns from the database at start-up, so a restart does not repeat a card."""
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
        When a card is returned its cooldown is already taken; the caller persists
        `alert.fired_at` so the cooldown survives a restart.
        """
        # Every statement here runs for every server message: keep it to lookups and one re2 call.
        find_utf8 = self._finders.get(guild_id)
        if find_utf8 is None:
            if guild_id in self._finders:  # built, and there is nothing to look for
                return NO_HITS
            find_utf8 = self._build(guild_id).find_utf8
            if find_utf8 is None:
                return NO_HITS
        if self._window_channels:  # often empty: a card clears its window, a long cooldown fills none
            memory = self._window_channels.get(channel_id)
            if memory is not None:
                memory.seen += 1
        if text.isascii():  # fold()'s own first step, inlined for the common case
            folded = text.lower()
            if "<" in folded:
                folded = blank_markup(folded)
        else:
            folded = fold(text)
        data = folded.encode()
        hits = find_utf8(data)
        if not hits:
            return NO_HITS
        return self._resolve(self._guilds[guild_id], hits, data, folded, channel_id, parent_channel_id, now)

    def preview(
        self,
        guild_id: int,
        text: str,
        *,
        channel_id: int | None = None,
        parent_channel_id: int | None = None,
        now: datetime | None = None,
    ) -> ScanPreview:
        """What `text` alone would get in this server (and channel), with every word's position.

        Nothing is remembered and no cooldown is taken: the dry run for `/autoresponse test` and
        `/clinicwatch test`.
        """
        state = self._guilds.get(guild_id) or self._build(guild_id)
        settings = state.settings
        folded = fold(text)
        data = folded.encode()
        matches: list[WordMatch] = []
        rules: tuple[str, ...] = ()
        found: Found = {}
        if state.matcher is not None:
            hits = sorted(state.matcher.find_utf8(data) or ())
            rules, _, alone = state.plan(hits) if hits else ((), NO_HITS, None)
            if alone is not None:
                around = sorted(state.around(data, places=True))
                found, matches = _positions(state, folded, state.hit_triggers(hits, around), every_span=True)
        decision = decide(found, settings.sensitivity) if settings.enabled else QUIET
        ignored_here = channel_id is not None and settings.ignores(channel_id, parent_channel_id)
        wait = _NO_TIME if channel_id is None else self.cooldown_remaining(guild_id, channel_id, now)
        return ScanPreview(
            decision.outcome,
            _signals(decision, found),
            tuple(sorted(matches, key=lambda m: (m.spans[:1] or ((len(folded), 0),))[0])),
            settings.sensitivity,
            settings.enabled,
            ignored_here,
            wait,
            rules,
        )

    # --- the rare path: a topic word or a rule matched ---

    def _resolve(
        self,
        state: _GuildState,
        hits: list[int],
        data: bytes,
        folded: str,
        channel_id: int,
        parent_channel_id: int | None,
        now: datetime | None,
    ) -> ScanResult:
        rules, quiet, alone = state.plans[hits[0]] if len(hits) == 1 else state.plan_for(hits)
        if alone is None:
            return quiet
        if not alone.topical and alone.holds_by_count(folded):
            return quiet  # every topic word sits inside a care or neutral phrase: "MS clinic"
        ignored = state.ignored
        if ignored and channel_is_ignored(ignored, channel_id, parent_channel_id):
            return quiet
        at = self._now_ns() if now is None else _to_ns(now)
        # CooldownPolicy.ready on nanoseconds: a clock set backwards never unlocks it early. While
        # the channel cools down nothing is sent, and words are worth keeping for the window only
        # when the cooldown ends before they would age out of it: otherwise the work stops here.
        last = self._last_fired.get(channel_id)
        cooling_left = 0 if last is None else state.cooldown_ns - (at - last)
        cooling = cooling_left > 0
        if cooling and (not state.strict or cooling_left > self._window_age_ns):
            return quiet
        around = (state.find_surrounding(data) if state.find_surrounding is not None else None) or []
        judged = _judge(state, hits, around, folded)
        if judged is None:
            return quiet  # every topic word sits inside a neutral, care or research phrase
        found, decision = judged
        # Place names are looked for when they may be what is missing ("... in Mexico"), or when a
        # card is about to go out and its "Why am I seeing this?" line should name them.
        places_unseen = state.find_places is not None
        if places_unseen and decision.outcome is Outcome.QUIET:
            places_unseen = False
            judged = _with_places(state, hits, around, data, folded, judged)
            if judged is None:
                return quiet
            found, decision = judged
        if cooling:  # strict, and the conversation may still be about a clinic when it ends
            self._windows.remember(channel_id, at * 1e-9, found)
            return quiet
        joined = False
        if decision.outcome is Outcome.QUIET:
            if not state.strict:
                return quiet
            earlier = self._windows.recall(channel_id, at * 1e-9)
            merged = _merge(earlier, found) if earlier else found
            if earlier:
                decision = decide(merged, state.sensitivity)
            if decision.outcome is Outcome.QUIET:
                self._windows.remember(channel_id, at * 1e-9, found)
                return quiet
            found, joined = merged, True
        elif places_unseen:
            found, decision = _with_places(state, hits, around, data, folded, (found, decision)) or (
                found,
                decision,
            )
        at -= at % 1000  # whole microseconds, as the datetime persisted by the caller
        fired_at = _from_ns(at) if now is None else now
        self._mark_fired(channel_id, at)
        self._windows.forget(channel_id)  # this card answered what the window held
        alert = ClinicAlert(decision.outcome, _signals(decision, found), state.sensitivity, joined, fired_at)
        return ScanResult(alert=alert, rule_labels=rules)

    def _mark_fired(self, channel_id: int, fired_ns: int) -> None:
        self._last_fired.pop(channel_id, None)  # re-insert so the oldest entries are first to go
        self._last_fired[channel_id] = fired_ns
        if len(self._last_fired) > _MAX_REMEMBERED_COOLDOWNS:
            del self._last_fired[next(iter(self._last_fired))]

    # --- building ---

    def compile_defaults(self) -> None:
        """Build the state of a server with the default settings now, not on its first message.

        Raises `MatcherBuildError` when the words do not compile.
        """
        self._state(ClinicWatchSettings(guild_id=0), ())

    def compile_default_sets(self) -> None:
        """Compile only the sets a server with the default settings uses; the content check uses
        this. They are kept process-wide, so the bot's own scanner then finds them built.

        Raises `MatcherBuildError` when the words do not compile.
        """
        self._parts(ClinicWatchSettings(guild_id=0), ())

    def _build(self, guild_id: int) -> _GuildState:
        state = self._state(self.settings_for(guild_id), self._rule_triggers.get(guild_id, ()))
        self._guilds[guild_id] = state
        self._finders[guild_id] = state.find_utf8
        return state

    def _state(self, settings: ClinicWatchSettings, rule_triggers: Sequence[Trigger]) -> _GuildState:
        return _GuildState(settings, *self._parts(settings, rule_triggers))

    def _parts(self, settings: ClinicWatchSettings, rule_triggers: Sequence[Trigger]) -> _StateParts:
        """The compiled sets, covers, implied topics and place finder a server's state holds."""
        topic_triggers: list[Trigger] = []
        surrounding: CompiledMatcher | None = None
        places: PlaceFinder | None = None
        covers: Mapping[str, frozenset[str]] = {}
        implied: Mapping[str, WordKind] = {}
        if settings.enabled:
            words = {kind: settings.effective_words(kind, self.defaults) for kind in WordKind}
            implied = _implied_topics(
                words[WordKind.CLINIC], words[WordKind.PRODUCT], words[WordKind.CONTEXT]
            )
            covers = self._covers_for(words)
            topic_triggers = [
                word_trigger(TriggerKind.SIGNAL, word, kind) for kind in _TOPIC_KINDS for word in words[kind]
            ]
            # Everything else, cancelling phrases included, waits for a topic word: phrases such
            # as "my MSc" or "MS clinic" start with words members write all the time, and would
            # slow the pass every message takes.
            around = [
                word_trigger(TriggerKind.SIGNAL, word, kind)
                for kind in _SURROUNDING_KINDS
                if kind is not WordKind.PLACE
                for word in words[kind]
            ]
            around += [word_trigger(TriggerKind.NEUTRAL, p) for p in self.defaults.neutral if p in covers]
            surrounding = self._shared_matcher((*around, *BUILT_IN_TRIGGERS))
            places = self._place_finder(words[WordKind.PLACE])
        triggers = (*rule_triggers, *topic_triggers)
        matcher = self._shared_matcher(triggers) if triggers else None
        if not topic_triggers:
            surrounding = places = None
        return _StateParts(matcher, surrounding, covers, implied, places)

    def _covers_for(self, words: Mapping[WordKind, tuple[str, ...]]) -> Mapping[str, frozenset[str]]:
        """Each neutral or care phrase worth cancelling with, and the listed words inside it (kept
        process-wide for the last few word lists, like the compiled sets)."""
        return _covers(tuple(words[kind] for kind in WordKind), self.defaults.neutral)

    def _place_finder(self, names: tuple[str, ...]) -> PlaceFinder | None:
        """One finder per list of place names, shared by every server that uses the same list."""
        if not names:
            return None
        finder = self._places.get(names)
        if finder is None:
            if len(self._places) >= _MAX_SHARED_MATCHERS:
                self._places.clear()
            finder = self._places[names] = _place_finder_for(names)
            self.builds += 1
        return finder

    def _shared_matcher(self, triggers: tuple[Trigger, ...]) -> CompiledMatcher:
        matcher = self._shared.get(triggers)
        if matcher is None:
            if len(self._shared) >= _MAX_SHARED_MATCHERS:
                self._shared.clear()
            matcher = _compiled_for(triggers)
            self.builds += 1
            self._shared[triggers] = matcher
        return matcher


# The content check at start-up compiles the default sets in a scanner of its own, then the bot's
# scanner compiles the same sets again: both are immutable, so the last few are kept process-wide
# (each scanner still keeps and counts its own), which halves the scanner's share of start-up CPU.
@lru_cache(maxsize=4)
def _compiled_for(triggers: tuple[Trigger, ...]) -> CompiledMatcher:
    return compiled(triggers)


@lru_cache(maxsize=4)
def _covers(words: tuple[tuple[str, ...], ...], neutral: tuple[str, ...]) -> Mapping[str, frozenset[str]]:
    """`_inner_words` of every cancelling word and neutral phrase; `words` in `WordKind` order."""
    by_kind = dict(zip(WordKind, words, strict=True))
    # A place is reported under its group's label ("a place name"), as its trigger is.
    labels = {word: word for kind in WordKind if kind is not WordKind.PLACE for word in by_kind[kind]}
    for place in by_kind[WordKind.PLACE]:
        labels[place] = PLACE_LABEL if place.isascii() else PLACE_LABEL_OTHER_SCRIPT
    cancelling = [
        *(word for kind in _CANCELLING_KINDS for word in by_kind[kind]),
        *(phrase for phrase in neutral if phrase not in labels),
    ]
    return MappingProxyType(_inner_words(cancelling, labels))


@lru_cache(maxsize=2)
def _place_finder_for(names: tuple[str, ...]) -> PlaceFinder:
    return PlaceFinder(names)


@lru_cache(maxsize=4)
def _implied_topics(
    clinic_words: tuple[str, ...], product_words: tuple[str, ...], context_words: tuple[str, ...]
) -> Mapping[str, WordKind]:
    """Clinic words that hold stem-cell or product words ("stem cell clinic"): they say both.

    Needed because a phrase may be glued into one word ("stemcellclinic.mx"), where the stem-cell
    words inside it have no word edges of their own. Kept process-wide, like the compiled sets.
    """
    implied: dict[str, WordKind] = {}
    for clinic in clinic_words:
        for kind, words in ((WordKind.PRODUCT, product_words), (WordKind.CONTEXT, context_words)):
            if any(contains_phrase(clinic, word) for word in words):
                implied[clinic] = kind
                break
    return MappingProxyType(implied)


def _inner_words(phrases: Iterable[str], watched: Mapping[str, str]) -> dict[str, frozenset[str]]:
    """For each phrase, the labels of the watched words it contains in a row (a plural "s" allowed).

    `watched` maps each listed word to the label its trigger reports; a phrase never covers itself.

    Built from the phrase's own runs of words, so the cost does not grow with the thousands of
    place names watched.
    """
    covers: dict[str, frozenset[str]] = {}
    for phrase in phrases:
        tokens = phrase.split(" ")
        inside: set[str] = set()
        for start in range(len(tokens)):
            for end in range(start + 1, len(tokens) + 1):
                run = tokens[start:end]
                choices = [(t, t[:-1]) if t.endswith("s") and len(t) > 1 else (t,) for t in run]
                for variant in product(*choices):
                    candidate = " ".join(variant)
                    if candidate in watched and candidate != phrase:
                        inside.add(watched[candidate])
        if inside:
            covers[phrase] = frozenset(inside)
    return covers


def _with_places(
    state: _GuildState,
    hits: list[int],
    around: list[int],
    data: bytes,
    folded: str,
    judged: tuple[Found, Decision],
) -> tuple[Found, Decision] | None:
    """`_judge` again with the place names found added; the same answer when there are none."""
    assert state.find_places is not None
    places = state.find_places(data)
    if not places:
        return judged
    return _judge(state, hits, [*around, *(state.place_offset + index for index in places)], folded)


def _judge(
    state: _GuildState, hits: list[int], around: list[int], folded: str
) -> tuple[Found, Decision] | None:
    """The words that count and the decision; None when no topic word is left after cancelling."""
    verdict = state.verdict_for(hits, around)
    if not verdict.checks or verdict.holds_by_count(folded):
        return (verdict.found, verdict.decision) if verdict.topical else None
    # A held word may also stand outside its phrase ("MS clinic ... the clinic in Mexico"): place
    # every occurrence.
    found, _ = _positions(state, folded, state.hit_triggers(hits, around))
    if found.keys().isdisjoint(TOPICS):
        return None
    return found, decide(found, state.sensitivity)


def _positions(
    state: _GuildState, folded: str, triggers: Sequence[Trigger], *, every_span: bool = False
) -> tuple[Found, list[WordMatch]]:
    """The words that count once neutral, care and research phrases have cancelled those inside them.

    A word held by such a phrase counts when it also stands outside it: plain substring counts
    settle most cases; otherwise each occurrence is placed with its own pattern. `every_span`
    places every word, for a moderator's dry run.
    """
    cancellers = [t for t in triggers if t.kind is not TriggerKind.RULE and t.label in state.covers]
    cancel_spans: dict[str, tuple[tuple[int, int], ...]] = {}
    pairs: list[tuple[WordKind, str]] = []
    matches: list[WordMatch] = []
    for trigger in triggers:
        if trigger.kind is not TriggerKind.SIGNAL:
            continue
        holders = [c for c in cancellers if trigger.label in state.covers[c.label]]
        spans = find_spans(trigger, folded) if every_span else ()
        if not holders:
            counted = True
        elif _all_inside_by_count(trigger.label, holders, folded):
            counted = False
        else:
            spans = spans or find_spans(trigger, folded)
            for holder in holders:
                if holder.label not in cancel_spans:
                    cancel_spans[holder.label] = find_spans(holder, folded)
            outside = [s for s in spans if not any(_inside(s, cancel_spans[h.label]) for h in holders)]
            counted = bool(outside) or not spans  # a hit the second pass cannot place still counts
        if counted:
            pairs += state.signal_pairs(trigger)
        matches.append(WordMatch(trigger.label, trigger.signal, spans, counted))
    for canceller in cancellers:
        if canceller.kind is TriggerKind.NEUTRAL:
            spans = cancel_spans.get(canceller.label) or (find_spans(canceller, folded) if every_span else ())
            matches.append(WordMatch(canceller.label, None, spans, False))
    return _group(pairs), matches


def _all_inside_by_count(word: str, holders: Sequence[Trigger], folded: str) -> bool:
    """`_Verdict.holds_by_count` for one word: its occurrences are no more than its holders hold."""
    inside = sum(folded.count(holder.label) * holder.label.count(word) for holder in holders)
    return inside > 0 and folded.count(word) <= inside


def _inside(span: tuple[int, int], holders: Sequence[tuple[int, int]]) -> bool:
    return any(start <= span[0] and span[1] <= end and (start, end) != span for start, end in holders)


def _group(pairs: Iterable[tuple[WordKind, str]]) -> Found:
    found: dict[WordKind, list[str]] = {}
    for kind, label in pairs:
        words = found.setdefault(kind, [])
        if label not in words:
            words.append(label)
    return {kind: tuple(words) for kind, words in found.items()}


def _merge(earlier: Found, current: Found) -> Found:
    merged = dict(earlier)
    for kind, words in current.items():
        merged[kind] = tuple(dict.fromkeys((*merged.get(kind, ()), *words)))
    return merged


def _signals(decision: Decision, found: Found) -> tuple[SignalFound, ...]:
    return tuple(SignalFound(kind, found.get(kind, ())) for kind in decision.signals)


def _explanation(signals: Sequence[SignalFound], *, joined: bool) -> str:
    subject = "This conversation" if joined else "This message"
    return f"Why am I seeing this? {subject} mentions {describe([s.kind for s in signals])}."


def _to_ns(moment: datetime) -> int:
    """Exact nanoseconds since the epoch (a datetime holds whole microseconds); naive means UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - _EPOCH) // _ONE_MICROSECOND * 1000


def _from_ns(ns: int) -> datetime:
    """The aware UTC datetime of a nanosecond time, truncated to whole microseconds."""
    return _EPOCH + timedelta(microseconds=ns // 1000)
