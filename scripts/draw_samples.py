#!/usr/bin/env python3
"""Draw the sample packs' illustrations (flat, friendly, no text) into content_packs/samples/*/media/.

Run from the repository root:  python scripts/draw_samples.py [--only PACK]
Images are drawn at 2× and smoothed down, so edges are anti-aliased without extra libraries.
Text never goes into an image: every word a visitor reads lives in pack.toml, in zh and en.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
import itertools

import pygame

W, H = 1600, 900
SCALE = 2
SAMPLES = Path(__file__).resolve().parent.parent / "content_packs" / "samples"

# A small shared palette keeps the four packs looking like one family.
INK = (44, 52, 72)
WHITE = (255, 255, 255)
CREAM = (252, 246, 233)
SKY = (198, 228, 247)
SKY_DEEP = (120, 180, 230)
GRASS = (140, 200, 120)
GRASS_DARK = (96, 160, 92)
WOOD = (196, 140, 90)
WOOD_DARK = (150, 100, 62)
WALL = (246, 236, 214)
FLOOR = (226, 200, 160)
RED = (232, 88, 76)
ORANGE = (245, 150, 60)
YELLOW = (250, 205, 80)
GREEN = (80, 180, 110)
BLUE = (70, 130, 220)
TEAL = (60, 170, 170)
GREY = (150, 156, 168)
LIGHT_GREY = (214, 218, 226)
SKIN = (246, 204, 170)
SKIN_2 = (222, 170, 130)
HAIR = (60, 48, 44)
HAIR_GREY = (200, 200, 206)


class Canvas:
    """Drawing in 1600×900 design units on a 2× surface."""

    def __init__(self, background: tuple[int, int, int] = CREAM):
        self.surface = pygame.Surface((W * SCALE, H * SCALE))
        self.surface.fill(background)

    def _r(self, x: float, y: float, w: float, h: float) -> pygame.Rect:
        return pygame.Rect(round(x * SCALE), round(y * SCALE), round(w * SCALE), round(h * SCALE))

    def rect(self, color, x, y, w, h, radius: float = 0) -> None:
        pygame.draw.rect(self.surface, color, self._r(x, y, w, h), border_radius=round(radius * SCALE))

    def frame(self, color, x, y, w, h, width: float = 4, radius: float = 0) -> None:
        pygame.draw.rect(
            self.surface, color, self._r(x, y, w, h), round(width * SCALE), border_radius=round(radius * SCALE)
        )

    def circle(self, color, x, y, r, width: float = 0) -> None:
        pygame.draw.circle(
            self.surface, color, (round(x * SCALE), round(y * SCALE)), round(r * SCALE), round(width * SCALE)
        )

    def ellipse(self, color, x, y, w, h) -> None:
        pygame.draw.ellipse(self.surface, color, self._r(x, y, w, h))

    def poly(self, color, points) -> None:
        pygame.draw.polygon(self.surface, color, [(round(px * SCALE), round(py * SCALE)) for px, py in points])

    def line(self, color, a, b, width: float = 4) -> None:
        """A thick line with round caps."""
        w = round(width * SCALE)
        pa = (round(a[0] * SCALE), round(a[1] * SCALE))
        pb = (round(b[0] * SCALE), round(b[1] * SCALE))
        pygame.draw.line(self.surface, color, pa, pb, w)
        pygame.draw.circle(self.surface, color, pa, w // 2)
        pygame.draw.circle(self.surface, color, pb, w // 2)

    def polyline(self, color, points, width: float = 4) -> None:
        for a, b in itertools.pairwise(points):
            self.line(color, a, b, width)

    def soft(self, color, x, y, r, alpha: int) -> None:
        """A translucent disc (smoke, steam, glow)."""
        size = round(r * SCALE * 2)
        blob = pygame.Surface((size, size), pygame.SRCALPHA)
        pygame.draw.circle(blob, (*color, alpha), (size // 2, size // 2), size // 2)
        self.surface.blit(blob, (round((x - r) * SCALE), round((y - r) * SCALE)))

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        pygame.image.save(pygame.transform.smoothscale(self.surface, (W, H)), str(path))


# -- reusable pieces ------------------------------------------------------------


def sky_and_ground(c: Canvas, horizon: float = 640, sky=SKY, ground=GRASS) -> None:
    c.rect(sky, 0, 0, W, horizon)
    c.rect(ground, 0, horizon, W, H - horizon)


def room(c: Canvas, floor_y: float = 680) -> None:
    c.rect(WALL, 0, 0, W, floor_y)
    c.rect(FLOOR, 0, floor_y, W, H - floor_y)
    c.rect(WOOD_DARK, 0, floor_y - 12, W, 12)


def cloud(c: Canvas, x, y, s: float = 1.0, color=WHITE) -> None:
    for dx, dy, r in ((0, 0, 40), (45, -20, 50), (95, 0, 40), (45, 15, 42)):
        c.circle(color, x + dx * s, y + dy * s, r * s)


def sun(c: Canvas, x, y, r=60) -> None:
    for i in range(12):
        a = i * math.pi / 6
        c.line(
            YELLOW,
            (x + math.cos(a) * (r + 18), y + math.sin(a) * (r + 18)),
            (x + math.cos(a) * (r + 42), y + math.sin(a) * (r + 42)),
            10,
        )
    c.circle(YELLOW, x, y, r)


def person(c: Canvas, x, y, s=1.0, shirt=BLUE, pants=INK, skin=SKIN, hair=HAIR, pose="stand", elder=False) -> None:
    """A friendly figure standing on (x, y). Poses: stand, wave, crouch, crawl, phone."""
    if pose == "crawl":
        # Low on hands and knees, head forward: under the smoke.
        c.line(pants, (x - 70 * s, y - 20 * s), (x - 110 * s, y - 2 * s), 26 * s)
        c.line(pants, (x - 70 * s, y - 20 * s), (x - 40 * s, y - 2 * s), 26 * s)
        c.rect(shirt, x - 90 * s, y - 80 * s, 130 * s, 60 * s, 28 * s)
        c.line(skin, (x + 25 * s, y - 55 * s), (x + 45 * s, y - 2 * s), 18 * s)
        c.circle(skin, x + 70 * s, y - 80 * s, 34 * s)
        c.ellipse(hair, x + 36 * s, y - 118 * s, 70 * s, 38 * s)
        return
    if pose == "crouch":
        c.ellipse(pants, x - 60 * s, y - 60 * s, 120 * s, 60 * s)
        c.rect(shirt, x - 55 * s, y - 150 * s, 110 * s, 105 * s, 40 * s)
        c.circle(skin, x + 10 * s, y - 170 * s, 40 * s)
        c.ellipse(hair, x - 30 * s, y - 214 * s, 80 * s, 44 * s)
        # Arms up over the head and neck.
        c.line(shirt, (x - 30 * s, y - 130 * s), (x - 10 * s, y - 205 * s), 22 * s)
        c.line(shirt, (x + 40 * s, y - 130 * s), (x + 40 * s, y - 205 * s), 22 * s)
        return
    leg = 110 * s
    c.line(pants, (x - 18 * s, y - leg), (x - 22 * s, y), 26 * s)
    c.line(pants, (x + 18 * s, y - leg), (x + 22 * s, y), 26 * s)
    c.rect(shirt, x - 48 * s, y - leg - 120 * s, 96 * s, 135 * s, 34 * s)
    head_y = y - leg - 160 * s
    if pose == "wave":
        c.line(shirt, (x + 38 * s, y - leg - 95 * s), (x + 95 * s, y - leg - 170 * s), 22 * s)
        c.circle(skin, x + 98 * s, y - leg - 178 * s, 15 * s)
        c.line(shirt, (x - 38 * s, y - leg - 95 * s), (x - 60 * s, y - leg - 20 * s), 22 * s)
    elif pose == "phone":
        c.line(shirt, (x + 38 * s, y - leg - 95 * s), (x + 40 * s, y - leg - 150 * s), 22 * s)
        c.rect(INK, x + 22 * s, y - leg - 200 * s, 30 * s, 52 * s, 6 * s)
        c.line(shirt, (x - 38 * s, y - leg - 95 * s), (x - 50 * s, y - leg - 20 * s), 22 * s)
    else:
        c.line(shirt, (x - 40 * s, y - leg - 95 * s), (x - 55 * s, y - leg - 15 * s), 22 * s)
        c.line(shirt, (x + 40 * s, y - leg - 95 * s), (x + 55 * s, y - leg - 15 * s), 22 * s)
    c.circle(skin, x, head_y, 42 * s)
    c.ellipse(HAIR_GREY if elder else hair, x - 44 * s, head_y - 48 * s, 88 * s, 46 * s)
    c.circle(INK, x - 14 * s, head_y + 2 * s, 5 * s)
    c.circle(INK, x + 14 * s, head_y + 2 * s, 5 * s)
    if elder:
        c.frame(INK, x - 27 * s, head_y - 8 * s, 24 * s, 18 * s, 3 * s, 6 * s)
        c.frame(INK, x + 3 * s, head_y - 8 * s, 24 * s, 18 * s, 3 * s, 6 * s)


def table(c: Canvas, x, y, w=420, h=200) -> None:
    """A sturdy table standing on y."""
    c.rect(WOOD, x, y - h, w, 30, 8)
    c.rect(WOOD_DARK, x + 20, y - h + 30, 26, h - 30)
    c.rect(WOOD_DARK, x + w - 46, y - h + 30, 26, h - 30)


def window(c: Canvas, x, y, w=260, h=300, glass=SKY) -> None:
    c.rect(WHITE, x - 12, y - 12, w + 24, h + 24, 10)
    c.rect(glass, x, y, w, h, 4)
    c.rect(WHITE, x + w / 2 - 6, y, 12, h)
    c.rect(WHITE, x, y + h / 2 - 6, w, 12)


def bookshelf(c: Canvas, x, y_floor, w=220, h=380) -> None:
    c.rect(WOOD_DARK, x, y_floor - h, w, h, 6)
    colors = [RED, BLUE, YELLOW, GREEN, TEAL, ORANGE]
    for row in range(3):
        sy = y_floor - h + 20 + row * (h - 30) / 3
        c.rect(WOOD, x + 14, sy, w - 28, (h - 30) / 3 - 16)
        bx = x + 20
        for i in range(6):
            bw = 22 + (i * 7 + row * 3) % 12
            bh = (h - 30) / 3 - 26 - ((i + row) % 3) * 8
            c.rect(colors[(i + row) % len(colors)], bx, sy + (h - 30) / 3 - 16 - bh, bw, bh, 3)
            bx += bw + 4


def lamp(c: Canvas, x, y_top=0, length=160) -> None:
    c.line(INK, (x, y_top), (x, y_top + length), 5)
    c.poly(
        YELLOW,
        [
            (x - 60, y_top + length + 50),
            (x + 60, y_top + length + 50),
            (x + 30, y_top + length),
            (x - 30, y_top + length),
        ],
    )


def stove(c: Canvas, x, y_floor, w=260, h=240) -> None:
    c.rect(WHITE, x, y_floor - h, w, h, 10)
    c.frame(LIGHT_GREY, x, y_floor - h, w, h, 4, 10)
    c.rect(INK, x + 20, y_floor - h + 70, w - 40, h - 100, 8)
    for i in range(3):
        c.circle(GREY, x + 40 + i * 40, y_floor - h + 35, 12)
    c.circle(INK, x + 70, y_floor - h - 8, 34)
    c.circle(INK, x + 190, y_floor - h - 8, 34)


def cross(c: Canvas, x, y, r=60, color=RED) -> None:
    c.circle(WHITE, x, y, r + 10)
    c.circle(color, x, y, r, 10)
    c.line(color, (x - r * 0.5, y - r * 0.5), (x + r * 0.5, y + r * 0.5), 14)
    c.line(color, (x - r * 0.5, y + r * 0.5), (x + r * 0.5, y - r * 0.5), 14)


def tick(c: Canvas, x, y, r=60, color=GREEN) -> None:
    c.circle(WHITE, x, y, r + 10)
    c.circle(color, x, y, r)
    c.polyline(WHITE, [(x - r * 0.45, y), (x - r * 0.1, y + r * 0.35), (x + r * 0.5, y - r * 0.35)], 14)


def flame(c: Canvas, x, y, s=1.0) -> None:
    """A flame whose base sits at (x, y)."""
    c.poly(
        RED,
        [
            (x - 70 * s, y),
            (x - 80 * s, y - 90 * s),
            (x - 30 * s, y - 70 * s),
            (x, y - 200 * s),
            (x + 40 * s, y - 80 * s),
            (x + 80 * s, y - 110 * s),
            (x + 75 * s, y),
        ],
    )
    c.poly(
        ORANGE,
        [
            (x - 45 * s, y),
            (x - 50 * s, y - 60 * s),
            (x - 15 * s, y - 50 * s),
            (x + 5 * s, y - 130 * s),
            (x + 30 * s, y - 55 * s),
            (x + 50 * s, y - 70 * s),
            (x + 48 * s, y),
        ],
    )
    c.poly(
        YELLOW,
        [(x - 22 * s, y), (x - 20 * s, y - 35 * s), (x + 5 * s, y - 70 * s), (x + 25 * s, y - 30 * s), (x + 22 * s, y)],
    )


def phone(c: Canvas, x, y, w=300, h=560, screen=(236, 244, 252)) -> tuple[float, float, float, float]:
    """A smartphone; returns its screen rectangle."""
    c.rect(INK, x, y, w, h, 40)
    c.rect(screen, x + 16, y + 50, w - 32, h - 100, 12)
    c.rect(GREY, x + w / 2 - 30, y + 22, 60, 10, 5)
    c.circle(GREY, x + w / 2, y + h - 26, 12)
    return x + 16, y + 50, w - 32, h - 100


def bubble(c: Canvas, x, y, w, h, color, lines=2, left=True) -> None:
    """A chat bubble with grey bars standing in for words."""
    c.rect(color, x, y, w, h, 20)
    tail = (
        [(x + 20, y + h - 4), (x - 6, y + h + 16), (x + 44, y + h - 4)]
        if left
        else [(x + w - 20, y + h - 4), (x + w + 6, y + h + 16), (x + w - 44, y + h - 4)]
    )
    c.poly(color, tail)
    for i in range(lines):
        c.rect(
            WHITE if color not in (WHITE, CREAM) else LIGHT_GREY,
            x + 18,
            y + 18 + i * 26,
            (w - 36) * (1 - 0.3 * (i % 2)),
            12,
            6,
        )


def shield(c: Canvas, x, y, s=1.0, color=GREEN) -> None:
    c.poly(
        color,
        [
            (x, y - 120 * s),
            (x + 100 * s, y - 80 * s),
            (x + 90 * s, y + 30 * s),
            (x, y + 120 * s),
            (x - 90 * s, y + 30 * s),
            (x - 100 * s, y - 80 * s),
        ],
    )
    c.polyline(WHITE, [(x - 40 * s, y), (x - 8 * s, y + 34 * s), (x + 48 * s, y - 34 * s)], 18 * s)


def lock(c: Canvas, x, y, s=1.0, color=ORANGE) -> None:
    c.circle(GREY, x, y - 40 * s, 44 * s, 16 * s)
    c.rect(color, x - 64 * s, y - 40 * s, 128 * s, 110 * s, 16 * s)
    c.circle(INK, x, y + 5 * s, 14 * s)
    c.rect(INK, x - 6 * s, y + 5 * s, 12 * s, 34 * s)


def building(c: Canvas, x, y_ground, w, h, color=(236, 214, 190), cracked=False) -> None:
    c.rect(color, x, y_ground - h, w, h, 6)
    cols = max(2, int(w // 70))
    rows = max(2, int(h // 90))
    for r in range(rows):
        for col in range(cols):
            c.rect(
                SKY_DEEP,
                x + 18 + col * (w - 20) / cols,
                y_ground - h + 24 + r * (h - 40) / rows,
                (w - 20) / cols - 18,
                (h - 40) / rows - 30,
                4,
            )
    if cracked:
        c.polyline(
            INK,
            [
                (x + w * 0.4, y_ground - h),
                (x + w * 0.5, y_ground - h * 0.8),
                (x + w * 0.42, y_ground - h * 0.65),
                (x + w * 0.55, y_ground - h * 0.45),
            ],
            6,
        )


def fridge(c: Canvas, x, y, w=520, h=760, open_=True) -> None:
    c.rect((235, 240, 246), x, y, w, h, 30)
    c.frame(GREY, x, y, w, h, 5, 30)
    c.rect(LIGHT_GREY, x, y + h * 0.3, w, 8)
    if open_:
        c.rect((222, 238, 250), x + 24, y + 24, w - 48, h * 0.3 - 40, 14)
        c.rect((250, 252, 255), x + 24, y + h * 0.3 + 24, w - 48, h * 0.7 - 48, 14)
        for i in range(1, 4):
            c.rect(LIGHT_GREY, x + 24, y + h * 0.3 + 24 + i * (h * 0.7 - 48) / 4, w - 48, 8)


def meat(c: Canvas, x, y, s=1.0) -> None:
    c.ellipse((226, 110, 110), x - 70 * s, y - 40 * s, 140 * s, 80 * s)
    c.ellipse((246, 190, 190), x - 40 * s, y - 20 * s, 60 * s, 30 * s)
    c.circle(WHITE, x + 60 * s, y, 16 * s)


def carrot(c: Canvas, x, y, s=1.0) -> None:
    c.poly(ORANGE, [(x - 70 * s, y - 14 * s), (x + 70 * s, y), (x - 70 * s, y + 14 * s)])
    c.poly(GREEN, [(x - 70 * s, y), (x - 110 * s, y - 26 * s), (x - 96 * s, y), (x - 110 * s, y + 26 * s)])


def tomato(c: Canvas, x, y, r=40) -> None:
    c.circle(RED, x, y, r)
    c.poly(GREEN, [(x - r * 0.5, y - r * 0.85), (x, y - r * 0.6), (x + r * 0.5, y - r * 0.85), (x, y - r * 1.1)])


def board(c: Canvas, x, y, w, h, color) -> None:
    c.rect(color, x, y, w, h, 26)
    c.circle(CREAM, x + w - 40, y + 40, 14)


def thermometer(c: Canvas, x, y, h=260, level=0.4, color=BLUE) -> None:
    c.rect(WHITE, x - 22, y, 44, h, 22)
    c.frame(GREY, x - 22, y, 44, h, 4, 22)
    c.circle(color, x, y + h + 10, 38)
    c.rect(color, x - 10, y + h * (1 - level), 20, h * level + 10, 10)
    for i in range(5):
        c.rect(GREY, x + 22, y + 30 + i * (h - 60) / 4, 20, 5)


def pot(c: Canvas, x, y, s=1.0) -> None:
    c.rect(GREY, x - 150 * s, y - 130 * s, 300 * s, 130 * s, 24 * s)
    c.rect(INK, x - 170 * s, y - 140 * s, 340 * s, 22 * s, 10 * s)
    c.line(INK, (x - 170 * s, y - 90 * s), (x - 215 * s, y - 90 * s), 16 * s)
    c.line(INK, (x + 170 * s, y - 90 * s), (x + 215 * s, y - 90 * s), 16 * s)
    for i, dx in enumerate((-80, 0, 80)):
        c.soft(WHITE, x + dx * s, y - (200 + 30 * i) * s, 40 * s, 160)


def tree(c: Canvas, x, y_ground, s=1.0) -> None:
    c.rect(WOOD_DARK, x - 16 * s, y_ground - 140 * s, 32 * s, 140 * s, 6)
    c.circle(GREEN, x, y_ground - 190 * s, 90 * s)
    c.circle(GRASS_DARK, x - 50 * s, y_ground - 150 * s, 60 * s)
    c.circle(GRASS_DARK, x + 55 * s, y_ground - 160 * s, 55 * s)


def bicycle(c: Canvas, x, y, s=1.0, color=TEAL) -> None:
    """A bicycle with wheels resting on y."""
    r = 70 * s
    for wx in (x - 110 * s, x + 110 * s):
        c.circle(INK, wx, y - r, r, 10 * s)
        c.circle(INK, wx, y - r, 8 * s)
    hub, crank = (x - 110 * s, y - r), (x, y - r)
    seat, bar = (x - 40 * s, y - r - 110 * s), (x + 80 * s, y - r - 120 * s)
    c.polyline(color, [hub, crank, seat, hub], 12 * s)
    c.polyline(color, [crank, (x + 60 * s, y - r - 100 * s), seat], 12 * s)
    c.line(color, (x + 60 * s, y - r - 100 * s), (x + 110 * s, y - r), 12 * s)
    c.line(INK, seat, (seat[0] - 10 * s, seat[1] - 20 * s), 10 * s)
    c.rect(INK, seat[0] - 40 * s, seat[1] - 34 * s, 60 * s, 16 * s, 8 * s)
    c.line(INK, (x + 60 * s, y - r - 100 * s), bar, 10 * s)


def bus(c: Canvas, x, y, s=1.0, color=GREEN) -> None:
    """A city bus resting on y."""
    c.rect(color, x, y - 250 * s, 560 * s, 210 * s, 36 * s)
    for i in range(5):
        c.rect(SKY, x + 30 * s + i * 100 * s, y - 220 * s, 80 * s, 80 * s, 10 * s)
    c.rect(WHITE, x + 30 * s, y - 120 * s, 500 * s, 14 * s, 6 * s)
    for wx in (x + 110 * s, x + 450 * s):
        c.circle(INK, wx, y - 40 * s, 40 * s)
        c.circle(GREY, wx, y - 40 * s, 16 * s)


def bin_(c: Canvas, x, y_floor, color, symbol: str, w=180, h=240) -> None:
    """A sorting bin; the symbol is a shape, not a word."""
    c.rect(color, x, y_floor - h, w, h, 18)
    c.rect(tuple(max(0, v - 40) for v in color), x - 12, y_floor - h - 30, w + 24, 36, 12)
    cx, cy = x + w / 2, y_floor - h / 2
    if symbol == "recycle":
        for i in range(3):
            a = -math.pi / 2 + i * 2 * math.pi / 3
            b = a + 2 * math.pi / 3 - 0.5
            c.line(
                WHITE,
                (cx + 50 * math.cos(a), cy + 50 * math.sin(a)),
                (cx + 50 * math.cos(b), cy + 50 * math.sin(b)),
                14,
            )
            c.circle(WHITE, cx + 50 * math.cos(b), cy + 50 * math.sin(b), 14)
    elif symbol == "hazard":
        c.poly(WHITE, [(cx, cy - 60), (cx + 62, cy + 48), (cx - 62, cy + 48)])
        c.rect(color, cx - 7, cy - 25, 14, 44, 6)
        c.circle(color, cx, cy + 32, 8)
    elif symbol == "food":
        c.ellipse(WHITE, cx - 40, cy - 50, 80, 110)
        c.line(GREEN, (cx, cy - 50), (cx + 20, cy - 80), 10)
        c.ellipse(GREEN, cx + 10, cy - 96, 50, 28)
    else:
        c.circle(WHITE, cx, cy, 52, 12)
        c.rect(WHITE, cx - 40, cy - 6, 80, 12)


def lightbulb(c: Canvas, x, y, s=1.0, on=True) -> None:
    if on:
        c.soft(YELLOW, x, y, 120 * s, 90)
    c.circle(YELLOW if on else LIGHT_GREY, x, y, 70 * s)
    c.rect(YELLOW if on else LIGHT_GREY, x - 36 * s, y + 20 * s, 72 * s, 70 * s, 12 * s)
    c.rect(GREY, x - 34 * s, y + 90 * s, 68 * s, 40 * s, 8 * s)
    c.rect(INK, x - 20 * s, y + 130 * s, 40 * s, 14 * s, 6 * s)


def plug(c: Canvas, x, y, s=1.0) -> None:
    c.rect(WHITE, x - 50 * s, y - 60 * s, 100 * s, 90 * s, 16 * s)
    c.frame(GREY, x - 50 * s, y - 60 * s, 100 * s, 90 * s, 4 * s, 16 * s)
    c.rect(GREY, x - 26 * s, y - 100 * s, 12 * s, 40 * s, 4 * s)
    c.rect(GREY, x + 14 * s, y - 100 * s, 12 * s, 40 * s, 4 * s)
    c.polyline(INK, [(x, y + 30 * s), (x, y + 90 * s), (x + 80 * s, y + 120 * s)], 10 * s)


def tap(c: Canvas, x, y, s=1.0, dripping=True) -> None:
    c.rect(GREY, x - 120 * s, y - 40 * s, 140 * s, 40 * s, 16 * s)
    c.rect(GREY, x - 10 * s, y - 40 * s, 40 * s, 90 * s, 12 * s)
    c.rect(INK, x - 90 * s, y - 70 * s, 60 * s, 30 * s, 10 * s)
    if dripping:
        for i in range(3):
            c.circle(SKY_DEEP, x + 10 * s, y + (80 + i * 55) * s, 14 * s)


def air_conditioner(c: Canvas, x, y, w=420, h=130) -> None:
    c.rect(WHITE, x, y, w, h, 24)
    c.frame(LIGHT_GREY, x, y, w, h, 4, 24)
    c.rect(LIGHT_GREY, x + 30, y + h - 36, w - 60, 12, 6)
    c.circle(GREEN, x + w - 40, y + 30, 8)


def tv(c: Canvas, x, y, w=380, h=230, standby=True) -> None:
    c.rect(INK, x, y, w, h, 14)
    c.rect((40, 46, 60), x + 12, y + 12, w - 24, h - 24, 6)
    c.rect(INK, x + w / 2 - 10, y + h, 20, 40)
    c.rect(INK, x + w / 2 - 80, y + h + 36, 160, 14, 6)
    if standby:
        c.circle(RED, x + w - 26, y + h - 10, 7)


def earth(c: Canvas, x, y, r=200) -> None:
    c.circle(SKY_DEEP, x, y, r)
    c.poly(
        GREEN,
        [
            (x - r * 0.6, y - r * 0.5),
            (x - r * 0.1, y - r * 0.7),
            (x + r * 0.1, y - r * 0.3),
            (x - r * 0.2, y),
            (x - r * 0.5, y + r * 0.1),
            (x - r * 0.75, y - r * 0.2),
        ],
    )
    c.poly(
        GREEN,
        [
            (x + r * 0.2, y + r * 0.1),
            (x + r * 0.7, y - r * 0.1),
            (x + r * 0.8, y + r * 0.3),
            (x + r * 0.4, y + r * 0.7),
            (x + r * 0.15, y + r * 0.5),
        ],
    )


def leaf(c: Canvas, x, y, s=1.0, color=GREEN) -> None:
    c.ellipse(color, x - 90 * s, y - 40 * s, 180 * s, 80 * s)
    c.line(GRASS_DARK, (x - 110 * s, y + 10 * s), (x + 80 * s, y), 8 * s)


def plate(c: Canvas, x, y, r=140, clean=True) -> None:
    c.ellipse(LIGHT_GREY, x - r, y - r * 0.45, r * 2, r * 0.9)
    c.ellipse(WHITE, x - r * 0.8, y - r * 0.35, r * 1.6, r * 0.7)
    if not clean:
        for dx, dy in ((-30, -5), (20, 10), (40, -15)):
            c.ellipse(ORANGE, x + dx - 25, y + dy - 10, 50, 22)


def mushroom(c: Canvas, x, y, s=1.0, cap=RED) -> None:
    c.rect(CREAM, x - 22 * s, y - 110 * s, 44 * s, 110 * s, 14 * s)
    c.ellipse(cap, x - 90 * s, y - 170 * s, 180 * s, 100 * s)
    for dx, dy in ((-40, -140), (10, -150), (45, -125), (-5, -115)):
        c.circle(WHITE, x + dx * s, y + dy * s, 11 * s)


def hands_washing(c: Canvas, x, y) -> None:
    tap(c, x + 40, y - 220, 1.2, dripping=False)
    for i in range(4):
        c.line(SKY_DEEP, (x + 52 + i * 6, y - 150), (x + 40 + i * 10, y - 40), 6)
    c.ellipse(SKIN, x - 110, y - 90, 170, 90)
    c.ellipse(SKIN_2, x + 10, y - 95, 170, 90)
    for dx, dy, r in ((-60, -110, 26), (-20, -130, 20), (150, -110, 24), (110, -60, 18), (30, -40, 22)):
        c.soft(WHITE, x + dx, y + dy, r, 220)
    c.rect(WHITE, x - 120, y - 10, 360, 30, 14)


# -- earthquake-fire-safety ------------------------------------------------------


def quake_attract() -> Canvas:
    c = Canvas(SKY)
    sky_and_ground(c, 700)
    sun(c, 1400, 150)
    cloud(c, 180, 140)
    cloud(c, 900, 110, 0.8)
    building(c, 120, 700, 340, 520, cracked=True)
    building(c, 1140, 700, 300, 440, (214, 222, 236))
    shield(c, 800, 380, 1.9, GREEN)
    person(c, 560, 820, 0.9, RED, pose="wave")
    person(c, 1020, 830, 0.75, YELLOW, pose="stand")
    person(c, 1110, 830, 0.55, TEAL, skin=SKIN_2, pose="wave")
    return c


def quake_drop_cover() -> Canvas:
    c = Canvas()
    room(c)
    window(c, 1180, 120)
    cross(c, 1320, 270, 50)
    lamp(c, 300, 0, 120)
    table(c, 420, 690, 760, 330)
    person(c, 800, 684, 1.35, BLUE, pose="crouch")
    for i in range(3):
        c.polyline(GREY, [(80 + i * 30, 380 + i * 40), (110 + i * 30, 360 + i * 40), (140 + i * 30, 390 + i * 40)], 6)
        c.polyline(
            GREY, [(1480 - i * 30, 400 + i * 40), (1510 - i * 30, 380 + i * 40), (1540 - i * 30, 410 + i * 40)], 6
        )
    return c


def quake_no_lift() -> Canvas:
    c = Canvas((232, 236, 244))
    c.rect((220, 210, 196), 0, 720, W, 180)
    c.rect(LIGHT_GREY, 240, 120, 520, 600, 12)
    c.rect(GREY, 270, 160, 225, 560)
    c.rect(GREY, 505, 160, 225, 560)
    c.poly(INK, [(770, 300), (800, 260), (830, 300)])
    c.poly(INK, [(770, 330), (800, 370), (830, 330)])
    cross(c, 500, 420, 120)
    # The stairs are the way out.
    c.rect(GREEN, 1000, 150, 420, 570, 12)
    for i in range(7):
        c.rect((60, 150, 90), 1040 + i * 50, 660 - i * 70, 340 - i * 50, 60)
    person(c, 1150, 710, 0.7, ORANGE, pose="stand")
    tick(c, 1210, 230, 60)
    return c


def quake_open_area() -> Canvas:
    c = Canvas(SKY)
    sky_and_ground(c, 560)
    building(c, 40, 560, 280, 420, cracked=True)
    c.line(INK, (1400, 560), (1400, 200), 10)
    c.line(INK, (1320, 230), (1480, 230), 8)
    c.polyline(INK, [(1320, 230), (1100, 300), (900, 250)], 4)
    tree(c, 1230, 560, 0.8)
    for i, (x, color) in enumerate(((620, RED), (760, BLUE), (880, YELLOW), (1000, TEAL))):
        person(
            c,
            x,
            800 + (i % 2) * 20,
            0.75 - 0.1 * (i % 2),
            color,
            skin=SKIN if i % 2 else SKIN_2,
            pose="stand" if i % 2 else "wave",
        )
    c.frame(WHITE, 560, 560, 540, 300, 8, 30)
    return c


def fire_call() -> Canvas:
    c = Canvas((255, 238, 226))
    flame(c, 360, 760, 2.2)
    c.rect((240, 210, 190), 0, 760, W, 140)
    phone(c, 680, 160, 300, 560, (255, 255, 255))
    for i in range(4):
        for j in range(3):
            c.circle(LIGHT_GREY, 750 + j * 80, 330 + i * 80, 30)
    c.circle(GREEN, 830, 650, 36)
    # An alarm bell: call 119 at once.
    c.soft(RED, 1180, 300, 170, 60)
    c.circle(RED, 1180, 300, 120)
    c.poly(WHITE, [(1120, 350), (1135, 260), (1160, 235), (1200, 235), (1225, 260), (1240, 350)])
    c.rect(WHITE, 1100, 340, 160, 24, 12)
    c.circle(WHITE, 1180, 380, 18)
    person(c, 1300, 820, 0.9, BLUE, pose="phone")
    return c


def fire_smoke() -> Canvas:
    c = Canvas(WALL)
    c.rect(FLOOR, 0, 720, W, 180)
    for i in range(14):
        c.soft((110, 110, 120), 60 + i * 115, 140 + (i % 3) * 50, 150, 150)
    c.soft((110, 110, 120), 800, 250, 400, 70)
    # Exit pictogram: a green sign with a running figure, no words needed.
    c.rect(GREEN, 1270, 470, 250, 130, 12)
    c.circle(WHITE, 1350, 500, 16)
    c.polyline(WHITE, [(1350, 515), (1340, 555), (1320, 585)], 10)
    c.polyline(WHITE, [(1340, 555), (1370, 585)], 10)
    c.polyline(WHITE, [(1315, 530), (1350, 525), (1380, 545)], 10)
    c.poly(WHITE, [(1420, 510), (1480, 535), (1420, 560)])
    person(c, 700, 712, 1.2, ORANGE, pose="crawl")
    c.rect(WHITE, 775, 560, 55, 42, 10)  # wet towel over nose and mouth
    c.rect(SKY_DEEP, 775, 585, 55, 8)
    c.poly(GREEN, [(1000, 660), (1180, 660), (1180, 630), (1240, 680), (1180, 730), (1180, 700), (1000, 700)])
    return c


def quake_room() -> Canvas:
    """Hotspots: a living room with safe and unsafe places (positions match pack.toml rects)."""
    c = Canvas()
    room(c)
    window(c, 100, 140, 300, 330)  # spot "window": x 0.05-0.27, y 0.13-0.55
    lamp(c, 700, 0, 110)  # spot "lamp": x 0.40-0.48, y 0.0-0.20
    bookshelf(c, 1260, 680, 260, 470)  # spot "shelf": x 0.78-0.96, y 0.22-0.76
    table(c, 520, 680, 460, 210)  # spot "table": x 0.31-0.63, y 0.50-0.77
    stove_x = 1010  # spot "gas": x 0.62-0.79, y 0.50-0.77
    stove(c, stove_x, 680, 230, 200)
    c.soft(SKY, 1125, 430, 40, 160)
    c.rect(GREEN, 40, 600, 120, 60, 8)  # spot "exit": the way out, x 0.02-0.11
    c.poly(WHITE, [(70, 615), (130, 630), (70, 645)])
    c.rect(WOOD_DARK, 30, 690, 150, 190, 6)
    return c


# -- food-safety-home ------------------------------------------------------------


def food_attract() -> Canvas:
    c = Canvas((232, 246, 236))
    c.rect((210, 230, 214), 0, 700, W, 200)
    fridge(c, 120, 120, 360, 580, open_=False)
    c.rect(GREY, 430, 260, 14, 120, 7)
    c.rect(GREY, 430, 500, 14, 120, 7)
    pot(c, 1250, 650, 1.0)
    board(c, 620, 560, 360, 130, GREEN)
    carrot(c, 760, 610, 0.8)
    tomato(c, 900, 610, 36)
    tomato(c, 1250, 300, 70)
    leaf(c, 1420, 200, 0.7)
    shield(c, 800, 300, 1.3, TEAL)
    return c


def food_wash() -> Canvas:
    c = Canvas((228, 242, 250))
    c.rect((200, 220, 236), 0, 700, W, 200)
    hands_washing(c, 700, 640)
    c.rect(WHITE, 1200, 300, 160, 260, 30)
    c.rect(TEAL, 1240, 250, 80, 60, 10)
    for i, dx in enumerate((-120, 0, 120)):
        c.soft(WHITE, 1280 + dx, 620 - i * 20, 50, 200)
    c.circle(YELLOW, 260, 280, 110)
    c.circle(INK, 260, 280, 110, 10)
    c.line(INK, (260, 280), (260, 200), 10)
    c.line(INK, (260, 280), (320, 300), 10)
    return c


def food_separate() -> Canvas:
    c = Canvas(CREAM)
    c.rect(WOOD, 0, 560, W, 340)
    board(c, 160, 330, 560, 320, RED)
    meat(c, 420, 490, 1.4)
    board(c, 880, 330, 560, 320, GREEN)
    carrot(c, 1130, 450, 1.0)
    tomato(c, 1060, 540, 50)
    tomato(c, 1260, 540, 44)
    c.rect(WHITE, 760, 200, 80, 600, 30)
    c.rect(LIGHT_GREY, 790, 220, 20, 560, 10)
    c.rect(GREY, 100, 120, 30, 160, 10)
    c.poly(LIGHT_GREY, [(130, 120), (340, 140), (340, 180), (130, 200)])
    c.rect(GREY, 1460, 120, 30, 160, 10)
    c.poly(LIGHT_GREY, [(1460, 120), (1250, 140), (1250, 180), (1460, 200)])
    return c


def food_cook() -> Canvas:
    c = Canvas((255, 240, 228))
    c.rect((236, 214, 196), 0, 720, W, 180)
    stove(c, 560, 860, 480, 140)
    pot(c, 800, 690, 1.3)
    thermometer(c, 1240, 230, 360, 0.85, RED)
    c.soft(ORANGE, 800, 760, 120, 90)
    for i in range(3):
        flame(c, 700 + i * 100, 735, 0.35)
    c.ellipse(GREEN, 140, 480, 300, 120)  # a plate of well-cooked green beans
    for i in range(6):
        c.line(GRASS_DARK, (180 + i * 38, 520), (220 + i * 38, 560), 14)
    return c


def food_fridge_temp() -> Canvas:
    c = Canvas((228, 240, 252))
    fridge(c, 560, 60, 480, 780)
    thermometer(c, 1300, 200, 380, 0.25, BLUE)
    c.soft(SKY_DEEP, 800, 200, 160, 50)
    for i in range(3):
        c.circle(WHITE, 650 + i * 140, 180, 26)
        c.line(SKY_DEEP, (650 + i * 140 - 30, 180), (650 + i * 140 + 30, 180), 6)
        c.line(SKY_DEEP, (650 + i * 140, 150), (650 + i * 140, 210), 6)
    c.rect(YELLOW, 620, 350, 160, 80, 12)  # leftovers in a covered box
    c.rect(ORANGE, 620, 340, 160, 20, 8)
    meat(c, 900, 700, 0.9)
    c.frame(GREY, 810, 650, 180, 100, 5, 14)  # raw meat in a container on the bottom shelf
    carrot(c, 700, 560, 0.6)
    tomato(c, 880, 555, 32)
    c.rect(WHITE, 180, 520, 220, 240, 20)
    c.circle(ORANGE, 290, 620, 70)
    c.circle(INK, 290, 620, 70, 8)
    c.line(INK, (290, 620), (290, 570), 8)
    c.line(INK, (290, 620), (330, 640), 8)
    return c


def food_mushroom() -> Canvas:
    c = Canvas(SKY)
    sky_and_ground(c, 600, ground=GRASS_DARK)
    tree(c, 200, 600, 1.4)
    tree(c, 1420, 600, 1.2)
    mushroom(c, 650, 760, 1.6, RED)
    mushroom(c, 880, 780, 1.1, (240, 220, 200))
    mushroom(c, 1030, 770, 1.3, ORANGE)
    cross(c, 850, 260, 110)
    return c


def food_fridge_spots() -> Canvas:
    """Hotspots: where food belongs in a fridge (positions match pack.toml rects)."""
    c = Canvas((236, 242, 250))
    fridge(c, 400, 40, 800, 820)
    _fx, fy, _fw, fh = 400, 40, 800, 820
    # Freezer: frozen packs (spot "freezer": x 0.25-0.75, y 0.04-0.30).
    for i in range(4):
        c.rect((170, 210, 240), 460 + i * 170, 100, 140, 130, 14)
    shelf = (fh * 0.7 - 48) / 4
    top = fy + fh * 0.3 + 24
    # Shelf 1: leftovers, covered (spot "leftovers").
    c.rect(YELLOW, 460, top + shelf - 95, 220, 80, 12)
    c.rect(ORANGE, 460, top + shelf - 105, 220, 20, 8)
    c.rect(GREEN, 720, top + shelf - 95, 200, 80, 12)
    c.rect(GRASS_DARK, 720, top + shelf - 105, 200, 20, 8)
    # Shelf 2: thermometer (spot "thermo").
    thermometer(c, 1000, top + shelf + 10, 100, 0.3, BLUE)
    c.rect(WHITE, 480, top + 2 * shelf - 110, 140, 90, 18)
    # Shelf 3: raw meat, boxed, lowest (spot "raw").
    meat(c, 640, top + 3 * shelf + 55, 0.9)
    c.frame(GREY, 540, top + 3 * shelf + 10, 200, 100, 5, 14)
    # Crisper: vegetables (spot "veg").
    carrot(c, 850, top + 3 * shelf + 60, 0.7)
    tomato(c, 1040, top + 3 * shelf + 60, 34)
    # Door side: sauces on a side rack (spot "door").
    c.rect((225, 232, 240), 1210, 320, 150, 520, 20)
    for i, col in enumerate((RED, ORANGE, GREEN)):
        c.rect(col, 1240, 360 + i * 160, 90, 120, 14)
    return c


# -- phone-scam-seniors ------------------------------------------------------------


def scam_attract() -> Canvas:
    c = Canvas((236, 232, 250))
    c.rect((220, 214, 240), 0, 720, W, 180)
    person(c, 420, 840, 1.1, (150, 110, 190), elder=True, pose="phone")
    person(c, 600, 840, 0.9, TEAL, skin=SKIN_2, elder=True, pose="wave")
    phone(c, 900, 160, 300, 560)
    shield(c, 1050, 440, 1.3, GREEN)
    lock(c, 1350, 300, 1.0)
    cloud(c, 150, 140, 0.9)
    return c


def scam_safe_account() -> Canvas:
    c = Canvas((250, 236, 236))
    x, y, w, h = phone(c, 180, 160, 320, 600)
    c.circle((70, 90, 150), x + w / 2, y + 120, 70)  # a caller pretending to be an official
    shield(c, x + w / 2, y + 120, 0.45, YELLOW)
    c.circle(RED, x + 70, y + h - 70, 34)
    c.circle(GREEN, x + w - 70, y + h - 70, 34)
    # Money flowing to a "safe account" that does not exist.
    c.rect(YELLOW, 680, 380, 220, 130, 16)
    c.circle(ORANGE, 790, 445, 40)
    c.poly(RED, [(940, 410), (1080, 410), (1080, 370), (1160, 445), (1080, 520), (1080, 480), (940, 480)])
    c.rect(GREY, 1200, 300, 260, 300, 20)
    lock(c, 1330, 470, 0.9, GREY)
    cross(c, 1050, 200, 90)
    return c


def scam_code() -> Canvas:
    c = Canvas((232, 244, 252))
    x, y, w, _h = phone(c, 640, 120, 320, 640)
    for i in range(6):
        c.rect(WHITE, x + 20 + i * 46, y + 200, 36, 56, 8)
        c.frame(BLUE, x + 20 + i * 46, y + 200, 36, 56, 3, 8)
        c.circle(INK, x + 38 + i * 46, y + 228, 7)
    lock(c, x + w / 2, y + 420, 1.0, ORANGE)
    bubble(c, 1120, 240, 320, 120, (255, 220, 214), lines=2)
    c.circle(GREY, 1080, 380, 40)
    cross(c, 1290, 480, 70)
    person(c, 340, 820, 1.0, (150, 110, 190), elder=True, pose="stand")
    c.rect(RED, 420, 420, 70, 70, 14)  # hand up: stop
    return c


def scam_hangup() -> Canvas:
    c = Canvas((232, 248, 236))
    x, y, w, h = phone(c, 220, 160, 300, 580)
    c.circle(RED, x + w / 2, y + h / 2 + 40, 70)
    c.rect(WHITE, x + w / 2 - 45, y + h / 2 + 28, 90, 24, 12)
    c.poly(INK, [(620, 420), (760, 420), (760, 380), (840, 450), (760, 520), (760, 480), (620, 480)])
    x2, y2, w2, h2 = phone(c, 900, 160, 300, 580)
    for i in range(4):
        for j in range(3):
            c.circle(LIGHT_GREY, x2 + 55 + j * 80, y2 + 160 + i * 80, 28)
    c.circle(GREEN, x2 + w2 / 2, y2 + h2 - 60, 40)
    shield(c, 1400, 360, 1.0, BLUE)
    person(c, 1400, 840, 0.75, ORANGE, skin=SKIN_2, pose="wave")
    return c


def scam_family() -> Canvas:
    c = Canvas((252, 242, 228))
    c.rect((236, 220, 200), 0, 720, W, 180)
    person(c, 360, 840, 1.0, (150, 110, 190), elder=True, pose="phone")
    bubble(c, 470, 200, 300, 120, WHITE, lines=2, left=True)
    c.poly(INK, [(820, 380), (960, 380), (960, 340), (1040, 410), (960, 480), (960, 440), (820, 440)])
    person(c, 1240, 840, 1.0, BLUE, pose="phone")
    bubble(c, 900, 180, 300, 120, (214, 240, 220), lines=2, left=False)
    tick(c, 1240, 260, 60)
    for dx in (-60, 0, 60):
        c.circle(RED, 800 + dx, 620, 22)  # hearts: the family, not the stranger
    return c


def scam_phone_spots() -> Canvas:
    """Hotspots: warning signs on a phone screen (positions match pack.toml rects)."""
    c = Canvas((236, 238, 248))
    x, y, w, _h = phone(c, 480, 20, 640, 860)
    # Caller banner with an unknown number (spot "unknown": y 0.10-0.20).
    c.rect((255, 226, 214), x + 20, y + 20, w - 40, 70, 16)
    c.circle(GREY, x + 60, y + 55, 24)
    for i in range(8):
        c.rect(INK, x + 110 + i * 34, y + 45, 22, 22, 6)
    # A message with a link (spot "link": y 0.22-0.38).
    bubble(c, x + 30, y + 120, w - 120, 110, WHITE, lines=2)
    c.rect(BLUE, x + 50, y + 190, 300, 14, 7)
    # A request for the verification code (spot "code": y 0.40-0.55).
    for i in range(6):
        c.rect(WHITE, x + 60 + i * 80, y + 270, 60, 80, 10)
        c.frame(RED, x + 60 + i * 80, y + 270, 60, 80, 4, 10)
    # A countdown: pressure to act now (spot "timer").
    c.circle(WHITE, x + w - 80, y + 460, 50)
    c.circle(RED, x + w - 80, y + 460, 50, 8)
    c.line(RED, (x + w - 80, y + 460), (x + w - 80, y + 425), 8)
    c.line(RED, (x + w - 80, y + 460), (x + w - 55, y + 475), 8)
    # Screen-sharing prompt (spot "share").
    c.rect((214, 224, 250), x + 30, y + 400, 380, 120, 16)
    c.rect(BLUE, x + 60, y + 430, 80, 60, 8)
    c.poly(BLUE, [(x + 160, y + 440), (x + 210, y + 460), (x + 160, y + 480)])
    c.rect(BLUE, x + 230, y + 430, 80, 60, 8)
    # A big "transfer" button (spot "transfer": y 0.68-0.80).
    c.rect(RED, x + 60, y + 570, w - 120, 90, 45)
    c.circle(YELLOW, x + 120, y + 615, 26)
    return c


# -- low-carbon-living -------------------------------------------------------------


def carbon_attract() -> Canvas:
    c = Canvas(SKY)
    sky_and_ground(c, 680)
    earth(c, 800, 380, 230)
    leaf(c, 930, 160, 0.9)
    sun(c, 1400, 150)
    tree(c, 200, 680, 1.2)
    tree(c, 1450, 680, 1.0)
    bicycle(c, 420, 860, 0.9)
    bus(c, 980, 860, 0.75)
    return c


def carbon_travel() -> Canvas:
    c = Canvas(SKY)
    sky_and_ground(c, 620, ground=LIGHT_GREY)
    c.rect(GREY, 0, 760, W, 20)
    for i in range(8):
        c.rect(WHITE, 40 + i * 200, 820, 110, 14, 6)
    building(c, 60, 620, 260, 380)
    building(c, 1300, 620, 240, 320, (214, 222, 236))
    tree(c, 420, 620, 0.8)
    bus(c, 700, 760, 1.0, GREEN)
    bicycle(c, 360, 760, 1.0)
    person(c, 360, 620, 0.6, RED, pose="stand")
    person(c, 1460, 790, 0.7, YELLOW, skin=SKIN_2, pose="wave")
    cloud(c, 200, 140)
    cloud(c, 1000, 100, 0.8)
    return c


def carbon_power() -> Canvas:
    c = Canvas(WALL)
    c.rect(FLOOR, 0, 740, W, 160)
    air_conditioner(c, 160, 120)
    thermometer(c, 260, 330, 240, 0.55, ORANGE)
    lightbulb(c, 800, 320, 1.3, on=True)
    c.soft(WHITE, 800, 300, 60, 120)
    tv(c, 1100, 300, 380, 230, standby=True)
    plug(c, 1290, 640, 1.0)
    cross(c, 1480, 300, 40)
    return c


def carbon_food() -> Canvas:
    c = Canvas(CREAM)
    c.rect(WOOD, 0, 560, W, 340)
    plate(c, 520, 620, 200, clean=True)
    tick(c, 520, 370, 60)
    plate(c, 1080, 620, 200, clean=False)
    c.rect(INK, 1280, 500, 12, 200, 6)  # chopsticks
    c.rect(INK, 1305, 500, 12, 200, 6)
    c.rect(WHITE, 760, 300, 80, 120, 16)  # a takeaway box for leftovers
    c.rect(LIGHT_GREY, 750, 290, 100, 24, 10)
    return c


def carbon_sorting() -> Canvas:
    c = Canvas((232, 246, 236))
    c.rect((208, 226, 212), 0, 700, W, 200)
    # China's four categories and their standard colours (GB/T 19095-2019).
    bin_(c, 170, 760, BLUE, "recycle")
    bin_(c, 530, 760, RED, "hazard")
    bin_(c, 890, 760, GREEN, "food")
    bin_(c, 1250, 760, GREY, "other")
    c.rect(SKY_DEEP, 220, 200, 70, 150, 18)  # a bottle
    c.rect(WHITE, 580, 220, 80, 120, 10)  # a battery
    c.rect(GREY, 600, 200, 40, 20, 6)
    c.ellipse(YELLOW, 930, 240, 110, 60)  # a banana peel
    c.rect((200, 190, 180), 1290, 230, 110, 90, 10)  # a used tissue
    return c


def carbon_water() -> Canvas:
    c = Canvas((228, 242, 252))
    c.rect((200, 224, 240), 0, 660, W, 240)
    tap(c, 520, 300, 2.0, dripping=True)
    c.ellipse(WHITE, 300, 660, 500, 120)
    c.ellipse(SKY_DEEP, 340, 680, 420, 80)
    c.rect(SKY, 1000, 380, 200, 300, 20)  # a basin of reused water for the plants
    tree(c, 1340, 680, 0.7)
    c.line(SKY_DEEP, (1200, 420), (1290, 470), 10)
    return c


def carbon_home_spots() -> Canvas:
    """Hotspots: energy at home (positions match pack.toml rects)."""
    c = Canvas(WALL)
    c.rect(FLOOR, 0, 720, W, 180)
    air_conditioner(c, 90, 80, 380, 120)  # spot "ac": x 0.05-0.30, y 0.08-0.24
    window(c, 640, 90, 320, 300)  # spot "window": x 0.39-0.61, y 0.08-0.46
    sun(c, 800, 240, 50)
    lightbulb(c, 1300, 190, 0.7, on=True)  # spot "light": x 0.76-0.87, y 0.07-0.38
    tv(c, 110, 400, 360, 220, standby=True)  # spot "tv": x 0.06-0.30, y 0.44-0.74
    c.rect(WOOD, 90, 670, 400, 50, 10)
    plug(c, 560, 620, 0.7)  # spot "plug": x 0.31-0.40, y 0.58-0.80
    fridge(c, 1140, 420, 220, 300, open_=False)  # spot "fridge": x 0.70-0.87, y 0.46-0.81
    tap(c, 900, 560, 0.9, dripping=True)  # spot "tap": x 0.47-0.62, y 0.55-0.80
    c.rect(WHITE, 760, 640, 240, 80, 14)
    return c


PACKS: dict[str, dict[str, Callable[[], Canvas]]] = {
    "earthquake-fire-safety": {
        "attract": quake_attract,
        "drop-cover-hold": quake_drop_cover,
        "no-lift": quake_no_lift,
        "open-area": quake_open_area,
        "fire-call": fire_call,
        "smoke": fire_smoke,
        "room": quake_room,
    },
    "food-safety-home": {
        "attract": food_attract,
        "wash": food_wash,
        "separate": food_separate,
        "cook": food_cook,
        "fridge-temp": food_fridge_temp,
        "mushroom": food_mushroom,
        "fridge": food_fridge_spots,
    },
    "phone-scam-seniors": {
        "attract": scam_attract,
        "safe-account": scam_safe_account,
        "code": scam_code,
        "hang-up": scam_hangup,
        "family": scam_family,
        "phone": scam_phone_spots,
    },
    "low-carbon-living": {
        "attract": carbon_attract,
        "travel": carbon_travel,
        "power": carbon_power,
        "food": carbon_food,
        "sorting": carbon_sorting,
        "water": carbon_water,
        "home": carbon_home_spots,
    },
}


def main(argv: list[str] | None = None) -> int:
    """Draw every sample image (or one pack's) and report sizes."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=sorted(PACKS), help="draw just this pack")
    parser.add_argument("--out", type=Path, default=SAMPLES, help="samples folder (default: content_packs/samples)")
    args = parser.parse_args(argv)
    pygame.display.init()
    try:
        for pack, images in PACKS.items():
            if args.only and pack != args.only:
                continue
            for name, draw in images.items():
                path = args.out / pack / "media" / f"{name}.png"
                draw().save(path)
                print(f"{path.relative_to(args.out)}  {path.stat().st_size // 1024} KB")
    finally:
        pygame.quit()
    return 0


if __name__ == "__main__":
    sys.exit(main())
