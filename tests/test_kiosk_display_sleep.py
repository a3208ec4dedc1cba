"""`kepu-kiosk run` while the power schedule has the display off: it stops drawing and slows to SLEEP_FPS."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pygame
import pytest

from kepu_contracts.control import write_control
from kiosk.display_sleep import SLEEP_FPS
from kiosk.showcase import write_showcase_pack

ENV = {**os.environ, "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy"}


@pytest.fixture(scope="module")
def pack_dir(tmp_path_factory):
    pygame.init()
    return write_showcase_pack(tmp_path_factory.mktemp("showcase") / "showcase-1.0.0")


def test_a_dark_display_idles_the_frame_loop(pack_dir, tmp_path):
    data = tmp_path / "data"
    (data / "packs").mkdir(parents=True)
    (data / "packs" / "current").symlink_to(pack_dir)
    write_control(data / "control.json", None, {}, 0.0, display_on=False, wake_on_touch=True)
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from kiosk.runtime import RunOptions, run; from pathlib import Path;"
            f"sys.exit(run(RunOptions(data=Path({str(data)!r}), size=(800, 480), max_seconds=3.5, audio=False)))",
        ],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    beat = json.loads((data / "kiosk.json").read_text())
    assert beat["pack"]["status"] == "loaded", "dark, but alive: the heartbeat goes on"
    assert 0 < beat["loop_fps"] <= SLEEP_FPS + 1, f"the loop slows down while dark (loop_fps {beat['loop_fps']})"
