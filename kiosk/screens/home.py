"""The home menu: one large tile per scene of the pack."""

from __future__ import annotations

import math

import pygame

from kiosk.screens.base import Intent, OpenScene, Screen, Target

TYPE_LABELS = {
    "slides": ("看一看", "Explore"),
    "quiz": ("答一答", "Quiz"),
    "hotspots": ("找一找", "Discover"),
    "rating": ("评一评", "Rate us"),
}


class HomeScreen(Screen):
    scene_id = "home"

    @property
    def visitor_weights(self) -> dict[str, float]:  # type: ignore[override]
        return {f"scene:{s.id}": 1.0 for s in self.ctx.pack.scenes}

    def relayout(self) -> None:
        theme = self.ctx.theme
        scenes = self.ctx.pack.scenes
        inner = self.area.inflate(-2 * theme.margin, -2 * theme.margin)
        heading_h = round(theme.font("title") * 1.6)
        grid = pygame.Rect(inner.left, inner.top + heading_h, inner.width, inner.height - heading_h)
        count = len(scenes)
        if theme.portrait:
            cols = 1 if count <= 3 else 2
        else:
            cols = min(count, 4) if count <= 4 else math.ceil(count / 2)
        rows = math.ceil(count / cols)
        gap = theme.gap * 2
        w = (grid.width - gap * (cols - 1)) // cols
        h = min((grid.height - gap * (rows - 1)) // rows, round(w * 0.9))
        h = max(h, theme.min_target)
        top = grid.top + max(0, (grid.height - (h * rows + gap * (rows - 1))) // 2)
        self._targets = []
        for i, scene in enumerate(scenes):
            r, c = divmod(i, cols)
            in_row = min(cols, count - r * cols)
            left = grid.left + (grid.width - (w * in_row + gap * (in_row - 1))) // 2
            rect = pygame.Rect(left + c * (w + gap), top + r * (h + gap), w, h)
            self._targets.append(Target(f"scene:{scene.id}", rect))

    def tap(self, name: str) -> list[Intent]:
        if name.startswith("scene:"):
            return [OpenScene(name.split(":", 1)[1])]
        return []

    def draw(self, surface: pygame.Surface) -> None:
        ctx, theme, painter = self.ctx, self.ctx.theme, self.ctx.painter
        pal = theme.palette
        inner = self.area.inflate(-2 * theme.margin, -2 * theme.margin)
        painter.draw_text(
            surface,
            ctx.t(ctx.pack.title),
            pygame.Rect(inner.left, inner.top, inner.width, round(theme.font("title") * 1.5)),
            theme.font("title"),
            pal.text,
            bold=True,
            align="center",
            valign="middle",
        )
        scenes = {s.id: s for s in ctx.pack.scenes}
        for index, target in enumerate(self._targets):
            scene = scenes[target.name.split(":", 1)[1]]
            rect = target.rect
            pygame.draw.rect(surface, pal.surface, rect, border_radius=theme.radius * 2)
            pygame.draw.rect(surface, pal.accent, rect, theme.outline_width, theme.radius * 2)
            badge_size = max(theme.min_target, round(min(rect.width, rect.height) * 0.28))
            badge = pygame.Rect(0, 0, badge_size, badge_size)
            badge.midtop = (rect.centerx, rect.top + theme.gap)
            pygame.draw.circle(surface, pal.accent, badge.center, badge_size // 2)
            painter.draw_text(
                surface, str(index + 1), badge, round(badge_size * 0.55), pal.accent_text, bold=True, align="center", valign="middle"
            )
            kind_zh, kind_en = TYPE_LABELS.get(scene.type, (scene.type, scene.type))
            label_area = pygame.Rect(rect.left + theme.gap, badge.bottom + theme.gap // 2, rect.width - 2 * theme.gap, 0)
            label_area.height = rect.bottom - theme.gap - label_area.top
            kind_h = round(theme.font("small") * 1.5)
            painter.draw_text(
                surface,
                kind_zh if ctx.lang == "zh" else kind_en,
                pygame.Rect(label_area.left, label_area.top, label_area.width, kind_h),
                theme.font("small"),
                pal.muted,
                align="center",
                valign="middle",
            )
            painter.draw_text(
                surface,
                ctx.t(scene.title),
                pygame.Rect(label_area.left, label_area.top + kind_h, label_area.width, label_area.height - kind_h),
                theme.font("heading"),
                pal.text,
                bold=True,
                align="center",
                valign="middle",
            )
