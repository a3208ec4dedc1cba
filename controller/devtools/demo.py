"""`kepu-controller demo`: the whole stack on one machine, for a first look.

A private Mosquitto (unless --mqtt is given), the controller, and simulated exhibits:
each is a real `kepu-kiosk simulate --live` writing its outbox and a real `kepu-agent`
draining it over MQTT. Packs are signed, uploaded and approved and itineraries planned
through the API (demo_seed.py), and past weeks of visits are backfilled. Children run in
their own process groups and are all stopped on Ctrl-C or SIGTERM; one that dies is
restarted, as systemd would.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from controller.devtools.broker import Broker, free_port
from controller.devtools.demo_history import backfill as backfill_availability
from controller.devtools.demo_seed import (
    ITINERARIES,
    ROUND_THE_CLOCK,
    VENUES,
    agent_config,
    build_samples,
    enroll_exhibits,
    make_signing_key,
    seed,
)
from controller.domain.enroll import CONTROLLER_USER
from kepu_contracts.datadir import DataDir
from kepu_contracts.outbox import Outbox

SAMPLES = Path(__file__).resolve().parents[2] / "content_packs" / "samples"
# Exhibit ids and the sample each one plays; more exhibits cycle through the samples.
DEMO_EXHIBITS = (
    ("ex-quake-01", "earthquake-fire-safety"),
    ("ex-food-01", "food-safety-home"),
    ("ex-scam-01", "phone-scam-seniors"),
    ("ex-carbon-01", "low-carbon-living"),
)
# A 科普大屏 beside the touch exhibits: it plays its playlist all day, so proof of play has something to show.
SIGNAGE = (
    "ex-screen-01",
    Path(__file__).resolve().parents[2] / "content_packs" / "samples-signage" / "community-screen",
)
SIGNAGE_HISTORY_DAYS = 2  # a playlist decodes every film it shows: two days of the past keep the start quick


TIMEZONE = "Asia/Shanghai"  # the controller's default, which the demo keeps


def _opening(exhibit: str) -> str:
    """Local hours the backfilled visitors come: round the clock if the exhibit only stood at a 24-hour venue."""
    hours = {v.id: v.opening_hours for v in VENUES}
    stays = ITINERARIES.get(exhibit, ())
    if stays and all(hours.get(venue) == ROUND_THE_CLOCK for venue, _, _ in stays):
        return "0-24"
    return "9-21"


@dataclass
class Child:
    name: str
    argv: list[str]
    log: Path
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen | None = None
    restarts: int = 0
    # A one-shot job (history backfill) is not restarted; `on_success` runs once when it exits 0.
    on_success: Callable[[], None] | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                self.argv,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env={**os.environ, **self.env},
                start_new_session=True,  # Ctrl-C goes to us; we stop the group ourselves
            )

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def terminate(self) -> None:
        if self.process and self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass

    def wait(self, deadline: float) -> None:
        if not self.process:
            return
        try:
            self.process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.process.wait()


def stop_all(children: list[Child], grace: float = 8.0) -> None:
    """SIGTERM every child at once, then SIGKILL whatever is still there after `grace`."""
    for child in children:
        child.terminate()
    deadline = time.monotonic() + grace
    for child in children:
        child.wait(deadline)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="kepu-controller demo", description="Run a broker, the controller and simulated exhibits."
    )
    p.add_argument("--data", type=Path, help="where the demo keeps its files (default: a new temporary folder)")
    p.add_argument("--mqtt", help="use this broker (mqtt://HOST:PORT) instead of starting one")
    p.add_argument("--port", type=int, default=0, help="dashboard port (default: a free one)")
    p.add_argument("--host", default="127.0.0.1", help="address the dashboard listens on")
    p.add_argument("--exhibits", type=int, default=3, help="simulated touch exhibits (default 3)")
    p.add_argument("--signage", type=int, choices=(0, 1), default=1, help="simulated 科普大屏 screens (default 1)")
    p.add_argument("--admin-token", default=os.environ.get("KEPU_ADMIN_TOKEN"), help="admin token (default: generated)")
    p.add_argument("--mean-gap", type=float, default=4.0, help="mean seconds between visitors at each exhibit")
    p.add_argument("--seconds", type=float, help="stop by itself after this many seconds")
    p.add_argument(
        "--history-days", type=int, default=14, help="days of past visits to backfill per exhibit (default 14; 0: none)"
    )
    return p


def _python_module(module: str) -> list[str]:
    return [sys.executable, "-m", module]


def _sample_packs() -> list[Path]:
    packs = sorted(p for p in SAMPLES.iterdir() if (p / "pack.toml").is_file()) if SAMPLES.is_dir() else []
    if not packs:
        raise SystemExit(f"no sample packs in {SAMPLES}")
    return packs


def _wait_http(url: str, token: str, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            r = httpx.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=2)
            if r.status_code < 500:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    return False


def _history_job(
    exhibit: str, pack: Path, exhibit_data: Path, days: int, seed: int, logs: Path, opening: str = "9-21"
) -> Child:
    """Simulate the past `days` of visits (opening hours only) and hand them to the exhibit's outbox.

    The visits are recorded in a separate folder, then adopted into the outbox, so they
    leave through the exhibit's own agent and the controller attributes each to the venue
    where the exhibit stood at the time — the demo's itineraries include a move.
    """
    history = exhibit_data / "history"
    shutil.rmtree(history, ignore_errors=True)
    start = datetime.now(UTC) - timedelta(days=days)
    until = datetime.now(UTC) - timedelta(minutes=5)

    def adopt() -> None:
        outbox = Outbox(DataDir(exhibit_data).outbox)
        try:
            added = outbox.adopt(DataDir(history).outbox)
        finally:
            outbox.close()
        (history / "adopted").touch()  # a second run with the same --data must not add the past again
        print(f"kepu demo: {exhibit}: {added} events from the past {days} days queued for the controller", flush=True)

    return Child(
        f"{exhibit}-history",
        [
            *_python_module("kiosk"),
            "simulate",
            "--pack",
            str(pack),
            "--data",
            str(history),
            "--sessions",
            "0",
            "--seed",
            str(seed),
            "--mean-gap",
            "420",
            "--start",
            start.isoformat(),
            "--until",
            until.isoformat(),
            "--opening",
            opening,
        ],
        logs / f"{exhibit}-history.log",
        env={"SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy", "SDL_NO_SIGNAL_HANDLERS": "1"},
        on_success=adopt,
    )


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    data = (args.data or Path(tempfile.mkdtemp(prefix="kepu-demo-"))).resolve()
    data.mkdir(parents=True, exist_ok=True)
    logs = data / "logs"
    logs.mkdir(exist_ok=True)
    token = args.admin_token or secrets.token_urlsafe(18)
    port = args.port or free_port()
    stopping = False

    def _stop(signum, frame):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)

    exhibits = [DEMO_EXHIBITS[i][0] if i < len(DEMO_EXHIBITS) else f"ex-demo-{i + 1:02d}" for i in range(args.exhibits)]
    signage = [SIGNAGE[0]] if args.signage and (SIGNAGE[1] / "pack.toml").is_file() else []
    exhibits += signage
    broker: Broker | None = None
    # Enrolled exhibits can be planned into itineraries, and get their device tokens.
    enrolment = enroll_exhibits(data / "controller", exhibits)
    credentials = None
    if args.mqtt:
        mqtt_url = controller_mqtt = args.mqtt  # someone else's broker: its own logins apply
    else:
        # Our own broker runs like a real deployment: each exhibit logs in as itself and
        # the ACL written by enrolment confines it to its own topics.
        credentials = enrolment
        broker = Broker(
            workdir=data / "broker", password_file=credentials.password_file, acl_file=credentials.acl_file
        ).start()
        mqtt_url = broker.url
        controller_mqtt = f"mqtt://{CONTROLLER_USER}:{credentials.controller_password}@127.0.0.1:{broker.port}"
    controller_url = f"http://127.0.0.1:{port}"
    packs = _sample_packs()
    private_key, public_key = make_signing_key(data / "keys")
    kpacks = build_samples([*packs, SIGNAGE[1]] if signage else packs, private_key, data / "kpacks")
    children = [
        Child(
            "controller",
            [
                *_python_module("controller"),
                "serve",
                "--data",
                str(data / "controller"),
                "--port",
                str(port),
                "--host",
                args.host,
                "--trusted-key",
                str(public_key),
            ],
            logs / "controller.log",
            # Secrets through the environment, not argv (which every user sees in `ps`).
            env={"KEPU_MQTT_URL": controller_mqtt, "KEPU_ADMIN_TOKEN": token},
        )
    ]
    exhibit_packs: dict[str, str] = {}
    jobs: list[Child] = []
    for i, exhibit in enumerate(exhibits):
        sample = DEMO_EXHIBITS[i][1] if i < len(DEMO_EXHIBITS) else ""
        pack = SAMPLES / sample if sample and (SAMPLES / sample / "pack.toml").is_file() else packs[i % len(packs)]
        if exhibit in signage:
            pack = SIGNAGE[1]
        exhibit_packs[exhibit] = pack.name
        exhibit_data = data / "exhibits" / exhibit
        exhibit_data.mkdir(parents=True, exist_ok=True)
        if args.history_days > 0 and not (exhibit_data / "history" / "adopted").exists():
            jobs.append(
                _history_job(
                    exhibit,
                    pack,
                    exhibit_data,
                    min(args.history_days, SIGNAGE_HISTORY_DAYS) if exhibit in signage else args.history_days,
                    seed=100 + i,
                    logs=logs,
                    opening=_opening(exhibit),
                )
            )
        children.append(
            Child(
                f"{exhibit}-kiosk",
                [
                    *_python_module("kiosk"),
                    "simulate",
                    "--live",
                    "--sessions",
                    "0",
                    "--pack",
                    str(pack),
                    "--data",
                    str(exhibit_data),
                    "--seed",
                    str(i + 1),
                    "--idle",
                    "10",
                    "--mean-gap",
                    str(args.mean_gap),
                    "--think",
                    "2",
                ],
                logs / f"{exhibit}-kiosk.log",
                # SDL turns SIGTERM into a QUIT event nobody reads when headless: let it stop us.
                env={"SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy", "SDL_NO_SIGNAL_HANDLERS": "1"},
            )
        )
        children.append(
            Child(
                f"{exhibit}-agent",
                [
                    *_python_module("exhibit_agent"),
                    "run",
                    "--config",
                    str(
                        agent_config(
                            exhibit_data / "agent.toml",
                            exhibit,
                            exhibit_data,
                            mqtt_url,
                            controller_url,
                            public_key,
                            credentials.devices[exhibit] if credentials else None,
                            enrolment.tokens[exhibit],
                        )
                    ),
                ],
                logs / f"{exhibit}-agent.log",
            )
        )
    started = time.monotonic()
    try:
        children[0].start()
        if not _wait_http(f"{controller_url}/api/v1/exhibits", token):
            print(f"kepu demo: the controller did not start; see {children[0].log}", file=sys.stderr)
            return 1
        try:
            seed(controller_url, token, kpacks, exhibit_packs)
        except httpx.HTTPError as exc:
            detail = exc.response.text[:500] if isinstance(exc, httpx.HTTPStatusError) else str(exc)
            print(
                f"kepu demo: could not set up venues and packs ({detail}); exhibits will run unplanned", file=sys.stderr
            )
        if args.history_days > 0:
            # Availability of the backfilled days too, so 开机率 is as true as 使用率 on the first page view.
            now = time.time()
            backfill_availability(data / "controller", exhibits, now - args.history_days * 86400, now, TIMEZONE)
        for child in children[1:]:
            child.start()
        for job in jobs:
            job.start()
        print(
            f"kepu demo is running ({args.exhibits} simulated exhibits, broker {mqtt_url}, files in {data})", flush=True
        )
        print(f"dashboard: {controller_url}/", flush=True)
        print(f"token: {token}", flush=True)
        print("Press Ctrl-C to stop.", flush=True)
        while not stopping:
            time.sleep(0.5)
            for job in list(jobs):
                if job.alive():
                    continue
                jobs.remove(job)
                if job.process and job.process.returncode == 0 and job.on_success:
                    job.on_success()
                else:
                    print(f"kepu demo: {job.name} failed; see {job.log}", file=sys.stderr, flush=True)
            for child in children:
                if not child.alive() and not stopping:
                    child.restarts += 1
                    print(
                        f"kepu demo: {child.name} exited ({child.process.returncode if child.process else '?'}); restarting; see {child.log}",
                        file=sys.stderr,
                        flush=True,
                    )
                    time.sleep(min(5, child.restarts))
                    child.start()
            if args.seconds is not None and time.monotonic() - started >= args.seconds:
                break
    finally:
        # Exhibits first, so their last batches still reach a running controller.
        stop_all(jobs + children[1:])
        stop_all(children[:1])
        if broker:
            broker.stop()
        print("kepu demo stopped.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
