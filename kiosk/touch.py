"""Touch and mouse input turned into one stream of pointer events, in the picture's pixels.

SDL reports a finger touch twice: as FINGER* and as a synthetic mouse event flagged
`touch`. We take fingers and real mice, and drop the synthetic copy so a tap is never
counted twice. Single-touch resistive panels that send only down/up work, because
gestures are decided on up.

Touchscreens as they are mounted in cabinets:
- `rotation`: the picture is turned 90/180/270° clockwise on the panel (portrait cabinets);
  the panel's touch coordinates are turned back so a touch lands on what is drawn there.
- `calibration`: a panel whose touch does not line up with its picture (resistive panels,
  some USB overlays) gets an affine map in normalised panel coordinates, the same six
  numbers as libinput's LIBINPUT_CALIBRATION_MATRIX, or a min/max range per axis.
- noise (`TouchFilter`): exhibits are single-visitor. A second finger is ignored; a palm or
  a sleeve (several fingers at once) cancels the gesture; a down/up shorter than a
  human tap (an electrical ghost) is cancelled; a finger whose "up" never came is
  replaced by the next finger instead of blocking the screen for good.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import pygame

ROTATIONS = (0, 90, 180, 270)


@dataclass(frozen=True)
class Pointer:
    kind: str  # "down", "move", "up", or "cancel" (forget the finger that is down; no gesture)
    x: int
    y: int


@dataclass(frozen=True)
class Calibration:
    """x' = a·x + b·y + c, y' = d·x + e·y + f, in normalised (0..1) panel coordinates."""

    matrix: tuple[float, float, float, float, float, float] = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0)

    @classmethod
    def from_range(cls, x_min: float, x_max: float, y_min: float, y_max: float) -> Calibration:
        """The panel reports x_min..x_max and y_min..y_max (normalised) across the picture's edges."""
        if x_max == x_min or y_max == y_min:
            raise ValueError("a calibration range must not be empty")
        sx, sy = 1.0 / (x_max - x_min), 1.0 / (y_max - y_min)
        return cls((sx, 0.0, -x_min * sx, 0.0, sy, -y_min * sy))

    @classmethod
    def parse(cls, value: str | list | tuple) -> Calibration:
        """Six numbers (an affine matrix) or four (x_min, x_max, y_min, y_max), as text or a list."""
        parts = value.replace(",", " ").split() if isinstance(value, str) else list(value)
        try:
            numbers = [float(p) for p in parts]
        except (TypeError, ValueError):
            raise ValueError(f"touch calibration must be numbers, got {value!r}") from None
        if not all(math.isfinite(n) for n in numbers):
            raise ValueError(f"touch calibration must be finite numbers, got {value!r}")
        if len(numbers) == 6:
            a, b, c, d, e, f = numbers
            if abs(a * e - b * d) < 1e-9:
                raise ValueError("touch calibration matrix is singular (it would put every touch on a line)")
            return cls((a, b, c, d, e, f))
        if len(numbers) == 4:
            return cls.from_range(*numbers)
        raise ValueError(
            f"touch calibration takes 6 numbers (a b c d e f) or 4 (x_min x_max y_min y_max), got {len(numbers)}"
        )

    @property
    def identity(self) -> bool:
        return self.matrix == (1.0, 0.0, 0.0, 0.0, 1.0, 0.0)

    def apply(self, u: float, v: float) -> tuple[float, float]:
        a, b, c, d, e, f = self.matrix
        return a * u + b * v + c, d * u + e * v + f


def unrotate(u: float, v: float, rotation: int) -> tuple[float, float]:
    """A normalised panel point → the point of the picture drawn there (picture turned `rotation`° clockwise)."""
    if rotation == 90:
        return v, 1.0 - u
    if rotation == 180:
        return 1.0 - u, 1.0 - v
    if rotation == 270:
        return 1.0 - v, u
    return u, v


@dataclass(frozen=True)
class TouchFilter:
    """Thresholds for a real panel's noise; the defaults filter nothing but extra fingers."""

    min_press: float = 0.0  # s; a finger up sooner than this after its down is a ghost
    palm_fingers: int = 0  # this many fingers down at once cancel the gesture (0: off)
    stuck_after: float = 0.0  # s without news from the held finger: the next finger replaces it (0: never)


KIOSK_FILTER = TouchFilter(min_press=0.03, palm_fingers=3, stuck_after=3.0)


@dataclass
class _Held:
    finger: int
    down_at: float
    last_at: float


@dataclass
class TouchInput:
    """Translate pygame events for a picture of `size`; tracks one finger at a time."""

    size: tuple[int, int]
    rotation: int = 0
    calibration: Calibration | None = None
    filter: TouchFilter = field(default_factory=TouchFilter)
    clock: Callable[[], float] = time.monotonic
    _held: _Held | None = field(default=None, init=False)
    _fingers: dict[int, float] = field(default_factory=dict, init=False)  # every finger down, and since when
    _palm: bool = field(default=False, init=False)  # a palm cancelled the gesture: wait for all fingers up

    def __post_init__(self) -> None:
        if self.rotation not in ROTATIONS:
            raise ValueError(f"rotation must be one of {ROTATIONS}, got {self.rotation!r}")
        w, h = self.size
        self.panel = (h, w) if self.rotation in (90, 270) else (w, h)
        self._plain = self.rotation == 0 and (self.calibration is None or self.calibration.identity)

    def _pixel(self, u: float, v: float) -> tuple[int, int]:
        """Normalised panel coordinates → the picture's pixel."""
        if not self._plain:
            if self.calibration is not None:
                u, v = self.calibration.apply(u, v)
            u, v = unrotate(min(1.0, max(0.0, u)), min(1.0, max(0.0, v)), self.rotation)
        w, h = self.size
        return round(min(1.0, max(0.0, u)) * (w - 1)), round(min(1.0, max(0.0, v)) * (h - 1))

    def translate(self, event: pygame.event.Event) -> Pointer | None:
        if event.type in (pygame.FINGERDOWN, pygame.FINGERUP, pygame.FINGERMOTION):
            return self._finger(event, self.clock())
        if event.type in (pygame.MOUSEBUTTONDOWN, pygame.MOUSEBUTTONUP, pygame.MOUSEMOTION):
            if getattr(event, "touch", False):
                return None  # SDL's synthetic copy of a finger event
            if self._plain:
                x, y = event.pos
            else:
                pw, ph = self.panel
                x, y = self._pixel(event.pos[0] / max(1, pw - 1), event.pos[1] / max(1, ph - 1))
            if event.type == pygame.MOUSEMOTION:
                return Pointer("move", x, y) if event.buttons[0] else None
            if getattr(event, "button", 1) != 1:
                return None
            return Pointer("down" if event.type == pygame.MOUSEBUTTONDOWN else "up", x, y)
        return None

    def _finger(self, event: pygame.event.Event, now: float) -> Pointer | None:
        finger = getattr(event, "finger_id", 0)
        x, y = self._pixel(event.x, event.y)
        rule = self.filter
        if event.type == pygame.FINGERDOWN:
            self._fingers[finger] = now
            if rule.palm_fingers and len(self._fingers) >= rule.palm_fingers:
                # A palm, a sleeve, a child leaning on the glass: not a choice.
                was_held, self._held, self._palm = self._held, None, True
                return Pointer("cancel", x, y) if was_held else None
            if self._palm:
                return None
            held = self._held
            if held is not None:
                stuck = rule.stuck_after and now - held.last_at >= rule.stuck_after
                if not stuck or held.finger == finger:
                    return None  # a second finger (or a repeated down): exhibits are single-visitor
                self._fingers.pop(held.finger, None)  # its "up" was lost: the new finger takes over
            self._held = _Held(finger, now, now)
            return Pointer("down", x, y)
        if event.type == pygame.FINGERUP:
            self._fingers.pop(finger, None)
            if self._palm:
                self._palm = bool(self._fingers)
                return None
        held = self._held
        if held is None or finger != held.finger:
            return None
        held.last_at = now
        if event.type == pygame.FINGERUP:
            self._held = None
            if rule.min_press and now - held.down_at < rule.min_press:
                return Pointer("cancel", x, y)  # too short for a finger: electrical noise
            return Pointer("up", x, y)
        return Pointer("move", x, y)


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
