"""Screenshots on request: `DATA/requests/screenshot-<id>.json` in, `DATA/screenshots/<id>.png` out.

The agent drops a request file (atomically); a watcher thread notices it within 0.25 s;
the frame loop hands over a *copy* of the frame it just drew, and a writer thread
encodes the PNG to `<id>.png.tmp`, fsyncs and renames it to `<id>.png` — so the frame
loop never waits for the encoder or the disk, and the agent never reads half a file.
A request the kiosk cannot serve becomes `<id>.failed` (one line: why). Requests older
than `STALE` seconds (the agent has given up) are removed unanswered.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from pathlib import Path

import pygame

from content_packs.fsutil import fsync_dir
from kepu_contracts.datadir import SCREENSHOT_REQUEST, DataDir

log = logging.getLogger(__name__)
STALE = 60.0  # seconds: an older request has been given up by the agent


def request_path(data: Path, request_id: str) -> Path:
    return DataDir(Path(data)).screenshot_request(request_id)


def screenshot_path(data: Path, request_id: str) -> Path:
    return DataDir(Path(data)).screenshot(request_id)


def failure_path(data: Path, request_id: str) -> Path:
    return DataDir(Path(data)).screenshot_failure(request_id)


def save_png(surface: pygame.Surface, path: Path) -> None:
    """Encode `surface` to `path` atomically (tmp, fsync, rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        pygame.image.save(surface, f, "png")  # a file object: the name hint, not ".tmp", picks PNG
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)


class ScreenshotDesk:
    """Watches DATA/requests for screenshot requests and writes the frames it is given."""

    def __init__(self, data: Path, interval: float = 0.25, clock=time.time):
        self.data = Path(data)
        self.requests = self.data / "requests"
        self.interval = interval
        self.clock = clock
        self.wanted: list[str] = []  # request ids waiting for the next frame (frame loop side)
        self._found: queue.Queue[str] = queue.Queue()
        self._seen: set[str] = set()
        self._jobs: queue.Queue[tuple[str, pygame.Surface | None, str | None] | None] = queue.Queue()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.written = 0

    # -- watcher thread -----------------------------------------------------------

    def check(self) -> int:
        """Look for new requests once; returns how many were found."""
        try:
            names = os.listdir(self.requests)
        except FileNotFoundError:
            return 0
        except OSError as exc:
            log.warning("cannot list %s: %s", self.requests, exc)
            return 0
        found = 0
        now = self.clock()
        for name in names:
            match = SCREENSHOT_REQUEST.match(name)
            if not match:
                continue
            request_id = match.group(1)
            if request_id in self._seen:
                continue
            path = self.requests / name
            try:
                age = now - path.stat().st_mtime
            except FileNotFoundError:
                continue
            self._seen.add(request_id)
            if age > STALE:
                self._remove(path)
                continue
            self._found.put(request_id)
            found += 1
        return found

    def _run_watcher(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.check()
            except Exception:  # the watcher must outlive any surprise
                log.exception("screenshot requests")

    # -- frame loop side ----------------------------------------------------------

    def take_requests(self) -> bool:
        """Move found requests to `wanted` (never waits); True if a frame is wanted."""
        while True:
            try:
                self.wanted.append(self._found.get_nowait())
            except queue.Empty:
                return bool(self.wanted)

    def capture(self, frame: pygame.Surface) -> None:
        """Hand a copy of the frame just drawn to the writer for every waiting request."""
        if not self.wanted:
            return
        reason: str | None = None
        try:
            copy: pygame.Surface | None = frame.copy()  # a memcpy; the PNG encode happens in the writer thread
        except pygame.error as exc:
            copy, reason = None, f"cannot copy the frame: {exc}"
        for request_id in self.wanted:
            self._jobs.put((request_id, copy, reason))
        self.wanted = []

    # -- writer thread -------------------------------------------------------------

    def write(self, request_id: str, frame: pygame.Surface | None, reason: str | None = None) -> None:
        try:
            if frame is None:
                raise RuntimeError(reason or "no frame")
            save_png(frame, screenshot_path(self.data, request_id))
            self.written += 1
        except Exception as exc:  # a full disk or an encoder error is reported to the agent
            log.error("screenshot %s failed: %s", request_id, exc)
            try:
                failure = failure_path(self.data, request_id)
                failure.parent.mkdir(parents=True, exist_ok=True)
                failure.write_text(f"{type(exc).__name__}: {exc}"[:500] + "\n", encoding="utf-8")
            except OSError:
                pass
        self._remove(request_path(self.data, request_id))

    def _run_writer(self) -> None:
        while True:
            job = self._jobs.get()
            try:
                if job is None:
                    return
                self.write(*job)
            finally:
                self._jobs.task_done()

    def drain(self, timeout: float = 5.0) -> bool:
        """Wait until the frames handed over are written (tests, shutdown); True if they are."""
        deadline = time.monotonic() + timeout
        while self._jobs.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.01)
        return not self._jobs.unfinished_tasks

    @staticmethod
    def _remove(path: Path) -> None:
        try:
            path.unlink()
        except FileNotFoundError:
            pass
        except OSError as exc:
            log.warning("cannot remove %s: %s", path, exc)

    # -- lifecycle -------------------------------------------------------------------

    def start(self) -> ScreenshotDesk:
        self._threads = [
            threading.Thread(target=self._run_watcher, name="screenshot-requests", daemon=True),
            threading.Thread(target=self._run_writer, name="screenshot-writer", daemon=True),
        ]
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._jobs.put(None)
        for thread in self._threads:
            thread.join(timeout=10)
