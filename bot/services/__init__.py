"""Services: the objects that own live state and carry out actions that span storage and rules.

Between the cogs (Discord in and out) and `bot.core` (pure rules) / `bot.db` (storage). A service
owns what must exist once per process (the live scanner, the journal writer, caches), loads it at
start-up and keeps it in step with the database. Like `bot.core` and `bot.db`, nothing here imports
Discord (ruff enforces it), so every service is tested on a real database without a client.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta

import aiohttp

from bot.core.clock import Clock
from bot.core.content.model import ContentBundle
from bot.core.journal.crypto import JournalKeys
from bot.core.trials.client import ClinicalTrialsClient
from bot.core.trials.geo import Gazetteer
from bot.core.trials.service import TrialsService
from bot.db.database import Database
from bot.db.repositories.audit import AuditRepository
from bot.db.repositories.autoresponses import AutoresponseRepository
from bot.db.repositories.bot_state import BotStateRepository
from bot.db.repositories.clinic_watch import ClinicWatchRepository
from bot.db.repositories.journal import JournalRepository
from bot.db.repositories.modlog import ModlogRepository
from bot.db.repositories.places import PlaceIndexRepository
from bot.db.repositories.trial_watches import TrialWatchRepository
from bot.db.repositories.trials_cache import TrialsCacheRepository
from bot.services.autoresponses import AutoresponseService
from bot.services.journal import JournalService
from bot.services.message_watch import MessageWatch
from bot.services.trial_watch import TrialWatchService
from bot.settings import Settings


@dataclass(frozen=True, slots=True)
class Services:
    """Everything the cogs may call, built once per process by `build_services`."""

    audit: AuditRepository
    modlog: ModlogRepository
    bot_state: BotStateRepository
    message_watch: MessageWatch
    autoresponses: AutoresponseService
    journal: JournalService
    trials: TrialsService
    #: Place names for /trials near:, from the index on disk (built at first use).
    places: Gazetteer
    #: Members' trial watches and the job that checks them (started by its cog, after connecting).
    trial_watch: TrialWatchService

    async def start(self) -> None:
        """Load what lives in memory from the database (called once, before the bot connects)."""
        await self.message_watch.load()

    async def close(self) -> None:
        """Finish the work still in flight (called once at shutdown, before the database closes)."""
        await self.trial_watch.close()
        await self.journal.close()


def build_services(
    settings: Settings,
    db: Database,
    content: ContentBundle,
    journal_keys: JournalKeys,
    http_session: aiohttp.ClientSession,
    clock: Clock,
    *,
    rng: random.Random | None = None,
) -> Services:
    """Wire every service to the one database connection and HTTP session the caller opened."""
    audit = AuditRepository(db)
    autoresponse_rules = AutoresponseRepository(db)
    clinic_watch = ClinicWatchRepository(db, audit)
    message_watch = MessageWatch(content.clinic_words, clock, clinic_watch, autoresponse_rules, rng=rng)
    autoresponses = AutoresponseService(db, autoresponse_rules, audit, message_watch, clock)
    journal = JournalService(JournalRepository(db, journal_keys), clock)
    # One client, so /trials and the trial watch share its pace (at most one request a second).
    trials = TrialsService(
        ClinicalTrialsClient(http_session, settings.clinicaltrials_api_base),
        TrialsCacheRepository(db),
        clock,
    )
    trial_watch = TrialWatchService(
        TrialWatchRepository(db, journal_keys),
        trials,
        clock,
        timedelta(seconds=settings.trial_watch_interval),
    )
    # `/journal forget` deletes the member's watches in the same transaction.
    journal.on_forget(trial_watch.forget_member)
    return Services(
        audit=audit,
        modlog=ModlogRepository(db, audit),
        bot_state=BotStateRepository(db),
        message_watch=message_watch,
        autoresponses=autoresponses,
        journal=journal,
        trials=trials,
        places=Gazetteer(PlaceIndexRepository(db), clock),
        trial_watch=trial_watch,
    )
