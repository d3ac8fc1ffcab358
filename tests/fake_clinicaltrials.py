"""A local stand-in for the ClinicalTrials.gov API v2 (`GET /api/v2/studies`) on 127.0.0.1.

Used by the trials client and service tests and by the end-to-end suite, so no test ever calls
the real registry. It answers in the API's real shape (`studies`, `nextPageToken`, `totalCount`,
records under `protocolSection`), and behaves like the registry where our code depends on it:

- `filter.overallStatus` (pipe or comma list) and `query.intr` (a small Essie subset: quoted
  phrases and words joined by `OR`, matched against intervention names) narrow the records;
- `pageSize` (default 10, at most 1,000) and `pageToken`: a token only works with the same
  other parameters it was issued for, otherwise HTTP 400, as the API documents;
- `countTotal=true` adds `totalCount` to the first page.

Switch `mode` to make it fail: "error" (HTTP `error_status`, 500 by default), "slow" (answers
after `slow_seconds`, to trigger client timeouts), "malformed" (a body that is not JSON) or
"bad_shape" (JSON without a `studies` list); `healthy_requests` lets that many requests succeed
first (a failure on a later page). Every request is recorded in `requests`.

Study records are illustrative: identifiers and titles of known MS cell-therapy studies are
reused (NCT09xxxxxx ones are invented), but site lists, statuses and dates are made up for tests.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import copy
import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from aiohttp import web

Mode = Literal["ok", "error", "slow", "malformed", "bad_shape"]


def _site(
    facility: str,
    city: str,
    country: str,
    lat: float | None,
    lon: float | None,
    *,
    status: str = "RECRUITING",
    state: str | None = None,
) -> dict[str, Any]:
    site: dict[str, Any] = {"facility": facility, "status": status, "city": city, "country": country}
    if state:
        site["state"] = state
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
        "conditionsModule": {"conditions": ["Multiple Sclerosis"]},
        "armsInterventionsModule": {
            "interventions": [{"type": "BIOLOGICAL", "name": name} for name in interventions]
        },
    }
    if phases is not None:
        protocol["designModule"] = {"studyType": "INTERVENTIONAL", "phases": phases}
    if sites is not None:
        protocol["contactsLocationsModule"] = {"locations": sites}
    return {"protocolSection": protocol, "derivedSection": {"miscInfoModule": {}}, "hasResults": False}


def default_studies() -> list[dict[str, Any]]:
    """Eight open MS cell-therapy studies with sites in the US, UK, Sweden, Italy, Norway and Canada."""
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
            sites=[
                _site(
                    "Example University Hospital",
                    "Chicago",
                    "United States",
                    41.85003,
                    -87.65005,
                    state="Illinois",
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
            "Autologous Haematopoietic Stem Cell Transplantation in Aggressive Relapsing MS (illustrative)",
            status="NOT_YET_RECRUITING",
            phases=["PHASE2"],
            interventions=["Autologous haematopoietic stem cell transplantation"],
            updated="2025-07-10",
            sites=[
                _site(
                    "Example General Hospital",
                    "Ottawa",
                    "Canada",
                    45.41117,
                    -75.69812,
                    status="NOT_YET_RECRUITING",
                ),
                _site(
                    "Example Neurological Institute",
                    "Montreal",
                    "Canada",
                    45.50884,
                    -73.58781,
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
                _site("Example Research Hospital", "Toronto", "Canada", 43.70643, -79.39864),
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
    ]


@dataclass(frozen=True)
class RecordedRequest:
    """One request the fake received."""

    path: str
    params: dict[str, str]
    user_agent: str | None


_TERM = re.compile(r'"([^"]+)"|([^\s()"]+)')


def _essie_terms(expression: str) -> list[str]:
    """Terms of an `a OR "b c"` expression; upper-case OR/AND are operators, as in Essie."""
    terms = []
    for phrase, word in _TERM.findall(expression):
        if word in {"OR", "AND"}:
            continue
        terms.append((phrase or word).lower())
    return terms


class FakeClinicalTrials:
    """The fake registry: `await start()` returns the base URL to give the client; `await stop()`."""

    def __init__(self, studies: Iterable[Mapping[str, Any]] | None = None) -> None:
        self.studies: list[dict[str, Any]] = [copy.deepcopy(dict(s)) for s in (studies or default_studies())]
        self.requests: list[RecordedRequest] = []
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

        matching = self._matching(params)
        try:
            page_size = min(int(params.get("pageSize", "10")), 1000)
        except ValueError:
            return web.json_response({"message": "pageSize must be a number"}, status=400)
        signature = self._signature(params)
        offset = 0
        if "pageToken" in params:
            decoded = self._decode_token(params["pageToken"])
            if decoded is None or decoded[1] != signature:
                return web.json_response({"message": "pageToken does not match the query"}, status=400)
            offset = decoded[0]
        body: dict[str, Any] = {"studies": matching[offset : offset + page_size]}
        if offset + page_size < len(matching):
            body["nextPageToken"] = self._encode_token(offset + page_size, signature)
        if params.get("countTotal") == "true" and "pageToken" not in params:
            body["totalCount"] = len(matching)
        return web.json_response(body)

    def _matching(self, params: Mapping[str, str]) -> list[dict[str, Any]]:
        statuses = {s for s in re.split(r"[|,]", params.get("filter.overallStatus", "")) if s}
        terms = _essie_terms(params.get("query.intr", ""))
        found = []
        for study in self.studies:
            protocol = study.get("protocolSection", {})
            status = protocol.get("statusModule", {}).get("overallStatus")
            if statuses and status not in statuses:
                continue
            names = " ".join(
                i.get("name", "")
                for i in protocol.get("armsInterventionsModule", {}).get("interventions", [])
            ).lower()
            if terms and not any(term in names for term in terms):
                continue
            found.append(study)
        return found

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
