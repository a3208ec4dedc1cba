"""Headless simulated visitors through the real kiosk code path.

Touches are synthesised as pygame finger events and go through the same input
translation, gesture recognition, screens, session tracker and outbox as a real touch.
In fast mode time is injected (no sleeping); in live mode it is the real clock, for the
demo stack: a live simulator is an exhibit like `kepu-kiosk run` — it plays
`DATA/packs/current` when there is one (`--pack` is the fallback), writes `kiosk.json`,
swaps packs at the next attract moment, shows control.json emergencies, answers
screenshot requests with the frame it would show, and stops cleanly on SIGTERM.
"""

from __future__ import annotations

import logging
import random
import signal
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pygame

from content_packs import PackError, load_pack
from content_packs.model import Pack
from kepu_contracts.clock import Clock, ManualClock, SystemClock
from kepu_contracts.datadir import DataDir
from kepu_contracts.events import EventType
from kepu_contracts.outbox import Outbox
from kiosk.app import KioskConfig
from kiosk.host import HostOptions, KioskHost
from kiosk.packs import PackFailed, describe, make_painter, prepare
from kiosk.recorder import Recorder
from kiosk.touch import TouchInput, finger_event
from kiosk.visitors import Swipe, Tap, VisitorProfile, Wait, choose_target, visitor

log = logging.getLogger(__name__)
STEP = 0.1  # seconds per update in live mode: emergencies, swaps and screenshots within a frame or two
FAST_STEP = 1.0  # with injected time: emergencies are still checked every simulated second


@dataclass
class SimulationResult:
    sessions: int = 0
    events: int = 0
    by_type: dict[str, int] = field(default_factory=dict)
    screenshots: list[str] = field(default_factory=list)
    seed: int = 0
    simulated_seconds: float = 0.0
    wall_seconds: float = 0.0

    def as_json(self) -> dict:
        return {
            "sessions": self.sessions,
            "events": self.events,
            "by_type": dict(sorted(self.by_type.items())),
            "screenshots": len(self.screenshots),
            "seed": self.seed,
            "simulated_seconds": round(self.simulated_seconds, 1),
            "wall_seconds": round(self.wall_seconds, 3),
        }


__all__ = ["SimulationResult", "Simulator", "VisitingCalendar", "make_painter", "simulate"]


@dataclass(frozen=True)
class VisitingCalendar:
    """When simulated visitors come, for backfilling history: [start, until), within opening hours."""

    start: float  # wall clock, epoch seconds
    until: float
    opens: int = 9  # local hour the venue opens
    closes: int = 21  # local hour it closes
    timezone: str = "Asia/Shanghai"

    def over(self, ts: float) -> bool:
        return ts >= self.until

    def closed_for(self, ts: float) -> float:
        """Seconds until the venue next opens, or 0 while it is open."""
        local = datetime.fromtimestamp(ts, ZoneInfo(self.timezone))
        if self.opens <= local.hour < self.closes:
            return 0.0
        opening = local.replace(hour=self.opens, minute=0, second=0, microsecond=0)
        if local.hour >= self.closes:
            opening += timedelta(days=1)
        # One second past opening: float wall clocks landing "exactly" on 09:00 can read 08:59:59.9999.
        return (opening - local).total_seconds() + 1.0


class Stopped(Exception):
    """SIGTERM/SIGINT in live mode: finish the visit and flush, like `kepu-kiosk run`."""


class Simulator:
    """Drives a KioskApp with synthetic visitors; optionally saves each distinct screen."""

    def __init__(
        self,
        pack: Pack,
        data_dir: Path,
        seed: int = 0,
        size: tuple[int, int] = (1920, 1080),
        config: KioskConfig = KioskConfig(),
        clock: Clock | None = None,
        live: bool = False,
        screenshots: Path | None = None,
        lang: str | None = None,
        profile: VisitorProfile = VisitorProfile(),
        mean_gap: float = 20.0,
        host_options: HostOptions | None = None,
        follow_current: bool | None = None,
        calendar: VisitingCalendar | None = None,
    ):
        pygame.init()
        self._stopping = threading.Event()
        self.live = live
        self.calendar = None if live else calendar
        if clock is None and self.calendar is not None:
            clock = ManualClock(start=self.calendar.start)
        self.clock = clock or (SystemClock() if live else ManualClock())
        self.rng = random.Random(seed)
        self.seed = seed
        self.size = size
        self.profile = profile
        self.mean_gap = mean_gap
        self.outbox = Outbox(DataDir(Path(data_dir)).outbox)
        self.recorder = Recorder(self.outbox, self.clock)
        if lang:
            config = KioskConfig(**{**config.__dict__, "default_lang": lang})
        options = host_options or HostOptions(audio=live)
        failed = None
        if live if follow_current is None else follow_current:
            pack, failed = self._current_or(pack, Path(data_dir))
        self.host = KioskHost(
            Path(data_dir), pack, prepare(pack), self.recorder, self.clock, size, config, options, failed=failed
        ).start()
        self.frame: pygame.Surface | None = None  # drawn only when a screenshot is requested
        self.touch = TouchInput(size)
        self.screenshot_dir = screenshots
        self.surface = pygame.Surface(size) if screenshots else None
        self.seen_states: set[str] = set()
        self.result = SimulationResult(seed=seed)
        self._sim_time = 0.0

    def _current_or(self, fallback: Pack, data: Path) -> tuple[Pack, PackFailed | None]:
        """`DATA/packs/current` if it exists and loads (as `kepu-kiosk run` does), else `fallback`."""
        current = DataDir(data).current_pack
        if not current.exists():
            return fallback, None
        target = current.resolve()
        try:
            return load_pack(target), None
        except PackError as exc:
            failure = PackFailed(target, str(exc)[:2000], **describe(target))
            self.recorder.record(
                EventType.PACK_FAILED, id=failure.id, version=failure.version, path=str(target), reason=failure.reason
            )
            log.error("pack %s failed to load, playing %s: %s", target, fallback.root, exc)
            return fallback, failure

    # -- time ----------------------------------------------------------------

    def _advance(self, seconds: float) -> None:
        # Only a run that is not live moves time itself, and its clock is then a ManualClock.
        assert isinstance(self.clock, ManualClock), "a simulation that is not live needs a ManualClock"
        self.clock.advance(seconds)

    def wait(self, seconds: float) -> None:
        """Let `seconds` pass, updating the app as a frame loop would."""
        remaining = seconds
        step = STEP if self.live else FAST_STEP
        while remaining > 1e-9:
            if self._stopping.is_set():
                raise Stopped()
            dt = min(step, remaining)
            if self.live:
                time.sleep(dt)
            else:
                self._advance(dt)
            self._sim_time += dt
            self.host.tick(dt)
            self._serve_screenshots()
            self._maybe_screenshot()
            remaining -= dt

    # -- touches ---------------------------------------------------------------

    def touch_at(self, x: int, y: int, end: tuple[int, int] | None = None) -> None:
        for kind, (px, py) in (("down", (x, y)), ("up", end or (x, y))):
            pointer = self.touch.translate(finger_event(kind, px, py, self.size))
            if pointer:
                self.app.pointer(pointer)
        self._maybe_screenshot()

    def tap(self, pick: str) -> None:
        target = choose_target(self.rng, pick, self.app.targets(), self._weights())
        if target is None:
            x, y = self._empty_spot()
        else:
            r = target.rect
            x = self.rng.randint(r.left + r.width // 4, r.right - r.width // 4 - 1) if r.width > 4 else r.centerx
            y = self.rng.randint(r.top + r.height // 4, r.bottom - r.height // 4 - 1) if r.height > 4 else r.centery
        self.touch_at(x, y)

    def swipe(self, direction: int) -> None:
        w, h = self.size
        y = h // 2
        start, end = (round(w * 0.7), round(w * 0.3)) if direction > 0 else (round(w * 0.3), round(w * 0.7))
        self.touch_at(start, y, end=(end, y + self.rng.randint(-10, 10)))

    def _weights(self) -> dict[str, float]:
        return dict(self.app.screen.visitor_weights)

    def _empty_spot(self) -> tuple[int, int]:
        for _ in range(50):
            x, y = self.rng.randrange(self.size[0]), self.rng.randrange(self.size[1])
            if self.app.target_at((x, y)) is None:
                return x, y
        return 1, self.size[1] - 2

    # -- sessions ----------------------------------------------------------------

    def one_visit(self) -> None:
        warning_at = self.app.config.idle_timeout - self.app.sessions.warning
        for action in visitor(self.rng, self.profile, warning_at):
            if isinstance(action, Wait):
                self.wait(action.seconds)
            elif isinstance(action, Tap):
                self.tap(action.pick)
            elif isinstance(action, Swipe):
                self.swipe(action.direction)
            if self.app.mode == "attract" and not isinstance(action, Tap):
                break  # the visitor lingered too long and the exhibit reset
        # The visitor walks away; the exhibit resets after the idle timeout (longer in 长者模式).
        while self.app.mode == "visit":
            self.wait(STEP if self.live else 0.5)

    def run(self, sessions: int | None) -> SimulationResult:
        """Play `sessions` visits (None: forever, for the demo); return the ground truth."""
        started = time.perf_counter()
        self._maybe_screenshot()
        count = 0
        restore = self._catch_signals() if self.live else {}
        try:
            while sessions is None or count < sessions:
                self.wait(self.rng.expovariate(1 / self.mean_gap) if self.mean_gap > 0 else 0.0)
                if self.calendar is not None:
                    closed_for = self.calendar.closed_for(self.clock.stamp().ts)
                    if closed_for:
                        # Nobody visits a closed venue: jump to opening time (no visit is in progress).
                        self._advance(closed_for)
                        self._sim_time += closed_for
                    if self.calendar.over(self.clock.stamp().ts):
                        break
                if self.live and not self.host.control.latest.display_on:
                    continue  # the venue's displays are off by its schedule: nobody is visiting
                self.one_visit()
                count += 1
        except Stopped:
            log.info("stopping: ending the visit and flushing the outbox")
            if self.app.session_id is not None:
                self.app.end_session("shutdown")  # before the count below: the summary stays the ground truth
        finally:
            for signum, previous in restore.items():
                signal.signal(signum, previous)
            self.recorder.flush()
            self.result.events = self.recorder.committed
            self.result.by_type = dict(self.recorder.committed_by_type)
            # Sessions as the outbox has them (a visit cut short by an emergency or SIGTERM included).
            self.result.sessions = self.result.by_type.get(EventType.SESSION_END, 0)
            self.result.simulated_seconds = self._sim_time
            self.result.wall_seconds = time.perf_counter() - started
        return self.result

    def _catch_signals(self) -> dict:
        """SDL turns SIGTERM into a quit event nobody reads here: take it back (main thread only)."""
        if threading.current_thread() is not threading.main_thread():
            return {}
        previous = {}
        for signum in (signal.SIGTERM, signal.SIGINT):
            previous[signum] = signal.signal(signum, lambda *_: self._stopping.set())
        return previous

    def stop(self) -> None:
        """Ask a running live simulation to finish (as SIGTERM does)."""
        self._stopping.set()

    @property
    def app(self):
        return self.host.app

    def _serve_screenshots(self) -> None:
        if not self.host.wants_frame:
            return
        if self.frame is None:
            self.frame = pygame.Surface(self.size)
        self.app.draw(self.frame)
        self.host.capture(self.frame)

    def close(self) -> None:
        self.host.stop("shutdown")
        self.recorder.close()
        self.outbox.close()

    # -- screenshots ---------------------------------------------------------------

    def _maybe_screenshot(self) -> None:
        if self.surface is None or self.screenshot_dir is None:
            return
        key = f"{self.app.lang}:{self.app.state_key()}"
        if key in self.seen_states:
            return
        self.seen_states.add(key)
        self.app.draw(self.surface)
        self.screenshot_dir.mkdir(parents=True, exist_ok=True)
        name = f"{len(self.seen_states):03d}-{key.replace(':', '-').replace('#', '-').replace('+', '-')}.png"
        path = self.screenshot_dir / name
        pygame.image.save(self.surface, str(path))
        self.result.screenshots.append(str(path))


def simulate(pack_dir: Path, data_dir: Path, sessions: int | None, seed: int = 0, **options: Any) -> SimulationResult:
    """Load a pack and play `sessions` simulated visits (None: until stopped) into `data_dir/outbox.db`."""
    sim = Simulator(load_pack(Path(pack_dir).resolve()), data_dir, seed=seed, **options)
    try:
        return sim.run(sessions)
    finally:
        sim.close()
