"""Touch and mouse input turned into one stream of pointer events.

SDL reports a finger touch twice: as FINGER* and as a synthetic mouse event flagged
`touch`. We take fingers and real mice, and drop the synthetic copy so a tap is never
counted twice. Single-touch resistive panels that send only down/up work, because
gestures are decided on up.
"""

from __future__ import annotations

from dataclasses import dataclass

import pygame


@dataclass(frozen=True)
class Pointer:
    kind: str  # "down", "move" or "up"
    x: int
    y: int


class TouchInput:
    """Translate pygame events for a window of `size`; tracks one finger at a time."""

    def __init__(self, size: tuple[int, int]):
        self.size = size
        self._finger: int | None = None

    def translate(self, event: pygame.event.Event) -> Pointer | None:
        w, h = self.size
        if event.type in (pygame.FINGERDOWN, pygame.FINGERUP, pygame.FINGERMOTION):
            finger = getattr(event, "finger_id", 0)
            x, y = round(event.x * (w - 1)), round(event.y * (h - 1))
            if event.type == pygame.FINGERDOWN:
                if self._finger is not None:
                    return None  # a second finger: ignore, exhibits are single-visitor
                self._finger = finger
                return Pointer("down", x, y)
            if finger != self._finger:
                return None
            if event.type == pygame.FINGERUP:
                self._finger = None
                return Pointer("up", x, y)
            return Pointer("move", x, y)
        if event.type in (pygame.MOUSEBUTTONDOWN, pygame.MOUSEBUTTONUP, pygame.MOUSEMOTION):
            if getattr(event, "touch", False):
                return None  # SDL's synthetic copy of a finger event
            x, y = event.pos
            if event.type == pygame.MOUSEMOTION:
                return Pointer("move", x, y) if event.buttons[0] else None
            if getattr(event, "button", 1) != 1:
                return None
            return Pointer("down" if event.type == pygame.MOUSEBUTTONDOWN else "up", x, y)
        return None


def finger_event(kind: str, x: int, y: int, size: tuple[int, int], finger_id: int = 1) -> pygame.event.Event:
    """A pygame finger event at pixel (x, y): how simulated visitors touch the screen."""
    types = {"down": pygame.FINGERDOWN, "up": pygame.FINGERUP, "move": pygame.FINGERMOTION}
    w, h = size
    return pygame.event.Event(
        types[kind],
        x=x / max(1, w - 1),
        y=y / max(1, h - 1),
        dx=0.0,
        dy=0.0,
        touch_id=1,
        finger_id=finger_id,
        pressure=1.0,
    )
