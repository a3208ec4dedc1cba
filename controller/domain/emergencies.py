"""Emergency broadcasts (应急科普): a message or pack that pre-empts everything in a region until it expires."""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database

from controller.domain import audit
from controller.domain.auth import Principal, check_region
from controller.domain.packs import require_deployable
from controller.errors import Conflict, Invalid, NotFound
from kepu_contracts.times import iso


def view(row: dict[str, Any], tz: str) -> dict[str, Any]:
    return {
        "id": row["id"],
        "region": row["region"],
        "message": {"zh": row["message_zh"], "en": row["message_en"]},
        "pack": {"id": row["pack_id"], "version": row["pack_version"]} if row["pack_id"] else None,
        "starts": iso(row["starts"], tz),
        "expires": iso(row["expires"], tz),
        "cancelled": iso(row["cancelled"], tz),
        "created_by": row["created_by"],
    }


def get(db: Database, user: Principal, emergency: int) -> dict[str, Any]:
    for row in db.query("SELECT * FROM emergencies WHERE id = ?", [emergency]):
        if user.sees(row["region"]):
            return row
    raise NotFound(f"no emergency broadcast #{emergency}")


def list_emergencies(db: Database, user: Principal, tz: str) -> list[dict[str, Any]]:
    rows = db.query("SELECT * FROM emergencies ORDER BY starts DESC, id DESC")
    # A province- or city-wide broadcast is on this district's screens: staff must see it (read-only).
    return [{**view(r, tz), "inherited": not user.sees(r["region"])} for r in rows if user.reached_by(r["region"])]


def create(
    db: Database, user: Principal, data: dict[str, Any], starts: float, expires: float, now: float, tz: str
) -> dict[str, Any]:
    """Broadcast to a region subtree (reviewer or above: it overrides every plan there)."""
    region = check_region(data["region"])
    user.require("reviewer", region)
    message = data.get("message") or {}
    pack = data.get("pack")
    if not (message.get("zh") or message.get("en")) and not pack:
        raise Invalid("an emergency broadcast needs a message {zh, en} or a pack")
    if expires <= starts:
        raise Invalid("an emergency broadcast must expire after it starts")
    if pack:
        require_deployable(db, pack["id"], pack.get("version"), region)
    emergency = (
        db.table("emergencies")
        .insert(
            {
                "region": region,
                "message_zh": message.get("zh") or "",
                "message_en": message.get("en") or "",
                "pack_id": pack["id"] if pack else None,
                "pack_version": pack.get("version") if pack else None,
                "starts": starts,
                "expires": expires,
                "cancelled": None,
                "created_by": user.id,
            }
        )
        .last_pk
    )
    assert isinstance(emergency, int)  # an INTEGER PRIMARY KEY
    audit.record(db, now, user.id, "emergency.create", f"emergency #{emergency}", data, region)
    return view(get(db, user, emergency), tz)


def cancel(db: Database, user: Principal, emergency: int, now: float, tz: str) -> dict[str, Any]:
    """End a broadcast now; exhibits revert to their plans."""
    row = get(db, user, emergency)
    user.require("reviewer", row["region"])
    if row["cancelled"] is not None:
        raise Conflict(f"emergency broadcast #{emergency} was already cancelled")
    db.table("emergencies").update(emergency, {"cancelled": now})
    audit.record(db, now, user.id, "emergency.cancel", f"emergency #{emergency}", {}, row["region"])
    return view(get(db, user, emergency), tz)
