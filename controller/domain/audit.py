"""The audit log: every change records who did what to which thing, and when."""

from __future__ import annotations

import json
from typing import Any

from sqlite_utils import Database


def record(
    db: Database,
    now: float,
    actor: str,
    action: str,
    target: str,
    detail: dict[str, Any] | None = None,
    region: str = "",
) -> None:
    """Append one entry inside the caller's transaction, so the log and the change commit together."""
    db.table("audit").insert(
        {
            "ts": now,
            "actor": actor,
            "action": action,
            "target": target,
            "detail": json.dumps(detail or {}, ensure_ascii=False, default=str),
            "region": region,
        }
    )
