"""Enrolment: credentials a real Mosquitto accepts, and ACLs that keep each device to its own topics."""

from __future__ import annotations

import os
import queue
import shutil
import sqlite3
import tempfile
from contextlib import closing
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest

from controller.cli import main
from controller.devtools.broker import Broker
from controller.domain.enroll import CONTROLLER_USER, ensure_controller_user, mosquitto_hash
from kepu_contracts.clock import ManualClock
from tests.support.controller import Device, Stack, at, batch, session_events


def enroll(data, exhibit: str, capsys) -> dict[str, str]:
    assert main(["enroll", exhibit, "--data", str(data), "--region", "guangdong/shenzhen"]) == 0
    return dict(line.split(": ", 1) for line in capsys.readouterr().out.strip().splitlines())


def test_hash_format_matches_mosquitto():
    hashed = mosquitto_hash("secret", salt=b"0123456789ab")
    assert hashed.startswith("$7$101$MDEyMzQ1Njc4OWFi$") and len(hashed.split("$")[4]) == 88


@pytest.fixture
def reachable_dir():
    """A directory the broker can read after dropping root to the `mosquitto` user (pytest's tmp is 0700)."""
    path = Path(tempfile.mkdtemp(prefix="kepu-enroll-"))
    os.chmod(path, 0o711)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_enrolled_devices_are_confined_to_their_own_topics(tmp_path, reachable_dir, capsys):
    data = reachable_dir / "ctl"
    one, two = enroll(data, "ex-one", capsys), enroll(data, "ex-two", capsys)
    assert one["mqtt_password"] != two["mqtt_password"]
    with Broker(
        workdir=tmp_path / "broker", password_file=data / "mosquitto" / "passwd", acl_file=data / "mosquitto" / "acl"
    ) as broker:
        controller_url = f"mqtt://{CONTROLLER_USER}:{ensure_controller_user(data)}@127.0.0.1:{broker.port}"
        stack = Stack(data, ManualClock(at("2025-05-12 10:00")), mqtt_url=controller_url)
        try:
            device = Device(f"mqtt://ex-one:{one['mqtt_password']}@127.0.0.1:{broker.port}", "ex-one")
            device.publish(batch("ex-one", session_events("ex-one", 1, at("2025-05-12 10:00"))))
            assert device.next("ack")["upto_seq"] == 4
            # ex-one pretending to be ex-two: the broker drops it, so nothing reaches the controller.
            device.client.publish("kepu/v1/exhibits/ex-two/events", b'{"v":1}', qos=1).wait_for_publish(5)
            spy = Device(
                f"mqtt://ex-one:{one['mqtt_password']}@127.0.0.1:{broker.port}", "ex-two", channels=("desired",)
            )
            with pytest.raises(AssertionError):
                spy.latest("desired", lambda d: True, timeout=0.5)  # ex-two's retained desired state is not readable
            fleet = {e["id"]: e for e in stack.ok("GET", "/api/v1/exhibits")}
            assert fleet["ex-one"]["enrolled"] and fleet["ex-one"]["region"] == "guangdong/shenzhen"
            assert stack.ok("GET", "/api/v1/exhibits/ex-two/counts") == {"events": 0, "sessions": 0}
            # The device token from enrol is a credential for pack downloads, not for the management API.
            assert stack.client(one["api_token"]).get("/api/v1/exhibits").status_code == 403
            refused: queue.Queue = queue.Queue()
            intruder = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
            intruder.username_pw_set("ex-one", "wrong")
            intruder.on_connect = lambda c, u, f, rc, p: refused.put(rc.is_failure)
            intruder.connect("127.0.0.1", broker.port)
            intruder.loop_start()
            assert refused.get(timeout=10) is True
            intruder.loop_stop()
            for d in (device, spy):
                d.close()
        finally:
            stack.close()


def test_re_enrolling_revokes_the_old_device_token(tmp_path, capsys):
    data = tmp_path / "ctl"
    first, second = enroll(data, "ex-one", capsys), enroll(data, "ex-one", capsys)
    with closing(sqlite3.connect(data / "controller.db")) as conn:
        assert (
            conn.execute("SELECT COUNT(*) FROM tokens WHERE exhibit = 'ex-one' AND revoked IS NULL").fetchone()[0] == 1
        )
    assert first["api_token"] != second["api_token"]
    assert (data / "mosquitto" / "passwd").read_text().count("ex-one:") == 1
    assert main(["enroll", "bad id!", "--data", str(data)]) == 2
