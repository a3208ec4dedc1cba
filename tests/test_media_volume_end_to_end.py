"""Volume and quiet hours end to end through real parts (issue 10).

API → desired state on a real Mosquitto → the real agent → control.json → a real kiosk host whose
narration, film and attract sound play through pygame.mixer (SDL's dummy audio driver), and back:
the kiosk's heartbeat → the agent's `reported` → the controller → the API and the exhibit page.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pygame
import pytest

from content_packs import load_pack
from controller.domain import fleet
from exhibit_agent.agent import Agent
from exhibit_agent.config import build_config
from kepu_contracts.clock import ManualClock
from kepu_contracts.outbox import Outbox
from kiosk.app import KioskConfig
from kiosk.host import HostOptions, KioskHost
from kiosk.packs import prepare
from kiosk.recorder import Recorder
from kiosk.showcase import write_showcase_pack
from tests.conftest import SAMPLES
from tests.support.controller import Stack, at

REGION = "guangdong/shenzhen/nanshan/yuehai"
FILM = SAMPLES / "earthquake-film" / "media" / "film.mp4"
STEP = 1 / 128  # pygame keeps volumes in 128 steps


class Kiosk:
    """A kiosk host with sound on over the agent's data directory; `run_until` is its frame loop."""

    def __init__(self, data: Path, pack_dir: Path, clock: ManualClock):
        pygame.init()
        self.clock = clock
        self.outbox = Outbox(data / "outbox.db")
        self.recorder = Recorder(self.outbox, clock)
        pack = load_pack(pack_dir)
        options = HostOptions(watch_current=False, audio=True, screenshots=False, buttons=False)
        self.host = KioskHost(
            data, pack, prepare(pack), self.recorder, clock, (1280, 720), KioskConfig(), options
        ).start()
        self.app = self.host.app
        self.pack_dir = pack_dir

    def run_until(self, predicate, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.clock.advance(0.02)
            self.host.tick(0.02)
            if predicate():
                return
            time.sleep(0.02)
        raise AssertionError(f"not within {timeout} s: {what}")

    def volumes(self) -> dict:
        media = self.app.media.mixer_volumes()
        return {"narration": self.host.narrator.mixer_volume(), "film": media["films"][0], "ambient": media["ambient"]}

    def close(self) -> None:
        self.host.stop()
        self.recorder.close()
        self.outbox.close()


def near(value: float | None, wanted: float) -> bool:
    return value is not None and abs(value - wanted) <= STEP


def sounding_at(kiosk: Kiosk, level: float) -> bool:
    v = kiosk.volumes()
    return near(v["narration"], level) and near(v["film"], level) and near(v["ambient"], 0.5 * level)


@pytest.fixture
def rig(tmp_path, broker):
    clock = ManualClock(at("2025-05-12 10:00"))
    stack = Stack(tmp_path / "ctl", clock, mqtt_url=broker.url)
    stack.ok("POST", "/api/v1/venues", json={"id": "v-kg", "name": "蓓蕾幼儿园", "region": REGION})
    with stack.controller.store.write() as db:
        fleet.register(db, "ex-1", clock.now(), region=REGION, enrolled=True)
    stack.ok(
        "POST",
        "/api/v1/rotations",
        json={"exhibit": "ex-1", "venue": "v-kg", "starts": "2025-05-01T00:00", "ends": "2025-07-01T00:00"},
    )
    data = tmp_path / "ex-1"
    config = build_config({"exhibit": "ex-1", "mqtt": broker.url, "data": data, "health_interval": 0.3})
    agent = Agent(config)
    stop = threading.Event()
    thread = threading.Thread(target=agent.run, args=(stop,), daemon=True)
    thread.start()
    kiosk = Kiosk(data, write_showcase_pack(tmp_path / "pack"), ManualClock(at("2025-05-12 10:00")))
    try:
        yield stack, agent, kiosk
    finally:
        kiosk.close()
        stop.set()
        thread.join(10)
        stack.close()


def reported(stack: Stack) -> dict | None:
    return stack.ok("GET", "/api/v1/exhibits/ex-1/audio")["reported"]


def test_volume_and_quiet_hours_reach_every_sound_and_come_back_as_reported(rig):
    stack, agent, kiosk = rig
    wav = kiosk.pack_dir / "audio" / "drop-zh.wav"
    kiosk.host.narrator.play(wav)
    assert kiosk.host.narrator.flush()
    assert kiosk.app.media.ambient(wav) is None
    kiosk.app.media.player(FILM, (640, 360))
    kiosk.run_until(lambda: kiosk.volumes()["film"] is not None, 30, "the film's sound starts")
    assert sounding_at(kiosk, 1.0), kiosk.volumes()
    kiosk.run_until(lambda: reported(stack) == {"volume": 100, "quiet": False}, 30, "full volume reported")

    stack.ok("PUT", "/api/v1/exhibits/ex-1/audio", json={"volume": 40, "quiet": ["12:00-13:30"], "quiet_volume": 0})
    kiosk.run_until(lambda: sounding_at(kiosk, 0.4), 30, "40 % on narration, film and (half) attract sound")
    control = json.loads((agent.config.data / "control.json").read_text())
    assert control["audio"] == {"volume": 40, "quiet": ["12:00-13:30"], "quiet_volume": 0, "timezone": "Asia/Shanghai"}
    kiosk.run_until(lambda: reported(stack) == {"volume": 40, "quiet": False}, 30, "40 % reported")

    # Nap time comes on the kiosk's own clock: no message from anyone, no restart.
    kiosk.clock.set(at("2025-05-12 12:00"))
    kiosk.run_until(lambda: sounding_at(kiosk, 0.0), 10, "muted at 12:00")
    kiosk.host.narrator.play(kiosk.pack_dir / "audio" / "drop-en.wav")
    assert kiosk.host.narrator.flush()
    assert kiosk.host.narrator.mixer_volume() == 0.0, "a sentence started in quiet hours starts silent"
    kiosk.run_until(lambda: reported(stack) == {"volume": 0, "quiet": True}, 30, "quiet hours reported")
    page = stack.http.get("/api/v1/exhibits/ex-1/audio").json()
    assert page["effective"]["source"] == "exhibit"

    kiosk.clock.set(at("2025-05-12 13:30"))
    kiosk.run_until(lambda: sounding_at(kiosk, 0.4), 10, "back to 40 % at 13:30")

    stack.ok("DELETE", "/api/v1/exhibits/ex-1/audio")
    kiosk.run_until(lambda: sounding_at(kiosk, 1.0), 30, "nothing set: full volume again")
