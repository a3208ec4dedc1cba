"""Hotspots: a picture with places to tap; each reveals a card; visited places are ticked."""

from __future__ import annotations

import math

import pygame

from content_packs.model import HotspotsScene
from kiosk import shapes
from kiosk.screens.base import Context, GoHome, Intent, Record, Screen, Target

HINT = ("点一点图中的圆圈", "Tap the circles in the picture")
FOUND = ("已发现 {k} / {n}", "Found {k} of {n}")
DONE = ("完成", "Done")
ALL_FOUND = ("全部找到了！", "You found them all!")
MORE = ("继续看 ›", "More ›")  # the reveal goes on in a next part
# The rings pulse for a few seconds after the room opens and after each touch, then rest:
# an invitation, not a perpetual animation (a Pi in a closed cabinet redraws nothing at rest).
PULSE_SECONDS = 8.0


class HotspotsScreen(Screen):
    def __init__(self, ctx: Context, area: pygame.Rect, scene: HotspotsScene):
        self.scene = scene
        self.scene_id = scene.id
        self.visited: list[str] = []
        self.open: str | None = None
        self.part = 0  # a long reveal is shown in parts, never shrunk or clipped
        self.parts: list[str] = [""]
        self._pulse_from = 0.0  # `elapsed` when the rings last started pulsing
        super().__init__(ctx, area)

    @property
    def visitor_weights(self) -> dict[str, float]:  # type: ignore[override]
        weights = {f"spot:{s.id}": (0.5 if s.id in self.visited else 3.0) for s in self.scene.spots}
        weights["done"] = 2.0 if len(self.visited) == len(self.scene.spots) else 0.3
        if self.part + 1 < len(self.parts):
            weights["more"] = 3.0
        return weights

    def relayout(self) -> None:
        theme, painter = self.ctx.theme, self.ctx.painter
        inner = self.area.inflate(-2 * theme.margin, -2 * theme.margin)
        heading = theme.font("heading")
        self.title_wanted = painter.wrapped_height(self.ctx.t(self.scene.title), inner.width, heading, bold=True)
        title_h = min(self.title_wanted, painter.line_height(heading) * (3 if theme.portrait else 2))
        self.title_rect = pygame.Rect(inner.left, inner.top, inner.width, title_h)
        body = pygame.Rect(
            inner.left,
            self.title_rect.bottom + theme.gap,
            inner.width,
            inner.bottom - self.title_rect.bottom - theme.gap,
        )
        bh = theme.button_height
        if theme.portrait:
            picture = pygame.Rect(body.left, body.top, body.width, round(body.height * 0.5))
            panel = pygame.Rect(
                body.left, picture.bottom + theme.gap * 2, body.width, body.bottom - picture.bottom - theme.gap * 2
            )
        else:
            share = 0.5 if theme.senior else 0.62
            picture = pygame.Rect(body.left, body.top, round(body.width * share), body.height)
            panel = pygame.Rect(
                picture.right + theme.margin, body.top, body.right - picture.right - theme.margin, body.height
            )
        size = painter.image_size(self.ctx.pack.path(self.scene.image) if self.scene.image else None) or (4, 3)
        ratio = min(picture.width / size[0], picture.height / size[1])
        self.picture_rect = pygame.Rect(0, 0, round(size[0] * ratio), round(size[1] * ratio))
        self.picture_rect.midtop = picture.midtop
        if theme.portrait:
            shift = picture.height - self.picture_rect.height
            panel.top -= shift
            panel.height += shift
        self.panel_rect = panel
        done_w = max(theme.min_target * 2, min(panel.width, round(theme.vmin * 28 * theme.scale)))
        self.done_rect = pygame.Rect(panel.right - done_w, panel.bottom - bh, done_w, bh)
        self.card_rect = pygame.Rect(panel.left, panel.top, panel.width, self.done_rect.top - theme.gap - panel.top)
        self._layout_card()
        self.more_rect: pygame.Rect | None = None
        if self.part + 1 < len(self.parts):  # "More ›" beside Done, in the same row
            more_w = min(done_w, panel.width - done_w - theme.gap)
            if more_w < theme.min_target * 2:
                done_w = more_w = (panel.width - theme.gap) // 2
                self.done_rect = pygame.Rect(panel.right - done_w, panel.bottom - bh, done_w, bh)
            self.more_rect = pygame.Rect(self.done_rect.left - theme.gap - more_w, self.done_rect.top, more_w, bh)
        self.spot_rects: dict[str, pygame.Rect] = {}
        self._targets = []
        pr = self.picture_rect
        for spot in self.scene.spots:
            x, y, w, h = spot.rect
            rect = pygame.Rect(
                pr.left + round(x * pr.width),
                pr.top + round(y * pr.height),
                max(1, round(w * pr.width)),
                max(1, round(h * pr.height)),
            )
            self.spot_rects[spot.id] = rect
            touch = rect.copy()
            if touch.width < theme.min_target or touch.height < theme.min_target:
                touch = touch.union(
                    pygame.Rect(0, 0, theme.min_target, theme.min_target).move(
                        rect.centerx - theme.min_target // 2, rect.centery - theme.min_target // 2
                    )
                )
            self._targets.append(Target(f"spot:{spot.id}", touch))
        if self.more_rect is not None:
            self._targets.append(Target("more", self.more_rect))
        self._targets.append(Target("done", self.done_rect))

    def _layout_card(self) -> None:
        """The reveal card: label, then the reveal at full size (in parts if long), then "Found k of n"."""
        theme, painter, ctx = self.ctx.theme, self.ctx.painter, self.ctx
        inner = self.card_rect.inflate(-2 * theme.gap, -2 * theme.gap)
        small = theme.font("small")
        self.found_rect = pygame.Rect(
            inner.left, inner.bottom - painter.line_height(small), inner.width, painter.line_height(small)
        )
        self.text_rect = pygame.Rect(
            inner.left, inner.top, inner.width, self.found_rect.top - theme.gap // 2 - inner.top
        )
        self.parts = [""]
        if self.open is None:
            return
        spot = next(s for s in self.scene.spots if s.id == self.open)
        heading = theme.font("heading")
        self.label_wanted = painter.wrapped_height(ctx.t(spot.label), self.text_rect.width, heading, bold=True)
        self.label_h = min(
            self.label_wanted, self.text_rect.height - painter.line_height(theme.font("body")) - theme.gap // 2
        )
        top = self.text_rect.top + self.label_h + theme.gap // 2
        self.reveal_rect = pygame.Rect(
            self.text_rect.left, top, self.text_rect.width, max(0, self.text_rect.bottom - top)
        )
        # The "1 / 2" hint shares the line with "Found k of n", on the right.
        self.parts = painter.pages(
            ctx.t(spot.reveal), self.reveal_rect.width, self.reveal_rect.height, theme.font("body")
        )
        self.part = min(self.part, len(self.parts) - 1)

    def _pulse(self) -> float | None:
        """The rings' pulse now (0..1), or None once they rest."""
        pace = self.ctx.theme.pace
        if len(self.visited) == len(self.scene.spots):
            return None
        # Stop at a zero crossing of the sine, where the resting ring (0.5) is, so nothing jumps.
        half = math.pi * pace / 3.0
        rest_at = math.ceil((self._pulse_from + PULSE_SECONDS * pace) / half) * half
        if self.elapsed >= rest_at:
            return None
        return 0.5 + 0.5 * math.sin(self.elapsed * 3.0 / pace)

    def animating(self) -> bool:
        return self._pulse() is not None

    def motion_key(self) -> int:
        return self._ring_growth(self._pulse())

    def _ring_growth(self, pulse: float | None) -> int:
        """How far the rings reach beyond the markers now, in pixels (the same for every marker)."""
        return round((0.5 if pulse is None else pulse) * self._radius() * 0.45)

    def _radius(self) -> int:
        theme = self.ctx.theme
        return max(theme.min_target // 2, round(theme.font("button") * 0.9))

    def tap(self, name: str) -> list[Intent]:
        self._pulse_from = self.elapsed
        if name == "more" and self.part + 1 < len(self.parts):
            self.part += 1
            self.relayout()
            return []
        if name.startswith("spot:"):
            spot = name.split(":", 1)[1]
            self.open = spot
            self.part = 0
            self.relayout()
            first = spot not in self.visited
            if first:
                self.visited.append(spot)
            return [
                Record(
                    "hotspot", {"spot": spot, "first": first, "found": len(self.visited), "of": len(self.scene.spots)}
                )
            ]
        if name == "done":
            return [GoHome()]
        return []

    def state_key(self) -> str:
        return f"{self.scene_id}#{self.open or 'hint'}" + (f".{self.part}" if self.part else "")

    def draw(self, surface: pygame.Surface) -> None:
        ctx, theme, painter = self.ctx, self.ctx.theme, self.ctx.painter
        pal = theme.palette
        heading = theme.font("heading")
        full = self.title_rect.height >= self.title_wanted
        painter.draw_text(
            surface,
            ctx.t(self.scene.title),
            self.title_rect,
            heading,
            pal.text,
            bold=True,
            valign="middle",
            min_size=heading if full else None,
        )
        painter.image(surface, ctx.pack.path(self.scene.image) if self.scene.image else None, self.picture_rect, theme)
        growth = self._ring_growth(self._pulse())
        for index, spot in enumerate(self.scene.spots):
            self._marker(surface, index, spot.id, growth)
        self._card(surface)
        if self.more_rect is not None:
            painter.button(surface, self.more_rect, ctx.ui(MORE), theme, primary=True)
        painter.button(
            surface,
            self.done_rect,
            ctx.ui(DONE),
            theme,
            primary=len(self.visited) == len(self.scene.spots) and self.more_rect is None,
        )

    def _marker(self, surface: pygame.Surface, index: int, spot: str, growth: int) -> None:
        theme, painter = self.ctx.theme, self.ctx.painter
        pal = theme.palette
        rect = self.spot_rects[spot]
        number = theme.font("button")
        radius = self._radius()
        centre = rect.center
        visited = spot in self.visited
        if spot == self.open:
            pygame.draw.rect(surface, pal.accent_text, rect, theme.outline_width + 2, theme.radius)
            pygame.draw.rect(surface, pal.accent, rect, theme.outline_width, theme.radius)
        if not visited:
            ring = radius + growth
            pygame.draw.circle(surface, pal.accent_text, centre, ring, max(2, theme.outline_width))
        fill = pal.good if visited else pal.accent
        pygame.draw.circle(surface, pal.accent_text, centre, radius + max(2, theme.outline_width // 2))
        pygame.draw.circle(surface, fill, centre, radius)
        box = pygame.Rect(0, 0, radius * 2, radius * 2)
        box.center = centre
        if visited:
            shapes.check(surface, box.inflate(-radius * 0.8, -radius * 0.8), pal.accent_text)
        else:
            painter.draw_text(
                surface, str(index + 1), box, number, pal.accent_text, bold=True, align="center", valign="middle"
            )

    def _card(self, surface: pygame.Surface) -> None:
        ctx, theme, painter = self.ctx, self.ctx.theme, self.ctx.painter
        pal = theme.palette
        rect = self.card_rect
        pygame.draw.rect(surface, pal.surface, rect, border_radius=theme.radius * 2)
        pygame.draw.rect(surface, pal.accent if self.open else pal.outline, rect, theme.outline_width, theme.radius * 2)
        small = theme.font("small")
        total = len(self.scene.spots)
        found = ctx.ui(ALL_FOUND) if len(self.visited) == total else ctx.ui(FOUND).format(k=len(self.visited), n=total)
        hint = f"{self.part + 1} / {len(self.parts)}" if len(self.parts) > 1 else ""
        hint_w = painter.text_width(hint, small, bold=True) + 2 if hint else 0
        found_rect = self.found_rect.copy()
        if hint:
            found_rect.width -= hint_w + theme.gap
            painter.draw_text(
                surface,
                hint,
                pygame.Rect(self.found_rect.right - hint_w, self.found_rect.top, hint_w, self.found_rect.height),
                small,
                pal.muted,
                bold=True,
                align="right",
            )
        painter.draw_text(
            surface, found, found_rect, small, pal.good if len(self.visited) == total else pal.muted, bold=True
        )
        if self.open is None:
            painter.draw_text(
                surface,
                ctx.ui(HINT),
                self.text_rect,
                theme.font("heading"),
                pal.muted,
                bold=True,
                align="center",
                valign="middle",
            )
            return
        spot = next(s for s in self.scene.spots if s.id == self.open)
        heading = theme.font("heading")
        full = self.label_h >= self.label_wanted
        painter.draw_text(
            surface,
            ctx.t(spot.label),
            pygame.Rect(self.text_rect.left, self.text_rect.top, self.text_rect.width, self.label_h),
            heading,
            pal.accent,
            bold=True,
            min_size=heading if full else None,
        )
        body = theme.font("body")
        painter.draw_text(surface, self.parts[self.part], self.reveal_rect, body, pal.text, min_size=body)
