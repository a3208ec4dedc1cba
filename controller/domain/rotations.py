"""Rotations: an exhibit's stays at venues, [starts, ends), never overlapping."""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database

from controller.domain import attribution, audit, fleet, venues
from controller.domain.auth import Principal
from controller.domain.packs import require_deployable
from controller.errors import Conflict, Invalid, NotFound
from kepu_contracts.times import iso


def view(row: dict[str, Any], tz: str) -> dict[str, Any]:
    return {
        "id": row["id"],
        "exhibit": row["exhibit"],
        "venue": row["venue"],
        "starts": iso(row["starts"], tz),
        "ends": iso(row["ends"], tz),
        "pack": {"id": row["pack_id"], "version": row["pack_version"]} if row["pack_id"] else None,
        "note": row["note"],
    }


def _require_plannable(db: Database, user: Principal, exhibit: str, now: float, tz: str) -> None:
    """Only an exhibit the caller may see, and whose owning region is theirs, can be planned by them."""
    row = db.execute("SELECT region FROM exhibits WHERE id = ?", [exhibit]).fetchone()
    if row is None:
        raise NotFound(f"no exhibit {exhibit!r}")
    fleet.get_exhibit(db, user, exhibit, now, tz)  # NotFound outside the caller's view: existence does not leak
    if row[0]:
        user.require("technician", row[0])  # a loan in is planned by whoever owns the exhibit


def _check_free(
    db: Database,
    exhibit: str,
    starts: float,
    ends: float,
    tz: str,
    ignore: int | None = None,
    user: Principal | None = None,
) -> None:
    if ends <= starts:
        raise Invalid("a stay must end after it starts")
    clash = db.execute(
        "SELECT r.id, r.venue, r.starts, r.ends, v.region FROM rotations r JOIN venues v ON v.id = r.venue"
        " WHERE r.exhibit = ? AND r.starts < ? AND r.ends > ? AND r.id IS NOT ? ORDER BY r.starts LIMIT 1",
        [exhibit, ends, starts, ignore],
    ).fetchone()
    if clash and user is not None and not user.sees(clash[4]):
        # Another region's plan: say that it clashes, not where or when the exhibit will be.
        raise Conflict(
            f"{exhibit} is already planned elsewhere at that time; an exhibit can stand at one venue at a time"
        )
    if clash:
        raise Conflict(
            f"{exhibit} is already planned at {clash[1]} from {iso(clash[2], tz)} to {iso(clash[3], tz)}"
            f" (stay #{clash[0]}); an exhibit can stand at one venue at a time"
        )


def get(db: Database, user: Principal, stay: int) -> dict[str, Any]:
    for row in db.query("SELECT r.*, v.region FROM rotations r JOIN venues v ON v.id = r.venue WHERE r.id = ?", [stay]):
        if user.sees(row["region"]):
            return row
    raise NotFound(f"no stay #{stay}")


def list_stays(
    db: Database, user: Principal, tz: str, exhibit: str | None = None, venue: str | None = None
) -> list[dict[str, Any]]:
    sql = "SELECT r.*, v.region FROM rotations r JOIN venues v ON v.id = r.venue WHERE 1=1"
    params: list[Any] = []
    if exhibit:
        sql += " AND r.exhibit = ?"
        params.append(exhibit)
    if venue:
        sql += " AND r.venue = ?"
        params.append(venue)
    rows = db.query(sql + " ORDER BY r.exhibit, r.starts", params)
    return [view(r, tz) for r in rows if user.sees(r["region"])]


def create(
    db: Database, user: Principal, data: dict[str, Any], starts: float, ends: float, now: float, tz: str
) -> dict[str, Any]:
    """Plan a stay; refused (409) when it overlaps another stay of the same exhibit."""
    venue = venues.get(db, user, data["venue"])
    user.require("technician", venue["region"])
    _require_plannable(db, user, data["exhibit"], now, tz)
    _check_free(db, data["exhibit"], starts, ends, tz, user=user)
    pack = data.get("pack") or {}
    if pack:
        require_deployable(db, pack["id"], pack.get("version"), venue["region"])
    stay_id = (
        db.table("rotations")
        .insert(
            {
                "exhibit": data["exhibit"],
                "venue": data["venue"],
                "starts": starts,
                "ends": ends,
                "pack_id": pack.get("id"),
                "pack_version": pack.get("version"),
                "note": data.get("note") or "",
            }
        )
        .last_pk
    )
    assert isinstance(stay_id, int)  # an INTEGER PRIMARY KEY
    audit.record(db, now, user.id, "rotation.create", f"stay #{stay_id}", data, venue["region"])
    _reattribute(db, user, now, tz, stay_id, data["exhibit"], None, (starts, ends), venue["region"])
    return view(get(db, user, stay_id), tz)


def reschedule(
    db: Database, user: Principal, stay: int, starts: float | None, ends: float | None, now: float, tz: str
) -> dict[str, Any]:
    """Move a stay's start or end (e.g. the exhibit leaves early); still never overlapping."""
    row = get(db, user, stay)
    user.require("technician", row["region"])
    new_starts = row["starts"] if starts is None else starts
    new_ends = row["ends"] if ends is None else ends
    _check_free(db, row["exhibit"], new_starts, new_ends, tz, ignore=stay, user=user)
    db.table("rotations").update(stay, {"starts": new_starts, "ends": new_ends})
    audit.record(
        db,
        now,
        user.id,
        "rotation.reschedule",
        f"stay #{stay}",
        {"starts": iso(new_starts, tz), "ends": iso(new_ends, tz)},
        row["region"],
    )
    _reattribute(
        db, user, now, tz, stay, row["exhibit"], (row["starts"], row["ends"]), (new_starts, new_ends), row["region"]
    )
    return view(get(db, user, stay), tz)


def set_pack(
    db: Database, user: Principal, stay: int, pack: dict[str, Any] | None, now: float, tz: str
) -> dict[str, Any]:
    """Pin a pack `{id, version}` on a stay, overriding the venue's default there (None: back to the default)."""
    row = get(db, user, stay)
    user.require("technician", row["region"])
    if pack:
        require_deployable(db, pack["id"], pack.get("version"), row["region"])
    db.table("rotations").update(stay, {"pack_id": (pack or {}).get("id"), "pack_version": (pack or {}).get("version")})
    audit.record(
        db, now, user.id, "rotation.pack", f"stay #{stay}", {"exhibit": row["exhibit"], "pack": pack}, row["region"]
    )
    return view(get(db, user, stay), tz)


def current(db: Database, user: Principal, exhibit: str, now: float) -> dict[str, Any]:
    """The stay an exhibit is in at `now` (visible to `user`); NotFound in transit."""
    for row in db.query(
        "SELECT r.*, v.region FROM rotations r JOIN venues v ON v.id = r.venue WHERE r.exhibit = ? AND r.starts <= ? AND r.ends > ?",
        [exhibit, now, now],
    ):
        if user.sees(row["region"]):
            return row
    raise NotFound(f"{exhibit} has no current stay (in transit): plan a stay first")


def delete(db: Database, user: Principal, stay: int, now: float, tz: str) -> None:
    """Cancel a stay; its events return to in transit (hour labels in the controller's zone `tz`)."""
    row = get(db, user, stay)
    user.require("technician", row["region"])
    db.table("rotations").delete(stay)
    audit.record(
        db,
        now,
        user.id,
        "rotation.delete",
        f"stay #{stay}",
        {"exhibit": row["exhibit"], "venue": row["venue"]},
        row["region"],
    )
    _reattribute(db, user, now, tz, stay, row["exhibit"], (row["starts"], row["ends"]), None, row["region"])


def _reattribute(
    db: Database,
    user: Principal,
    now: float,
    tz: str,
    stay: int,
    exhibit: str,
    old: tuple[float, float] | None,
    new: tuple[float, float] | None,
    region: str,
) -> None:
    # Stays are often entered after the fact: events already stored must follow the itinerary.
    intervals = attribution.changed_intervals(old, new)
    if not intervals:
        return
    done = attribution.reattribute(db, exhibit, intervals, tz)
    audit.record(db, now, user.id, "rotation.reattribute", f"stay #{stay}", done.detail(tz), region)
