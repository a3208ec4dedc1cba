"""The kiosk process around the app: file seams in (control.json, packs/current) and out (kiosk.json).

`KioskHost.tick(dt)` is one frame's worth of bookkeeping: take what the watcher threads
found (never waiting), hand it to the app, advance the app, refresh the heartbeat. The
real frame loop (runtime.py) and the headless simulator both drive a host, so simulated
visitors see emergencies and pack swaps exactly as real ones do.

kiosk.json `pack` (the agent confirms installs with it):
  {"id", "version", "path", "status": "loaded"}    playing this pack
  {"id", "version", "path", "status": "pending"}   loaded fine; switches when the visitor leaves
  {"id", "version", "path", "status": "failed", "reason"}  could not load; `playing` is unchanged
`playing` always names the pack on screen.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

from content_packs.model import Pack
from kepu_contracts.clock import Clock
from kepu_contracts.datadir import DataDir
from kepu_contracts.events import EventType
from kiosk.app import KioskApp, KioskConfig
from kiosk.audio import Narrator
from kiosk.buttons import ButtonFeed
from kiosk.control_watcher import ControlWatcher
from kiosk.frame_stats import FrameStats
from kiosk.heartbeat import Heartbeat
from kiosk.packs import PackFailed, PackReady, PackWatcher
from kiosk.painter import Painter
from kiosk.recorder import Recorder
from kiosk.screenshots import ScreenshotDesk

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class HostOptions:
    watch_current: bool = True  # follow DATA/packs/current
    watch_files: bool = False  # preview: reload the pack folder when a file changes
    heartbeat: bool = True
    threads: bool = True  # False: tests call check() on the watchers themselves
    audio: bool = True
    screenshots: bool = True  # answer DATA/requests/screenshot-<id>.json
    buttons: bool = True  # follow DATA/buttons.jsonl (physical buttons via the agent)
    target_fps: int = 60  # the frame loop's rate while something moves (the most `fps` reports)


def pack_brief(pack: Pack, status: str, **extra) -> dict:
    return {"id": pack.id, "version": pack.version, "status": status, "path": str(pack.root), **extra}


class KioskHost:
    """Owns the app, the watchers and the heartbeat for one data directory."""

    def __init__(
        self,
        data: Path,
        pack: Pack,
        painter: Painter,
        recorder: Recorder,
        clock: Clock,
        size: tuple[int, int],
        config: KioskConfig = KioskConfig(),
        options: HostOptions = HostOptions(),
        failed: PackFailed | None = None,
    ):
        self.data = Path(data)
        self.options = options
        self.recorder = recorder
        self.control = ControlWatcher(DataDir(self.data).control)
        self.narrator = Narrator(enabled=options.audio)
        self.app = KioskApp(
            pack, recorder, clock, size, painter, config, narrator=self.narrator, control=lambda: self.control.latest
        )
        self.app.on_pack_switched = self._switched
        self.packs: PackWatcher | None = None
        if options.watch_files:
            self.packs = PackWatcher(pack.root, pack.root, mode="files")
        elif options.watch_current:
            self.packs = PackWatcher(DataDir(self.data).current_pack, pack.root, mode="link")
        self.heartbeat = Heartbeat(DataDir(self.data).heartbeat) if options.heartbeat else None
        self.screenshots = ScreenshotDesk(self.data) if options.screenshots else None
        self.buttons = ButtonFeed(DataDir(self.data).buttons) if options.buttons else None
        self.status: dict = pack_brief(pack, "loaded")
        self.reload_error: str | None = None  # preview: why the last reload failed
        if failed is not None:  # the preferred pack (packs/current) failed; we play a fallback
            self.status = {
                "id": failed.id,
                "version": failed.version,
                "status": "failed",
                "reason": failed.reason,
                "path": str(failed.path),
            }
        self._control_problems = 0
        self._frames = 0  # passes of the loop (tick calls)
        self._drawn = 0  # frames actually drawn and presented (frame_shown calls)
        self._counts_draws = False  # a frame loop that skips unchanged frames reports them
        self._last_beat = -1.0
        self._last_key: tuple | None = None
        self._fps: float | None = None  # until a second has passed
        self._loop_fps = 0.0
        self._draw_fps = 0.0
        self._fps_window = (time.monotonic(), 0, 0)
        self._window_moving = True  # every pass of this fps window so far was lit and in motion
        self.frame_stats = FrameStats(options.target_fps)
        self._last_drawn: float | None = None
        self.renderer = "software"  # "gpu" | "software": how frames reach the panel (the runtime says)
        self.renderer_driver: str | None = None
        recorder.record(EventType.PACK_LOADED, id=pack.id, version=pack.version, path=str(pack.root))
        self._beat()

    # -- lifecycle --------------------------------------------------------------

    def start(self) -> KioskHost:
        if self.options.threads:
            self.control.start()
            if self.packs:
                self.packs.start()
        else:
            self.control.check()
        if self.heartbeat:
            self.heartbeat.start()
        if self.screenshots and self.options.threads:
            self.screenshots.start()
        if self.buttons and self.options.threads:
            self.buttons.start()
        return self

    def stop(self, reason: str = "shutdown") -> None:
        self.app.end_session(reason)
        self.app.close()
        self.control.stop()
        if self.packs:
            self.packs.stop()
        self.narrator.close()
        if self.buttons:
            self.buttons.stop()
        if self.heartbeat:
            self.heartbeat.stop()
        if self.screenshots:
            self.screenshots.drain(2.0)
            self.screenshots.stop()

    # -- per frame --------------------------------------------------------------

    def tick(self, dt: float) -> None:
        """One frame of bookkeeping; never touches the disk."""
        self._take_pack_results()
        if self.control.problems != self._control_problems:
            self._control_problems = self.control.problems
            self.recorder.record(EventType.ERROR, kind="control", detail=self.control.problem)
        if self.buttons:
            for name in self.buttons.take():
                self.app.button(name)
        self.app.update(dt)
        if self.screenshots:
            self.screenshots.take_requests()
        self._frames += 1
        self._window_moving = self._window_moving and self.app.animating() and self.control.latest.display_on
        started, frames, drawn = self._fps_window
        now = time.monotonic()
        if now - started >= 1.0:
            # loop_fps: passes of the loop (60 while something moves, the idle wake rate when still);
            # draw_fps: frames actually drawn and presented (~0 on a still screen);
            # fps: the rate motion is or would be shown at (kiosk.frame_stats).
            self._loop_fps = (self._frames - frames) / (now - started)
            if self._counts_draws:
                self._draw_fps = (self._drawn - drawn) / (now - started)
                self._fps = self.frame_stats.fps(self._loop_fps if self._window_moving else None)
            else:  # a driver that does not report its frames (the simulator) draws every pass
                self._draw_fps = self._fps = self._loop_fps
            self._fps_window = (now, self._frames, self._drawn)
            self._window_moving = True
        self._beat()

    def frame_shown(self, seconds: float | None = None, motion: bool = False) -> None:
        """The loop drew and presented a frame (it skips frames when nothing changed).

        `seconds`: from the loop waking to the frame presented; `motion`: a frame of an animating
        screen that followed one of its own (not the first frame of a screen, which fills caches).
        """
        self._counts_draws = True
        self._drawn += 1
        self._last_drawn = time.time()
        if seconds is not None:
            self.frame_stats.drawn(seconds, motion)

    @property
    def fps(self) -> float | None:
        """What kiosk.json `fps` says now (kiosk.frame_stats): the rate motion is or would be shown at."""
        return self._fps

    @property
    def wants_frame(self) -> bool:
        """True when a screenshot was requested: draw the frame and pass it to `capture`."""
        return bool(self.screenshots and self.screenshots.wanted)

    def capture(self, frame) -> None:
        """After drawing: hand the frame to waiting screenshot requests (a copy; encoded off the loop)."""
        if self.screenshots:
            self.screenshots.capture(frame)

    def _take_pack_results(self) -> None:
        if self.packs is None:
            return
        result = self.packs.poll()
        if result is None:
            return
        self._last_beat = -1.0  # report the news in this frame's heartbeat
        if isinstance(result, PackFailed):
            self.recorder.record(
                EventType.PACK_FAILED, id=result.id, version=result.version, path=str(result.path), reason=result.reason
            )
            self.status = {
                "id": result.id,
                "version": result.version,
                "status": "failed",
                "reason": result.reason,
                "path": str(result.path),
            }
            self.reload_error = result.reason
            log.error("pack %s failed to load; still playing %s: %s", result.path, self.app.pack.root, result.reason)
            return
        assert isinstance(result, PackReady)
        self.reload_error = None
        if result.path == self.app.pack.root.resolve() and not self.options.watch_files:
            self.app.next_pack = None  # switched back to what is playing (a rollback): nothing to do
            self.status = pack_brief(self.app.pack, "loaded")
            return
        self.app.offer_pack(result.pack, result.painter)
        if self.options.watch_files and self.app.mode == "visit":
            self.app.end_session("reload")  # an author saved a file: show it now
        self.status = pack_brief(result.pack, "pending")

    def _switched(self, pack: Pack) -> None:
        self.recorder.record(EventType.PACK_LOADED, id=pack.id, version=pack.version, path=str(pack.root))
        self.status = pack_brief(pack, "loaded")
        self._last_beat = -1.0
        log.info("now playing %s %s", pack.id, pack.version)

    def _beat(self) -> None:
        if self.heartbeat is None:
            return
        app = self.app
        now = time.monotonic()
        key = (
            app.mode,
            app.emergency,
            app.session_id,
            id(self.status),
            app.pack,
            app.loudness.percent,
            app.loudness.quiet,
        )
        if now - self._last_beat < 0.1 and key == self._last_key:
            return  # the file is written once a second; ten updates a second are plenty
        self._last_beat, self._last_key = now, key
        worst = self.frame_stats.p99_ms()
        self.heartbeat.update(
            fps=None if self._fps is None else round(self._fps, 1),
            loop_fps=round(self._loop_fps, 1),
            frame_ms_p99=None if worst is None else round(worst, 2),
            # The loop's last pass: the picture on the panel was current then (drawn or unchanged).
            last_frame=time.time(),
            last_drawn=self._last_drawn,
            frames=self._drawn,
            draw_fps=round(self._draw_fps, 1),
            animating=app.animating(),
            renderer=self.renderer,
            renderer_driver=self.renderer_driver,
            mode=app.mode,
            session=app.session_id is not None,
            emergency=app.emergency.id if app.emergency else None,
            pack=self.status,
            playing={"id": app.pack.id, "version": app.pack.version, "path": str(app.pack.root)},
            audio=app.loudness.report(),  # the volume applied now: the agent reports it to the dashboard
        )
