"""Touchscreens as they are mounted: rotation, calibration, ghost touches, palms, a lost finger-up.

The finger sequences below have the shape SDL delivers from a capacitive USB panel
(FINGERDOWN, a few FINGERMOTION of sub-millimetre jitter, FINGERUP; normalised
coordinates; the time each arrived): a visitor's taps take 60–160 ms, an electrical
ghost a few milliseconds, a palm puts several fingers down within a few tens of ms.
"""

from __future__ import annotations

import pygame
import pytest

from content_packs import load_pack
from kiosk.cli import main
from kiosk.display import logical_size
from kiosk.gallery import Tour
from kiosk.packs import prepare
from kiosk.settings import SettingsError, load_settings
from kiosk.showcase import write_showcase_pack
from kiosk.touch import KIOSK_FILTER, Calibration, TouchInput, unrotate

KIND = {"down": pygame.FINGERDOWN, "move": pygame.FINGERMOTION, "up": pygame.FINGERUP}

# (seconds, kind, finger, x, y) — normalised panel coordinates
TAP = [
    (0.000, "down", 7, 0.5012, 0.4987),
    (0.016, "move", 7, 0.5019, 0.4990),
    (0.033, "move", 7, 0.5016, 0.4996),
    (0.049, "move", 7, 0.5021, 0.4993),
    (0.097, "up", 7, 0.5021, 0.4993),
]
GHOST = [(0.000, "down", 3, 0.9120, 0.0410), (0.006, "up", 3, 0.9120, 0.0410)]
PALM = [
    (0.000, "down", 11, 0.3100, 0.7200),
    (0.012, "down", 12, 0.3500, 0.7600),
    (0.019, "down", 13, 0.3900, 0.7400),
    (0.031, "down", 14, 0.4200, 0.7800),
    (0.050, "move", 11, 0.3110, 0.7230),
    (0.140, "up", 12, 0.3500, 0.7600),
    (0.150, "up", 11, 0.3110, 0.7230),
    (0.160, "up", 14, 0.4200, 0.7800),
    (0.171, "up", 13, 0.3900, 0.7400),
]


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def play(touch: TouchInput, clock: Clock, sequence, start: float = 0.0, app=None) -> list:
    """Feed a sequence through `touch` (and `app`), with the clock at each event's time."""
    out = []
    for t, kind, finger, x, y in sequence:
        clock.now = 100.0 + start + t
        event = pygame.event.Event(KIND[kind], x=x, y=y, dx=0.0, dy=0.0, touch_id=1, finger_id=finger, pressure=1.0)
        pointer = touch.translate(event)
        if pointer:
            out.append(pointer)
            if app is not None:
                app.pointer(pointer)
    return out


@pytest.fixture(scope="module")
def pack(tmp_path_factory):
    pygame.init()
    return load_pack(write_showcase_pack(tmp_path_factory.mktemp("touch") / "showcase"))


@pytest.fixture()
def tour(pack):
    return Tour(pack, (1280, 720), painter=prepare(pack))


def taps(tour) -> list:
    return [e for e in tour.recorder.events if e.type == "tap"]


def test_a_visitors_tap_counts_and_a_ghost_does_not(tour):
    clock = Clock()
    touch = TouchInput((1280, 720), filter=KIOSK_FILTER, clock=clock)
    kinds = [p.kind for p in play(touch, clock, TAP, app=tour.app)]
    assert kinds == ["down", "move", "move", "move", "up"]
    assert tour.app.mode == "visit" and len(taps(tour)) == 1
    tap = taps(tour)[0]
    assert (tap.data["x"], tap.data["y"]) == (round(0.5012 * 1279), round(0.4987 * 719)), "where the finger went down"
    ghost = play(touch, clock, GHOST, start=1.0, app=tour.app)
    assert [p.kind for p in ghost] == ["down", "cancel"]
    assert len(taps(tour)) == 1, "a 6 ms blip is not a touch"
    play(touch, clock, TAP, start=2.0, app=tour.app)
    assert len(taps(tour)) == 2, "and the next real tap still counts"


def test_a_palm_cancels_the_gesture_and_the_panel_recovers(tour):
    clock = Clock()
    touch = TouchInput((1280, 720), filter=KIOSK_FILTER, clock=clock)
    tour.tap("start")
    before = len(taps(tour))
    pointers = play(touch, clock, PALM, app=tour.app)
    assert [p.kind for p in pointers] == ["down", "cancel"], "the third finger cancels; nothing after it"
    assert len(taps(tour)) == before and tour.app.screen.scene_id == "home"
    play(touch, clock, TAP, start=1.0, app=tour.app)
    assert len(taps(tour)) == before + 1


def test_a_lost_finger_up_does_not_block_the_screen(tour):
    clock = Clock()
    touch = TouchInput((1280, 720), filter=KIOSK_FILTER, clock=clock)
    play(touch, clock, TAP[:-1])  # the panel never sent this finger's FINGERUP
    second = [(t, k, 8, x, y) for t, k, _, x, y in TAP]
    assert play(touch, clock, second, start=0.5) == [], "a second finger while the first is down: ignored"
    kinds = [p.kind for p in play(touch, clock, second, start=5.0, app=tour.app)]
    assert kinds[0] == "down" and kinds[-1] == "up", "seconds later the new finger takes over"
    assert len(taps(tour)) == 1


def test_calibration_maps_a_misaligned_panel_onto_the_picture():
    # This panel reports 0.05..0.95 across the picture's width and 0.10..0.90 down its height.
    calibration = Calibration.parse("0.05, 0.95, 0.10, 0.90")
    clock = Clock()
    touch = TouchInput((1001, 501), calibration=calibration, clock=clock)
    corners = play(touch, clock, [(0, "down", 1, 0.05, 0.10), (0.1, "up", 1, 0.95, 0.90), (0.2, "down", 1, 0.0, 1.0)])
    assert [(p.x, p.y) for p in corners] == [(0, 0), (1000, 500), (0, 500)], "edges line up; beyond is clamped"
    affine = Calibration.parse([1.0, 0.0, 0.0, 0.0, -1.0, 1.0])  # libinput's matrix: y flipped
    assert affine.apply(0.25, 0.2) == (0.25, 0.8)
    for bad, message in (
        ("1 2 3", "6 numbers"),
        ("a b c d", "numbers"),
        ("0.5 0.5 0 1", "empty"),
        ([1, 1, 0, 1, 1, 0], "singular"),
        ("nan 1 0 1", "finite"),
    ):
        with pytest.raises(ValueError, match=message):
            Calibration.parse(bad)


@pytest.mark.parametrize("rotation", [0, 90, 180, 270])
def test_rotation_puts_a_touch_on_what_is_drawn_under_it(rotation):
    """Draw a dot in the picture, turn it as the display does, touch the dot on the panel."""
    pygame.init()
    picture = logical_size((320, 200), rotation)
    clock = Clock()
    touch = TouchInput(picture, rotation=rotation, clock=clock)
    assert touch.panel == (320, 200)
    for x, y in ((0, 0), (picture[0] - 1, 0), (37, picture[1] - 5), (picture[0] // 2, picture[1] // 3)):
        canvas = pygame.Surface(picture)
        canvas.fill((0, 0, 0))
        canvas.set_at((x, y), (255, 255, 255))
        panel = pygame.transform.rotate(canvas, -rotation)  # exactly as SoftwareDisplay.present turns it
        assert panel.get_size() == (320, 200)
        px, py = next((i, j) for i in range(320) for j in range(200) if panel.get_at((i, j))[0] > 128)
        got = play(touch, clock, [(0, "down", 1, px / 319, py / 199), (0.1, "up", 1, px / 319, py / 199)])
        assert (got[0].x, got[0].y) == (x, y), f"rotation {rotation}: panel ({px},{py})"
    assert unrotate(0.0, 0.0, 90) == (0.0, 1.0)


def test_mouse_events_of_a_single_touch_panel_are_turned_too():
    touch = TouchInput((200, 320), rotation=90)  # portrait picture on a 320×200 panel
    down = pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=(319, 0), button=1, touch=False)
    assert touch.translate(down).kind == "down"
    assert (touch.translate(down).x, touch.translate(down).y) == (0, 0), (
        "the panel's top-right is the picture's top-left"
    )


def test_the_settings_file(tmp_path):
    good = tmp_path / "kiosk.toml"
    good.write_text(
        '[kiosk]\nrotation = 270\ntouch_calibration = [0.02, 0.97, 0.04, 0.99]\nrenderer = "software"\n'
        'idle = 90\nlang = "en"\ntouch_min_press = 0.02\ntouch_palm_fingers = 4\n',
        encoding="utf-8",
    )
    settings = load_settings(good)
    assert settings.rotation == 270 and settings.renderer == "software" and settings.idle == 90.0
    assert settings.calibration.apply(0.02, 0.04) == pytest.approx((0.0, 0.0))
    assert settings.touch.min_press == 0.02 and settings.touch.palm_fingers == 4
    assert settings.merged(rotation=90, idle=None).rotation == 90 and settings.merged(idle=None).idle == 90.0
    for text, message in (
        ("[kiosk]\nrotation = 45\n", "rotation must be one of"),
        ("[kiosk]\nrotate = 90\n", "unknown setting"),
        ('[kiosk]\ntouch_calibration = "1 2"\n', "touch_calibration"),
        ('[kiosk]\nrenderer = "vulkan"\n', "renderer"),
        ("[kiosk]\nidle = -1\n", "idle must be between"),
        ("[kiosk\n", "not valid TOML"),
    ):
        bad = tmp_path / "bad.toml"
        bad.write_text(text, encoding="utf-8")
        with pytest.raises(SettingsError, match=message):
            load_settings(bad)
    with pytest.raises(SettingsError, match="cannot read"):
        load_settings(tmp_path / "missing.toml")


def test_kepu_kiosk_run_refuses_a_bad_settings_file_before_showing_anything(tmp_path, capsys):
    bad = tmp_path / "kiosk.toml"
    bad.write_text("[kiosk]\nrotation = 45\n", encoding="utf-8")
    assert main(["run", "--data", str(tmp_path / "data"), "--config", str(bad)]) == 2
    assert "rotation must be one of" in capsys.readouterr().err
    assert not (tmp_path / "data").exists(), "nothing was started or written"
    with pytest.raises(SystemExit):
        main(["run", "--data", str(tmp_path), "--touch-calibration", "1,2,3"])
