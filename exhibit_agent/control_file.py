"""Keeping `DATA/control.json` (agent → kiosk) equal to what should show now.

The agent rewrites the file whenever what is *active* changes — a new broadcast, its start
time arriving, its expiry passing — using only the local clock, so an emergency expires on
time even when the controller is unreachable. The kiosk checks `starts`/`expires` itself too.
The file's format is `kepu_contracts.control`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kepu_contracts.audio import AudioError, AudioPolicy, parse_audio
from kepu_contracts.control import emergency_block, write_control
from kepu_contracts.datadir import read_json
from kepu_contracts.messages import Emergency, parse_desired


def _block(emergency: Emergency) -> dict[str, Any]:
    return emergency_block(emergency.id, emergency.message, emergency.starts, emergency.expires)


class ControlFile:
    """Keeps control.json equal to what should be showing now; writes only on change."""

    def __init__(self, path: Path):
        self.path = path
        self._written: dict[str, Any] | None = None
        existing = read_json(path)
        self.emergency: Emergency | None = None
        self.overrides: dict[str, Any] = {}
        self.display_on = True
        self.wake_on_touch = False
        self.audio: AudioPolicy | None = None
        if isinstance(existing, dict):
            self._written = {k: existing.get(k) for k in ("emergency", "config", "display", "wake_on_touch", "audio")}
            self.display_on = existing.get("display") != "off"
            self.wake_on_touch = existing.get("wake_on_touch") is True
            block = existing.get("emergency")
            # After a restart without the broker, the last known broadcast still expires on time.
            if isinstance(block, dict):
                try:
                    self.emergency = parse_desired({"emergency": block}).emergency
                except ValueError:
                    self.emergency = None
            if isinstance(existing.get("config"), dict):
                self.overrides = existing["config"]
            if existing.get("audio") is not None:
                # Quiet hours keep working after a restart without the broker, as the emergency does.
                try:
                    self.audio = parse_audio(existing["audio"])
                except AudioError:
                    self.audio = None

    def set(self, emergency: Emergency | None, overrides: dict[str, Any] | None = None) -> None:
        """Adopt the desired emergency and overrides (applied at the next refresh)."""
        self.emergency = emergency
        if overrides is not None:
            self.overrides = overrides

    def set_audio(self, audio: AudioPolicy | None) -> None:
        """The desired volume and quiet hours (applied at the next refresh; None: not managed)."""
        self.audio = audio

    def set_display(self, on: bool, wake_on_touch: bool) -> None:
        """The power keeper's verdict for the kiosk (applied at the next refresh)."""
        self.display_on, self.wake_on_touch = on, wake_on_touch

    def active(self, now: float) -> Emergency | None:
        return self.emergency if self.emergency and self.emergency.active(now) else None

    def refresh(self, now: float) -> bool:
        """Write control.json if what should show changed; return whether it was written."""
        active = self.active(now)
        emergency = _block(active) if active else None
        wanted: dict[str, Any] = {
            "emergency": emergency,
            "config": self.overrides,
            "display": "on" if self.display_on else "off",
            "wake_on_touch": self.wake_on_touch,
            "audio": self.audio.doc(with_zone=True) if self.audio else None,
        }
        if wanted == self._written:
            return False
        write_control(
            self.path, wanted["emergency"], wanted["config"], now, self.display_on, self.wake_on_touch, wanted["audio"]
        )
        self._written = wanted
        return True
