"""A small, polite client for `GET {base}/studies` of the ClinicalTrials.gov API v2.

The aiohttp session is injected: the bot owns one session for its lifetime and closes it at
shutdown. Every way the registry can fail us (timeout, connection error, 5xx, an unexpected
status, a body that is not the API's JSON) becomes `TrialsUnavailable`, so the service has one
thing to catch before falling back to its cache.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterable
from typing import Any

import aiohttp

from bot import __version__
from bot.core.trials.models import CONDITION_EXPRESSION, OPEN_STATUSES, FetchedStudies, Study, TrialQuery
from bot.core.trials.parsing import MalformedResponse, parse_studies_page
from bot.errors import UserFacingError

log = logging.getLogger(__name__)

# Only what /trials shows: the registry sends every site worldwide, so trimming the rest matters.
# Each name is one of the API's documented field names ("pieces"); the registry refuses others.
# ContactsLocationsModule brings the sites, their contacts and the study's central contacts.
REQUESTED_FIELDS = (
    "NCTId",
    "BriefTitle",
    "Acronym",
    "OverallStatus",
    "StudyType",
    "Phase",
    "LastUpdatePostDate",
    "ContactsLocationsModule",
)
# A look-up by number needs only what a trial watch's message names.
STATUS_FIELDS = ("NCTId", "BriefTitle", "Acronym", "OverallStatus", "StudyType")
# NCT numbers asked for in one look-up (the query string stays well under URL limits).
IDS_PER_REQUEST = 100
DEFAULT_USER_AGENT = (
    f"stemcell-bot/{__version__} (Discord companion for people with multiple sclerosis; "
    "looks up recruiting stem-cell studies, cached for 6 hours)"
)
UNAVAILABLE_MESSAGE = (
    "ClinicalTrials.gov can't be reached right now, and I have no saved list for this search yet. "
    "Please try again in a little while, or search directly at https://clinicaltrials.gov."
)


class TrialsUnavailable(UserFacingError):
    """The registry could not answer; `reason` is for logs, the message is for members."""

    def __init__(self, reason: str, message: str = UNAVAILABLE_MESSAGE) -> None:
        super().__init__(message)
        self.reason = reason


class ClinicalTrialsClient:
    """Fetches open MS studies for one intervention, following `nextPageToken` up to `max_pages`, and
    studies by NCT number (`fetch_by_ids`); every request waits its turn (`min_interval`)."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        base_url: str,
        *,
        timeout: float = 15.0,
        page_size: int = 50,
        max_pages: int = 4,
        min_interval: float = 1.0,
        user_agent: str = DEFAULT_USER_AGENT,
    ) -> None:
        if not 1 <= page_size <= 1000:
            raise ValueError("page_size must be between 1 and 1000 (the API's limit)")
        if max_pages < 1:
            raise ValueError("max_pages must be at least 1")
        self._session = session
        self._studies_url = base_url.rstrip("/") + "/studies"
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._page_size = page_size
        self._max_pages = max_pages
        # robots.txt asks for a one-second crawl delay; one lock spaces out every request we send.
        self._min_interval = min_interval
        self._throttle_lock = asyncio.Lock()
        self._last_request_at: float | None = None
        self._headers = {"User-Agent": user_agent, "Accept": "application/json"}

    def build_params(self, query: TrialQuery) -> dict[str, str]:
        """The request's query string, identical on every page as the API requires for pageToken.

        Every study type is fetched (the status filter already leaves out expanded access), so one
        request serves both the default list of trials and the list with observational studies.
        """
        return {
            "query.cond": CONDITION_EXPRESSION,
            "query.intr": query.intervention_expression,
            "filter.overallStatus": "|".join(OPEN_STATUSES),
            "fields": "|".join(REQUESTED_FIELDS),
            "sort": "LastUpdatePostDate:desc",
            "countTotal": "true",
            "pageSize": str(self._page_size),
            "format": "json",
        }

    async def fetch_studies(self, query: TrialQuery) -> FetchedStudies:
        """All pages up to the bound; raises `TrialsUnavailable` if any page fails."""
        params = self.build_params(query)
        studies: dict[str, Study] = {}
        total_count: int | None = None
        token: str | None = None
        for page_number in range(self._max_pages):
            page_params = params if token is None else {**params, "pageToken": token}
            body = await self._get_json(page_params)
            try:
                page = parse_studies_page(body)
            except MalformedResponse as exc:
                raise TrialsUnavailable(f"unexpected response shape: {exc}") from exc
            if page_number == 0:
                total_count = page.total_count
            for study in page.studies:
                # A record can move between pages while we read; keep the first copy.
                studies.setdefault(study.nct_id, study)
            token = page.next_page_token
            if token is None:
                break
        return FetchedStudies(
            studies=tuple(studies.values()), total_count=total_count, truncated=token is not None
        )

    async def fetch_by_ids(self, nct_ids: Iterable[str]) -> dict[str, Study]:
        """The current record of each study (any status), by NCT number; one request per
        `IDS_PER_REQUEST` numbers. A number the registry does not know is simply absent. Raises
        `TrialsUnavailable` if any request fails."""
        wanted = sorted(set(nct_ids))
        found: dict[str, Study] = {}
        for start in range(0, len(wanted), IDS_PER_REQUEST):
            chunk = wanted[start : start + IDS_PER_REQUEST]
            params = {
                "filter.ids": "|".join(chunk),
                "fields": "|".join(STATUS_FIELDS),
                "pageSize": str(len(chunk)),
                "format": "json",
            }
            body = await self._get_json(params)
            try:
                page = parse_studies_page(body)
            except MalformedResponse as exc:
                raise TrialsUnavailable(f"unexpected response shape: {exc}") from exc
            found.update((study.nct_id, study) for study in page.studies if study.nct_id in chunk)
        return found

    async def _get_json(self, params: dict[str, str]) -> Any:
        await self._wait_for_turn()
        try:
            async with self._session.get(
                self._studies_url, params=params, headers=self._headers, timeout=self._timeout
            ) as response:
                if response.status >= 500:
                    raise TrialsUnavailable(f"HTTP {response.status} from the registry")
                if response.status != 200:
                    raise TrialsUnavailable(f"unexpected HTTP {response.status} from the registry")
                body = await response.read()
        except TimeoutError as exc:
            raise TrialsUnavailable("the registry did not answer in time") from exc
        except aiohttp.ClientError as exc:
            raise TrialsUnavailable(f"connection problem: {exc.__class__.__name__}") from exc
        try:
            return json.loads(body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise TrialsUnavailable("the registry sent a body that is not JSON") from exc

    async def _wait_for_turn(self) -> None:
        if self._min_interval <= 0:
            return
        async with self._throttle_lock:
            loop = asyncio.get_running_loop()
            if self._last_request_at is not None:
                delay = self._last_request_at + self._min_interval - loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)
            self._last_request_at = loop.time()
