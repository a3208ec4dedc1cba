"""kiosk.json `fps`: the rate motion is or would be shown at, not how often the loop wakes (kiosk.frame_stats)."""

from __future__ import annotations

import time

import pygame

from kiosk.frame_stats import FrameStats


def test_fps_is_the_target_when_frames_are_cheap_and_less_when_the_worst_are_slow():
    stats = FrameStats(target_fps=60, window=100)
    assert stats.fps() is None and stats.p99_ms() is None, "nothing drawn: nothing to say"
    for _ in range(100):
        stats.drawn(0.004, motion=True)
    assert stats.p99_ms() == 4.0 and stats.fps() == 60
    for _ in range(5):  # 5 % of the frames take 40 ms: motion stutters at 25 fps
        stats.drawn(0.040, motion=True)
    assert stats.p99_ms() == 40.0 and stats.fps() == 25


def test_a_screens_first_frame_is_not_a_frame_of_motion():
    stats = FrameStats(target_fps=60, window=10)
    stats.drawn(0.250, motion=False)  # a tap opened a screen: caches filled, a touch's latency
    assert stats.fps() == 4, "until there is motion, drawn frames are all there is"
    for _ in range(10):
        stats.drawn(0.005, motion=True)
    stats.drawn(0.300, motion=False)
    assert stats.fps() == 60 and stats.p99_ms() == 5.0


def test_while_in_motion_the_loop_rate_it_kept_caps_fps():
    stats = FrameStats(target_fps=60)
    for _ in range(50):
        stats.drawn(0.002, motion=True)
    assert stats.fps(loop_rate=41.5) == 41.5, "the loop fell behind for other reasons (a film's decoding)"
    assert stats.fps(loop_rate=None) == 60, "a still screen: the loop's idle wake rate means nothing"
    assert FrameStats().fps(loop_rate=59.0) == 59.0, "a driver that reports no frame times: the loop rate"


def test_the_heartbeat_reports_fps_loop_fps_and_the_frame_p99(tmp_path):
    """A still screen's loop wakes ~10 times a second; fps says what the drawn frames show instead."""
    from content_packs import load_pack
    from kepu_contracts.clock import ManualClock
    from kepu_contracts.outbox import Outbox
    from kiosk.host import HostOptions, KioskHost
    from kiosk.packs import prepare
    from kiosk.recorder import Recorder
    from kiosk.showcase import write_showcase_pack
    from kiosk.touch import Pointer

    pygame.init()
    pack = load_pack(write_showcase_pack(tmp_path / "showcase"))
    outbox = Outbox(tmp_path / "outbox.db")
    recorder = Recorder(outbox, ManualClock())
    options = HostOptions(watch_current=False, threads=False, audio=False, screenshots=False, buttons=False)
    host = KioskHost(tmp_path / "data", pack, prepare(pack), recorder, ManualClock(), (800, 480), options=options)
    host.start()
    try:
        for i in range(30):  # the attract loop: drawn frames of motion, 3 ms each
            host.tick(1 / 60)
            host.frame_shown(0.003, motion=i > 0)
        start = next(t for t in host.app.targets() if t.name == "start")
        host.app.pointer(Pointer("down", *start.rect.center))
        host.app.pointer(Pointer("up", *start.rect.center))
        host.tick(1 / 60)
        host.frame_shown(0.2)  # home, first frame: not motion
        assert not host.app.animating()
        deadline = time.monotonic() + 2.3  # two fps windows: the second has only quiet passes
        while time.monotonic() < deadline:  # ten quiet passes a second on a still screen, nothing drawn
            host.tick(0.1)
            time.sleep(0.1)
        beat = host.heartbeat.snapshot()
        assert beat["frame_ms_p99"] == 3.0
        assert beat["fps"] == 60.0, "the frames drawn show motion at the full rate"
        assert 0 < beat["loop_fps"] < 30, "the loop itself only woke to look around"
        assert beat["frames"] == 31 and beat["draw_fps"] == 0
    finally:
        host.stop()
        recorder.close()
        outbox.close()
