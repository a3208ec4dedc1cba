"""`DATA/control.json` (agent → kiosk): the active emergency block and overrides, written atomically.

The agent rewrites the file whenever what is *active* changes — a new broadcast, its start
time arriving, its expiry passing — using only the local clock, so an emergency expires on
time even when the controller is unreachable. The kiosk checks `expires_ts` itself too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from exhibit_agent.files import read_json, write_json_atomic
from exhibit_agent.messages import Emergency, iso, parse_desired


def emergency_block(emergency: Emergency) -> dict[str, Any]:
    """The emergency as the kiosk reads it: the controller's fields plus epoch-second bounds."""
    return {
        "id": emergency.id,
        "message": emergency.message,
        "starts": emergency.raw.get("starts"),
        "expires": emergency.raw.get("expires"),
        "starts_ts": emergency.starts,
        "expires_ts": emergency.expires,
    }


class ControlFile:
    """Keeps control.json equal to what should be showing now; writes only on change."""

    def __init__(self, path: Path):
        self.path = path
        self._written: dict[str, Any] | None = None
        existing = read_json(path)
        self.emergency: Emergency | None = None
        self.overrides: dict[str, Any] = {}
        if isinstance(existing, dict):
            self._written = {k: existing.get(k) for k in ("emergency", "config")}
            block = existing.get("emergency")
            # After a restart without the broker, the last known broadcast still expires on time.
            if isinstance(block, dict):
                try:
                    self.emergency = parse_desired({"emergency": block}).emergency
                except ValueError:
                    self.emergency = None
            if isinstance(existing.get("config"), dict):
                self.overrides = existing["config"]

    def set(self, emergency: Emergency | None, overrides: dict[str, Any] | None = None) -> None:
        """Adopt the desired emergency and overrides (applied at the next refresh)."""
        self.emergency = emergency
        if overrides is not None:
            self.overrides = overrides

    def active(self, now: float) -> Emergency | None:
        return self.emergency if self.emergency and self.emergency.active(now) else None

    def refresh(self, now: float) -> bool:
        """Write control.json if what should show changed; return whether it was written."""
        active = self.active(now)
        wanted = {"emergency": emergency_block(active) if active else None, "config": self.overrides}
        if wanted == self._written:
            return False
        write_json_atomic(self.path, {"v": 1, "updated": iso(now), **wanted})
        self._written = wanted
        return True
