"""The trial watch: members' watches, and the job that looks at the registry for them.

Members add, list and remove watches here (`/trialwatch`); `/journal forget` removes them too
(`forget_member`, a forget hook). The job, owned by this service, starts with the cog (`start`,
given what sends a DM) but does nothing until the bot is connected, and stops at shutdown
(`close`). Each round (`run_due`) takes the watches that are due and:

1. fetches the registry once per kind of intervention among them (`TrialsService.refresh`, which
   also refreshes the list `/trials` shows, and shares the client's pace of one request a second);
2. asks, in one request, for the status of known studies that left the open list;
3. per member, works out each watch's news (`bot.core.trials.watch.check_watch`), records it as
   told and moves the watch to its next look *before* sending one DM with all of it, so nothing is
   ever told twice, not even after a crash or a restart;
4. if Discord refuses the DM because the member's DMs are closed, puts back what those watches knew
   and pauses them (the member hears about it at their next `/trials`, and nothing is lost); if
   the DM fails otherwise, the news is put back for the next look.

Nothing here imports Discord: the DM goes through a `WatchNotifier` the cog supplies.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from enum import StrEnum
from typing import ClassVar, NamedTuple, Protocol

from bot.core.clock import Clock
from bot.core.journal.model import ForgottenItems
from bot.core.trials import watch as rules
from bot.core.trials.client import TrialsUnavailable
from bot.core.trials.models import FetchedStudies, TrialQuery
from bot.core.trials.service import TrialsService
from bot.core.trials.watch import News, StatusLookup, TrialWatch, WatchSettings
from bot.core.trials.watch_render import news_message
from bot.db.repositories.trial_watches import StoredWatch, TrialWatchRepository
from bot.errors import NotFound

log = logging.getLogger(__name__)

DEFAULT_INTERVAL = timedelta(days=1)


class Delivery(StrEnum):
    """How sending a DM went."""

    SENT = "sent"
    #: The member does not accept DMs from the bot (Discord's 50007): the watch pauses.
    CLOSED = "closed"
    #: Anything else (Discord down, rate limits): the news waits for the next look.
    FAILED = "failed"


class WatchNotifier(Protocol):
    """Sends a member a direct message (the cog's, on Discord). Never pings."""

    async def send(self, user_id: int, text: str) -> Delivery: ...


class AddedWatch(NamedTuple):
    """A watch just added, and how many open trials match it now (what it starts out knowing)."""

    watch: TrialWatch
    matching: int


class RoundReport(NamedTuple):
    """What one round did (for tests and the log)."""

    checked: int = 0
    #: Registry requests for lists (one per kind of intervention among the due watches).
    fetches: int = 0
    #: Members sent a DM with news.
    told: int = 0
    #: Watches paused because their member's DMs are closed.
    paused: int = 0


class TrialWatchService:
    """Members' trial watches and the job that checks them; the job's one owner."""

    #: How often the job looks for due watches (seconds); tests shorten it.
    poll_seconds: ClassVar[float] = 60.0
    #: The most due watches one round takes (the rest wait for the next round).
    ROUND_SIZE: ClassVar[int] = 500

    def __init__(
        self,
        repository: TrialWatchRepository,
        trials: TrialsService,
        clock: Clock,
        interval: timedelta = DEFAULT_INTERVAL,
    ) -> None:
        self._repository = repository
        self._trials = trials
        self._clock = clock
        self.interval = interval
        self._notifier: WatchNotifier | None = None
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()

    # --- a member's watches -----------------------------------------------------------------------

    async def add(self, user_id: int, settings: WatchSettings) -> AddedWatch:
        """A new watch, starting out knowing what matches now; refused kindly past the limit, for a
        second watch of exactly the same thing, or (`TrialsUnavailable`) when the registry cannot
        say what is open and nothing was saved."""
        existing = await self._repository.member_watches(user_id)
        for stored in existing:
            if stored.watch.settings.signature == settings.signature:
                raise rules.same_watch_exists(stored.watch.seq)
        if len(existing) >= rules.MAX_WATCHES_PER_MEMBER:
            raise rules.watch_limit_reached()
        results = await self._trials.search(TrialQuery(settings.intervention))
        known = rules.baseline(settings, (entry.study for entry in results.entries))
        now = self._clock.now()
        stored = await self._repository.add(
            user_id,
            settings,
            known,
            now,
            rules.next_check_at(now, self.interval),
            rules.MAX_WATCHES_PER_MEMBER,
        )
        if stored is None:
            raise rules.watch_limit_reached()
        log.info("Trial watch added")
        return AddedWatch(stored.watch, len(known))

    async def watches(self, user_id: int) -> list[TrialWatch]:
        """The member's watches, by number."""
        return [stored.watch for stored in await self._repository.member_watches(user_id)]

    async def remove(self, user_id: int, seq: int) -> TrialWatch:
        """Delete the member's watch #seq (and leave no trace of it in the files)."""
        for stored in await self._repository.member_watches(user_id):
            if stored.watch.seq == seq and await self._repository.remove(user_id, seq):
                await self._scrub()
                log.info("Trial watch removed")
                return stored.watch
        raise NotFound(f"You have no trial watch #{seq}. `/trialwatch list` shows your watches.")

    async def remove_all(self, user_id: int) -> int:
        """Delete every watch of the member (and leave no trace of them in the files); how many."""
        count = await self._repository.remove_all(user_id)
        if count:
            await self._scrub()
            log.info("Trial watches removed: %d", count)
        return count

    async def forget_member(self, user_id: int) -> ForgottenItems | None:
        """`/journal forget`'s hook: runs inside its transaction, which rebuilds the file after."""
        count = await self._repository.remove_all(user_id)
        return ForgottenItems("trial watch", "trial watches", count) if count else None

    async def paused(self, user_id: int) -> list[TrialWatch]:
        return [watch for watch in await self.watches(user_id) if watch.paused]

    async def untold_pauses(self, user_id: int) -> list[TrialWatch]:
        """The member's watches paused since they last heard (they are told at their next `/trials`,
        then `pauses_told`)."""
        return [watch for watch in await self.watches(user_id) if watch.pause_untold]

    async def pauses_told(self, user_id: int) -> None:
        """The member has been told that their watches paused: they are not told again."""
        for stored in await self._repository.member_watches(user_id):
            if stored.watch.pause_untold:
                await self._repository.save_state(
                    stored, stored.watch.known, next_due_at=None, checked_at=stored.watch.checked_at
                )

    async def resume(self, user_id: int) -> list[TrialWatch]:
        """Turn the member's paused watches back on (the caller has just reached them by DM). Each
        is due a whole interval after its last look, at once if that has passed, so the news that
        could not be sent comes now."""
        now = self._clock.now()
        resumed: list[TrialWatch] = []
        for stored in await self._repository.member_watches(user_id):
            if not stored.watch.paused:
                continue
            last = stored.watch.checked_at or stored.watch.created_at or now
            saved = await self._repository.save_state(
                stored,
                stored.watch.known,
                next_due_at=max(now, rules.next_check_at(last, self.interval)),
                checked_at=stored.watch.checked_at,
            )
            if saved is not None:
                resumed.append(saved.watch)
        if resumed:
            self._wake.set()
        return resumed

    async def send_check(self, user_id: int, text: str) -> Delivery:
        """A DM to see whether the member can be reached (before resuming their watches)."""
        if self._notifier is None:
            return Delivery.FAILED
        return await self._send(user_id, text)

    async def _scrub(self) -> None:
        if not await self._repository.scrub():
            log.warning("The database file could not be rebuilt after a trial watch was removed (busy)")

    # --- the job ----------------------------------------------------------------------------------

    def start(self, notifier: WatchNotifier, ready: Callable[[], Awaitable[object]]) -> None:
        """Start the job: it waits for `ready` (the bot connected), then looks for due watches every
        `poll_seconds`. A second start while it runs changes nothing."""
        self._notifier = notifier
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run(ready), name="trial-watch")

    async def close(self) -> None:
        """Stop the job (at shutdown, before the database closes); a round in flight is cancelled."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def _run(self, ready: Callable[[], Awaitable[object]]) -> None:
        await ready()
        while True:
            self._wake.clear()
            try:
                await self.run_due()
            except Exception:
                log.exception("A trial watch round failed; trying again next round")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll_seconds)

    async def run_due(self) -> RoundReport:
        """One round: every watch due now is checked, and each member with news gets one DM."""
        if self._notifier is None:
            return RoundReport()
        now = self._clock.now()
        due = await self._repository.due(now, self.ROUND_SIZE)
        if not due:
            return RoundReport()
        fetched: dict[str, FetchedStudies] = {}
        for intervention in dict.fromkeys(stored.watch.settings.intervention for stored in due):
            try:
                fetched[intervention] = await self._trials.refresh(TrialQuery(intervention))
            except TrialsUnavailable as error:
                log.warning("Trial watch: the registry could not be reached (%s); trying later", error.reason)
        waiting = [stored for stored in due if stored.watch.settings.intervention not in fetched]
        for stored in waiting:
            await self._repository.save_state(
                stored,
                stored.watch.known,
                next_due_at=rules.retry_at(now, self.interval),
                checked_at=stored.watch.checked_at,
                pause_untold=stored.watch.pause_untold,
            )
        checkable = [stored for stored in due if stored.watch.settings.intervention in fetched]
        lookup = await self._look_up(checkable, fetched)
        by_member: dict[int, list[StoredWatch]] = defaultdict(list)
        for stored in checkable:
            by_member[stored.watch.user_id].append(stored)
        told = paused = 0
        for user_id, watches in by_member.items():
            try:
                outcome, held = await self._check_member(user_id, watches, fetched, lookup)
            except Exception:
                log.exception("Trial watch: a member's check failed (%s)", self._repository.log_tag(user_id))
                continue
            told += outcome is Delivery.SENT
            paused += held if outcome is Delivery.CLOSED else 0
        return RoundReport(checked=len(checkable), fetches=len(fetched), told=told, paused=paused)

    async def _look_up(
        self, watches: Sequence[StoredWatch], fetched: dict[str, FetchedStudies]
    ) -> StatusLookup:
        """One look-up of every known study that left the open lists (it may have closed)."""
        wanted: set[str] = set()
        listed = {key: [study.nct_id for study in value.studies] for key, value in fetched.items()}
        for stored in watches:
            wanted |= rules.to_look_up(stored.watch.known, listed[stored.watch.settings.intervention])
        if not wanted:
            return StatusLookup()
        try:
            found = await self._trials.look_up(wanted)
        except TrialsUnavailable as error:
            log.warning("Trial watch: studies that left the list could not be looked up (%s)", error.reason)
            return StatusLookup()
        return StatusLookup(frozenset(wanted), found)

    async def _check_member(
        self,
        user_id: int,
        watches: Sequence[StoredWatch],
        fetched: dict[str, FetchedStudies],
        lookup: StatusLookup,
    ) -> tuple[Delivery | None, int]:
        """Check the member's due watches, record their news as told, then send it in one DM. Returns
        how the DM went (None: nothing to tell) and how many watches had news in it."""
        now = self._clock.now()
        claimed: list[tuple[StoredWatch, StoredWatch]] = []
        items: list[tuple[TrialWatch, News]] = []
        for stored in watches:
            studies = fetched[stored.watch.settings.intervention].studies
            outcome = rules.check_watch(stored.watch.settings, stored.watch.known, studies, lookup)
            saved = await self._repository.save_state(
                stored,
                outcome.known,
                next_due_at=rules.next_check_at(now, self.interval),
                checked_at=now,
                pause_untold=stored.watch.pause_untold,
            )
            if saved is None or not outcome.news:
                continue  # removed or changed meanwhile, or nothing new
            claimed.append((stored, saved))
            items.extend((saved.watch, news) for news in outcome.news)
        if not items:
            return None, 0
        unique = rules.unique_news(items)
        delivery = await self._send(user_id, news_message(unique, self.interval))
        if delivery is Delivery.SENT:
            log.info("Trial watch news sent (%d)", len(unique))
            return delivery, len(claimed)
        for before, after in claimed:
            if delivery is Delivery.CLOSED:
                # Paused with what it knew before: the news is told once the member can be reached.
                await self._repository.save_state(
                    after, before.watch.known, next_due_at=None, checked_at=now, pause_untold=True
                )
            else:
                await self._repository.put_back(after, before, next_due_at=after.watch.next_due_at)
        log.warning(
            "Trial watch news not delivered (%s): %s",
            self._repository.log_tag(user_id),
            "direct messages closed, watch paused" if delivery is Delivery.CLOSED else "kept for next time",
        )
        return delivery, len(claimed)

    async def _send(self, user_id: int, text: str) -> Delivery:
        notifier = self._notifier
        if notifier is None:
            return Delivery.FAILED
        try:
            return await notifier.send(user_id, text)
        except Exception:
            log.exception("Trial watch: a direct message failed (%s)", self._repository.log_tag(user_id))
            return Delivery.FAILED
