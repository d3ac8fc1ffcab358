"""Turn one page of /trials results into plain embed data, and carry page state in a short string.

Free of Discord like `bot.core.content.render`: the cog copies the embed into `discord.Embed`
and puts `PageState.encode()` into the custom ids of its page buttons, so a button pressed
after a restart still knows which list and which page it belongs to.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.core import limits
from bot.core.content.render import EmbedField, RenderedEmbed
from bot.core.text import clip, escape_markdown, one_line, shorten
from bot.core.trials.interventions import DEFAULT_INTERVENTION, intervention_option
from bot.core.trials.models import (
    SOURCE_NAME,
    SOURCE_URL,
    Contact,
    GeoPoint,
    Place,
    RankedStudy,
    Site,
    SiteAccess,
    Study,
    TrialResults,
    describe_distance,
)

PER_PAGE = 5
COLOUR_TRIALS = 0x3A7D44
# Discord's limit for a component's custom_id.
STUDY_TITLE_LIMIT = 200
SITE_LABEL_LIMIT = 160
CONTACT_LIMIT = 200
# A field's name ("12. NCT01234567 (ACRONYM)") is short; this is what the page sets aside for each.
FIELD_NAME_ROOM = 60
# Marks the state of a button whose list includes observational studies: "any+obs:2:...".
OBSERVATIONAL_FLAG = "+obs"
ACCESS_NOTES = {
    SiteAccess.BY_INVITATION: "by invitation only",
    SiteAccess.EXPANDED_ACCESS: "expanded access, outside the trial",
}
TRIALS_FOOTER = "Information, not medical advice: talk to your MS team before deciding anything."

_STATE = re.compile(
    r"(?P<intervention>[a-z]+)(?P<observational>\+obs)?:(?P<page>\d{1,4})"
    r"(?::(?P<lat>-?\d{1,2}(?:\.\d+)?),(?P<lon>-?\d{1,3}(?:\.\d+)?):(?P<label>.*))?",
    re.DOTALL,
)


@dataclass(frozen=True)
class PageState:
    """Which list and page a button leads to: everything a click needs, with no stored view state."""

    intervention: str = DEFAULT_INTERVENTION
    page: int = 0
    point: GeoPoint | None = None
    place_label: str = ""
    include_observational: bool = False

    @classmethod
    def for_results(cls, results: TrialResults, page: int) -> PageState:
        near = results.near
        return cls(
            intervention=results.query.intervention,
            page=page,
            point=near.point if near else None,
            place_label=near.label if near else "",
            include_observational=results.include_observational,
        )

    @property
    def place(self) -> Place | None:
        """A stand-in `Place` at the carried point, labelled as the member chose it."""
        if self.point is None:
            return None
        return Place(name=self.place_label or "your place", country_code="", country="", point=self.point)

    def encode(self, prefix: str) -> str:
        """`prefix` + state, at most 100 characters: the place label is cut to fit (it is only shown).

        Coordinates keep three decimals (about 100 m), far finer than the distances shown.
        """
        flag = OBSERVATIONAL_FLAG if self.include_observational else ""
        text = f"{prefix}{self.intervention}{flag}:{self.page}"
        if self.point is None:
            return text
        text += f":{self.point.latitude:.3f},{self.point.longitude:.3f}:"
        room = limits.CUSTOM_ID_CHARS - len(text)
        label = self.place_label if len(self.place_label) <= room else self.place_label[: room - 1] + "…"
        return text + label

    @classmethod
    def decode(cls, text: str) -> PageState | None:
        """The state `encode` wrote (without its prefix), or None for anything else."""
        match = _STATE.fullmatch(text)
        if match is None:
            return None
        point = None
        if match["lat"] is not None:
            point = GeoPoint(float(match["lat"]), float(match["lon"]))
        return cls(
            match["intervention"],
            int(match["page"]),
            point,
            match["label"] or "",
            include_observational=match["observational"] is not None,
        )


@dataclass(frozen=True)
class RenderedTrialsPage:
    """One page of results as plain data, with what the page buttons need."""

    embed: RenderedEmbed
    page: int  # 0-based, already clamped to the results
    page_count: int

    @property
    def has_previous(self) -> bool:
        return self.page > 0

    @property
    def has_next(self) -> bool:
        return self.page < self.page_count - 1

    @property
    def page_label(self) -> str:
        return f"Page {self.page + 1} of {self.page_count}"


def link_text(text: str) -> str:
    """Square brackets would end a markdown link early; the registry's titles sometimes have them."""
    return text.replace("[", "(").replace("]", ")")


def site_text(site: Site, distance_km: float | None = None) -> str:
    """'Facility, City, State, Country, **in Portland** (by invitation only)', markdown made inert."""
    text = escape_markdown(shorten(one_line(site.label), SITE_LABEL_LIMIT))
    if distance_km is not None:
        text += f", **{describe_distance(distance_km, site.city)}**"
    note = ACCESS_NOTES.get(site.access)
    return text + (f" ({note})" if note else "")


def _contact_text(contact: Contact) -> str:
    """Plain text (no mailto or tel links), every part escaped: registry text is not ours."""
    return escape_markdown(shorten(one_line(" · ".join(contact.parts)), CONTACT_LIMIT))


def _sites_line(study: Study) -> str:
    """Without a place: the first site open to anyone (else the first listed) and how many more."""
    if not study.sites:
        return "Sites: none listed yet"
    first = next((site for site in study.sites if site.accepts_participants), study.sites[0])
    more = len(study.sites) - 1
    return f"Sites: {site_text(first)}" + (f" and {more} more" if more else "")


def _study_field(rank: int, entry: RankedStudy, near: Place | None, budget: int) -> EmbedField:
    """One study in at most `budget` characters: optional lines go first, then the rest is clipped."""
    study = entry.study
    name = f"{rank}. {study.nct_id}" + (f" ({one_line(study.acronym)})" if study.acronym else "")
    title = escape_markdown(link_text(shorten(one_line(study.title), STUDY_TITLE_LIMIT)))
    lines = [f"[{title}]({study.url})", f"{study.design_label} · {study.status_label}"]
    # (line, drop order): lines with a number may be left out, highest first, when space runs short.
    optional: list[tuple[str, int]] = []
    if entry.nearest_site is not None and entry.distance_km is not None:
        lines.append(f"Nearest site: {site_text(entry.nearest_site, entry.distance_km)}")
        if entry.closer_invited_site is not None and entry.closer_invited_km is not None:
            closer = site_text(entry.closer_invited_site, entry.closer_invited_km)
            optional.append((f"Closer: {closer}", 2))
    elif near is not None:
        lines.append("Nearest site: no open site with a known location is listed")
    else:
        lines.append(_sites_line(study))
    site_contact = entry.nearest_site.contact if entry.nearest_site is not None else None
    if study.contact is not None:
        optional.append((f"Contact: {_contact_text(study.contact)}", 1))
    if site_contact is not None and site_contact != study.contact:
        optional.append((f"Site contact: {_contact_text(site_contact)}", 3))
    study_page = f"Contact: see the [study page]({study.url})"
    if study.contact is None and site_contact is None:
        lines.append(study_page)
    value = "\n".join(lines + [line for line, _ in optional])
    for dropped in sorted(optional, key=lambda item: -item[1]):
        if len(value) <= budget:
            break
        optional.remove(dropped)
        kept = lines + [line for line, _ in optional]
        if not any(line.startswith("Contact:") for line in kept):
            kept.append(study_page)  # never leave a member without a way to reach the study
        value = "\n".join(kept)
    return EmbedField(name=shorten(name, FIELD_NAME_ROOM), value=clip(value, budget))


def render_trials_page(results: TrialResults, page: int, per_page: int = PER_PAGE) -> RenderedTrialsPage:
    """The embed for page `page` (0-based; clamped, so an old button still shows something sensible)."""
    page_count = results.page_count(per_page)
    page = min(max(page, 0), page_count - 1)
    option = intervention_option(results.query.intervention)
    near = results.near
    kinds = "trials and observational studies" if results.include_observational else "trials"
    title = f"Open MS stem-cell {kinds}" + (f" near {near.label}" if near else "")
    count = len(results.entries)
    lines: list[str] = []
    if results.stale_note:
        lines.append(f"⚠️ {results.stale_note}")
    if count == 0:
        lines.append(
            f"No recruiting or soon-recruiting MS {kinds} matched **{option.label}** right now. "
            f"Try another intervention, or search [{SOURCE_NAME}]({SOURCE_URL}) directly."
        )
    else:
        order = f", nearest first from **{near.label}**" if near else ", most recently updated first"
        noun = (
            ("study" if count == 1 else "studies")
            if results.include_observational
            else ("trial" if count == 1 else "trials")
        )
        lines.append(f"**{option.label}**: {count} recruiting or soon-recruiting {noun}{order}.")
        if near is not None:
            lines.append("Sites open to anyone who qualifies count first; invitation-only sites are marked.")
        if results.truncated and results.total_count:
            lines.append(
                f"The registry holds {results.total_count} matching studies; these are from the most "
                "recently updated ones."
            )
        lines.append(
            f"Ask the study team whether you qualify, and talk it through with your MS team; full "
            f"details are on [{SOURCE_NAME}]({SOURCE_URL})."
        )
    if results.hidden_observational:
        hidden = results.hidden_observational
        lines.append(
            f"{hidden} observational {'study' if hidden == 1 else 'studies'} (which follow people but "
            "assign no treatment) not shown: add `observational: True` to include them."
        )
    footer = f"{TRIALS_FOOTER}\nSource: {SOURCE_NAME}, fetched {results.age_label} ago"
    if page_count > 1:
        footer += f" · Page {page + 1} of {page_count}"
    title = shorten(title, limits.EMBED_TITLE_CHARS)
    description = "\n\n".join(lines)
    entries = results.page(page, per_page)
    # Each field gets an equal share of what the embed's total limit leaves (never over a field's own).
    room = (
        limits.EMBED_TOTAL_CHARS
        - len(title)
        - len(description)
        - len(footer)
        - FIELD_NAME_ROOM * len(entries)
    )
    budget = min(limits.EMBED_FIELD_VALUE_CHARS, room // max(1, len(entries)))
    start = page * per_page
    fields = tuple(
        _study_field(start + offset + 1, entry, near, budget) for offset, entry in enumerate(entries)
    )
    embed = RenderedEmbed(
        title=title,
        description=description,
        fields=fields,
        footer=footer,
        colour=COLOUR_TRIALS,
    )
    return RenderedTrialsPage(embed=embed, page=page, page_count=page_count)
