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


# The stay an exhibit is at now (latest start wins), looked up per row by the rotations index: one
# statement for the whole fleet instead of one query per exhibit.
_NOW_STAY = (
    "(SELECT r.id FROM rotations r JOIN venues rv ON rv.id = r.venue"
    " WHERE r.exhibit = e.id AND r.starts <= :now AND r.ends > :now ORDER BY r.starts DESC LIMIT 1)"
)
_SELECT = (
    f"SELECT {_COLUMNS}, v.id, v.name, v.region FROM exhibits e"
    f" LEFT JOIN rotations s ON s.id = {_NOW_STAY} LEFT JOIN venues v ON v.id = s.venue"
)


def visible(principal: Principal, exhibit_region: str, venue: dict[str, Any] | None) -> bool:
    """An exhibit is visible to whoever's scope holds its owning region or the venue it stands at now."""
    return principal.sees(exhibit_region) or (venue is not None and principal.sees(venue["region"]))


def view(row: Any, tz: str) -> dict[str, Any]:
    """An exhibit as the API shows it, from a row of `rows()` (or `_SELECT`)."""
    venue = {"id": row[10], "name": row[11], "region": row[12]} if row[10] is not None else None
    desired = json.loads(row[9]) if row[9] else None
    return {
        "id": row[0],
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


def rows(
    db: Database, principal: Principal, now: float, extra: str = "", exhibit: str | None = None
) -> list[tuple[Any, dict[str, Any] | None]]:
    """(row, venue now) of every exhibit the caller may see (or just `exhibit`), by id.

    A row holds the view's columns (see `view`), then the `extra` columns of `e`.
    """
    select = _SELECT.replace(" FROM exhibits e", (", " + extra if extra else "") + " FROM exhibits e")
    where = " WHERE e.id = :id" if exhibit is not None else ""
    out = []
    for row in db.conn.execute(f"{select}{where} ORDER BY e.id", {"now": now, "id": exhibit}):
        venue = {"id": row[10], "name": row[11], "region": row[12]} if row[10] is not None else None
        if visible(principal, row[2], venue):
            out.append((row, venue))
    return out


def list_exhibits(db: Database, principal: Principal, now: float, tz: str) -> list[dict[str, Any]]:
    """Every exhibit the caller may see, by id."""
    return [view(row, tz) for row, _ in rows(db, principal, now)]


def get_exhibit(db: Database, principal: Principal, exhibit: str, now: float, tz: str) -> dict[str, Any]:
    """One exhibit, or NotFound (also when it is outside the caller's scope: existence does not leak)."""
    row = db.conn.execute(f"{_SELECT} WHERE e.id = :id", {"now": now, "id": exhibit}).fetchone()
    if row is None:
        raise NotFound(f"no exhibit {exhibit!r}")
    out = view(row, tz)
    if not visible(principal, out["region"], out["venue"]):
        raise NotFound(f"no exhibit {exhibit!r}")
    return out


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
