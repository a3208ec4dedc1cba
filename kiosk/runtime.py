"""The kiosk's frame loop on a real display: pygame window, touch, heartbeat, watchdog."""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path

import pygame

from content_packs import PackError, load_pack
from content_packs.model import Pack
from kiosk.app import KioskApp, KioskConfig
from kiosk.clock import SystemClock
from kiosk.heartbeat import Heartbeat, sd_notify
from kiosk.outbox import Outbox
from kiosk.recorder import Recorder
from kiosk.simulate import make_painter
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


def pack_candidates(options: RunOptions) -> list[Path]:
    """Where to look for a pack, best first: explicit, the agent's `current`, a bundled sample."""
    out: list[Path] = []
    if options.pack:
        out.append(options.pack)
    current = options.data / "packs" / "current"
    if current.exists():
        out.append(current)
    if SAMPLES.is_dir():
        out.extend(sorted(p for p in SAMPLES.iterdir() if (p / "pack.toml").is_file()))
    return out


def load_first_pack(options: RunOptions, recorder: Recorder) -> Pack:
    """Load the best available pack, logging pack_loaded or pack_failed for each try."""
    for candidate in pack_candidates(options):
        try:
            pack = load_pack(candidate.resolve())
        except PackError as exc:
            recorder.record("pack_failed", path=str(candidate), reason=str(exc)[:2000])
            log.error("pack %s failed to load: %s", candidate, exc)
            continue
        recorder.record("pack_loaded", pack=pack.id, version=pack.version, path=str(candidate))
        return pack
    raise SystemExit("no loadable pack: give --pack DIR or install one with the agent")


def _mtimes(root: Path) -> float:
    latest = 0.0
    for dirpath, _, files in os.walk(root):
        for name in files:
            try:
                latest = max(latest, os.stat(os.path.join(dirpath, name)).st_mtime)
            except OSError:
                pass
    return latest


def run(options: RunOptions) -> int:
    """Run the exhibit until the window closes (or `max_seconds`)."""
    pygame.init()
    flags = pygame.FULLSCREEN if options.fullscreen else 0
    screen = pygame.display.set_mode(options.size or (0, 0) if options.fullscreen else (options.size or (1280, 720)), flags)
    pygame.display.set_caption("kepu")
    pygame.mouse.set_visible(not options.fullscreen)
    size = screen.get_size()
    clock = SystemClock()
    outbox = Outbox(options.data / "outbox.db")
    recorder = Recorder(outbox, clock)
    heartbeat = Heartbeat(options.data / "kiosk.json").start()
    pack = load_first_pack(options, recorder)
    app = KioskApp(pack, recorder, clock, size, make_painter(pack), options.config)
    heartbeat.update(pack={"id": pack.id, "version": pack.version, "status": "loaded", "path": str(pack.root)})
    touch = TouchInput(size)
    ticker = pygame.time.Clock()
    started = time.monotonic()
    last_watchdog = 0.0
    last_check = started
    stamp = _mtimes(pack.root) if options.watch else 0.0
    sd_notify("READY=1")
    try:
        running = True
        while running:
            dt = ticker.tick(options.fps) / 1000.0
            for event in pygame.event.get():
                if event.type == pygame.QUIT or (event.type == pygame.KEYDOWN and event.key == pygame.K_ESCAPE and not options.fullscreen):
                    running = False
                pointer = touch.translate(event)
                if pointer:
                    app.pointer(pointer)
            app.update(dt)
            app.draw(screen)
            if options.debug_overlay:
                _overlay(screen, app, ticker.get_fps())
            pygame.display.flip()
            now = time.monotonic()
            heartbeat.update(fps=round(ticker.get_fps(), 1), last_frame=time.time(), mode=app.mode)
            if now - last_watchdog >= 1.0:
                sd_notify("WATCHDOG=1")  # fed from the loop: a frozen frame loop gets restarted
                last_watchdog = now
            if options.watch and now - last_check >= 1.0:
                last_check = now
                latest = _mtimes(pack.root)
                if latest != stamp:
                    stamp = latest
                    try:
                        pack = load_pack(pack.root)
                        app = KioskApp(pack, recorder, clock, size, make_painter(pack), options.config)
                        log.info("reloaded %s", pack.root)
                    except PackError as exc:
                        log.error("reload failed, keeping the previous version:\n%s", exc)
            if options.max_seconds is not None and now - started >= options.max_seconds:
                running = False
    finally:
        app.end_session("shutdown")
        recorder.close()
        heartbeat.stop()
        outbox.close()
        pygame.quit()
    return 0


def _overlay(screen: pygame.Surface, app: KioskApp, fps: float) -> None:
    """Author's debug line: fps, scene, session, language."""
    session = app.sessions.current.id[:8] if app.sessions.current else "-"
    text = f"{fps:5.1f} fps  scene={app.screen.scene_id}  session={session}  lang={app.lang}  senior={app.theme.senior}"
    surface = app.painter.render(text, max(12, app.theme.font("small") // 2), (255, 255, 0))
    bg = pygame.Surface((surface.get_width() + 12, surface.get_height() + 6), pygame.SRCALPHA)
    bg.fill((0, 0, 0, 180))
    screen.blit(bg, (0, screen.get_height() - bg.get_height()))
    screen.blit(surface, (6, screen.get_height() - bg.get_height() + 3))
