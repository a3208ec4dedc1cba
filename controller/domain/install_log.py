"""What each exhibit reported about installing each pack version, and what follows for its desired state.

An agent never retries a version it refused or rolled back (it remembers the manifest as bad), so
planning that version again would leave the exhibit on whatever it had — an ended campaign's pack,
say — with the dashboard saying "installing" forever. So: a stay whose own pack (pinned, or the
venue's default) was refused by this exhibit falls back to the stay's last good pack, and the
dashboard says which version was refused and why.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

from controller.domain import packs
from kepu_contracts.messages import Reported

BAD = ("refused", "rolled_back")


@dataclass(frozen=True)
class StayPlan:
    """The pack an exhibit's current stay itself names (pinned on the stay, else the venue's default)."""

    stay: int
    region: str
    pack_id: str | None
    version: str | None
    default_id: str | None
    default_version: str | None


def stay_plan(db: Database, exhibit: str, now: float) -> StayPlan | None:
    row = db.execute(
        "SELECT r.id, v.region, r.pack_id, r.pack_version, v.default_pack_id, v.default_pack_version"
        " FROM rotations r JOIN venues v ON v.id = r.venue WHERE r.exhibit = ? AND r.starts <= ? AND r.ends > ?"
        " ORDER BY r.starts DESC LIMIT 1",
        [exhibit, now, now],
    ).fetchone()
    if row is None:
        return None
    pack_id, version = (row[2], row[3]) if row[2] else (row[4], row[5])
    return StayPlan(row[0], row[1], pack_id, version, row[4], row[5])


def record(db: Database, exhibit: str, reported: Reported, now: float) -> bool:
    """Keep the latest result per pack version (a retained `reported` arrives again after restarts).

    True when a new result was stored (a refusal among them can change the exhibit's desired pack).
    """
    last = reported.last_install
    if last is None or last.pack is None or last.result not in ("ok", *BAD):
        return False
    known = db.execute(
        "SELECT result, at FROM install_results WHERE exhibit = ? AND pack_id = ? AND pack_version = ?",
        [exhibit, last.pack.id, last.pack.version],
    ).fetchone()
    if known is not None and (known[0], known[1]) == (last.result, last.at):
        return False  # the same report again
    plan = stay_plan(db, exhibit, now)
    planned = _resolved(db, plan) if plan else None
    db.conn.execute(
        "INSERT INTO install_results (exhibit, pack_id, pack_version, result, reason, at, received, stay, stay_plan)"
        " VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT(exhibit, pack_id, pack_version) DO UPDATE SET result = excluded.result,"
        " reason = excluded.reason, at = excluded.at, received = excluded.received, stay = excluded.stay,"
        " stay_plan = excluded.stay_plan",
        (
            exhibit,
            last.pack.id,
            last.pack.version,
            last.result,
            last.reason,
            last.at,
            now,
            plan.stay if plan else None,
            int(planned == (last.pack.id, last.pack.version)),
        ),
    )
    return True


def refusal(db: Database, exhibit: str, pack_id: str, version: str) -> str | None:
    """Why this exhibit refused or rolled back that version (None: it did not)."""
    row = db.execute(
        "SELECT result, reason FROM install_results WHERE exhibit = ? AND pack_id = ? AND pack_version = ?",
        [exhibit, pack_id, version],
    ).fetchone()
    if row is None or row[0] not in BAD:
        return None
    return str(row[1] or row[0].replace("_", " "))


def fallback(db: Database, exhibit: str, plan: StayPlan) -> dict[str, Any] | None:
    """The stay's last good pack: the newest version this stay's plan installed fine, else the venue's default."""
    for pack_id, version in db.execute(
        "SELECT pack_id, pack_version FROM install_results WHERE exhibit = ? AND stay = ? AND stay_plan = 1"
        " AND result = 'ok' ORDER BY received DESC",
        [exhibit, plan.stay],
    ).fetchall():
        row = packs.resolve(db, pack_id, version, plan.region)
        if row is not None and refusal(db, exhibit, pack_id, version) is None:
            return row
    if plan.default_id:
        row = packs.resolve(db, plan.default_id, plan.default_version, plan.region)
        if row is not None and refusal(db, exhibit, row["id"], row["version"]) is None:
            return row
    return None


def _resolved(db: Database, plan: StayPlan) -> tuple[str, str] | None:
    if not plan.pack_id:
        return None
    row = packs.resolve(db, plan.pack_id, plan.version, plan.region)
    return (row["id"], row["version"]) if row else None
