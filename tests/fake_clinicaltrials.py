"""A local stand-in for the ClinicalTrials.gov API v2 (`GET /api/v2/studies`) on 127.0.0.1.

Used by the trials client and service tests and by the end-to-end suite, so no test ever calls
the real registry. It answers in the API's real shape (`studies`, `nextPageToken`, `totalCount`,
records under `protocolSection`), and behaves like the registry where our code depends on it:

- Only the API's documented parameters are accepted, and `fields` only takes documented field
  names ("pieces" such as `NCTId`, `StudyType`, or whole modules such as
  `ContactsLocationsModule`); anything else is refused with HTTP 400, as the registry refuses it.
  Each record is trimmed to the requested fields, so a field the client forgets to ask for is
  missing from the answer, as it would be.
- `query.cond` follows Essie's two ways of matching: a quoted phrase must appear as written in
  one of the record's conditions, keywords or titles; unquoted words may appear anywhere and
  apart (the registry's relaxed matching, which is how "multiple ... sclerosis" finds ALS studies).
- `query.intr` (a small Essie subset: quoted phrases and words joined by `OR`) matches whole
  words, as written, in intervention names, other names and descriptions.
- `filter.overallStatus` (pipe or comma list of the registry's values), `filter.ids` (NCT numbers,
  pipe or comma separated; a malformed one is refused), `sort` on a date field,
  `pageSize` (default 10, at most 1,000) and `pageToken`: a token only works with the same other
  parameters it was issued for, otherwise HTTP 400, as the API documents. `countTotal=true` adds
  `totalCount` to the first page.

Between two looks, a test changes the registry as time would: `add_study(make_study(...))` (a new
record, built like the defaults with `make_study` and `make_site`), `set_status(nct_id, status)` and
`remove_study(nct_id)`.

Switch `mode` to make it fail: "error" (HTTP `error_status`, 500 by default), "slow" (answers
after `slow_seconds`, to trigger client timeouts), "malformed" (a body that is not JSON) or
"bad_shape" (JSON without a `studies` list); `healthy_requests` lets that many requests succeed
first (a failure on a later page). Every request is recorded in `requests`, refused ones in
`refusals`.

Study records are illustrative: identifiers and titles of known MS cell-therapy studies are
reused (NCT09xxxxxx ones are invented), but site lists, statuses, contacts and dates are made up
for tests (contact addresses use example.org, phone numbers the fictional 555 range).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import copy
import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from aiohttp import web

Mode = Literal["ok", "error", "slow", "malformed", "bad_shape"]

# The query parameters GET /studies documents; the registry answers 400 to any other.
KNOWN_PARAMETERS = frozenset(
    {
        "format",
        "markupFormat",
        "query.cond",
        "query.term",
        "query.locn",
        "query.titles",
        "query.intr",
        "query.outc",
        "query.spons",
        "query.lead",
        "query.id",
        "query.patient",
        "filter.overallStatus",
        "filter.geo",
        "filter.ids",
        "filter.advanced",
        "filter.synonyms",
        "postFilter.overallStatus",
        "postFilter.geo",
        "postFilter.ids",
        "postFilter.advanced",
        "postFilter.synonyms",
        "aggFilters",
        "geoDecay",
        "fields",
        "sort",
        "countTotal",
        "pageSize",
        "pageToken",
    }
)
OVERALL_STATUSES = frozenset(
    {
        "ACTIVE_NOT_RECRUITING",
        "COMPLETED",
        "ENROLLING_BY_INVITATION",
        "NOT_YET_RECRUITING",
        "RECRUITING",
        "SUSPENDED",
        "TERMINATED",
        "WITHDRAWN",
        "AVAILABLE",
        "NO_LONGER_AVAILABLE",
        "TEMPORARILY_NOT_AVAILABLE",
        "APPROVED_FOR_MARKETING",
        "WITHHELD",
        "UNKNOWN",
    }
)
# Documented field names and where each lives in a record. Modules are whole objects; a piece is
# one value inside its module. (A subset of the registry's list: the ones a test may ask for.)
FIELD_PATHS: Mapping[str, tuple[str, ...]] = {
    "ProtocolSection": ("protocolSection",),
    "IdentificationModule": ("protocolSection", "identificationModule"),
    "StatusModule": ("protocolSection", "statusModule"),
    "DesignModule": ("protocolSection", "designModule"),
    "ConditionsModule": ("protocolSection", "conditionsModule"),
    "ArmsInterventionsModule": ("protocolSection", "armsInterventionsModule"),
    "ContactsLocationsModule": ("protocolSection", "contactsLocationsModule"),
    "NCTId": ("protocolSection", "identificationModule", "nctId"),
    "BriefTitle": ("protocolSection", "identificationModule", "briefTitle"),
    "OfficialTitle": ("protocolSection", "identificationModule", "officialTitle"),
    "Acronym": ("protocolSection", "identificationModule", "acronym"),
    "OverallStatus": ("protocolSection", "statusModule", "overallStatus"),
    "LastUpdatePostDate": ("protocolSection", "statusModule", "lastUpdatePostDateStruct"),
    "StartDate": ("protocolSection", "statusModule", "startDateStruct"),
    "StudyType": ("protocolSection", "designModule", "studyType"),
    "Phase": ("protocolSection", "designModule", "phases"),
    "EnrollmentCount": ("protocolSection", "designModule", "enrollmentInfo"),
    "Condition": ("protocolSection", "conditionsModule", "conditions"),
    "Keyword": ("protocolSection", "conditionsModule", "keywords"),
    "HasResults": ("hasResults",),
}
# Fields `sort` accepts here (dates), with where their value lives.
SORT_FIELDS: Mapping[str, tuple[str, ...]] = {
    "LastUpdatePostDate": ("protocolSection", "statusModule", "lastUpdatePostDateStruct", "date"),
    "StartDate": ("protocolSection", "statusModule", "startDateStruct", "date"),
}


def _site(
    facility: str,
    city: str,
    country: str,
    lat: float | None,
    lon: float | None,
    *,
    status: str = "RECRUITING",
    state: str | None = None,
    contact: dict[str, str] | None = None,
) -> dict[str, Any]:
    site: dict[str, Any] = {"facility": facility, "status": status, "city": city, "country": country}
    if state:
        site["state"] = state
    if contact:
        site["contacts"] = [{"role": "CONTACT", **contact}]
    if lat is not None and lon is not None:
        site["geoPoint"] = {"lat": lat, "lon": lon}
    return site


def _study(
    nct_id: str,
    title: str,
    *,
    status: str,
    phases: list[str] | None,
    interventions: list[str],
    sites: list[dict[str, Any]] | None,
    acronym: str | None = None,
    updated: str = "2025-11-03",
    study_type: str = "INTERVENTIONAL",
    conditions: Sequence[str] = ("Multiple Sclerosis",),
    central_contacts: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    identification: dict[str, Any] = {"nctId": nct_id, "briefTitle": title}
    if acronym:
        identification["acronym"] = acronym
    protocol: dict[str, Any] = {
        "identificationModule": identification,
        "statusModule": {
            "overallStatus": status,
            "lastUpdatePostDateStruct": {"date": updated, "type": "ACTUAL"},
        },
        "conditionsModule": {"conditions": list(conditions)},
        "armsInterventionsModule": {
            "interventions": [{"type": "BIOLOGICAL", "name": name} for name in interventions]
        },
    }
    if phases is not None:
        design: dict[str, Any] = {"studyType": study_type}
        if phases:
            design["phases"] = phases
        protocol["designModule"] = design
    contacts_locations: dict[str, Any] = {}
    if central_contacts:
        contacts_locations["centralContacts"] = [{"role": "CONTACT", **c} for c in central_contacts]
    if sites is not None:
        contacts_locations["locations"] = sites
    if contacts_locations:
        protocol["contactsLocationsModule"] = contacts_locations
    return {"protocolSection": protocol, "derivedSection": {"miscInfoModule": {}}, "hasResults": False}


#: A site record in the registry's shape (for `make_study`).
make_site = _site


def make_study(
    nct_id: str,
    title: str,
    *,
    sites: list[dict[str, Any]] | None,
    status: str = "RECRUITING",
    interventions: Sequence[str] = ("Autologous haematopoietic stem cell transplantation",),
    phases: list[str] | None = None,
    study_type: str = "INTERVENTIONAL",
    updated: str = "2026-01-05",
) -> dict[str, Any]:
    """A study record in the registry's shape, an MS trial by default, to `add_study` between looks."""
    return _study(
        nct_id,
        title,
        status=status,
        phases=["PHASE2"] if phases is None else phases,
        interventions=list(interventions),
        sites=sites,
        study_type=study_type,
        updated=updated,
    )


def new_trial_near_chicago() -> dict[str, Any]:
    """An aHSCT trial registered after the defaults, with one site in Evanston (20 km from Chicago):
    what a trial watch near Chicago must tell its member about."""
    return make_study(
        "NCT09000010",
        "Autologous Haematopoietic Stem Cell Transplant in Active MS (illustrative)",
        sites=[_site("Example Lakeside Hospital", "Evanston", "United States", 42.04114, -87.69006)],
    )


def default_studies() -> list[dict[str, Any]]:
    """Thirteen records: open MS cell-therapy trials with sites in the US, UK, Canada and Europe,
    one observational MS study, and one ALS study that only an unquoted condition finds."""
    return [
        _study(
            "NCT04047628",
            "Best Available Therapy Versus Autologous Hematopoetic Stem Cell Transplant for Multiple "
            "Sclerosis (BEAT-MS)",
            acronym="BEAT-MS",
            status="RECRUITING",
            phases=["PHASE3"],
            interventions=["Autologous Hematopoietic Stem Cell Transplant", "Best Available Therapy"],
            updated="2025-12-01",
            central_contacts=[
                {"name": "BEAT-MS Study Coordinator", "phone": "+1 555 0100", "email": "beat-ms@example.org"}
            ],
            sites=[
                _site(
                    "Example University Hospital",
                    "Chicago",
                    "United States",
                    41.85003,
                    -87.65005,
                    state="Illinois",
                    contact={"name": "Chicago Site Nurse", "email": "chicago_site@example.org"},
                ),
                _site(
                    "Example Cancer Center",
                    "Seattle",
                    "United States",
                    47.60621,
                    -122.33207,
                    state="Washington",
                ),
                _site(
                    "Example Hospital",
                    "London",
                    "United Kingdom",
                    51.50853,
                    -0.12574,
                    status="NOT_YET_RECRUITING",
                ),
                _site("Example Teaching Hospital", "Sheffield", "United Kingdom", 53.38297, -1.4659),
                _site(
                    "Example Health and Science University",
                    "Portland",
                    "United States",
                    45.52345,
                    -122.67621,
                    state="Oregon",
                ),
                # Nearer to Newark than any open site of this study, but only for people it invites.
                _site(
                    "Example Invitation Center",
                    "Newark",
                    "United States",
                    40.73566,
                    -74.17237,
                    state="New Jersey",
                    status="ENROLLING_BY_INVITATION",
                ),
            ],
        ),
        _study(
            "NCT03477500",
            "Randomized Autologous Hematopoietic Stem Cell Transplantation Versus Alemtuzumab, Cladribine "
            "or Ocrelizumab for Relapsing Remitting Multiple Sclerosis (RAM-MS)",
            acronym="RAM-MS",
            status="RECRUITING",
            phases=["PHASE3"],
            interventions=["Autologous hematopoietic stem cell transplantation", "Alemtuzumab"],
            updated="2025-10-20",
            sites=[
                _site("Example University Hospital", "Bergen", "Norway", 60.39299, 5.32415),
                _site("Example Hospital", "Oslo", "Norway", 59.91273, 10.74609),
                _site("Example Academic Hospital", "Uppsala", "Sweden", 59.85882, 17.63889),
                _site("Example Karolinska Site", "Stockholm", "Sweden", 59.32938, 18.06871),
            ],
        ),
        _study(
            "NCT03355365",
            "Phase II Study of Intrathecal Mesenchymal Stem Cell-derived Neural Progenitors "
            "in Progressive MS",
            status="RECRUITING",
            phases=["PHASE2"],
            interventions=["Autologous mesenchymal stem cell-derived neural progenitors (MSC-NP)"],
            updated="2025-09-15",
            sites=[
                _site(
                    "Example MS Research Center",
                    "New York",
                    "United States",
                    40.71427,
                    -74.00597,
                    state="New York",
                )
            ],
        ),
        _study(
            "NCT03269071",
            "Neural Stem Cell Transplantation in Progressive Multiple Sclerosis (STEMS)",
            acronym="STEMS",
            status="NOT_YET_RECRUITING",
            phases=["PHASE1"],
            interventions=["Human fetal neural stem cells (neural precursor cells)"],
            updated="2025-08-01",
            sites=[
                _site(
                    "Example Scientific Institute",
                    "Milan",
                    "Italy",
                    45.46427,
                    9.18951,
                    status="NOT_YET_RECRUITING",
                )
            ],
        ),
        _study(
            "NCT09000001",
            "Autologous Haemopoietic Stem Cell Transplantation in Aggressive Relapsing MS (illustrative)",
            status="NOT_YET_RECRUITING",
            phases=["PHASE2"],
            interventions=["Autologous haemopoietic stem cell transplantation"],
            updated="2025-07-10",
            sites=[
                _site(
                    "Example General Hospital",
                    "Ottawa",
                    "Canada",
                    45.41117,
                    -75.69812,
                    state="Ontario",
                    status="NOT_YET_RECRUITING",
                ),
                _site(
                    "Example Neurological Institute",
                    "Montreal",
                    "Canada",
                    45.50884,
                    -73.58781,
                    state="Quebec",
                    status="NOT_YET_RECRUITING",
                ),
                _site(
                    "Example University Hospital",
                    "London",
                    "Canada",
                    42.98339,
                    -81.23304,
                    state="Ontario",
                    status="NOT_YET_RECRUITING",
                ),
            ],
        ),
        _study(
            "NCT09000002",
            "Bone Marrow Mesenchymal Stromal Cells in Relapsing MS (illustrative, sites without coordinates)",
            status="RECRUITING",
            phases=None,  # no designModule at all
            interventions=["Mesenchymal stromal cells"],
            updated="2025-06-05",
            sites=[_site("Example Clinic", "London", "United Kingdom", None, None)],
        ),
        _study(
            "NCT09000003",
            "Umbilical Cord Mesenchymal Stem Cells for Secondary Progressive MS (illustrative)",
            status="RECRUITING",
            phases=["PHASE1", "PHASE2"],
            interventions=["Umbilical cord-derived mesenchymal stem cells"],
            updated="2025-05-01",
            sites=[
                # Closer to Uppsala than anything else, but closed: must not count as nearest.
                _site("Example Closed Site", "Uppsala", "Sweden", 59.8586, 17.6389, status="WITHDRAWN"),
                _site("Example Research Hospital", "Toronto", "Canada", 43.70643, -79.39864, state="Ontario"),
            ],
        ),
        _study(
            "NCT09000004",
            "Intrathecal Autologous Mesenchymal Stem Cells in Progressive MS (illustrative)",
            status="RECRUITING",
            phases=["PHASE2"],
            interventions=["Autologous mesenchymal stem cells"],
            updated="2025-04-01",
            sites=None,  # no contactsLocationsModule
        ),
        _study(
            "NCT09000005",
            "Autologous Bone Marrow Transplantation for Highly Active MS (illustrative)",
            status="RECRUITING",
            phases=["PHASE2"],
            interventions=["Autologous bone marrow transplantation"],
            updated="2025-03-20",
            central_contacts=[{"phone": "+1 555 0199", "phoneExt": "42"}],
            sites=[
                _site(
                    "Example Medical Center",
                    "Portland",
                    "United States",
                    43.66147,
                    -70.25533,
                    state="Maine",
                )
            ],
        ),
        _study(
            "NCT09000006",
            "Adipose-derived Stromal Cells in Progressive MS (illustrative)",
            status="RECRUITING",
            phases=["PHASE1"],
            interventions=["Autologous adipose-derived stromal cells"],
            updated="2025-03-01",
            sites=[
                _site(
                    "Example Research Hospital",
                    "Newark",
                    "United States",
                    39.68372,
                    -75.74966,
                    state="Delaware",
                )
            ],
        ),
        _study(
            "NCT09000007",
            "Long-term Follow-up of People With MS After Haematopoietic Stem Cell Transplant (illustrative)",
            status="RECRUITING",
            phases=[],
            study_type="OBSERVATIONAL",
            interventions=["Autologous haematopoietic stem cell transplantation (given as usual care)"],
            updated="2025-02-15",
            sites=[
                _site(
                    "Example Follow-up Clinic",
                    "Chicago",
                    "United States",
                    41.85003,
                    -87.65005,
                    state="Illinois",
                )
            ],
        ),
        _study(
            "NCT09000008",
            "Multiple Ascending Doses of Neural Progenitor Cells in Amyotrophic Lateral Sclerosis "
            "(illustrative)",
            status="RECRUITING",
            phases=["PHASE1"],
            conditions=("Amyotrophic Lateral Sclerosis",),
            interventions=["Neural progenitor cells", "Hematopoietic growth factor"],
            updated="2025-12-03",
            sites=[
                _site(
                    "Example ALS Center",
                    "Los Angeles",
                    "United States",
                    34.05223,
                    -118.24368,
                    state="California",
                )
            ],
        ),
        _study(
            "NCT09000009",
            "Intracerebroventricular Allogeneic Neural Stem Cells in Progressive MS (illustrative)",
            status="RECRUITING",
            phases=["PHASE1"],
            interventions=["Allogeneic human neural stem cells (hNSCs)"],
            updated="2025-01-10",
            sites=[
                # Expanded access (treatment outside the trial): never a place to join the trial.
                _site(
                    "Example Expanded Access Programme",
                    "Milan",
                    "Italy",
                    45.46427,
                    9.18951,
                    status="AVAILABLE",
                ),
                _site("Example Neurology Hospital", "Rome", "Italy", 41.89193, 12.51133),
            ],
        ),
    ]


ALS_STUDY = "NCT09000008"
OBSERVATIONAL_STUDY = "NCT09000007"


def ms_studies() -> list[dict[str, Any]]:
    """The records the quoted condition finds: every default record but the ALS one."""
    return [
        s for s in default_studies() if s["protocolSection"]["identificationModule"]["nctId"] != ALS_STUDY
    ]


@dataclass(frozen=True)
class RecordedRequest:
    """One request the fake received."""

    path: str
    params: dict[str, str]
    user_agent: str | None


class BadRequest(ValueError):
    """A request the registry would refuse with HTTP 400."""


_TERM = re.compile(r'"([^"]+)"|([^\s()"]+)')
_NCT_ID = re.compile(r"NCT\d{8}")


def _essie_terms(expression: str) -> list[tuple[str, bool]]:
    """(term, quoted) pairs of an `a OR "b c"` expression; upper-case OR/AND are operators, as in Essie."""
    terms = []
    for phrase, word in _TERM.findall(expression):
        if word in {"OR", "AND"}:
            continue
        terms.append(((phrase or word).lower(), bool(phrase)))
    return terms


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def _contains_phrase(text: str, phrase: str) -> bool:
    """Whole words in order: "neural stem cell" is not found in "neural stem cells"."""
    wanted, words = _words(phrase), _words(text)
    return any(words[i : i + len(wanted)] == wanted for i in range(len(words) - len(wanted) + 1))


def _at(record: Mapping[str, Any], path: Sequence[str]) -> Any:
    node: Any = record
    for key in path:
        if not isinstance(node, Mapping) or key not in node:
            return None
        node = node[key]
    return node


def _put(target: dict[str, Any], path: Sequence[str], value: Any) -> None:
    for key in path[:-1]:
        target = target.setdefault(key, {})
    target[path[-1]] = copy.deepcopy(value)


class FakeClinicalTrials:
    """The fake registry: `await start()` returns the base URL to give the client; `await stop()`."""

    def __init__(self, studies: Iterable[Mapping[str, Any]] | None = None) -> None:
        self.studies: list[dict[str, Any]] = [copy.deepcopy(dict(s)) for s in (studies or default_studies())]
        self.requests: list[RecordedRequest] = []
        self.refusals: list[str] = []
        self.mode: Mode = "ok"
        self.error_status = 500
        self.slow_seconds = 10.0
        self.healthy_requests = 0
        self._release = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    async def start(self) -> str:
        app = web.Application()
        app.router.add_get("/api/v2/studies", self._studies)
        self._runner = web.AppRunner(app, handler_cancellation=True)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base_url = f"http://127.0.0.1:{port}/api/v2"
        return self.base_url

    async def stop(self) -> None:
        self._release.set()  # let any "slow" handler finish at once
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeClinicalTrials:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    def add_study(self, record: Mapping[str, Any]) -> None:
        """A record the registry holds from now on (as if just registered)."""
        self.studies.append(copy.deepcopy(dict(record)))

    def set_status(self, nct_id: str, status: str) -> None:
        """Change a study's overall status (a trial that starts recruiting, or closes)."""
        if status not in OVERALL_STATUSES:
            raise ValueError(f"not a registry status: {status}")
        self._record(nct_id)["protocolSection"]["statusModule"]["overallStatus"] = status

    def remove_study(self, nct_id: str) -> None:
        """The registry no longer holds the record (it happens when one is withdrawn and merged)."""
        self.studies.remove(self._record(nct_id))

    def _record(self, nct_id: str) -> dict[str, Any]:
        for study in self.studies:
            if _at(study, ("protocolSection", "identificationModule", "nctId")) == nct_id:
                return study
        raise KeyError(nct_id)

    @property
    def study_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path == "/api/v2/studies"]

    async def _studies(self, request: web.Request) -> web.Response:
        params = dict(request.query)
        self.requests.append(RecordedRequest(request.path, params, request.headers.get("User-Agent")))
        mode = self.mode if len(self.requests) > self.healthy_requests else "ok"
        if mode == "slow":
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._release.wait(), self.slow_seconds)
        elif mode == "error":
            return web.json_response({"message": "Internal server error"}, status=self.error_status)
        elif mode == "malformed":
            return web.Response(text='{"studies": [{"protocolSection": ', content_type="application/json")
        elif mode == "bad_shape":
            return web.json_response({"studies": "not a list"})
        try:
            return web.json_response(self.answer(params))
        except BadRequest as problem:
            self.refusals.append(str(problem))
            return web.Response(status=400, text=str(problem))

    def answer(self, params: Mapping[str, str]) -> dict[str, Any]:
        """The body the registry would send for `params`; raises `BadRequest` where it answers 400."""
        unknown = sorted(set(params) - KNOWN_PARAMETERS)
        if unknown:
            raise BadRequest(f"unknown parameter(s): {', '.join(unknown)}")
        fields = self._fields(params.get("fields"))
        matching = self._sorted(self._matching(params), params.get("sort"))
        try:
            page_size = min(int(params.get("pageSize", "10")), 1000)
        except ValueError:
            raise BadRequest("pageSize must be a number") from None
        signature = self._signature(params)
        offset = 0
        if "pageToken" in params:
            decoded = self._decode_token(params["pageToken"])
            if decoded is None or decoded[1] != signature:
                raise BadRequest("pageToken does not match the query")
            offset = decoded[0]
        page = matching[offset : offset + page_size]
        body: dict[str, Any] = {"studies": [self._trimmed(study, fields) for study in page]}
        if offset + page_size < len(matching):
            body["nextPageToken"] = self._encode_token(offset + page_size, signature)
        if params.get("countTotal") == "true" and "pageToken" not in params:
            body["totalCount"] = len(matching)
        return body

    @staticmethod
    def _fields(value: str | None) -> list[tuple[str, ...]] | None:
        if value is None:
            return None
        names = [name for name in re.split(r"[|,]", value) if name]
        unknown = [name for name in names if name not in FIELD_PATHS]
        if unknown:
            raise BadRequest(f"unknown field(s) in 'fields': {', '.join(unknown)}")
        return [FIELD_PATHS[name] for name in names]

    @staticmethod
    def _trimmed(study: Mapping[str, Any], fields: list[tuple[str, ...]] | None) -> dict[str, Any]:
        if fields is None:
            return copy.deepcopy(dict(study))
        trimmed: dict[str, Any] = {}
        for path in fields:
            value = _at(study, path)
            if value is not None:
                _put(trimmed, path, value)
        return trimmed

    def _matching(self, params: Mapping[str, str]) -> list[dict[str, Any]]:
        statuses = {s for s in re.split(r"[|,]", params.get("filter.overallStatus", "")) if s}
        if statuses - OVERALL_STATUSES:
            raise BadRequest(f"unknown status(es): {', '.join(sorted(statuses - OVERALL_STATUSES))}")
        condition = params.get("query.cond", "").strip()
        interventions = _essie_terms(params.get("query.intr", ""))
        ids = {i for i in re.split(r"[|,]", params.get("filter.ids", "")) if i}
        malformed = sorted(i for i in ids if not _NCT_ID.fullmatch(i))
        if malformed:
            raise BadRequest(f"filter.ids: not NCT numbers: {', '.join(malformed)}")
        found = []
        for study in self.studies:
            status = _at(study, ("protocolSection", "statusModule", "overallStatus"))
            if statuses and status not in statuses:
                continue
            if ids and _at(study, ("protocolSection", "identificationModule", "nctId")) not in ids:
                continue
            if condition and not self._condition_matches(study, condition):
                continue
            if interventions and not self._intervention_matches(study, interventions):
                continue
            found.append(study)
        return found

    @staticmethod
    def _condition_matches(study: Mapping[str, Any], expression: str) -> bool:
        conditions = _at(study, ("protocolSection", "conditionsModule")) or {}
        identification = _at(study, ("protocolSection", "identificationModule")) or {}
        texts = [
            *conditions.get("conditions", []),
            *conditions.get("keywords", []),
            identification.get("briefTitle", ""),
            identification.get("officialTitle", ""),
        ]
        if expression.startswith('"') and expression.endswith('"'):
            return any(_contains_phrase(text, expression.strip('"')) for text in texts)
        # Relaxed matching: every word somewhere in the record's condition area, in any order.
        present = {word for text in texts for word in _words(text)}
        return all(word in present for word in _words(expression))

    @staticmethod
    def _intervention_matches(study: Mapping[str, Any], terms: list[tuple[str, bool]]) -> bool:
        items = _at(study, ("protocolSection", "armsInterventionsModule", "interventions")) or []
        texts = [
            text
            for item in items
            for text in (item.get("name", ""), item.get("description", ""), *item.get("otherNames", []))
        ]
        return any(_contains_phrase(text, term) for text in texts for term, _quoted in terms)

    @staticmethod
    def _sorted(studies: list[dict[str, Any]], sort: str | None) -> list[dict[str, Any]]:
        if not sort:
            return studies
        field, _, direction = sort.partition(":")
        if field not in SORT_FIELDS or direction not in ("", "asc", "desc"):
            raise BadRequest(f"cannot sort by {sort!r}")
        path = SORT_FIELDS[field]
        return sorted(studies, key=lambda s: _at(s, path) or "", reverse=direction == "desc")

    @staticmethod
    def _signature(params: Mapping[str, str]) -> str:
        others = sorted((k, v) for k, v in params.items() if k != "pageToken")
        return hashlib.sha256(json.dumps(others).encode()).hexdigest()[:16]

    @staticmethod
    def _encode_token(offset: int, signature: str) -> str:
        return base64.urlsafe_b64encode(f"{offset}:{signature}".encode()).decode().rstrip("=")

    @staticmethod
    def _decode_token(token: str) -> tuple[int, str] | None:
        try:
            text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
            offset, signature = text.split(":", 1)
            return int(offset), signature
        except ValueError:
            return None
