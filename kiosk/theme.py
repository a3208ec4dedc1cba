"""Sizes and colours for every screen, derived from the display size, DPI and senior mode.

All measures scale with the shorter side of the screen (vmin), so one design serves
1920×1080, 1280×720, portrait 1080×1920 and a 7-inch 800×480 panel. Touch targets never
shrink below 9 mm at the configured DPI.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

MM_PER_INCH = 25.4
MIN_TARGET_MM = 9.0
SENIOR_SCALE = 1.4  # the design asks for ≥ 1.4× text in 长者模式
# Text sizes get a little more, so that the *rendered* ink (hinted to whole pixels) is ≥ 1.4×.
SENIOR_TEXT = 1.45
SENIOR_PACE = 1.6  # 长者模式: animations run slower and timeouts last longer by this factor


@dataclass(frozen=True)
class Palette:
    background: tuple[int, int, int]
    surface: tuple[int, int, int]
    text: tuple[int, int, int]
    muted: tuple[int, int, int]
    accent: tuple[int, int, int]
    accent_text: tuple[int, int, int]
    good: tuple[int, int, int]
    bad: tuple[int, int, int]
    outline: tuple[int, int, int]


STANDARD = Palette(
    background=(247, 244, 236),
    surface=(255, 255, 255),
    text=(33, 37, 41),
    muted=(92, 99, 112),
    accent=(0, 110, 140),
    accent_text=(255, 255, 255),
    good=(30, 130, 76),
    bad=(192, 57, 43),
    outline=(210, 204, 190),
)

# Senior mode: darker text on pure white, stronger accent, thicker outlines.
HIGH_CONTRAST = Palette(
    background=(255, 255, 255),
    surface=(255, 255, 255),
    text=(0, 0, 0),
    muted=(40, 40, 40),
    accent=(0, 70, 120),
    accent_text=(255, 255, 255),
    good=(0, 100, 45),
    bad=(160, 20, 10),
    outline=(0, 0, 0),
)

# Emergency: calm deep navy with an amber band; white on navy is > 15:1 contrast.
EMERGENCY = Palette(
    background=(16, 28, 48),
    surface=(255, 240, 200),
    text=(255, 255, 255),
    muted=(222, 230, 240),
    accent=(255, 196, 0),
    accent_text=(16, 16, 16),
    good=(255, 255, 255),
    bad=(255, 255, 255),
    outline=(255, 210, 0),
)


@dataclass(frozen=True)
class Theme:
    """Every measure a screen needs, in pixels, for one display configuration."""

    width: int
    height: int
    dpi: float = 110.0
    senior: bool = False

    @property
    def portrait(self) -> bool:
        return self.height > self.width

    @property
    def vmin(self) -> float:
        return min(self.width, self.height) / 100.0

    @property
    def scale(self) -> float:
        return SENIOR_SCALE if self.senior else 1.0

    @property
    def pace(self) -> float:
        """Multiplier for durations: > 1 means slower animations and longer timeouts."""
        return SENIOR_PACE if self.senior else 1.0

    @property
    def palette(self) -> Palette:
        return HIGH_CONTRAST if self.senior else STANDARD

    @property
    def min_target(self) -> int:
        """Smallest touch target side: 9 mm at the configured DPI."""
        return round(MIN_TARGET_MM / MM_PER_INCH * self.dpi)

    def font(self, role: str) -> int:
        """Text size in pixels for a role; in senior mode never less than 1.4× the standard size."""
        base = {"display": 9.0, "title": 6.2, "heading": 4.8, "body": 3.7, "button": 3.9, "small": 2.8}[role]
        standard = max(14, round(base * self.vmin))
        if not self.senior:
            return standard
        return math.ceil(standard * SENIOR_TEXT)

    @property
    def margin(self) -> int:
        return round(4 * self.vmin)

    @property
    def gap(self) -> int:
        return round(2 * self.vmin)

    @property
    def button_height(self) -> int:
        return max(self.min_target, round(self.font("button") * 2.2))

    @property
    def bar_height(self) -> int:
        # The chrome buttons sit inside the bar with a small pad and must stay ≥ 9 mm.
        return max(self.min_target + 2 * max(4, self.gap // 2), round(self.button_height * 1.15))

    @property
    def radius(self) -> int:
        return round(1.6 * self.vmin)

    @property
    def outline_width(self) -> int:
        return max(2, round(0.35 * self.vmin * (1.6 if self.senior else 1.0)))

    def with_senior(self, senior: bool) -> Theme:
        return Theme(self.width, self.height, self.dpi, senior)
