"""Issue 11, finding 14: a scene's dwell (scene_leave) excludes the idle tail, like the session's duration."""

from __future__ import annotations

import pygame
import pytest

from content_packs import load_pack
from kiosk.gallery import Tour
from kiosk.packs import prepare
from kiosk.showcase import write_showcase_pack


@pytest.fixture(scope="module")
def showcase(tmp_path_factory):
    pygame.init()
    pack = load_pack(write_showcase_pack(tmp_path_factory.mktemp("showcase")))
    return pack, prepare(pack)


def test_the_scene_left_at_the_idle_reset_counts_only_until_the_last_touch(showcase):
    pack, painter = showcase
    tour = Tour(pack, (1280, 720), "zh", painter=painter)
    tour.tap("start")
    tour.advance(10)
    tour.tap("scene:basics")  # enters basics
    tour.advance(3)
    tour.tap("next")  # the last touch, ~3.5 s into the scene
    tour.advance(70)  # idle reset after 60 s
    assert tour.app.mode == "attract"
    leave = [e for e in tour.recorder.events if e.type == "scene_leave"][-1]
    end = [e for e in tour.recorder.events if e.type == "session_end"][-1]
    assert leave.scene == "basics"
    assert leave.data["dwell"] == pytest.approx(3.5, abs=0.6), leave.data  # not ~63.5
    assert leave.data["dwell"] <= end.data["duration"]
    # A scene left by a touch keeps its whole time.
    tour.tap("start")
    tour.tap("scene:basics")
    tour.advance(4)
    tour.tap("chrome:home")
    left = [e for e in tour.recorder.events if e.type == "scene_leave" and e.scene == "basics"][-1]
    assert left.data["dwell"] == pytest.approx(4.5, abs=0.6)
