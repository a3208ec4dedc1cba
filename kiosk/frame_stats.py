"""The frame rate the kiosk reports (kiosk.json `fps`): what it shows, or could show, not how often the loop wakes.

The loop draws only what changed and sleeps on a still screen (kiosk.pacing), so its passes
per second — ~10 at rest, 4 while the panel is dark — say nothing about the kiosk's speed,
and a dashboard reading "10 fps" sends a technician to a kiosk that is fine. What a visitor
notices is whether motion is smooth, so the reported rate is

    fps = min(target, 1000 / p99 of the recent frames of motion, in ms)

and, when every pass of the last second was in motion (the attract loop, a film), also at
most the rate the loop really kept. A frame of motion is one an animating screen drew after
another of its own frames; the first frame of a screen builds its caches (scaled pictures,
text) and is a touch's latency, not the frame rate, so it is not one (until there are frames
of motion, all drawn frames are used). The p99 is reported as well (`frame_ms_p99`).
"""

from __future__ import annotations

from collections import deque

WINDOW = 240  # frames: four seconds of motion at 60 Hz


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]


class FrameStats:
    """Times of the frames the loop drew (seconds from waking to presented), the last `window` of each kind."""

    def __init__(self, target_fps: float = 60.0, window: int = WINDOW):
        self.target_fps = target_fps
        self._motion: deque[float] = deque(maxlen=window)
        self._other: deque[float] = deque(maxlen=window)

    def drawn(self, seconds: float, motion: bool) -> None:
        (self._motion if motion else self._other).append(seconds)

    def p99_ms(self) -> float | None:
        """p99 of the recent frames of motion (of all drawn frames until there is one), None before any."""
        sample = self._motion or self._other
        return p99(list(sample)) * 1000 if sample else None

    def fps(self, loop_rate: float | None = None) -> float | None:
        """The rate motion is or would be shown at; `loop_rate`: passes per second of a second spent in motion."""
        worst = self.p99_ms()
        if worst is None:
            return loop_rate
        rate = min(self.target_fps, 1000 / worst if worst > 0 else self.target_fps)
        return min(rate, loop_rate) if loop_rate is not None else rate
