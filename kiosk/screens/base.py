"""What every screen is: touch targets laid out for a theme, intents sent up, update(dt), draw.

"Attributes down, messages up": a screen gets the pack, language and theme from the
app and returns intents; it never reaches into the app or a sibling screen.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import pygame

from content_packs.model import Pack, Text
from kiosk.painter import Painter
from kiosk.theme import Theme


@dataclass(frozen=True)
class Target:
    """A touchable area, named so events and simulated visitors can refer to it."""

    name: str
    rect: pygame.Rect


# -- intents: what a screen asks the app to do ---------------------------------


@dataclass(frozen=True)
class OpenScene:
    scene: str


@dataclass(frozen=True)
class GoHome:
    pass


@dataclass(frozen=True)
class Record:
    """Ask the app to log a domain event (quiz_answer, rating…) in the current session."""

    type: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Narrate:
    """Play this pack-relative audio file (None: stop narration)."""

    audio: str | None


Intent = OpenScene | GoHome | Record | Narrate


@dataclass
class Context:
    """Attributes handed down to screens; replaced, not mutated, when they change."""

    pack: Pack
    lang: str
    theme: Theme
    painter: Painter
    goal_reached: bool = False
    media: Any = None  # kiosk.media.MediaDesk: players, subtitles, background sound

    def t(self, text: Text | None) -> str:
        return text.get(self.lang) if text else ""

    def ui(self, pair: tuple[str, str]) -> str:
        """Pick the kiosk's own (zh, en) label for the current language."""
        return pair[0] if self.lang == "zh" else pair[1]


class Screen:
    """Base screen. Subclasses set `scene_id` and override what they need."""

    scene_id = "screen"
    # Simulated visitors use this to pick plausible taps; names map to relative weights.
    visitor_weights: ClassVar[dict[str, float]] = {}

    def __init__(self, ctx: Context, area: pygame.Rect):
        self.ctx = ctx
        self.area = area
        self.elapsed = 0.0
        self._targets: list[Target] = []
        self.relayout()

    def relayout(self) -> None:
        """Recompute targets after a change of size, language or senior mode."""
        self._targets = []

    def set_context(self, ctx: Context, area: pygame.Rect) -> None:
        self.ctx = ctx
        self.area = area
        self.relayout()

    def targets(self) -> list[Target]:
        return list(self._targets)

    def target_at(self, pos: tuple[int, int]) -> Target | None:
        for target in reversed(self._targets):
            if target.rect.collidepoint(pos):
                return target
        return None

    def tap(self, name: str) -> list[Intent]:
        return []

    def swipe(self, direction: int) -> list[Intent]:
        """direction: +1 = next (swipe left), -1 = previous (swipe right)."""
        return []

    def update(self, dt: float) -> list[Intent]:
        self.elapsed += dt
        return []

    def enter(self) -> list[Intent]:
        """Called when the screen is shown (and again after a language change)."""
        return []

    def leave(self) -> list[Intent]:
        """Called when the screen is taken away (by the visitor, the idle reset or an emergency)."""
        return []

    def watching(self) -> bool:
        """True while the visitor may be watching without touching (a film): the idle clock waits."""
        return False

    def draw(self, surface: pygame.Surface) -> None:
        raise NotImplementedError

    def paints_all(self) -> bool:
        """True when draw() paints every pixel of `area` itself: the app then does not clear it first.

        (A full-screen clear is a frame's largest fixed cost after the picture: ~1 ms at 1920×1080.)
        """
        return False

    def animating(self) -> bool:
        """True while this screen needs a new frame every tick (motion, a transition, a playing video).

        The frame loop redraws only when something changed: after a touch, when `state_key()`
        changes, or while this returns True. A still screen returns False (the default) and
        then costs (almost) nothing: the loop sleeps until the next touch. A screen whose
        picture moves — the attract loop, a pulse, a video while it plays — returns True for
        exactly as long as it moves; it is asked after every `update(dt)`.
        """
        return False

    def motion_key(self) -> object:
        """Optional, while animating: a value that changes exactly when the moving picture does.

        None (the default) redraws every frame while `animating()`. A slow motion that
        moves in whole pixels returns those pixels, so frames that would repeat the last
        one are skipped (the loop still ticks at full rate, so the motion stays smooth).
        """
        return None

    def next_change_in(self) -> float | None:
        """While animating: seconds until `motion_key()` will change (a film's next frame), if known.

        None (the default) ticks the loop at its frame rate. A film returns when its next
        decoded picture is due, and the loop sleeps until then.
        """
        return None

    # A screen "state" distinguishes visually different moments for screenshots.
    def state_key(self) -> str:
        return self.scene_id
