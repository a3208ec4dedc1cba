"""The emergency notice: pre-empts everything, both languages at once, calm and unmistakable."""

from __future__ import annotations

import pygame

from kepu_contracts.control import EmergencyNotice
from kiosk import shapes
from kiosk.screens.base import Context, Screen
from kiosk.theme import EMERGENCY

HEADING = "紧急通知  ·  Emergency notice"
FOOTER = "请听从工作人员指挥  ·  Please follow staff instructions"


class EmergencyScreen(Screen):
    scene_id = "emergency"

    def __init__(self, ctx: Context, area: pygame.Rect, notice: EmergencyNotice):
        self.notice = notice
        super().__init__(ctx, area)

    def relayout(self) -> None:
        self._targets = []  # nothing to touch: the message is the whole screen

    def state_key(self) -> str:
        return "emergency"

    def draw(self, surface: pygame.Surface) -> None:
        theme, painter = self.ctx.theme, self.ctx.painter
        pal = EMERGENCY
        area = self.area
        surface.fill(pal.background, area)
        band_h = max(theme.min_target, round(theme.vmin * 15))
        band = pygame.Rect(area.left, area.top, area.width, band_h)
        pygame.draw.rect(surface, pal.accent, band)
        icon = pygame.Rect(0, 0, round(band_h * 0.7), round(band_h * 0.7))
        heading_size = round(theme.font("title") * 0.9)
        heading_text = HEADING
        text_w = painter.text_width(HEADING, heading_size, bold=True)
        if text_w > area.width - 2 * theme.margin - band_h:
            heading_text = HEADING.replace("  ·  ", "\n")  # narrow screens: one language per line
            heading_size = min(heading_size, round(band_h / 2 / 1.4))
            text_w = max(painter.text_width(part, heading_size, bold=True) for part in heading_text.split("\n"))
        icon.midleft = (
            max(area.left + theme.margin, area.centerx - (icon.width + theme.gap + text_w) // 2),
            band.centery,
        )
        shapes.alert(surface, icon, pal.accent_text, pal.accent)
        heading = pygame.Rect(
            icon.right + theme.gap, band.top, band.right - icon.right - theme.gap - theme.margin, band.height
        )
        painter.draw_text(
            surface,
            heading_text,
            heading,
            heading_size,
            pal.accent_text,
            bold=True,
            valign="middle",
            min_size=round(heading_size * 0.6),
        )
        small = theme.font("small")
        footer = pygame.Rect(
            area.left + theme.margin,
            area.bottom - theme.margin - painter.line_height(small),
            area.width - 2 * theme.margin,
            painter.line_height(small),
        )
        painter.draw_text(surface, FOOTER, footer, small, pal.muted, align="center", min_size=round(small * 0.7))
        body = pygame.Rect(
            area.left + theme.margin,
            band.bottom + theme.margin,
            area.width - 2 * theme.margin,
            footer.top - band.bottom - 2 * theme.margin,
        )
        # Chinese first and larger; English below a thin rule. Each gets the room it needs.
        zh_size, en_size = round(theme.font("title") * 1.1), theme.font("heading")
        zh_h = painter.wrapped_height(self.notice.zh, body.width, zh_size, bold=True)
        en_h = painter.wrapped_height(self.notice.en, body.width, en_size)
        rule = theme.gap * 3
        room = body.height - rule
        if zh_h + en_h > room:
            zh_h = max(room // 2, room - en_h) if en_h < room // 2 else room // 2
            en_h = room - zh_h
        top = body.top + max(0, (body.height - zh_h - en_h - rule) // 2)
        painter.draw_text(
            surface,
            self.notice.zh,
            pygame.Rect(body.left, top, body.width, zh_h),
            zh_size,
            pal.text,
            bold=True,
            align="center",
            min_size=round(zh_size * 0.6),
        )
        y = top + zh_h + rule // 2
        pygame.draw.line(
            surface,
            pal.accent,
            (area.centerx - body.width // 6, y),
            (area.centerx + body.width // 6, y),
            max(2, theme.outline_width),
        )
        painter.draw_text(
            surface,
            self.notice.en,
            pygame.Rect(body.left, top + zh_h + rule, body.width, en_h),
            en_size,
            pal.muted,
            align="center",
            min_size=round(en_size * 0.6),
        )
