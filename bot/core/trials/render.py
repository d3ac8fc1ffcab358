"""Turn one page of /trials results into plain embed data, and carry page state in a short string.

Free of Discord like `bot.core.content.render`: the cog copies the embed into `discord.Embed`
and puts `PageState.encode()` into the custom ids of its page buttons, so a button pressed
after a restart still knows which list and which page it belongs to.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.core import limits
from bot.core.content.render import EmbedField, RenderedEmbed, shorten
from bot.core.trials.interventions import DEFAULT_INTERVENTION, intervention_option
from bot.core.trials.models import SOURCE_NAME, SOURCE_URL, GeoPoint, Place, RankedStudy, TrialResults

PER_PAGE = 5
COLOUR_TRIALS = 0x3A7D44
# Discord's limit for a component's custom_id.
STUDY_TITLE_LIMIT = 200
SITE_LABEL_LIMIT = 160
TRIALS_FOOTER = "Information, not medical advice: talk to your MS team before deciding anything."

_STATE = re.compile(
    r"(?P<intervention>[a-z]+):(?P<page>\d{1,4})"
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

    @classmethod
    def for_results(cls, results: TrialResults, page: int) -> PageState:
        near = results.near
        return cls(
            intervention=results.query.intervention,
            page=page,
            point=near.point if near else None,
            place_label=near.label if near else "",
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
        text = f"{prefix}{self.intervention}:{self.page}"
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
        return cls(match["intervention"], int(match["page"]), point, match["label"] or "")


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


def _link_text(text: str) -> str:
    """Square brackets would end a markdown link early; the registry's titles sometimes have them."""
    return text.replace("[", "(").replace("]", ")")


def _study_field(rank: int, entry: RankedStudy, near: Place | None) -> EmbedField:
    study = entry.study
    name = f"{rank}. {study.nct_id}" + (f" ({study.acronym})" if study.acronym else "")
    lines = [
        f"[{_link_text(shorten(study.title, STUDY_TITLE_LIMIT))}]({study.url})",
        f"{study.phase_label} · {study.status_label}",
    ]
    if entry.nearest_site is not None and entry.distance_label is not None:
        site = shorten(entry.nearest_site.label, SITE_LABEL_LIMIT)
        lines.append(f"Nearest site: {site}, **{entry.distance_label}**")
    elif near is not None:
        lines.append("Nearest site: no open site with a known location is listed")
    elif study.sites:
        first = shorten(study.sites[0].label, SITE_LABEL_LIMIT)
        more = len(study.sites) - 1
        lines.append(f"Sites: {first}" + (f" and {more} more" if more else ""))
    else:
        lines.append("Sites: none listed yet")
    return EmbedField(name=name, value="\n".join(lines))


def render_trials_page(results: TrialResults, page: int, per_page: int = PER_PAGE) -> RenderedTrialsPage:
    """The embed for page `page` (0-based; clamped, so an old button still shows something sensible)."""
    page_count = results.page_count(per_page)
    page = min(max(page, 0), page_count - 1)
    option = intervention_option(results.query.intervention)
    near = results.near
    title = "Open MS stem-cell studies" + (f" near {near.label}" if near else "")
    count = len(results.entries)
    lines: list[str] = []
    if results.stale_note:
        lines.append(f"⚠️ {results.stale_note}")
    if count == 0:
        lines.append(
            f"No recruiting or soon-recruiting MS studies matched **{option.label}** right now. "
            f"Try another intervention, or search [{SOURCE_NAME}]({SOURCE_URL}) directly."
        )
    else:
        order = f", nearest first from **{near.label}**" if near else ", most recently updated first"
        noun = "study" if count == 1 else "studies"
        lines.append(f"**{option.label}**: {count} recruiting or soon-recruiting {noun}{order}.")
        if results.truncated and results.total_count:
            lines.append(f"Showing the {count} most recently updated of {results.total_count} studies.")
        lines.append(
            f"Ask the study team whether you qualify; full details are on [{SOURCE_NAME}]({SOURCE_URL})."
        )
    start = page * per_page
    fields = tuple(
        _study_field(start + offset + 1, entry, near)
        for offset, entry in enumerate(results.page(page, per_page))
    )
    footer = f"{TRIALS_FOOTER}\nSource: {SOURCE_NAME}, fetched {results.age_label} ago"
    if page_count > 1:
        footer += f" · Page {page + 1} of {page_count}"
    embed = RenderedEmbed(
        title=shorten(title, limits.EMBED_TITLE_CHARS),
        description="\n\n".join(lines),
        fields=fields,
        footer=footer,
        colour=COLOUR_TRIALS,
    )
    return RenderedTrialsPage(embed=embed, page=page, page_count=page_count)
