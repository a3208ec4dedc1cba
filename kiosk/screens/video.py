"""A video scene: the film in the kiosk's frame, subtitles in the visitor's language, touch controls.

Tap the picture (or the round button) to pause and resume, the seek bar to jump, ↺ to
start again. Watching without touching is still visiting: `watching()` tells the app to
hold the idle clock while the film plays. A missing or broken file shows the poster and
logs an `error`; every play is one `media_start` and exactly one `media_end`.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, ClassVar

import pygame

from content_packs.model import VideoScene
from kepu_contracts.events import EventType
from kiosk import shapes
from kiosk.media import MediaDesk, cue_at, play_data, silent_desk
from kiosk.screens.base import Context, GoHome, Intent, OpenScene, Record, Screen, Target

if TYPE_CHECKING:
    from kiosk.video import VideoPlayer

SEEK_STEPS = 20  # the seek bar is twenty touch targets: a finger needs no precision
CANNOT_PLAY = ("视频暂时无法播放", "This video cannot play right now")


def clock(seconds: float) -> str:
    seconds = max(0, int(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


@functools.lru_cache(maxsize=8)
def _shade(size: tuple[int, int]) -> pygame.Surface:
    """Black at alpha 170, made once per band size: blending it with surface alpha costs about half of
    allocating and blending a per-pixel-alpha band for every new picture (and a multiply fill 4× more)."""
    shade = pygame.Surface(size)
    shade.fill((0, 0, 0))
    shade.set_alpha(170)
    return shade


def subtitle_band(
    surface: pygame.Surface, ctx: Context, text: str, box: pygame.Rect, size: int, top: bool = False
) -> None:
    """Subtitles on a dark band at the bottom (or top) of `box`, as large as the theme asks (senior: larger)."""
    if not text:
        return
    painter, theme = ctx.painter, ctx.theme
    width = box.width - 2 * theme.margin
    lines_h = min(painter.wrapped_height(text, width, size, bold=True), painter.line_height(size) * 3)
    band = pygame.Rect(box.left, box.bottom - lines_h - theme.gap * 2, box.width, lines_h + theme.gap * 2)
    if top:
        band.top = box.top
    surface.blit(_shade(band.size), band.topleft)
    painter.draw_text(
        surface,
        text,
        band.inflate(-2 * theme.margin, -theme.gap),
        size,
        (255, 255, 255),
        bold=True,
        align="center",
        valign="middle",
        min_size=max(12, size * 2 // 3),
    )


class VideoScreen(Screen):
    visitor_weights: ClassVar[dict[str, float]] = {"toggle": 1.0, "video": 1.0, "replay": 0.3, "seek:10": 0.3}

    def __init__(self, ctx: Context, area: pygame.Rect, scene: VideoScene):
        self.scene = scene
        self.scene_id = scene.id
        self.player: VideoPlayer | None = None
        self.state = "poster"  # poster | playing | paused | ended | error
        self.played = 0.0  # seconds of this play actually watched (pauses and jumps excluded)
        self.problem: str | None = None
        self._last_position = 0.0
        super().__init__(ctx, area)

    @property
    def desk(self) -> MediaDesk:
        return self.ctx.media or silent_desk()

    # -- layout ----------------------------------------------------------------------

    def relayout(self) -> None:
        theme = self.ctx.theme
        inner = self.area.inflate(-2 * theme.margin, -2 * theme.margin)
        bh = theme.button_height
        controls = pygame.Rect(inner.left, inner.bottom - bh, inner.width, bh)
        title_h = self.ctx.painter.line_height(theme.font("title")) + theme.gap if theme.portrait else 0
        space = pygame.Rect(
            inner.left, inner.top + title_h, inner.width, controls.top - theme.gap - inner.top - title_h
        )
        self.title_rect = pygame.Rect(inner.left, inner.top, inner.width, title_h)
        if theme.portrait:
            # A tall screen has room under the picture: the subtitles go there, over nothing.
            lines = self.ctx.painter.line_height(theme.font("body")) * 3 + theme.gap * 2
            self.video_rect = _fit_rect(pygame.Rect(space.left, space.top, space.width, space.height - lines), (16, 9))
            self.video_rect.top = space.top
            self.subtitle_rect = pygame.Rect(space.left, self.video_rect.bottom + theme.gap, space.width, lines)
        else:
            self.video_rect = _fit_rect(space, (16, 9))
            self.subtitle_rect = self.video_rect
        self.controls = controls
        toggle = pygame.Rect(controls.left, controls.top, max(theme.min_target, round(bh * 1.3)), bh)
        replay = pygame.Rect(toggle.right + theme.gap, controls.top, toggle.width, bh)
        time_w = self.ctx.painter.text_width("00:00 / 00:00", theme.font("small"), bold=True) + theme.gap
        bar = pygame.Rect(
            replay.right + theme.gap, controls.top, controls.right - replay.right - theme.gap - time_w, bh
        )
        self.bar = bar
        self.time_rect = pygame.Rect(bar.right, controls.top, time_w, bh)
        self._targets = [Target("video", self.video_rect.copy()), Target("toggle", toggle), Target("replay", replay)]
        if bar.width > SEEK_STEPS:
            step = bar.width / SEEK_STEPS
            self._targets += [
                Target(f"seek:{i}", pygame.Rect(round(bar.left + i * step), bar.top, round(step) + 1, bar.height))
                for i in range(SEEK_STEPS)
            ]
        if self.player is not None:
            self.player.resize(self.video_rect.size)

    # -- lifecycle -------------------------------------------------------------------

    def enter(self) -> list[Intent]:
        if self.player is None and self.state == "poster" and self.scene.autoplay:
            return self._start()
        return []

    def leave(self) -> list[Intent]:
        """The visitor (or an emergency) takes the screen away: end the play, free the decoder."""
        intents = self._end(completed=False) if self.state in ("playing", "paused") else []
        self.desk.close(self.player)
        self.player = None
        return intents

    def watching(self) -> bool:
        return self.state == "playing"

    def animating(self) -> bool:
        return self.state == "playing"

    def motion_key(self) -> object:
        """Changes when the film puts up a new picture (or the clock's second or the subtitle turns).

        So the loop draws the scene once per picture, not on every pass: a 30 fps film is 30
        frames a second however fast the loop runs; the seek bar moves with the picture.
        """
        player = self.player
        if player is None:
            return None
        return player.stats.shown, int(player.position), self._subtitle_text()

    def next_change_in(self) -> float | None:
        if self.player is None or self.state != "playing":
            return None
        # The clock's seconds turn with a picture (or within one), so the picture's time is enough.
        return self.player.next_picture_in()

    def _start(self) -> list[Intent]:
        path = self.ctx.pack.path(self.scene.video)
        self.desk.close(self.player)
        self.player = None
        if not path.is_file():
            return self._fail(f"{self.scene.video}: the file is missing")
        self.player = self.desk.player(path, self.video_rect.size, loop=self.scene.loop, duration=self.scene.duration)
        self.state, self.played, self._last_position = "playing", 0.0, 0.0
        return [Record(EventType.MEDIA_START, self._data())]

    def _data(self) -> dict:
        return play_data(self.scene.video, self.ctx.pack, self.ctx.lang, "video", "scene")

    def _end(self, completed: bool, error: str | None = None) -> list[Intent]:
        data = self._data() | {"seconds": round(self.played, 3), "completed": completed}
        if error:
            data["error"] = error
        return [Record(EventType.MEDIA_END, data)]

    def _fail(self, reason: str) -> list[Intent]:
        intents = self._end(completed=False, error=reason) if self.state in ("playing", "paused") else []
        self.state, self.problem = "error", reason
        self.desk.close(self.player)
        self.player = None
        return [*intents, Record("error", {"kind": "video", "detail": reason})]

    # -- input -----------------------------------------------------------------------

    def tap(self, name: str) -> list[Intent]:
        player = self.player
        if name in ("video", "toggle"):
            if self.state == "playing" and player is not None:
                player.pause()
                self.state = "paused"
                return []
            if self.state == "paused" and player is not None:
                player.resume()
                self.state = "playing"
                return []
            if self.state in ("poster", "ended"):
                return self._start()
            return []
        if name == "replay":
            if self.state in ("playing", "paused"):
                intents = self._end(completed=False)
                return intents + self._start()
            if self.state != "error":
                return self._start()
            return []
        if name.startswith("seek:") and player is not None and self.state in ("playing", "paused"):
            duration = player.duration or self.scene.duration
            if duration > 0:
                player.seek(duration * int(name.split(":", 1)[1]) / SEEK_STEPS)
                self._last_position = player.position
        return []

    # -- frame -----------------------------------------------------------------------

    def update(self, dt: float) -> list[Intent]:
        super().update(dt)
        player = self.player
        if player is None or self.state not in ("playing", "paused"):
            return []
        if player.error:
            return self._fail(player.error)
        player.advance()
        if self.state != "playing":
            return []
        duration = player.duration or self.scene.duration
        self.played = min(self.played + dt, duration) if duration > 0 else self.played + dt
        position = player.position
        if self.scene.loop and position < self._last_position - 1.0:
            # Looped round: that pass was a complete play; the next one starts now.
            intents = self._end(completed=True)
            self.played = 0.0
            self._last_position = position
            return [*intents, Record(EventType.MEDIA_START, self._data())]
        self._last_position = position
        if player.ended:
            intents = self._end(completed=True)
            self.state = "ended"
            self.desk.close(self.player)
            self.player = None
            if self.scene.next == "home":
                return [*intents, GoHome()]
            if self.scene.next:
                return [*intents, OpenScene(self.scene.next)]
            return intents
        return []

    def state_key(self) -> str:
        return f"{self.scene_id}:{self.state}"

    def draw(self, surface: pygame.Surface) -> None:
        ctx, theme, painter = self.ctx, self.ctx.theme, self.ctx.painter
        pal = theme.palette
        if self.title_rect.height:
            painter.draw_text(
                surface, ctx.t(self.scene.title), self.title_rect, theme.font("title"), pal.text, bold=True
            )
        box = self.video_rect
        pygame.draw.rect(surface, (0, 0, 0), box)
        playing = self.player is not None and self.state in ("playing", "paused")
        shown = self.player.show(surface, box.center) if playing and self.player is not None else None
        if shown is None:
            poster = ctx.pack.path(self.scene.poster) if self.scene.poster else None
            painter.image(surface, poster, box, theme) if poster else painter.placeholder(surface, box, theme)
        if self.state in ("poster", "ended", "paused"):
            self._big_button(surface, box, replay=self.state == "ended")
        if self.state == "error":
            painter.draw_text(
                surface,
                ctx.ui(CANNOT_PLAY),
                pygame.Rect(box.left, box.bottom - painter.line_height(theme.font("body")) * 2, box.width, 0).inflate(
                    0, painter.line_height(theme.font("body")) * 2
                ),
                theme.font("body"),
                pal.text,
                bold=True,
                align="center",
                valign="middle",
            )
        if shown is not None:
            self._subtitles(surface, box)
        self._controls(surface)

    def _subtitle_text(self) -> str:
        path = self.scene.subtitles.get(self.ctx.lang)
        if not path or self.player is None:
            return ""
        cues, _ = self.desk.subtitles(self.ctx.pack.path(path))
        return cue_at(cues, self.player.position)

    def _subtitles(self, surface: pygame.Surface, box: pygame.Rect) -> None:
        text = self._subtitle_text()
        if not text:
            return
        subtitle_band(
            surface, self.ctx, text, self.subtitle_rect, self.ctx.theme.font("body"), top=self.ctx.theme.portrait
        )

    def _big_button(self, surface: pygame.Surface, box: pygame.Rect, replay: bool) -> None:
        theme = self.ctx.theme
        pal = theme.palette
        r = max(theme.min_target // 2, round(min(box.width, box.height) * 0.12))
        pygame.draw.circle(surface, pal.accent, box.center, r)
        icon = pygame.Rect(0, 0, r, r)
        icon.center = box.center
        (shapes.replay if replay else shapes.play)(surface, icon, pal.accent_text)

    def _controls(self, surface: pygame.Surface) -> None:
        theme, painter = self.ctx.theme, self.ctx.painter
        pal = theme.palette
        targets = {t.name: t.rect for t in self._targets}
        for name in ("toggle", "replay"):
            rect = targets[name]
            primary = name == "toggle"
            pygame.draw.rect(surface, pal.accent if primary else pal.surface, rect, border_radius=theme.radius)
            pygame.draw.rect(surface, pal.accent, rect, theme.outline_width, theme.radius)
            icon = rect.inflate(-rect.height * 0.45, -rect.height * 0.45)
            ink = pal.accent_text if primary else pal.accent
            if name == "replay":
                shapes.replay(surface, icon, ink)
            elif self.state == "playing":
                shapes.pause(surface, icon, ink)
            else:
                shapes.play(surface, icon, ink)
        bar = self.bar
        track = pygame.Rect(bar.left, 0, bar.width, max(6, theme.gap // 2))
        track.centery = bar.centery
        pygame.draw.rect(surface, pal.outline, track, border_radius=track.height // 2)
        duration = (self.player.duration if self.player else 0) or self.scene.duration
        position = self.player.position if self.player else (duration if self.state == "ended" else 0.0)
        if duration > 0:
            done = track.copy()
            done.width = round(track.width * min(1.0, position / duration))
            pygame.draw.rect(surface, pal.accent, done, border_radius=track.height // 2)
            pygame.draw.circle(surface, pal.accent, (done.right, track.centery), max(track.height, theme.gap))
        label = f"{clock(position)} / {clock(duration)}" if duration > 0 else clock(position)
        painter.draw_text(
            surface, label, self.time_rect, theme.font("small"), pal.muted, bold=True, align="right", valign="middle"
        )


def _fit_rect(space: pygame.Rect, shape: tuple[int, int]) -> pygame.Rect:
    """The largest rect of this shape inside `space`, centred (horizontally) at its top."""
    ratio = min(space.width / shape[0], space.height / shape[1])
    width = max(16, int(shape[0] * ratio) // 16 * 16)  # the decoder's picture fills it exactly
    rect = pygame.Rect(0, 0, width, max(2, round(width * shape[1] / shape[0]) // 2 * 2))
    rect.midtop = (space.centerx, space.top + max(0, (space.height - rect.height) // 2))
    return rect
