"""`DATA/kiosk.json` (kiosk → agent): the kiosk's heartbeat, written and read here.

    {"pid": 4242, "fps": 59.8, "last_frame": 1778565600.1, "written": 1778565600.2,
     "pack": {"id", "version", "status": "loaded" | "failed", "reason"?},
     "last_touch": …, "emergency_shown": "em-7" | null,
     "audio": {"volume": 60, "quiet": false}, …}

`audio` is the volume the kiosk applies now (percent; `quiet` while quiet hours hold), after
control.json's volume and quiet hours (`kepu_contracts.audio`).

The kiosk rewrites it about once a second (atomically); the agent treats an old file as a
kiosk that is not alive.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kepu_contracts.datadir import write_json_atomic


@dataclass(frozen=True)
class KioskStatus:
    """What the kiosk last said about itself; `age` is seconds since it wrote the file."""

    pid: int | None
    fps: float | None
    last_frame: float | None
    pack: dict[str, Any] | None
    age: float
    raw: dict[str, Any]

    def last_frame_age(self, now: float) -> float | None:
        return None if self.last_frame is None else max(0.0, now - self.last_frame)

    def pack_status(self, pack_id: str, version: str) -> tuple[str | None, str | None]:
        """("loaded" | "failed" | None, reason) for this exact pack."""
        pack = self.pack or {}
        if pack.get("id") != pack_id or pack.get("version") != version:
            return None, None
        return pack.get("status"), pack.get("reason")


def read_kiosk_status(path: Path, now: float | None = None) -> KioskStatus | None:
    """The parsed heartbeat, or None when there is none (kiosk not started) or it is unreadable."""
    now = time.time() if now is None else now
    try:
        raw = json.loads(path.read_bytes())
        mtime = path.stat().st_mtime
    except (OSError, ValueError):
        return None
    if not isinstance(raw, dict):
        return None
    written = raw.get("written")
    stamp = written if isinstance(written, (int, float)) else mtime
    pack = raw.get("pack") if isinstance(raw.get("pack"), dict) else None
    return KioskStatus(
        pid=raw.get("pid") if isinstance(raw.get("pid"), int) else None,
        fps=float(raw["fps"]) if isinstance(raw.get("fps"), (int, float)) else None,
        last_frame=float(raw["last_frame"]) if isinstance(raw.get("last_frame"), (int, float)) else None,
        pack=pack,
        age=max(0.0, now - stamp),
        raw=raw,
    )


def write_heartbeat(path: Path, status: dict[str, Any]) -> None:
    """Replace kiosk.json atomically with `status` (which should carry `written`, Unix seconds)."""
    write_json_atomic(path, status)
