"""The agent against a real Mosquitto: drain with acks, state and LWT, graceful shutdown."""

from __future__ import annotations

import signal
import threading

import pytest

from exhibit_agent.agent import Agent
from exhibit_agent.config import build_config
from kepu_contracts.outbox import Outbox
from tests.support.agent import FakeController, Retained, spawn_agent, wait_until, write_events


@pytest.fixture
def run_agent(tmp_path, broker):
    started = []

    def start(exhibit="ex-quake-01", **settings):
        config = build_config({"exhibit": exhibit, "mqtt": broker.url, "data": tmp_path / exhibit, **settings})
        agent = Agent(config)
        stop = threading.Event()
        thread = threading.Thread(target=agent.run, args=(stop,), daemon=True)
        thread.start()
        started.append((stop, thread))
        assert agent.link.wait_connected(10)
        return agent, stop, thread

    yield start
    for stop, thread in started:
        stop.set()
        thread.join(10)


def test_rows_leave_the_outbox_only_after_the_controller_acks(tmp_path, broker, run_agent):
    ctl = FakeController(broker.url, tmp_path / "ctl.db", ack=False).start()
    try:
        outbox = Outbox(tmp_path / "ex-quake-01" / "outbox.db")
        ids = write_events(outbox, 450)
        agent, _stop, _thread = run_agent(ack_timeout=60)
        assert wait_until(lambda: ctl.ids() == set(ids), 10), "every event reaches the controller"
        assert outbox.count() == 450, "no ack yet: nothing may be deleted"
        ctl.ack = True
        more = write_events(outbox, 10)
        # The new batch is acked; old unacked batches are resent once the agent reconnects or times out.
        assert wait_until(lambda: set(more) <= ctl.ids(), 5)
        assert wait_until(lambda: outbox.count() == 450, 5)
        agent.events.reset()
        assert wait_until(lambda: outbox.count() == 0, 10), "after acks, the outbox is empty"
        assert ctl.stored() == 460
        sizes = [len(b["events"]) for b in ctl.batches]
        assert max(sizes) <= 200
        outbox.close()
    finally:
        ctl.stop()


def test_events_flow_within_half_a_second_while_the_kiosk_writes(tmp_path, broker, run_agent):
    ctl = FakeController(broker.url, tmp_path / "ctl.db").start()
    try:
        _agent, _stop, _thread = run_agent()
        outbox = Outbox(tmp_path / "ex-quake-01" / "outbox.db")
        import time

        latencies = []
        for _ in range(5):
            [eid] = write_events(outbox, 1)
            t0 = time.monotonic()
            assert wait_until(lambda: eid in ctl.ids(), 3)
            latencies.append(time.monotonic() - t0)
        assert max(latencies) < 0.5, latencies
        assert wait_until(lambda: outbox.count() == 0, 5)
        outbox.close()
    finally:
        ctl.stop()


def test_state_is_retained_online_and_clean_offline_on_shutdown(tmp_path, broker, run_agent):
    watch = Retained(broker.url, "kepu/v1/exhibits/+/state")
    try:
        _agent, stop, thread = run_agent("ex-a")
        topic = "kepu/v1/exhibits/ex-a/state"
        assert wait_until(lambda: (watch.get(topic) or {}).get("online") is True, 5)
        state = watch.get(topic)
        assert state["v"] == 1 and state["exhibit"] == "ex-a" and state["pack"] is None
        assert state["agent_version"] and state["since"].endswith("Z")
        stop.set()
        thread.join(10)
        assert wait_until(lambda: watch.get(topic)["online"] is False, 5)
        assert watch.get(topic)["reason"] == "shutdown"
    finally:
        watch.stop()
    # Retained: a newcomer (the controller after a restart) sees it too.
    late = Retained(broker.url, "kepu/v1/exhibits/ex-a/state")
    try:
        assert wait_until(lambda: late.get("kepu/v1/exhibits/ex-a/state") is not None, 5)
        assert late.get("kepu/v1/exhibits/ex-a/state")["online"] is False
    finally:
        late.stop()


def test_cli_agent_sigterm_is_clean_and_kill_9_fires_the_retained_lwt(tmp_path, broker):
    watch = Retained(broker.url, "kepu/v1/exhibits/+/state")
    topic = "kepu/v1/exhibits/ex-b/state"
    try:
        proc = spawn_agent("ex-b", broker.url, tmp_path / "ex-b", "--health-interval", "30")
        assert wait_until(lambda: (watch.get(topic) or {}).get("online") is True, 10)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0
        assert wait_until(lambda: watch.get(topic)["online"] is False, 5)
        assert watch.get(topic)["reason"] == "shutdown"

        proc = spawn_agent("ex-b", broker.url, tmp_path / "ex-b")
        assert wait_until(lambda: watch.get(topic)["online"] is True, 10)
        proc.kill()
        proc.wait()
        # The broker notices the dead socket at once (RST) and publishes the LWT.
        assert wait_until(lambda: watch.get(topic)["online"] is False, 10)
        assert watch.get(topic)["reason"] == "lost"
    finally:
        watch.stop()


def test_door_counter_footfall_goes_on_the_exhibits_own_topic_and_is_deleted_on_its_ack(tmp_path, broker, run_agent):
    import os

    from tests.support.agent import publish_retained

    master, slave = os.openpty()
    ctl = FakeController(broker.url, tmp_path / "ctl.db").start()
    watch = Retained(broker.url, "kepu/v1/exhibits/ex-door/health")
    try:
        agent, _stop, _thread = run_agent("ex-door", serial_device=os.ttyname(slave), health_interval=0.3)
        assert wait_until(lambda: agent.serial is not None and agent.serial.connected, 5)
        os.write(master, b"IN 2\n")  # counted before the venue is known: kept, not sent
        outbox = Outbox(tmp_path / "ex-door" / "outbox.db")
        assert wait_until(lambda: outbox.count("footfall") == 1, 5)
        publish_retained(broker.url, "kepu/v1/exhibits/ex-door/desired", {"venue": "venue-9", "pack": None})
        os.write(master, b"TOTAL 10\nTOTAL 13\n")
        assert wait_until(lambda: len(ctl.ids("footfall")) == 4, 10)
        assert wait_until(lambda: outbox.count("footfall") == 0, 5), "deleted after the footfall ack"
        assert {b.get("venue") for b in ctl.batches} == {"venue-9"}
        assert wait_until(lambda: watch.get("kepu/v1/exhibits/ex-door/health") is not None, 5)
        health = watch.get("kepu/v1/exhibits/ex-door/health")
        assert health["v"] == 1 and health["uptime"] >= 0 and health["disk_free"] > 0
        assert set(health["outbox"]) == {"backlog", "bytes", "over_cap"}
        assert "cpu_temp" in health and "undervoltage" in health and "screen_on" in health
        outbox.close()
    finally:
        watch.stop()
        ctl.stop()
        os.close(master)
        os.close(slave)


def test_outbox_over_cap_is_reported_not_silent_and_nothing_is_dropped(tmp_path, broker, run_agent):
    watch = Retained(broker.url, "kepu/v1/exhibits/ex-cap/reported")
    try:
        outbox = Outbox(tmp_path / "ex-cap" / "outbox.db")
        ids = write_events(outbox, 2000)
        _agent, _stop, _thread = run_agent("ex-cap", outbox_cap_bytes=4096)
        topic = "kepu/v1/exhibits/ex-cap/reported"
        assert wait_until(lambda: (watch.get(topic) or {}).get("outbox_over_cap") is True, 10)
        # No controller is acking: every row is still there, plus the agent's own error event.
        rows = outbox.pending("events", limit=10_000)
        assert {r.id for r in rows} >= set(ids)
        errors = [r for r in rows if r.type == "error"]
        assert errors and errors[0].data["code"] == "outbox_over_cap" and errors[0].boot
        outbox.close()
    finally:
        watch.stop()


def test_desired_pack_is_installed_and_reported(tmp_path, broker, run_agent):
    from tests.support.agent import FakeKiosk, PackServer, check_current_is_complete, publish_retained

    server = PackServer(tmp_path / "ctl").start()
    kiosk = FakeKiosk(tmp_path / "ex-p").start()
    watch = Retained(broker.url, "kepu/v1/exhibits/ex-p/+")
    try:
        block = server.publish_pack("quake", "1.2.0")
        _agent, _stop, _thread = run_agent("ex-p", controller=server.url, trusted_keys=[str(server.public)])
        publish_retained(broker.url, "kepu/v1/exhibits/ex-p/desired", {"venue": "v1", "pack": block})
        reported = lambda: watch.get("kepu/v1/exhibits/ex-p/reported") or {}  # noqa: E731
        assert wait_until(lambda: (reported().get("last_install") or {}).get("result") == "ok", 15)
        assert reported()["installed"] == {"id": "quake", "version": "1.2.0"}
        assert check_current_is_complete(tmp_path / "ex-p", server.public) == ("quake", "1.2.0")
        assert wait_until(
            lambda: (watch.get("kepu/v1/exhibits/ex-p/state") or {}).get("pack") == {"id": "quake", "version": "1.2.0"},
            5,
        )
        bad = dict(server.publish_pack("quake", "1.3.0"), manifest_sha256="f" * 64)
        publish_retained(broker.url, "kepu/v1/exhibits/ex-p/desired", {"venue": "v1", "pack": bad})
        assert wait_until(lambda: reported()["last_install"]["result"] == "refused", 10)
        assert "manifest_sha256" in reported()["last_install"]["reason"]
        assert reported()["installed"] == {"id": "quake", "version": "1.2.0"}
    finally:
        watch.stop()
        kiosk.stop()
        server.stop()
