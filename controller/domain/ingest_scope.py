"""Which ingest records a region may see: those of the exhibits it sees (owned there or standing there now)."""

from __future__ import annotations

from sqlite_utils import Database

from controller.domain import fleet
from controller.domain.auth import Principal


def exhibit_of(topic: str) -> str | None:
    """The exhibit a kepu topic names (`kepu/v1/exhibits/{id}/…`), else None."""
    parts = topic.split("/")
    return parts[3] if len(parts) == 5 and parts[2] == "exhibits" else None


def visible_exhibits(db: Database, user: Principal, now: float, tz: str) -> set[str]:
    return {e["id"] for e in fleet.list_exhibits(db, user, now, tz)}
