"""Turn ClinicalTrials.gov API v2 JSON into `Study` objects.

Tolerant by design: the registry omits modules and fields freely (no locations, no phases, no
geoPoint), so a missing part gives an empty value instead of an error. Only a response whose
overall shape is wrong (not an object, `studies` not a list) is rejected, because that means we
are not talking to the API we think we are.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.core.trials.models import Contact, GeoPoint, Site, Study


class MalformedResponse(ValueError):
    """The body is not the API's `{"studies": [...]}` shape."""


@dataclass(frozen=True)
class StudiesPage:
    """One page of `GET /studies`."""

    studies: tuple[Study, ...]
    next_page_token: str | None
    total_count: int | None


def parse_studies_page(payload: Any) -> StudiesPage:
    """Parse a decoded response body; records without an NCT number are skipped."""
    if not isinstance(payload, Mapping):
        raise MalformedResponse(f"expected a JSON object, got {type(payload).__name__}")
    raw_studies = payload.get("studies", [])
    if not isinstance(raw_studies, list):
        raise MalformedResponse("'studies' is not a list")
    studies = tuple(study for raw in raw_studies if (study := parse_study(raw)) is not None)
    token = payload.get("nextPageToken")
    total = payload.get("totalCount")
    return StudiesPage(
        studies=studies,
        next_page_token=token if isinstance(token, str) and token else None,
        total_count=total if isinstance(total, int) and not isinstance(total, bool) else None,
    )


def parse_study(raw: Any) -> Study | None:
    """One study record, or None when it has no NCT number (nothing to link to)."""
    protocol = _module(raw, "protocolSection")
    identification = _module(protocol, "identificationModule")
    nct_id = _text(identification.get("nctId"))
    if nct_id is None:
        return None
    status_module = _module(protocol, "statusModule")
    design = _module(protocol, "designModule")
    contacts_locations = _module(protocol, "contactsLocationsModule")
    locations = contacts_locations.get("locations")
    phases = design.get("phases")
    return Study(
        nct_id=nct_id,
        title=_text(identification.get("briefTitle")) or _text(identification.get("officialTitle")) or nct_id,
        acronym=_text(identification.get("acronym")),
        status=_text(status_module.get("overallStatus")),
        phases=tuple(p for p in phases if isinstance(p, str)) if isinstance(phases, list) else (),
        last_update=_text(_module(status_module, "lastUpdatePostDateStruct").get("date")),
        study_type=_text(design.get("studyType")),
        central_contacts=_contacts(contacts_locations.get("centralContacts")),
        sites=tuple(parse_site(item) for item in locations if isinstance(item, Mapping))
        if isinstance(locations, list)
        else (),
    )


def parse_site(raw: Mapping[str, Any]) -> Site:
    """One location; a missing or nonsensical geoPoint leaves the site without coordinates."""
    return Site(
        facility=_text(raw.get("facility")),
        city=_text(raw.get("city")),
        state=_text(raw.get("state")),
        country=_text(raw.get("country")),
        status=_text(raw.get("status")),
        point=_geo_point(raw.get("geoPoint")),
        contact=next(iter(_contacts(raw.get("contacts"))), None),
    )


def _contacts(raw: Any) -> tuple[Contact, ...]:
    """Contacts with at least a name, email or phone; the registry's `role` is not shown."""
    if not isinstance(raw, list):
        return ()
    found: list[Contact] = []
    for item in raw:
        if not isinstance(item, Mapping):
            continue
        contact = Contact(
            name=_text(item.get("name")),
            phone=_text(item.get("phone")),
            phone_ext=_text(item.get("phoneExt")),
            email=_text(item.get("email")),
        )
        if contact.parts:
            found.append(contact)
    return tuple(found)


def _geo_point(raw: Any) -> GeoPoint | None:
    if not isinstance(raw, Mapping):
        return None
    lat, lon = _number(raw.get("lat")), _number(raw.get("lon"))
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return GeoPoint(lat, lon)


def _module(parent: Any, name: str) -> Mapping[str, Any]:
    value = parent.get(name) if isinstance(parent, Mapping) else None
    return value if isinstance(value, Mapping) else {}


def _text(value: Any) -> str | None:
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None
