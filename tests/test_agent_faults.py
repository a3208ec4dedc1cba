"""Fault injection against real Mosquitto and real processes: kill -9, broker restarts, torn installs.

Each test prints one line of figures (sent/stored/duplicates/lost, kills) so a run with -s
shows what was measured.
"""

from __future__ import annotations

import json
import os
import random
import threading
import time

import pytest

from kepu_contracts.clock import ManualClock
from kepu_contracts.outbox import Outbox
from tests.support.agent import (
    FakeController,
    FakeKiosk,
    PackServer,
    check_current_is_complete,
    publish_retained,
    spawn_agent,
    wait_until,
    write_events,
)


class KioskWriter:
    """Writes events into the outbox continuously, like a busy kiosk, from its own connection."""

    def __init__(self, path, stream="events"):
        self.outbox = Outbox(path)
        self.stream = stream
        self.ids: list[str] = []
        self.stop_event = threading.Event()
        self.clock = ManualClock()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.stop_event.set()
        self.thread.join(5)
        self.outbox.close()

    def _run(self):
        while not self.stop_event.is_set():
            self.ids += write_events(self.outbox, random.randint(1, 15), self.clock, stream=self.stream)
            time.sleep(0.01)


def drain_and_check(ctl, writer, data, label, extra):
    outbox = Outbox(data / "outbox.db")
    try:
        assert wait_until(lambda: outbox.count() == 0, 30), f"outbox still has {outbox.count()} rows"
    finally:
        outbox.close()
    stored = ctl.ids()
    sent = set(writer.ids)
    lost = sent - stored
    figures = {
        "test": label,
        "written": len(writer.ids),
        "stored": len(stored & sent),
        "deliveries": ctl.deliveries,
        "wire_duplicates": ctl.deliveries - ctl.stored(),
        "lost": len(lost),
        "stored_twice": ctl.stored() - len(stored),
        **extra,
    }
    print("\nFIGURES " + json.dumps(figures))
    assert not lost, f"{len(lost)} events lost"
    assert len(writer.ids) == len(sent), "the writer produced unique ids"
    # The store's primary key makes a double count impossible; the set equality proves exactly once.
    assert stored >= sent


@pytest.mark.slow
def test_kill_9_the_agent_repeatedly_while_events_flow(tmp_path, broker):
    data = tmp_path / "ex-kill"
    data.mkdir()
    ctl = FakeController(broker.url, tmp_path / "ctl.db").start()
    writer = KioskWriter(data / "outbox.db").start()
    rng = random.Random(1234)
    kills = 0
    try:
        for _ in range(22):
            proc = spawn_agent("ex-kill", broker.url, data)
            time.sleep(rng.uniform(0.3, 1.2))
            proc.kill()
            proc.wait()
            kills += 1
        writer.stop()
        proc = spawn_agent("ex-kill", broker.url, data)
        try:
            drain_and_check(ctl, writer, data, "kill9_agent", {"kills": kills})
        finally:
            proc.terminate()
            proc.wait(10)
    finally:
        writer.stop_event.set()
        ctl.stop()


@pytest.mark.slow
def test_broker_stop_and_restart_mid_stream(tmp_path, broker):
    data = tmp_path / "ex-brk"
    data.mkdir()
    ctl = FakeController(broker.url, tmp_path / "ctl.db").start()
    writer = KioskWriter(data / "outbox.db").start()
    proc = spawn_agent("ex-brk", broker.url, data)
    restarts = 0
    try:
        for i in range(4):
            time.sleep(0.8)
            broker.stop(kill=(i % 2 == 1))  # graceful and SIGKILL
            time.sleep(0.5)  # the kiosk keeps writing while the broker is gone
            broker.start()
            restarts += 1
        time.sleep(0.5)
        writer.stop()
        drain_and_check(ctl, writer, data, "broker_restarts", {"restarts": restarts})
    finally:
        writer.stop_event.set()
        proc.terminate()
        proc.wait(10)
        ctl.stop()


@pytest.mark.slow
def test_kill_9_during_pack_download_and_install_always_leaves_a_complete_pack(tmp_path, broker):
    server = PackServer(tmp_path / "ctl").start()
    data = tmp_path / "ex-pack"
    data.mkdir()
    config = tmp_path / "agent.toml"
    config.write_text(
        f'controller = "{server.url}"\ntrusted_keys = ["{server.public}"]\n[install]\nkiosk_load_timeout = 10\n'
    )
    kiosk = FakeKiosk(data).start()
    server.delay = 0.01  # ~6 MB/s: a version takes long enough to be killed mid-download
    shared = os.urandom(600_000)
    blocks = [
        server.publish_pack("quake", f"{n}.0.0", {"media/shared.bin": shared, "media/own.bin": os.urandom(1_500_000)})
        for n in (1, 2, 3, 4, 5)
    ]
    rng = random.Random(99)
    seen: set = set()
    kills = 0
    topic = "kepu/v1/exhibits/ex-pack/desired"
    try:
        for round_ in range(24):
            block = blocks[min(round_ // 5, len(blocks) - 1)]
            publish_retained(broker.url, topic, {"venue": "venue-1", "pack": block, "emergency": None, "config": {}})
            proc = spawn_agent("ex-pack", broker.url, data, "--config", str(config))
            time.sleep(rng.uniform(0.4, 1.6))
            proc.kill()
            proc.wait()
            kills += 1
            # The invariant, at every kill point: current is absent (first install) or complete and verified.
            seen.add(check_current_is_complete(data, server.public))
        final = blocks[-1]
        publish_retained(broker.url, topic, {"venue": "venue-1", "pack": final, "emergency": None, "config": {}})
        proc = spawn_agent("ex-pack", broker.url, data, "--config", str(config))
        try:
            assert wait_until(lambda: check_current_is_complete(data, server.public) == ("quake", "5.0.0"), 30)
            assert wait_until(
                lambda: (json.loads((data / "last_install.json").read_text()) or {}).get("result") == "ok", 10
            )
        finally:
            proc.terminate()
            proc.wait(10)
        leftovers = [p.name for p in (data / "packs").iterdir() if p.name.startswith(".staging")]
        print(
            "\nFIGURES "
            + json.dumps(
                {
                    "test": "kill9_install",
                    "kills": kills,
                    "states_seen_at_kill": sorted(str(s) for s in seen),
                    "bytes_served": server.bytes_served,
                }
            )
        )
        assert len(seen - {None}) >= 2, "kills landed across more than one installed version"
        assert not leftovers, "the last clean run removed staging folders left by kills"
        assert sorted(p.name for p in (data / "packs").iterdir() if not p.name.startswith(".")) <= [
            "current",
            "quake-4.0.0",
            "quake-5.0.0",
        ]
    finally:
        kiosk.stop()
        server.stop()
