"""科普大屏: the pack's playlist for this part of the day, item after item, all day.

It takes the attract loop's place: nobody has chosen a language, so captions and slides
show both, and subtitles show the exhibit's language with the other beneath when the pack
has both. At each item boundary the venue's time picks the daypart, so the 12:00 list
starts at the first item boundary after noon. With `explore = true` a touch opens the
pack's scenes (a normal visit); when the visitor leaves, the playlist starts again.
Each item shown is one `media_start` and one `media_end` (source "signage").
"""

from __future__ import annotations

from typing import ClassVar

import pygame

from content_packs.model import PlaylistItem
from kepu_contracts.events import EventType
from kiosk.media import MediaDesk, cue_at, play_data, silent_desk
from kiosk.screens.attract import AttractScreen
from kiosk.screens.base import Intent, Record, Target
from kiosk.screens.video import subtitle_band

EXPLORE = "点击屏幕，了解更多 · Touch to explore"
RECHECK = 30.0  # seconds between looks at the clock when no daypart has anything to play
RETRY = 2.0  # seconds on the calm title card after an item that cannot play


class SignageScreen(AttractScreen):
    scene_id = "signage"
    visitor_weights: ClassVar[dict[str, float]] = {"start": 1.0}

    def __init__(self, ctx, area):
        self.signage = ctx.pack.signage
        self.part = ""
        self.items: tuple[PlaylistItem, ...] = ()
        self.index = -1
        self.item: PlaylistItem | None = None
        self.item_elapsed = 0.0
        self.player = None
        self.plays = 0
        self._reported: set[str] = set()
        super().__init__(ctx, area)

    @property
    def desk(self) -> MediaDesk:
        return self.ctx.media or silent_desk()

    def relayout(self) -> None:
        self._targets = [Target("start", self.area.copy())] if self.signage and self.signage.explore else []
        if self.player is not None:
            self.player.resize(self.area.size)

    def animating(self) -> bool:
        return True

    def motion_key(self) -> object:  # type: ignore[override]  # the film's motion, not the attract drift
        """Changes exactly when the picture does: a film's next frame or subtitle, the next item.

        A film is redrawn when its decoder puts up a new picture (30 a second for a 30 fps
        film), not on every pass of the 60 Hz loop; a slide or a picture is drawn once.
        """
        if self.item is None or self.item.kind != "video" or self.player is None:
            return self.plays
        return self.plays, self.player.stats.shown, self._subtitle_text(self.item)

    def next_change_in(self) -> float | None:
        if self.item is None or self.item.kind != "video" or self.player is None:
            return None
        return self.player.next_picture_in()

    def paints_all(self) -> bool:
        """A film's picture filling the whole area leaves nothing for the app to clear behind it."""
        player = self.player
        return (
            self.item is not None
            and self.item.kind == "video"
            and player is not None
            and player.picture_size() == self.area.size
        )

    def leave(self) -> list[Intent]:
        intents = self._finish(completed=False)
        self.item = None
        return intents

    # -- the playlist ------------------------------------------------------------------

    def _data(self, item: PlaylistItem) -> dict:
        return play_data(item.id, self.ctx.pack, self.ctx.lang, item.kind, "signage") | {"daypart": self.part}

    def _finish(self, completed: bool, error: str | None = None) -> list[Intent]:
        item = self.item
        self.desk.close(self.player)
        self.player = None
        if item is None:
            return []
        data = self._data(item) | {"seconds": round(self.item_elapsed, 3), "completed": completed}
        if error:
            data["error"] = error
        return [Record(EventType.MEDIA_END, data)]

    def _advance(self) -> list[Intent]:
        """End the current item and start the next, from the daypart the venue's clock is in now."""
        intents = self._finish(completed=True) if self.item is not None else []
        part, items = self.signage.playlist_at(self.desk.minute_of_day(self.signage.timezone))
        if part != self.part or items != self.items:
            self.part, self.items, self.index = part, items, -1
        self.item, self.item_elapsed = None, 0.0
        if not self.items:
            return intents
        self.index = (self.index + 1) % len(self.items)
        item = self.items[self.index]
        self.item = item
        self.plays += 1
        if item.kind == "video":
            path = self.ctx.pack.path(item.file or "")
            if not path.is_file():
                self.item = None
                return [*intents, *self._error(f"{item.file}: the file is missing")]
            self.player = self.desk.player(path, self.area.size, duration=item.duration)
        return [*intents, Record(EventType.MEDIA_START, self._data(item))]

    def _error(self, reason: str) -> list[Intent]:
        """Log a broken item once per playlist run (it is skipped on every round)."""
        if reason in self._reported:
            return []
        self._reported.add(reason)
        return [Record("error", {"kind": "video", "detail": reason})]

    def update(self, dt: float) -> list[Intent]:
        self.elapsed += dt
        if self.signage is None:
            return []
        if self.item is None:
            # Nothing to play (no daypart now, or a file went missing): look again in a while.
            self.item_elapsed += dt
            if self.index == -1 or self.item_elapsed >= (RETRY if self.items else RECHECK):
                return self._advance()
            return []
        self.item_elapsed += dt
        item = self.item
        if item.kind != "video":
            return self._advance() if self.item_elapsed >= item.seconds else []
        player = self.player
        if player is None:
            return self._advance()
        if player.error:
            reason = player.error
            intents = self._finish(completed=False, error=reason)
            self.item = None
            return [*intents, *self._error(reason)]
        player.advance()
        return self._advance() if player.ended else []

    def state_key(self) -> str:
        return f"signage:{self.item.kind if self.item else 'idle'}"

    # -- drawing -------------------------------------------------------------------------

    def draw(self, surface: pygame.Surface) -> None:
        ctx, theme, painter = self.ctx, self.ctx.theme, self.ctx.painter
        pal = theme.palette
        item = self.item
        if item is None:
            surface.fill(pal.background)
            painter.draw_text(
                surface,
                f"{ctx.pack.title.zh}\n{ctx.pack.title.en}",
                self.area.inflate(-2 * theme.margin, -2 * theme.margin),
                theme.font("title"),
                pal.text,
                bold=True,
                align="center",
                valign="middle",
            )
        elif item.kind == "video":
            if not self.paints_all():
                surface.fill((0, 0, 0), self.area)  # letterbox bars (a full-screen picture covers it all)
            if self.player is not None:
                self.player.show(surface, self.area.center)
            self._subtitles(surface, item)
        elif item.kind == "picture":
            surface.fill((0, 0, 0), self.area)
            painter.image(surface, ctx.pack.path(item.file or ""), self.area, theme)
            if item.title:
                subtitle_band(surface, ctx, f"{item.title.zh}\n{item.title.en}", self.area, theme.font("heading"))
        else:
            self._slide(surface, item)
        if self._targets:
            self._explore_hint(surface)

    def _subtitle_text(self, item: PlaylistItem) -> str:
        """The exhibit's language first, the other beneath, at the film's position now."""
        if self.player is None:
            return ""
        first = self.ctx.lang
        lines = []
        for lang in (first, "en" if first == "zh" else "zh"):
            path = item.subtitles.get(lang)
            if path:
                cues, _ = self.desk.subtitles(self.ctx.pack.path(path))
                text = cue_at(cues, self.player.position)
                if text:
                    lines.append(text)
        return "\n".join(lines)

    def _subtitles(self, surface: pygame.Surface, item: PlaylistItem) -> None:
        text = self._subtitle_text(item)
        if text:
            subtitle_band(surface, self.ctx, text, self.area, self.ctx.theme.font("body"))

    def _slide(self, surface: pygame.Surface, item: PlaylistItem) -> None:
        ctx, theme, painter = self.ctx, self.ctx.theme, self.ctx.painter
        pal = theme.palette
        surface.fill(pal.background, self.area)
        inner = self.area.inflate(-2 * theme.margin, -2 * theme.margin)
        if item.file:
            if theme.portrait:
                image = pygame.Rect(inner.left, inner.top, inner.width, round(inner.height * 0.42))
                text = pygame.Rect(inner.left, image.bottom + theme.margin, inner.width, inner.bottom - image.bottom)
            else:
                image = pygame.Rect(inner.left, inner.top, round(inner.width * 0.48), inner.height)
                text = pygame.Rect(image.right + theme.margin, inner.top, inner.right - image.right - theme.margin, 0)
                text.height = inner.height
            painter.image(surface, ctx.pack.path(item.file), image, theme)
        else:
            text = inner
        title = item.title
        title_size = theme.font("title")
        title_text = f"{title.zh}\n{title.en}" if title else ""
        title_h = painter.wrapped_height(title_text, text.width, title_size, bold=True) if title else 0
        title_h = min(title_h, text.height // 2)
        painter.draw_text(
            surface,
            title_text,
            pygame.Rect(text.left, text.top, text.width, title_h),
            title_size,
            pal.text,
            bold=True,
            min_size=max(12, title_size // 2),
        )
        if item.body:
            painter.draw_text(
                surface,
                f"{item.body.zh}\n\n{item.body.en}",
                pygame.Rect(text.left, text.top + title_h + theme.gap, text.width, text.height - title_h - theme.gap),
                theme.font("body"),
                pal.text,
                min_size=max(12, theme.font("body") // 2),
            )

    def _explore_hint(self, surface: pygame.Surface) -> None:
        theme, painter = self.ctx.theme, self.ctx.painter
        pal = theme.palette
        size = theme.font("small")
        width = min(self.area.width - 2 * theme.margin, painter.text_width(EXPLORE, size, bold=True) + 2 * theme.margin)
        pill = pygame.Rect(0, 0, width, painter.line_height(size) + theme.gap)
        pill.topright = (self.area.right - theme.margin, self.area.top + theme.margin)
        pygame.draw.rect(surface, pal.accent, pill, border_radius=pill.height // 2)
        painter.draw_text(
            surface, EXPLORE, pill, size, pal.accent_text, bold=True, align="center", valign="middle", min_size=12
        )
