"""When the frame loop runs: every frame while something moves, asleep on the event queue otherwise.

While the picture moves the loop is paced at `fps` (pygame's Clock sleeps between frames).
While it is still, the loop waits for an event for at most `idle_wake` seconds: a touch
wakes it within a frame, and the timeout keeps the housekeeping going — control.json
emergencies, pack swaps, the idle reset, the "still there?" countdown, the systemd
watchdog — without drawing anything.

How it waits depends on SDL's video driver: X11 and Wayland block in the kernel
(SDL_WaitEventTimeout), but KMS/DRM (the Pi without a desktop), dummy and offscreen
have no blocking wait and SDL would spin on a 1 ms delay; there we sleep `poll` seconds
between looks at the queue (well under a frame), which costs a fraction of that.
"""

from __future__ import annotations

import time

import pygame

# Window events after which the panel's picture must be painted again although nothing changed.
REDRAW_EVENTS = frozenset(
    getattr(pygame, name)
    for name in ("VIDEOEXPOSE", "WINDOWEXPOSED", "WINDOWSHOWN", "WINDOWRESTORED", "WINDOWSIZECHANGED")
    if hasattr(pygame, name)
)
IDLE_WAKE = 0.1  # s; the control file is polled once a second, the countdown shows whole seconds
POLL = 0.012  # s between looks at the queue where SDL cannot block: < one 60 Hz frame
MIN_WAIT = 0.002  # s; a picture already due is shown at once, but the loop never spins
BLOCKING_DRIVERS = frozenset({"x11", "wayland", "windows", "cocoa"})


class FramePacer:
    """Hands the loop its `dt` and the events that arrived, sleeping as long as it may."""

    def __init__(self, fps: int = 60, idle_wake: float = IDLE_WAKE, poll: float = POLL, blocking: bool | None = None):
        self.fps = fps
        self.idle_wake = idle_wake
        self.poll = poll
        if blocking is None:
            blocking = pygame.display.get_init() and pygame.display.get_driver() in BLOCKING_DRIVERS
        self.blocking = blocking
        self._clock = pygame.time.Clock()
        self._last = time.monotonic()
        self._passes = 0
        self._rate = (self._last, 0)
        self.rate = 0.0  # loop passes per second, over the last second

    def next(
        self, busy: bool, idle_wake: float | None = None, next_change: float | None = None
    ) -> tuple[float, list[pygame.event.Event]]:
        """Wait for the next pass: one frame when `busy`, else until an event or `idle_wake` (this call's, or the pacer's).

        `next_change`, while busy: seconds until the picture changes next (a film's next frame).
        The loop then sleeps until just that moment instead of ticking at `fps`: a 30 fps film
        is drawn 30 times a second, each picture on its time, and a touch still wakes it.
        """
        wake = self.idle_wake if idle_wake is None else idle_wake
        if busy and next_change is not None:
            events = self._wait(time.monotonic() + min(max(next_change, MIN_WAIT), wake))
        elif busy:
            self._clock.tick(self.fps)
            events = pygame.event.get()
        else:  # (as before: a blocking wait counts from now, a polling one from the last pass)
            events = self._wait((time.monotonic() if self.blocking else self._last) + wake)
        now = time.monotonic()
        dt, self._last = now - self._last, now
        self._passes += 1
        started, passes = self._rate
        if now - started >= 1.0:
            self.rate = (self._passes - passes) / (now - started)
            self._rate = (now, self._passes)
        return dt, events

    def _wait(self, deadline: float) -> list[pygame.event.Event]:
        """The events that arrive before `deadline` (returning at the first), or none at it."""
        if self.blocking:
            first = pygame.event.wait(max(1, round((deadline - time.monotonic()) * 1000)))
            events = [] if first.type == pygame.NOEVENT else [first]
            return events + pygame.event.get()
        events = pygame.event.get()
        while not events and time.monotonic() < deadline:
            time.sleep(min(self.poll, max(0.0, deadline - time.monotonic())))
            events = pygame.event.get()
        return events
