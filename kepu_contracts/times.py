"""One way to write and read an instant across every file and wire seam.

Instants are ISO 8601 with an explicit offset. The wire uses UTC (with a `Z`); the API and the dashboard
use the venue's or the controller's zone. Both come from `iso()`, so they differ only in the zone.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def iso(ts: float | None, tz: str = "UTC", timespec: str = "seconds") -> str | None:
    """Unix seconds as ISO 8601 with the zone's offset (to the second unless `timespec` says); None stays None.

    UTC is written with a `Z`, the form the wire has always used. ValueError
    (ZoneInfoNotFoundError is one) for an unknown zone.
    """
    if ts is None:
        return None
    text = datetime.fromtimestamp(ts, _zone(tz)).isoformat(timespec=timespec)
    return text[:-6] + "Z" if text.endswith("+00:00") and tz == "UTC" else text


def parse_instant(value: object) -> float | None:
    """ISO 8601 text (no offset means UTC) or epoch seconds, as epoch seconds; None stays None.

    ValueError says what is wrong. Used for every time that crosses a file or wire seam.
    """
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"{value!r} is not an ISO 8601 time") from None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.timestamp()
    raise ValueError("must be an ISO 8601 time, epoch seconds or null")
