"""The home menu: the pack's title and one large tile per scene, each with a drawn icon."""

from __future__ import annotations

import math

import pygame

from content_packs.model import HotspotsScene, QuizScene, Scene, SlidesScene, VideoScene
from kiosk import shapes
from kiosk.screens.base import Intent, OpenScene, Screen, Target

TYPE_LABELS = {
    "slides": ("看一看", "Explore"),
    "quiz": ("答一答", "Quiz"),
    "hotspots": ("找一找", "Discover"),
    "rating": ("评一评", "Rate us"),
    "video": ("看视频", "Watch"),
}


def scene_detail(scene: Scene, lang: str) -> str:
    """A short count under a tile's title: how long this will take."""
    zh = lang == "zh"
    if isinstance(scene, SlidesScene):
        n = len(scene.slides)
        return f"{n} 页" if zh else f"{n} page{'s' * (n != 1)}"
    if isinstance(scene, QuizScene):
        n = len(scene.questions)
        return f"{n} 道题" if zh else f"{n} question{'s' * (n != 1)}"
    if isinstance(scene, VideoScene) and scene.duration > 0:
        minutes = max(1, round(scene.duration / 60))
        return f"{minutes} 分钟" if zh else f"{minutes} min"
    if isinstance(scene, HotspotsScene):
        n = len(scene.spots)
        return f"{n} 处发现" if zh else f"{n} thing{'s' * (n != 1)} to find"
    return "1 分钟" if zh else "1 minute"


class HomeScreen(Screen):
    scene_id = "home"

    @property
    def visitor_weights(self) -> dict[str, float]:  # type: ignore[override]
        return {f"scene:{s.id}": 1.0 for s in self.ctx.pack.scenes}

    def relayout(self) -> None:
        theme = self.ctx.theme
        inner = self.area.inflate(-2 * theme.margin, -2 * theme.margin)
        painter = self.ctx.painter
        title, body = theme.font("title"), theme.font("body")
        self.heading_wanted = painter.wrapped_height(self.ctx.t(self.ctx.pack.title), inner.width, title, bold=True)
        # In 长者模式 the summary gives its lines to the bigger tiles.
        self.show_summary = bool(self.ctx.pack.summary) and not theme.senior
        summary_h = (
            min(
                painter.wrapped_height(self.ctx.t(self.ctx.pack.summary), inner.width, body),
                painter.line_height(body) * 2,
            )
            if self.show_summary
            else 0
        )
        # Tile titles at full size come first; when they cannot all fit, the pack's title
        # (it is in the top bar too) gives its lines to the tiles.
        for with_heading in (True, False):
            heading_h = min(self.heading_wanted, painter.line_height(title) * 2) if with_heading else 0
            self.heading_rect = pygame.Rect(inner.left, inner.top, inner.width, heading_h)
            self.summary_rect = pygame.Rect(
                inner.left, self.heading_rect.bottom, inner.width, summary_h if with_heading else 0
            )
            top = self.summary_rect.bottom + (theme.gap * 2 if with_heading else 0)
            grid = pygame.Rect(inner.left, top, inner.width, inner.bottom - top)
            if self._place(grid):
                break

    def _place(self, grid: pygame.Rect) -> bool:
        """Lay the tiles out in `grid`; True if every tile title fits at its full size."""
        theme = self.ctx.theme
        scenes = self.ctx.pack.scenes
        count = len(scenes)
        gap = theme.gap * 2
        if theme.portrait:
            cols = 1 if count <= 3 or theme.senior else 2
        elif count <= 4:
            cols = count
        else:
            cols = math.ceil(count / 2)
        # Tiles narrower than the words need (senior text, 5:3 panels) go to two rows instead.
        if (
            not theme.portrait
            and count >= 3
            and (grid.width - gap * (cols - 1)) / cols < theme.vmin * (50 if theme.senior else 38)
        ):
            cols = math.ceil(count / 2)
        # If a tile title would still have to shrink, fewer columns; last, a list of wide tiles.
        candidates = list(dict.fromkeys([cols, math.ceil(count / 2), 1] if cols > 1 else [1]))
        for cols in candidates:
            rects = self._grid(grid, cols, gap)
            fits = all(self._tile_layout(scene, rect)["fits"] for scene, rect in zip(scenes, rects, strict=False))
            if fits:
                break
            if cols == 1 and len(scenes) > 1:
                listed = self._list(grid, theme.gap)  # a list: each tile as tall as its words need
                if listed[-1].bottom <= grid.bottom and all(
                    self._tile_layout(scene, rect)["fits"] for scene, rect in zip(scenes, listed, strict=False)
                ):
                    rects, fits = listed, True
        self._targets = [Target(f"scene:{scene.id}", rect) for scene, rect in zip(scenes, rects, strict=False)]
        return fits

    def _list(self, grid: pygame.Rect, gap: int) -> list[pygame.Rect]:
        """One column; tiles whose title needs more lines take height from those with room to spare."""
        theme, painter = self.ctx.theme, self.ctx.painter
        scenes = self.ctx.pack.scenes
        n = len(scenes)
        h0 = (grid.height - gap * (n - 1)) // n
        heights = []
        for scene in scenes:
            layout = self._tile_layout(scene, pygame.Rect(grid.left, grid.top, grid.width, h0))
            wanted = painter.wrapped_height(
                self.ctx.t(scene.title), layout["text"].width, theme.font("heading"), bold=True
            )
            heights.append(h0 + wanted - layout["text"].height)  # what this tile needs, at least
        heights = [max(theme.min_target, h) for h in heights]
        spare = grid.height - gap * (n - 1) - sum(heights)
        heights = [h + max(0, spare) // n for h in heights]
        rects, y = [], grid.top
        for h in heights:
            rects.append(pygame.Rect(grid.left, y, grid.width, h))
            y += h + gap
        return rects

    def _grid(self, grid: pygame.Rect, cols: int, gap: int) -> list[pygame.Rect]:
        theme = self.ctx.theme
        count = len(self.ctx.pack.scenes)
        rows = math.ceil(count / cols)
        w = (grid.width - gap * (cols - 1)) // cols
        h = (grid.height - gap * (rows - 1)) // rows
        if cols == 1 and not theme.portrait and count == 1:
            w = min(w, round(max(h * 1.9, theme.vmin * 80)))  # one wide tile, not a wall
        h = min(h, round(w * (0.95 if cols > 1 else 0.6)), round(theme.vmin * 70))
        h = max(h, theme.min_target)
        top = grid.top + max(0, (grid.height - (h * rows + gap * (rows - 1))) // 3)
        rects = []
        for i in range(count):
            r, c = divmod(i, cols)
            in_row = min(cols, count - r * cols)
            left = grid.left + (grid.width - (w * in_row + gap * (in_row - 1))) // 2
            rects.append(pygame.Rect(left + c * (w + gap), top + r * (h + gap), w, h))
        return rects

    def tap(self, name: str) -> list[Intent]:
        if name.startswith("scene:"):
            return [OpenScene(name.split(":", 1)[1])]
        return []

    def draw(self, surface: pygame.Surface) -> None:
        ctx, theme, painter = self.ctx, self.ctx.theme, self.ctx.painter
        pal = theme.palette
        if self.heading_rect.height:
            title = theme.font("title")
            full = self.heading_rect.height >= self.heading_wanted
            painter.draw_text(
                surface,
                ctx.t(ctx.pack.title),
                self.heading_rect,
                title,
                pal.text,
                bold=True,
                align="center",
                valign="middle",
                min_size=title if full else None,
            )
        if self.show_summary and self.summary_rect.height:
            painter.draw_text(
                surface,
                ctx.t(ctx.pack.summary),
                self.summary_rect,
                theme.font("body"),
                pal.muted,
                align="center",
                valign="middle",
            )
        scenes = {s.id: s for s in ctx.pack.scenes}
        for target in self._targets:
            self._tile(surface, scenes[target.name.split(":", 1)[1]], target.rect)

    def _tile(self, surface: pygame.Surface, scene: Scene, rect: pygame.Rect) -> None:
        ctx, theme, painter = self.ctx, self.ctx.theme, self.ctx.painter
        pal = theme.palette
        shadow = rect.move(0, max(2, theme.gap // 3))
        pygame.draw.rect(surface, pal.outline, shadow, border_radius=theme.radius * 2)
        pygame.draw.rect(surface, pal.surface, rect, border_radius=theme.radius * 2)
        pygame.draw.rect(surface, pal.accent, rect, theme.outline_width, theme.radius * 2)
        layout = self._tile_layout(scene, rect)
        badge, badge_size, text, meta_h, title_h, wide = (
            layout[k] for k in ("badge", "badge_size", "text", "meta_h", "title_h", "wide")
        )
        small, heading = theme.font("small"), theme.font("heading")
        pygame.draw.circle(surface, pal.accent, badge.center, badge_size // 2)
        shapes.scene_icon(
            surface, scene.type, badge.inflate(-badge_size * 0.44, -badge_size * 0.44), pal.accent_text, pal.accent
        )
        y = text.top + max(0, (text.height - meta_h - title_h) // 2) if wide else text.top
        align = "left" if wide else "center"
        if meta_h:
            painter.draw_text(
                surface,
                layout["meta"],
                pygame.Rect(text.left, y, text.width, meta_h),
                small,
                pal.accent,
                bold=True,
                align=align,
            )
        title_min = heading if layout["fits"] else round(heading * 0.72)
        painter.draw_text(
            surface,
            ctx.t(scene.title),
            pygame.Rect(text.left, y + meta_h, text.width, title_h),
            heading,
            pal.text,
            bold=True,
            align=align,
            min_size=title_min,
        )

    def _tile_layout(self, scene: Scene, rect: pygame.Rect) -> dict:
        """Icon, words and whether the title fits at its full size in a tile of this size."""
        ctx, theme, painter = self.ctx, self.ctx.theme, self.ctx.painter
        pad = max(theme.gap, round(min(rect.width, rect.height) * 0.07))
        inner = rect.inflate(-2 * pad, -2 * pad)
        wide = rect.width > rect.height * 1.5
        small, heading = theme.font("small"), theme.font("heading")
        meta = f"{ctx.ui(TYPE_LABELS.get(scene.type, (scene.type, scene.type)))}  ·  {scene_detail(scene, ctx.lang)}"
        if wide:
            badge_size = min(round(inner.height * 0.7), round(inner.width * 0.22))
            badge = pygame.Rect(0, 0, badge_size, badge_size)
            badge.midleft = (inner.left, inner.centery)
            text = pygame.Rect(badge.right + pad, inner.top, inner.right - badge.right - pad, inner.height)
            meta_h = painter.wrapped_height(meta, text.width, small, bold=True)
        else:
            meta_h = painter.wrapped_height(meta, inner.width, small, bold=True)
            # The words come first: the icon gets whatever height the title leaves.
            needed = meta_h + painter.wrapped_height(ctx.t(scene.title), inner.width, heading, bold=True)
            badge_size = max(
                round(inner.height * 0.2),
                min(round(inner.height * 0.45), round(inner.width * 0.6), inner.height - needed - theme.gap // 2),
            )
            badge = pygame.Rect(0, 0, badge_size, badge_size)
            badge.midtop = (inner.centerx, inner.top)
            text = pygame.Rect(
                inner.left, badge.bottom + theme.gap // 2, inner.width, inner.bottom - badge.bottom - theme.gap // 2
            )
        wanted = painter.wrapped_height(ctx.t(scene.title), text.width, heading, bold=True)
        if meta_h + wanted > text.height:
            meta_h = 0  # a small tile keeps the title at full size and drops the secondary line
        return {
            "badge": badge,
            "badge_size": badge_size,
            "text": text,
            "meta": meta,
            "meta_h": meta_h,
            "title_h": min(text.height - meta_h, wanted),
            "wide": wide,
            "fits": wanted <= text.height,
        }
