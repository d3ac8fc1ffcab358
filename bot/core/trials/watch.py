"""Trial watches: what a member asked to hear about, what counts as news, and when to look again.

A watch is a kind of intervention, optionally a place and a radius. It matches a trial (the kinds
`/trials` lists by default) that recruits or is about to: anywhere when the watch has no place,
else with a site open to anyone who qualifies within the radius (invitation-only, expanded-access
and closed sites never count, as in `ordering`). A country, state or province stands at its main
city, which says little about a place as wide as Ontario: there, a site in it counts too, by the
country and state names the registry gives (the radius still catches sites near its main city
when the registry spells the country otherwise).

Each watch remembers what it has told (`known`: NCT number -> the overall status last told, or
seen when the watch was set up). A check compares that with the registry's fresh list and yields
news of two kinds, each told once: a study that newly matches, and a study already known whose
overall status changed (a study that stops recruiting drops out of the list the registry sends,
so its status is looked up by number; see `to_look_up`). A study told as closed is not looked up
again, and is news again only if it reopens.

Checks run on a grid of the interval (every day at 00:00 UTC by default), so watches checked
together stay together and one registry request serves all of them; a watch is never checked
twice within one interval.

Pure: the service fetches and sends, the repository seals. Sealed documents are built here too.
Models are named tuples: immutable like frozen dataclasses, and about a tenth of their cost to
define, which the bot pays at every start (`bench/bench_memory.py`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from types import MappingProxyType
from typing import Any, NamedTuple

from bot.core.trials.interventions import DEFAULT_INTERVENTION, intervention_option
from bot.core.trials.models import OPEN_STATUSES, GeoPoint, Place, RankedStudy, Site, SiteAccess, Study
from bot.core.trials.places import fold
from bot.errors import InvalidInput, NotFound

#: The most watches one member keeps (each costs a check per interval).
MAX_WATCHES_PER_MEMBER = 5
DEFAULT_RADIUS_KM = 200
MIN_RADIUS_KM = 10
#: About the width of a continent; a member who would travel farther can watch without a place.
MAX_RADIUS_KM = 5000
#: How many studies one watch remembers; past it, the oldest closed ones are forgotten first.
MAX_KNOWN_STUDIES = 300
#: After the registry could not be reached, the next try (never later than one interval).
RETRY_AFTER = timedelta(hours=1)
#: Statuses that mean "a member may still apply or soon can": a study told with another status is
#: not looked up again until it reappears among the open ones.
_OPEN = frozenset(OPEN_STATUSES)
_CONTEXT_PREFIX = b"trialwatch:"
#: What each sealed value of a watch row is (part of its context, so values cannot swap places).
WATCH_PART = b"watch"
STATE_PART = b"state"
_NOTHING: Mapping[str, Any] = MappingProxyType({})


class NewsKind(StrEnum):
    """What a member is told about a study."""

    NEW = "new"  # a study that newly matches the watch
    STATUS = "status"  # a study the watch knows changed its overall status


class WatchSettings(NamedTuple):
    """What a member watches: a kind of intervention, and optionally a place with a radius."""

    intervention: str = DEFAULT_INTERVENTION
    place: Place | None = None
    #: Set exactly when `place` is.
    radius_km: int | None = None

    @property
    def signature(self) -> tuple[str, str | None, int | None]:
        """Two watches with the same signature would tell the same news."""
        return (self.intervention, self.place.label if self.place else None, self.radius_km)


def watch_settings(intervention: str | None, place: Place | None, radius_km: int | None) -> WatchSettings:
    """The settings of a new watch, checked; an `InvalidInput` sentence for anything out of bounds."""
    option = intervention_option(intervention or DEFAULT_INTERVENTION)
    if place is None:
        if radius_km is not None:
            raise InvalidInput(
                "A radius needs a place to measure from. Add `near:` (a city, state or country), or leave "
                "out `radius_km` to hear about new studies anywhere."
            )
        return WatchSettings(option.key)
    radius = DEFAULT_RADIUS_KM if radius_km is None else radius_km
    if not MIN_RADIUS_KM <= radius <= MAX_RADIUS_KM:
        raise InvalidInput(
            f"The radius can be {MIN_RADIUS_KM} to {MAX_RADIUS_KM:,} km. To hear about studies anywhere, "
            "leave out `near:` and `radius_km`."
        )
    return WatchSettings(option.key, place, radius)


class TrialWatch(NamedTuple):
    """One member's watch as stored: settings, what it has told, and where its schedule stands."""

    user_id: int
    #: The member's own number for it (1 to `MAX_WATCHES_PER_MEMBER`).
    seq: int
    settings: WatchSettings
    #: NCT number -> the overall status last told (or seen when the watch was set up).
    known: Mapping[str, str] = _NOTHING
    created_at: datetime | None = None
    #: None while the watch is paused (direct messages to the member were refused).
    next_due_at: datetime | None = None
    checked_at: datetime | None = None
    #: Paused, and the member has not been told yet (they are, at their next `/trials`).
    pause_untold: bool = False

    @property
    def paused(self) -> bool:
        return self.next_due_at is None


class News(NamedTuple):
    """One thing to tell: a study that newly matches, or a known study's new status."""

    kind: NewsKind
    study: Study
    #: The study with its nearest open site to the watch's place (when the watch has a place and
    #: the study matches it).
    ranked: RankedStudy | None = None
    #: The status last told, for `NewsKind.STATUS`.
    old_status: str | None = None

    @property
    def key(self) -> tuple[str, str, str | None]:
        """The same news from two of a member's watches is told once."""
        return (self.study.nct_id, self.kind.value, self.study.status)


class StatusLookup(NamedTuple):
    """What a look-up by NCT number found: `asked` the numbers it answered for, `found` the studies."""

    asked: frozenset[str] = frozenset()
    found: Mapping[str, Study] = _NOTHING


class CheckOutcome(NamedTuple):
    """What one check of one watch found: the news, and what the watch knows once it is told."""

    news: tuple[News, ...]
    known: dict[str, str]


def matching_studies(settings: WatchSettings, studies: Iterable[Study]) -> dict[str, RankedStudy]:
    """The open trials the watch covers, in the registry's order, each with its nearest open site."""
    matches: dict[str, RankedStudy] = {}
    for study in studies:
        if not study.shown_by_default() or study.status not in _OPEN:
            continue
        if settings.place is None or settings.radius_km is None:
            matches[study.nct_id] = RankedStudy(study)
            continue
        reached = _nearest_site_in_reach(study, settings.place, settings.radius_km)
        if reached is not None:
            matches[study.nct_id] = RankedStudy(study, nearest_site=reached[0], distance_km=reached[1])
    return matches


def _nearest_site_in_reach(study: Study, place: Place, radius_km: int) -> tuple[Site, float | None] | None:
    """The nearest open site within the radius, or (for a country, state or province) in it."""
    best: tuple[Site, float | None] | None = None
    for site in study.sites:
        if site.access is not SiteAccess.OPEN:
            continue
        distance = None if site.point is None else place.point.distance_km(site.point)
        if not (distance is not None and distance <= radius_km) and not _in_region(site, place):
            continue
        if best is None or (distance is not None and (best[1] is None or distance < best[1])):
            best = (site, distance)
    return best


def _in_region(site: Site, place: Place) -> bool:
    """Whether a site lies in a country, state or province place, by the names the registry gives."""
    if place.kind == "city" or not site.country or fold(site.country) != fold(place.country):
        return False
    return place.kind == "country" or (site.state is not None and fold(site.state) == fold(place.name))


def baseline(settings: WatchSettings, studies: Iterable[Study]) -> dict[str, str]:
    """What a new watch starts knowing: what matches now (the member can see it with `/trials`)."""
    matches = matching_studies(settings, studies)
    return {nct_id: ranked.study.status or "" for nct_id, ranked in matches.items()}


def to_look_up(known: Mapping[str, str], listed: Iterable[str]) -> set[str]:
    """Known studies last told as open that the registry's open list no longer holds: they may have
    closed (or moved past the pages read), so their status is asked for by number."""
    present = set(listed)
    return {nct_id for nct_id, status in known.items() if status in _OPEN and nct_id not in present}


def check_watch(
    settings: WatchSettings,
    known: Mapping[str, str],
    studies: Sequence[Study],
    lookup: StatusLookup | None = None,
) -> CheckOutcome:
    """News for one watch from the registry's open list (`studies`) and a look-up of what left it."""
    lookup = lookup or StatusLookup()
    listed = {study.nct_id: study for study in studies}
    matches = matching_studies(settings, studies)
    news: list[News] = []
    told = dict(known)
    for nct_id, ranked in matches.items():
        if nct_id not in told:
            news.append(News(NewsKind.NEW, ranked.study, ranked))
            told[nct_id] = ranked.study.status or ""
    for nct_id, old_status in known.items():
        study = listed.get(nct_id) or lookup.found.get(nct_id)
        if study is None:
            if nct_id in lookup.asked:
                del told[nct_id]  # gone from the registry: if it ever comes back, it is new again
            continue
        if study.status and study.status != old_status:
            news.append(News(NewsKind.STATUS, study, matches.get(nct_id), old_status or None))
            told[nct_id] = study.status
    return CheckOutcome(tuple(news), _trimmed(told))


def _trimmed(known: dict[str, str]) -> dict[str, str]:
    """At most `MAX_KNOWN_STUDIES`, forgetting the oldest closed studies first, then the oldest."""
    excess = len(known) - MAX_KNOWN_STUDIES
    if excess <= 0:
        return known
    closed = [nct_id for nct_id, status in known.items() if status not in _OPEN]
    still_open = [nct_id for nct_id, status in known.items() if status in _OPEN]
    dropped = set(closed[:excess]) | set(still_open[: max(0, excess - len(closed))])
    return {nct_id: status for nct_id, status in known.items() if nct_id not in dropped}


def unique_news(items: Iterable[tuple[TrialWatch, News]]) -> list[tuple[TrialWatch, News]]:
    """Each piece of news once, with the first watch that found it (two of a member's watches may
    find the same study), in the order met."""
    seen: set[tuple[str, str, str | None]] = set()
    kept: list[tuple[TrialWatch, News]] = []
    for watch, news in items:
        if news.key not in seen:
            seen.add(news.key)
            kept.append((watch, news))
    return kept


# --- when to look ---------------------------------------------------------------------------------


def _on_grid(moment: datetime, interval: timedelta) -> datetime:
    """The first multiple of `interval` since the Unix epoch at or after `moment` (UTC)."""
    step = interval.total_seconds()
    return datetime.fromtimestamp(math.ceil(moment.timestamp() / step) * step, UTC)


def next_check_at(last_look: datetime, interval: timedelta) -> datetime:
    """The first round at least a whole interval after `last_look` (a check, or setting the watch
    up): never two checks within one interval, and watches looked at together stay together."""
    return _on_grid(last_look + interval, interval)


def retry_at(now: datetime, interval: timedelta) -> datetime:
    """When to try again after the registry could not be reached."""
    return now + min(interval, RETRY_AFTER)


# --- choosing a watch -----------------------------------------------------------------------------


def parse_watch_number(text: str, numbers: Sequence[int]) -> int | None:
    """`/trialwatch remove watch:` as typed: '2', '#2', or 'all' (None); an `InvalidInput` or
    `NotFound` sentence for anything else."""
    cleaned = text.strip().lstrip("#").strip().lower()
    if cleaned in ("all", "every", "everything"):
        return None
    if not cleaned.isdigit() or len(cleaned) > 3:
        raise InvalidInput(
            f"Please choose a watch by its number (such as 1), or 'all'. {_your_numbers(numbers)}"
        )
    number = int(cleaned)
    if number not in numbers:
        raise NotFound(f"You have no trial watch #{number}. {_your_numbers(numbers)}")
    return number


def _your_numbers(numbers: Sequence[int]) -> str:
    if not numbers:
        return "You have no trial watches at the moment."
    return "Your watches: " + ", ".join(f"#{n}" for n in sorted(numbers)) + "."


def watch_limit_reached() -> InvalidInput:
    return InvalidInput(
        f"You already have {MAX_WATCHES_PER_MEMBER} trial watches, the most I keep for one person. "
        "Remove one with `/trialwatch remove` first. Nothing was changed."
    )


def same_watch_exists(seq: int) -> InvalidInput:
    return InvalidInput(
        f"Your trial watch #{seq} already watches exactly this, so I didn't add it again. "
        "`/trialwatch list` shows your watches."
    )


# --- sealed documents -----------------------------------------------------------------------------


def context(member: bytes, part: bytes) -> bytes:
    """Binds a sealed value to its member (pseudonym) and to what it is (`WATCH_PART`, `STATE_PART`)."""
    return _CONTEXT_PREFIX + member + b":" + part


class WatchFormatError(ValueError):
    """An opened value is not a watch document (it was written by something else)."""


def watch_document(user_id: int, settings: WatchSettings, created_at: datetime) -> bytes:
    """The member's id (to send the DM, and to re-derive their pseudonym when the key is rotated),
    and everything they chose: one sealed value per watch."""
    place = settings.place
    document: dict[str, Any] = {
        "u": user_id,
        "i": settings.intervention,
        "r": settings.radius_km,
        "c": created_at.astimezone(UTC).isoformat(),
        "p": None
        if place is None
        else [
            place.name,
            place.country_code,
            place.country,
            place.point.latitude,
            place.point.longitude,
            place.population,
            place.region,
            place.kind,
        ],
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class OpenedWatch(NamedTuple):
    """What a watch's sealed value holds."""

    user_id: int
    settings: WatchSettings
    created_at: datetime


def read_watch(plaintext: bytes) -> OpenedWatch:
    try:
        data = json.loads(plaintext)
        raw_place = data["p"]
        place = None
        if raw_place is not None:
            name, code, country, latitude, longitude, population, region, kind = raw_place
            place = Place(
                name=str(name),
                country_code=str(code),
                country=str(country),
                point=GeoPoint(float(latitude), float(longitude)),
                population=int(population),
                region=None if region is None else str(region),
                kind=kind,
            )
        radius = data["r"]
        settings = WatchSettings(str(data["i"]), place, None if radius is None else int(radius))
        return OpenedWatch(int(data["u"]), settings, datetime.fromisoformat(str(data["c"])))
    except (ValueError, KeyError, TypeError) as exc:
        raise WatchFormatError(f"not a trial watch document: {exc.__class__.__name__}") from None


def state_document(known: Mapping[str, str], *, pause_untold: bool = False) -> bytes:
    """What the watch has told, and whether a pause is still to be told: sealed, since the studies
    a watch knows would show roughly where the member lives."""
    return json.dumps({"k": dict(known), "n": pause_untold}, separators=(",", ":")).encode("utf-8")


def read_state(plaintext: bytes) -> tuple[dict[str, str], bool]:
    """(known, pause_untold)."""
    try:
        data = json.loads(plaintext)
        known = {str(key): str(value) for key, value in data["k"].items()}
        return known, bool(data["n"])
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise WatchFormatError(f"not a trial watch state: {exc.__class__.__name__}") from None


def owner_of(plaintext: bytes) -> int:
    """The member's Discord id in a watch's sealed value (key rotation re-derives the pseudonym)."""
    return read_watch(plaintext).user_id
