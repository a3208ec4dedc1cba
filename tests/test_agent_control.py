"""Emergency broadcasts into control.json: atomic, on time, and expiring even with no controller."""

from __future__ import annotations

import json
import threading
import time

from exhibit_agent.agent import Agent
from exhibit_agent.config import build_config
from exhibit_agent.control_file import ControlFile
from kepu_contracts.messages import parse_desired
from kepu_contracts.times import iso, parse_instant
from tests.support.agent import publish_retained, wait_until

T0 = 1_767_225_600.0


def emergency(starts, expires, ident="em-1"):
    return parse_desired(
        {
            "emergency": {
                "id": ident,
                "message": {"zh": "地震预警", "en": "Earthquake warning"},
                "starts": starts,
                "expires": expires,
            }
        }
    ).emergency


def test_control_file_follows_starts_and_expires(tmp_path):
    path = tmp_path / "control.json"
    control = ControlFile(path)
    control.set(emergency(iso(T0 + 10), iso(T0 + 70)))
    assert control.refresh(T0)
    assert json.loads(path.read_text())["emergency"] is None, "not started yet"
    assert control.refresh(T0 + 10)
    doc = json.loads(path.read_text())
    assert doc["v"] == 1 and doc["emergency"]["id"] == "em-1"
    assert doc["emergency"]["message"]["zh"] == "地震预警"
    assert parse_instant(doc["emergency"]["expires"]) == T0 + 70
    assert not control.refresh(T0 + 30), "unchanged: no rewrite"
    assert control.refresh(T0 + 70)
    assert json.loads(path.read_text())["emergency"] is None
    assert [p.name for p in tmp_path.iterdir()] == ["control.json"], "no temp files left behind"


def test_expiry_is_honoured_after_a_restart_without_the_controller(tmp_path):
    path = tmp_path / "control.json"
    first = ControlFile(path)
    first.set(emergency(None, T0 + 60))
    first.refresh(T0)
    assert json.loads(path.read_text())["emergency"]["id"] == "em-1"
    # The agent restarts; no broker, so no desired state: the file alone knows the expiry.
    second = ControlFile(path)
    assert not second.refresh(T0 + 30)
    assert second.refresh(T0 + 61)
    assert json.loads(path.read_text())["emergency"] is None


def test_desired_emergency_reaches_control_json_within_a_second_and_clears_at_expiry(tmp_path, broker):
    data = tmp_path / "ex-em"
    agent = Agent(build_config({"exhibit": "ex-em", "mqtt": broker.url, "data": data}))
    stop = threading.Event()
    thread = threading.Thread(target=agent.run, args=(stop,), daemon=True)
    thread.start()
    try:
        assert agent.link.wait_connected(10)
        now = time.time()
        desired = {
            "venue": "venue-1",
            "opening_hours": None,
            "pack": None,
            "config": {"attract_after": 30},
            "emergency": {
                "id": "em-7",
                "message": {"zh": "请撤离", "en": "Please evacuate"},
                "starts": iso(now - 1, timespec="milliseconds"),
                "expires": iso(now + 2.5, timespec="milliseconds"),
            },
        }
        t0 = time.monotonic()
        publish_retained(broker.url, "kepu/v1/exhibits/ex-em/desired", desired)
        control = data / "control.json"

        def showing():
            try:
                return json.loads(control.read_text())["emergency"]
            except (OSError, ValueError, KeyError):
                return None

        assert wait_until(lambda: showing() is not None, 2)
        assert time.monotonic() - t0 < 1.0
        assert showing()["id"] == "em-7"
        assert json.loads(control.read_text())["config"] == {"attract_after": 30}
        # Take the broker away: expiry still happens, from the local clock.
        broker.stop()
        assert wait_until(lambda: showing() is None, 5)
        assert time.time() >= now + 2.5
    finally:
        stop.set()
        thread.join(10)


def test_malformed_desired_state_changes_nothing(tmp_path, broker):
    data = tmp_path / "ex-bad"
    agent = Agent(build_config({"exhibit": "ex-bad", "mqtt": broker.url, "data": data}))
    stop = threading.Event()
    thread = threading.Thread(target=agent.run, args=(stop,), daemon=True)
    thread.start()
    try:
        assert agent.link.wait_connected(10)
        publish_retained(broker.url, "kepu/v1/exhibits/ex-bad/desired", {"venue": "v", "pack": {"id": "x"}})
        time.sleep(0.5)
        assert thread.is_alive() and agent.desired is None
        publish_retained(broker.url, "kepu/v1/exhibits/ex-bad/desired", {"venue": "v2", "pack": None})
        assert wait_until(lambda: agent.venue == "v2", 3)
    finally:
        stop.set()
        thread.join(10)
