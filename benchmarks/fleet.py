#!/usr/bin/env python3
"""A province's fleet against a real Mosquitto and the real controller; last line JSON.

N simulated exhibits run in a few processes, each exhibit its own paho connection with its own
LWT (one loop thread per process drives them all: 2,000 threads would measure the scheduler), speaking the real protocol (kepu_contracts): retained `state` on connect, `health` every 30 s,
visitor sessions as event batches from a small in-memory outbox that deletes rows only on the
controller's ack (resending on timeout), `desired` answered by a retained `reported` that confirms
what is shown (an emergency included, as a live kiosk would), commands answered.

Behind it, a province as the controller would hold it after a year: venues in a four-level region
tree (province/city/district/community), an itinerary per exhibit (a past stay and the current
one), hourly rollups for the past year written straight into the store (the way benchmarks/reports.py
does, without the raw events), an approved pack and a province-wide viewer who is logged in.

Measured, with the fleet running:
- `page_p95_ms`: each dashboard page and stats endpoint loaded as the logged-in viewer (the
  dashboard's login cookie), sequentially, `--page-loads` times each;
- `ingest_lag_p95_s`: from an event's creation at an exhibit until the controller's ack for it arrives;
- `emergency_confirmed_p95_s`: a province-wide broadcast via the API until each exhibit's `reported`
  confirming it is in the controller's store;
- `campaign_publish_s`: a province-wide campaign via the API until every exhibit received its new
  desired state;
- `controller_rss_mib`, `controller_cpu_pct_idle` (fleet running, nobody loading pages), `db_mb`.

The broker runs without authentication here (enrolling N exhibits would measure PBKDF2, not the
fleet); the two-broker test and `kepu-controller bridge-config` cover the authenticated set-up.
Load (issue 15): realistic by default. Health every 30 s real time per exhibit (what the agent
sends: 67 messages/s at 2,000 exhibits) and a visitor at each exhibit every ~2 min on average (a
busy museum day: ~5 events a visit, ~80 events/s at 2,000 exhibits). `--speed N` compresses the
visitors' time N-fold and `--health-speed N` the health interval (the old default was 10 for both:
health every 3 s, 667 messages/s at 2,000 — far beyond any real fleet); the JSON says which ran.

Soak (`--seconds 3600`): the controller's RSS is sampled every minute (`rss_samples_mib`), and
`rss_growth_pct` compares the last sample with the one after the first five minutes; the
controller's ingest queue (`ingest_pending_max`, from GET /api/v1/ingest) and the simulators'
unacked outboxes (`outbox_max`, `events_unacked_at_end`) show growth; `log_errors` counts ERROR and
Traceback lines in the controller's log. The benchmark raises its own open-file limit (one socket
per exhibit) for the broker and the simulators.

Usage: python benchmarks/fleet.py --exhibits 2000 [--processes 4] [--seconds 300] [--speed 1] [--health-speed 1]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import platform
import random
import resource
import selectors
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from controller.devtools.broker import Broker, free_port  # noqa: E402

TZ = "Asia/Shanghai"
ADMIN = "fleet-bench-admin"
CITIES = ("shenzhen", "guangzhou", "foshan", "dongguan", "zhuhai", "shantou")
DISTRICTS = ("d1", "d2", "d3", "d4")
EXHIBITS_PER_VENUE = 4
ACK_TIMEOUT = 10.0
BATCH_MAX = 50


def p95(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


# -- the simulated exhibits (child processes) ---------------------------------------------


class SimExhibit:
    """One exhibit: its own MQTT session and LWT, an in-memory outbox, the ack/delete cycle."""

    def __init__(
        self,
        exhibit: str,
        port: int,
        speed: float,
        report,
        rng: random.Random,
        health_speed: float,
        selector: selectors.BaseSelector,
    ):
        import paho.mqtt.client as mqtt

        from kepu_contracts import messages
        from kepu_contracts.protocol import encode, exhibit_topic

        self.exhibit, self.speed, self.report, self.rng = exhibit, speed, report, rng
        self.health_every = 30.0 / health_speed
        self.messages, self.encode, self.topic = messages, encode, lambda c: exhibit_topic(exhibit, c)
        self.lock = threading.Lock()
        self.outbox: dict[int, tuple[dict, float]] = {}  # seq -> (event, created)
        self.inflight: tuple[str, int, int, float] | None = None  # batch, from, upto, sent
        self.seq = 0
        self.boot = uuid.uuid4().hex[:8]
        self.lags: list[float] = []
        self.resends = 0
        now = time.time()
        self.next_visit = now + rng.expovariate(speed / 120.0)
        self.next_health = now + rng.uniform(0, self.health_every)
        self.started = now
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=exhibit, clean_session=False)
        self.client.will_set(self.topic("state"), encode(messages.state_offline(exhibit)), qos=1, retain=True)
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.port = port
        self.last_attempt = self.last_misc = 0.0
        self.selector = selector
        self.sock = None  # the socket registered with the process's selector
        self.connect(now)

    def connect(self, now: float) -> None:
        """(Re)connect; the process's one loop thread drives every client (no thread per exhibit)."""
        self.last_attempt = now
        try:
            self.client.connect("127.0.0.1", self.port, keepalive=60)
        except OSError:
            pass  # retried from pump()
        self._register()

    def _register(self) -> None:
        # paho's own loop() select()s each socket (and adds a socket pair per client): past fd 1024 that
        # fails, which capped a process at ~340 clients. One epoll selector per process has no such limit.
        sock = self.client.socket()
        if sock is self.sock:
            return
        if self.sock is not None:
            try:
                self.selector.unregister(self.sock)
            except (KeyError, ValueError):
                pass
        self.sock = sock
        if sock is not None:
            try:  # a closed socket's number, reused by this new one, may still name another exhibit
                stale = self.selector.get_key(sock.fileno())
            except KeyError:
                stale = None
            if stale is not None:
                self.selector.unregister(stale.fileobj)
                stale.data.sock = None
            self.selector.register(sock, selectors.EVENT_READ, self)

    def pump(self, now: float, readable: bool) -> None:
        import paho.mqtt.client as mqtt

        client = self.client
        rc = client.loop_read() if readable else mqtt.MQTT_ERR_SUCCESS
        if rc == mqtt.MQTT_ERR_SUCCESS and client.want_write():
            rc = client.loop_write()
        if rc == mqtt.MQTT_ERR_SUCCESS and now - self.last_misc >= 1.0:
            self.last_misc = now
            rc = client.loop_misc()  # keepalive pings
        if (rc != mqtt.MQTT_ERR_SUCCESS or client.socket() is None) and now - self.last_attempt > 2.0:
            try:
                self.last_attempt = now
                client.reconnect()
            except OSError:
                pass
        self._register()

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        client.subscribe([(self.topic(c), 1) for c in ("ack", "desired", "commands")])
        state = self.messages.state_online(self.exhibit, "bench", self.started, None, "bench")
        client.publish(self.topic("state"), self.encode(state), qos=1, retain=True)
        with self.lock:
            self.inflight = None  # a reconnect: resend from the oldest unacked row

    def _on_message(self, client, userdata, msg) -> None:
        from kepu_contracts.protocol import ProtocolError, decode

        channel = msg.topic.rsplit("/", 1)[1]
        if not msg.payload:
            return
        try:
            payload = decode(msg.payload)
            if channel == "ack":
                self._on_ack(self.messages.parse_ack(payload))
            elif channel == "desired":
                self._on_desired(self.messages.parse_desired(payload))
            elif channel == "commands":
                command = self.messages.parse_command(payload)
                result = self.messages.command_result(command.id, True)
                client.publish(self.topic("command_results"), self.encode(result), qos=1)
        except (ProtocolError, ValueError, KeyError) as exc:
            self.report.put(("error", self.exhibit, f"{channel}: {exc}"))

    def _on_ack(self, ack) -> None:
        now = time.time()
        with self.lock:
            for seq in range(ack.from_seq, ack.upto_seq + 1):
                row = self.outbox.pop(seq, None)
                if row is not None:
                    self.lags.append(now - row[1])
            if self.inflight and self.inflight[0] == ack.batch:
                self.inflight = None

    def _on_desired(self, desired) -> None:
        now = time.time()
        pack = desired.pack.brief() if desired.pack else None
        emergency = desired.emergency.id if desired.emergency else None
        self.report.put(("desired", self.exhibit, now, pack["version"] if pack else None, emergency))
        # A live kiosk shows the broadcast at once; the agent confirms it in `reported`.
        body = self.messages.reported(pack, {"pack": pack}, None, emergency=emergency, emergency_shown=emergency)
        self.client.publish(self.topic("reported"), self.encode(body), qos=1, retain=True)

    def _visit(self, now: float) -> None:
        session = uuid.uuid4().hex
        taps = self.rng.choice((1, 2, 3, 5))
        kinds = [("session_start", {})] + [("tap", {})] * taps
        kinds += [("rating", {"value": self.rng.choice(("up", "up", "down"))})]
        kinds += [("session_end", {"duration": 5.0 * taps + 3, "interactions": taps})]
        for i, (kind, data) in enumerate(kinds):
            self.seq += 1
            event = {
                "id": f"{self.exhibit}-{self.boot}-{self.seq}",
                "seq": self.seq,
                "ts": now + i * 0.001,
                "mono": now,
                "boot": self.boot,
                "synced": True,
                "type": kind,
                "session": session,
                "scene": "intro",
                "data": data,
            }
            self.outbox[self.seq] = (event, now)

    def tick(self, now: float) -> None:
        with self.lock:
            if now >= self.next_visit:
                self._visit(now)
                self.next_visit = now + self.rng.expovariate(self.speed / 120.0)
            if self.inflight and now - self.inflight[3] > ACK_TIMEOUT:
                self.inflight = None
                self.resends += 1
            if self.inflight is None and self.outbox and self.client.is_connected():
                seqs = sorted(self.outbox)[:BATCH_MAX]
                batch = uuid.uuid4().hex
                body = self.messages.event_batch(self.exhibit, batch, [self.outbox[s][0] for s in seqs])
                self.client.publish(self.topic("events"), self.encode(body), qos=1)
                self.inflight = (batch, seqs[0], seqs[-1], now)
        if now >= self.next_health:
            self.next_health = now + self.health_every
            health = {  # the shape exhibit_agent/health.py sends
                "uptime": round(now - self.started, 1),
                "kiosk": {"pid": 1000, "fps": 30.0, "last_frame_age": 0.1, "heartbeat_age": 0.5, "alive": True},
                "fps": 30.0,
                "cpu_temp": 51.0,
                "disk_free": 9_000_000_000,
                "undervoltage": False,
                "throttled": None,
                "screen_on": True,
                "last_touch": None,
                "outbox": {"backlog": len(self.outbox), "bytes": 0, "over_cap": False},
            }
            self.client.publish(self.topic("health"), self.encode(health), qos=0)

    def stop(self) -> None:
        self.client.disconnect()
        if self.client.want_write():
            self.client.loop_write()


# -- the province behind it --------------------------------------------------------------


def region_of(venue: int) -> str:
    city = CITIES[venue % len(CITIES)]
    district = DISTRICTS[(venue // len(CITIES)) % len(DISTRICTS)]
    return f"guangdong/{city}/{district}/c{venue // (len(CITIES) * len(DISTRICTS))}"


def seed_province(db_path: Path, exhibits: list[str], days: int) -> None:
    """Venues, exhibits, itineraries and a year of hourly rollups, written straight into the store."""
    from controller.domain.opening import DEFAULT_HOURS
    from controller.domain.rollups import RollupDelta, dwell_column
    from controller.store.db import Store

    store = Store(db_path)
    rng = random.Random(11)
    now = time.time()
    venues = max(2, len(exhibits) // EXHIBITS_PER_VENUE)
    moved = now - min(30, max(1, days // 2)) * 86400  # the itinerary moved each exhibit then
    with store.write() as db:
        for v in range(venues):
            db["venues"].insert(
                {
                    "id": f"v{v:05d}",
                    "name": f"社区科普室 {v}",
                    "region": region_of(v),
                    "opening_hours": json.dumps(DEFAULT_HOURS),
                    "created": 0,
                }
            )
        for i, exhibit in enumerate(exhibits):
            home, before = i // EXHIBITS_PER_VENUE % venues, (i // EXHIBITS_PER_VENUE + 1) % venues
            db["exhibits"].insert(
                {"id": exhibit, "name": f"互动屏 {i}", "region": region_of(home), "enrolled": 1, "created": 0}
            )
            for venue, starts, ends in (
                (before, now - (days + 1) * 86400, moved),
                (home, moved, now + 60 * 86400),
                (before, now + 60 * 86400, now + 120 * 86400),
            ):
                db["rotations"].insert({"exhibit": exhibit, "venue": f"v{venue:05d}", "starts": starts, "ends": ends})
    for day in range(days, 0, -1):
        delta = RollupDelta(TZ)
        day_start = now - day * 86400
        for i, exhibit in enumerate(exhibits):
            home, before = i // EXHIBITS_PER_VENUE % venues, (i // EXHIBITS_PER_VENUE + 1) % venues
            venue = f"v{(home if day_start >= moved else before):05d}"
            for hour in (2, 6):  # 10:00 and 14:00 local: two busy hours a day
                sessions = rng.randrange(1, 6)
                meaningful = rng.randrange(0, sessions + 1)
                duration = float(rng.randrange(5, 200))
                delta.add(
                    day_start - day_start % 86400 + hour * 3600,
                    exhibit,
                    venue,
                    "bench-pack",
                    events=sessions * 5,
                    sessions=sessions,
                    ended=sessions,
                    interactions=sessions * 2,
                    meaningful=meaningful,
                    dwell_sum=duration * sessions,
                    rating_up=meaningful,
                    rating_down=sessions - meaningful,
                    **{dwell_column(duration): sessions},
                )
        with store.write() as w:
            delta.flush(w)
    store.close()


def build_campaign_pack(work: Path, data: Path) -> Path:
    """A signed pack, its signer trusted by the controller (DATA/trusted_keys)."""
    from content_packs.archive import build_pack
    from content_packs.signing import generate_keypair
    from content_packs.testing import make_pack

    generate_keypair(work / "keys" / "signer")
    (data / "trusted_keys").mkdir(parents=True, exist_ok=True)
    shutil.copy(work / "keys" / "signer.pub", data / "trusted_keys" / "signer.pub")
    src = make_pack(work / "src", pack_id="bench-campaign", version="2.0.0")
    return build_pack(src, work / "keys" / "signer.key", work / "built")


def upload_pack(api: httpx.Client, kpack: Path) -> None:
    with kpack.open("rb") as f:
        api.post("/api/v1/packs", files={"file": (kpack.name, f, "application/octet-stream")}).raise_for_status()
    api.post("/api/v1/packs/bench-campaign/2.0.0/review", json={"status": "approved"}).raise_for_status()


def start_controller(data: Path, mqtt_url: str, port: int) -> subprocess.Popen:
    """The real controller as its own process (its log in DATA/controller.log), as an installation runs it."""
    flags = ["--port", str(port), "--admin-token", ADMIN, "--timezone", TZ]
    with (data / "controller.log").open("ab") as log:  # the child keeps its own copy of the file
        return subprocess.Popen(
            [sys.executable, "-m", "controller", "serve", "--data", str(data), "--mqtt", mqtt_url, *flags],
            cwd=REPO,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONPATH": str(REPO)},
            start_new_session=True,
        )


def proc_stat(pid: int) -> tuple[float, float]:
    """(CPU seconds used, RSS MiB) of a process."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    rss = int(fields[21]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    return cpu, rss


def raise_file_limit(wanted: int) -> int:
    """One socket per exhibit (the broker's side and the simulators'): lift the limit, inherited by children.

    The soft limit up to the hard one; past it only where allowed (root), else as far as it goes.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and wanted > hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, wanted))
        except (ValueError, OSError):
            wanted = hard
    elif wanted > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def rss_growth(samples: list[float]) -> float | None:
    """Last RSS sample against the one after the first five minutes (None for shorter runs), in %."""
    if len(samples) < 7:
        return None
    return round(100.0 * (samples[-1] - samples[5]) / samples[5], 1)


def log_errors(path: Path) -> int:
    with path.open(errors="replace") as f:
        return sum(1 for line in f if " ERROR " in line or line.startswith("Traceback") or "ERROR:" in line)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--exhibits", type=int, default=200)
    p.add_argument("--processes", type=int, default=4, help="simulator processes (default 4)")
    p.add_argument("--seconds", type=float, default=30.0, help="steady running before measuring (default 30)")
    p.add_argument("--speed", type=float, default=1.0, help="time compression for visitors (default 1: real time)")
    p.add_argument(
        "--health-speed", type=float, default=1.0, help="time compression for health (default 1: every 30 s)"
    )
    p.add_argument("--days", type=int, default=365, help="days of rollups seeded (default 365)")
    p.add_argument("--page-loads", type=int, default=20, help="loads per page (default 20)")
    p.add_argument("--keep", action="store_true", help="keep the work folder")
    args = p.parse_args(argv)

    raise_file_limit(2 * args.exhibits + 1024)  # broker and simulators each hold one socket per exhibit
    # A `timeout` or Ctrl-C still stops the broker, the controller and the simulators (the finally below).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    work = Path(tempfile.mkdtemp(prefix="kepu-fleet-"))
    data = work / "controller"
    data.mkdir()
    exhibits = [f"ex-{i:05d}" for i in range(args.exhibits)]
    t0 = time.monotonic()
    seed_province(data / "controller.db", exhibits, args.days)
    seed_s = time.monotonic() - t0
    kpack = build_campaign_pack(work, data)
    broker = Broker(work / "broker").start()
    port = free_port()
    controller = start_controller(data, broker.url, port)
    base = f"http://127.0.0.1:{port}"
    admin = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {ADMIN}"}, timeout=60)
    report: mp.Queue = mp.get_context("spawn").Queue()
    workers: list[mp.process.BaseProcess] = []
    errors: list[str] = []
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if admin.get("/api/v1/exhibits", params={"limit": 1}).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or controller.poll() is not None:
                raise SystemExit(f"controller did not start; see {data / 'controller.log'}")
            time.sleep(0.3)
        upload_pack(admin, kpack)
        admin.post("/api/v1/users", json={"id": "gd-viewer", "role": "viewer", "region": "guangdong"})
        viewer_token = admin.post("/api/v1/users/gd-viewer/tokens", json={"label": "bench"}).json()["token"]
        admin.post("/api/v1/users", json={"id": "gd-reviewer", "role": "reviewer", "region": "guangdong"})
        reviewer = admin.post("/api/v1/users/gd-reviewer/tokens", json={"label": "bench"}).json()["token"]
        admin.post("/api/v1/users", json={"id": "gd-tech", "role": "technician", "region": "guangdong"})
        tech = admin.post("/api/v1/users/gd-tech/tokens", json={"label": "bench"}).json()["token"]

        # The fleet: desired states (retained) are already published for the seeded itineraries.
        steady_until = time.time() + 3600  # told to stop by `stop_at` below
        ctx = mp.get_context("spawn")
        share = [exhibits[i :: args.processes] for i in range(args.processes)]
        stop_file = work / "stop"
        for i, part in enumerate(share):
            proc = ctx.Process(
                target=_worker,
                args=(part, broker.port, args.speed, steady_until, report, i, str(stop_file), args.health_speed),
            )
            proc.start()
            workers.append(proc)
        desired_log: list[tuple[str, float, str | None, str | None]] = []
        outboxes: list[int] = []
        done: list[tuple] = []

        def drain(timeout: float = 0.05) -> None:
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                try:
                    item = report.get(timeout=max(0.001, deadline - time.monotonic()))
                except Exception:
                    return
                if item[0] == "desired":
                    desired_log.append(item[1:])
                elif item[0] == "error":
                    errors.append(f"{item[1]}: {item[2]}")
                elif item[0] == "done":
                    done.append(item[1:])
                elif item[0] == "outbox":
                    outboxes.append(item[1])

        conn = sqlite3.connect(f"file:{data / 'controller.db'}?mode=ro", uri=True, timeout=30)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            drain(0.5)
            online = conn.execute("SELECT COUNT(*) FROM exhibits WHERE online = 1").fetchone()[0]
            if online >= args.exhibits:
                break
        connect_s = time.monotonic() - t0 - seed_s
        end_steady = time.monotonic() + args.seconds
        rss_samples: list[float] = []
        pending_samples: list[int] = []
        next_sample = time.monotonic()
        while time.monotonic() < end_steady:
            drain(0.5)
            if time.monotonic() >= next_sample:  # every minute: RSS and the controller's ingest queue
                next_sample += 60
                rss_samples.append(round(proc_stat(controller.pid)[1], 1))
                try:
                    pending_samples.append(int(admin.get("/api/v1/ingest").json()["storage"]["pending"]))
                except (httpx.HTTPError, KeyError, ValueError):
                    pending_samples.append(-1)

        # Idle: the fleet talks, nobody looks at the dashboard.
        cpu0, _ = proc_stat(controller.pid)
        w0 = time.monotonic()
        while time.monotonic() < w0 + 10:
            drain(0.5)
        cpu1, rss = proc_stat(controller.pid)
        cpu_idle = 100.0 * (cpu1 - cpu0) / (time.monotonic() - w0)

        # Pages, as the logged-in province viewer loads them (the dashboard's login cookie).
        from pages import DISTRICT, dashboard_paths, login  # every page and stats endpoint, as benchmarks/pages.py

        viewer = login(base, viewer_token)
        paths = dashboard_paths(exhibits[len(exhibits) // 2], "v00000", DISTRICT, "guangdong")
        page_p95: dict[str, float | None] = {}
        statuses: dict[str, int] = {}
        for path in paths:
            times = []
            for _ in range(args.page_loads):
                t = time.perf_counter()
                response = viewer.get(path)
                times.append((time.perf_counter() - t) * 1000)
                statuses[path] = response.status_code
                drain(0.0)
            page_p95[path] = round(p95(times) or 0, 1)
        bad = {k: v for k, v in statuses.items() if v != 200}
        if bad:
            errors.append(f"pages not 200: {bad}")

        # A province-wide emergency broadcast until every exhibit's `reported` confirms it.
        expires = (datetime.now(ZoneInfo(TZ)) + timedelta(hours=1)).isoformat()
        t_em = time.time()
        response = httpx.post(
            f"{base}/api/v1/emergencies",
            json={
                "region": "guangdong",
                "message": {"zh": "台风红色预警", "en": "Typhoon red alert"},
                "expires": expires,
            },
            headers={"Authorization": f"Bearer {reviewer}"},
            timeout=60,
        )
        response.raise_for_status()
        emergency = str(response.json()["id"])
        confirmed: dict[str, float] = {}
        deadline = time.monotonic() + 120
        while len(confirmed) < args.exhibits and time.monotonic() < deadline:
            drain(0.02)
            for exhibit, shown in conn.execute(
                "SELECT id, json_extract(reported, '$.emergency_shown') FROM exhibits WHERE enrolled = 1"
            ):
                if shown is not None and str(shown) == emergency and exhibit not in confirmed:
                    confirmed[exhibit] = time.time() - t_em
        if len(confirmed) < args.exhibits:
            errors.append(f"emergency confirmed by {len(confirmed)} of {args.exhibits}")
        httpx.post(
            f"{base}/api/v1/emergencies/{emergency}/cancel", headers={"Authorization": f"Bearer {reviewer}"}, timeout=60
        )

        # A province-wide campaign until every exhibit has received its new desired state.
        drain(2.0)
        today = date.today()
        t_campaign = time.time()
        response = httpx.post(
            f"{base}/api/v1/campaigns",
            json={
                "name": "全国科普日",
                "region": "guangdong",
                "pack": {"id": "bench-campaign", "version": "2.0.0"},
                "starts": (today - timedelta(days=1)).isoformat(),
                "ends": (today + timedelta(days=7)).isoformat(),
                "priority": 10,
            },
            headers={"Authorization": f"Bearer {tech}"},
            timeout=60,
        )
        response.raise_for_status()
        received: dict[str, float] = {}
        deadline = time.monotonic() + 120
        while len(received) < args.exhibits and time.monotonic() < deadline:
            drain(0.1)
            for exhibit, at, version, _em in desired_log:
                if at >= t_campaign and version == "2.0.0" and exhibit not in received:
                    received[exhibit] = at - t_campaign
        if len(received) < args.exhibits:
            errors.append(f"campaign reached {len(received)} of {args.exhibits}")

        stop_file.touch()
        deadline = time.monotonic() + 60
        while len(done) < len(workers) and time.monotonic() < deadline:
            drain(0.5)
        _, rss_end = proc_stat(controller.pid)
        lags = [lag for d in done for lag in d[0]]
        pending = sum(d[1] for d in done)
        resends = sum(d[2] for d in done)
        stored = conn.execute("SELECT COUNT(*) FROM events").fetchone()[0]
        conn.close()
        db_mb = sum(f.stat().st_size for f in data.glob("controller.db*")) / 1e6
        with open("/proc/loadavg") as f:
            load = f.read().split()[:3]
        result = {
            "exhibits": args.exhibits,
            "page_p95_ms": page_p95,
            "ingest_lag_p95_s": round(p95(lags) or 0, 3),
            "emergency_confirmed_p95_s": round(p95(list(confirmed.values())) or 0, 3),
            "campaign_publish_s": round(max(received.values()), 3) if received else None,
            "controller_rss_mib": round(max(rss, rss_end), 1),
            "controller_cpu_pct_idle": round(cpu_idle, 1),
            "db_mb": round(db_mb, 1),
            "events_acked": len(lags),
            "events_stored": stored,
            "events_unacked_at_end": pending,
            "batch_resends": resends,
            "emergency_confirmed": len(confirmed),
            "campaign_received": len(received),
            "seed_s": round(seed_s, 1),
            "connect_s": round(connect_s, 1),
            "rollup_days": args.days,
            "processes": args.processes,
            "speed": args.speed,
            "load_avg": load,
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "health_speed": args.health_speed,
            "seconds": args.seconds,
            "rss_samples_mib": rss_samples,
            "rss_growth_pct": rss_growth(rss_samples),
            "ingest_pending_max": max(pending_samples, default=None),
            "outbox_max": max(outboxes, default=None),
            "log_errors": log_errors(data / "controller.log"),
            "errors": errors[:10],
        }
    finally:
        (work / "stop").touch()
        for proc in workers:
            proc.join(timeout=15)
            if proc.is_alive():
                proc.terminate()
        try:
            os.killpg(controller.pid, 15)
            controller.wait(timeout=20)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            controller.kill()
        broker.stop()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(result, ensure_ascii=False))
    return 0


def _worker(
    part: list[str], port: int, speed: float, until: float, report, index: int, stop_file: str, health_speed: float
) -> None:
    # Stop early when the parent says so (a file: no shared state between spawned processes needed).
    stop = Path(stop_file)
    watcher_until = [until]

    def watch() -> None:
        while not stop.exists():
            time.sleep(0.2)
        watcher_until[0] = 0

    threading.Thread(target=watch, daemon=True).start()
    _run_until(part, port, speed, watcher_until, report, index, health_speed)


def _run_until(
    part: list[str], port: int, speed: float, until: list[float], report, seed: int, health_speed: float
) -> None:
    rng = random.Random(seed)
    selector = selectors.DefaultSelector()
    sims: list[SimExhibit] = []
    for exhibit in part:
        sims.append(SimExhibit(exhibit, port, speed, report, rng, health_speed, selector))
        _pass(sims[-20:], selector, ticks=False)  # CONNACKs of the latest connections
    next_report = time.time() + 60
    while time.time() < until[0]:
        _pass(sims, selector)
        if time.time() >= next_report:  # the soak watches the outboxes for growth
            next_report += 60
            report.put(("outbox", sum(len(sim.outbox) for sim in sims)))
    # Last acks: wait until every outbox is empty (or a few seconds).
    for sim in sims:
        sim.next_visit = float("inf")
    deadline = time.time() + 8
    while time.time() < deadline and any(sim.outbox or sim.inflight for sim in sims):
        _pass(sims, selector)
    lags: list[float] = []
    pending = resends = 0
    for sim in sims:
        with sim.lock:
            lags += sim.lags
            pending += len(sim.outbox)
            resends += sim.resends
        sim.stop()
    report.put(("done", lags, pending, resends))


def _pass(sims: list[SimExhibit], selector: selectors.BaseSelector, ticks: bool = True) -> None:
    """One round over these exhibits: network I/O, then their clocks; at most 20 rounds a second.

    Sockets are level-triggered: one ready but outside `sims` is served by a later round.
    """
    started = time.time()
    ready = {id(key.data) for key, _ in selector.select(timeout=0)}
    for sim in sims:
        sim.pump(started, id(sim) in ready)
        if ticks:
            sim.tick(started)
    if ticks:
        time.sleep(max(0.0, 0.05 - (time.time() - started)))


if __name__ == "__main__":
    raise SystemExit(main())
