#!/usr/bin/env python3
"""A year of synthetic events for 500 exhibits: the monthly region report from rollups vs a naive GROUP BY; last line JSON.

Events, visits and their hourly rollups are written together (as ingest would: the rollup counts
equal what the raw rows say), then the same month's region report is computed twice: by
`controller.domain.reports.monthly_report` over rollups (the one report the API and the dashboard serve), and by one GROUP BY over raw events (with an index
on ts, and dwell percentiles sorted in Python). Both must agree on sessions per venue.
Then one exhibit's itinerary is changed after the fact, as a technician would (its year-long stay
cut short by 200 days (or half), then cancelled, then planned again), timing each re-attribution
(`controller.domain.attribution`), and the report must still agree with the raw events.
Usage: python benchmarks/reports.py [--exhibits 500] [--days 365] [--sessions-per-day 4]
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import statistics
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from controller.domain import report_files, rotations
from controller.domain.auth import Principal
from controller.domain.opening import DEFAULT_HOURS, _open_hours, month_range
from controller.domain.reports import monthly_report
from controller.domain.rollups import RollupDelta, dwell_column
from controller.store.db import Store

TZ = "Asia/Shanghai"
START = 1_735_660_800.0  # 2025-01-01 00:00 +08:00
REGIONS = [
    f"guangdong/shenzhen/{d}/c{c}" for d in ("nanshan", "futian", "luohu", "baoan", "longgang") for c in range(10)
]


def populate(store: Store, exhibits: int, days: int, per_day: int, seed: int = 7) -> int:
    """Venues (10 exhibits each), one stay per exhibit for the year, and sessions of 4 events each."""
    rng = random.Random(seed)
    db = store.db
    with store.write():
        for v in range(exhibits // 10):
            db["venues"].insert(
                {
                    "id": f"v{v:03d}",
                    "name": f"Venue {v}",
                    "region": REGIONS[v % len(REGIONS)],
                    "opening_hours": json.dumps(DEFAULT_HOURS),
                    "created": 0,
                }
            )
        for e in range(exhibits):
            db["exhibits"].insert({"id": f"ex{e:04d}", "created": 0, "enrolled": 1})
            db["rotations"].insert(
                {"exhibit": f"ex{e:04d}", "venue": f"v{e // 10:03d}", "starts": START, "ends": START + days * 86400}
            )
    total = 0
    for day in range(days):
        rows, visits, delta = [], [], RollupDelta(TZ)
        for e in range(exhibits):
            exhibit, venue = f"ex{e:04d}", f"v{e // 10:03d}"
            for s in range(per_day):
                t = START + day * 86400 + 3600 + rng.randrange(8 * 3600)  # 09:00-17:00 local
                interactions = rng.choice((1, 2, 3, 5))
                duration = float(rng.randrange(3, 300))
                session = f"{exhibit}-{day}-{s}"
                rating = rng.choice(("up", "down"))
                for i, (kind, data) in enumerate(
                    (
                        ("session_start", {}),
                        ("tap", {}),
                        ("rating", {"value": rating}),
                        ("session_end", {"duration": duration, "interactions": interactions}),
                    )
                ):
                    rows.append(
                        (
                            f"{session}-{i}",
                            exhibit,
                            total + 1,
                            t + i,
                            kind,
                            session,
                            "intro",
                            json.dumps(data),
                            venue,
                            "p1",
                            t,
                        )
                    )
                    total += 1
                visits.append((session, exhibit, venue, "p1", t, t + 3, duration, interactions))
                delta.add(
                    t,
                    exhibit,
                    venue,
                    "p1",
                    events=4,
                    sessions=1,
                    ended=1,
                    interactions=1,
                    meaningful=int(interactions >= 2),
                    dwell_sum=duration,
                    **{dwell_column(duration): 1},
                    **{f"rating_{rating}": 1},
                )
        with store.write() as w:
            w.conn.executemany(
                "INSERT INTO events (id, exhibit, seq, ts, type, session, scene, data, venue, pack, received) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                rows,
            )
            w.conn.executemany(
                "INSERT INTO visits (session, exhibit, venue, pack, started, ended, duration, interactions) VALUES (?,?,?,?,?,?,?,?)",
                visits,
            )
            delta.flush(w)
    return total


def naive(store: Store, month: str) -> dict[str, dict[str, float]]:
    """The report straight from raw events: one GROUP BY, percentiles sorted in Python."""
    start, end = month_range(month, TZ)
    out: dict[str, dict[str, float]] = {}
    dwell: dict[str, list[float]] = defaultdict(list)
    for venue, sessions, meaningful, up, down in store.db.execute(
        "SELECT venue, SUM(type = 'session_start'),"
        " SUM(type = 'session_end' AND json_extract(data, '$.interactions') >= 2),"
        " SUM(type = 'rating' AND json_extract(data, '$.value') = 'up'),"
        " SUM(type = 'rating' AND json_extract(data, '$.value') = 'down')"
        " FROM events WHERE ts >= ? AND ts < ? GROUP BY venue",
        [start, end],
    ):
        out[venue] = {
            "sessions": sessions,
            "meaningful": meaningful,
            "satisfaction": up / (up + down) if up + down else None,
        }
    for venue, duration in store.db.execute(
        "SELECT venue, json_extract(data, '$.duration') FROM events WHERE type = 'session_end' AND ts >= ? AND ts < ?",
        [start, end],
    ):
        dwell[venue].append(duration)
    for venue, values in dwell.items():
        values.sort()
        out[venue]["dwell_p50"] = values[len(values) // 2]
    return out


def change_itinerary(store: Store, days: int) -> dict[str, float]:
    """Milliseconds to re-attribute ex0000 after its stay is shortened, cancelled and planned again."""
    admin = Principal(id="bench", role="admin")
    out = {}
    with store.write() as db:
        [stay] = [r["id"] for r in db.query("SELECT id FROM rotations WHERE exhibit = 'ex0000'")]
    end = START + days * 86400
    cut = min(200, days // 2)  # days the stay is cut short by
    for name, change in (
        ("shorten", lambda db: rotations.reschedule(db, admin, stay, None, end - cut * 86400, 0, TZ)),
        ("cancel", lambda db: rotations.delete(db, admin, stay, 0, TZ)),
        (
            "plan_again",
            lambda db: rotations.create(db, admin, {"exhibit": "ex0000", "venue": "v000"}, START, end, 0, TZ),
        ),
    ):
        t0 = time.perf_counter()
        with store.write() as db:
            change(db)
        out[name] = round((time.perf_counter() - t0) * 1000, 1)
    return out


def timed(fn, repeat: int = 3) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exhibits", type=int, default=500)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--sessions-per-day", type=int, default=4)
    parser.add_argument("--month", default="2025-06")
    parser.add_argument("--region", default="guangdong/shenzhen/nanshan")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "controller.db")
        t0 = time.perf_counter()
        events = populate(store, args.exhibits, args.days, args.sessions_per_day)
        store.db.execute("CREATE INDEX IF NOT EXISTS events_ts ON events(ts)")  # fair to the naive query
        store.db.execute("ANALYZE")
        build_seconds = time.perf_counter() - t0
        root = Principal(id="bench", role="admin")

        def report() -> list:
            _open_hours.cache_clear()  # measure a cold report, not a cached one
            return monthly_report(store.db, root, args.region, args.month, TZ).as_rows()

        rollup_s, rows = timed(report)
        the_report = monthly_report(store.db, root, args.region, args.month, TZ)
        csv_s, _ = timed(lambda: report_files.to_csv(the_report, "zh"))
        xlsx_s, _ = timed(lambda: report_files.to_xlsx(the_report, "zh"))
        naive_s, raw = timed(lambda: naive(store, args.month))
        agree = all(raw.get(r["venue"], {}).get("sessions") == r["sessions"] for r in rows[:-1])
        reattribution_ms = change_itinerary(store, args.days)
        after = report()
        raw_after = naive(store, args.month)
        agree = agree and all(raw_after.get(r["venue"], {}).get("sessions") == r["sessions"] for r in after[:-1])
        agree = agree and [(r["venue"], r["sessions"]) for r in after] == [(r["venue"], r["sessions"]) for r in rows]
        size = sum(p.stat().st_size for p in Path(tmp).glob("controller.db*"))
        store.close()
    print(
        f"{events:,} events for {args.exhibits} exhibits over {args.days} days built in {build_seconds:.1f} s ({size / 1e6:.0f} MB)"
    )
    print(
        f"monthly report {args.region} {args.month}: rollups {rollup_s * 1000:.1f} ms, naive GROUP BY {naive_s * 1000:.1f} ms"
    )
    print(f"re-attribution of one exhibit's year (ms): {reattribution_ms}")
    print(
        json.dumps(
            {
                "benchmark": "reports",
                "ok": agree,
                "events": events,
                "exhibits": args.exhibits,
                "days": args.days,
                "venues_in_report": len(rows) - 1,
                "rollup_report_ms": round(rollup_s * 1000, 2),
                "naive_group_by_ms": round(naive_s * 1000, 2),
                "ratio": round(naive_s / rollup_s, 1),
                "csv_ms": round(csv_s * 1000, 2),
                "xlsx_ms": round(xlsx_s * 1000, 2),
                "reattribution_ms": reattribution_ms,
                "db_mb": round(size / 1e6),
                "python": platform.python_version(),
            }
        )
    )


if __name__ == "__main__":
    main()
