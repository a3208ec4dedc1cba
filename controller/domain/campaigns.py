"""Campaigns: a pack scheduled for a region subtree over a date range, ranked by priority."""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database

from controller.domain import audit
from controller.domain.auth import Principal, check_region
from controller.domain.packs import require_deployable
from controller.errors import Invalid, NotFound
from kepu_contracts.times import iso


def view(row: dict[str, Any], tz: str) -> dict[str, Any]:
    return {
        "id": row["id"],
        "name": row["name"],
        "region": row["region"],
        "pack": {"id": row["pack_id"], "version": row["pack_version"]},
        "starts": iso(row["starts"], tz),
        "ends": iso(row["ends"], tz),
        "priority": row["priority"],
        "created_by": row["created_by"],
    }


def get(db: Database, user: Principal, campaign: int) -> dict[str, Any]:
    for row in db.query("SELECT * FROM campaigns WHERE id = ?", [campaign]):
        if user.sees(row["region"]):
            return row
    raise NotFound(f"no campaign #{campaign}")


def list_campaigns(db: Database, user: Principal, tz: str) -> list[dict[str, Any]]:
    # Campaigns of a wider region play on this user's exhibits too: listed, marked inherited (read-only).
    return [
        {**view(r, tz), "inherited": not user.sees(r["region"])}
        for r in db.query("SELECT * FROM campaigns ORDER BY starts, id")
        if user.reached_by(r["region"])
    ]


def create(
    db: Database, user: Principal, data: dict[str, Any], starts: float, ends: float, now: float, tz: str
) -> dict[str, Any]:
    """Schedule a campaign in the caller's region (technician or above); the pack must be approved."""
    region = check_region(data["region"])
    user.require("technician", region)
    if ends <= starts:
        raise Invalid("a campaign must end after it starts")
    require_deployable(db, data["pack"]["id"], data["pack"]["version"], region)
    campaign = (
        db.table("campaigns")
        .insert(
            {
                "name": data["name"],
                "region": region,
                "pack_id": data["pack"]["id"],
                "pack_version": data["pack"]["version"],
                "starts": starts,
                "ends": ends,
                "priority": data.get("priority", 0),
                "created_by": user.id,
            }
        )
        .last_pk
    )
    assert isinstance(campaign, int)  # an INTEGER PRIMARY KEY
    audit.record(db, now, user.id, "campaign.create", f"campaign #{campaign}", data, region)
    return view(get(db, user, campaign), tz)


def delete(db: Database, user: Principal, campaign: int, now: float) -> None:
    row = get(db, user, campaign)
    user.require("technician", row["region"])
    db.table("campaigns").delete(campaign)
    audit.record(db, now, user.id, "campaign.delete", f"campaign #{campaign}", {"name": row["name"]}, row["region"])
