"""The agent against a real Mosquitto: drain with acks, state and LWT, graceful shutdown."""

from __future__ import annotations

import signal
import threading

import pytest

from exhibit_agent.agent import Agent
from exhibit_agent.config import build_config
from kiosk.outbox import Outbox
from tests.test_agent_support import FakeController, Retained, spawn_agent, wait_until, write_events


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
        agent, stop, thread = run_agent(ack_timeout=60)
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
        agent, stop, thread = run_agent()
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
        agent, stop, thread = run_agent("ex-a")
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
