"""The exhibit's kiosk settings file (/etc/kepu/kiosk.toml): the screen and touch panel as mounted.

    [kiosk]
    rotation = 90                 # degrees clockwise the picture is turned on the panel
    touch_calibration = [0.02, 0.97, 0.04, 0.99]   # x_min x_max y_min y_max, or 6 numbers (affine)
    renderer = "auto"             # "auto" | "gpu" | "software"
    idle = 60                     # seconds without a touch before the reset
    dpi = 110                     # for 9 mm touch targets
    lang = "zh"                   # the language a new visitor starts in
    touch_min_press = 0.03        # s; shorter down/up pairs are ghosts
    touch_palm_fingers = 3        # this many fingers at once cancel the gesture (0: off)

Command-line flags win over the file; the file wins over the defaults. A bad value is
refused with a message naming the key, before anything is shown.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from kiosk.touch import KIOSK_FILTER, ROTATIONS, Calibration, TouchFilter

RENDERERS = ("auto", "gpu", "software")


class SettingsError(ValueError):
    """The settings file cannot be used; the message says which key and why."""


@dataclass(frozen=True)
class KioskSettings:
    rotation: int = 0
    calibration: Calibration | None = None
    renderer: str = "auto"
    idle: float = 60.0
    dpi: float = 110.0
    lang: str = "zh"
    touch: TouchFilter = KIOSK_FILTER

    def merged(self, **overrides: Any) -> KioskSettings:
        """These settings with the command line's values (None: not given) on top."""
        return replace(self, **{k: v for k, v in overrides.items() if v is not None})


def _number(table: dict, key: str, low: float, high: float) -> float | None:
    value = table.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise SettingsError(f"[kiosk] {key} must be a number, got {value!r}")
    if not low <= value <= high:
        raise SettingsError(f"[kiosk] {key} must be between {low:g} and {high:g}, got {value!r}")
    return float(value)


def parse_settings(data: dict[str, Any]) -> KioskSettings:
    table = data.get("kiosk", {})
    if not isinstance(table, dict):
        raise SettingsError("[kiosk] must be a table")
    known = {
        "rotation",
        "touch_calibration",
        "renderer",
        "idle",
        "dpi",
        "lang",
        "touch_min_press",
        "touch_palm_fingers",
    }
    unknown = sorted(set(table) - known)
    if unknown:
        raise SettingsError(f"[kiosk] unknown setting(s): {', '.join(unknown)} (known: {', '.join(sorted(known))})")
    settings = KioskSettings()
    rotation = table.get("rotation", 0)
    if rotation not in ROTATIONS or isinstance(rotation, bool):
        raise SettingsError(f"[kiosk] rotation must be one of {', '.join(map(str, ROTATIONS))}, got {rotation!r}")
    calibration = None
    if "touch_calibration" in table:
        try:
            calibration = Calibration.parse(table["touch_calibration"])
        except ValueError as exc:
            raise SettingsError(f"[kiosk] touch_calibration: {exc}") from None
    renderer = table.get("renderer", "auto")
    if renderer not in RENDERERS:
        raise SettingsError(f"[kiosk] renderer must be one of {', '.join(RENDERERS)}, got {renderer!r}")
    lang = table.get("lang", "zh")
    if lang not in ("zh", "en"):
        raise SettingsError(f"[kiosk] lang must be zh or en, got {lang!r}")
    idle = _number(table, "idle", 5, 86400)
    dpi = _number(table, "dpi", 20, 1000)
    min_press = _number(table, "touch_min_press", 0, 0.5)
    palm = _number(table, "touch_palm_fingers", 0, 10)
    if palm is not None and palm != int(palm):
        raise SettingsError(f"[kiosk] touch_palm_fingers must be a whole number, got {table['touch_palm_fingers']!r}")
    touch = settings.touch
    if min_press is not None:
        touch = replace(touch, min_press=min_press)
    if palm is not None:
        touch = replace(touch, palm_fingers=int(palm))
    return settings.merged(
        rotation=int(rotation), calibration=calibration, renderer=renderer, idle=idle, dpi=dpi, lang=lang, touch=touch
    )


def load_settings(path: Path) -> KioskSettings:
    """Read and check a kiosk settings file."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise SettingsError(f"cannot read {path}: {exc.strerror or exc}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SettingsError(f"{path} is not valid TOML: {exc}") from None
    return parse_settings(data)
