#!/usr/bin/env python3
"""Events/s through real Mosquitto → controller → committed SQLite, beside a bare paho subscriber; last line JSON.

Exhibits publish batches of events at QoS 1. The controller's rate is measured from the first
publish to the last ack (an ack is sent only after the batch committed, synchronous=FULL); a bare
paho subscriber on the same broker, in the same run, counts the same events as they arrive —
the ceiling set by the broker and paho alone. ratio = controller rate ÷ bare rate.
Usage: python benchmarks/ingest.py [--exhibits 10] [--batches 50] [--batch-size 100]
"""

from __future__ import annotations

import argparse
import json
import platform
import sqlite3
import tempfile
import threading
import time
import uuid
from pathlib import Path

import paho.mqtt.client as mqtt

from controller.core import Controller
from controller.devtools.broker import Broker
from controller.settings import Settings
from kepu_contracts.clock import SystemClock
from kepu_contracts.protocol import encode, exhibit_subscription, exhibit_topic

KINDS = ("session_start", "tap", "tap", "scene_enter", "quiz_answer", "rating", "session_end")


class Counter:
    """A paho client that counts messages (and the events inside them) and notes when the last arrived."""

    def __init__(self, port: int, topic: str, expected: int, count_events: bool):
        self.expected, self.count_events = expected, count_events
        self.count = 0
        self.last = 0.0
        self.done = threading.Event()
        ready = threading.Event()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"bench-{uuid.uuid4().hex[:8]}")
        self.client.on_connect = lambda c, u, f, rc, p: c.subscribe(topic, qos=1)
        self.client.on_subscribe = lambda *a: ready.set()
        self.client.on_message = self._on_message
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        ready.wait(10)

    def _on_message(self, client, userdata, message) -> None:
        self.count += len(json.loads(message.payload)["events"]) if self.count_events else 1
        self.last = time.perf_counter()
        if self.count >= self.expected:
            self.done.set()

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def make_batch(exhibit: str, index: int, size: int, t0: float) -> bytes:
    events = []
    for i in range(size):
        seq = index * size + i + 1
        session = f"{exhibit}-s{seq // len(KINDS)}"
        kind = KINDS[seq % len(KINDS)]
        data = {"duration": 30.0, "interactions": 3} if kind == "session_end" else {}
        if kind == "quiz_answer":
            data = {"question": "q1", "choice": "0", "correct": True}
        if kind == "rating":
            data = {"value": "up"}
        events.append(
            {
                "id": f"{exhibit}-{seq}",
                "seq": seq,
                "ts": t0 + seq,
                "mono": float(seq),
                "boot": "b1",
                "synced": True,
                "type": kind,
                "session": session,
                "scene": "intro",
                "data": data,
            }
        )
    return encode({"exhibit": exhibit, "batch": f"{exhibit}-{index}", "events": events})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exhibits", type=int, default=10)
    parser.add_argument("--batches", type=int, default=50, help="batches per exhibit")
    parser.add_argument("--batch-size", type=int, default=100)
    args = parser.parse_args()
    total_batches = args.exhibits * args.batches
    total_events = total_batches * args.batch_size
    with tempfile.TemporaryDirectory() as tmp, Broker(workdir=Path(tmp) / "broker", persistence=False) as broker:
        controller = Controller(Settings(data_dir=Path(tmp) / "ctl", mqtt_url=broker.url), SystemClock()).start(
            scheduler=False
        )
        bare = Counter(broker.port, exhibit_subscription("events"), total_events, count_events=True)
        acks = Counter(broker.port, exhibit_subscription("ack"), total_batches, count_events=False)
        exhibits = [f"ex-bench-{i:03d}" for i in range(args.exhibits)]
        payloads = [
            (exhibit_topic(e, "events"), make_batch(e, b, args.batch_size, 1_747_000_000.0))
            for b in range(args.batches)
            for e in exhibits
        ]
        publisher = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="bench-publisher")
        publisher.max_inflight_messages_set(200)
        publisher.connect("127.0.0.1", broker.port)
        publisher.loop_start()
        start = time.perf_counter()
        for topic, payload in payloads:
            publisher.publish(topic, payload, qos=1)
        ok = acks.done.wait(600) and bare.done.wait(60)
        controller_seconds = acks.last - start
        bare_seconds = bare.last - start
        for client in (bare, acks):
            client.close()
        publisher.disconnect()
        publisher.loop_stop()
        controller.stop()
        with sqlite3.connect(Path(tmp) / "ctl" / "controller.db") as conn:
            committed = conn.execute("SELECT COUNT(*) FROM events").fetchone()[0]
            sessions = conn.execute("SELECT SUM(sessions) FROM rollup_hourly").fetchone()[0]
    controller_rate = total_events / controller_seconds
    bare_rate = total_events / bare_seconds
    print(
        f"controller: {total_events:,} events committed and acked in {controller_seconds:.2f} s = {controller_rate:,.0f} events/s"
    )
    print(f"bare paho subscriber: same events received in {bare_seconds:.2f} s = {bare_rate:,.0f} events/s")
    print(
        json.dumps(
            {
                "benchmark": "ingest",
                "ok": bool(ok) and committed == total_events,
                "events": total_events,
                "batch_size": args.batch_size,
                "exhibits": args.exhibits,
                "committed": committed,
                "sessions_rolled_up": sessions,
                "controller_events_per_s": round(controller_rate),
                "bare_subscriber_events_per_s": round(bare_rate),
                "ratio": round(controller_rate / bare_rate, 3),
                "synchronous": "FULL",
                "python": platform.python_version(),
            }
        )
    )


if __name__ == "__main__":
    main()
