"""`kepu-kiosk run --fullscreen` on a real X display (Xvfb): taps, the outbox, what the screen shows.

Also kiosk mode: Escape, a window manager's close request and Ctrl+Alt+Backspace do not
end it, the pointer is invisible, the X server's blanking and DPMS are switched off.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pygame
import pytest

from content_packs import load_pack
from kepu_contracts.outbox import Outbox
from kiosk.app import KioskConfig
from kiosk.gallery import Tour, render
from kiosk.packs import prepare
from kiosk.showcase import write_showcase_pack
from tests.support.xvfb import mean_difference, missing_tools, start_xvfb

pytestmark = pytest.mark.skipif(
    bool(missing_tools()),
    reason=f"needs {', '.join(missing_tools())} (./scripts/install --test installs xvfb, xdotool and python-xlib)",
)
SCREEN = (1280, 720)
IDLE = 600.0  # no idle reset while the test looks


@pytest.fixture(scope="module")
def pack(tmp_path_factory):
    pygame.init()
    return load_pack(write_showcase_pack(tmp_path_factory.mktemp("xvfb") / "showcase"))


@pytest.fixture()
def xserver():
    server = start_xvfb(SCREEN)
    yield server
    server.stop()


def start_kiosk(server, pack, data: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kiosk",
            "run",
            "--fullscreen",
            "--data",
            str(data),
            "--pack",
            str(pack.root),
            "--idle",
            str(IDLE),
            *extra,
        ],
        env=server.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def heartbeat(data: Path) -> dict:
    try:
        return json.loads((data / "kiosk.json").read_text())
    except (OSError, ValueError):
        return {}


def wait(check, timeout: float, what: str, kiosk: subprocess.Popen):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if kiosk.poll() is not None:
            pytest.fail(f"the kiosk exited ({kiosk.returncode}) waiting for {what}: {kiosk.stderr.read()[-2000:]}")
        if value := check():
            return value
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {what}")


def taps_in_outbox(data: Path) -> list[tuple[str | None, int, int]]:
    outbox = Outbox(data / "outbox.db")
    try:
        return [(r.data.get("target"), r.data["x"], r.data["y"]) for r in outbox.pending(limit=5000) if r.type == "tap"]
    finally:
        outbox.close()


def stop(kiosk: subprocess.Popen) -> None:
    kiosk.send_signal(signal.SIGTERM)
    try:
        assert kiosk.wait(timeout=20) == 0, kiosk.stderr.read()[-2000:]
    finally:
        if kiosk.poll() is None:
            kiosk.kill()
            kiosk.wait()
        kiosk.stderr.close()


def ready(server, data: Path, kiosk: subprocess.Popen) -> int:
    wait(lambda: heartbeat(data).get("frames", 0) >= 1, 60, "the first frame", kiosk)
    return wait(lambda: server.find_window("kepu"), 10, "the kiosk's window", kiosk)


def settle(data: Path, kiosk: subprocess.Popen) -> None:
    """Until the loop has drawn what the last tap changed (it then stops drawing: a still screen)."""
    time.sleep(0.3)
    last = None

    def still():  # two different heartbeats (written once a second) with the same frame count
        nonlocal last
        beat = heartbeat(data)
        now = (beat.get("written"), beat.get("frames"))
        done = last is not None and now[0] != last[0] and now[1] == last[1]
        if last is None or now[0] != last[0]:
            last = now
        return done

    wait(still, 10, "a still screen", kiosk)


def test_a_visit_on_a_real_display_in_kiosk_mode(pack, xserver, tmp_path):
    data = tmp_path / "data"
    kiosk = start_kiosk(xserver, pack, data)
    try:
        window = ready(xserver, data, kiosk)
        # Kiosk mode: the whole screen (no window manager here to flag it), no pointer, no blanking.
        assert xserver.window_geometry(window) == (0, 0, *SCREEN)
        beat = heartbeat(data)
        assert beat["renderer"] == "software", "Xvfb's GL is llvmpipe (the CPU): auto picks the software path"
        xset = subprocess.run(["xset", "q"], env=xserver.env, capture_output=True, text=True).stdout
        assert "timeout:  0" in xset, xset
        assert "DPMS is Enabled" not in xset, xset

        # A visit, tapped where a visitor would: the same layout as a headless tour at this size.
        tour = Tour(pack, SCREEN, painter=prepare(pack), dpi=KioskConfig().dpi)
        sent: list[tuple[str, int, int]] = []
        for name in ("start", "scene:basics", "next", "next"):
            target = next(t for t in tour.app.targets() if t.name == name)
            x, y = target.rect.center
            xserver.tap(x, y)
            sent.append((name, x, y))
            tour.tap(name)
            time.sleep(0.4)
        assert xserver.cursor_is_invisible(), "the pointer is hidden over the exhibit"
        wait(lambda: len(taps_in_outbox(data)) >= len(sent), 10, "the taps in the outbox", kiosk)
        settle(data, kiosk)
        recorded = taps_in_outbox(data)
        assert [(x, y) for _, x, y in recorded] == [(x, y) for _, x, y in sent], "exactly the touches, where they were"
        assert [t for t, _, _ in recorded] == [n for n, _, _ in sent]

        shown = xserver.screenshot()
        pygame.image.save(shown, str(tmp_path / "xvfb-slides.png"))
        expected = render(tour.app)
        assert tour.app.state_key() == "basics#2"
        assert mean_difference(shown, expected) < 2.0, "the display shows the third slide as the tour draws it"
        tour.tap("chrome:home")
        assert mean_difference(shown, render(tour.app)) > 8.0, "(and the comparison can tell screens apart)"

        # Nothing a visitor's keyboard or a window manager does ends kiosk mode.
        frames = heartbeat(data)["frames"]
        xserver.xdotool("key", "Escape")
        xserver.close_window(window)
        xserver.xdotool("key", "ctrl+alt+BackSpace")
        xserver.xdotool("key", "alt+F4")
        time.sleep(1.5)
        assert kiosk.poll() is None, "the kiosk still runs"
        assert xserver.process.poll() is None, "the X server was not zapped"
        assert xserver.find_window("kepu") == window
        assert xserver.window_geometry(window) == (0, 0, *SCREEN)
        assert len(taps_in_outbox(data)) == len(sent), "keys are not touches"
        assert time.time() - heartbeat(data)["last_frame"] < 2.5 and heartbeat(data)["frames"] >= frames
    finally:
        stop(kiosk)
    outbox = Outbox(data / "outbox.db")
    try:
        kinds = [r.type for r in outbox.pending(limit=5000)]
    finally:
        outbox.close()
    assert kinds.count("session_start") == 1 and kinds[-1] == "session_end", "SIGTERM ended the visit cleanly"


def test_gpu_renderer_and_a_portrait_cabinet_on_a_real_display(pack, xserver, tmp_path):
    """The panel is 1280×720, the cabinet portrait: the picture turned 90° clockwise, touches turned back."""
    data = tmp_path / "data"
    kiosk = start_kiosk(xserver, pack, data, "--renderer", "gpu", "--rotate", "90")
    try:
        ready(xserver, data, kiosk)
        beat = heartbeat(data)
        assert beat["renderer"] == "gpu" and beat["renderer_driver"].startswith("opengl")
        logical = (SCREEN[1], SCREEN[0])
        tour = Tour(pack, logical, painter=prepare(pack))
        sent = []
        for name in ("start", "scene:basics"):
            x, y = next(t for t in tour.app.targets() if t.name == name).rect.center
            # Where that point of the picture is on the panel: turned 90° clockwise.
            panel_x, panel_y = logical[1] - 1 - y, x
            xserver.tap(panel_x, panel_y)
            sent.append((x, y))
            tour.tap(name)
            time.sleep(0.4)
        assert xserver.cursor_is_invisible(), "no pointer on the GPU path either"
        wait(lambda: len(taps_in_outbox(data)) >= len(sent), 10, "the taps in the outbox", kiosk)
        settle(data, kiosk)
        recorded = taps_in_outbox(data)
        assert all(abs(rx - x) <= 1 and abs(ry - y) <= 1 for (_, rx, ry), (x, y) in zip(recorded, sent, strict=True))
        assert recorded[-1][0] == "scene:basics"
        shown = pygame.transform.rotate(xserver.screenshot(), 90)  # turned back, counter-clockwise
        pygame.image.save(shown, str(tmp_path / "xvfb-portrait.png"))
        assert shown.get_size() == logical
        assert mean_difference(shown, render(tour.app), (90, 160)) < 2.0, "the portrait slide, upright"
    finally:
        stop(kiosk)
