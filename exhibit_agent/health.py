"""The health snapshot (QoS 0, every `health.interval` s): the Pi's vitals and the kiosk's heartbeat."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kepu_contracts.datadir import DataDir
from kepu_contracts.heartbeat import read_kiosk_status

THERMAL = Path("/sys/class/thermal/thermal_zone0/temp")
BACKLIGHT = Path("/sys/class/backlight")

# `vcgencmd get_throttled` bits (Raspberry Pi firmware documentation).
_THROTTLE_BITS = {
    0: "undervoltage",
    1: "freq_capped",
    2: "throttled",
    3: "soft_temp_limit",
    16: "undervoltage_occurred",
    17: "freq_capped_occurred",
    18: "throttled_occurred",
    19: "soft_temp_limit_occurred",
}


def cpu_temp(path: Path = THERMAL) -> float | None:
    """CPU temperature in °C, or None off a Pi."""
    try:
        return int(path.read_text().strip()) / 1000.0
    except (OSError, ValueError):
        return None


def parse_throttled(text: str) -> dict[str, bool] | None:
    """Decode `throttled=0x50005` into named flags."""
    try:
        value = int(text.strip().split("=", 1)[1], 16)
    except (IndexError, ValueError):
        return None
    return {name: bool(value >> bit & 1) for bit, name in _THROTTLE_BITS.items()}


def throttled(run: Callable[..., Any] = subprocess.run) -> dict[str, bool] | None:
    """Undervoltage and throttling flags from vcgencmd, or None where it does not exist."""
    if not shutil.which("vcgencmd"):
        return None
    try:
        out = run(["vcgencmd", "get_throttled"], capture_output=True, text=True, timeout=2)
    except (OSError, subprocess.SubprocessError):
        return None
    return parse_throttled(out.stdout)


def screen_on(root: Path = BACKLIGHT) -> bool | None:
    """Whether the display backlight is on (bl_power 0), or None without a backlight device."""
    try:
        devices = list(root.iterdir())
    except OSError:
        return None
    for device in devices:
        try:
            return int((device / "bl_power").read_text().strip()) == 0
        except (OSError, ValueError):
            continue
    return None


def disk_free(path: Path) -> int | None:
    try:
        return shutil.disk_usage(path).free
    except OSError:
        return None


def snapshot(
    data: Path,
    *,
    uptime: float,
    now: float,
    backlog: dict[str, int],
    outbox_bytes: int,
    outbox_over_cap: bool,
    stale_after: float = 10.0,
    display: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One health message (without the envelope)."""
    kiosk = read_kiosk_status(DataDir(data).heartbeat, now)
    flags = throttled()
    return {
        "uptime": round(uptime, 1),
        "kiosk": None
        if kiosk is None
        else {
            "pid": kiosk.pid,
            "fps": kiosk.fps,
            "last_frame_age": kiosk.last_frame_age(now),
            "heartbeat_age": round(kiosk.age, 1),
            "alive": kiosk.age <= stale_after,
            "pack": kiosk.pack,
        },
        "fps": kiosk.fps if kiosk else None,
        "cpu_temp": cpu_temp(),
        "disk_free": disk_free(data),
        "undervoltage": flags["undervoltage"] if flags else None,
        "throttled": flags,
        # The power backends know best; the backlight is the fallback for a Pi touchscreen.
        "screen_on": display["on"] if display and display.get("on") is not None else screen_on(),
        "display": display,
        "last_touch": kiosk.raw.get("last_touch") if kiosk else None,
        "outbox": {"backlog": backlog, "bytes": outbox_bytes, "over_cap": outbox_over_cap},
    }
