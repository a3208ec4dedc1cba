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


def _cached(cache: dict[Any, Any], key: Any, make: Any) -> Any:
    if key not in cache:
        cache[key] = make()
    return cache[key]


def compute(
    db: Database, exhibit: str, now: float, base_url: str, tz: str, cache: dict[Any, Any] | None = None
) -> dict[str, Any]:
    """What `exhibit` should be doing at `now` (without the "v" field, which encode adds).

    `cache` (one per refresh at one `now`) shares what is the same for every exhibit: venues, the
    active campaigns and emergencies, resolved pack references.
    """
    cache = {} if cache is None else cache

    def ref(pack_id: str | None, version: str | None, region: str) -> dict[str, Any] | None:
        return _cached(
            cache, ("pack", pack_id, version, region), lambda: pack_ref(db, base_url, pack_id, version, region)
        )

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
        row = _cached(
            cache,
            ("venue", stay[0]),
            lambda: db.execute(
                "SELECT id, name, region, opening_hours, default_pack_id, default_pack_version,"
                " closed_days, power_on_before, power_off_after, wake_on_touch FROM venues WHERE id = ?",
                [stay[0]],
            ).fetchone(),
        )
        if row:
            venue = {"id": row[0], "name": row[1]}
            region = row[2]
            opening_hours = json.loads(row[3])
            # The agent switches displays from these, offline too (exhibit_agent/power/schedule.py).
            schedule = {
                "closed_days": json.loads(row[6] or "[]"),
                "power": {"on_before": row[7], "off_after": row[8], "wake_on_touch": bool(row[9])},
            }
            pack = ref(stay[1], stay[2], region) if stay[1] else ref(row[4], row[5], region)
            if pack and install_log.refusal(db, exhibit, pack["id"], pack["version"]):
                # This exhibit refused that version and will never retry it: the stay's last good pack.
                plan = install_log.stay_plan(db, exhibit, now)
                good = install_log.fallback(db, exhibit, plan) if plan else None
                if good is not None:
                    pack = messages.pack_ref(good["id"], good["version"], good["manifest_sha256"], base_url)
    if region is not None:
        campaigns = _cached(
            cache,
            "campaigns",
            lambda: db.execute(
                "SELECT region, pack_id, pack_version FROM campaigns WHERE starts <= ? AND ends > ?"
                " ORDER BY priority DESC, starts DESC, id DESC",
                [now, now],
            ).fetchall(),
        )
        for c_region, c_pack, c_version in campaigns:
            found = ref(c_pack, c_version, c_region) if in_scope(c_region, region) else None
            if found:
                pack = found
                break
    emergency = None
    rows = _cached(
        cache,
        "emergencies",
        lambda: db.execute(
            "SELECT id, region, message_zh, message_en, pack_id, pack_version, starts, expires FROM emergencies"
            " WHERE starts <= ? AND expires > ? AND cancelled IS NULL ORDER BY starts DESC, id DESC",
            [now, now],
        ).fetchall(),
    )
    for e_id, e_region, zh, en, e_pack, e_version, starts, expires in rows:
        # A nationwide broadcast (region "") reaches exhibits in transit too.
        if e_region == "" or (region is not None and in_scope(e_region, region)):
            emergency = messages.emergency_ref(e_id, zh, en, starts, expires, tz)
            found = ref(e_pack, e_version, e_region)
            if found:
                pack = found
            break
    audio = volume.for_desired(db, exhibit, venue["id"] if venue else None, tz)
    return messages.desired(exhibit, venue, opening_hours, pack, emergency, {"timezone": tz, **schedule}, audio)


class DesiredStates:
    """Recomputes desired states and yields retained messages for the ones that changed."""

    def __init__(self, controller: Any) -> None:
        self.controller = controller

    def refresh(self, exhibits: list[str] | None = None) -> list[Outgoing]:
        """Recompute (all, or the named) exhibits' desired states; the messages for those that changed.

        Computed from reads outside the write lock, in one pass sharing what all exhibits share;
        only the changed rows are written, in one short transaction. Callers serialise refreshes
        (the controller's lock), and publish after this returns: never inside a transaction.
        """
        c = self.controller
        now = c.clock.now()
        db = c.store.db
        if exhibits is None:
            known = {r[0]: r[1] for r in db.execute("SELECT id, desired_sha FROM exhibits")}
        else:
            known = {}
            for i in range(0, len(exhibits), 500):
                chunk = exhibits[i : i + 500]
                marks = ",".join("?" * len(chunk))
                known.update(
                    db.execute(f"SELECT id, desired_sha FROM exhibits WHERE id IN ({marks})", chunk).fetchall()
                )
        cache: dict[Any, Any] = {}
        changed: list[tuple[str, str, str, dict[str, Any]]] = []
        for exhibit in exhibits if exhibits is not None else list(known):
            if exhibit not in known:
                continue  # removed meanwhile
            state = compute(db, exhibit, now, c.settings.base_url, c.settings.timezone, cache)
            doc = json.dumps(state, sort_keys=True, ensure_ascii=False)
            sha = hashlib.sha256(doc.encode()).hexdigest()
            if known[exhibit] != sha:
                changed.append((doc, sha, exhibit, state))
        if changed:
            with c.store.write() as w:
                w.conn.executemany(
                    "UPDATE exhibits SET desired = ?, desired_sha = ? WHERE id = ?", [row[:3] for row in changed]
                )
        return [Outgoing(exhibit_topic(e, "desired"), encode(state), qos=1, retain=True) for _, _, e, state in changed]
