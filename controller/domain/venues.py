"""Venues: places exhibits stand, each in a region path, with opening hours and a default pack."""

from __future__ import annotations

import json
from typing import Any

from sqlite_utils import Database

from controller.domain import audit
from controller.domain.auth import Principal, check_region
from controller.domain.opening import check_closed_days, check_margin, check_opening_hours
from controller.domain.packs import require_deployable
from controller.errors import Conflict, Invalid, NotFound
from kepu_contracts.protocol import EXHIBIT_ID


def view(row: dict[str, Any]) -> dict[str, Any]:
    pack = {"id": row["default_pack_id"], "version": row["default_pack_version"]} if row["default_pack_id"] else None
    return {
        "id": row["id"],
        "name": row["name"],
        "region": row["region"],
        "opening_hours": json.loads(row["opening_hours"]),
        "closed_days": json.loads(row.get("closed_days") or "[]"),
        "power": power_of(row),
        "default_pack": pack,
    }


def power_of(row: dict[str, Any]) -> dict[str, Any]:
    """The venue's power margins as desired state and the API carry them."""
    return {
        "on_before": row.get("power_on_before", 10),
        "off_after": row.get("power_off_after", 10),
        "wake_on_touch": bool(row.get("wake_on_touch", 1)),
    }


def _schedule_fields(data: dict[str, Any]) -> dict[str, Any]:
    """closed_days and power, validated into columns (only the keys given)."""
    out: dict[str, Any] = {}
    if data.get("closed_days") is not None:
        out["closed_days"] = json.dumps(check_closed_days(data["closed_days"]))
    power = data.get("power")
    if power is not None:
        if not isinstance(power, dict):
            raise Invalid("power must be an object like {on_before: 10, off_after: 10, wake_on_touch: true}")
        if power.get("on_before") is not None:
            out["power_on_before"] = check_margin(power["on_before"], "power.on_before")
        if power.get("off_after") is not None:
            out["power_off_after"] = check_margin(power["off_after"], "power.off_after")
        if power.get("wake_on_touch") is not None:
            if not isinstance(power["wake_on_touch"], bool):
                raise Invalid("power.wake_on_touch must be true or false")
            out["wake_on_touch"] = int(power["wake_on_touch"])
    return out


def get(db: Database, principal: Principal, venue: str) -> dict[str, Any]:
    """A venue the caller may see, or NotFound."""
    for row in db.query("SELECT * FROM venues WHERE id = ?", [venue]):
        if principal.sees(row["region"]):
            return row
    raise NotFound(f"no venue {venue!r}")


def list_venues(db: Database, principal: Principal) -> list[dict[str, Any]]:
    return [view(r) for r in db.query("SELECT * FROM venues ORDER BY region, id") if principal.sees(r["region"])]


def _pack_fields(db: Database, pack: dict[str, Any] | None, region: str) -> dict[str, Any]:
    if not pack:
        return {"default_pack_id": None, "default_pack_version": None}
    require_deployable(db, pack["id"], pack.get("version"), region)
    return {"default_pack_id": pack["id"], "default_pack_version": pack.get("version")}


def create(db: Database, user: Principal, data: dict[str, Any], now: float) -> dict[str, Any]:
    """Add a venue inside the caller's region (technician or above)."""
    if not EXHIBIT_ID.match(data["id"]):
        raise Invalid("venue id must be 1-64 letters, digits, '.', '_' or '-'")
    region = check_region(data["region"])
    if not region:
        raise Invalid("a venue needs a region path (province/city/district/community)")
    user.require("technician", region)
    if db.execute("SELECT 1 FROM venues WHERE id = ?", [data["id"]]).fetchone():
        raise Conflict(f"venue {data['id']!r} already exists")
    row = {
        "id": data["id"],
        "name": data["name"],
        "region": region,
        "opening_hours": json.dumps(check_opening_hours(data.get("opening_hours"))),
        "created": now,
        **_pack_fields(db, data.get("default_pack"), region),
        **_schedule_fields(data),
    }
    db.table("venues").insert(row, pk="id")
    audit.record(db, now, user.id, "venue.create", row["id"], data, region)
    return view(get(db, user, row["id"]))


def update(db: Database, user: Principal, venue: str, data: dict[str, Any], now: float) -> dict[str, Any]:
    """Change name, region, opening hours or default pack (within the caller's scope, before and after)."""
    row = get(db, user, venue)
    user.require("technician", row["region"])
    updates: dict[str, Any] = {}
    if data.get("name") is not None:
        updates["name"] = data["name"]
    if data.get("region") is not None:
        updates["region"] = check_region(data["region"])
        if not updates["region"]:
            raise Invalid("a venue needs a region path")
        user.require("technician", updates["region"])
    if "opening_hours" in data and data["opening_hours"] is not None:
        updates["opening_hours"] = json.dumps(check_opening_hours(data["opening_hours"]))
    if "default_pack" in data:
        updates.update(_pack_fields(db, data["default_pack"], updates.get("region", row["region"])))
    updates.update(_schedule_fields(data))
    if updates:
        db.table("venues").update(venue, updates)
    audit.record(db, now, user.id, "venue.update", venue, data, updates.get("region", row["region"]))
    return view(get(db, user, venue))


def delete(db: Database, user: Principal, venue: str, now: float) -> None:
    row = get(db, user, venue)
    user.require("technician", row["region"])
    if db.execute("SELECT 1 FROM rotations WHERE venue = ?", [venue]).fetchone():
        raise Conflict(f"venue {venue!r} has stays in its history; it cannot be deleted")
    db.table("venues").delete(venue)
    audit.record(db, now, user.id, "venue.delete", venue, {}, row["region"])
