"""The frame loop on a real display: pygame window, touch, heartbeat, watchdog.

It draws only what changed: a frame is drawn and presented after a touch, when the
app's `frame_key()` changes (a new screen, the countdown, an emergency, a pack swap) or
while the screen is `animating()`; otherwise the loop sleeps on the event queue
(kiosk.pacing) and a still screen costs almost nothing. Frames reach the panel through
the GPU renderer where there is one (kiosk.display), reported in kiosk.json `renderer`.

The loop never touches the disk or the network: events go to the recorder's queue,
the heartbeat is written by its own thread, and control.json / packs/current are
watched by threads whose results the host picks up without waiting.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pygame

from content_packs import PackError, load_pack
from content_packs.model import Pack
from kepu_contracts.clock import SystemClock
from kepu_contracts.datadir import DataDir
from kepu_contracts.events import EventType
from kepu_contracts.outbox import Outbox
from kiosk.app import KioskApp, KioskConfig
from kiosk.blanking import keep_screen_awake, prepare_sdl
from kiosk.display import DisplayRequest, open_display
from kiosk.display_sleep import SLEEP_FPS, DisplaySleep
from kiosk.heartbeat import sd_notify
from kiosk.host import HostOptions, KioskHost
from kiosk.pacing import REDRAW_EVENTS, FramePacer
from kiosk.packs import PackFailed, describe, make_painter, pack_images
from kiosk.recorder import Recorder
from kiosk.touch import KIOSK_FILTER, Calibration, TouchFilter, TouchInput

log = logging.getLogger(__name__)
SAMPLES = Path(__file__).resolve().parent.parent / "content_packs" / "samples"


@dataclass(frozen=True)
class RunOptions:
    data: Path
    pack: Path | None = None
    size: tuple[int, int] | None = None
    fullscreen: bool = False
    fps: int = 60
    config: KioskConfig = KioskConfig()
    debug_overlay: bool = False
    watch: bool = False  # reload the pack when one of its files changes (preview)
    max_seconds: float | None = None  # stop after this long (smoke tests)
    audio: bool = True
    rotation: int = 0  # degrees clockwise the picture is turned on the panel (portrait cabinets)
    calibration: Calibration | None = None  # the touch panel's mapping onto the picture
    touch_filter: TouchFilter = KIOSK_FILTER  # ghost touches and palms on a real panel
    renderer: str = "auto"  # "auto" | "gpu" | "software"
    # Called after each presented frame with the app and time.perf_counter() (benchmarks, tests).
    on_present: Callable[[KioskApp, float], None] | None = None


def pack_candidates(options: RunOptions) -> list[Path]:
    """Where to look for a pack, best first: explicit, the agent's `current`, a bundled sample."""
    out: list[Path] = []
    if options.pack:
        out.append(options.pack)
    current = DataDir(options.data).current_pack
    if current.exists():
        out.append(current)
    if SAMPLES.is_dir():
        out.extend(sorted(p for p in SAMPLES.iterdir() if (p / "pack.toml").is_file()))
    return out


def load_first_pack(options: RunOptions, recorder: Recorder) -> tuple[Pack, PackFailed | None]:
    """The best loadable pack, and the first failure before it (reported as pack_failed)."""
    first_failure: PackFailed | None = None
    for candidate in pack_candidates(options):
        resolved = candidate.resolve()
        try:
            pack = load_pack(resolved)
        except PackError as exc:
            failure = PackFailed(resolved, str(exc)[:2000], **describe(resolved))
            recorder.record(
                EventType.PACK_FAILED, id=failure.id, version=failure.version, path=str(resolved), reason=failure.reason
            )
            log.error("pack %s failed to load: %s", candidate, exc)
            first_failure = first_failure or failure
            continue
        return pack, first_failure
    raise SystemExit("no loadable pack: give --pack DIR or install one with the agent")


def run(options: RunOptions) -> int:
    """Run the exhibit until the window closes (or `max_seconds`)."""
    started = time.monotonic()
    prepare_sdl(os.environ, kiosk=options.fullscreen)
    pygame.init()
    display = open_display(
        DisplayRequest(options.size, options.fullscreen, options.rotation, options.renderer, title="kepu")
    )
    # A kiosk shows no pointer; a window (preview, windowed run) keeps it for the author's mouse.
    pygame.mouse.set_visible(not options.fullscreen)
    if options.fullscreen:
        keep_screen_awake(os.environ)
    size = display.size
    clock = SystemClock()
    outbox = Outbox(DataDir(options.data).outbox)
    recorder = Recorder(outbox, clock)
    pack, failed = load_first_pack(options, recorder)
    painter = make_painter(pack).warm()
    images = pack_images(pack)
    painter.preload(images[:1])  # the attract picture now; the rest while the attract loop plays
    threading.Thread(target=painter.preload, args=(images[1:],), name="image-preload", daemon=True).start()
    host_options = HostOptions(
        watch_current=not options.watch, watch_files=options.watch, audio=options.audio, target_fps=options.fps
    )
    host = KioskHost(options.data, pack, painter, recorder, clock, size, options.config, host_options, failed=failed)
    host.renderer, host.renderer_driver = display.kind, display.driver
    host.start()
    touch = TouchInput(size, options.rotation, options.calibration, options.touch_filter)
    pacer = FramePacer(options.fps)
    sleep = DisplaySleep(options.data)
    last_watchdog = 0.0
    first_frame = True
    drawn_key: tuple | None = None
    drawn_scene: tuple = ()  # the last drawn frame's app.frame_key() (the key's last item is the motion)
    was_animating = False
    sd_notify("READY=1")
    stopping = threading.Event()
    # systemd stops the kiosk with SIGTERM: finish the frame, end the visit, flush the outbox.
    previous = signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    try:
        running = True
        while running and not stopping.is_set():
            asleep = not host.control.latest.display_on  # the power schedule (control.json `display`)
            app: KioskApp = host.app
            # Dark, the loop just waits for a touch or the next look at control.json.
            busy = not asleep and (first_frame or was_animating or options.debug_overlay)
            # Dark: look up only SLEEP_FPS times a second (control.json, the heartbeat, a touch still wake it).
            # A film knows when its next picture is due: the loop sleeps until then, not one 60 Hz tick.
            next_change = app.next_change_in() if busy and not options.debug_overlay else None
            dt, events = pacer.next(busy, 1.0 / SLEEP_FPS if asleep else None, next_change)
            woke = time.perf_counter()  # a drawn frame's time runs from here to presented
            touched = False
            for event in events:
                if event.type == pygame.QUIT or (event.type == pygame.KEYDOWN and event.key == pygame.K_ESCAPE):
                    if options.fullscreen:
                        # A kiosk is not closed by a visitor's keyboard or a window manager's
                        # close button: only systemd (SIGTERM) stops it.
                        log.info("ignored %s in kiosk mode", pygame.event.event_name(event.type))
                    else:
                        running = False
                    continue
                pointer = touch.translate(event)
                if pointer and asleep:
                    sleep.touched(host.control.latest.wake_on_touch)
                elif pointer:
                    app.pointer(pointer)
                    # Gestures are decided when the finger lifts: only then can the picture change.
                    touched = touched or pointer.kind in ("up", "cancel")
                elif event.type in REDRAW_EVENTS:
                    touched = True  # the window was uncovered or resized: paint it again
            host.tick(dt)
            app = host.app
            if asleep:
                # Dark by schedule: one black frame, then nothing drawn until it lights again.
                sleep.blank(display.canvas, display.present)
                host.capture(display.canvas)
                drawn_key, drawn_scene = None, ()  # the first lit frame is drawn whatever the key
            else:
                sleep.awake()
                key = scene = app.frame_key()
                animating = app.animating()
                if options.debug_overlay:
                    key = (*key, int(time.monotonic() * 4), host.reload_error)  # the fps line, 4 times a second
                # The frame after an animation ends shows where it came to rest.
                settled = was_animating and not animating
                if (
                    first_frame
                    or touched
                    or key != drawn_key
                    or app.redraws_every_frame()
                    or settled
                    or host.wants_frame
                ):
                    app.draw(display.canvas)
                    if options.debug_overlay:
                        _overlay(display.canvas, host, pacer.rate)
                    host.capture(display.canvas)  # screenshot requests, if any: a copy, encoded off the loop
                    display.present()
                    # A frame of motion: the screen moved on from its own last frame by itself (kiosk.frame_stats).
                    motion = was_animating and animating and not touched and scene[:-1] == drawn_scene[:-1]
                    host.frame_shown(time.perf_counter() - woke, motion)
                    drawn_key, drawn_scene = key, scene
                    if observer := options.on_present:
                        observer(app, time.perf_counter())
                was_animating = animating
            now = time.monotonic()
            if first_frame:
                first_frame = False
                log.info("first frame %.3f s after start (%s renderer)", now - started, display.kind)
            if now - last_watchdog >= 1.0:
                sd_notify("WATCHDOG=1")  # fed from the loop: a frozen frame loop gets restarted
                last_watchdog = now
            if options.max_seconds is not None and now - started >= options.max_seconds:
                running = False
    finally:
        signal.signal(signal.SIGTERM, previous)
        host.stop("shutdown")
        recorder.close()
        outbox.close()
        display.close()
        pygame.quit()
    return 0


def _overlay(screen: pygame.Surface, host: KioskHost, loop_rate: float) -> None:
    """Author's debug line (fps, scene, session, language) and, after a failed reload, why."""
    app = host.app
    session = app.session_id[:8] if app.session_id else "-"
    fps, worst = host.fps, host.frame_stats.p99_ms()
    shown = f"{fps:5.1f} fps" if fps is not None else "  -   fps"
    timing = f" (p99 {worst:.1f} ms, loop {loop_rate:.0f}/s)" if worst is not None else ""
    text = f"{shown}{timing}  scene={app.screen.scene_id}  session={session}  lang={app.lang}  senior={app.theme.senior}  pack={app.pack.id} {app.pack.version}"
    size = max(12, app.theme.font("small") // 2)
    surface = app.painter.render(text, size, (255, 255, 0))
    bg = pygame.Surface((surface.get_width() + 12, surface.get_height() + 6), pygame.SRCALPHA)
    bg.fill((0, 0, 0, 180))
    screen.blit(bg, (0, screen.get_height() - bg.get_height()))
    screen.blit(surface, (6, screen.get_height() - bg.get_height() + 3))
    if host.reload_error:
        w, h = screen.get_size()
        message = (
            "重新加载失败，仍在显示上一版 · Reload failed, still showing the previous version\n" + host.reload_error
        )
        banner = pygame.Rect(0, 0, w, min(h // 2, size * 12))
        pygame.draw.rect(screen, (150, 20, 20), banner)
        app.painter.draw_text(screen, message, banner.inflate(-12, -8), size, (255, 255, 255), min_size=12)
