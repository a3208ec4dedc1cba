"""`DATA/control.json` (agent → kiosk): the emergency block and overrides, written and parsed here.

    {"v": 1, "updated": "2026-05-12T06:00:00+00:00",
     "emergency": {"id": "em-1", "message": {"zh": "…", "en": "…"},
                   "starts": "2026-05-12T06:00:00+00:00" | 1778565600 | null,
                   "expires": "…" | null} | null,
     "config": {…desired.config…},
     "display": "on" | "off", "wake_on_touch": true | false,
     "audio": {"volume": 80, "quiet": ["12:00-13:30"], "quiet_volume": 0,
               "timezone": "Asia/Shanghai"} | null}

`display` is the power schedule's verdict (issue 13): while "off" the kiosk stops drawing,
and with `wake_on_touch` a touch asks the agent to light the screen (`DATA/wake.json`).
A file without the field means "on", so older agents keep kiosks drawing.

`audio` (issue 10) is the volume and quiet hours from `desired.audio` with the venue's zone
(`kepu_contracts.audio`); the kiosk scales every sound by it and goes quiet in quiet hours on its
own clock. Missing or null: full volume, as before.

The agent writes it atomically (write, fsync, rename) whenever what should show changes.
An emergency is active while starts <= now < expires (a missing bound is open); the kiosk
evaluates that itself every frame from `starts`/`expires`, so an expired message goes away
even if the agent is down.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kepu_contracts.audio import AudioError, AudioPolicy, parse_audio
from kepu_contracts.datadir import write_json_atomic
from kepu_contracts.times import iso, parse_instant


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
    display_on: bool = True
    wake_on_touch: bool = False
    audio: AudioPolicy | None = None


def _audio(raw: dict[str, Any]) -> AudioPolicy | None:
    block = raw.get("audio")
    if block is None:
        return None
    try:
        return parse_audio(block)
    except AudioError as exc:
        raise ControlError(f"audio: {exc}") from None


def _display(raw: dict[str, Any]) -> tuple[bool, bool]:
    display = raw.get("display", "on")
    if display not in ("on", "off"):
        raise ControlError(f'display must be "on" or "off", got {display!r}')
    wake = raw.get("wake_on_touch", False)
    if not isinstance(wake, bool):
        raise ControlError("wake_on_touch must be true or false")
    return display == "on", wake


def _time(value: Any, name: str) -> float | None:
    try:
        return parse_instant(value)
    except ValueError as exc:
        raise ControlError(f"emergency.{name} {exc}") from None


def parse_control(raw: Any) -> Control:
    """Check a decoded control.json; raise ControlError naming the bad field."""
    if not isinstance(raw, dict):
        raise ControlError("control.json must hold a JSON object")
    display_on, wake = _display(raw)
    audio = _audio(raw)
    em = raw.get("emergency")
    if em is None:
        return Control(None, display_on, wake, audio)
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
        ),
        display_on,
        wake,
        audio,
    )


def emergency_block(
    emergency_id: str, message: dict[str, str], starts: float | None, expires: float | None
) -> dict[str, Any]:
    """The emergency as control.json carries it; `parse_control` reads exactly these fields.

    Bounds keep milliseconds: the kiosk ends a broadcast at `expires` on its own clock.
    """
    return {
        "id": emergency_id,
        "message": message,
        "starts": iso(starts, timespec="milliseconds"),
        "expires": iso(expires, timespec="milliseconds"),
    }


def write_control(
    path: Path,
    emergency: dict[str, Any] | None,
    config: dict[str, Any],
    now: float,
    display_on: bool = True,
    wake_on_touch: bool = False,
    audio: dict[str, Any] | None = None,
) -> None:
    """Replace control.json atomically (`audio`: `AudioPolicy.doc(with_zone=True)` or None)."""
    write_json_atomic(
        path,
        {
            "v": 1,
            "updated": iso(now),
            "emergency": emergency,
            "config": config,
            "display": "on" if display_on else "off",
            "wake_on_touch": wake_on_touch,
            "audio": audio,
        },
    )
