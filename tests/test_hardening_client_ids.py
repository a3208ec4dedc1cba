"""Issue 11, finding 3: with the project's broker config, no device can take over another's client id."""

from __future__ import annotations

import os
import queue
import shutil
import tempfile
import threading
import time
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest

from controller.cli import main
from controller.devtools.broker import Broker
from controller.domain.enroll import CONTROLLER_USER, ensure_controller_user
from kepu_contracts.clock import ManualClock
from tests.support.controller import Device, Stack, at, batch, session_events


@pytest.fixture
def reachable_dir():
    path = Path(tempfile.mkdtemp(prefix="kepu-clientid-"))
    os.chmod(path, 0o711)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def enroll(data: Path, exhibit: str, capsys) -> str:
    assert main(["enroll", exhibit, "--data", str(data)]) == 0
    return dict(line.split(": ", 1) for line in capsys.readouterr().out.strip().splitlines())["mqtt_password"]


class Watched:
    """A paho client that records whether the broker ever dropped it."""

    def __init__(self, port: int, client_id: str, user: str, password: str, will: str | None = None):
        self.dropped = threading.Event()
        self.up: queue.Queue = queue.Queue()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id)
        self.client.username_pw_set(user, password)
        if will:
            self.client.will_set(will, b'{"v":1,"online":false,"reason":"lost"}', qos=1, retain=True)
        self.client.on_connect = lambda c, u, f, rc, p: self.up.put(rc.is_failure)
        self.client.on_disconnect = lambda *a: self.dropped.set()
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


def test_a_device_cannot_knock_the_controller_or_another_exhibit_off(tmp_path, reachable_dir, capsys):
    data = reachable_dir / "ctl"
    pw_one, pw_two = enroll(data, "ex-one", capsys), enroll(data, "ex-two", capsys)
    broker = Broker(
        workdir=tmp_path / "broker", password_file=data / "mosquitto" / "passwd", acl_file=data / "mosquitto" / "acl"
    )
    assert "use_username_as_clientid true" in broker.config_text()
    with broker:
        url = f"mqtt://{CONTROLLER_USER}:{ensure_controller_user(data)}@127.0.0.1:{broker.port}"
        stack = Stack(data, ManualClock(at("2025-05-12 10:00")), mqtt_url=url)
        assert stack.settings.mqtt_client_id == CONTROLLER_USER
        two = Watched(broker.port, "kepu-agent-ex-two", "ex-two", pw_two, will="kepu/v1/exhibits/ex-two/state")
        try:
            assert two.up.get(timeout=10) is False
            intruders = [
                Watched(broker.port, client_id, "ex-one", pw_one)
                for client_id in (CONTROLLER_USER, "kepu-agent-ex-two", "ex-two")
            ]
            time.sleep(1.0)
            assert not two.dropped.is_set(), "ex-two was knocked off by a device using its client id"
            assert stack.controller.bridge.connected.is_set(), "the controller was knocked off"
            device = Device(f"mqtt://ex-two:{pw_two}@127.0.0.1:{broker.port}", "ex-two")
            device.publish(batch("ex-two", session_events("ex-two", 1, at("2025-05-12 09:00"))))
            assert device.next("ack")["upto_seq"] == 4  # the controller still acks
            device.close()
            for intruder in intruders:
                intruder.close()
        finally:
            two.close()
            stack.close()
