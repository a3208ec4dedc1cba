"""`DATA/control.json`: the agent's overrides for the kiosk, read off the frame loop.

The agent writes the file atomically (write, fsync, rename). A background thread stats it
every `interval` seconds (0.5 s: an emergency shows within a second) and re-reads it only
when it changed; the frame loop just looks at `ControlWatcher.latest`.

    {"emergency": {"id": "em-1", "message": {"zh": "…", "en": "…"},
                   "starts": "2026-05-12T06:00:00Z" | 1778565600 | null,
                   "expires": "…" | null} | null,
     ...}

An emergency is active while starts <= now < expires (a missing bound is open); the
kiosk evaluates that itself every frame, so an expired message goes away even if the
agent is down.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk.clock import parse_instant

log = logging.getLogger(__name__)


class ControlError(ValueError):
    """control.json is not what the contract says; the message names the field."""


@dataclass(frozen=True)
class EmergencyNotice:
    id: str
    zh: str
    en: str
    starts: float | None = None
    expires: float | None = None

    def active(self, now: float) -> bool:
        return (self.starts is None or self.starts <= now) and (self.expires is None or now < self.expires)


@dataclass(frozen=True)
class Control:
    emergency: EmergencyNotice | None = None


def _time(value: Any, name: str) -> float | None:
    try:
        return parse_instant(value)
    except ValueError as exc:
        raise ControlError(f"emergency.{name} {exc}") from None


def parse_control(raw: Any) -> Control:
    """Check a decoded control.json; raise ControlError naming the bad field."""
    if not isinstance(raw, dict):
        raise ControlError("control.json must hold a JSON object")
    em = raw.get("emergency")
    if em is None:
        return Control()
    if not isinstance(em, dict) or not isinstance(em.get("id"), str) or not em["id"]:
        raise ControlError("emergency must be an object with an id, or null")
    message = em.get("message")
    if isinstance(message, str):
        message = {"zh": message, "en": message}
    if not isinstance(message, dict) or not any(
        isinstance(message.get(k), str) and message[k].strip() for k in ("zh", "en")
    ):
        raise ControlError("emergency.message must be {zh, en} text")
    zh = message.get("zh") if isinstance(message.get("zh"), str) else None
    en = message.get("en") if isinstance(message.get("en"), str) else None
    return Control(
        EmergencyNotice(
            em["id"],
            zh or en or "",
            en or zh or "",
            _time(em.get("starts"), "starts"),
            _time(em.get("expires"), "expires"),
        )
    )


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
