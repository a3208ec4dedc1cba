"""Desired state per exhibit: rotation < campaign (by priority) < emergency, published retained.

Beside the pack: the venue's schedule (power), and volume and quiet hours (`audio`, domain.volume).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlite_utils import Database

from controller.domain import install_log, packs, volume
from controller.domain.auth import in_scope
from controller.ingest.ingester import Outgoing
from kepu_contracts import messages
from kepu_contracts.protocol import encode, exhibit_topic


def pack_ref(
    db: Database, base_url: str, pack_id: str | None, version: str | None, region: str = ""
) -> dict[str, Any] | None:
    """The desired-state pack reference, only for an approved pack usable in `region` (its own or an ancestor's).

    No version pinned: the newest approved one usable there (uploaded last wins; versions only go up),
    so another region's newer upload under the same id never reaches these exhibits.
    """
    if not pack_id:
        return None
    row = packs.resolve(db, pack_id, version, region)
    if row is None:
        return None
    return messages.pack_ref(row["id"], row["version"], row["manifest_sha256"], base_url)


def compute(db: Database, exhibit: str, now: float, base_url: str, tz: str) -> dict[str, Any]:
    """What `exhibit` should be doing at `now` (without the "v" field, which encode adds)."""
    stay = db.execute(
        "SELECT venue, pack_id, pack_version FROM rotations WHERE exhibit = ? AND starts <= ? AND ends > ?"
        " ORDER BY starts DESC LIMIT 1",
        [exhibit, now, now],
    ).fetchone()
    venue = None
    pack = None
    region: str | None = None
    opening_hours = None
    schedule: dict[str, Any] = {}
    if stay:
        row = db.execute(
            "SELECT id, name, region, opening_hours, default_pack_id, default_pack_version,"
            " closed_days, power_on_before, power_off_after, wake_on_touch FROM venues WHERE id = ?",
            [stay[0]],
        ).fetchone()
        if row:
            venue = {"id": row[0], "name": row[1]}
            region = row[2]
            opening_hours = json.loads(row[3])
            # The agent switches displays from these, offline too (exhibit_agent/power/schedule.py).
            schedule = {
                "closed_days": json.loads(row[6] or "[]"),
                "power": {"on_before": row[7], "off_after": row[8], "wake_on_touch": bool(row[9])},
            }
            pack = (
                pack_ref(db, base_url, stay[1], stay[2], region)
                if stay[1]
                else pack_ref(db, base_url, row[4], row[5], region)
            )
            if pack and install_log.refusal(db, exhibit, pack["id"], pack["version"]):
                # This exhibit refused that version and will never retry it: the stay's last good pack.
                plan = install_log.stay_plan(db, exhibit, now)
                good = install_log.fallback(db, exhibit, plan) if plan else None
                if good is not None:
                    pack = messages.pack_ref(good["id"], good["version"], good["manifest_sha256"], base_url)
    if region is not None:
        campaigns = db.execute(
            "SELECT region, pack_id, pack_version FROM campaigns WHERE starts <= ? AND ends > ?"
            " ORDER BY priority DESC, starts DESC, id DESC",
            [now, now],
        ).fetchall()
        for c_region, c_pack, c_version in campaigns:
            ref = pack_ref(db, base_url, c_pack, c_version, c_region) if in_scope(c_region, region) else None
            if ref:
                pack = ref
                break
    emergency = None
    rows = db.execute(
        "SELECT id, region, message_zh, message_en, pack_id, pack_version, starts, expires FROM emergencies"
        " WHERE starts <= ? AND expires > ? AND cancelled IS NULL ORDER BY starts DESC, id DESC",
        [now, now],
    ).fetchall()
    for e_id, e_region, zh, en, e_pack, e_version, starts, expires in rows:
        # A nationwide broadcast (region "") reaches exhibits in transit too.
        if e_region == "" or (region is not None and in_scope(e_region, region)):
            emergency = messages.emergency_ref(e_id, zh, en, starts, expires, tz)
            ref = pack_ref(db, base_url, e_pack, e_version, e_region)
            if ref:
                pack = ref
            break
    audio = volume.for_desired(db, exhibit, venue["id"] if venue else None, tz)
    return messages.desired(exhibit, venue, opening_hours, pack, emergency, {"timezone": tz, **schedule}, audio)


class DesiredStates:
    """Recomputes desired states and yields retained messages for the ones that changed."""

    def __init__(self, controller: Any) -> None:
        self.controller = controller

    def refresh(self, exhibits: list[str] | None = None) -> list[Outgoing]:
        c = self.controller
        now = c.clock.now()
        out: list[Outgoing] = []
        with c.store.write() as db:
            ids = exhibits if exhibits is not None else [r[0] for r in db.execute("SELECT id FROM exhibits")]
            for exhibit in ids:
                state = compute(db, exhibit, now, c.settings.base_url, c.settings.timezone)
                doc = json.dumps(state, sort_keys=True, ensure_ascii=False)
                sha = hashlib.sha256(doc.encode()).hexdigest()
                changed = db.execute(
                    "UPDATE exhibits SET desired = ?, desired_sha = ? WHERE id = ? AND desired_sha IS NOT ?",
                    [doc, sha, exhibit, sha],
                ).rowcount
                if changed:
                    out.append(Outgoing(exhibit_topic(exhibit, "desired"), encode(state), qos=1, retain=True))
        return out
