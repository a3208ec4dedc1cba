"""好差评: two big thumbs, one tap, a thank-you, then back home by itself."""

from __future__ import annotations

from typing import ClassVar

import pygame

from content_packs.model import RatingScene
from kepu_contracts.events import EventType
from kiosk import shapes
from kiosk.screens.base import Context, GoHome, Intent, Record, Screen, Target

PROMPT = ("这个展项怎么样？", "How was this exhibit?")
UP = ("好评", "Good")
DOWN = ("差评", "Not good")
THANKS = ("谢谢你的评价！", "Thank you for your rating!")
BACK = ("回到首页", "Back to start")
THANKS_SECONDS = 4.0


def thumb_button(
    surface: pygame.Surface, ctx: Context, rect: pygame.Rect, up: bool, label: str, chosen: bool = False
) -> None:
    """A rating button: a drawn thumb above its label (shared with the goodbye card)."""
    theme, painter = ctx.theme, ctx.painter
    pal = theme.palette
    color = pal.good if up else pal.bad
    fill = color if chosen else pal.surface
    ink = pal.accent_text if chosen else color
    pygame.draw.rect(surface, fill, rect, border_radius=theme.radius * 2)
    pygame.draw.rect(surface, color, rect, theme.outline_width, theme.radius * 2)
    size = theme.font("button")
    label_h = painter.line_height(size)
    icon_side = min(rect.width - 2 * theme.gap, rect.height - label_h - 2 * theme.gap)
    wide = rect.width > rect.height * 2.2
    if wide or icon_side < theme.min_target // 2:
        # A low button: thumb and label side by side.
        side = round((rect.height - theme.gap) * 0.8)
        icon = pygame.Rect(0, 0, side, side)
        text_w = painter.text_width(label, size, bold=True)
        icon.midleft = (
            max(rect.left + theme.gap // 2, rect.centerx - (side + theme.gap // 2 + text_w) // 2),
            rect.centery,
        )
        shapes.thumb(surface, icon, up, ink)
        text = pygame.Rect(
            icon.right + theme.gap // 2,
            rect.top,
            rect.right - icon.right - theme.gap // 2 - theme.outline_width,
            rect.height,
        )
        painter.draw_text(surface, label, text, size, ink, bold=True, valign="middle")
        return
    icon = pygame.Rect(0, 0, icon_side, icon_side)
    icon.midtop = (rect.centerx, rect.top + theme.gap)
    shapes.thumb(surface, icon.inflate(-icon_side * 0.12, -icon_side * 0.12), up, ink)
    painter.draw_text(
        surface,
        label,
        pygame.Rect(rect.left, icon.bottom, rect.width, rect.bottom - icon.bottom - theme.gap // 2),
        size,
        ink,
        bold=True,
        align="center",
        valign="middle",
    )


class RatingScreen(Screen):
    visitor_weights: ClassVar[dict[str, float]] = {"up": 4.0, "down": 1.0, "back": 1.0}

    def __init__(self, ctx: Context, area: pygame.Rect, scene: RatingScene):
        self.scene = scene
        self.scene_id = scene.id
        self.value: str | None = None
        self.thanked_for = 0.0
        super().__init__(ctx, area)

    def relayout(self) -> None:
        theme, painter = self.ctx.theme, self.ctx.painter
        inner = self.area.inflate(-2 * theme.margin, -2 * theme.margin)
        heading = theme.font("title")
        prompt = self.ctx.t(self.scene.prompt) if self.scene.prompt else self.ctx.ui(PROMPT)
        prompt_h = min(painter.wrapped_height(prompt, inner.width, heading, bold=True), inner.height // 3)
        self.prompt_rect = pygame.Rect(inner.left, inner.top, inner.width, prompt_h)
        bh = theme.button_height
        self.back_rect = pygame.Rect(0, 0, max(theme.min_target * 2, round(theme.vmin * 36 * theme.scale)), bh)
        self.back_rect.midbottom = inner.midbottom
        area = pygame.Rect(
            inner.left,
            self.prompt_rect.bottom + theme.gap * 2,
            inner.width,
            self.back_rect.top - self.prompt_rect.bottom - theme.gap * 4,
        )
        side = min(area.height, (area.width - theme.margin) // 2, round(theme.vmin * 46))
        gap = max(theme.margin, round(side * 0.25))
        up = pygame.Rect(0, 0, side, side)
        down = up.copy()
        up.midright = (area.centerx - gap // 2, area.centery)
        down.midleft = (area.centerx + gap // 2, area.centery)
        self.thanks_rect = area
        self._targets = [] if self.value else [Target("up", up), Target("down", down)]
        self._targets.append(Target("back", self.back_rect))
        self._buttons = {"up": up, "down": down}

    def tap(self, name: str) -> list[Intent]:
        if name in ("up", "down") and self.value is None:
            self.value = name
            self.thanked_for = 0.0
            self.relayout()
            return [Record(EventType.RATING, {"value": name})]
        if name == "back":
            return [GoHome()]
        return []

    def update(self, dt: float) -> list[Intent]:
        super().update(dt)
        if self.value:
            self.thanked_for += dt
            if self.thanked_for >= THANKS_SECONDS * self.ctx.theme.pace:
                return [GoHome()]
        return []

    def state_key(self) -> str:
        return f"{self.scene_id}#{'thanks' if self.value else 'ask'}"

    def draw(self, surface: pygame.Surface) -> None:
        ctx, theme, painter = self.ctx, self.ctx.theme, self.ctx.painter
        pal = theme.palette
        prompt = ctx.t(self.scene.prompt) if self.scene.prompt else ctx.ui(PROMPT)
        painter.draw_text(
            surface, prompt, self.prompt_rect, theme.font("title"), pal.text, bold=True, align="center", valign="middle"
        )
        if self.value is None:
            thumb_button(surface, ctx, self._buttons["up"], True, ctx.ui(UP))
            thumb_button(surface, ctx, self._buttons["down"], False, ctx.ui(DOWN))
        else:
            button = self._buttons[self.value]
            icon = button.copy()
            icon.center = self.thanks_rect.center
            icon.height = round(icon.height * 0.6)
            icon.width = icon.height
            icon.midtop = (self.thanks_rect.centerx, self.thanks_rect.top)
            shapes.thumb(surface, icon, self.value == "up", pal.good if self.value == "up" else pal.bad)
            rest = pygame.Rect(
                self.thanks_rect.left,
                icon.bottom + theme.gap,
                self.thanks_rect.width,
                self.thanks_rect.bottom - icon.bottom - theme.gap,
            )
            painter.draw_text(
                surface,
                ctx.ui(THANKS),
                rest,
                theme.font("heading"),
                pal.text,
                bold=True,
                align="center",
                valign="middle",
            )
        painter.button(surface, self.back_rect, ctx.ui(BACK), theme)
