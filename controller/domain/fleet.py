"""The fleet: exhibits as the controller knows them, and who may see or change which."""

from __future__ import annotations

import json
from typing import Any

from sqlite_utils import Database

from controller.domain.auth import Principal, check_region
from controller.errors import NotFound
from kepu_contracts.times import iso

# Seen within this many seconds counts as online even without a retained state message.
_COLUMNS = (
    "e.id, e.name, e.region, e.enrolled, e.online, e.last_seen, e.first_seen, e.pack_id, e.pack_version, e.desired"
)


def _venue_now(db: Database, exhibit: str, now: float) -> dict[str, Any] | None:
    row = db.execute(
        "SELECT v.id, v.name, v.region FROM rotations r JOIN venues v ON v.id = r.venue"
        " WHERE r.exhibit = ? AND r.starts <= ? AND r.ends > ? ORDER BY r.starts DESC LIMIT 1",
        [exhibit, now, now],
    ).fetchone()
    return {"id": row[0], "name": row[1], "region": row[2]} if row else None


def visible(principal: Principal, exhibit_region: str, venue: dict[str, Any] | None) -> bool:
    """An exhibit is visible to whoever's scope holds its owning region or the venue it stands at now."""
    return principal.sees(exhibit_region) or (venue is not None and principal.sees(venue["region"]))


def _view(db: Database, row: tuple, now: float, tz: str) -> dict[str, Any]:
    exhibit = row[0]
    venue = _venue_now(db, exhibit, now)
    desired = json.loads(row[9]) if row[9] else None
    return {
        "id": exhibit,
        "name": row[1],
        "region": row[2],
        "enrolled": bool(row[3]),
        "online": bool(row[4]),
        "last_seen": iso(row[5], tz),
        "first_seen": iso(row[6], tz),
        "venue": venue,
        "pack": {"id": row[7], "version": row[8]} if row[7] else None,
        "desired_pack": (desired or {}).get("pack"),
        "emergency": (desired or {}).get("emergency"),
    }


def list_exhibits(db: Database, principal: Principal, now: float, tz: str) -> list[dict[str, Any]]:
    """Every exhibit the caller may see, by id."""
    out = []
    for row in db.execute(f"SELECT {_COLUMNS} FROM exhibits e ORDER BY e.id").fetchall():
        view = _view(db, row, now, tz)
        if visible(principal, view["region"], view["venue"]):
            out.append(view)
    return out


def get_exhibit(db: Database, principal: Principal, exhibit: str, now: float, tz: str) -> dict[str, Any]:
    """One exhibit, or NotFound (also when it is outside the caller's scope: existence does not leak)."""
    row = db.execute(f"SELECT {_COLUMNS} FROM exhibits e WHERE e.id = ?", [exhibit]).fetchone()
    if row is None:
        raise NotFound(f"no exhibit {exhibit!r}")
    view = _view(db, row, now, tz)
    if not visible(principal, view["region"], view["venue"]):
        raise NotFound(f"no exhibit {exhibit!r}")
    return view


def counts(db: Database, exhibit: str) -> dict[str, int]:
    """Events stored and sessions started (distinct session ids with a session_start)."""
    events = db.execute("SELECT COUNT(*) FROM events WHERE exhibit = ?", [exhibit]).fetchone()[0]
    sessions = db.execute("SELECT COUNT(*) FROM visits WHERE exhibit = ?", [exhibit]).fetchone()[0]
    return {"events": events, "sessions": sessions}


def register(db: Database, exhibit: str, now: float, name: str = "", region: str = "", enrolled: bool = False) -> None:
    """Create the exhibit if new; otherwise update what was given (enrolment is never undone here)."""
    region = check_region(region)
    if db.execute("SELECT 1 FROM exhibits WHERE id = ?", [exhibit]).fetchone():
        updates: dict[str, Any] = {}
        if name:
            updates["name"] = name
        if region:
            updates["region"] = region
        if enrolled:
            updates["enrolled"] = 1
        if updates:
            db.table("exhibits").update(exhibit, updates)
        return
    db.table("exhibits").insert(
        {"id": exhibit, "name": name, "region": region, "enrolled": int(enrolled), "created": now}, pk="id"
    )
