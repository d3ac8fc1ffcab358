"""Order studies by how far their nearest site is from the member.

Deliberate choices, so members are never told a site is open when it is not:
- Sites open to anyone who qualifies (recruiting, or about to) decide a study's distance.
- Invitation-only sites ("enrolling by invitation": the team invites people from a group chosen in
  advance) decide it only when a study has no open site with a location; an invitation-only site
  nearer than the open one is still shown beside it, labelled.
- Expanded-access sites (treatment outside the trial) and closed sites never count.
Studies whose nearest site is open come first, then those reachable only by invitation, then those
without a located site; each group nearest first.
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.core.trials.models import GeoPoint, RankedStudy, Site, SiteAccess, Study


def nearest_site(
    study: Study, origin: GeoPoint, access: SiteAccess = SiteAccess.OPEN
) -> tuple[Site, float] | None:
    """The closest site with coordinates and the given access, with its distance in km."""
    best: tuple[Site, float] | None = None
    for site in study.sites:
        if site.point is None or site.access is not access:
            continue
        distance = origin.distance_km(site.point)
        if best is None or distance < best[1]:
            best = (site, distance)
    return best


def rank_study(study: Study, origin: GeoPoint) -> RankedStudy:
    """The study with its nearest open site and any invitation-only site nearer than that."""
    open_site = nearest_site(study, origin, SiteAccess.OPEN)
    invited = nearest_site(study, origin, SiteAccess.BY_INVITATION)
    if open_site is None:
        if invited is None:
            return RankedStudy(study)
        return RankedStudy(study, nearest_site=invited[0], distance_km=invited[1])
    if invited is not None and invited[1] < open_site[1]:
        return RankedStudy(
            study,
            nearest_site=open_site[0],
            distance_km=open_site[1],
            closer_invited_site=invited[0],
            closer_invited_km=invited[1],
        )
    return RankedStudy(study, nearest_site=open_site[0], distance_km=open_site[1])


def rank_studies(studies: Iterable[Study], origin: GeoPoint | None) -> tuple[RankedStudy, ...]:
    """Open sites first, then invitation-only, then unlocated; nearest first within each group.

    Without an origin the registry's order is kept unchanged.
    """
    if origin is None:
        return tuple(RankedStudy(study) for study in studies)
    ranked = [rank_study(study, origin) for study in studies]

    def key(item: RankedStudy) -> tuple[int, float]:
        if item.distance_km is None:
            return (2, 0.0)
        return (0 if item.open_to_apply else 1, item.distance_km)

    # sorted() is stable, so equal distances and the unlocated tail keep their original order.
    return tuple(sorted(ranked, key=key))
