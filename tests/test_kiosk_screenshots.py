"""Screenshot requests (DATA/requests → DATA/screenshots) with real files and a real frame."""

from __future__ import annotations

import os
import time

import pygame
import pytest

from kepu_contracts.datadir import write_json_atomic as write_atomic
from kiosk.screenshots import STALE, ScreenshotDesk, failure_path, request_path, screenshot_path

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def frame():
    pygame.init()
    surface = pygame.Surface((320, 200))
    surface.fill((10, 120, 200))
    pygame.draw.rect(surface, (250, 200, 0), pygame.Rect(20, 30, 40, 50))
    return surface


def request(data, request_id, age=0.0):
    path = request_path(data, request_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, {"v": 1, "id": request_id, "type": "screenshot"})
    if age:
        os.utime(path, (time.time() - age, time.time() - age))
    return path


def test_a_request_gets_the_frame_drawn_after_it_as_a_png(tmp_path, frame):
    desk = ScreenshotDesk(tmp_path, interval=3600).start()  # the test looks itself: no race with the watcher
    try:
        path = request(tmp_path, "c-1")
        assert desk.check() == 1
        assert desk.take_requests() and desk.wanted == ["c-1"]
        desk.capture(frame)
        frame.fill((0, 0, 0))  # the loop draws the next frame at once: the copy must be unaffected
        assert desk.wanted == [] and desk.drain(5)
    finally:
        desk.stop()
    shot = screenshot_path(tmp_path, "c-1")
    assert shot.read_bytes()[:8] == PNG
    saved = pygame.image.load(str(shot))
    assert saved.get_size() == (320, 200)
    assert saved.get_at((30, 40))[:3] == (250, 200, 0) and saved.get_at((200, 150))[:3] == (10, 120, 200)
    assert not path.exists(), "the request is consumed"
    assert not list(shot.parent.glob("*.tmp"))


def test_odd_names_are_ignored_and_stale_requests_dropped(tmp_path, frame):
    desk = ScreenshotDesk(tmp_path)
    stale = request(tmp_path, "old", age=STALE + 5)
    (tmp_path / "requests" / "screenshot-../../x.json").parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / "requests" / "screenshot-a b.json").write_text("{}")
    (tmp_path / "requests" / "notes.txt").write_text("hi")
    assert desk.check() == 0
    assert not stale.exists()
    assert not desk.take_requests()
    assert desk.check() == 0, "a request is served once"


def test_a_frame_that_cannot_be_written_leaves_a_reason(tmp_path):
    desk = ScreenshotDesk(tmp_path)
    path = request(tmp_path, "c-2")
    desk.write("c-2", None, "cannot copy the frame: test")
    assert "cannot copy the frame" in failure_path(tmp_path, "c-2").read_text()
    assert not screenshot_path(tmp_path, "c-2").exists() and not path.exists()
