"""Helpers for the agent tests: a tiny fake controller that ingests like the real one, and event writers.

The fake controller does what DESIGN.md asks of ingest: INSERT OR IGNORE on the event id into
a real SQLite file, commit, and only then ack. It counts every delivery, so tests can tell
duplicates on the wire (allowed) from duplicates in the store (never).
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import paho.mqtt.client as mqtt

from exhibit_agent.protocol import ack_payload, decode, encode, parse_broker_url, parse_topic
from kiosk.clock import ManualClock
from kiosk.events import Event
from kiosk.outbox import Outbox

REPO = Path(__file__).resolve().parent.parent


class FakeController:
    """Subscribes to every exhibit's events and every venue's footfall; stores and acks."""

    def __init__(self, url: str, db_path: Path, ack: bool = True):
        self.db_path = db_path
        self.ack = ack
        self.deliveries = 0
        self.batches: list[dict] = []
        self.lock = threading.Lock()
        self.db = sqlite3.connect(db_path, check_same_thread=False, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("CREATE TABLE IF NOT EXISTS events (id TEXT PRIMARY KEY, stream TEXT, exhibit TEXT, seq INTEGER)")
        broker = parse_broker_url(url)
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"fake-controller-{os.getpid()}-{id(self)}",
                                  clean_session=False)
        self.client.reconnect_delay_set(0.1, 1)
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.connect_async(broker.host, broker.port, keepalive=10)
        self.connected = threading.Event()

    def start(self) -> "FakeController":
        self.client.loop_start()
        assert self.connected.wait(10), "fake controller could not connect"
        return self

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
        self.db.close()

    def _on_connect(self, client, userdata, flags, reason_code, properties):
        client.subscribe([("kepu/v1/exhibits/+/events", 1), ("kepu/v1/venues/+/footfall", 1)])
        self.connected.set()

    def _on_message(self, client, userdata, msg):
        payload = decode(msg.payload)
        parts = parse_topic(msg.topic)
        events = payload["events"]
        stream = "footfall" if parts.channel == "footfall" else "events"
        with self.lock:
            self.deliveries += len(events)
            self.batches.append(payload)
            self.db.execute("BEGIN")
            self.db.executemany(
                "INSERT OR IGNORE INTO events (id, stream, exhibit, seq) VALUES (?,?,?,?)",
                [(e["id"], stream, payload["exhibit"], e["seq"]) for e in events],
            )
            self.db.execute("COMMIT")
            if not self.ack:
                return
        seqs = [e["seq"] for e in events]
        body = ack_payload(payload["batch"], min(seqs), max(seqs))
        if stream == "events":
            topic = f"kepu/v1/exhibits/{parts.ident}/ack"
        else:
            topic = f"kepu/v1/venues/{parts.ident}/footfall_ack"
            body["exhibit"] = payload["exhibit"]
        client.publish(topic, encode(body), qos=1)

    def ids(self, stream: str = "events") -> set[str]:
        with self.lock:
            return {r[0] for r in self.db.execute("SELECT id FROM events WHERE stream = ?", (stream,))}

    def stored(self) -> int:
        with self.lock:
            return self.db.execute("SELECT COUNT(*) FROM events").fetchone()[0]


def write_events(outbox: Outbox, n: int, clock: ManualClock | None = None, stream: str = "events",
                 type_: str = "tap") -> list[str]:
    """Commit n events to the outbox; return their ids in order."""
    clock = clock or ManualClock()
    events = []
    for _ in range(n):
        clock.advance(0.01)
        events.append(Event(type=type_, stamp=clock.stamp(), session="s1", scene="intro", data={"x": 1}))
    outbox.append(events, stream=stream)
    return [e.id for e in events]


def wait_until(predicate, timeout: float = 10.0, interval: float = 0.02) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


def spawn_agent(exhibit: str, url: str, data: Path, *extra: str) -> subprocess.Popen:
    """The real CLI in a child process (for kill -9 and LWT tests)."""
    env = dict(os.environ, PYTHONPATH=str(REPO))
    with open(data.parent / f"{data.name}-agent.log", "ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "exhibit_agent", "run", "--exhibit", exhibit, "--mqtt", url, "--data", str(data),
             "--log-level", "WARNING", *extra],
            cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=log,
        )


class Retained:
    """Collects the latest message per topic from a subscription (retained state, reported)."""

    def __init__(self, url: str, topic: str):
        broker = parse_broker_url(url)
        self.messages: dict[str, dict] = {}
        self.history: list[tuple[str, dict]] = []
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"watch-{id(self)}")
        self.client.on_connect = lambda c, u, f, rc, p: c.subscribe(topic, 1)
        self.client.on_message = self._on
        self.client.connect(broker.host, broker.port)
        self.client.loop_start()

    def _on(self, client, userdata, msg):
        if not msg.payload:
            return
        doc = json.loads(msg.payload)
        self.messages[msg.topic] = doc
        self.history.append((msg.topic, doc))

    def get(self, topic: str) -> dict | None:
        return self.messages.get(topic)

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def publish_retained(url: str, topic: str, payload: dict | None) -> None:
    """Publish (or with None, clear) a retained message and wait until the broker has it."""
    broker = parse_broker_url(url)
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"pub-{os.getpid()}-{time.monotonic_ns()}")
    client.connect(broker.host, broker.port)
    client.loop_start()
    info = client.publish(topic, encode(payload) if payload is not None else b"", qos=1, retain=True)
    info.wait_for_publish(5)
    client.disconnect()
    client.loop_stop()
