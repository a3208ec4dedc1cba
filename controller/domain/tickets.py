"""Maintenance tickets per exhibit: open → in_progress → fixed → closed, with assignee, notes and a photo."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from controller.domain import alerts, audit, fleet
from controller.domain.auth import Principal, in_scope
from controller.domain.opening import month_range, open_seconds
from controller.errors import Conflict, Invalid, NotFound
from kepu_contracts.times import iso

STATES = ("open", "in_progress", "fixed", "closed")
# Forward along the repair, or back to in_progress when a fix did not hold.
TRANSITIONS = {
    ("open", "in_progress"),
    ("open", "fixed"),
    ("open", "closed"),
    ("in_progress", "fixed"),
    ("in_progress", "closed"),
    ("fixed", "closed"),
    ("fixed", "in_progress"),
}
UNDER_MAINTENANCE = ("open", "in_progress")
MAX_PHOTO_BYTES = 8 * 1024 * 1024
PHOTO_TYPES = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp"}


def _sniff(data: bytes) -> str | None:
    """The photo's real type from its first bytes (a declared Content-Type is not trusted)."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def view(row: dict[str, Any], tz: str) -> dict[str, Any]:
    return {
        "id": row["id"],
        "exhibit": row["exhibit"],
        "alert": row["alert"],
        "title": row["title"],
        "state": row["state"],
        "assignee": row["assignee"],
        "notes": row["notes"],
        "region": row["region"],
        "photo": f"/api/v1/tickets/{row['id']}/photo" if row["photo"] else None,
        "created": iso(row["created"], tz),
        "created_by": row["created_by"],
        "updated": iso(row["updated"], tz),
        "fixed": iso(row["fixed"], tz),
        "closed": iso(row["closed"], tz),
    }


def _visible(user: Principal, row: dict[str, Any]) -> bool:
    return user.sees(row["region"]) or user.sees(row["owner_region"])


def _write_region(user: Principal, row: dict[str, Any]) -> str:
    return str(row["region"] if user.sees(row["region"]) else row["owner_region"])


def get(db: Database, user: Principal, ticket: int) -> dict[str, Any]:
    for row in db.query("SELECT * FROM tickets WHERE id = ?", [ticket]):
        if _visible(user, row):
            return row
    raise NotFound(f"no ticket #{ticket}")


def list_tickets(
    db: Database, user: Principal, tz: str, exhibit: str | None = None, state: str | None = None
) -> list[dict[str, Any]]:
    if state is not None and state not in STATES:
        raise Invalid(f"state must be one of {', '.join(STATES)}")
    where, params = ["1 = 1"], []
    for column, value in (("exhibit", exhibit), ("state", state)):
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    rows = db.query(f"SELECT * FROM tickets WHERE {' AND '.join(where)} ORDER BY created DESC, id DESC", params)
    return [view(r, tz) for r in rows if _visible(user, r)]


def create(db: Database, user: Principal, data: dict[str, Any], now: float, tz: str) -> dict[str, Any]:
    """Open a ticket on an exhibit by hand, or from an alert (its exhibit and title come along)."""
    alert_id = data.get("alert")
    exhibit = data.get("exhibit")
    title = (data.get("title") or "").strip()
    if alert_id is not None:
        alert = alerts.get(db, user, int(alert_id))
        if exhibit and exhibit != alert["exhibit"]:
            raise Invalid(f"alert #{alert_id} is about {alert['exhibit']}, not {exhibit}")
        exhibit = alert["exhibit"]
        if not title:
            rule = alerts.RULES.get(alert["rule"])
            title = f"{rule.title_zh} · {rule.title_en}" if rule else alert["rule"]
        existing = db.execute(
            "SELECT id FROM tickets WHERE alert = ? AND state IN ('open', 'in_progress')", [alert_id]
        ).fetchone()
        if existing:
            raise Conflict(f"alert #{alert_id} already has ticket #{existing[0]}")
    if not exhibit:
        raise Invalid("a ticket needs an exhibit (or an alert)")
    if not title:
        raise Invalid("a ticket needs a title")
    ex = fleet.get_exhibit(db, user, exhibit, now, tz)
    region = ex["venue"]["region"] if ex["venue"] else ex["region"]
    user.require("technician", region if user.sees(region) else ex["region"])
    ticket = (
        db.table("tickets")
        .insert(
            {
                "exhibit": exhibit,
                "alert": alert_id,
                "title": title[:300],
                "state": "open",
                "assignee": (data.get("assignee") or "")[:100],
                "notes": (data.get("notes") or "")[:10000],
                "region": region,
                "owner_region": ex["region"],
                "photo": None,
                "photo_type": None,
                "created": now,
                "created_by": user.id,
                "updated": now,
                "fixed": None,
                "closed": None,
            }
        )
        .last_pk
    )
    assert ticket is not None
    _history(db, int(ticket), now, user.id, "opened", {"alert": alert_id, "title": title[:300]})
    audit.record(db, now, user.id, "ticket.open", f"ticket #{ticket}", {"exhibit": exhibit, "alert": alert_id}, region)
    return view(get(db, user, int(ticket)), tz)


def update(db: Database, user: Principal, ticket: int, changes: dict[str, Any], now: float, tz: str) -> dict[str, Any]:
    """Move a ticket along, reassign it or add a note (technician in its region)."""
    row = get(db, user, ticket)
    user.require("technician", _write_region(user, row))
    updates: dict[str, Any] = {}
    state = changes.get("state")
    if state is not None and state != row["state"]:
        if state not in STATES:
            raise Invalid(f"state must be one of {', '.join(STATES)}")
        if (row["state"], state) not in TRANSITIONS:
            raise Conflict(f"ticket #{ticket} is {row['state']}; it cannot become {state}")
        updates["state"] = state
        if state == "fixed":
            updates["fixed"] = now
        if state == "closed":
            updates["closed"] = now
            if row["fixed"] is None:
                updates["fixed"] = now
        if state == "in_progress":
            updates["fixed"] = None
    if changes.get("assignee") is not None and changes["assignee"] != row["assignee"]:
        updates["assignee"] = changes["assignee"][:100]
    note = (changes.get("note") or "").strip()
    if note:
        stamp = iso(now, tz)
        updates["notes"] = (row["notes"] + ("\n" if row["notes"] else "") + f"[{stamp} {user.id}] {note}")[-20000:]
    if changes.get("title"):
        updates["title"] = changes["title"].strip()[:300]
    if not updates:
        return view(row, tz)
    updates["updated"] = now
    db.table("tickets").update(ticket, updates)
    detail = {k: v for k, v in updates.items() if k in ("state", "assignee", "title")}
    if note:
        detail["note"] = note[:500]
    _history(db, ticket, now, user.id, updates.get("state", "updated"), detail)
    audit.record(db, now, user.id, "ticket.update", f"ticket #{ticket}", detail, row["region"])
    return view(get(db, user, ticket), tz)


def photo_path(data_dir: Path, ticket: int, kind: str) -> Path:
    return data_dir / "tickets" / f"{ticket}{PHOTO_TYPES[kind]}"


def attach_photo(
    db: Database, user: Principal, data_dir: Path, ticket: int, data: bytes, now: float, tz: str
) -> dict[str, Any]:
    """Keep one photo per ticket under DATA/tickets/ (JPEG, PNG or WebP, at most 8 MiB; checked by content)."""
    row = get(db, user, ticket)
    user.require("technician", _write_region(user, row))
    if len(data) > MAX_PHOTO_BYTES:
        raise Invalid(f"a photo may be at most {MAX_PHOTO_BYTES // (1024 * 1024)} MiB")
    kind = _sniff(data)
    if kind is None:
        raise Invalid("the photo must be a JPEG, PNG or WebP image")
    path = photo_path(data_dir, ticket, kind)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    with tmp.open("wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, path)
    if row["photo"] and row["photo"] != path.name:
        (data_dir / "tickets" / row["photo"]).unlink(missing_ok=True)
    db.table("tickets").update(ticket, {"photo": path.name, "photo_type": kind, "updated": now})
    _history(db, ticket, now, user.id, "photo", {"bytes": len(data), "type": kind})
    audit.record(db, now, user.id, "ticket.photo", f"ticket #{ticket}", {"bytes": len(data)}, row["region"])
    return view(get(db, user, ticket), tz)


def photo(db: Database, user: Principal, data_dir: Path, ticket: int) -> tuple[Path, str]:
    row = get(db, user, ticket)
    if not row["photo"]:
        raise NotFound(f"ticket #{ticket} has no photo")
    path = data_dir / "tickets" / row["photo"]
    if not path.is_file():
        raise NotFound(f"ticket #{ticket}'s photo is missing")
    return path, row["photo_type"]


def _history(db: Database, ticket: int, now: float, actor: str, action: str, detail: dict[str, Any]) -> None:
    db.table("ticket_history").insert(
        {
            "ticket": ticket,
            "ts": now,
            "actor": actor,
            "action": action,
            "detail": json.dumps(detail, ensure_ascii=False),
        }
    )


def history(db: Database, user: Principal, ticket: int, tz: str) -> list[dict[str, Any]]:
    get(db, user, ticket)
    return [
        {"ts": iso(r["ts"], tz), "actor": r["actor"], "action": r["action"], "detail": json.loads(r["detail"])}
        for r in db.query("SELECT * FROM ticket_history WHERE ticket = ? ORDER BY ts, id", [ticket])
    ]


def under_maintenance(db: Database) -> dict[str, int]:
    """Exhibits with an open or in-progress ticket: exhibit → its oldest such ticket."""
    rows = db.execute(
        "SELECT exhibit, MIN(id) FROM tickets WHERE state IN ('open', 'in_progress') GROUP BY exhibit"
    ).fetchall()
    return {r[0]: r[1] for r in rows}


# -- the monthly report's maintenance section -------------------------------------------


def maintenance_summary(db: Database, principal: Principal, region: str, month: str, tz: str) -> dict[str, Any]:
    """Tickets opened and fixed in `month`, mean time to repair, and maintenance minutes within opening hours.

    Maintenance minutes are reported beside 开机率 (power-on rate), not subtracted from it: an
    exhibit under repair during opening hours was still off for visitors.
    """
    start, end = month_range(month, tz)
    rows = [
        r
        for r in db.query("SELECT * FROM tickets WHERE created < ? AND COALESCE(fixed, closed, 1e18) > ?", [end, start])
        if _visible(principal, r)
        and (not region or in_scope(region, r["region"]) or in_scope(region, r["owner_region"]))
    ]
    opened = [r for r in rows if start <= r["created"] < end]
    fixed = [r for r in rows if r["fixed"] is not None and start <= r["fixed"] < end]
    repair = [r["fixed"] - r["created"] for r in fixed]
    minutes = 0.0
    for r in rows:
        lo, hi = max(r["created"], start), min(r["fixed"] or r["closed"] or end, end)
        if hi <= lo:
            continue
        for stay in db.query(
            "SELECT r.starts, r.ends, v.opening_hours FROM rotations r JOIN venues v ON v.id = r.venue"
            " WHERE r.exhibit = ? AND r.starts < ? AND r.ends > ?",
            [r["exhibit"], hi, lo],
        ):
            a, b = max(lo, stay["starts"]), min(hi, stay["ends"])
            minutes += open_seconds(json.loads(stay["opening_hours"]), a, b, tz) / 60
    return {
        "month": month,
        "region": region,
        "tickets_opened": len(opened),
        "tickets_fixed": len(fixed),
        "tickets_open_at_end": sum(1 for r in rows if (r["fixed"] or r["closed"] or 1e18) >= end),
        "mean_time_to_repair_hours": round(sum(repair) / len(repair) / 3600, 2) if repair else None,
        "maintenance_open_minutes": round(minutes, 1),
    }
