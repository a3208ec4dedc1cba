"""The screenshot command across the real chain: controller API → Mosquitto → agent → kiosk files → HTTP upload → result.

The kiosk side is the kiosk's own ScreenshotDesk driven like its frame loop (take the
requests, draw, hand over the frame); the controller is the real app on a real HTTP server.
"""

from __future__ import annotations

import threading
import time

import pygame
import pytest

from controller.domain.enroll import enroll
from exhibit_agent.agent import Agent
from exhibit_agent.config import build_config
from kepu_contracts.clock import ManualClock
from kiosk.screenshots import ScreenshotDesk
from tests.support.agent import wait_until
from tests.support.controller import Stack, at

EXHIBIT = "ex-quake-01"


class FrameLoop:
    """What kiosk/runtime.py does each frame, minus the app: take requests, draw, capture."""

    def __init__(self, data):
        pygame.init()
        self.desk = ScreenshotDesk(data).start()
        self.frame = pygame.Surface((640, 360))
        self.frame.fill((16, 28, 48))
        pygame.draw.rect(self.frame, (255, 196, 0), pygame.Rect(0, 0, 640, 60))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> FrameLoop:
        self._thread.start()
        return self

    def _run(self):
        while not self._stop.wait(1 / 30):
            if self.desk.take_requests():
                self.desk.capture(self.frame)

    def stop(self):
        self._stop.set()
        self._thread.join(5)
        self.desk.stop()


@pytest.fixture
def chain(tmp_path, broker):
    stack = Stack(tmp_path / "ctl", ManualClock(at("2025-05-10 08:00")), mqtt_url=broker.url)
    token = enroll(stack.controller.store, stack.settings.data_dir, EXHIBIT, stack.clock.now()).api_token
    agents = []

    def start_agent(**settings):
        config = build_config(
            {
                "exhibit": EXHIBIT,
                "mqtt": broker.url,
                "data": tmp_path / "data",
                "controller": stack.server.url,
                "controller_token": token,
                **settings,
            }
        )
        agent = Agent(config)
        stop = threading.Event()
        thread = threading.Thread(target=agent.run, args=(stop,), daemon=True)
        thread.start()
        agents.append((stop, thread))
        assert agent.link.wait_connected(10)
        return agent

    yield stack, start_agent, tmp_path / "data"
    for stop, thread in agents:
        stop.set()
        thread.join(10)
    stack.close()


def command(stack, kind):
    return stack.ok("POST", f"/api/v1/exhibits/{EXHIBIT}/commands", json={"type": kind})["id"]


def result_of(stack, command_id, timeout=15.0):
    found = {}

    def answered():
        for row in stack.ok("GET", f"/api/v1/exhibits/{EXHIBIT}/commands"):
            if (
                row["id"] == command_id and row["result"] and "via" not in row["result"]
            ):  # the agent's word, not the upload's
                found.update(row["result"])
                return True
        return False

    assert wait_until(answered, timeout, 0.1), f"no result for {command_id}"
    return found


def test_a_screenshot_command_comes_back_as_the_kiosks_frame(chain):
    stack, start_agent, data = chain
    start_agent()
    kiosk = FrameLoop(data).start()
    try:
        time.sleep(0.3)  # the controller's bridge subscribes
        sent = command(stack, "screenshot")
        result = result_of(stack, sent)
    finally:
        kiosk.stop()
    assert result["ok"] is True, result
    assert result["url"] == f"/api/v1/exhibits/{EXHIBIT}/screenshots/{sent}"
    viewer = stack.client(stack.user("vera", "viewer", ""))
    got = viewer.get(f"/api/v1/exhibits/{EXHIBIT}/screenshots/latest")
    assert got.status_code == 200 and got.headers["content-type"] == "image/png"
    path = data.parent / "shot.png"
    path.write_bytes(got.content)
    image = pygame.image.load(str(path))
    assert image.get_size() == (640, 360)
    assert image.get_at((10, 10))[:3] == (255, 196, 0) and image.get_at((320, 200))[:3] == (16, 28, 48)
    assert result["bytes"] == len(got.content)
    # The exhibit keeps nothing behind: request and picture are gone once delivered.
    assert wait_until(lambda: not list((data / "requests").iterdir()) and not list((data / "screenshots").iterdir()), 3)


def test_no_kiosk_no_upload_token_and_restart_kiosk_get_clear_errors(chain):
    stack, start_agent, data = chain
    agent = start_agent()
    agent.screenshot_timeout = 1.0
    time.sleep(0.3)
    silent = command(stack, "screenshot")
    result = result_of(stack, silent)
    assert (
        result["ok"] is False
        and "did not answer within 1 s" in result["error"]
        and "no kiosk heartbeat" in result["error"]
    )
    assert not (data / "requests" / f"screenshot-{silent}.json").exists(), "a request nobody answered is withdrawn"

    restart = result_of(stack, command(stack, "restart_kiosk"))
    assert restart["ok"] is False and "unsupported" in restart["error"] and "systemd" in restart["error"]

    # With a wrong device token the controller refuses the upload, and the result says so.
    agent.fetcher.client.headers["Authorization"] = "Bearer not-the-device-token"
    kiosk = FrameLoop(data).start()
    try:
        refused = result_of(stack, command(stack, "screenshot"))
    finally:
        kiosk.stop()
    assert refused["ok"] is False and "HTTP 401" in refused["error"]
    assert (
        stack.client(stack.user("vera", "viewer", "")).get(f"/api/v1/exhibits/{EXHIBIT}/screenshots/latest").status_code
        == 404
    )


def test_the_device_token_comes_from_the_config_or_a_file(tmp_path):
    from exhibit_agent.config import ConfigError, load_config

    (tmp_path / "device.token").write_text("tok-123\n")
    (tmp_path / "agent.toml").write_text(
        f'exhibit = "{EXHIBIT}"\ndata = "{tmp_path}"\ncontroller = "http://ctl:8000"\n'
        f'controller_token_file = "{tmp_path / "device.token"}"\n[mqtt]\nurl = "mqtt://localhost:1883"\n'
    )
    assert load_config(tmp_path / "agent.toml").controller_token == "tok-123"
    assert load_config(tmp_path / "agent.toml", {"controller_token": "flag-wins"}).controller_token == "flag-wins"
    with pytest.raises(ConfigError, match="controller_token"):
        build_config(
            {"exhibit": EXHIBIT, "mqtt": "mqtt://localhost:1883", "data": tmp_path, "controller_token": "two words"}
        )
