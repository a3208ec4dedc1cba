"""The kiosk's side of the power schedule: a dark, nearly idle screen while control.json says `display: off`.

While off the frame loop draws nothing (one black frame, then only flips nothing), ticks at
`SLEEP_FPS` so the CPU rests, and a touch — if the venue allows waking — asks the agent to
light the screen by touching `DATA/wake.json`. The touch that wakes is not a visitor's tap.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import pygame

from kepu_contracts.datadir import DataDir, write_json_atomic

SLEEP_FPS = 4  # frames a second while dark: heartbeat and watchdog stay fed, the CPU stays near idle
WAKE_EVERY = 1.0  # s between wake requests while a visitor keeps touching


class DisplaySleep:
    def __init__(self, data: Path):
        self.wake_path = DataDir(Path(data)).wake_request
        self.blanked = False
        self._last_wake = -WAKE_EVERY

    def touched(self, wake_allowed: bool) -> bool:
        """A touch on the dark screen; True if a wake request went to the agent."""
        now = time.monotonic()
        if not wake_allowed or now - self._last_wake < WAKE_EVERY:
            return False
        self._last_wake = now
        # Off the frame loop: the loop never waits for the disk.
        threading.Thread(target=self._request, name="wake-request", daemon=True).start()
        return True

    def _request(self) -> None:
        try:
            write_json_atomic(self.wake_path, {"v": 1, "ts": time.time()})
        except OSError:
            pass  # nothing to wake through; the schedule will light the screen at opening

    def blank(self, screen: pygame.Surface, present: Callable[[], None]) -> None:
        """Show black once (`present` puts the canvas on the panel); later passes draw nothing at all."""
        if not self.blanked:
            screen.fill((0, 0, 0))
            present()
            self.blanked = True

    def awake(self) -> None:
        self.blanked = False
