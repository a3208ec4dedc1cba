"""Icons drawn with shapes: the CJK font has no emoji, and shapes scale to any screen.

Each function draws into `rect` (its square centre) in the given colours; geometry is
defined on a unit square so one design serves a 40-pixel badge and a 400-pixel button.
"""

from __future__ import annotations

import math

import pygame

Color = tuple[int, int, int]
_cache: dict[tuple, pygame.Surface] = {}


def _square(rect: pygame.Rect, fill: float = 1.0) -> pygame.Rect:
    side = max(4, round(min(rect.width, rect.height) * fill))
    square = pygame.Rect(0, 0, side, side)
    square.center = rect.center
    return square


def _cached(key: tuple, side: int, draw) -> pygame.Surface:
    surface = _cache.get(key)
    if surface is None:
        if len(_cache) > 256:
            _cache.clear()
        surface = pygame.Surface((side, side), pygame.SRCALPHA)
        draw(surface, side)
        _cache[key] = surface
    return surface


def _thumb_up(surface: pygame.Surface, s: int, color: Color) -> None:
    def p(x: float, y: float) -> tuple[int, int]:
        return round(x * s), round(y * s)

    def r(x0: float, y0: float, x1: float, y1: float) -> pygame.Rect:
        return pygame.Rect(*p(x0, y0), round((x1 - x0) * s), round((y1 - y0) * s))

    clear = (0, 0, 0, 0)
    # Cuff of the sleeve, then the fist, then the raised thumb.
    pygame.draw.rect(surface, color, r(0.08, 0.46, 0.27, 0.93), border_radius=round(0.04 * s))
    pygame.draw.rect(surface, color, r(0.31, 0.42, 0.88, 0.93), border_radius=round(0.11 * s))
    pygame.draw.polygon(surface, color, [p(0.31, 0.50), p(0.41, 0.16), p(0.60, 0.16), p(0.64, 0.50)])
    pygame.draw.circle(surface, color, p(0.505, 0.17), round(0.10 * s))
    # Gaps between the folded fingers, cut out so the shape reads on any background.
    gap = max(1, round(0.028 * s))
    for y in (0.58, 0.70, 0.82):
        pygame.draw.line(surface, clear, p(0.62, y), p(0.90, y), gap)
    pygame.draw.line(surface, clear, p(0.29, 0.44), p(0.29, 0.95), gap)


def thumb(surface: pygame.Surface, rect: pygame.Rect, up: bool, color: Color) -> None:
    """👍 (up) or 👎 (down) as a filled silhouette."""
    box = _square(rect)

    def draw(target: pygame.Surface, side: int) -> None:
        _thumb_up(target, side, color)
        if not up:
            flipped = pygame.transform.flip(target, True, True)
            target.fill((0, 0, 0, 0))
            target.blit(flipped, (0, 0))

    surface.blit(_cached(("thumb", up, box.width, color), box.width, draw), box.topleft)


def check(surface: pygame.Surface, rect: pygame.Rect, color: Color, width: int | None = None) -> None:
    """✓"""
    box = _square(rect, 0.8)
    w = width or max(2, box.width // 7)
    points = [
        (box.left, box.centery),
        (box.left + box.width * 0.38, box.bottom - box.height * 0.15),
        (box.right, box.top + box.height * 0.15),
    ]
    pygame.draw.lines(surface, color, False, points, w)
    for point in points:
        pygame.draw.circle(surface, color, point, w // 2)


def cross(surface: pygame.Surface, rect: pygame.Rect, color: Color, width: int | None = None) -> None:
    """✗"""
    box = _square(rect, 0.7)
    w = width or max(2, box.width // 7)
    pygame.draw.line(surface, color, box.topleft, box.bottomright, w)
    pygame.draw.line(surface, color, box.topright, box.bottomleft, w)


def scene_icon(surface: pygame.Surface, kind: str, rect: pygame.Rect, ink: Color, paper: Color) -> None:
    """The picture for a scene type on a home tile: pages, a quiz card, a magnifier, a thumb."""
    box = _square(rect)
    s = box.width
    line = max(2, s // 16)
    if kind == "slides":
        back = pygame.Rect(0, 0, round(s * 0.62), round(s * 0.74))
        back.topleft = (box.left + round(s * 0.26), box.top + round(s * 0.06))
        front = back.move(-round(s * 0.16), round(s * 0.14))
        pygame.draw.rect(surface, ink, back, line, border_radius=line * 2)
        pygame.draw.rect(surface, paper, front, border_radius=line * 2)
        pygame.draw.rect(surface, ink, front, line, border_radius=line * 2)
        picture = pygame.Rect(
            front.left + line * 2, front.top + line * 2, front.width - line * 4, round(front.height * 0.42)
        )
        pygame.draw.rect(surface, ink, picture, border_radius=line)
        for i in range(3):
            y = picture.bottom + line * 2 + i * line * 2
            pygame.draw.line(
                surface,
                ink,
                (front.left + line * 2, y),
                (front.right - line * (3 + 3 * (i == 2)), y),
                max(1, line // 1),
            )
    elif kind == "quiz":
        bubble = pygame.Rect(0, 0, round(s * 0.86), round(s * 0.66))
        bubble.midtop = (box.centerx, box.top + round(s * 0.06))
        pygame.draw.rect(surface, ink, bubble, border_radius=round(s * 0.14))
        tail = [
            (bubble.left + s * 0.18, bubble.bottom - 2),
            (bubble.left + s * 0.14, box.bottom - s * 0.08),
            (bubble.left + s * 0.40, bubble.bottom - 2),
        ]
        pygame.draw.polygon(surface, ink, tail)
        check(surface, bubble.inflate(-s * 0.34, -s * 0.22), paper, max(2, s // 12))
    elif kind == "hotspots":
        centre = (box.left + round(s * 0.42), box.top + round(s * 0.42))
        radius = round(s * 0.30)
        handle_from = (centre[0] + radius * 0.7, centre[1] + radius * 0.7)
        pygame.draw.line(surface, ink, handle_from, (box.left + s * 0.90, box.top + s * 0.90), max(3, s // 8))
        pygame.draw.circle(surface, ink, centre, radius, max(2, s // 12))
        pygame.draw.circle(surface, ink, centre, max(2, round(s * 0.09)))
    elif kind == "rating":
        thumb(surface, box, True, ink)
    elif kind == "video":
        frame = pygame.Rect(0, 0, round(s * 0.92), round(s * 0.66))
        frame.center = box.center
        pygame.draw.rect(surface, ink, frame, border_radius=round(s * 0.12))
        play(surface, frame.inflate(-s * 0.5, -s * 0.3), paper)
    else:
        pygame.draw.circle(surface, ink, box.center, s // 3, line)


def speaker(surface: pygame.Surface, rect: pygame.Rect, color: Color, waves: int = 2) -> None:
    """🔊: narration is playing."""
    box = _square(rect, 0.9)
    s = box.width
    body = [
        (box.left, box.top + s * 0.35),
        (box.left + s * 0.22, box.top + s * 0.35),
        (box.left + s * 0.50, box.top + s * 0.10),
        (box.left + s * 0.50, box.top + s * 0.90),
        (box.left + s * 0.22, box.top + s * 0.65),
        (box.left, box.top + s * 0.65),
    ]
    pygame.draw.polygon(surface, color, body)
    width = max(2, s // 14)
    for i in range(waves):
        radius = s * (0.22 + 0.16 * i)
        arc = pygame.Rect(0, 0, radius * 2, radius * 2)
        arc.center = (round(box.left + s * 0.50), box.centery)
        pygame.draw.arc(surface, color, arc, -math.pi / 4, math.pi / 4, width)


def alert(surface: pygame.Surface, rect: pygame.Rect, color: Color, ink: Color) -> None:
    """⚠ for the emergency screen: a rounded triangle with an exclamation mark."""
    box = _square(rect)
    s = box.width
    top = (box.centerx, box.top + s * 0.06)
    left = (box.left + s * 0.02, box.bottom - s * 0.08)
    right = (box.right - s * 0.02, box.bottom - s * 0.08)
    pygame.draw.polygon(surface, color, [top, right, left])
    bar = pygame.Rect(0, 0, max(3, round(s * 0.10)), round(s * 0.38))
    bar.midtop = (box.centerx, box.top + round(s * 0.32))
    pygame.draw.rect(surface, ink, bar, border_radius=bar.width // 2)
    pygame.draw.circle(surface, ink, (box.centerx, box.top + round(s * 0.80)), max(2, round(s * 0.06)))


def star(surface: pygame.Surface, rect: pygame.Rect, color: Color) -> None:
    """★ for the quiz score."""
    box = _square(rect)
    cx, cy = box.center
    outer, inner = box.width / 2, box.width / 5
    points = []
    for i in range(10):
        radius = outer if i % 2 == 0 else inner
        angle = -math.pi / 2 + i * math.pi / 5
        points.append((cx + radius * math.cos(angle), cy + radius * math.sin(angle)))
    pygame.draw.polygon(surface, color, points)


def play(surface: pygame.Surface, rect: pygame.Rect, color: Color) -> None:
    """A play triangle, its weight centred in `rect`."""
    box = _square(rect, 0.8)
    s = box.width
    points = [(box.left + s * 0.18, box.top), (box.left + s * 0.18, box.bottom), (box.right, box.centery)]
    pygame.draw.polygon(surface, color, points)


def pause(surface: pygame.Surface, rect: pygame.Rect, color: Color) -> None:
    box = _square(rect, 0.75)
    bar = max(2, round(box.width * 0.32))
    pygame.draw.rect(surface, color, (box.left, box.top, bar, box.height), border_radius=max(1, bar // 4))
    pygame.draw.rect(surface, color, (box.right - bar, box.top, bar, box.height), border_radius=max(1, bar // 4))


def replay(surface: pygame.Surface, rect: pygame.Rect, color: Color) -> None:
    """A circular arrow: play it again."""
    import math

    box = _square(rect, 0.85)
    r = box.width // 2
    width = max(2, r // 4)
    pygame.draw.arc(surface, color, box, math.radians(100), math.radians(420), width)
    tip = (box.centerx + round(r * math.cos(math.radians(100))), box.centery - round(r * math.sin(math.radians(100))))
    a = r * 0.55
    pygame.draw.polygon(
        surface, color, [(tip[0] - a, tip[1] - a * 0.7), (tip[0] - a, tip[1] + a * 0.7), (tip[0] + a * 0.5, tip[1])]
    )
