"""Draw only what changed: animating screens, frame keys, the real loop asleep on a still screen."""

from __future__ import annotations

import json
import threading
import time

import pygame
import pytest

from kepu_contracts.datadir import write_json_atomic as write_atomic
from kiosk.app import KioskConfig
from kiosk.display import DisplayRequest, SoftwareDisplay, logical_size, open_display
from kiosk.gallery import Tour
from kiosk.pacing import FramePacer
from kiosk.packs import prepare
from kiosk.runtime import RunOptions, run
from kiosk.screens.hotspots import PULSE_SECONDS
from kiosk.showcase import write_showcase_pack
from kiosk.touch import finger_event


@pytest.fixture(scope="module")
def pack(tmp_path_factory):
    from content_packs import load_pack

    pygame.init()
    return load_pack(write_showcase_pack(tmp_path_factory.mktemp("frames") / "showcase"))


@pytest.fixture()
def tour(pack):
    return Tour(pack, (1280, 720), painter=prepare(pack))


def test_attract_moves_and_a_slide_is_still(tour):
    app = tour.app
    assert app.animating(), "the attract loop drifts and pulses"
    tour.tap("start")
    assert app.screen.scene_id == "home" and not app.animating()
    key = app.frame_key()
    tour.advance(5.0)
    assert app.frame_key() == key, "nothing on the home screen changes by itself"
    tour.tap("scene:basics")
    assert not app.animating() and app.frame_key() != key


def test_hotspot_rings_pulse_for_a_while_after_each_touch_then_rest(tour):
    app = tour.app
    tour.tap("start")
    tour.tap("scene:room")
    assert app.animating()
    for _ in range(int(PULSE_SECONDS * 10) + 40):
        tour.advance(0.1)
    assert not app.animating(), "the rings rest after the pulse"
    tour.tap("spot:table")
    assert app.animating(), "a touch starts the pulse again"
    for _ in range(int(PULSE_SECONDS * 10) + 40):
        tour.advance(0.1)
    assert not app.animating()


def test_the_still_there_countdown_changes_the_frame_key_each_second(tour):
    app = tour.app
    tour.tap("start")
    tour.advance(app.sessions.idle_timeout - app.sessions.warning + 0.1)
    assert app.state_key().endswith("+warning")
    first = app.frame_key()
    tour.advance(0.3)
    assert app.frame_key() == first
    tour.advance(1.0)
    assert app.frame_key() != first, "the seconds shown moved on: draw it"


def test_headless_display_is_software_and_a_rotated_picture_is_turned_clockwise():
    pygame.init()
    display = open_display(DisplayRequest((320, 200)))
    assert display.kind == "software" and display.size == (320, 200)
    rotated = SoftwareDisplay(DisplayRequest((320, 200), rotation=90))
    assert rotated.size == (200, 320) == logical_size((320, 200), 90)
    rotated.canvas.fill((0, 0, 0))
    rotated.canvas.fill((255, 0, 0), pygame.Rect(0, 0, 20, 20))  # the picture's top-left corner
    rotated.present()
    window = pygame.display.get_surface()
    assert window.get_at((315, 4))[:3] == (255, 0, 0), "turned clockwise: top-left lands top-right"
    assert window.get_at((4, 4))[:3] == (0, 0, 0)
    with pytest.raises(ValueError, match="rotation"):
        open_display(DisplayRequest((320, 200), rotation=45))


def test_pacer_hands_over_a_touch_at_once_while_idle():
    pygame.init()
    pygame.display.set_mode((200, 100))
    pacer = FramePacer(60, idle_wake=0.5)
    pygame.event.clear()
    t0 = time.monotonic()
    _, events = pacer.next(busy=False)
    assert not events and time.monotonic() - t0 >= 0.45, "nothing happened: it slept the whole idle wake"
    threading.Timer(0.05, lambda: pygame.event.post(finger_event("down", 10, 10, (200, 100)))).start()
    t0 = time.monotonic()
    _, events = pacer.next(busy=False)
    waited = time.monotonic() - t0
    assert [e.type for e in events] == [pygame.FINGERDOWN] and waited < 0.05 + 0.03


def test_pacer_sleeps_until_the_next_picture_and_still_answers_a_touch():
    """A film says when its next picture is due: the busy loop sleeps until then, not one 60 Hz tick."""
    pygame.init()
    pygame.display.set_mode((200, 100))
    pacer = FramePacer(60, idle_wake=0.5)
    pygame.event.clear()
    t0 = time.monotonic()
    _, events = pacer.next(busy=True, next_change=0.12)
    assert not events and time.monotonic() - t0 >= 0.11, "it slept to the picture's time, well past a tick"
    t0 = time.monotonic()
    pacer.next(busy=True, next_change=-1.0)  # already due: at once (but never a spin)
    assert time.monotonic() - t0 < 0.1
    threading.Timer(0.05, lambda: pygame.event.post(finger_event("down", 10, 10, (200, 100)))).start()
    t0 = time.monotonic()
    _, events = pacer.next(busy=True, next_change=0.4)
    assert [e.type for e in events] == [pygame.FINGERDOWN] and time.monotonic() - t0 < 0.35


def test_the_real_loop_sleeps_on_a_still_screen_and_answers_touch_and_emergencies(pack, tmp_path):
    data = tmp_path / "data"
    presents: list[tuple[float, str, str]] = []
    lock = threading.Condition()
    report: dict = {}

    def seen(app, t):
        with lock:
            presents.append((t, app.state_key(), app.mode))
            report["app"] = app
            lock.notify_all()

    def wait(predicate, timeout=5.0):
        with lock:
            return lock.wait_for(predicate, timeout)

    def tap(name):
        app = report["app"]
        target = next(t for t in app.targets() if t.name == name)
        pygame.event.post(finger_event("down", *target.rect.center, app.size))
        time.sleep(0.05)
        pygame.event.post(finger_event("up", *target.rect.center, app.size))

    def drive():
        try:
            assert wait(lambda: presents), "no first frame"
            time.sleep(0.3)
            tap("start")
            assert wait(lambda: presents[-1][1].startswith("home")), "the tap did not open home"
            time.sleep(0.3)
            with lock:
                before = len(presents)
            time.sleep(1.5)
            with lock:
                report["still_frames"] = len(presents) - before
            # kiosk.json is written once a second and fps is counted over a second: a fresh window.
            deadline = time.monotonic() + 3
            while time.monotonic() < deadline:
                beat = json.loads((data / "kiosk.json").read_text())
                if beat.get("draw_fps", 99) < 2:
                    break
                time.sleep(0.2)
            report["beat"] = beat
            sent = time.perf_counter()
            tap("scene:basics")
            assert wait(lambda: presents[-1][1].startswith("basics")), "the tap did not open the slides"
            report["touch_ms"] = (next(t for t, k, _ in presents if k.startswith("basics")) - sent) * 1000
            time.sleep(0.3)
            write_atomic(data / "control.json", {"emergency": {"id": "em-t", "message": {"zh": "演习", "en": "Drill"}}})
            written = time.monotonic()
            assert wait(lambda: presents[-1][2] == "emergency", 3), "the emergency did not show while idle"
            report["emergency_s"] = time.monotonic() - written
        except AssertionError as exc:
            report["error"] = str(exc)
        finally:
            pygame.event.post(pygame.event.Event(pygame.QUIT))

    threading.Thread(target=drive, daemon=True).start()
    run(
        RunOptions(
            data=data,
            pack=pack.root,
            size=(800, 480),
            config=KioskConfig(idle_timeout=600),
            audio=False,
            max_seconds=60,
            on_present=seen,
        )
    )
    assert "error" not in report, report.get("error")
    assert report["still_frames"] <= 1, f"a still screen drew {report['still_frames']} frames in 1.5 s"
    beat = report["beat"]
    assert beat["renderer"] == "software" and beat["animating"] is False
    assert time.time() - beat["last_frame"] < 2.5, "the heartbeat says the loop is alive while it draws nothing"
    assert beat["loop_fps"] >= 5 and beat["draw_fps"] < 2 and beat["frames"] >= 2
    # fps is not the idle wake rate: it is what the timed frames (the attract loop's) can show.
    assert beat["fps"] == pytest.approx(min(60, 1000 / beat["frame_ms_p99"]), abs=0.2)
    assert report["touch_ms"] < 50 + 60  # the finger was held 50 ms before lifting
    assert report["emergency_s"] < 2.0
