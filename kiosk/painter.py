"""Drawing primitives over pygame: cached text, wrapped text boxes, buttons and images.

pygame enters the kiosk's drawing code here; screens describe what to draw through a
Painter. A missing or broken image draws a calm placeholder and is reported once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pygame
import pygame.freetype

from kiosk.fonts import FontFace
from kiosk.text import Fitted, fit, wrap
from kiosk.theme import Theme

log = logging.getLogger(__name__)
Color = tuple[int, int, int]
MAX_CACHED_PIXELS = 25_000_000  # scaled images kept across frames (4 bytes each)


def blit_ready(surface: pygame.Surface, alpha: bool) -> pygame.Surface:
    """`surface` in the pixel format frames are drawn in, so blitting it needs no per-pixel conversion.

    freetype renders text as ABGR and PNGs decode as RGBA, while frames are XRGB (the display's
    format, or the GPU path's 32-bit canvas): blitting those converts every pixel, a few ms for
    one line of large text at 1920×1080. Without alpha, a blit is a plain copy.
    """
    if pygame.display.get_surface() is not None:
        return surface.convert_alpha() if alpha else surface.convert()
    # No display surface (the GPU path draws into an ordinary 32-bit surface; tests): that format.
    return surface.convert(pygame.Surface((1, 1), pygame.SRCALPHA if alpha else 0, 32))


def is_opaque(surface: pygame.Surface) -> bool:
    """True when every pixel is fully opaque (most photographs, even when saved with an alpha channel)."""
    if surface.get_colorkey() is not None:
        return False
    if not surface.get_flags() & pygame.SRCALPHA:
        return True
    w, h = surface.get_size()
    return pygame.mask.from_surface(surface, 254).count() == w * h


@dataclass(frozen=True)
class TextBox:
    rect: pygame.Rect
    size: int
    lines: list[str]


@dataclass(frozen=True)
class DrawnText:
    """What one draw_text call did, kept when `Painter.record` is on (layout tests)."""

    text: str
    rect: pygame.Rect
    size: int  # the size drawn, after shrinking to fit
    requested: int
    min_size: int
    line_widths: tuple[int, ...]
    height: int  # lines × line height

    @property
    def fits(self) -> bool:
        return all(w <= self.rect.width for w in self.line_widths) and self.height <= self.rect.height


class Painter:
    """One per display; caches glyph runs and scaled images across frames."""

    def __init__(
        self, regular: FontFace, bold: FontFace | None = None, on_error: Callable[[str, str], None] | None = None
    ):
        pygame.freetype.init()
        self._faces = {False: regular, True: bold or regular}
        self._fonts: dict[bool, pygame.freetype.Font] = {}
        self._text_cache: dict[tuple, pygame.Surface] = {}
        self._layouts: dict[tuple, TextBox] = {}
        self._widths: dict[tuple[str, int, bool], int] = {}
        self._images: dict[tuple, pygame.Surface] = {}
        self._veils: dict[tuple, tuple[int, pygame.Surface]] = {}  # veiled strips: (first row, strip)
        self._originals: dict[str, pygame.Surface] = {}
        self._failed: dict[str, str] = {}
        self._image_pixels = 0
        self._converted: set[str] = set()
        self._opaque: set[str] = set()  # converted originals without transparency
        self._reported: set[str] = set()
        self.on_error = on_error or (lambda kind, detail: None)
        self.record = False  # when True, every draw_text appends to `drawn`
        self.drawn: list[DrawnText] = []
        # Layout checks only: lay text and images out (and record them) without rasterising.
        self.dry = False

    # -- text ------------------------------------------------------------

    def font(self, bold: bool = False) -> pygame.freetype.Font:
        """One face object per weight, opened once; sizes are passed per call."""
        font = self._fonts.get(bold)
        if font is None:
            face = self._faces[bold]
            font = pygame.freetype.Font(str(face.path), 24, font_index=face.index)
            font.pad = True
            self._fonts[bold] = font
        return font

    def warm(self) -> Painter:
        """Open the font files now (e.g. off the frame loop, before a pack swap)."""
        self.font(False)
        self.font(True)
        return self

    def measure(self, size: int, bold: bool = False) -> Callable[[str], int]:
        """A width function for one size; widths are cached across frames (freetype is slow)."""
        font = self.font(bold)
        widths = self._widths

        def width(text: str) -> int:
            if not text:
                return 0
            key = (text, size, bold)
            w = widths.get(key)
            if w is None:
                if len(widths) > 50_000:
                    widths.clear()
                w = widths[key] = font.get_rect(text, size=size).width
            return w

        return width

    def render(self, text: str, size: int, color: Color, bold: bool = False) -> pygame.Surface:
        key = (text, size, color, bold)
        surface = self._text_cache.get(key)
        if surface is None:
            if len(self._text_cache) > 4000:
                self._text_cache.clear()
            surface, _ = self.font(bold).render(text or " ", color, size=size)
            surface = self._text_cache[key] = blit_ready(surface, alpha=True)
        return surface

    def line_height(self, size: int) -> int:
        return round(size * 1.35)

    def layout(self, text: str, rect: pygame.Rect, size: int, min_size: int, bold: bool = False) -> TextBox:
        """Wrap and, if needed, shrink `text` to fit `rect` (never below `min_size`)."""
        key = (text, rect.width, rect.height, size, min_size, bold)
        box = self._layouts.get(key)
        if box is None:
            fitted: Fitted = fit(text, rect.width, rect.height, size, min_size, lambda s: self.measure(s, bold))
            if len(self._layouts) > 2000:
                self._layouts.clear()
            box = self._layouts[key] = TextBox(rect, fitted.size, fitted.lines)
        return box

    def draw_text(
        self,
        surface: pygame.Surface,
        text: str,
        rect: pygame.Rect,
        size: int,
        color: Color,
        bold: bool = False,
        align: str = "left",
        valign: str = "top",
        min_size: int | None = None,
    ) -> pygame.Rect:
        """Draw wrapped text inside `rect`; returns the area actually used."""
        floor = min(size, min_size or max(12, int(size * 0.7)))
        box = self.layout(text, rect, size, floor, bold)
        lh = self.line_height(box.size)
        total = lh * len(box.lines)
        if self.record:
            width = self.measure(box.size, bold)
            self.drawn.append(
                DrawnText(text, rect.copy(), box.size, size, floor, tuple(width(line) for line in box.lines), total)
            )
        y = rect.top
        if valign == "middle":
            y = rect.top + max(0, (rect.height - total) // 2)
        elif valign == "bottom":
            y = rect.bottom - total
        used = pygame.Rect(rect.left, y, 0, 0)
        old_clip = surface.get_clip()
        surface.set_clip(rect.inflate(4, 4))
        measure = self.measure(box.size, bold)
        for line in box.lines:
            glyphs = None if self.dry else self.render(line, box.size, color, bold)
            w = measure(line) if glyphs is None else glyphs.get_width()
            x = rect.left
            if align == "center":
                x = rect.centerx - w // 2
            elif align == "right":
                x = rect.right - w
            if glyphs is not None:
                surface.blit(glyphs, (x, y + (lh - glyphs.get_height()) // 2))
            used.union_ip(pygame.Rect(x, y, w, lh))
            y += lh
        surface.set_clip(old_clip)
        return used

    def wrapped_height(self, text: str, width: int, size: int, bold: bool = False) -> int:
        return self.line_height(size) * len(wrap(text, width, self.measure(size, bold)))

    def pages(self, text: str, width: int, height: int, size: int, bold: bool = False, reserve: int = 0) -> list[str]:
        """`text` wrapped at `size` and cut into parts of whole lines that each fit `height`.

        A text longer than its box is shown in parts ("1 / 2") instead of shrinking below
        its size or being clipped; when it needs more than one part, `reserve` pixels are
        kept free for the hint that says so.
        """
        lines = wrap(text, width, self.measure(size, bold))
        lh = self.line_height(size)
        per_part = max(1, height // lh)
        if len(lines) > per_part:
            per_part = max(1, (height - reserve) // lh)
        return ["\n".join(lines[i : i + per_part]) for i in range(0, len(lines), per_part)] or [""]

    def text_width(self, text: str, size: int, bold: bool = False) -> int:
        return self.measure(size, bold)(text)

    # -- shapes ------------------------------------------------------------

    def button(
        self,
        surface: pygame.Surface,
        rect: pygame.Rect,
        label: str,
        theme: Theme,
        primary: bool = False,
        selected: bool = False,
        size: int | None = None,
    ) -> None:
        pal = theme.palette
        fill = pal.accent if (primary or selected) else pal.surface
        ink = pal.accent_text if (primary or selected) else pal.text
        pygame.draw.rect(surface, fill, rect, border_radius=theme.radius)
        pygame.draw.rect(surface, pal.accent if not primary else pal.outline, rect, theme.outline_width, theme.radius)
        inner = rect.inflate(-theme.gap, -max(4, theme.gap // 3))
        self.draw_text(
            surface, label, inner, size or theme.font("button"), ink, bold=True, align="center", valign="middle"
        )

    # -- images ------------------------------------------------------------

    def preload(self, paths: list[Path]) -> None:
        """Decode images now, e.g. in a loader thread, so the frame loop never reads the disk."""
        for path in paths:
            key = str(path)
            if key in self._originals or key in self._failed:
                continue
            try:
                self._originals[key] = pygame.image.load(key)
            except (pygame.error, FileNotFoundError, OSError) as exc:
                self._failed[key] = str(exc)

    def _original(self, path: Path) -> pygame.Surface | None:
        key = str(path)
        if key not in self._originals and key not in self._failed:
            self.preload([path])  # not preloaded (preview, tests): decode on first use
        if key in self._failed:
            if key not in self._reported:
                self._reported.add(key)
                log.warning("image %s could not be loaded: %s", key, self._failed[key])
                self.on_error("image", f"{path.name}: {self._failed[key]}")
            return None
        image = self._originals[key]
        if key not in self._converted:
            # Once, on first use: an opaque picture drops its alpha channel, so drawing it is a copy.
            opaque = is_opaque(image)
            image = self._originals[key] = blit_ready(image, alpha=not opaque)
            self._converted.add(key)
            if opaque:
                self._opaque.add(key)
        return image

    def opaque(self, path: Path | None) -> bool:
        """True when the image loads and has no transparent pixel (what is under it never shows)."""
        return path is not None and self._original(path) is not None and str(path) in self._opaque

    def image_size(self, path: Path | None) -> tuple[int, int] | None:
        """Pixel size of an image, None if it is missing or broken (reported once)."""
        original = self._original(path) if path else None
        return original.get_size() if original is not None else None

    def image(
        self,
        surface: pygame.Surface,
        path: Path | None,
        rect: pygame.Rect,
        theme: Theme,
        mode: str = "contain",
        veil: tuple[Color, int] | None = None,
    ) -> pygame.Rect:
        """Draw an image scaled into `rect` ("contain" letterboxes, "cover" crops); placeholder if broken.

        `veil` (colour, alpha 0–255): the picture as seen through a sheet of that colour, mixed once
        and cached, so a translucent band over a moving picture costs a copy, not a blend per frame
        (meant for `opaque()` pictures: a transparent pixel stays unveiled). Drawing keeps to
        `surface`'s clip as well as to `rect`.
        """
        original = self._original(path) if path else None
        if original is None:
            self.placeholder(surface, rect, theme)
            return rect
        if self.dry:  # where the picture would go, without scaling it
            w, h = original.get_size()
            ratio = (min if mode == "contain" else max)(rect.width / w, rect.height / h)
            shown = pygame.Rect(0, 0, max(1, round(w * ratio)), max(1, round(h * ratio)))
            shown.center = rect.center
            return shown.clip(rect)
        key: tuple = (str(path), rect.width, rect.height, mode)
        scaled = self._images.get(key)
        if scaled is None:
            w, h = original.get_size()
            ratio = (min if mode == "contain" else max)(rect.width / w, rect.height / h)
            scaled = self._cache(
                key, pygame.transform.smoothscale(original, (max(1, round(w * ratio)), max(1, round(h * ratio))))
            )
        target = scaled.get_rect(center=rect.center)
        old_clip = surface.get_clip()
        clip = rect.clip(old_clip)
        surface.set_clip(clip)
        if veil is None:
            surface.blit(scaled, target)
        else:
            top, strip = self._veiled(key, scaled, veil, clip.top - target.top, clip.bottom - target.top)
            surface.blit(strip, (target.left, target.top + top))
        surface.set_clip(old_clip)
        return target.clip(rect)

    def _veiled(
        self, key: tuple, scaled: pygame.Surface, veil: tuple[Color, int], top: int, bottom: int
    ) -> tuple[int, pygame.Surface]:
        """Rows `top`..`bottom` of `scaled` under the veil, and some rows around them for a drifting picture.

        Only that strip is kept (a band over a full-screen picture needs less than half of it),
        and made again if the picture drifts beyond it. Returns (the strip's first row, the strip).
        """
        height = scaled.get_height()
        top, bottom = max(0, top), min(height, bottom)
        cached = self._veils.get((*key, veil))
        if cached is not None and cached[0] <= top and bottom <= cached[0] + cached[1].get_height():
            return cached
        margin = max(48, height // 20)  # the attract drift moves its picture ±3.5 % of the screen
        first = max(0, min(top, height - 1) - margin)
        last = min(height, max(bottom, first + 1) + margin)
        strip = scaled.subsurface(pygame.Rect(0, first, scaled.get_width(), last - first)).copy()
        # picture × (1 − α) + colour × α, in place: no sheet the size of the strip to allocate.
        colour, alpha = veil
        keep = 255 - alpha
        strip.fill((keep, keep, keep), special_flags=pygame.BLEND_RGB_MULT)
        strip.fill(tuple(round(c * alpha / 255) for c in colour), special_flags=pygame.BLEND_RGB_ADD)
        if cached is not None:
            self._image_pixels -= cached[1].get_width() * cached[1].get_height()
        self._image_pixels += strip.get_width() * strip.get_height()
        self._veils[(*key, veil)] = (first, strip)
        return first, strip

    def _cache(self, key: tuple, scaled: pygame.Surface) -> pygame.Surface:
        self._image_pixels += scaled.get_width() * scaled.get_height()
        if self._image_pixels > MAX_CACHED_PIXELS:  # ~100 MB of scaled copies at most
            self._images.clear()
            self._veils.clear()
            self._image_pixels = scaled.get_width() * scaled.get_height()
        self._images[key] = scaled
        return scaled

    def placeholder(self, surface: pygame.Surface, rect: pygame.Rect, theme: Theme) -> None:
        pal = theme.palette
        pygame.draw.rect(surface, pal.outline, rect, border_radius=theme.radius)
        cx, cy = rect.center
        r = max(8, min(rect.width, rect.height) // 6)
        pygame.draw.circle(surface, pal.surface, (cx, cy), r)
        pygame.draw.line(surface, pal.muted, (cx - r // 2, cy - r // 2), (cx + r // 2, cy + r // 2), max(2, r // 6))
        pygame.draw.line(surface, pal.muted, (cx + r // 2, cy - r // 2), (cx - r // 2, cy + r // 2), max(2, r // 6))
