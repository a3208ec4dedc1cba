"""Power cuts and network loss across the real chain: kiosk outbox → agent → Mosquitto → controller.

The agent is killed with SIGKILL at random moments and the broker is stopped (gracefully
and with SIGKILL) while a kiosk keeps writing; the real controller must end up with
every event exactly once.
"""

from __future__ import annotations

import json
import random
import signal
import time

import pytest

from tests.support.e2e import Controller, agent, wait_until
from tests.test_agent_faults import KioskWriter
from tests.test_end_to_end import outbox_rows

EXHIBIT = "ex-fault-01"


@pytest.mark.slow
def test_every_event_arrives_exactly_once_through_kills_and_broker_restarts(tmp_path, broker):
    controller = Controller(tmp_path / "controller", broker.url).start()
    data = tmp_path / "exhibit"
    data.mkdir()
    writer = KioskWriter(data / "outbox.db").start()
    rng = random.Random(2026)
    kills = restarts = 0
    proc = None
    try:
        controller.wait_ready()
        for _ in range(20):
            proc = agent(EXHIBIT, data, broker.url, controller.url).start()
            time.sleep(rng.uniform(0.4, 1.2))
            proc.stop(signal.SIGKILL)
            kills += 1
        proc = agent(EXHIBIT, data, broker.url, controller.url).start()
        for graceful in (True, False):
            time.sleep(rng.uniform(0.5, 1.0))
            broker.stop(kill=not graceful)
            time.sleep(0.7)  # the kiosk keeps writing while the network is gone
            broker.start()
            restarts += 1
        time.sleep(0.5)
        writer.stop()

        def stored() -> int:
            response = controller.get(f"/api/v1/exhibits/{EXHIBIT}/counts")
            return response.json()["events"] if response.status_code == 200 else -1

        written = len(writer.ids)
        wait_until(
            lambda: outbox_rows(data) == 0 and stored() == written,
            90,
            lambda: f"stored {stored()} of {written}, outbox {outbox_rows(data)}\n{proc.tail()}\n{controller.tail()}",
        )
        print(
            "\nFIGURES "
            + json.dumps(
                {
                    "written": written,
                    "stored": stored(),
                    "lost": written - stored(),
                    "kills": kills,
                    "broker_restarts": restarts,
                }
            )
        )
        assert len(set(writer.ids)) == written
        assert stored() == written  # unique ids + equal count: nothing lost, nothing twice
    finally:
        writer.stop_event.set()
        if proc:
            proc.stop()
        controller.stop()
