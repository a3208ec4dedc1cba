"""Issue 11, finding 1: a device writes only its own footfall, at the venue where it stands; acks go back to it.

Against a real Mosquitto configured by `kepu-controller enroll`'s own passwd and ACL files.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import tempfile
import time
import uuid
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest

from controller.cli import main
from controller.devtools.broker import Broker
from controller.domain.enroll import CONTROLLER_USER, ensure_controller_user
from kepu_contracts.clock import ManualClock
from kepu_contracts.limits import FOOTFALL_MAX_COUNT
from tests.support.controller import Device, Stack, at

NANSHAN = "guangdong/shenzhen/nanshan/yuehai"


def door(seq: int, ts: float, count, direction: str = "in", venue: str | None = None) -> dict:
    data = {"direction": direction, "count": count, "source": "door"}
    if venue:
        data["venue"] = venue
    return {
        "id": f"door-{uuid.uuid4().hex}",
        "seq": seq,
        "ts": ts,
        "mono": 1.0,
        "boot": "b",
        "synced": True,
        "type": "footfall",
        "session": None,
        "scene": None,
        "data": data,
    }


def footfall_batch(exhibit: str, events: list[dict], venue: str | None = None) -> dict:
    body = {"exhibit": exhibit, "batch": uuid.uuid4().hex, "events": events}
    if venue:
        body["venue"] = venue
    return body


@pytest.fixture
def reachable_dir():
    """A directory the broker can read after dropping root to the `mosquitto` user (pytest's tmp is 0700)."""
    path = Path(tempfile.mkdtemp(prefix="kepu-footfall-"))
    os.chmod(path, 0o711)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def enroll(data: Path, exhibit: str, capsys) -> str:
    assert main(["enroll", exhibit, "--data", str(data), "--region", NANSHAN]) == 0
    return dict(line.split(": ", 1) for line in capsys.readouterr().out.strip().splitlines())["mqtt_password"]


def door_total(stack: Stack, venue: str) -> int:
    rows = stack.controller.store.db.execute(
        "SELECT COALESCE(SUM(footfall), 0) FROM rollup_hourly WHERE venue = ?", [venue]
    )
    return rows.fetchone()[0]


def stored_footfall(stack: Stack) -> list[tuple[str, str]]:
    db = stack.controller.store.db
    return [tuple(r) for r in db.execute("SELECT exhibit, venue FROM events WHERE type = 'footfall' ORDER BY ts")]


def test_a_device_writes_only_its_own_footfall_and_only_at_its_venue(tmp_path, reachable_dir, capsys):
    data = reachable_dir / "ctl"
    pw_one, pw_two = enroll(data, "ex-one", capsys), enroll(data, "ex-two", capsys)
    with Broker(
        workdir=tmp_path / "broker", password_file=data / "mosquitto" / "passwd", acl_file=data / "mosquitto" / "acl"
    ) as broker:
        url = f"mqtt://{CONTROLLER_USER}:{ensure_controller_user(data)}@127.0.0.1:{broker.port}"
        stack = Stack(data, ManualClock(at("2025-05-12 10:00")), mqtt_url=url)
        try:
            for venue in ("venue-a", "venue-b"):
                stack.ok("POST", "/api/v1/venues", json={"id": venue, "name": venue, "region": NANSHAN})
            for exhibit, venue in (("ex-one", "venue-a"), ("ex-two", "venue-b")):
                stack.ok(
                    "POST",
                    "/api/v1/rotations",
                    json={"exhibit": exhibit, "venue": venue, "starts": "2025-05-01T00:00", "ends": "2025-06-01T00:00"},
                )
            one = Device(f"mqtt://ex-one:{pw_one}@127.0.0.1:{broker.port}", "ex-one", channels=("ack", "footfall_ack"))
            two = Device(f"mqtt://ex-two:{pw_two}@127.0.0.1:{broker.port}", "ex-two", channels=("ack", "footfall_ack"))
            when = at("2025-05-12 09:00")
            # The old shared venue topic is closed: ex-one cannot count (or ack away) venue-b's visitors there.
            forged = footfall_batch("ex-two", [door(1, when, 500)], venue="venue-b")
            one.client.publish(
                "kepu/v1/venues/venue-b/footfall", json.dumps({"v": 1, **forged}), qos=1
            ).wait_for_publish(5)
            # …nor on ex-two's own footfall topic: the broker drops it.
            one.client.publish(
                "kepu/v1/exhibits/ex-two/footfall", json.dumps({"v": 1, **forged}), qos=1
            ).wait_for_publish(5)
            # Its own footfall: entries count, exits do not, nonsense counts and a claim to stand at
            # venue-b are quarantined; the whole range is acked on ex-one's own ack topic.
            events = [
                door(1, when, 7),
                door(2, when + 1, 3, direction="out"),
                door(3, when + 2, -5),
                door(4, when + 3, 10**18),
                door(5, when + 4, 2, venue="venue-b"),
                door(6, when + 5, 1.5),
            ]
            one.publish(footfall_batch("ex-one", events, venue="venue-a"), channel="footfall")
            ack = one.next("footfall_ack")
            assert (ack["from_seq"], ack["upto_seq"]) == (1, 6)
            with pytest.raises(queue.Empty):
                two.next("footfall_ack", timeout=0.5)  # nothing was acked to ex-two
            two.publish(footfall_batch("ex-two", [door(1, when, 4)]), channel="footfall")
            assert two.next("footfall_ack")["upto_seq"] == 1
            assert door_total(stack, "venue-a") == 7
            assert door_total(stack, "venue-b") == 4
            assert sorted(stored_footfall(stack)) == sorted(
                [("ex-one", "venue-a"), ("ex-one", "venue-a"), ("ex-two", "venue-b")]
            )
            quarantined = stack.controller.store.db.execute("SELECT COUNT(*) FROM quarantine").fetchone()[0]
            assert quarantined == 4  # -5, 10¹⁸, 1.5 and the venue-b claim
            # A retained batch is never ingested (it would be replayed at every restart); it is cleared.
            one.publish(footfall_batch("ex-one", [door(7, when + 6, 9)]), channel="footfall", retain=True)
            one.publish(footfall_batch("ex-one", [door(8, when + 7, 9)]), channel="events", retain=True)
            time.sleep(0.5)
            assert door_total(stack, "venue-a") == 7
            for d in (one, two):
                d.close()
        finally:
            stack.close()
        # A controller restart does not replay them either.
        stack = Stack(data, ManualClock(at("2025-05-12 10:05")), mqtt_url=url)
        try:
            time.sleep(1.0)
            assert door_total(stack, "venue-a") == 7
            assert stack.controller.store.db.execute("SELECT COUNT(*) FROM events").fetchone()[0] == 3
            seen: queue.Queue = queue.Queue()
            probe = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
            probe.username_pw_set(CONTROLLER_USER, ensure_controller_user(data))
            probe.on_message = lambda c, u, m: seen.put(m.topic)
            probe.on_connect = lambda c, u, f, rc, p: c.subscribe("kepu/v1/exhibits/ex-one/#", 1)
            probe.connect("127.0.0.1", broker.port)
            probe.loop_start()
            time.sleep(1.0)
            probe.loop_stop()
            probe.disconnect()
            retained = []
            while not seen.empty():
                retained.append(seen.get())
            assert not [t for t in retained if t.endswith(("/events", "/footfall"))], retained
        finally:
            stack.close()


def test_footfall_counts_are_range_checked_and_follow_rotations(tmp_path):
    stack = Stack(tmp_path / "ctl", ManualClock(at("2025-05-12 10:00")))
    try:
        for venue in ("venue-a", "venue-b"):
            stack.ok("POST", "/api/v1/venues", json={"id": venue, "name": venue, "region": NANSHAN})
        stack.controller.handle_message("kepu/v1/exhibits/ex-1/state", b'{"v":1,"online":false}')
        for venue, starts, ends in (
            ("venue-a", "2025-05-01T00:00", "2025-05-10T00:00"),
            ("venue-b", "2025-05-10T00:00", "2025-06-01T00:00"),
        ):
            stack.ok(
                "POST", "/api/v1/rotations", json={"exhibit": "ex-1", "venue": venue, "starts": starts, "ends": ends}
            )
        handle = stack.controller.handle_message
        events = [
            door(1, at("2025-05-09 12:00"), 10),
            door(2, at("2025-05-11 12:00"), 20),
            door(3, at("2025-05-11 12:01"), FOOTFALL_MAX_COUNT),
            door(4, at("2025-05-11 12:02"), FOOTFALL_MAX_COUNT + 1),
            door(5, at("2025-04-01 12:00"), 5),  # in transit: it stood nowhere
            door(6, at("2025-05-11 12:03"), True),
        ]
        outcome = handle(
            "kepu/v1/exhibits/ex-1/footfall", json.dumps({"v": 1, **footfall_batch("ex-1", events)}).encode()
        )
        assert (outcome.stored, outcome.rejected) == (3, 3)
        assert [o.topic for o in outcome.outgoing] == ["kepu/v1/exhibits/ex-1/footfall_ack"]
        assert door_total(stack, "venue-a") == 10
        assert door_total(stack, "venue-b") == 20 + FOOTFALL_MAX_COUNT
        # The retired venue topic is refused, whatever it claims.
        legacy = {"v": 1, "venue": "venue-a", **footfall_batch("ex-1", [door(7, at("2025-05-09 13:00"), 3)])}
        outcome = handle("kepu/v1/venues/venue-a/footfall", json.dumps(legacy).encode())
        assert outcome.stored == 0 and outcome.outgoing == []
        assert door_total(stack, "venue-a") == 10
    finally:
        stack.close()
