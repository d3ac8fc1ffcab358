"""Order studies by how far their nearest open site is from the member."""

from __future__ import annotations

from collections.abc import Iterable

from bot.core.trials.models import GeoPoint, RankedStudy, Site, Study


def nearest_site(study: Study, origin: GeoPoint) -> tuple[Site, float] | None:
    """The closest site that has coordinates and does not say it is closed, with its distance in km."""
    best: tuple[Site, float] | None = None
    for site in study.sites:
        if site.point is None or not site.accepts_participants:
            continue
        distance = origin.distance_km(site.point)
        if best is None or distance < best[1]:
            best = (site, distance)
    return best


def rank_studies(studies: Iterable[Study], origin: GeoPoint | None) -> tuple[RankedStudy, ...]:
    """Nearest first; studies with no usable site coordinates go last, each group in the given order.

    Without an origin the registry's order is kept unchanged.
    """
    if origin is None:
        return tuple(RankedStudy(study) for study in studies)
    ranked: list[RankedStudy] = []
    for study in studies:
        found = nearest_site(study, origin)
        if found is None:
            ranked.append(RankedStudy(study))
        else:
            ranked.append(RankedStudy(study, nearest_site=found[0], distance_km=found[1]))
    # sorted() is stable, so equal distances and the unlocated tail keep their original order.
    return tuple(sorted(ranked, key=lambda item: (item.distance_km is None, item.distance_km or 0.0)))
