"""Volume and quiet hours (issue 10): one policy, parsed and evaluated here for the controller, agent and kiosk.

    desired.audio   = {"volume": 80, "quiet": ["12:00-13:30", "21:30-08:00"], "quiet_volume": 0}
    control.json    = the same object plus "timezone": "Asia/Shanghai" (desired.config.timezone)

`volume` and `quiet_volume` are whole percent 0–100 (0 is muted). A quiet range is local
"HH:MM-HH:MM" in the venue's time zone, every day; an end before its start crosses midnight
("21:30-08:00"), "24:00" may end a range. Quiet hours never make an exhibit louder: during them
the level is min(volume, quiet_volume).

The controller validates what staff type with `parse_audio` (so a bad range is a 422 naming
it); the kiosk evaluates `percent_at` on its own clock, offline too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from kepu_contracts import opening_hours

MAX_QUIET_RANGES = 12  # a handful per day (nap time, lunch, evening); more is a typing mistake
_RANGE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")


class AudioError(ValueError):
    """A volume or quiet range that does not follow the format; the message names the part."""


def _zone(name: str) -> ZoneInfo:
    """The named time zone (opening_hours.zone, cached there), refused as an AudioError."""
    try:
        return opening_hours.zone(name)
    except opening_hours.OpeningHoursError as exc:
        raise AudioError(str(exc)) from exc


@dataclass(frozen=True)
class QuietRange:
    """Minutes after local midnight [start, end); end <= start wraps past midnight."""

    start: int
    end: int

    def text(self) -> str:
        return f"{self.start // 60:02d}:{self.start % 60:02d}-{self.end // 60:02d}:{self.end % 60:02d}"

    def holds(self, minute: float) -> bool:
        if self.start < self.end:
            return self.start <= minute < self.end
        return minute >= self.start or minute < self.end


def parse_range(text: object) -> QuietRange:
    """ "12:00-13:30" (or "21:30-08:00" across midnight) as a QuietRange; AudioError otherwise."""
    cleaned = text.strip().replace("–", "-").replace(" ", "") if isinstance(text, str) else ""
    match = _RANGE.match(cleaned)
    if not match:
        raise AudioError(f'quiet: {text!r} is not a time range like "12:00-13:30"')
    start = int(match[1]) * 60 + int(match[2])
    end = int(match[3]) * 60 + int(match[4])
    if start == end:
        raise AudioError(f"quiet: {text!r} starts and ends at the same time")
    return QuietRange(start, end)


def percent(value: object, name: str) -> int:
    """A whole percent 0–100, or AudioError naming the field."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
        raise AudioError(f"{name} must be a whole percent from 0 to 100, got {value!r}")
    return value


@dataclass(frozen=True)
class AudioPolicy:
    """How loud an exhibit plays, and when it plays quieter."""

    volume: int = 100
    quiet: tuple[QuietRange, ...] = ()
    quiet_volume: int = 0
    timezone: str = "UTC"

    def quiet_at(self, ts: float) -> bool:
        """Whether `ts` (Unix seconds) falls in a quiet range, in the venue's local time."""
        if not self.quiet:
            return False
        local = datetime.fromtimestamp(ts, _zone(self.timezone))
        minute = local.hour * 60 + local.minute + local.second / 60.0
        return any(r.holds(minute) for r in self.quiet)

    def percent_at(self, ts: float) -> int:
        """The volume to play at `ts`, percent."""
        return min(self.volume, self.quiet_volume) if self.quiet_at(ts) else self.volume

    def doc(self, with_zone: bool = False) -> dict[str, Any]:
        """The wire form (`desired.audio`); with the zone for control.json."""
        body: dict[str, Any] = {
            "volume": self.volume,
            "quiet": [r.text() for r in self.quiet],
            "quiet_volume": self.quiet_volume,
        }
        if with_zone:
            body["timezone"] = self.timezone
        return body


def parse_audio(raw: object, timezone: str | None = None) -> AudioPolicy:
    """Check `{"volume", "quiet", "quiet_volume"}` (missing: 100, none, 0); AudioError names the bad part.

    `timezone` (or the object's own "timezone") is the venue's zone the quiet ranges are in.
    """
    if not isinstance(raw, dict):
        raise AudioError('audio must be an object like {"volume": 80, "quiet": ["12:00-13:30"], "quiet_volume": 0}')
    unknown = sorted(set(raw) - {"volume", "quiet", "quiet_volume", "timezone"})
    if unknown:
        raise AudioError(f"audio: unknown field {unknown[0]!r} (use volume, quiet, quiet_volume)")
    volume = percent(raw.get("volume", 100), "volume")
    quiet_volume = percent(raw.get("quiet_volume", 0), "quiet_volume")
    ranges = raw.get("quiet", [])
    if ranges is None:
        ranges = []
    if not isinstance(ranges, list):
        raise AudioError('quiet must be a list of ranges like ["12:00-13:30"]')
    if len(ranges) > MAX_QUIET_RANGES:
        raise AudioError(f"quiet: at most {MAX_QUIET_RANGES} ranges")
    zone_name = timezone if timezone is not None else raw.get("timezone", "UTC")
    if not isinstance(zone_name, str) or not zone_name:
        raise AudioError("audio.timezone must be an IANA zone name like Asia/Shanghai")
    _zone(zone_name)  # an unknown zone is refused now, not at the first quiet hour
    return AudioPolicy(volume, tuple(parse_range(r) for r in ranges), quiet_volume, zone_name)


@dataclass(frozen=True)
class AudioReport:
    """What the kiosk says it applied (kiosk.json → `reported.audio`): percent, and whether quiet hours hold."""

    volume: int
    quiet: bool


def audio_report(percent_now: int, quiet: bool) -> dict[str, Any]:
    return {"volume": percent_now, "quiet": quiet}


def parse_audio_report(value: object) -> AudioReport | None:
    """Lenient, as for every device report: None when missing or malformed."""
    if not isinstance(value, dict):
        return None
    volume = value.get("volume")
    if isinstance(volume, bool) or not isinstance(volume, int | float) or not 0 <= volume <= 100:
        return None
    return AudioReport(round(volume), value.get("quiet") is True)
