#!/usr/bin/env python3
"""Every dashboard page and stats endpoint, timed against a seeded province; last line JSON.

The same province as `benchmarks/fleet.py` (its `seed_province`: four-level region tree,
itineraries, a year of hourly rollups) in a real SQLite file, the real controller (HTTP server and
a real Mosquitto, no simulated fleet: the exhibits are offline), and two logged-in people who load
each page in turn through `/login` (the dashboard's session cookie): a province-wide viewer and a
district technician. Seeding a large province takes minutes, so `--db FILE` keeps the seeded
database and reuses it on the next run (a copy is served, the kept file never changes).

Measured: `page_p95_ms` per path (the viewer's; the technician's under `tech_page_p95_ms`),
`--page-loads` sequential loads each after one warm-up load.

Usage: python benchmarks/pages.py --exhibits 2000 [--db /tmp/kepu-pages-2000.db] [--page-loads 10]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from fleet import ADMIN, p95, proc_stat, region_of, seed_province, start_controller  # noqa: E402

from controller.devtools.broker import Broker, free_port  # noqa: E402

DISTRICT = region_of(0).rsplit("/", 1)[0]  # guangdong/shenzhen/d1: the technician's district


def dashboard_paths(exhibit: str, venue: str, region: str, scope: str) -> list[str]:
    """Every dashboard page (GET routes of controller/web/dashboard/) and every stats endpoint, plus long API lists.

    `region` is a district to filter by; `scope` the viewer's own region (the monthly report's default).
    """
    month = time.strftime("%Y-%m")
    return [
        "/",
        "/fleet",
        f"/fleet?region={region}",
        "/fleet?state=problem",
        "/fleet?page=3",
        f"/exhibits/{exhibit}",
        "/venues",
        "/rotations",
        "/reports",
        f"/reports?month={month}&region={region}",
        "/reports.csv",
        "/media",
        "/alerts",
        "/packs",
        "/campaigns",
        "/api/v1/stats/metrics",
        f"/api/v1/stats/metrics?region={region}",
        f"/api/v1/stats/metrics?exhibit={exhibit}",
        "/api/v1/stats/usage",
        "/api/v1/stats/usage?group=region&period=month&region_level=3",
        "/api/v1/stats/usage?group=exhibit&period=all",
        "/api/v1/stats/media",
        "/api/v1/stats/quiz",
        f"/api/v1/reports/monthly?month={month}&region={scope}",
        "/api/v1/exhibits",
        "/api/v1/exhibits?limit=100",
        "/api/v1/venues",
        f"/api/v1/rotations?venue={venue}",
        "/api/v1/alerts",
        "/api/v1/tickets",
        "/api/v1/campaigns",
        "/api/v1/emergencies",
        "/api/v1/packs",
    ]


def login(base: str, token: str) -> httpx.Client:
    """A client holding the dashboard session cookie, logged in through the login form."""
    client = httpx.Client(base_url=base, timeout=120)
    response = client.post("/login", data={"token": token})
    if response.status_code != 303:
        raise SystemExit(f"login failed: {response.status_code} {response.text[:200]}")
    return client


def time_paths(client: httpx.Client, paths: list[str], loads: int) -> tuple[dict[str, float], dict[str, int]]:
    """p95 milliseconds per path (after one warm-up load) and the last status seen."""
    out: dict[str, float] = {}
    statuses: dict[str, int] = {}
    for path in paths:
        client.get(path)
        times = []
        for _ in range(loads):
            t = time.perf_counter()
            response = client.get(path)
            times.append((time.perf_counter() - t) * 1000)
            statuses[path] = response.status_code
        out[path] = round(p95(times) or 0, 1)
    return out, statuses


def settle(pid: int, limit: float = 600.0) -> float:
    """Wait until the controller is quiet (it publishes every exhibit's desired state after starting); seconds waited."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < limit:
        cpu0, _ = proc_stat(pid)
        time.sleep(2.0)
        cpu1, _ = proc_stat(pid)
        if (cpu1 - cpu0) / 2.0 < 0.15:
            break
    return time.monotonic() - t0


def seeded(db: Path | None, exhibits: list[str], days: int, into: Path) -> float:
    """Seed into `into` (or copy a kept seed of the same size); seconds spent seeding (0 when reused)."""
    if db is not None and db.exists():
        shutil.copy(db, into)
        return 0.0
    t0 = time.monotonic()
    seed_province(into, exhibits, days)
    spent = time.monotonic() - t0
    if db is not None:
        shutil.copy(into, db)
    return spent


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--exhibits", type=int, default=200)
    p.add_argument("--days", type=int, default=365, help="days of rollups seeded (default 365)")
    p.add_argument("--page-loads", type=int, default=10, help="timed loads per page (default 10)")
    p.add_argument("--db", type=Path, help="keep the seeded database here and reuse it when it exists")
    p.add_argument("--only", help="time only the paths containing this text")
    args = p.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="kepu-pages-"))
    data = work / "controller"
    data.mkdir()
    exhibits = [f"ex-{i:05d}" for i in range(args.exhibits)]
    seed_s = seeded(args.db, exhibits, args.days, data / "controller.db")
    broker = Broker(work / "broker").start()
    port = free_port()
    controller = start_controller(data, broker.url, port)
    base = f"http://127.0.0.1:{port}"
    admin = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {ADMIN}"}, timeout=120)
    try:
        deadline = time.monotonic() + 1800
        while True:
            try:
                if admin.get("/api/v1/venues").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or controller.poll() is not None:  # (m011 fills its summaries first)
                raise SystemExit(f"controller did not start; see {data / 'controller.log'}")
            time.sleep(0.5)
        settle_s = settle(controller.pid)
        tokens = {}
        for user, role, region in (("gd-viewer", "viewer", "guangdong"), ("d1-tech", "technician", DISTRICT)):
            admin.post("/api/v1/users", json={"id": user, "role": role, "region": region})
            tokens[user] = admin.post(f"/api/v1/users/{user}/tokens", json={"label": "bench"}).json()["token"]
        # The viewer looks at an exhibit mid-province, the technician at one in their district.
        paths = dashboard_paths(exhibits[len(exhibits) // 2], "v00000", DISTRICT, "guangdong")
        tech_paths = dashboard_paths(exhibits[0], "v00000", DISTRICT, DISTRICT)
        if args.only:
            paths = [path for path in paths if args.only in path]
            tech_paths = [path for path in tech_paths if args.only in path]
        viewer_p95, statuses = time_paths(login(base, tokens["gd-viewer"]), paths, args.page_loads)
        tech_p95, tech_statuses = time_paths(login(base, tokens["d1-tech"]), tech_paths, args.page_loads)
        bad = {k: v for k, v in statuses.items() if v != 200}
        bad.update({f"tech {k}": v for k, v in tech_statuses.items() if v != 200})
        with open("/proc/loadavg") as f:
            load = f.read().split()[:3]
        result = {
            "exhibits": args.exhibits,
            "page_p95_ms": viewer_p95,
            "tech_page_p95_ms": tech_p95,
            "slowest_ms": max(list(viewer_p95.values()) + list(tech_p95.values()), default=0),
            "page_loads": args.page_loads,
            "rollup_days": args.days,
            "seed_s": round(seed_s, 1),
            "settle_s": round(settle_s, 1),
            "db_mb": round(sum(f.stat().st_size for f in data.glob("controller.db*")) / 1e6, 1),
            "load_avg": load,
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "errors": [f"not 200: {bad}"] if bad else [],
        }
    finally:
        try:
            os.killpg(controller.pid, 15)
            controller.wait(timeout=30)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            controller.kill()
        broker.stop()
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
