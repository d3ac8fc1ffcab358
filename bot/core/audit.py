"""The audit log's model: one recorded change, and the diff of two settings snapshots.

Every moderator feature writes these inside the transaction of the change they describe
(`bot/db/repositories/audit.py`), and the mod-log report shows the same diff.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class AuditEntry:
    """One recorded change; `before`/`after` hold only the fields that changed."""

    guild_id: int
    actor_id: int
    action: str
    target: str | None
    before: Mapping[str, Any] | None
    after: Mapping[str, Any] | None
    created_at: datetime
    id: int | None = None


def changed_fields(
    before: Mapping[str, Any], after: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Reduce two snapshots to the keys whose values differ, so the log reads as a diff."""
    keys = [key for key in {**before, **after} if before.get(key) != after.get(key)]
    return {key: before.get(key) for key in keys}, {key: after.get(key) for key in keys}
