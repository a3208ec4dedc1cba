"""The power schedule and every backend, against real things: tools on PATH, Mosquitto, HTTP, TCP, UDP."""

from __future__ import annotations

import json
import threading
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import paho.mqtt.client as mqtt
import pytest

from exhibit_agent.agent import Agent
from exhibit_agent.config import ConfigError, build_config
from exhibit_agent.power.backends import build_backends
from exhibit_agent.power.keeper import PowerKeeper
from exhibit_agent.power.schedule import schedule_from
from kepu_contracts.control import parse_control
from kepu_contracts.datadir import DataDir, write_json_atomic
from kepu_contracts.protocol import decode, encode, exhibit_topic
from tests.power_support import PJLinkProjector, ShellyServer, calls, install_fake_tools, udp_ear
from tests.support.agent import Retained, wait_until

TZ = "Asia/Shanghai"
HOURS = {day: ["09:00-21:00"] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
DESIRED = {
    "venue": "v-hall",
    "opening_hours": HOURS,
    "pack": None,
    "emergency": None,
    "config": {"timezone": TZ, "power": {"on_before": 10, "off_after": 10}, "closed_days": ["2026-12-02"]},
}


def at(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(TZ)).timestamp()


def test_schedule_is_on_from_margin_before_opening_to_margin_after_closing():
    schedule = schedule_from(DESIRED)
    assert not schedule.decide(at("2026-12-01T08:49:59")).on
    assert schedule.decide(at("2026-12-01T08:50")).on
    decision = schedule.decide(at("2026-12-01T21:09:59"))
    assert decision.on and decision.next_change == at("2026-12-01T21:10")
    assert not schedule.decide(at("2026-12-01T21:10")).on
    # 2 December is a closed day: dark all day, next on at 08:50 on the 3rd.
    closed = schedule.decide(at("2026-12-02T12:00"))
    assert not closed.on and closed.next_change == at("2026-12-03T08:50")


def test_no_or_unusable_schedule_keeps_the_display_on():
    assert schedule_from(None).decide(0).on
    assert schedule_from({**DESIRED, "venue": None}).decide(at("2026-12-01T23:00")).on, "in transit: stays on"
    broken = schedule_from({**DESIRED, "opening_hours": {"mon": ["21:00-09:00"]}})
    assert broken.decide(at("2026-12-01T23:00")).on
    assert "schedule unusable" in broken.problem


def _follow(keeper: PowerKeeper, now: float) -> None:
    keeper.tick(now)


@pytest.fixture
def fake_path(tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"
    install_fake_tools(bin_dir)
    log = tmp_path / "power.log"
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    monkeypatch.setenv("FAKE_POWER_LOG", str(log))
    return log


EXPECTED = {
    "vcgencmd": (["display_power", "0"], ["display_power", "1"]),
    "wlr-randr": (["--output", "HDMI-A-1", "--off"], ["--output", "HDMI-A-1", "--on"]),
    "xset": (["-display", ":0", "dpms", "force", "off"], ["-display", ":0", "dpms", "force", "on"]),
    "cec-ctl": (["-d", "/dev/cec0", "--to", "0", "--standby"], ["-d", "/dev/cec0", "--to", "0", "--image-view-on"]),
}


@pytest.mark.parametrize("kind", ["vcgencmd", "wlr-randr", "xset", "cec-ctl", "cec-client", "command"])
def test_command_backends_switch_off_at_21_10_and_on_before_opening(kind, fake_path, tmp_path):
    spec = {"kind": kind}
    if kind == "command":
        spec.update(
            on=f"echo on > {tmp_path}/relay", off=f"echo off > {tmp_path}/relay", status=f"cat {tmp_path}/relay"
        )
    keeper = PowerKeeper(
        build_backends((spec,), {"exhibit": "ex-1", "mqtt": "mqtt://127.0.0.1:1"}), schedule_from(DESIRED)
    )
    keeper.start()
    try:
        keeper.tick(at("2026-12-01T21:09"))  # open: on
        assert wait_until(lambda: keeper.status(at("2026-12-01T21:09"))["backends"][0]["on"] is True, 10)
        start = len(calls(fake_path))
        keeper.tick(at("2026-12-01T21:10"))
        assert wait_until(lambda: keeper.status(at("2026-12-01T21:10"))["on"] is False, 10)
        off_calls = calls(fake_path)[start:]
        keeper.tick(at("2026-12-03T08:50"))  # the 2nd is closed: next on is the 3rd, 10 min before 09:00
        assert wait_until(lambda: keeper.status(at("2026-12-03T08:50"))["on"] is True, 10)
    finally:
        keeper.stop()
    if kind == "command":
        assert (tmp_path / "relay").read_text().strip() == "on"
        return
    tools = [c for c in off_calls if c["tool"] == kind]
    if kind == "cec-client":
        assert tools[0]["args"] == ["-s", "-d", "1"] and tools[0]["stdin"] == "standby 0\n"
        assert any(c["stdin"] == "on 0\n" for c in calls(fake_path)[start:])
    else:
        off, on = EXPECTED[kind]
        assert tools[0]["args"] == off, "switched off at 21:10"
        assert any(c["args"] == on for c in calls(fake_path)[start:]), "and on at 08:50"


def test_a_failing_tool_is_reported_with_its_message_and_retried(fake_path):
    keeper = PowerKeeper(
        build_backends(({"kind": "command", "on": "failing-tool", "off": "failing-tool"},), {}), schedule_from(DESIRED)
    )
    keeper.start()
    try:
        keeper.tick(at("2026-12-01T22:00"))
        assert wait_until(lambda: keeper.status(at("2026-12-01T22:00"))["backends"][0]["error"], 10)
        error = keeper.status(at("2026-12-01T22:00"))["backends"][0]["error"]
        assert "exited with 3" in error and "no display attached" in error
        assert not keeper.applied_ok
        n = len(calls(fake_path))
        assert keeper.tick(at("2026-12-01T22:01")), "retried after a minute"
        assert wait_until(lambda: len(calls(fake_path)) > n, 10)
    finally:
        keeper.stop()


def test_missing_tool_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    (backend,) = build_backends(({"kind": "vcgencmd"},), {})
    from exhibit_agent.power.backends import BackendError

    with pytest.raises(BackendError, match="vcgencmd is not installed"):
        backend.switch(False)


def test_tasmota_plug_over_a_real_mosquitto(broker):
    plug_state = {"on": True}
    plug = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="fake-tasmota")
    heard: list[bytes] = []

    def on_message(client, userdata, message):
        heard.append(bytes(message.payload))
        word = bytes(message.payload).decode().upper()
        if word in ("ON", "OFF"):
            plug_state["on"] = word == "ON"
        client.publish("stat/plug-hall/POWER", "ON" if plug_state["on"] else "OFF", qos=1)

    plug.on_message = on_message
    plug.connect("127.0.0.1", broker.port)
    plug.subscribe("cmnd/plug-hall/POWER", qos=1)
    plug.loop_start()
    try:
        keeper = PowerKeeper(
            build_backends(({"kind": "tasmota", "topic": "plug-hall"},), {"exhibit": "ex-1", "mqtt": broker.url}),
            schedule_from(DESIRED),
        ).start()
        keeper.tick(at("2026-12-01T21:10"))
        assert wait_until(lambda: keeper.status(at("2026-12-01T21:10"))["on"] is False, 15)
        assert plug_state["on"] is False and b"OFF" in heard
        keeper.tick(at("2026-12-03T08:50"))
        assert wait_until(lambda: keeper.status(at("2026-12-03T08:50"))["on"] is True, 15)
        assert plug_state["on"] is True
        keeper.stop()
    finally:
        plug.loop_stop()
        plug.disconnect()


@pytest.mark.parametrize("gen", [2, 1])
def test_shelly_gen1_and_gen2_over_http(gen):
    shelly = ShellyServer()
    shelly.on = True
    try:
        keeper = PowerKeeper(
            build_backends(({"kind": "shelly", "url": shelly.url, "gen": gen},), {}), schedule_from(DESIRED)
        )
        keeper.start()
        keeper.tick(at("2026-12-01T21:10"))
        assert wait_until(lambda: keeper.status(at("2026-12-01T21:10"))["on"] is False, 10)
        assert shelly.on is False
        expected = "/rpc/Switch.Set?id=0&on=false" if gen == 2 else "/relay/0?turn=off"
        assert expected in shelly.requests
        keeper.tick(at("2026-12-03T08:50"))
        assert wait_until(lambda: shelly.on is True, 10)
        keeper.stop()
    finally:
        shelly.close()


def test_pjlink_projector_over_tcp():
    projector = PJLinkProjector()
    projector.on = True
    try:
        keeper = PowerKeeper(
            build_backends(({"kind": "pjlink", "host": "127.0.0.1", "port": projector.port},), {}),
            schedule_from(DESIRED),
        ).start()
        keeper.tick(at("2026-12-01T21:10"))
        assert wait_until(lambda: keeper.status(at("2026-12-01T21:10"))["on"] is False, 10)
        assert "%1POWR 0" in projector.commands and "%1POWR ?" in projector.commands
        keeper.tick(at("2026-12-03T08:50"))
        assert wait_until(lambda: projector.on, 10)
        keeper.stop()
    finally:
        projector.close()


def test_wake_on_lan_sends_the_magic_packet():
    ear = udp_ear()
    port = ear.getsockname()[1]
    try:
        keeper = PowerKeeper(
            build_backends(({"kind": "wol", "mac": "00:11:22:aa:bb:cc", "broadcast": "127.0.0.1", "port": port},), {}),
            schedule_from(DESIRED),
        ).start()
        keeper.tick(at("2026-12-01T08:50"))
        packet, _ = ear.recvfrom(1024)
        keeper.stop()
    finally:
        ear.close()
    assert packet == b"\xff" * 6 + bytes.fromhex("001122aabbcc") * 16


@pytest.mark.parametrize(
    "spec, message",
    [
        ({"kind": "hdmi-magic"}, "kind 'hdmi-magic' is not one of vcgencmd"),
        ({"kind": "tasmota"}, "topic must be set"),
        ({"kind": "shelly", "url": "192.168.1.9"}, "url must be http://"),
        ({"kind": "wol", "mac": "not-a-mac"}, "is not a MAC address"),
        ({"kind": "pjlink", "host": "p", "port": 70000}, "port must be a TCP port"),
        ({"kind": "command", "on": "x"}, "off must be set"),
    ],
)
def test_bad_backend_choice_is_a_clear_config_error(tmp_path, spec, message):
    with pytest.raises(ConfigError, match=message):
        build_config({"exhibit": "ex-1", "mqtt": "mqtt://127.0.0.1:1", "data": tmp_path, "power_backends": [spec]})


def test_config_file_takes_power_backends(tmp_path):
    from exhibit_agent.config import load_config

    path = tmp_path / "agent.toml"
    path.write_text(
        'exhibit = "ex-1"\ndata = "/tmp/x"\n[mqtt]\nurl = "mqtt://127.0.0.1:1883"\n'
        '[[power.backends]]\nkind = "vcgencmd"\n[[power.backends]]\nkind = "shelly"\nurl = "http://10.0.0.9"\ngen = 1\n'
    )
    config = load_config(path)
    assert [b["kind"] for b in config.power_backends] == ["vcgencmd", "shelly"]


class StepClock:
    def __init__(self, start: float):
        self.now = start

    def __call__(self) -> float:
        return self.now


def test_offline_agent_follows_its_cached_schedule_and_wakes_on_touch(tmp_path, fake_path):
    data = tmp_path / "ex-dark"
    data.mkdir()
    write_json_atomic(DataDir(data).desired, DESIRED)
    clock = StepClock(at("2026-12-01T21:05"))
    # No broker at all on this port: the agent is offline from the start.
    config = build_config(
        {"exhibit": "ex-dark", "mqtt": "mqtt://127.0.0.1:9", "data": data, "power_backends": [{"kind": "vcgencmd"}]}
    )
    agent = Agent(config, wall=clock)
    agent.start()
    try:
        agent.step()
        assert parse_control(json.loads(DataDir(data).control.read_text())).display_on
        clock.now = at("2026-12-01T21:10")
        agent.step()
        control = parse_control(json.loads(DataDir(data).control.read_text()))
        assert not control.display_on and control.wake_on_touch
        assert wait_until(lambda: ["display_power", "0"] in [c["args"] for c in calls(fake_path)], 10)
        # A visitor touches the dark screen: the kiosk writes wake.json, the agent lights it for a while.
        write_json_atomic(DataDir(data).wake_request, {"v": 1, "ts": clock.now})
        clock.now += 1
        agent.step()
        assert parse_control(json.loads(DataDir(data).control.read_text())).display_on
        clock.now += 16 * 60
        agent.step()
        assert not parse_control(json.loads(DataDir(data).control.read_text())).display_on, "back to sleep"
    finally:
        agent.shutdown()


def test_display_off_command_over_mqtt_reaches_the_backend_and_health(tmp_path, broker, fake_path):
    data = tmp_path / "ex-cmd"
    clock = StepClock(at("2026-12-01T12:00"))
    config = build_config(
        {
            "exhibit": "ex-cmd",
            "mqtt": broker.url,
            "data": data,
            "power_backends": [{"kind": "xset"}],
            "health_interval": 0.2,
        }
    )
    agent = Agent(config, wall=clock)
    stop = threading.Event()
    thread = threading.Thread(target=agent.run, args=(stop,), daemon=True)
    thread.start()
    results = Retained(broker.url, exhibit_topic("ex-cmd", "command_results"))
    health = Retained(broker.url, exhibit_topic("ex-cmd", "health"))
    try:
        assert agent.link.wait_connected(10)
        from tests.support.agent import publish_retained

        publish_retained(broker.url, exhibit_topic("ex-cmd", "desired"), {**DESIRED, "exhibit": "ex-cmd"})
        assert wait_until(lambda: agent.desired is not None, 10)
        time.sleep(0.3)
        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
        client.connect("127.0.0.1", broker.port)
        client.loop_start()
        client.publish(exhibit_topic("ex-cmd", "commands"), encode({"id": "c-off", "type": "display_off"}), qos=1)
        assert wait_until(lambda: results.get(exhibit_topic("ex-cmd", "command_results")), 10)
        result = results.get(exhibit_topic("ex-cmd", "command_results"))
        assert result["id"] == "c-off" and result["ok"] and result["display"] == "off"
        assert ["-display", ":0", "dpms", "force", "off"] in [c["args"] for c in calls(fake_path)]
        assert wait_until(lambda: (health.get(exhibit_topic("ex-cmd", "health")) or {}).get("screen_on") is False, 10)
        block = health.get(exhibit_topic("ex-cmd", "health"))["display"]
        assert block["scheduled"] == "on" and block["override"]["source"] == "command"
        # The override holds until the next boundary (21:10), then the schedule rules again (still off).
        client.publish(exhibit_topic("ex-cmd", "commands"), encode({"id": "c-on", "type": "display_on"}), qos=1)
        assert wait_until(lambda: (health.get(exhibit_topic("ex-cmd", "health")) or {}).get("screen_on") is True, 10)
        clock.now = at("2026-12-01T21:10")
        assert wait_until(lambda: (health.get(exhibit_topic("ex-cmd", "health")) or {}).get("screen_on") is False, 10)
        client.loop_stop()
        client.disconnect()
    finally:
        stop.set()
        thread.join(10)
        results.stop()
        health.stop()
    assert decode(encode({"ok": True}))["ok"]


def test_control_json_display_field_round_trip(tmp_path):
    from kepu_contracts.control import ControlError, write_control

    path = tmp_path / "control.json"
    write_control(path, None, {}, 0.0, display_on=False, wake_on_touch=True)
    control = parse_control(json.loads(path.read_text()))
    assert not control.display_on and control.wake_on_touch
    assert parse_control({"emergency": None}).display_on, "older agents: on"
    with pytest.raises(ControlError, match="display must be"):
        parse_control({"display": "dim"})


def test_kiosk_sleep_writes_a_wake_request_off_the_loop(tmp_path):
    from kiosk.display_sleep import DisplaySleep

    sleep = DisplaySleep(tmp_path)
    assert not sleep.touched(False), "the venue does not allow waking"
    assert sleep.touched(True)
    assert wait_until(lambda: Path(DataDir(tmp_path).wake_request).exists(), 5)
    assert not sleep.touched(True), "one request a second at most"
