"""The mod-log channel: set, read and cleared per server, each change audited with the setting."""

from __future__ import annotations

from bot.core.clock import FakeClock
from bot.db.database import Database
from bot.db.repositories.audit import AuditRepository
from bot.db.repositories.modlog import ModlogRepository

GUILD = 1001
OTHER_GUILD = 1002
CHANNEL = 2001
MODERATOR = 3001


async def test_channel_set_get_clear_audited(db: Database, clock: FakeClock) -> None:
    repo = ModlogRepository(db)
    assert await repo.channel(GUILD) is None
    await repo.set_channel(GUILD, CHANNEL, actor_id=MODERATOR, now=clock.now())
    await repo.set_channel(GUILD, CHANNEL, actor_id=MODERATOR, now=clock.now())  # no change, no row
    assert await repo.channel(GUILD) == CHANNEL
    assert await repo.clear_channel(GUILD, actor_id=MODERATOR, now=clock.now())
    assert not await repo.clear_channel(GUILD, actor_id=MODERATOR, now=clock.now())
    assert await repo.channel(GUILD) is None
    entries = await AuditRepository(db).recent(GUILD)
    assert [(e.action, e.before, e.after) for e in entries] == [
        ("modlog.clear", {"channel_id": CHANNEL}, {"channel_id": None}),
        ("modlog.set", {"channel_id": None}, {"channel_id": CHANNEL}),
    ]


async def test_each_server_has_its_own_channel(db: Database, clock: FakeClock) -> None:
    repo = ModlogRepository(db)
    await repo.set_channel(GUILD, CHANNEL, actor_id=MODERATOR, now=clock.now())
    assert await repo.channel(OTHER_GUILD) is None
    assert not await repo.clear_channel(OTHER_GUILD, actor_id=MODERATOR, now=clock.now())
    assert await repo.channel(GUILD) == CHANNEL
