"""A visit through the real app: sessions, scenes and their events, languages, senior mode, touch."""

from __future__ import annotations

import pygame
import pytest

from content_packs import load_pack
from kiosk.gallery import Tour
from kiosk.packs import prepare
from kiosk.screens.attract import AttractScreen
from kiosk.screens.home import HomeScreen
from kiosk.showcase import write_showcase_pack
from kiosk.touch import Pointer, TouchInput, finger_event


@pytest.fixture(scope="module")
def showcase(tmp_path_factory):
    pygame.init()
    pack = load_pack(write_showcase_pack(tmp_path_factory.mktemp("showcase")))
    return pack, prepare(pack)


@pytest.fixture
def tour(showcase):
    pack, painter = showcase
    return Tour(pack, (1280, 720), "zh", painter=painter)


def types(tour):
    return [e.type for e in tour.recorder.events]


def of(tour, kind):
    return [e for e in tour.recorder.events if e.type == kind]


def test_session_runs_from_first_touch_to_idle_reset_and_excludes_the_idle_tail(tour):
    app = tour.app
    assert isinstance(app.screen, AttractScreen) and app.targets()[0].name == "start"
    tour.tap("start")  # t = 0 (the tap advances 0.5 s afterwards)
    assert app.mode == "visit" and isinstance(app.screen, HomeScreen)
    tour.advance(10)
    tour.tap("scene:basics")  # t = 10.5
    tour.tap("next")  # t = 11.0: last interaction
    start = of(tour, "session_start")[0]
    assert types(tour)[:3] == ["attract_interrupt", "session_start", "tap"]
    # Idle: the warning shows at 60 - 15 s, the reset happens at 60 s after the last touch.
    tour.advance(44)
    assert not app._warning_visible()
    tour.advance(1.0)
    assert app._warning_visible() and app.mode == "visit"
    tour.advance(15.1)
    assert app.mode == "attract" and isinstance(app.screen, AttractScreen)
    end = of(tour, "session_end")[0]
    assert end.session == start.session
    assert end.data["reason"] == "idle"
    assert end.data["duration"] == pytest.approx(11.0)  # not 71: the idle tail is not visiting time
    assert end.data["interactions"] == 3
    leave = of(tour, "scene_leave")[-1]
    assert leave.scene == "basics" and leave.session == start.session


def test_touch_during_warning_keeps_the_visit_and_only_dismisses(tour):
    app = tour.app
    tour.tap("start")
    tour.tap("scene:basics")
    tour.advance(46)
    assert app._warning_visible()
    before = app.screen
    x, y = 5, app.size[1] - 5  # a touch anywhere, even over a button underneath
    app.pointer(Pointer("down", x, y))
    app.pointer(Pointer("up", x, y))
    assert not app._warning_visible() and app.screen is before and app.mode == "visit"
    assert not of(tour, "session_end")


def test_next_visitor_starts_fresh(tour):
    app = tour.app
    tour.tap("start")
    tour.tap("chrome:lang")
    tour.tap("chrome:senior")
    assert app.lang == "en" and app.theme.senior
    assert of(tour, "language")[0].data == {"lang": "en"}
    assert of(tour, "senior_mode")[0].data == {"on": True}
    tour.advance(200)
    assert app.mode == "attract" and app.lang == "zh" and not app.theme.senior
    assert app.sessions.idle_timeout == 60.0


def test_senior_mode_slows_the_pace(tour):
    app = tour.app
    tour.tap("start")
    tour.tap("chrome:senior")
    tour.advance(60)
    assert app.mode == "visit", "senior visitors get longer than 60 s"
    tour.advance(40)
    assert app.mode == "attract"


def test_quiz_answers_feedback_and_score(tour):
    app = tour.app
    tour.tap("start")
    tour.tap("scene:quiz")
    screen = app.screen
    tour.tap("choice:0")  # wrong: the answer is 1
    assert screen.chosen == 0 and [t.name for t in app.targets() if not t.name.startswith("chrome")] == ["next"]
    tour.tap("next")
    tour.tap("choice:1")  # right
    tour.tap("next")
    tour.tap("choice:0")  # right
    tour.tap("next")
    assert screen.finished and screen.correct == 2
    answers = [e.data for e in of(tour, "quiz_answer")]
    assert answers == [
        {"question": "q-first", "choice": 0, "correct": False},
        {"question": "q-lift", "choice": 1, "correct": True},
        {"question": "q-after", "choice": 0, "correct": True},
    ]
    assert all(e.scene == "quiz" and e.session for e in of(tour, "quiz_answer"))
    # The quiz is the pack's goal: finishing it offers the rating scene once.
    tour.tap("done")
    assert app.screen.scene_id == "rate"
    tour.tap("down")
    assert of(tour, "rating")[0].data == {"value": "down"}
    tour.advance(4.5)  # the thank-you goes home by itself
    assert isinstance(app.screen, HomeScreen)
    tour.tap("scene:quiz")
    tour.tap("choice:1")
    tour.tap("next")
    tour.tap("choice:1")
    tour.tap("next")
    tour.tap("choice:0")
    tour.tap("next")
    tour.tap("done")
    assert isinstance(app.screen, HomeScreen), "rated once already: no second offer"


def test_hotspots_reveal_and_mark_visited(tour):
    app = tour.app
    tour.tap("start")
    tour.tap("scene:room")
    screen = app.screen
    tour.tap("spot:window")
    tour.tap("spot:table")
    tour.tap("spot:window")
    assert screen.open == "window" and screen.visited == ["window", "table"]
    spots = [e.data for e in of(tour, "hotspot")]
    assert [s["first"] for s in spots] == [True, True, False]
    # Spot targets follow the picture's `rect` fractions within the drawn image.
    table = next(t for t in app.targets() if t.name == "spot:table").rect
    pic = screen.picture_rect
    assert table.left == pic.left + round(0.08 * pic.width) and table.top == pic.top + round(0.55 * pic.height)


def test_goodbye_rating_in_the_still_there_card(tour):
    app = tour.app
    tour.tap("start")
    tour.tap("scene:basics")
    tour.advance(46)
    names = [t.name for t in app.targets()]
    assert {"goodbye:up", "goodbye:down", "continue"} <= set(names)
    tour.tap("goodbye:up")
    assert of(tour, "rating")[0].data == {"value": "up", "via": "goodbye"}
    tour.advance(46)
    assert "goodbye:up" not in [t.name for t in app.targets()], "asked once per visit"


def test_slides_swipe_and_narration_follows_language(tour):
    app = tour.app
    tour.tap("start")
    tour.tap("scene:basics")
    screen = app.screen
    w, h = app.size
    app.pointer(Pointer("down", int(w * 0.7), h // 2))
    app.pointer(Pointer("up", int(w * 0.3), h // 2 + 8))
    assert screen.index == 1
    assert of(tour, "tap")[-1].data["gesture"] == "swipe"
    app.pointer(Pointer("down", int(w * 0.3), h // 2))
    app.pointer(Pointer("up", int(w * 0.7), h // 2))
    assert screen.index == 0
    assert screen.narration() == "audio/drop-zh.wav"
    tour.tap("chrome:lang")
    assert screen.narration() == "audio/drop-en.wav"


# -- touch -------------------------------------------------------------------------


def feed(touch, app, events):
    for event in events:
        pointer = touch.translate(event)
        if pointer:
            app.pointer(pointer)


def test_finger_and_its_synthetic_mouse_copy_count_once(tour):
    app = tour.app
    size = app.size
    touch = TouchInput(size)
    x, y = 640, 360
    feed(
        touch,
        app,
        [
            finger_event("down", x, y, size),
            pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=(x, y), button=1, touch=True),
            finger_event("up", x, y, size),
            pygame.event.Event(pygame.MOUSEBUTTONUP, pos=(x, y), button=1, touch=True),
        ],
    )
    assert types(tour).count("session_start") == 1
    assert types(tour).count("tap") == 1


def test_real_mouse_and_a_resistive_panel_sending_only_down_up(tour):
    app = tour.app
    size = app.size
    touch = TouchInput(size)
    feed(
        touch,
        app,
        [
            pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=(640, 360), button=1, touch=False),
            pygame.event.Event(pygame.MOUSEBUTTONUP, pos=(640, 360), button=1, touch=False),
        ],
    )
    assert app.mode == "visit"
    tile = next(t for t in app.targets() if t.name == "scene:quiz").rect
    # No motion events at all, as a cheap single-touch resistive controller sends.
    feed(touch, app, [finger_event("down", *tile.center, size), finger_event("up", *tile.center, size)])
    assert app.screen.scene_id == "quiz"
    # Right and middle buttons are not touches.
    before = len(tour.recorder.events)
    feed(
        touch,
        app,
        [
            pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=(5, 5), button=3, touch=False),
            pygame.event.Event(pygame.MOUSEBUTTONUP, pos=(5, 5), button=3, touch=False),
        ],
    )
    assert len(tour.recorder.events) == before


def test_a_second_finger_is_ignored(tour):
    app = tour.app
    size = app.size
    touch = TouchInput(size)
    feed(
        touch,
        app,
        [
            finger_event("down", 100, 100, size, finger_id=1),
            finger_event("down", 900, 500, size, finger_id=2),
            finger_event("up", 900, 500, size, finger_id=2),
            finger_event("move", 110, 100, size, finger_id=1),
            finger_event("up", 110, 100, size, finger_id=1),
        ],
    )
    taps = of(tour, "tap")
    assert len(taps) == 1 and taps[0].data["x"] == 100


def test_tap_on_a_target_uses_where_the_finger_went_down(tour):
    app = tour.app
    tour.tap("start")
    tile = next(t for t in app.targets() if t.name == "scene:room").rect
    # Down on the tile, a small wobble, up just outside it: still a tap on the tile.
    app.pointer(Pointer("down", tile.centerx, tile.bottom - 3))
    app.pointer(Pointer("up", tile.centerx + 4, tile.bottom + 6))
    assert app.screen.scene_id == "room"
