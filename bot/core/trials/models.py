"""Typed results of a trials look-up, free of Discord and of the registry's JSON shape.

The cache stores `FetchedStudies` as JSON (see `to_json`/`from_json`), so its format is versioned:
a payload from an older format is treated as a cache miss instead of crashing a command.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Literal

from bot.core.trials.interventions import DEFAULT_INTERVENTION, intervention_option
from bot.core.trials.places import city_label

CONDITION = "multiple sclerosis"
# Quoted, so the registry matches the phrase: unquoted, its relaxed matching also returns studies that
# only mention "multiple" and "sclerosis" apart (ALS, systemic or tuberous sclerosis).
CONDITION_EXPRESSION = f'"{CONDITION}"'
# Studies a member could still join; the registry's values, joined with "|" in the request. Expanded
# access programmes have their own statuses (AVAILABLE, ...), so this also keeps them out.
OPEN_STATUSES: tuple[str, ...] = ("RECRUITING", "NOT_YET_RECRUITING")
# The registry's study types (designModule.studyType).
INTERVENTIONAL = "INTERVENTIONAL"
OBSERVATIONAL = "OBSERVATIONAL"
EXPANDED_ACCESS = "EXPANDED_ACCESS"
# Site statuses that mean "you cannot join here" even when the study as a whole recruits.
CLOSED_SITE_STATUSES = frozenset(
    {
        "ACTIVE_NOT_RECRUITING",
        "COMPLETED",
        "SUSPENDED",
        "TERMINATED",
        "WITHDRAWN",
        "NO_LONGER_AVAILABLE",
        "TEMPORARILY_NOT_AVAILABLE",
        "APPROVED_FOR_MARKETING",
        "WITHHELD",
        "UNKNOWN",
    }
)
SOURCE_NAME = "ClinicalTrials.gov"
SOURCE_URL = "https://clinicaltrials.gov"
STUDY_URL = "https://clinicaltrials.gov/study/{nct_id}"
KM_PER_MILE = 1.609344
_PAYLOAD_VERSION = 2
# Under this distance a site is shown as "in <city>": the registry's coordinates are city centres.
IN_CITY_KM = 10.0


@dataclass(frozen=True)
class GeoPoint:
    """A position in decimal degrees (WGS 84), as the registry and the gazetteer give it."""

    latitude: float
    longitude: float

    def distance_km(self, other: GeoPoint) -> float:
        """Great-circle (haversine) distance; accurate to well under 1% at the scales that matter here."""
        radius_km = 6371.0088
        lat1, lat2 = math.radians(self.latitude), math.radians(other.latitude)
        d_lat = lat2 - lat1
        d_lon = math.radians(other.longitude - self.longitude)
        h = math.sin(d_lat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(d_lon / 2) ** 2
        return 2 * radius_km * math.asin(min(1.0, math.sqrt(h)))


def km_to_miles(km: float) -> float:
    return km / KM_PER_MILE


def format_distance(km: float) -> str:
    """Both units, because members are split between them: '12 km (7 mi)'."""
    miles = km_to_miles(km)
    if km < 10:
        return f"{km:.1f} km ({miles:.1f} mi)"
    return f"{km:,.0f} km ({miles:,.0f} mi)"


def describe_distance(km: float, city: str | None) -> str:
    """'in Portland' under 10 km, else '12 km (7 mi)'.

    The registry places a site at its city's centre, so a member's own city comes out as "0.0 km"
    whichever hospital it is; a number that small claims a precision the data does not have.
    """
    if km < IN_CITY_KM:
        return f"in {city}" if city else f"under {IN_CITY_KM:.0f} km ({km_to_miles(IN_CITY_KM):.0f} mi)"
    return format_distance(km)


def describe_age(age: timedelta) -> str:
    """A short, human age for notes like 'saved 3 hours ago'."""
    minutes = max(0, int(age.total_seconds() // 60))
    if minutes < 1:
        return "less than a minute"
    if minutes < 60:
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    hours = minutes // 60
    if hours < 48:
        return f"{hours} hour{'s' if hours != 1 else ''}"
    days = hours // 24
    return f"{days} days"


PlaceKind = Literal["city", "state", "country"]


@dataclass(frozen=True)
class Place:
    """A resolved place; countries and states or provinces stand at their capital or biggest city."""

    name: str
    country_code: str
    country: str
    point: GeoPoint
    population: int = 0
    region: str | None = None
    kind: PlaceKind = "city"

    @property
    def label(self) -> str:
        """What members see and what `Gazetteer.resolve` accepts back unchanged."""
        if self.kind == "country":
            return self.country
        # The same words the place index folds into its label keys, so prefixes find this label.
        return city_label(self.name, self.region, self.country)


@dataclass(frozen=True)
class Contact:
    """Who to ask about a study, as the registry lists them; every part may be missing."""

    name: str | None = None
    phone: str | None = None
    phone_ext: str | None = None
    email: str | None = None

    @property
    def parts(self) -> tuple[str, ...]:
        """Name, email and phone (with its extension), whichever are given, as plain text."""
        phone = self.phone
        if phone and self.phone_ext:
            phone = f"{phone} ext. {self.phone_ext}"
        return tuple(part for part in (self.name, self.email, phone) if part)

    @property
    def reachable(self) -> bool:
        """A name alone is not a way to reach anyone."""
        return bool(self.email or self.phone)


class SiteAccess(StrEnum):
    """Who a site takes, decided from its own status (a study may recruit while a site does not)."""

    OPEN = "open"  # recruiting or about to; a site without a status follows its study, which is open
    BY_INVITATION = "by_invitation"  # enrols only people its team invites from a group chosen in advance
    EXPANDED_ACCESS = "expanded_access"  # treatment offered outside the trial, not a place to join it
    CLOSED = "closed"


_ACCESS_BY_STATUS: Mapping[str, SiteAccess] = {
    "RECRUITING": SiteAccess.OPEN,
    "NOT_YET_RECRUITING": SiteAccess.OPEN,
    "ENROLLING_BY_INVITATION": SiteAccess.BY_INVITATION,
    "AVAILABLE": SiteAccess.EXPANDED_ACCESS,
}


@dataclass(frozen=True)
class Site:
    """One place where a study runs; `point` is missing for some registry records."""

    facility: str | None
    city: str | None
    state: str | None
    country: str | None
    status: str | None
    point: GeoPoint | None
    contact: Contact | None = None

    @property
    def label(self) -> str:
        """'Facility, City, State, Country' with whatever parts the registry gave.

        The state or province matters: "Newark, United States" could be in New Jersey or Delaware.
        """
        parts = [p for p in (self.facility, self.city, self.state, self.country) if p]
        return ", ".join(dict.fromkeys(parts)) if parts else "Location not given"

    @property
    def access(self) -> SiteAccess:
        if self.status is None:
            return SiteAccess.OPEN
        if self.status in CLOSED_SITE_STATUSES:
            return SiteAccess.CLOSED
        # A status the registry adds later is not assumed to be open.
        return _ACCESS_BY_STATUS.get(self.status, SiteAccess.CLOSED)

    @property
    def accepts_participants(self) -> bool:
        """True when anyone who qualifies may apply here; invitation-only sites are not that."""
        return self.access is SiteAccess.OPEN


@dataclass(frozen=True)
class Study:
    """One registry record, trimmed to what /trials shows."""

    nct_id: str
    title: str
    status: str | None = None
    phases: tuple[str, ...] = ()
    acronym: str | None = None
    last_update: str | None = None
    sites: tuple[Site, ...] = ()
    study_type: str | None = None
    central_contacts: tuple[Contact, ...] = ()

    @property
    def url(self) -> str:
        return STUDY_URL.format(nct_id=self.nct_id)

    @property
    def phase_label(self) -> str:
        return phase_label(self.phases)

    @property
    def status_label(self) -> str:
        return status_label(self.status)

    @property
    def is_observational(self) -> bool:
        return self.study_type == OBSERVATIONAL

    @property
    def design_label(self) -> str:
        """'Phase 2' for a trial; observational studies and unknown types say what they are instead."""
        if self.study_type == INTERVENTIONAL:
            return self.phase_label
        if self.study_type == OBSERVATIONAL:
            return "Observational study (the study itself assigns no treatment)"
        if self.study_type is None:
            return f"{self.phase_label}, study type not given" if self.phases else "Study type not given"
        return self.study_type.replace("_", " ").capitalize()

    @property
    def contact(self) -> Contact | None:
        """The first central contact with an email or phone (else the first one with a name)."""
        for contact in self.central_contacts:
            if contact.reachable:
                return contact
        return next((contact for contact in self.central_contacts if contact.parts), None)

    def shown_by_default(self) -> bool:
        """Trials are listed unless a member asks for observational studies too.

        A record without a study type stays listed: hiding it could hide a trial. Expanded access
        programmes are never listed: they are not studies to join.
        """
        return self.study_type in (INTERVENTIONAL, None)

    def shown_with_observational(self) -> bool:
        return self.study_type != EXPANDED_ACCESS


def phase_label(phases: Sequence[str]) -> str:
    """'Phase 1/2' for ['PHASE1', 'PHASE2']; the registry's codes are not for members' eyes."""
    if not phases:
        return "Phase not given"
    numbers: list[str] = []
    words: list[str] = []
    for code in phases:
        upper = code.upper()
        if upper == "EARLY_PHASE1":
            words.append("Early phase 1")
        elif upper.startswith("PHASE") and upper[5:].isdigit():
            numbers.append(upper[5:])
        elif upper == "NA":
            words.append("Phase not applicable")
        else:
            words.append(code)
    if numbers:
        words.insert(0, "Phase " + "/".join(numbers))
    return ", ".join(words)


def status_label(status: str | None) -> str:
    """'Not yet recruiting' for 'NOT_YET_RECRUITING'."""
    if not status:
        return "Status not given"
    return status.replace("_", " ").capitalize()


@dataclass(frozen=True)
class TrialQuery:
    """What is asked of the registry: one request (and one cache entry) serves every member and place.

    `near` and the choice of study types are applied locally, so they are not part of the query.
    """

    intervention: str = DEFAULT_INTERVENTION

    def __post_init__(self) -> None:
        # Fail early (with a member-facing message) rather than sending an unknown option upstream.
        object.__setattr__(self, "intervention", intervention_option(self.intervention).key)

    @property
    def intervention_expression(self) -> str:
        return intervention_option(self.intervention).expression

    @property
    def cache_key(self) -> str:
        """Stable key for the cache; the payload version changes it when the request changes."""
        return (
            f"studies:v{_PAYLOAD_VERSION}:cond={CONDITION_EXPRESSION}:intr={self.intervention}"
            f":status={'|'.join(OPEN_STATUSES)}"
        )


@dataclass(frozen=True)
class FetchedStudies:
    """Everything one look-up brought back; this is what the cache stores."""

    studies: tuple[Study, ...]
    total_count: int | None = None
    truncated: bool = False

    def to_json(self) -> str:
        return json.dumps(
            {
                "version": _PAYLOAD_VERSION,
                "total_count": self.total_count,
                "truncated": self.truncated,
                "studies": [_study_to_dict(study) for study in self.studies],
            },
            ensure_ascii=False,
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str) -> FetchedStudies:
        """Raise ValueError on anything but this version's shape, so callers can treat it as a miss."""
        try:
            data = json.loads(text)
            if not isinstance(data, dict) or data.get("version") != _PAYLOAD_VERSION:
                raise ValueError("cached trials payload has an unknown version")
            total = data.get("total_count")
            return cls(
                studies=tuple(_study_from_dict(item) for item in data["studies"]),
                total_count=int(total) if total is not None else None,
                truncated=bool(data.get("truncated", False)),
            )
        except (KeyError, TypeError, AttributeError, IndexError) as exc:
            raise ValueError(f"cached trials payload is malformed: {exc!r}") from exc


def _point_to_list(point: GeoPoint | None) -> list[float] | None:
    return None if point is None else [point.latitude, point.longitude]


def _point_from_list(value: Any) -> GeoPoint | None:
    return None if value is None else GeoPoint(float(value[0]), float(value[1]))


def _contact_to_dict(contact: Contact | None) -> dict[str, str | None] | None:
    return None if contact is None else asdict(contact)


def _contact_from_dict(data: Any) -> Contact | None:
    if data is None:
        return None
    return Contact(**{key: data.get(key) for key in ("name", "phone", "phone_ext", "email")})


def _study_to_dict(study: Study) -> dict[str, Any]:
    return {
        "nct_id": study.nct_id,
        "title": study.title,
        "status": study.status,
        "phases": list(study.phases),
        "acronym": study.acronym,
        "last_update": study.last_update,
        "study_type": study.study_type,
        "central_contacts": [_contact_to_dict(contact) for contact in study.central_contacts],
        "sites": [
            {
                "facility": site.facility,
                "city": site.city,
                "state": site.state,
                "country": site.country,
                "status": site.status,
                "point": _point_to_list(site.point),
                "contact": _contact_to_dict(site.contact),
            }
            for site in study.sites
        ],
    }


def _study_from_dict(data: Mapping[str, Any]) -> Study:
    return Study(
        nct_id=data["nct_id"],
        title=data["title"],
        status=data.get("status"),
        phases=tuple(data.get("phases") or ()),
        acronym=data.get("acronym"),
        last_update=data.get("last_update"),
        study_type=data.get("study_type"),
        central_contacts=tuple(
            contact
            for item in data.get("central_contacts") or ()
            if (contact := _contact_from_dict(item)) is not None
        ),
        sites=tuple(
            Site(
                facility=site.get("facility"),
                city=site.get("city"),
                state=site.get("state"),
                country=site.get("country"),
                status=site.get("status"),
                point=_point_from_list(site.get("point")),
                contact=_contact_from_dict(site.get("contact")),
            )
            for site in data.get("sites") or ()
        ),
    )


@dataclass(frozen=True)
class RankedStudy:
    """A study with its nearest site to the member (when a place was given and a site has coordinates).

    `nearest_site` is the nearest site open to anyone who qualifies; when a study has none with a
    location, it is the nearest invitation-only site instead. `closer_invited_site` is an
    invitation-only site nearer than `nearest_site`, shown beside it so nothing near is hidden.
    """

    study: Study
    nearest_site: Site | None = None
    distance_km: float | None = None
    closer_invited_site: Site | None = None
    closer_invited_km: float | None = None

    @property
    def distance_miles(self) -> float | None:
        return None if self.distance_km is None else km_to_miles(self.distance_km)

    @property
    def distance_label(self) -> str | None:
        """'in Portland' under 10 km, else both units."""
        if self.distance_km is None:
            return None
        return describe_distance(self.distance_km, self.nearest_site.city if self.nearest_site else None)

    @property
    def open_to_apply(self) -> bool:
        """Whether the nearest site takes applications from anyone who qualifies."""
        return self.nearest_site is not None and self.nearest_site.accepts_participants


@dataclass(frozen=True)
class TrialResults:
    """The answer to one /trials call; `stale` means the registry failed and this is the last saved copy."""

    query: TrialQuery
    entries: tuple[RankedStudy, ...]
    fetched_at: datetime
    age: timedelta = timedelta(0)
    stale: bool = False
    near: Place | None = None
    total_count: int | None = None
    truncated: bool = False
    source: str = field(default=SOURCE_NAME)
    include_observational: bool = False
    #: Observational studies left out of `entries` because the member did not ask for them.
    hidden_observational: int = 0

    @property
    def age_label(self) -> str:
        return describe_age(self.age)

    @property
    def stale_note(self) -> str | None:
        """The sentence shown beside stale results, so members know how old the list is."""
        if not self.stale:
            return None
        return (
            f"{SOURCE_NAME} could not be reached just now, so this is the list saved "
            f"{self.age_label} ago. Studies may have opened or closed since."
        )

    def page_count(self, per_page: int = 5) -> int:
        return max(1, math.ceil(len(self.entries) / per_page))

    def page(self, index: int, per_page: int = 5) -> tuple[RankedStudy, ...]:
        """Entries of page `index` (0-based), clamped to the last page so a stale button still works."""
        index = min(max(index, 0), self.page_count(per_page) - 1)
        start = index * per_page
        return self.entries[start : start + per_page]
