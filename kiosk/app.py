"""The kiosk application: attract → visit → idle reset, with sessions and events.

Time is a parameter: `update(dt)` advances everything, so idle timeouts are tested by
calling `update(61)` and simulated visitors run as fast as the CPU allows.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import pygame

from content_packs.model import Pack
from kiosk.clock import Clock
from kiosk.painter import Painter
from kiosk.recorder import Recorder
from kiosk.screens.attract import AttractScreen
from kiosk.screens.base import Context, GoHome, Intent, OpenScene, Record, Screen, Target
from kiosk.screens.home import HomeScreen
from kiosk.screens.registry import build_screen, supported
from kiosk.session import SessionTracker
from kiosk.theme import Theme
from kiosk.touch import Pointer

CHROME_HOME = ("‹ 首页", "‹ Home")
CHROME_LANG = ("English", "中文")  # the label names the language you switch *to*
CHROME_SENIOR = ("长者模式", "Large text")
STILL_THERE = ("还在看吗？", "Still there?")
RESET_IN = ("{s} 秒后回到开始画面", "Starting over in {s} s")
CONTINUE = ("继续", "Continue")


@dataclass(frozen=True)
class KioskConfig:
    idle_timeout: float = 60.0
    warning: float = 15.0
    dpi: float = 110.0
    default_lang: str = "zh"
    swipe_fraction: float = 0.08  # of the screen width


class KioskApp:
    """One exhibit's visitor-facing state machine over a loaded pack."""

    def __init__(self, pack: Pack, recorder: Recorder, clock: Clock, size: tuple[int, int], painter: Painter, config: KioskConfig = KioskConfig()):
        self.pack = pack
        self.recorder = recorder
        self.clock = clock
        self.config = config
        self.painter = painter
        self.size = size
        self.sessions = SessionTracker(config.idle_timeout, config.warning)
        self.lang = config.default_lang
        self.theme = Theme(size[0], size[1], config.dpi, senior=False)
        self.mode = "attract"
        self._down: tuple[Pointer, Target | None] | None = None
        self.screen: Screen = AttractScreen(self._context(), self._full_area())
        painter.on_error = self._asset_error

    # -- geometry ------------------------------------------------------------

    def _full_area(self) -> pygame.Rect:
        return pygame.Rect(0, 0, *self.size)

    def _content_area(self) -> pygame.Rect:
        bar = self.theme.bar_height
        return pygame.Rect(0, bar, self.size[0], self.size[1] - bar)

    def _context(self) -> Context:
        return Context(pack=self.pack, lang=self.lang, theme=self.theme, painter=self.painter)

    def _chrome_targets(self) -> list[Target]:
        if self.mode != "visit":
            return []
        t = self.theme
        bar = t.bar_height
        pad = max(4, t.gap // 2)
        h = bar - 2 * pad
        w = max(t.min_target * 2, round(t.vmin * 19 * t.scale))
        right = self.size[0] - t.margin // 2
        targets = [
            Target("chrome:senior", pygame.Rect(right - w, pad, w, h)),
            Target("chrome:lang", pygame.Rect(right - 2 * w - t.gap, pad, w, h)),
        ]
        if not isinstance(self.screen, HomeScreen):
            targets.append(Target("chrome:home", pygame.Rect(t.margin // 2, pad, w, h)))
        return targets

    def _warning_targets(self) -> list[Target]:
        if not self._warning_visible():
            return []
        return [Target("continue", self._full_area())]

    def targets(self) -> list[Target]:
        """Everything a visitor can touch right now, topmost last."""
        if self._warning_visible():
            return self._warning_targets()
        return self.screen.targets() + self._chrome_targets()

    def target_at(self, pos: tuple[int, int]) -> Target | None:
        for target in reversed(self.targets()):
            if target.rect.collidepoint(pos):
                return target
        return None

    def _warning_visible(self) -> bool:
        return self.mode == "visit" and self.sessions.warning_due(self.clock.monotonic())

    # -- input -----------------------------------------------------------------

    def pointer(self, p: Pointer) -> None:
        """Feed one pointer event; a gesture is decided when the finger lifts."""
        if p.kind == "down":
            self._down = (p, self.target_at((p.x, p.y)))
            return
        if p.kind != "up" or self._down is None:
            return
        start, target = self._down
        self._down = None
        dx, dy = p.x - start.x, p.y - start.y
        if abs(dx) > self.size[0] * self.config.swipe_fraction and abs(dx) > abs(dy):
            self._gesture(None, swipe=-1 if dx > 0 else +1, pos=(start.x, start.y))
        else:
            self._gesture(target, swipe=0, pos=(start.x, start.y))

    def _gesture(self, target: Target | None, swipe: int, pos: tuple[int, int]) -> None:
        now = self.clock.monotonic()
        if self.mode == "attract":
            session, _ = self.sessions.interact(now)
            self._log("attract_interrupt", session=session.id, scene="attract")
            self._log("session_start", session=session.id, lang=self.lang)
            self._log("tap", session=session.id, scene="attract", target="start", x=pos[0], y=pos[1])
            self.mode = "visit"
            self._show(HomeScreen(self._context(), self._content_area()))
            return
        warned = self._warning_visible()
        session, _ = self.sessions.interact(now)
        name = target.name if target else None
        data = {"target": name, "x": pos[0], "y": pos[1]}
        if swipe:
            data["gesture"] = "swipe"
            data["direction"] = swipe
        self._log("tap", session=session.id, scene=self.screen.scene_id, **data)
        if warned:
            return  # the touch only dismissed "still there?"
        if swipe:
            self._apply(self.screen.swipe(swipe))
        elif name and name.startswith("chrome:"):
            self._chrome(name)
        elif name:
            self._apply(self.screen.tap(name))

    def _chrome(self, name: str) -> None:
        sid = self.sessions.current.id if self.sessions.current else None
        if name == "chrome:home":
            self._show(HomeScreen(self._context(), self._content_area()))
        elif name == "chrome:lang":
            self.lang = "en" if self.lang == "zh" else "zh"
            self._log("language", session=sid, lang=self.lang)
            self._relayout()
        elif name == "chrome:senior":
            self.theme = self.theme.with_senior(not self.theme.senior)
            self._log("senior_mode", session=sid, on=self.theme.senior)
            self._relayout()

    def _apply(self, intents: list[Intent]) -> None:
        for intent in intents:
            sid = self.sessions.current.id if self.sessions.current else None
            if isinstance(intent, OpenScene):
                scene = self.pack.scene(intent.scene)
                if supported(scene):
                    self._show(build_screen(scene, self._context(), self._content_area()))
            elif isinstance(intent, GoHome):
                self._show(HomeScreen(self._context(), self._content_area()))
            elif isinstance(intent, Record):
                self._log(intent.type, session=sid, scene=self.screen.scene_id, **intent.data)

    # -- transitions -------------------------------------------------------------

    def _show(self, screen: Screen) -> None:
        sid = self.sessions.current.id if self.sessions.current else None
        if not isinstance(self.screen, AttractScreen):
            self._log("scene_leave", session=sid, scene=self.screen.scene_id, dwell=round(self.screen.elapsed, 3))
        self.screen = screen
        if not isinstance(screen, AttractScreen):
            self._log("scene_enter", session=sid, scene=screen.scene_id)

    def _relayout(self) -> None:
        area = self._full_area() if isinstance(self.screen, AttractScreen) else self._content_area()
        self.screen.set_context(self._context(), area)

    def end_session(self, reason: str) -> None:
        """Close the visit: leave the scene, log the session, clear state, back to attract."""
        session = self.sessions.current
        if session is None:
            return
        self._show(AttractScreen(self._context(), self._full_area()))
        self.sessions.end()
        self._log(
            "session_end",
            session=session.id,
            duration=round(session.duration, 3),
            interactions=session.interactions,
            reason=reason,
        )
        # The next visitor starts fresh: default language, standard text size.
        self.lang = self.config.default_lang
        self.theme = self.theme.with_senior(False)
        self.mode = "attract"
        self.screen = AttractScreen(self._context(), self._full_area())

    # -- frame -------------------------------------------------------------------

    def update(self, dt: float) -> None:
        """Advance animations and the idle clock by `dt` seconds."""
        self._apply(self.screen.update(dt))
        if self.mode == "visit" and self.sessions.expired(self.clock.monotonic()):
            self.end_session("idle")

    def draw(self, surface: pygame.Surface) -> None:
        pal = self.theme.palette
        surface.fill(pal.background)
        self.screen.draw(surface)
        if self.mode == "visit":
            self._draw_chrome(surface)
        if self._warning_visible():
            self._draw_warning(surface)

    def state_key(self) -> str:
        """Names the visually distinct screen now showing (for screenshots)."""
        overlay = "+warning" if self._warning_visible() else ""
        senior = "+senior" if self.theme.senior else ""
        return f"{self.screen.state_key()}{overlay}{senior}"

    def _draw_chrome(self, surface: pygame.Surface) -> None:
        t, painter = self.theme, self.painter
        pal = t.palette
        bar = pygame.Rect(0, 0, self.size[0], t.bar_height)
        pygame.draw.rect(surface, pal.surface, bar)
        pygame.draw.line(surface, pal.outline, bar.bottomleft, bar.bottomright, max(1, t.outline_width // 2))
        lang = 0 if self.lang == "zh" else 1
        labels = {"chrome:home": CHROME_HOME[lang], "chrome:lang": CHROME_LANG[lang], "chrome:senior": CHROME_SENIOR[lang]}
        targets = self._chrome_targets()
        for target in targets:
            painter.button(
                surface, target.rect, labels[target.name], t, selected=target.name == "chrome:senior" and t.senior, size=t.font("small")
            )
        left = max((x.rect.right for x in targets if x.name == "chrome:home"), default=t.margin // 2) + t.gap
        right = min(x.rect.left for x in targets) - t.gap
        if right - left > t.min_target:
            title = self.pack.title.get(self.lang)
            painter.draw_text(surface, title, pygame.Rect(left, 0, right - left, bar.height), t.font("small"), pal.muted, align="center", valign="middle")

    def _draw_warning(self, surface: pygame.Surface) -> None:
        t, painter = self.theme, self.painter
        pal = t.palette
        shade = pygame.Surface(self.size, pygame.SRCALPHA)
        shade.fill((0, 0, 0, 150))
        surface.blit(shade, (0, 0))
        w = min(self.size[0] - 2 * t.margin, round(t.vmin * 80 * t.scale))
        h = min(self.size[1] - 2 * t.margin, round(t.vmin * 55 * t.scale))
        card = pygame.Rect(0, 0, w, h)
        card.center = (self.size[0] // 2, self.size[1] // 2)
        pygame.draw.rect(surface, pal.surface, card, border_radius=t.radius * 2)
        lang = 0 if self.lang == "zh" else 1
        seconds = int(self.sessions.seconds_left(self.clock.monotonic()) + 0.999)
        inner = card.inflate(-2 * t.margin, -2 * t.margin)
        third = inner.height // 3
        painter.draw_text(surface, STILL_THERE[lang], pygame.Rect(inner.left, inner.top, inner.width, third), t.font("title"), pal.text, bold=True, align="center", valign="middle")
        painter.draw_text(surface, RESET_IN[lang].format(s=seconds), pygame.Rect(inner.left, inner.top + third, inner.width, third), t.font("body"), pal.muted, align="center", valign="middle")
        button = pygame.Rect(0, 0, min(inner.width, round(t.vmin * 40 * t.scale)), t.button_height)
        button.midbottom = (inner.centerx, inner.bottom)
        painter.button(surface, button, CONTINUE[lang], t, primary=True)

    # -- events ----------------------------------------------------------------

    def _log(self, type: str, session: str | None = None, scene: str | None = None, **data) -> None:
        self.recorder.record(type, session=session, scene=scene, **data)

    def _asset_error(self, kind: str, detail: str) -> None:
        sid = self.sessions.current.id if self.sessions.current else None
        self._log("error", session=sid, scene=self.screen.scene_id if hasattr(self, "screen") else None, kind=kind, detail=detail)
