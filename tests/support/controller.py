"""Helpers shared by the controller tests (no tests here): an app on a real HTTP server, packs, a fake device."""

from __future__ import annotations

import json
import queue
import time
import uuid
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import paho.mqtt.client as mqtt
from fastapi.testclient import TestClient

from content_packs.archive import build_pack
from content_packs.signing import generate_keypair
from content_packs.testing import make_pack
from controller.devtools.server import ServerThread
from controller.settings import Settings
from controller.web.app import create_app
from kepu_contracts.clock import ManualClock
from kepu_contracts.protocol import encode, exhibit_topic, parse_broker_url

ADMIN = "admin-token-for-tests"
TZ = "Asia/Shanghai"


def at(text: str) -> float:
    """Unix seconds of a local (Asia/Shanghai) time like '2025-05-12 09:00'."""
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(TZ)).timestamp()


class Stack:
    """A controller (injected clock, no scheduler thread), optionally on a real broker.

    Served over real HTTP when it talks MQTT or `serve=True` (something outside the process
    needs a URL); otherwise in-process through Starlette's TestClient, which is much cheaper.
    """

    def __init__(
        self, data: Path, clock: ManualClock, mqtt_url: str | None = None, serve: bool | None = None, **settings: object
    ):
        self.clock = clock
        self.settings = Settings(data_dir=data, mqtt_url=mqtt_url, admin_token=ADMIN, timezone=TZ, **settings)
        self.app = create_app(self.settings, clock=clock, run_scheduler=False)
        self.controller = self.app.state.controller
        self._clients: list[httpx.Client] = []
        self.server: ServerThread | None = None
        self._lifespan: TestClient | None = None
        if serve if serve is not None else mqtt_url is not None:
            self.server = ServerThread(self.app).start()
        else:
            self._lifespan = TestClient(self.app)
            self._lifespan.__enter__()  # runs the app's lifespan (controller start/stop) once
        self.http = self.client(ADMIN)

    def client(self, token: str | None) -> httpx.Client:  # or TestClient: the same request API
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        if self.server is None:
            client = TestClient(self.app, headers=headers)
        else:
            client = httpx.Client(base_url=self.server.url, headers=headers, timeout=30)
        self._clients.append(client)  # closed with the stack
        return client

    def ok(self, method: str, path: str, token: str | None = None, **kwargs: object) -> object:
        """Call the API and insist on success; returns the JSON body."""
        client = self.client(token) if token else self.http
        response = client.request(method, path, **kwargs)
        assert response.status_code < 300, f"{method} {path}: {response.status_code} {response.text}"
        return response.json()

    def move_to(self, when: float) -> None:
        """Advance the injected clock and let the scheduler catch up, as its thread would at that moment."""
        self.clock.set(when)
        self.controller.scheduler.tick()

    def user(self, user_id: str, role: str, region: str) -> str:
        self.ok("POST", "/api/v1/users", json={"id": user_id, "role": role, "region": region})
        return self.ok("POST", f"/api/v1/users/{user_id}/tokens", json={"label": "test"})["token"]

    def close(self) -> None:
        for client in self._clients:
            client.close()
        if self.server is not None:
            self.server.stop()
        if self._lifespan is not None:
            self._lifespan.__exit__(None, None, None)


def signed_pack(tmp: Path, pack_id: str, version: str = "1.0.0") -> tuple[Path, Path]:
    """A built, signed .kpack and the public key that verifies it."""
    keys = tmp / "keys"
    if not (keys / "signer.key").exists():
        generate_keypair(keys / "signer")
    src = make_pack(tmp / "src" / f"{pack_id}-{version}", pack_id=pack_id, version=version)
    return build_pack(src, keys / "signer.key", tmp / "built"), keys / "signer.pub"


def approved_pack(stack: Stack, tmp: Path, pack_id: str, version: str = "1.0.0") -> dict:
    """Upload and approve a pack through the API."""
    kpack, public = signed_pack(tmp, pack_id, version)
    trusted = stack.settings.data_dir / "trusted_keys"
    trusted.mkdir(parents=True, exist_ok=True)
    (trusted / "signer.pub").write_bytes(public.read_bytes())
    with kpack.open("rb") as f:
        stack.ok("POST", "/api/v1/packs", files={"file": (kpack.name, f, "application/octet-stream")})
    return stack.ok("POST", f"/api/v1/packs/{pack_id}/{version}/review", json={"status": "approved"})


class Device:
    """A paho client standing in for one exhibit agent: publishes batches, collects what it is sent."""

    def __init__(self, url: str, exhibit: str, channels: tuple[str, ...] = ("ack", "desired")):
        self.exhibit = exhibit
        self.inbox: dict[str, queue.Queue] = {c: queue.Queue() for c in channels}
        parsed = parse_broker_url(url)
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"dev-{exhibit}-{uuid.uuid4().hex[:6]}")
        if parsed.username:
            self.client.username_pw_set(parsed.username, parsed.password)
        ready: queue.Queue = queue.Queue()
        self.client.on_message = lambda c, u, m: self.inbox[m.topic.rsplit("/", 1)[1]].put(
            json.loads(m.payload) if m.payload else None
        )
        self.client.on_subscribe = lambda *a: ready.put(True)
        self.client.on_connect = lambda c, u, f, rc, p: c.subscribe(
            [(exhibit_topic(exhibit, ch), 1) for ch in channels]
        )
        self.client.connect(parsed.host, parsed.port)
        self.client.loop_start()
        ready.get(timeout=10)

    def publish(self, payload: bytes | dict, channel: str = "events", retain: bool = False) -> None:
        raw = payload if isinstance(payload, bytes) else encode(payload)
        self.client.publish(exhibit_topic(self.exhibit, channel), raw, qos=1, retain=retain).wait_for_publish(10)

    def next(self, channel: str, timeout: float = 10) -> dict:
        return self.inbox[channel].get(timeout=timeout)

    def latest(self, channel: str, predicate, timeout: float = 10) -> dict:
        """Wait for a message on `channel` that satisfies `predicate` (earlier ones are skipped)."""
        deadline = time.monotonic() + timeout
        seen = []
        while True:
            try:
                message = self.inbox[channel].get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"{self.exhibit}: no matching {channel} message; saw {seen}") from None
            if predicate(message):
                return message
            seen.append(message)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def session_events(
    exhibit: str,
    seq: int,
    ts: float,
    interactions: int = 2,
    extra: list[tuple[str, dict]] | None = None,
    scene: str = "intro",
) -> list[dict]:
    """One visitor session as the kiosk records it: start, taps (and extras), end."""
    session = uuid.uuid4().hex
    kinds = (
        [("session_start", {})]
        + [("tap", {})] * interactions
        + list(extra or [])
        + [("session_end", {"duration": 5.0 * interactions + 3, "interactions": interactions})]
    )
    return [
        {
            "id": f"{exhibit}-{uuid.uuid4().hex}",
            "seq": seq + i,
            "ts": ts + i,
            "mono": ts + i,
            "boot": "boot-1",
            "synced": True,
            "type": kind,
            "session": session,
            "scene": data.pop("_scene", scene) if isinstance(data, dict) else scene,
            "data": dict(data),
        }
        for i, (kind, data) in enumerate(kinds)
    ]


def batch(exhibit: str, events: list[dict]) -> dict:
    return {"exhibit": exhibit, "batch": uuid.uuid4().hex, "events": events}


def session_cookies(base_url: str, token: str) -> dict[str, str]:
    """Log in as the dashboard does (POST /login) and return the session cookie it set."""
    response = httpx.post(f"{base_url}/login", data={"token": token}, follow_redirects=False, timeout=20)
    assert response.status_code == 303, response.text
    return {"kepu_session": response.cookies["kepu_session"]}
