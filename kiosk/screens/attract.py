"""The attract loop: the pack's picture, slowly drifting, and a pulsing call to touch.

Shown in both languages at once, because nobody has chosen a language yet.
"""

from __future__ import annotations

import math
from typing import ClassVar

import pygame

from kiosk.media import silent_desk
from kiosk.screens.base import Intent, Record, Screen, Target


def mix(top: tuple[int, int, int], bottom: tuple[int, int, int], alpha: int) -> tuple[int, int, int]:
    """`top` at `alpha` (0–255) over `bottom`: what a translucent sheet over a plain colour shows."""
    r, g, b = (round(t * alpha / 255 + u * (255 - alpha) / 255) for t, u in zip(top, bottom, strict=True))
    return r, g, b


class AttractScreen(Screen):
    scene_id = "attract"
    visitor_weights: ClassVar[dict[str, float]] = {"start": 1.0}

    def relayout(self) -> None:
        self._targets = [Target("start", self.area.copy())]
        film = getattr(self, "_film", None)
        if film is not None:
            film.resize(self._film_box().size)

    # An attract video (muted, looping) plays where the picture would; a background sound loops.

    def _film_box(self) -> pygame.Rect:
        theme = self.ctx.theme
        if theme.portrait:
            band_h = round(self.area.height * 0.42)
            return pygame.Rect(self.area.left, self.area.top, self.area.width, self.area.height - band_h)
        return self.area.copy()

    def update(self, dt: float) -> list[Intent]:
        super().update(dt)
        intents: list[Intent] = []
        attract = self.ctx.pack.attract
        desk = self.ctx.media or silent_desk()
        if not getattr(self, "_media_started", False):
            self._media_started = True
            self._film = self._film_frame = None
            if attract.video and self.ctx.pack.path(attract.video).is_file():
                self._film = desk.player(
                    self.ctx.pack.path(attract.video), self._film_box().size, loop=True, muted=True
                )
            if attract.sound:
                problem = desk.ambient(self.ctx.pack.path(attract.sound))
                if problem:
                    intents.append(Record("error", {"kind": "audio", "detail": problem}))
        film = getattr(self, "_film", None)
        if film is not None:
            if film.error:
                intents.append(Record("error", {"kind": "video", "detail": film.error}))
                desk.close(film)
                self._film = None  # the picture takes over
            else:
                self._film_frame = film.frame() or self._film_frame
        return intents

    def leave(self) -> list[Intent]:
        desk = self.ctx.media or silent_desk()
        desk.close(getattr(self, "_film", None))
        self._film = None
        if self.ctx.pack.attract.sound:
            desk.ambient(None)
        return []

    def animating(self) -> bool:
        return True  # the drift and the pulsing call to touch never stop while nobody is here

    def motion_key(self) -> tuple[int, int, int]:
        # The drift moves a few pixels a second: most 60 Hz frames would repeat the last one.
        return self._motion()

    def _motion(self) -> tuple[int, int, int]:
        """The picture's offset and the call to touch's growth now, in whole pixels."""
        theme = self.ctx.theme
        # A slow drift (Ken Burns) keeps the screen alive without distracting motion.
        drift_x = math.sin(self.elapsed / (6.0 * theme.pace))
        drift_y = math.cos(self.elapsed / (8.0 * theme.pace))
        if theme.portrait:
            dx, dy = round(drift_x * theme.margin * 0.5), round(drift_y * theme.margin * 0.5)
        else:
            dx, dy = round(drift_x * self.area.width * 0.035), round(drift_y * self.area.height * 0.035)
        pulse = 0.5 + 0.5 * math.sin(self.elapsed * 2.4 / theme.pace)
        return dx, dy, round(pulse * theme.vmin)

    def paints_all(self) -> bool:
        return True  # draw() clears what its picture does not cover

    def draw(self, surface: pygame.Surface) -> None:
        ctx, theme, painter = self.ctx, self.ctx.theme, self.ctx.painter
        pal = theme.palette
        attract = ctx.pack.attract
        # A slow pan keeps the screen alive without distracting motion. The picture is scaled
        # once (a fixed size, so it is cached) and only moved: rescaling every frame costs
        # a frame's budget and fills the cache with full-screen copies.
        dx, dy, grow = self._motion()
        band_h = round(self.area.height * (0.42 if theme.portrait else 0.40))
        band = pygame.Rect(self.area.left, self.area.bottom - band_h, self.area.width, band_h)
        if theme.portrait:
            # A landscape picture cropped to a tall screen loses its subject: show all of it
            # above the text band instead, drifting gently inside that space.
            space = pygame.Rect(self.area.left, self.area.top, self.area.width, band.top - self.area.top)
            image_rect = space.inflate(-theme.margin, -theme.margin)
            image_rect.move_ip(dx, dy)
            mode = "contain"
        else:
            space = self.area
            image_rect = self.area.inflate(round(self.area.width * 0.08), round(self.area.height * 0.08))
            image_rect.move_ip(dx, dy)
            mode = "cover"
        frame = getattr(self, "_film_frame", None) if getattr(self, "_film", None) is not None else None
        picture = ctx.pack.path(attract.image) if attract.image and frame is None else None
        # A readable band across the lower part of the screen: the surface colour at 235/255 over
        # what is under it. Mixed once where that is a plain colour or a still picture; blended
        # each frame only over a film or a picture with transparency.
        veil = (pal.surface, 235)
        under = "background"
        if frame is not None and self._film_box().colliderect(band):
            under = "blend"
        elif picture is not None and image_rect.colliderect(band):
            under = "veiled" if mode == "cover" and painter.opaque(picture) else "blend"
        if under != "veiled":  # a covering, opaque picture paints every pixel itself
            surface.fill(pal.background, self.area)
        old_clip = surface.get_clip()
        if frame is not None:
            surface.fill((0, 0, 0), space)
            surface.blit(frame, frame.get_rect(center=self._film_box().center))
        elif picture is not None and under == "veiled":
            above = pygame.Rect(space.left, space.top, space.width, band.top - space.top)
            surface.set_clip(above.clip(old_clip))
            painter.image(surface, picture, image_rect, theme, mode=mode)
            surface.set_clip(band.clip(old_clip))
            painter.image(surface, picture, image_rect, theme, mode=mode, veil=veil)
        elif picture is not None:
            surface.set_clip(space.clip(old_clip))
            painter.image(surface, picture, image_rect, theme, mode=mode)
        surface.set_clip(old_clip)
        if under == "background":
            surface.fill(mix(pal.surface, pal.background, veil[1]), band)
        elif under == "blend":
            key = (band.size, veil)
            if getattr(self, "_shade_key", None) != key:
                # Surface alpha, not per-pixel alpha: the same mix, blended at a fraction of the cost.
                self._shade = pygame.Surface(band.size, 0, surface)
                self._shade.fill(veil[0])
                self._shade.set_alpha(veil[1])
                self._shade_key = key
            surface.blit(self._shade, band.topleft)
        inner = band.inflate(-2 * theme.margin, -theme.margin)
        title_h = round(inner.height * 0.34)
        title = f"{ctx.pack.title.zh}  {ctx.pack.title.en}"
        if painter.measure(theme.font("title"), bold=True)(title) > inner.width:
            title = f"{ctx.pack.title.zh}\n{ctx.pack.title.en}"  # never break a language mid-title
        painter.draw_text(
            surface,
            title,
            pygame.Rect(inner.left, inner.top, inner.width, title_h),
            theme.font("title"),
            pal.text,
            bold=True,
            align="center",
            valign="middle",
        )
        if attract.tagline:
            painter.draw_text(
                surface,
                f"{attract.tagline.zh}\n{attract.tagline.en}",
                pygame.Rect(inner.left, inner.top + title_h, inner.width, round(inner.height * 0.30)),
                theme.font("body"),
                pal.muted,
                align="center",
                valign="middle",
            )
        cta_h = round(inner.height * 0.30)
        cta_w = min(inner.width, round(theme.vmin * 70 * theme.scale))
        cta = pygame.Rect(0, 0, cta_w, cta_h)
        cta.midbottom = (inner.centerx, inner.bottom)
        pygame.draw.rect(surface, pal.accent, cta.inflate(grow * 2, grow), border_radius=cta_h // 2)
        painter.draw_text(
            surface,
            f"{attract.headline.zh}  ·  {attract.headline.en}",
            cta.inflate(-theme.margin, -theme.gap // 2),
            theme.font("heading"),
            pal.accent_text,
            bold=True,
            align="center",
            valign="middle",
        )
