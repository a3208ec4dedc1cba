"""Watching `DATA/control.json` off the frame loop (the format lives in kepu_contracts.control).

A background thread stats the file every `interval` seconds (0.5 s: an emergency shows
within a second) and re-reads it only when it changed; the frame loop just looks at
`ControlWatcher.latest`.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from pathlib import Path

from kepu_contracts.control import Control, parse_control

log = logging.getLogger(__name__)


class ControlWatcher:
    """Keeps `latest` equal to the parsed control.json; a thread polls it (or call `check()`)."""

    def __init__(self, path: Path, interval: float = 0.5):
        self.path = Path(path)
        self.interval = interval
        self.latest = Control()
        self.problem: str | None = None  # the last parse problem, for one `error` event
        self.problems = 0
        self._signature: tuple | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def check(self) -> bool:
        """Stat the file and re-read it if it changed; True when `latest` changed."""
        try:
            st = os.stat(self.path)
            signature: tuple | None = (st.st_ino, st.st_mtime_ns, st.st_size)
        except FileNotFoundError:
            signature = None
        except OSError as exc:
            log.warning("cannot stat %s: %s", self.path, exc)
            return False
        if signature == self._signature:
            return False
        self._signature = signature
        if signature is None:
            changed = self.latest != Control()
            self.latest = Control()
            return changed
        try:
            control = parse_control(json.loads(self.path.read_bytes()))
        except (OSError, ValueError) as exc:
            # Keep what we had: a bad write must not flicker an emergency off and on.
            self.problem = f"{self.path.name}: {exc}"
            self.problems += 1
            log.error("ignoring %s: %s", self.path, exc)
            return False
        changed = control != self.latest
        self.latest = control
        return changed

    def start(self) -> ControlWatcher:
        self.check()
        self._thread = threading.Thread(target=self._run, name="control-watcher", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.check()
            except Exception:  # the watcher must outlive any surprise
                log.exception("control watcher")
