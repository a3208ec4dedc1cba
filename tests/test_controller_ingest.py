"""Ingest through a real Mosquitto: acks only after commit, idempotent replays, malformed input survived."""

from __future__ import annotations

import json
import queue
import sqlite3
import uuid
from contextlib import closing

import httpx
import paho.mqtt.client as mqtt
import pytest

from controller.devtools.server import ServerThread
from controller.settings import Settings
from controller.web.app import create_app
from kepu_contracts.protocol import encode, exhibit_topic, parse_broker_url

TOKEN = "test-admin-token"


class Device:
    """A paho client standing in for an exhibit agent: publishes batches, collects acks."""

    def __init__(self, url: str, exhibit: str):
        self.exhibit = exhibit
        self.acks: queue.Queue = queue.Queue()
        parsed = parse_broker_url(url)
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"dev-{exhibit}-{uuid.uuid4().hex[:6]}")
        subscribed = queue.Queue()
        self.client.on_message = lambda c, u, m: self.acks.put(json.loads(m.payload))
        self.client.on_subscribe = lambda *a: subscribed.put(True)
        self.client.on_connect = lambda c, u, f, rc, p: c.subscribe(exhibit_topic(exhibit, "ack"), qos=1)
        self.client.connect(parsed.host, parsed.port)
        self.client.loop_start()
        subscribed.get(timeout=10)

    def publish(self, payload: bytes | dict, topic: str | None = None) -> None:
        raw = payload if isinstance(payload, bytes) else encode(payload)
        self.client.publish(topic or exhibit_topic(self.exhibit, "events"), raw, qos=1).wait_for_publish(10)

    def ack(self, timeout: float = 10) -> dict:
        return self.acks.get(timeout=timeout)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def visit(exhibit: str, first_seq: int, ts: float, session: str | None = None) -> list[dict]:
    """One visitor session as the kiosk records it: start, two taps, end."""
    session = session or uuid.uuid4().hex
    kinds = [("session_start", {}), ("tap", {}), ("tap", {}), ("session_end", {"duration": 12.5, "interactions": 2})]
    return [
        {
            "id": f"{exhibit}-b1-{first_seq + i}",
            "seq": first_seq + i,
            "ts": ts + i,
            "mono": 100.0 + i,
            "boot": "b1",
            "synced": True,
            "type": kind,
            "session": session,
            "scene": "intro",
            "data": data,
        }
        for i, (kind, data) in enumerate(kinds)
    ]


@pytest.fixture
def stack(broker, tmp_path):
    settings = Settings(data_dir=tmp_path / "ctl", mqtt_url=broker.url, admin_token=TOKEN)
    app = create_app(settings, run_scheduler=False)
    with ServerThread(app) as server:
        http = httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
        device = Device(broker.url, "ex-quake-01")
        yield http, device, settings
        device.close()
        http.close()


def stored_ids(settings: Settings) -> set[str]:
    with closing(sqlite3.connect(settings.db_path)) as conn:
        return {r[0] for r in conn.execute("SELECT id FROM events")}


def test_batch_is_acked_after_commit_and_counted(stack):
    http, device, settings = stack
    events = visit("ex-quake-01", 1, 1_747_000_000.0) + visit("ex-quake-01", 5, 1_747_000_100.0)
    device.publish({"exhibit": "ex-quake-01", "batch": "batch-1", "events": events})
    ack = device.ack()
    assert ack == {"v": 1, "batch": "batch-1", "from_seq": 1, "upto_seq": 8}
    # The ack promises durability: by the time it arrives every event is in the committed file.
    assert stored_ids(settings) == {e["id"] for e in events}
    assert http.get("/api/v1/exhibits/ex-quake-01/counts").json() == {"events": 8, "sessions": 2}
    fleet = http.get("/api/v1/exhibits").json()
    assert [e["id"] for e in fleet] == ["ex-quake-01"]
    assert fleet[0]["enrolled"] is False  # auto-registered on first message, not enrolled


def test_replayed_batch_is_acked_again_but_not_counted_twice(stack):
    http, device, _ = stack
    batch = {"exhibit": "ex-quake-01", "batch": "b", "events": visit("ex-quake-01", 1, 1_747_000_000.0)}
    device.publish(batch)
    device.ack()
    device.publish(batch)  # the agent lost our ack and resends
    assert device.ack()["upto_seq"] == 4
    assert http.get("/api/v1/exhibits/ex-quake-01/counts").json() == {"events": 4, "sessions": 1}


def test_malformed_payloads_are_quarantined_and_the_loop_survives(stack):
    http, device, settings = stack
    device.publish(b"{not json")
    device.publish(json.dumps({"v": 2, "exhibit": "ex-quake-01", "batch": "x", "events": []}).encode())
    device.publish({"exhibit": "ex-someone-else", "batch": "x", "events": visit("ex-quake-01", 1, 1.0)})
    device.publish(b"\xff\xfe")
    good = visit("ex-quake-01", 1, 1_747_000_000.0)
    broken = [{"id": "bad-1", "seq": 5, "ts": "yesterday"}, {"id": "bad-2", "seq": 6, "ts": 1.0, "mono": 1.0}]
    device.publish({"exhibit": "ex-quake-01", "batch": "mixed", "events": good + broken})
    # The mixed batch is acked over its whole range, so the agent never resends the unfixable events.
    assert device.ack() == {"v": 1, "batch": "mixed", "from_seq": 1, "upto_seq": 6}
    assert http.get("/api/v1/exhibits/ex-quake-01/counts").json() == {"events": 4, "sessions": 1}
    with closing(sqlite3.connect(settings.db_path)) as conn:
        reasons = [r[0] for r in conn.execute("SELECT reason FROM quarantine ORDER BY id")]
        rejected = conn.execute("SELECT value FROM counters WHERE name = 'rejected'").fetchone()[0]
    assert len(reasons) == 6 and rejected == 6
    assert "not UTF-8 JSON" in reasons[0]
    assert "version" in reasons[1]
    assert "does not match the topic" in reasons[2]
    assert any("'ts'" in r for r in reasons[4:]) and any("'boot'" in r or "'mono'" in r for r in reasons[4:])
    # Nothing was acked for the envelopes that could not be trusted: only the mixed batch's ack arrived.
    with pytest.raises(queue.Empty):
        device.ack(timeout=0.3)
    assert http.get("/api/v1/exhibits/ex-someone-else/counts").status_code == 404


def test_api_needs_a_token_and_unknown_exhibits_are_404(stack):
    http, _, _ = stack
    assert httpx.get(f"{http.base_url}/api/v1/exhibits").status_code == 401
    assert httpx.get(f"{http.base_url}/api/v1/exhibits", headers={"Authorization": "Bearer nope"}).status_code == 401
    response = http.get("/api/v1/exhibits/ex-nowhere/counts")
    assert response.status_code == 404 and "ex-nowhere" in response.json()["detail"]
