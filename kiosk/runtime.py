"""The frame loop on a real display: pygame window, touch, heartbeat, watchdog.

The loop never touches the disk or the network: events go to the recorder's queue,
the heartbeat is written by its own thread, and control.json / packs/current are
watched by threads whose results the host picks up without waiting.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
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
from kiosk.display_sleep import SLEEP_FPS, DisplaySleep
from kiosk.heartbeat import sd_notify
from kiosk.host import HostOptions, KioskHost
from kiosk.packs import PackFailed, describe, make_painter, pack_images
from kiosk.recorder import Recorder
from kiosk.touch import TouchInput

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
    pygame.init()
    flags = pygame.FULLSCREEN if options.fullscreen else 0
    screen = pygame.display.set_mode(
        options.size or (0, 0) if options.fullscreen else (options.size or (1280, 720)), flags
    )
    pygame.display.set_caption("kepu")
    pygame.mouse.set_visible(not options.fullscreen)
    size = screen.get_size()
    clock = SystemClock()
    outbox = Outbox(DataDir(options.data).outbox)
    recorder = Recorder(outbox, clock)
    pack, failed = load_first_pack(options, recorder)
    painter = make_painter(pack).warm()
    images = pack_images(pack)
    painter.preload(images[:1])  # the attract picture now; the rest while the attract loop plays
    threading.Thread(target=painter.preload, args=(images[1:],), name="image-preload", daemon=True).start()
    host_options = HostOptions(watch_current=not options.watch, watch_files=options.watch, audio=options.audio)
    host = KioskHost(
        options.data, pack, painter, recorder, clock, size, options.config, host_options, failed=failed
    ).start()
    touch = TouchInput(size)
    sleep = DisplaySleep(options.data)
    ticker = pygame.time.Clock()
    last_watchdog = 0.0
    first_frame = True
    sd_notify("READY=1")
    stopping = threading.Event()
    # systemd stops the kiosk with SIGTERM: finish the frame, end the visit, flush the outbox.
    previous = signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    try:
        running = True
        while running and not stopping.is_set():
            asleep = not host.control.latest.display_on  # the power schedule (control.json `display`)
            dt = ticker.tick(SLEEP_FPS if asleep else options.fps) / 1000.0
            app: KioskApp = host.app
            for event in pygame.event.get():
                if event.type == pygame.QUIT or (
                    event.type == pygame.KEYDOWN and event.key == pygame.K_ESCAPE and not options.fullscreen
                ):
                    running = False
                pointer = touch.translate(event)
                if pointer and asleep:
                    sleep.touched(host.control.latest.wake_on_touch)
                elif pointer:
                    app.pointer(pointer)
            host.tick(dt)
            if asleep:
                sleep.blank(screen)
                host.capture(screen)
            else:
                sleep.awake()
                app.draw(screen)
                if options.debug_overlay:
                    _overlay(screen, host, ticker.get_fps())
                host.capture(screen)  # screenshot requests, if any: a copy, encoded off the loop
                pygame.display.flip()
            now = time.monotonic()
            if first_frame:
                first_frame = False
                log.info("first frame %.3f s after start", now - started)
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
        pygame.quit()
    return 0


def _overlay(screen: pygame.Surface, host: KioskHost, fps: float) -> None:
    """Author's debug line (fps, scene, session, language) and, after a failed reload, why."""
    app = host.app
    session = app.session_id[:8] if app.session_id else "-"
    text = f"{fps:5.1f} fps  scene={app.screen.scene_id}  session={session}  lang={app.lang}  senior={app.theme.senior}  pack={app.pack.id} {app.pack.version}"
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
