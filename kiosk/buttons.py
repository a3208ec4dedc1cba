"""Physical buttons: follow `DATA/buttons.jsonl` (agent → kiosk) like `tail -F`, off the frame loop.

The agent appends `{"id", "name", "ts", "mono"}` per `BTN name` line from the serial device
and starts a new file when it grows large; a thread here keeps the file open, reads what
was added, notices the switch to a new file (after finishing the old one) and queues button
names for the host to hand to the app at the next frame. Presses from before the kiosk
started, or older than `STALE`, are not replayed: a button is a "now" thing.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO

log = logging.getLogger(__name__)

STALE = 5.0  # s: a press this old when read is dropped (the kiosk was busy or down)


class ButtonFeed:
    def __init__(self, path: Path, interval: float = 0.05, clock: Callable[[], float] = time.time):
        self.path = Path(path)
        self.interval = interval
        self.clock = clock
        self.presses: queue.Queue[str] = queue.Queue()
        self._file: IO[bytes] | None = None
        self._inode: int | None = None
        self._partial = b""
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._open(at_end=True)

    def _open(self, at_end: bool) -> None:
        try:
            f = open(self.path, "rb")  # noqa: SIM115 (kept open on purpose, like tail -F)
        except OSError:
            return
        if self._file:
            self._file.close()
        self._file, self._inode, self._partial = f, os.fstat(f.fileno()).st_ino, b""
        if at_end:
            f.seek(0, os.SEEK_END)

    def check(self) -> int:
        """Read what was appended (and follow a new file); returns how many presses were queued."""
        queued = self._drain()
        try:
            inode = os.stat(self.path).st_ino
        except OSError:
            return queued
        if inode != self._inode:
            # A new file: what the old one still held was read above; the new one from its start.
            self._open(at_end=False)
            queued += self._drain()
        return queued

    def _drain(self) -> int:
        if self._file is None:
            return 0
        chunk = self._file.read()
        if not chunk:
            return 0
        data = self._partial + chunk
        lines = data.split(b"\n")
        self._partial = lines.pop()  # an unfinished line waits for its end
        queued = 0
        now = self.clock()
        for line in lines:
            try:
                press = json.loads(line)
                name, ts = press["name"], float(press["ts"])
            except (ValueError, KeyError, TypeError):
                log.warning("buttons: ignored a malformed line %r", line[:80])
                continue
            if isinstance(name, str) and now - ts <= STALE:
                self.presses.put(name)
                queued += 1
        return queued

    def take(self) -> list[str]:
        """Every press queued since the last call (never waits)."""
        out = []
        while True:
            try:
                out.append(self.presses.get_nowait())
            except queue.Empty:
                return out

    def start(self) -> ButtonFeed:
        self._thread = threading.Thread(target=self._run, name="buttons", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=5)
        if self._file:
            self._file.close()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.check()
            except Exception:  # the feed must outlive any surprise
                log.exception("button feed")
