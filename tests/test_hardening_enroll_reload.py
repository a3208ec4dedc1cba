"""Issue 11, finding 14: `kepu-controller enroll` reloads Mosquitto, so the new exhibit can log in at once."""

from __future__ import annotations

import os
import queue
import shutil
import tempfile
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest

from controller.cli import main
from controller.devtools.broker import Broker


@pytest.fixture
def reachable_dir():
    path = Path(tempfile.mkdtemp(prefix="kepu-reload-"))
    os.chmod(path, 0o711)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def enroll(capsys, *argv: str) -> dict[str, str]:
    assert main(["enroll", *argv]) == 0
    return dict(line.split(": ", 1) for line in capsys.readouterr().out.strip().splitlines())


def connects(port: int, user: str, password: str) -> bool:
    answer: queue.Queue = queue.Queue()
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
    client.username_pw_set(user, password)
    client.on_connect = lambda c, u, f, rc, p: answer.put(not rc.is_failure)
    client.connect("127.0.0.1", port)
    client.loop_start()
    try:
        return answer.get(timeout=10)
    finally:
        client.loop_stop()
        client.disconnect()


def test_enroll_reloads_the_broker_named_by_its_pid_file(tmp_path, reachable_dir, capsys):
    data = reachable_dir / "ctl"
    enroll(capsys, "ex-one", "--data", str(data))
    broker = Broker(
        workdir=tmp_path / "broker", password_file=data / "mosquitto" / "passwd", acl_file=data / "mosquitto" / "acl"
    )
    with broker:
        pid_file = broker.workdir / "mosquitto.pid"
        assert pid_file.exists()
        two = enroll(capsys, "ex-two", "--data", str(data), "--broker-pid-file", str(pid_file))
        assert two["mosquitto"].startswith("reloaded")
        assert connects(broker.port, "ex-two", two["mqtt_password"]), "the new exhibit logs in without a manual SIGHUP"
        # Without a broker to reload it says what to do instead.
        three = enroll(capsys, "ex-three", "--data", str(data), "--broker-pid-file", str(tmp_path / "none.pid"))
        assert "not reloaded" in three["mosquitto"] and "SIGHUP" in three["mosquitto"]
