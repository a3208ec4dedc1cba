"""Loading packs for the kiosk, and noticing new ones without blocking the frame loop.

`DATA/packs/current` is a symlink the agent switches atomically. A `PackWatcher` thread
resolves it once a second; when it points somewhere new it loads and validates the pack,
opens its fonts and decodes its images — all off the frame loop — and posts the result.
The host then offers the pack to the app, which switches at the next attract moment.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import tomllib
from dataclasses import dataclass
from pathlib import Path

from content_packs import PackError, load_pack
from content_packs.model import HotspotsScene, Pack, SlidesScene
from kiosk.fonts import find_cjk_font
from kiosk.painter import Painter

log = logging.getLogger(__name__)


def make_painter(pack: Pack) -> Painter:
    """A painter with the pack's own font if it has one, else an installed CJK font."""
    pack_fonts = tuple(pack.path(f) for f in pack.fonts)
    return Painter(find_cjk_font(pack_fonts), find_cjk_font(pack_fonts, bold=True))


def pack_images(pack: Pack) -> list[Path]:
    """Every picture the pack shows, attract image first."""
    refs: list[str] = [pack.attract.image] if pack.attract.image else []
    for scene in pack.scenes:
        if isinstance(scene, SlidesScene):
            refs += [s.image for s in scene.slides if s.image]
        elif isinstance(scene, HotspotsScene) and scene.image:
            refs.append(scene.image)
    return [pack.path(r) for r in dict.fromkeys(refs)]


def prepare(pack: Pack, images: bool = True) -> Painter:
    """Open fonts and decode images for `pack` (slow: call it off the frame loop)."""
    painter = make_painter(pack).warm()
    if images:
        painter.preload(pack_images(pack))
    return painter


def describe(path: Path) -> dict[str, str]:
    """Best-effort {id, version} from a pack that may not load, for failure reports."""
    try:
        raw = tomllib.loads((path / "pack.toml").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {k: raw[k] for k in ("id", "version") if isinstance(raw.get(k), str)}


@dataclass(frozen=True)
class PackReady:
    pack: Pack
    painter: Painter
    path: Path


@dataclass(frozen=True)
class PackFailed:
    path: Path
    reason: str
    id: str | None = None
    version: str | None = None


class PackWatcher:
    """Posts PackReady / PackFailed to `results` when the watched pack changes.

    mode "link": watch where `path` (DATA/packs/current) resolves to.
    mode "files": watch the files under `path` (the preview's reload on save).
    """

    def __init__(self, path: Path, playing: Path | None, mode: str = "link", interval: float = 1.0):
        self.path = Path(path)
        self.mode = mode
        self.interval = interval
        self.results: queue.Queue[PackReady | PackFailed] = queue.Queue()
        self._seen: tuple | None = (
            self._signature() if mode == "files" else (str(playing.resolve()) if playing else None,)
        )
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _signature(self) -> tuple | None:
        if self.mode == "link":
            if not os.path.lexists(self.path):
                return None
            return (os.path.realpath(self.path),)
        latest = 0
        for dirpath, _, files in os.walk(self.path):
            for name in files:
                try:
                    latest = max(latest, os.stat(os.path.join(dirpath, name)).st_mtime_ns)
                except OSError:
                    pass
        return (str(self.path.resolve()), latest)

    def check(self) -> bool:
        """Look once; load and post a result if the pack changed. True when something was posted."""
        signature = self._signature()
        if signature is None or signature == self._seen:
            return False
        self._seen = signature
        target = Path(signature[0])
        try:
            pack = load_pack(target)
            painter = prepare(pack)
        except PackError as exc:
            self.results.put(PackFailed(target, str(exc)[:2000], **describe(target)))
            return True
        except Exception as exc:  # a font or image surprise must not kill the watcher
            log.exception("pack %s could not be prepared", target)
            self.results.put(PackFailed(target, f"{type(exc).__name__}: {exc}"[:2000], **describe(target)))
            return True
        self.results.put(PackReady(pack, painter, target))
        return True

    def poll(self) -> PackReady | PackFailed | None:
        """The next result, without waiting (the frame loop calls this)."""
        if self.results.empty():
            return None
        try:
            return self.results.get_nowait()
        except queue.Empty:
            return None

    def start(self) -> PackWatcher:
        self._thread = threading.Thread(target=self._run, name="pack-watcher", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.check()
            except Exception:
                log.exception("pack watcher")
