"""Trials look-ups with a 6-hour cache and a stale-but-honest fallback when the registry is down.

The trial watch reads through the same service: `refresh` asks the registry whatever the cache's age
and saves the answer for `/trials` too, and `look_up` asks for studies by NCT number (one that left
the open list may have closed); both share the one client, so its pace holds for everyone.

The cache is a Protocol so `core` stays free of SQL; `bot.db.repositories.trials_cache`
implements it on SQLite.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Protocol

from bot.core.clock import Clock
from bot.core.trials.client import TrialsUnavailable
from bot.core.trials.models import FetchedStudies, Place, Study, TrialQuery, TrialResults
from bot.core.trials.ordering import rank_studies

log = logging.getLogger(__name__)

DEFAULT_TTL = timedelta(hours=6)


class TrialsCache(Protocol):
    """Where fetched answers are kept, keyed by `TrialQuery.cache_key`."""

    async def get(self, key: str) -> tuple[str, datetime] | None:
        """The stored JSON payload and when it was fetched (aware UTC), or None."""
        ...

    async def put(self, key: str, payload: str, fetched_at: datetime) -> None:
        """Store (or replace) the answer for `key`."""
        ...


class StudiesSource(Protocol):
    """What the service needs from `ClinicalTrialsClient`; each method may raise `TrialsUnavailable`."""

    async def fetch_studies(self, query: TrialQuery) -> FetchedStudies: ...

    async def fetch_by_ids(self, nct_ids: Iterable[str]) -> dict[str, Study]: ...


class TrialsService:
    """Answers /trials: fresh cache first, then the registry, then the last saved answer."""

    def __init__(
        self,
        client: StudiesSource,
        cache: TrialsCache,
        clock: Clock,
        ttl: timedelta = DEFAULT_TTL,
    ) -> None:
        self._client = client
        self._cache = cache
        self._clock = clock
        self._ttl = ttl
        # One fetch per query at a time: members asking together share a single request.
        self._locks: dict[str, asyncio.Lock] = {}

    async def search(
        self, query: TrialQuery, near: Place | None = None, *, include_observational: bool = False
    ) -> TrialResults:
        """Studies for `query`, nearest first when `near` is given; trials only unless asked otherwise.

        One fetch (and one cache entry) per query serves every place and both study-type choices.

        Raises `TrialsUnavailable` (a member-facing error) only when the registry fails and
        nothing was ever saved for this query.
        """
        key = query.cache_key
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            cached = await self._load(key)
            now = self._clock.now()
            if cached is not None and now - cached[1] < self._ttl:
                return self._results(query, cached[0], cached[1], near, include_observational, stale=False)
            try:
                fetched = await self._client.fetch_studies(query)
            except TrialsUnavailable as error:
                if cached is None:
                    log.warning("Trials registry unavailable (%s); nothing cached for %s", error.reason, key)
                    raise
                log.warning(
                    "Trials registry unavailable (%s); serving the saved copy of %s", error.reason, key
                )
                return self._results(query, cached[0], cached[1], near, include_observational, stale=True)
            await self._cache.put(key, fetched.to_json(), now)
            return self._results(query, fetched, now, near, include_observational, stale=False)

    async def refresh(self, query: TrialQuery) -> FetchedStudies:
        """A fresh answer from the registry, saved for `/trials` too (the trial watch's look).

        Shares the client, and so its pace of at most one request a second, with `search`;
        raises `TrialsUnavailable` when the registry fails (the saved answer is left as it was).
        """
        key = query.cache_key
        async with self._locks.setdefault(key, asyncio.Lock()):
            fetched = await self._client.fetch_studies(query)
            await self._cache.put(key, fetched.to_json(), self._clock.now())
            return fetched

    async def look_up(self, nct_ids: Iterable[str]) -> dict[str, Study]:
        """The current record of each study by NCT number, whatever its status (it may have
        closed); raises `TrialsUnavailable` when the registry fails."""
        return await self._client.fetch_by_ids(nct_ids)

    async def _load(self, key: str) -> tuple[FetchedStudies, datetime] | None:
        """The cached answer, or None; an unreadable payload (older format) counts as no cache."""
        row = await self._cache.get(key)
        if row is None:
            return None
        payload, fetched_at = row
        try:
            return FetchedStudies.from_json(payload), fetched_at
        except ValueError:
            log.warning("Ignoring an unreadable cached trials payload for %s", key)
            return None

    def _results(
        self,
        query: TrialQuery,
        fetched: FetchedStudies,
        fetched_at: datetime,
        near: Place | None,
        include_observational: bool,
        *,
        stale: bool,
    ) -> TrialResults:
        if include_observational:
            shown = [study for study in fetched.studies if study.shown_with_observational()]
        else:
            shown = [study for study in fetched.studies if study.shown_by_default()]
        hidden = 0 if include_observational else sum(study.is_observational for study in fetched.studies)
        return TrialResults(
            query=query,
            entries=rank_studies(shown, near.point if near else None),
            include_observational=include_observational,
            hidden_observational=hidden,
            fetched_at=fetched_at,
            age=max(timedelta(0), self._clock.now() - fetched_at),
            stale=stale,
            near=near,
            total_count=fetched.total_count,
            truncated=fetched.truncated,
        )
