"""The demo's past, besides visits: when each exhibit was online and lit, and its health, for the backfilled days.

Without this a fresh demo shows 开机率 0 % beside weeks of visits (visits are backfilled,
availability was not). Each exhibit is online through its stays, with a rare outage; its
display follows the venue's power plan (opening hours ± margins, closed days dark), exactly
as the agent would switch it; health samples say the same. Written once per controller data
folder, straight into the controller's store (a devtool, never used by `serve`).
"""

from __future__ import annotations

import itertools
import json
import random
from pathlib import Path

from controller.domain.opening import check_opening_hours, closed_of
from controller.domain.rollups import accrue_online
from controller.store.db import Store
from kepu_contracts.opening_hours import PowerPlan

MARKER = "demo_availability_backfilled"
SAMPLE_EVERY = 900.0  # s between backfilled health samples (the live ones come every 5 min)


def _cut(spans: list[tuple[float, float]], a: float, b: float) -> list[tuple[float, float]]:
    return [(max(x, a), min(y, b)) for x, y in spans if min(y, b) > max(x, a)]


def backfill(controller_data: Path, exhibits: list[str], start: float, end: float, tz: str, seed: int = 13) -> int:
    """Online spans (lit by the power plan) and health samples for [start, end); returns spans written."""
    rng = random.Random(seed)
    store = Store(controller_data / "controller.db")
    written = 0
    try:
        with store.write() as db:
            if db.execute("SELECT 1 FROM counters WHERE name = ?", [MARKER]).fetchone():
                return 0
            for exhibit in exhibits:
                stays = db.execute(
                    "SELECT r.starts, r.ends, v.opening_hours, v.closed_days, v.power_on_before, v.power_off_after"
                    " FROM rotations r JOIN venues v ON v.id = r.venue WHERE r.exhibit = ? AND r.ends > ? AND r.starts < ?"
                    " ORDER BY r.starts",
                    [exhibit, start, end],
                ).fetchall()
                samples = []
                for s0, s1, hours, closed, before, after in stays:
                    a, b = max(s0, start), min(s1, end)
                    plan = PowerPlan(check_opening_hours(json.loads(hours)), tz, closed_of(closed), before, after)
                    lit = _cut(plan.powered_intervals(a, b), a, b)
                    # Online the whole stay but for an outage now and then (a power cut, a router reboot).
                    offline: list[tuple[float, float]] = []
                    t = a
                    while t < b:
                        if rng.random() < 0.35:
                            o = t + rng.uniform(6, 20) * 3600
                            offline.append((o, o + rng.uniform(0.5, 3) * 3600))
                        t += 86400
                    edges = sorted({a, b, *[x for span in lit + offline for x in span if a < x < b]})
                    for x, y in itertools.pairwise(edges):
                        mid = (x + y) / 2
                        if any(o0 <= mid < o1 for o0, o1 in offline):
                            continue
                        on = any(l0 <= mid < l1 for l0, l1 in lit)
                        accrue_online(db, exhibit, x, y, tz, lit=on)
                        written += 1
                        t = x
                        while t < y:
                            samples.append(
                                {
                                    "exhibit": exhibit,
                                    "ts": t,
                                    "cpu_temp": round(rng.uniform(46, 61), 1),
                                    "disk_free": 18e9,
                                    "fps": 30.0 if on else 4.0,
                                    "kiosk_fps": 30.0 if on else 4.0,
                                    "kiosk_alive": 1,
                                    "undervoltage": 0,
                                    "screen_on": int(on),
                                    "uptime": t - a,
                                    "backlog": 0.0,
                                }
                            )
                            t += SAMPLE_EVERY
                if samples:
                    db.table("health_samples").insert_all(samples)
            db.conn.execute("INSERT INTO counters (name, value) VALUES (?, 1)", [MARKER])
    finally:
        store.close()
    return written
