"""A slides scene: picture, title and text, paged by tapping or swiping."""

from __future__ import annotations

from typing import ClassVar

import pygame

from content_packs.model import SlidesScene
from kiosk import shapes
from kiosk.screens.base import Context, GoHome, Intent, Narrate, Record, Screen, Target

PREV = ("‹ 上一页", "‹ Back")
NEXT = ("下一页 ›", "Next ›")
DONE = ("完成 ✓", "Done ✓")


class SlidesScreen(Screen):
    visitor_weights: ClassVar[dict[str, float]] = {"next": 6.0, "prev": 1.0}

    def __init__(self, ctx: Context, area: pygame.Rect, scene: SlidesScene):
        self.scene = scene
        self.scene_id = scene.id
        self.index = 0
        self.part = 0  # a body longer than its box is shown in parts, never shrunk or clipped
        super().__init__(ctx, area)

    @property
    def slide(self):
        return self.scene.slides[self.index]

    def relayout(self) -> None:
        theme = self.ctx.theme
        inner = self.area.inflate(-2 * theme.margin, -2 * theme.margin)
        bh = theme.button_height
        bw = max(theme.min_target * 2, round(theme.vmin * 26 * theme.scale))
        nav_y = inner.bottom - bh
        self.nav_top = nav_y - theme.gap
        self._targets = [Target("next", pygame.Rect(inner.right - bw, nav_y, bw, bh))]
        if self.index > 0 or self.part > 0:
            self._targets.append(Target("prev", pygame.Rect(inner.left, nav_y, bw, bh)))
        content = pygame.Rect(inner.left, inner.top, inner.width, self.nav_top - inner.top - theme.gap)
        # Senior mode's larger text takes room from the picture, never from the words: the
        # picture gives way until the title fits at its full size with room for the body.
        # As a last resort (long title, 长者模式, small screen) the words get the whole width.
        shares = (0.34, 0.26, 0.18, None) if theme.senior else (0.42, 0.34, 0.26, None)
        for share in shares:
            self._split(content, share)
            if self._paginate():
                break

    def _split(self, content: pygame.Rect, share: float | None) -> None:
        theme = self.ctx.theme
        if share is None:
            self.image_rect = pygame.Rect(content.left, content.top, 0, 0)
            self.text_rect = content.copy()
            return
        if theme.portrait:
            image_h = round(content.height * share)
            self.image_rect = pygame.Rect(content.left, content.top, content.width, image_h)
            self.text_rect = pygame.Rect(
                content.left,
                content.top + image_h + theme.gap * 2,
                content.width,
                content.height - image_h - theme.gap * 2,
            )
            return
        image_w = round(content.width * (share + 0.10))
        self.image_rect = pygame.Rect(content.left, content.top, image_w, content.height)
        self.text_rect = pygame.Rect(
            content.left + image_w + theme.margin, content.top, content.width - image_w - theme.margin, content.height
        )
        # Start the words level with the top of the (letterboxed) picture, if they have room.
        size = self.ctx.painter.image_size(self.ctx.pack.path(self.slide.image) if self.slide.image else None)
        if size:
            shown_h = round(size[1] * min(self.image_rect.width / size[0], self.image_rect.height / size[1]))
            offset = max(0, (self.image_rect.height - shown_h) // 2)
            title_h = self.ctx.painter.wrapped_height(
                self.ctx.t(self.slide.title), self.text_rect.width, theme.font("title"), bold=True
            )
            room = self.text_rect.height - title_h - self._min_body()
            offset = max(0, min(offset, room))
            self.text_rect.top += offset
            self.text_rect.height -= offset

    def _min_body(self) -> int:
        """Height the body needs at least: three lines and the "1 / 2" hint."""
        theme, painter = self.ctx.theme, self.ctx.painter
        return theme.gap + 3 * painter.line_height(theme.font("body")) + painter.line_height(theme.font("small"))

    def _paginate(self) -> bool:
        """Cut the body into parts that fit; False if the title leaves the body too little room."""
        theme, painter, ctx = self.ctx.theme, self.ctx.painter, self.ctx
        title_size = theme.font("title")
        wanted = painter.wrapped_height(ctx.t(self.slide.title), self.text_rect.width, title_size, bold=True)
        roomy = wanted + self._min_body() <= self.text_rect.height
        # The title never shrinks: if even the whole width is tight, the body just has more parts.
        self.title_h = min(wanted, self.text_rect.height - painter.line_height(theme.font("body")) - theme.gap)
        body_top = self.text_rect.top + self.title_h + theme.gap
        self.body_rect = pygame.Rect(
            self.text_rect.left, body_top, self.text_rect.width, self.text_rect.bottom - body_top
        )
        size, small = theme.font("body"), theme.font("small")
        self.parts = painter.pages(
            ctx.t(self.slide.body),
            self.body_rect.width,
            self.body_rect.height,
            size,
            reserve=painter.line_height(small),
        )
        if len(self.parts) > 1:  # the "1 / 2" hint sits under the body
            self.body_rect.height -= painter.line_height(small)
        self.part = min(self.part, len(self.parts) - 1)
        return roomy

    def _go(self, step: int) -> list[Intent]:
        if 0 <= self.part + step < len(self.parts):
            self.part += step  # the rest of a long text first
            self.relayout()
            return [Record("slide", {"index": self.index, "part": self.part})]
        target = self.index + step
        if target < 0:
            return []
        if target >= len(self.scene.slides):
            return [GoHome()]
        self.index = target
        self.part = 0
        self.relayout()
        return [Record("slide", {"index": self.index}), *self.enter()]

    def narration(self) -> str | None:
        return self.slide.narration.get(self.ctx.lang)

    def enter(self) -> list[Intent]:
        return [Narrate(self.narration())]

    def tap(self, name: str) -> list[Intent]:
        if name == "next":
            return self._go(+1)
        if name == "prev":
            return self._go(-1)
        return []

    def swipe(self, direction: int) -> list[Intent]:
        if direction > 0 and self.index == len(self.scene.slides) - 1 and self.part == len(self.parts) - 1:
            return []  # a swipe never leaves the scene by accident; the Done button does
        return self._go(direction)

    def state_key(self) -> str:
        return f"{self.scene_id}#{self.index}" + (f".{self.part}" if self.part else "")

    def draw(self, surface: pygame.Surface) -> None:
        ctx, theme, painter = self.ctx, self.ctx.theme, self.ctx.painter
        pal = theme.palette
        slide = self.slide
        shown = self.image_rect
        if shown.width > 0:
            shown = painter.image(surface, ctx.pack.path(slide.image) if slide.image else None, self.image_rect, theme)
        if self.narration() and shown.width > 0:
            # A speaker badge on the picture says the slide is being read aloud.
            side = max(theme.min_target // 2, round(theme.vmin * 6))
            badge = pygame.Rect(shown.right - side - theme.gap // 2, shown.top + theme.gap // 2, side, side)
            pygame.draw.circle(surface, pal.surface, badge.center, side // 2)
            shapes.speaker(surface, badge.inflate(-side * 0.45, -side * 0.45), pal.accent)
        title_size = theme.font("title")
        painter.draw_text(
            surface,
            ctx.t(slide.title),
            pygame.Rect(self.text_rect.left, self.text_rect.top, self.text_rect.width, self.title_h),
            title_size,
            pal.text,
            bold=True,
            min_size=title_size
            if self.title_h >= painter.wrapped_height(ctx.t(slide.title), self.text_rect.width, title_size, bold=True)
            else None,
        )
        painter.draw_text(
            surface, self.parts[self.part], self.body_rect, theme.font("body"), pal.text, min_size=theme.font("body")
        )
        if len(self.parts) > 1:
            more = f"{self.part + 1} / {len(self.parts)}"
            small = theme.font("small")
            hint = pygame.Rect(
                self.text_rect.left, self.body_rect.bottom, self.text_rect.width, painter.line_height(small)
            )
            painter.draw_text(surface, more, hint, small, pal.muted, bold=True, align="right")
        lang = 0 if ctx.lang == "zh" else 1
        last = self.index == len(self.scene.slides) - 1 and self.part == len(self.parts) - 1
        for target in self._targets:
            label = (DONE if last else NEXT)[lang] if target.name == "next" else PREV[lang]
            painter.button(surface, target.rect, label, theme, primary=target.name == "next")
        # Page dots between the buttons: where am I, how many more.
        count = len(self.scene.slides)
        r = max(5, round(theme.vmin * 0.9))
        nav = self._targets[0].rect
        cx = self.area.centerx
        for i in range(count):
            x = cx + round((i - (count - 1) / 2) * r * 3.2)
            pygame.draw.circle(surface, pal.accent if i == self.index else pal.outline, (x, nav.centery), r)
