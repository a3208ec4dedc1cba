"""Two real Mosquitto brokers bridged as `kepu-controller bridge-config` writes them.

Real exhibit agents drain their outboxes into a city broker; the city broker bridges to the
province broker, where the real controller (`python -m controller serve`) listens. The WAN link
between the two brokers runs through a loopback TCP relay the test can cut: while it is down the
exhibits keep recording, the city broker buffers, the controller broadcasts an emergency; once the
link is back the controller holds exactly the exhibits' events (none lost, none counted twice) and
the retained desired state with the emergency has reached every exhibit through the bridge. Then
the province broker itself is stopped and restarted, with the same outcome.
"""

from __future__ import annotations

import json
import socket
import sqlite3
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from controller.cli import main as controller_cli
from controller.devtools.broker import Broker, find_mosquitto, free_port, wait_for_port
from controller.domain.enroll import enroll
from controller.store.db import Store
from kepu_contracts.clock import ManualClock
from kepu_contracts.datadir import DataDir
from kepu_contracts.outbox import Outbox
from tests.support.agent import spawn_agent, wait_until, write_events
from tests.support.e2e import Controller, Service

EXHIBITS = ("ex-sz-01", "ex-sz-02", "ex-sz-03")
REGION = "guangdong/shenzhen/nanshan/yuehai"


class Link:
    """A loopback TCP relay standing in for the city's WAN link; `cut()` drops it, `restore()` brings it back."""

    def __init__(self, target_port: int):
        self.target = target_port
        self.port = free_port()
        self._pairs: list[socket.socket] = []
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self.restore()

    def restore(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(8)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        """Close the listening socket (new connections are refused) and every relayed connection."""
        if self._listener is not None:
            try:
                self._listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() thread; close() alone would not
            except OSError:
                pass
            self._listener.close()
            self._listener = None
        with self._lock:
            for sock in self._pairs:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                sock.close()
            self._pairs.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                inbound, _ = listener.accept()
            except OSError:
                return  # cut
            try:
                outbound = socket.create_connection(("127.0.0.1", self.target), timeout=5)
            except OSError:
                inbound.close()
                continue
            with self._lock:
                self._pairs += [inbound, outbound]
            for a, b in ((inbound, outbound), (outbound, inbound)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        try:
            while chunk := src.recv(65536):
                dst.sendall(chunk)
        except OSError:
            pass
        for sock in (src, dst):
            try:
                sock.close()
            except OSError:
                pass


def stored_events(db_path: Path) -> tuple[list[str], int]:
    """Event ids the controller committed, and the events its hourly rollups count."""
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=30)
    try:
        ids = [r[0] for r in conn.execute("SELECT id FROM events")]
        counted = conn.execute("SELECT COALESCE(SUM(events), 0) FROM rollup_hourly").fetchone()[0]
    finally:
        conn.close()
    return ids, counted


def emergency_of(data: Path) -> str | None:
    control = DataDir(data).control
    if not control.exists():
        return None
    try:
        doc = json.loads(control.read_text())
    except ValueError:
        return None
    emergency = doc.get("emergency")
    return str(emergency.get("id")) if isinstance(emergency, dict) else None


def outbox_rows(data: Path) -> int:
    outbox = Outbox(DataDir(data).outbox)
    try:
        return outbox.count("events")
    finally:
        outbox.close()


@pytest.fixture
def city(tmp_path):
    """Province broker + controller data with three enrolled exhibits; the city config from the CLI."""
    find_mosquitto()
    data = tmp_path / "controller"
    store = Store(data / "controller.db")
    try:
        passwords = {e: enroll(store, data, e, 0.0, region=REGION).mqtt_password for e in EXHIBITS}
    finally:
        store.close()
    return data, passwords


def test_city_bridge_buffers_while_the_link_is_down_and_loses_nothing(tmp_path, city):
    data, passwords = city
    mosquitto = data / "mosquitto"
    province = Broker(tmp_path / "province", password_file=mosquitto / "passwd", acl_file=mosquitto / "acl")
    children: list[Service] = []
    try:
        province.port = free_port()
        link = Link(province.port)
        city_dir, city_port = tmp_path / "city", free_port()
        args = ["bridge-config", "--data", str(data), "--name", "shenzhen", "--out", str(city_dir)]
        args += ["--province", f"mqtt://127.0.0.1:{link.port}", "--region", "guangdong/shenzhen"]
        args += ["--listen-port", str(city_port), "--listen-address", "127.0.0.1"]
        if sys.platform.startswith("linux") and _root():
            args += ["--run-as", "root"]  # our 0700 tmp folders are not readable by the `mosquitto` user
        assert controller_cli(args) == 0
        conf = (city_dir / "mosquitto.conf").read_text()
        assert "connection kepu-province" in conf and "cleansession false" in conf
        assert "kepu-bridge-shenzhen" in (mosquitto / "acl").read_text()  # the province knows the bridge

        province.start()  # with the passwd/acl that now include the bridge's user
        city_broker = Service([find_mosquitto(), "-c", str(city_dir / "mosquitto.conf")], tmp_path / "city.log")
        children.append(city_broker.start())
        assert wait_for_port("127.0.0.1", city_port), city_broker.tail()

        controller_password = (mosquitto / "controller.password").read_text().strip()
        controller = Controller(data, f"mqtt://kepu-controller:{controller_password}@127.0.0.1:{province.port}")
        children.append(controller.start())
        controller.wait_ready(60)

        clock = ManualClock(datetime(2025, 5, 10, 2, 0, tzinfo=UTC).timestamp())
        written: list[str] = []
        agents: dict[str, Path] = {}
        for exhibit in EXHIBITS:
            agents[exhibit] = tmp_path / exhibit
            outbox = Outbox(DataDir(agents[exhibit]).outbox)
            written += write_events(outbox, 40, clock)
            outbox.close()
            url = f"mqtt://{exhibit}:{passwords[exhibit]}@127.0.0.1:{city_port}"
            children.append(_Agent(exhibit, url, agents[exhibit]))

        def all_stored() -> bool:
            return sorted(stored_events(data / "controller.db")[0]) == sorted(written)

        wait_until(all_stored, timeout=60)
        assert all_stored(), _why(data, written, city_broker, controller)

        # The WAN link goes down; the exhibits keep recording and the controller broadcasts meanwhile.
        link.cut()
        for exhibit in EXHIBITS:
            outbox = Outbox(DataDir(agents[exhibit]).outbox)
            written += write_events(outbox, 60, clock)
            outbox.close()
        expires = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
        response = httpx.post(
            f"{controller.url}/api/v1/emergencies",
            json={"region": "", "message": {"zh": "台风预警", "en": "Typhoon"}, "expires": expires},
            headers={"Authorization": f"Bearer {controller.token}"},
            timeout=30,
        )
        assert response.status_code == 201, response.text
        emergency = str(response.json()["id"])
        wait_until(lambda: all(outbox_rows(agents[e]) == 60 for e in EXHIBITS), timeout=5)
        assert len(stored_events(data / "controller.db")[0]) == 3 * 40  # nothing crossed the cut link
        assert not any(emergency_of(agents[e]) == emergency for e in EXHIBITS)

        # Held down past the agents' ack timeout (10 s), so they resend into the city broker's queue.
        threading.Event().wait(12)
        link.restore()

        wait_until(all_stored, timeout=90)
        ids, counted = stored_events(data / "controller.db")
        assert sorted(ids) == sorted(written), _why(data, written, city_broker, controller)
        assert len(ids) == len(set(ids)) == counted == 3 * 100  # none lost, none doubled, rollups agree
        assert wait_until(lambda: all(emergency_of(agents[e]) == emergency for e in EXHIBITS), timeout=30), {
            e: emergency_of(agents[e]) for e in EXHIBITS
        }
        assert wait_until(lambda: all(outbox_rows(agents[e]) == 0 for e in EXHIBITS), timeout=30)  # acks came back

        # The province broker itself goes down (and comes back from its own persistence) while exhibits record.
        province.stop()
        for exhibit in EXHIBITS:
            outbox = Outbox(DataDir(agents[exhibit]).outbox)
            written += write_events(outbox, 20, clock)
            outbox.close()
        threading.Event().wait(3)
        province.start()
        wait_until(all_stored, timeout=90)
        ids, counted = stored_events(data / "controller.db")
        assert sorted(ids) == sorted(written), _why(data, written, city_broker, controller)
        assert len(ids) == counted == 3 * 120
        assert wait_until(lambda: all(outbox_rows(agents[e]) == 0 for e in EXHIBITS), timeout=30)
    finally:
        for child in reversed(children):
            child.stop()
        province.stop()


class _Agent(Service):
    """The real agent CLI (tests.support.agent.spawn_agent); it shares our process group, so stop it alone."""

    def __init__(self, exhibit: str, url: str, data: Path):
        super().__init__([], data.parent / f"{data.name}-agent.log")
        self.process = spawn_agent(exhibit, url, data)

    def stop(self, sig: int = 15) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _root() -> bool:
    import os

    return os.geteuid() == 0


def _why(data: Path, written: list[str], city_broker: Service, controller: Controller) -> str:
    ids, counted = stored_events(data / "controller.db")
    return (
        f"stored {len(ids)} (rollups {counted}) of {len(written)} written; missing {len(set(written) - set(ids))}\n"
        f"city broker:\n{city_broker.tail()}\ncontroller:\n{controller.tail()}"
    )


def test_bridge_config_refuses_bad_input_and_changes_nothing(tmp_path, city, capsys):
    data, _ = city
    passwd_before = (data / "mosquitto" / "passwd").read_text()
    base = ["bridge-config", "--data", str(data), "--name", "shenzhen", "--out", str(tmp_path / "out")]
    for extra, message in (
        (["--province", "mqtt://127.0.0.1:1883", "--exhibit", "ex-not-enrolled"], "not enrolled"),
        (["--province", "http://example", "--exhibit", EXHIBITS[0]], "mqtt://host:port"),
        (["--province", "mqtt://u:p@127.0.0.1:1883", "--exhibit", EXHIBITS[0]], "without credentials"),
        (["--province", "mqtt://127.0.0.1:1883"], "--region"),
        (["--province", "mqtt://127.0.0.1:1883", "--region", "nowhere"], "no enrolled exhibits"),
        (["--province", "mqtt://127.0.0.1:1883", "--exhibit", EXHIBITS[0], "--protocol", "mqttv5"], "protocol"),
    ):
        assert controller_cli(base + extra) == 2
        assert message in capsys.readouterr().err
    bad_name = ["bridge-config", "--data", str(data), "--name", "Shen Zhen", "--out", str(tmp_path / "out")]
    assert controller_cli([*bad_name, "--province", "mqtt://127.0.0.1:1883", "--exhibit", EXHIBITS[0]]) == 2
    assert not (tmp_path / "out").exists()
    assert (data / "mosquitto" / "passwd").read_text() == passwd_before


def test_bridge_user_survives_reruns_and_later_enrolments(tmp_path, city):
    data, _ = city
    args = ["bridge-config", "--data", str(data), "--name", "shenzhen", "--out", str(tmp_path / "out")]
    args += ["--province", "mqtt://province.example:1883", "--exhibit", EXHIBITS[0], "--protocol", "mqttv50"]
    assert controller_cli(args) == 0
    first = (tmp_path / "out" / "mosquitto.conf").read_text()
    assert "bridge_protocol_version mqttv50" in first and "address province.example:1883" in first
    for line in (
        "topic kepu/v1/exhibits/+/events out 1",
        "topic kepu/v1/exhibits/+/footfall out 1",
        "topic kepu/v1/venues/+/footfall out 1",
        "topic kepu/v1/exhibits/+/desired in 1",
        "topic kepu/v1/exhibits/+/footfall_ack in 1",
        "persistence true",
        "max_queued_messages 100000",
        "notifications false",
    ):
        assert line in first
    assert (tmp_path / "out" / "passwd").read_text().startswith(f"{EXHIBITS[0]}:$7$")
    assert "kepu-bridge" not in (tmp_path / "out" / "passwd").read_text()  # the province's users stay there
    assert controller_cli(args) == 0
    assert (tmp_path / "out" / "mosquitto.conf").read_text() == first  # same bridge password: the link keeps working
    store = Store(data / "controller.db")
    try:
        enroll(store, data, "ex-sz-09", 0.0, region=REGION)
    finally:
        store.close()
    acl = (data / "mosquitto" / "acl").read_text()
    assert "user kepu-bridge-shenzhen\ntopic write kepu/v1/exhibits/+/events" in acl
    assert "topic readwrite kepu/v1/#" not in acl.split("user kepu-bridge-shenzhen", 1)[1]
