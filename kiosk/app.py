"""The kiosk application: attract → visit → idle reset, emergencies and pack swaps, with events.

Time is a parameter: `update(dt)` advances everything, so idle timeouts are tested by
calling `update(61)` and simulated visitors run as fast as the CPU allows. Wall-clock
checks (emergency start/expiry) use `clock.stamp().ts`, so tests inject that too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pygame

from content_packs.model import Pack, RatingScene
from kepu_contracts.clock import Clock
from kepu_contracts.control import Control, EmergencyNotice
from kepu_contracts.events import EventType
from kiosk.audio import Narrator
from kiosk.media import MediaDesk
from kiosk.painter import Painter
from kiosk.recorder import EventSink
from kiosk.screens.attract import AttractScreen
from kiosk.screens.base import Context, GoHome, Intent, Narrate, OpenScene, Record, Screen, Target
from kiosk.screens.emergency import EmergencyScreen
from kiosk.screens.home import HomeScreen
from kiosk.screens.rating import DOWN, UP, thumb_button
from kiosk.screens.registry import build_screen, supported
from kiosk.screens.signage import SignageScreen
from kiosk.session import SessionTracker
from kiosk.theme import Theme
from kiosk.touch import Pointer
from kiosk.volume import Loudness

CHROME_HOME = ("‹ 首页", "‹ Home")
CHROME_LANG = ("English", "中文")  # the label names the language you switch *to*
CHROME_SENIOR = ("长者模式", "Large text")
STILL_THERE = ("还在看吗？", "Still there?")
RESET_IN = ("{s} 秒后回到开始画面", "Starting over in {s} s")
CONTINUE = ("继续", "Continue")
GOODBYE_ASK = ("走之前，给个评价吧：", "Before you go, did you like it?")


@dataclass(frozen=True)
class KioskConfig:
    idle_timeout: float = 60.0
    warning: float = 15.0
    dpi: float = 110.0
    default_lang: str = "zh"
    swipe_fraction: float = 0.08  # of the screen width


class KioskApp:
    """One exhibit's visitor-facing state machine over a loaded pack."""

    def __init__(
        self,
        pack: Pack,
        recorder: EventSink,
        clock: Clock,
        size: tuple[int, int],
        painter: Painter,
        config: KioskConfig = KioskConfig(),
        narrator: Narrator | None = None,
        control: Callable[[], Control] | None = None,
    ):
        self.pack = pack
        self.recorder = recorder
        self.clock = clock
        self.config = config
        self.painter = painter
        self.size = size
        self.narrator = narrator or Narrator(enabled=False)
        self.control = control or (lambda: Control())
        self.sessions = SessionTracker(config.idle_timeout, config.warning)
        self.lang = config.default_lang
        self.theme = Theme(size[0], size[1], config.dpi, senior=False)
        self.mode = "attract"  # "attract" | "visit" | "emergency"
        self.emergency: EmergencyNotice | None = None
        self.rated = False  # in this session
        self.next_pack: tuple[Pack, Painter] | None = None
        self.on_pack_switched: Callable[[Pack], None] = lambda pack: None
        self._down: tuple[Pointer, Target | None] | None = None
        self._shade: pygame.Surface | None = None
        self.media = MediaDesk(audio=self.narrator.enabled, now=clock.monotonic, wall=lambda: clock.stamp().ts)
        # Volume and quiet hours from control.json scale narration, films and the attract sound.
        self.loudness = Loudness([self.media.set_volume, self.narrator.set_volume])
        self.screen: Screen = self._attract_screen()
        painter.on_error = self._asset_error

    # -- geometry ------------------------------------------------------------

    def _full_area(self) -> pygame.Rect:
        return pygame.Rect(0, 0, *self.size)

    def _content_area(self) -> pygame.Rect:
        bar = self.theme.bar_height
        return pygame.Rect(0, bar, self.size[0], self.size[1] - bar)

    def _context(self) -> Context:
        return Context(pack=self.pack, lang=self.lang, theme=self.theme, painter=self.painter, media=self.media)

    def _attract_screen(self) -> Screen:
        """Between visits: the attract loop, or a 科普大屏 pack's playlist."""
        if self.pack.signage is not None:
            return SignageScreen(self._context(), self._full_area())
        return AttractScreen(self._context(), self._full_area())

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

    def _warning_layout(self) -> dict[str, pygame.Rect]:
        """The "still there?" card and its buttons (thumbs too, if the visitor has not rated)."""
        t, painter = self.theme, self.painter
        ask = not self.rated and self.sessions.current is not None and self.sessions.current.meaningful
        w = min(self.size[0] - 2 * t.margin, round(t.vmin * (96 if t.portrait else 110) * t.scale))
        bh = t.button_height
        th = max(t.min_target, round(bh * 1.1))
        title_h, body_h = painter.line_height(t.font("title")), painter.line_height(t.font("body"))
        content = title_h + body_h + t.gap * 2 + bh
        if ask:
            content += body_h + th + t.gap * 2
        h = min(self.size[1] - 2 * t.margin, content + 2 * t.margin)
        card = pygame.Rect(0, 0, w, h)
        card.center = (self.size[0] // 2, self.size[1] // 2)
        inner = card.inflate(-2 * t.margin, -2 * t.margin)
        button = pygame.Rect(0, 0, min(inner.width, max(t.min_target * 2, round(t.vmin * 40 * t.scale))), bh)
        button.midbottom = (inner.centerx, inner.bottom)
        layout = {"card": card, "inner": inner, "continue": button}
        if ask:
            tw = min((inner.width - t.gap * 2) // 2, round(t.vmin * 44 * t.scale))
            up = pygame.Rect(0, 0, tw, th)
            down = up.copy()
            y = button.top - t.gap * 2 - th // 2
            up.midright = (inner.centerx - t.gap, y)
            down.midleft = (inner.centerx + t.gap, y)
            layout.update(up=up, down=down)
        return layout

    def _warning_targets(self) -> list[Target]:
        layout = self._warning_layout()
        targets = [Target("continue", self._full_area())]
        targets += [Target(f"goodbye:{name}", layout[name]) for name in ("up", "down") if name in layout]
        return targets

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

    @property
    def session_id(self) -> str | None:
        return self.sessions.current.id if self.sessions.current else None

    # -- input -----------------------------------------------------------------

    def pointer(self, p: Pointer) -> None:
        """Feed one pointer event; a gesture is decided when the finger lifts."""
        if p.kind == "down":
            self._down = (p, self.target_at((p.x, p.y)))
            return
        if p.kind == "cancel":  # a ghost or a palm (kiosk.touch): the finger that went down chose nothing
            self._down = None
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

    def button(self, name: str) -> bool:
        """A physical button press, mapped by the pack's [buttons]; an interaction like a tap. True if mapped."""
        action = self.pack.button_action(name, None if self.mode != "visit" else self.screen.scene_id)
        if action is None or self.mode == "emergency":
            return False
        via = {"via": "button", "button": name, "action": action}
        centre = (-1, -1)  # no finger: no position
        if self.mode == "attract" or action == "start":
            if self.mode == "attract":
                self._gesture(None, 0, centre, **via)
            else:
                self._gesture(Target("chrome:home", self._full_area()), 0, centre, **via)
            return True
        if action in ("next", "back"):
            self._gesture(None, +1 if action == "next" else -1, centre, **via)
        elif action in ("home", "language", "senior"):
            chrome = {"home": "chrome:home", "language": "chrome:lang", "senior": "chrome:senior"}[action]
            self._gesture(Target(chrome, self._full_area()), 0, centre, **via)
        else:  # choice:N — the N-th thing to touch on this scene
            index = int(action.split(":", 1)[1]) - 1
            targets = self.screen.targets()
            if index >= len(targets):
                return False
            self._gesture(targets[index], 0, targets[index].rect.center, **via)
        return True

    def _gesture(self, target: Target | None, swipe: int, pos: tuple[int, int], **via: str) -> None:
        now = self.clock.monotonic()
        if self.mode == "emergency":
            return  # the notice is not interactive and no visit is running
        if self.mode == "attract":
            if self.pack.signage is not None and not self.pack.signage.explore:
                return  # a playlist-only screen: a touch starts no visit
            session, _ = self.sessions.interact(now)
            self.rated = False
            self._log(EventType.ATTRACT_INTERRUPT, session=session.id, scene="attract")
            self._log(EventType.SESSION_START, session=session.id, lang=self.lang)
            self._log(EventType.TAP, session=session.id, scene="attract", target="start", x=pos[0], y=pos[1], **via)
            self.mode = "visit"
            self._show(HomeScreen(self._context(), self._content_area()))
            return
        warned = self._warning_visible()
        session, _ = self.sessions.interact(now)
        name = target.name if target else None
        data: dict[str, Any] = {"target": name, "x": pos[0], "y": pos[1], **via}
        if swipe:
            data["gesture"] = "swipe"
            data["direction"] = swipe
        self._log(EventType.TAP, session=session.id, scene=self.screen.scene_id, **data)
        if warned:
            if name and name.startswith("goodbye:"):
                self._rate(name.split(":", 1)[1], via="goodbye")
            return  # otherwise the touch only dismissed "still there?"
        if swipe:
            self._apply(self.screen.swipe(swipe))
        elif name and name.startswith("chrome:"):
            self._chrome(name)
        elif name:
            self._apply(self.screen.tap(name))

    def _chrome(self, name: str) -> None:
        if name == "chrome:home":
            self._show(HomeScreen(self._context(), self._content_area()))
        elif name == "chrome:lang":
            self.lang = "en" if self.lang == "zh" else "zh"
            self._log(EventType.LANGUAGE, session=self.session_id, scene=self.screen.scene_id, lang=self.lang)
            self._relayout()
            self._apply(self.screen.enter())  # narration follows the language
        elif name == "chrome:senior":
            self._set_senior(not self.theme.senior)
            self._log(EventType.SENIOR_MODE, session=self.session_id, scene=self.screen.scene_id, on=self.theme.senior)
            self._relayout()

    def _set_senior(self, on: bool) -> None:
        self.theme = self.theme.with_senior(on)
        # Slower pacing: seniors get longer before "still there?" and the reset.
        self.sessions.idle_timeout = self.config.idle_timeout * self.theme.pace
        self.sessions.warning = min(self.config.warning * self.theme.pace, self.sessions.idle_timeout / 2)

    def _rate(self, value: str, via: str) -> None:
        self.rated = True
        self._log(EventType.RATING, session=self.session_id, scene=self.screen.scene_id, value=value, via=via)

    def _apply(self, intents: list[Intent]) -> None:
        for intent in intents:
            if isinstance(intent, OpenScene):
                scene = self.pack.scene(intent.scene)
                if supported(scene):
                    self._show(build_screen(scene, self._context(), self._content_area()))
            elif isinstance(intent, GoHome):
                self._finished_scene()
            elif isinstance(intent, Narrate):
                self.narrator.play(self.pack.path(intent.audio) if intent.audio else None)
            elif isinstance(intent, Record):
                if intent.type == EventType.RATING:
                    self.rated = True
                self._log(intent.type, session=self.session_id, scene=self.screen.scene_id, **intent.data)

    def _finished_scene(self) -> None:
        """After the pack's goal scene, offer the rating scene once; otherwise back home."""
        rating = next((s for s in self.pack.scenes if isinstance(s, RatingScene)), None)
        if self.screen.scene_id == self.pack.goal and rating is not None and not self.rated:
            self._show(build_screen(rating, self._context(), self._content_area()))
        else:
            self._show(HomeScreen(self._context(), self._content_area()))

    # -- transitions -------------------------------------------------------------

    def _replace(self, screen: Screen) -> None:
        """Take the screen away (it ends its film, logging media_end) and put `screen` up."""
        self._apply(self.screen.leave())
        self.screen = screen

    def _show(self, screen: Screen, idle_tail: float = 0.0) -> None:
        sid = self.session_id
        self._apply(self.screen.leave())
        if self.mode == "visit" and not isinstance(self.screen, (AttractScreen, EmergencyScreen)):
            # Left at the idle reset: the minute nobody touched it is not dwell (as for the session).
            dwell = self.screen.elapsed - min(self.screen.elapsed, idle_tail)
            self._log(EventType.SCENE_LEAVE, session=sid, scene=self.screen.scene_id, dwell=round(dwell, 3))
        self.narrator.stop()
        self.screen = screen
        if self.mode == "visit" and not isinstance(screen, (AttractScreen, EmergencyScreen)):
            self._log(EventType.SCENE_ENTER, session=sid, scene=screen.scene_id)
            self._apply(screen.enter())

    def _relayout(self) -> None:
        area = self._content_area() if self.mode == "visit" else self._full_area()
        self.screen.set_context(self._context(), area)

    def end_session(self, reason: str) -> None:
        """Close the visit: leave the scene, log the session, clear state, back to attract."""
        session = self.sessions.current
        if session is None:
            return
        tail = self.sessions.idle(self.clock.monotonic()) if reason == "idle" else 0.0
        self._show(self._attract_screen(), idle_tail=tail)
        self.sessions.end()
        self._log(
            EventType.SESSION_END,
            session=session.id,
            duration=round(session.duration, 3),
            interactions=session.interactions,
            reason=reason,
        )
        # The next visitor starts fresh: default language, standard text and pacing.
        self.lang = self.config.default_lang
        self._set_senior(False)
        self.rated = False
        self.mode = "attract"
        self._down = None
        self._replace(self._attract_screen())

    def close(self) -> None:
        """Shutting down: the screen ends its film or playlist item (media_end), players stop."""
        self._apply(self.screen.leave())
        self.media.close_all()

    # -- emergencies and pack swaps ----------------------------------------------

    def _check_emergency(self) -> None:
        notice = self.control().emergency
        now = self.clock.stamp().ts
        active = notice if notice is not None and notice.active(now) else None
        if active is not None and active != self.emergency:
            if self.mode == "visit":
                self.end_session("emergency")
            if self.emergency is not None and self.emergency.id != active.id:
                self._log(EventType.EMERGENCY_CLEARED, id=self.emergency.id, reason="replaced")
            if self.emergency is None or self.emergency.id != active.id:
                self._log(EventType.EMERGENCY_SHOWN, scene="emergency", id=active.id, expires=active.expires)
            self.emergency = active
            self.mode = "emergency"
            self.narrator.stop()
            self._replace(EmergencyScreen(self._context(), self._full_area(), active))
        elif active is None and self.emergency is not None:
            expired = (
                notice is not None
                and notice.id == self.emergency.id
                and notice.expires is not None
                and now >= notice.expires
            )
            self._log(EventType.EMERGENCY_CLEARED, id=self.emergency.id, reason="expired" if expired else "ended")
            self.emergency = None
            self.mode = "attract"
            self._replace(self._attract_screen())

    def offer_pack(self, pack: Pack, painter: Painter) -> None:
        """A new verified pack: it replaces the current one at the next attract moment."""
        self.next_pack = (pack, painter)

    def _maybe_switch_pack(self) -> None:
        if self.next_pack is None or self.mode != "attract":
            return
        pack, painter = self.next_pack
        self.next_pack = None
        self.pack, self.painter = pack, painter
        painter.on_error = self._asset_error
        self._replace(self._attract_screen())
        self.on_pack_switched(pack)

    # -- frame -------------------------------------------------------------------

    def update(self, dt: float) -> None:
        """Advance animations, the idle clock, emergencies and pack swaps by `dt` seconds."""
        self.loudness.follow(self.control().audio, self.clock.now(), self.clock.monotonic())
        self._check_emergency()
        self._maybe_switch_pack()
        watching = self.mode == "visit" and self.screen.watching()
        self._apply(self.screen.update(dt))
        if watching or (self.mode == "visit" and self.screen.watching()):
            self.sessions.hold(self.clock.monotonic())  # watching a film is visiting, touch or not
        if self.mode == "visit" and self.sessions.expired(self.clock.monotonic()):
            self.end_session("idle")
        for kind, detail in self.narrator.drain_errors():
            self._asset_error(kind, detail)

    def draw(self, surface: pygame.Surface) -> None:
        pal = self.theme.palette
        if not (self.screen.paints_all() and self.screen.area.contains(surface.get_rect())):
            surface.fill(pal.background)  # (a film or picture covering the whole frame needs no 8 MB clear first)
        self.screen.draw(surface)
        if self.mode == "visit":
            self._draw_chrome(surface)
        if self._warning_visible():
            self._draw_warning(surface)

    def animating(self) -> bool:
        """True while the picture moves by itself: the frame loop ticks at full rate."""
        return self.screen.animating()

    def redraws_every_frame(self) -> bool:
        """Animating without a `motion_key()` (e.g. a playing video): every tick is a new frame."""
        return self.screen.animating() and self.screen.motion_key() is None

    def next_change_in(self) -> float | None:
        """Seconds until the moving picture changes by itself (a film's next frame); None: not known."""
        return self.screen.next_change_in() if self.screen.animating() and not self._warning_visible() else None

    def frame_key(self) -> tuple:
        """Changes whenever the picture would change without a touch: the loop redraws only then.

        (Touches mark the frame dirty on their own, so a screen's inner state that only a
        touch changes needs no place here.)
        """
        warning = self._warning_visible()
        seconds = int(self.sessions.seconds_left(self.clock.monotonic()) + 0.999) if warning else None
        return (
            id(self.screen),
            self.screen.state_key(),
            self.mode,
            self.lang,
            self.theme.senior,
            id(self.pack),
            self.emergency,
            warning,
            seconds,
            self.screen.motion_key() if self.screen.animating() else None,  # last: motion (benchmarks drop it)
        )

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
        labels = {
            "chrome:home": CHROME_HOME[lang],
            "chrome:lang": CHROME_LANG[lang],
            "chrome:senior": CHROME_SENIOR[lang],
        }
        targets = self._chrome_targets()
        for target in targets:
            painter.button(
                surface,
                target.rect,
                labels[target.name],
                t,
                selected=target.name == "chrome:senior" and t.senior,
                size=t.font("small"),
            )
        left = max((x.rect.right for x in targets if x.name == "chrome:home"), default=t.margin // 2) + t.gap
        right = min(x.rect.left for x in targets) - t.gap
        title = self.pack.title.get(self.lang)
        # The pack's name is a courtesy here: shown only where it fits at full size.
        if (
            right - left > t.min_target * 2
            and painter.wrapped_height(title, right - left, t.font("small")) <= bar.height
        ):
            painter.draw_text(
                surface,
                title,
                pygame.Rect(left, 0, right - left, bar.height),
                t.font("small"),
                pal.muted,
                align="center",
                valign="middle",
                min_size=t.font("small"),
            )

    def _draw_warning(self, surface: pygame.Surface) -> None:
        t, painter = self.theme, self.painter
        pal = t.palette
        if self._shade is None:
            # Surface alpha rather than per-pixel alpha: the same darkening, a fraction of the blend cost.
            self._shade = pygame.Surface(self.size, 0, surface)
            self._shade.fill((0, 0, 0))
            self._shade.set_alpha(150)
        surface.blit(self._shade, (0, 0))
        layout = self._warning_layout()
        card, inner = layout["card"], layout["inner"]
        pygame.draw.rect(surface, pal.surface, card, border_radius=t.radius * 2)
        lang = 0 if self.lang == "zh" else 1
        seconds = int(self.sessions.seconds_left(self.clock.monotonic()) + 0.999)
        title, body = t.font("title"), t.font("body")
        top = inner.top
        title_h = painter.line_height(title)
        painter.draw_text(
            surface,
            STILL_THERE[lang],
            pygame.Rect(inner.left, top, inner.width, title_h),
            title,
            pal.text,
            bold=True,
            align="center",
            valign="middle",
        )
        top += title_h
        painter.draw_text(
            surface,
            RESET_IN[lang].format(s=seconds),
            pygame.Rect(inner.left, top, inner.width, painter.line_height(body)),
            body,
            pal.muted,
            align="center",
            valign="middle",
        )
        top += painter.line_height(body)
        if "up" in layout:
            ask_bottom = layout["up"].top - t.gap // 2
            painter.draw_text(
                surface,
                GOODBYE_ASK[lang],
                pygame.Rect(inner.left, top, inner.width, ask_bottom - top),
                body,
                pal.text,
                align="center",
                valign="bottom",
            )
            ctx = self._context()
            thumb_button(surface, ctx, layout["up"], True, ctx.ui(UP))
            thumb_button(surface, ctx, layout["down"], False, ctx.ui(DOWN))
        painter.button(surface, layout["continue"], CONTINUE[lang], t, primary=True)

    # -- events ----------------------------------------------------------------

    def _log(self, type: str, session: str | None = None, scene: str | None = None, **data) -> None:
        self.recorder.record(type, session=session, scene=scene, **data)

    def _asset_error(self, kind: str, detail: str) -> None:
        scene = self.screen.scene_id if hasattr(self, "screen") else None
        self._log(EventType.ERROR, session=self.session_id, scene=scene, kind=kind, detail=detail)
