"""The kiosk's side of the file seams: heartbeat out (kiosk.json, format in kepu_contracts.heartbeat), systemd watchdog.

Written from a background thread with write-fsync-rename, so the frame loop never
waits on the disk and the agent never reads a half-written file.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from pathlib import Path
from typing import Any

from kepu_contracts.heartbeat import write_heartbeat


def sd_notify(message: str) -> bool:
    """Send a notification to systemd if we run under it (READY=1, WATCHDOG=1…)."""
    address = os.environ.get("NOTIFY_SOCKET")
    if not address:
        return False
    if address.startswith("@"):
        address = "\0" + address[1:]
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.connect(address)
            sock.sendall(message.encode())
        return True
    except OSError:
        return False


class Heartbeat:
    """Publishes the latest kiosk status to DATA/kiosk.json once a second."""

    def __init__(self, path: Path, interval: float = 1.0):
        self.path = path
        self.interval = interval
        self._status: dict[str, Any] = {"pid": os.getpid()}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="heartbeat", daemon=True)

    def start(self) -> Heartbeat:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._thread.start()
        return self

    def update(self, **fields: Any) -> None:
        with self._lock:
            self._status.update(fields)

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return dict(self._status, written=time.time())

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                write_heartbeat(self.path, self.snapshot())
            except OSError:
                pass  # a full disk must not stop the exhibit; the agent will see a stale heartbeat
            self._stop.wait(self.interval)
