"""A venue's opening hours, closed days and power margins: parsed and evaluated here for both ends.

The controller validates what staff type and computes 开机率's opening minutes from it; the
agent switches displays from the same rules, offline, out of its cached desired state. One
module means "open" can never mean two things.

    opening_hours = {"mon": ["09:00-12:00", "14:00-18:00"], "tue": [...], ...}  (a missing day is closed)
    closed_days   = ["2026-10-01/2026-10-07", "2026-12-25"]  (single dates or inclusive date ranges)
    power margins = minutes the displays come on before opening / go off after closing
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_RANGE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MAX_CLOSED_ENTRIES = 400  # a few years of holidays; more is a mistake, not a calendar
MAX_MARGIN_MINUTES = 240

Hours = Mapping[str, Sequence[str]]
Interval = tuple[float, float]


class OpeningHoursError(ValueError):
    """Opening hours, closed days or margins that do not follow the format; the message names the part."""


@lru_cache(maxsize=32)
def zone(name: str) -> ZoneInfo:
    """The named IANA time zone, or OpeningHoursError."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise OpeningHoursError(f"unknown time zone {name!r}") from exc


def minutes(hhmm: str) -> int:
    """Minutes after midnight of "HH:MM" (24:00 allowed as the end of a day)."""
    h, m = hhmm.split(":")
    return int(h) * 60 + int(m)


def parse_opening_hours(raw: object) -> dict[str, list[str]]:
    """Validate `{"mon": ["09:00-17:00"], ...}`; every weekday comes back, missing ones as []."""
    if not isinstance(raw, dict):
        raise OpeningHoursError('opening_hours must be an object like {"mon": ["09:00-17:00"]}')
    hours: dict[str, list[str]] = {}
    for day, ranges in raw.items():
        if day not in WEEKDAYS:
            raise OpeningHoursError(f"opening_hours: unknown day {day!r} (use {', '.join(WEEKDAYS)})")
        if not isinstance(ranges, list):
            raise OpeningHoursError(f'opening_hours.{day} must be a list of "HH:MM-HH:MM"')
        for item in ranges:
            match = _RANGE.match(item) if isinstance(item, str) else None
            if not match or minutes(item.split("-")[0]) >= minutes(item.split("-")[1]):
                raise OpeningHoursError(f'opening_hours.{day}: {item!r} is not a range like "09:00-17:00"')
        hours[day] = [str(item) for item in ranges]
    return {day: hours.get(day, []) for day in WEEKDAYS}


@dataclass(frozen=True)
class ClosedSpan:
    """Local dates [first, last] (inclusive) when the venue is closed whatever its weekly hours say."""

    first: date
    last: date

    def text(self) -> str:
        return self.first.isoformat() if self.first == self.last else f"{self.first}/{self.last}"


def _date(text: str, entry: str) -> date:
    try:
        if not _DATE.match(text):
            raise ValueError
        return date.fromisoformat(text)
    except ValueError:
        raise OpeningHoursError(
            f"closed_days: {entry!r} is not a date like 2026-10-01 or 2026-10-01/2026-10-07"
        ) from None


def parse_closed_days(raw: object) -> tuple[ClosedSpan, ...]:
    """Validate `["2026-10-01/2026-10-07", "2026-12-25"]` (None is no closed days); sorted spans."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise OpeningHoursError('closed_days must be a list like ["2026-10-01/2026-10-07", "2026-12-25"]')
    if len(raw) > MAX_CLOSED_ENTRIES:
        raise OpeningHoursError(f"closed_days: at most {MAX_CLOSED_ENTRIES} entries")
    spans = []
    for entry in raw:
        if not isinstance(entry, str):
            raise OpeningHoursError(f"closed_days: {entry!r} is not a date text")
        first_text, _, last_text = entry.strip().partition("/")
        first = _date(first_text, entry)
        last = _date(last_text, entry) if last_text else first
        if last < first:
            raise OpeningHoursError(f"closed_days: {entry!r} ends before it starts")
        spans.append(ClosedSpan(first, last))
    return tuple(sorted(spans, key=lambda s: (s.first, s.last)))


def closed_texts(spans: Iterable[ClosedSpan]) -> list[str]:
    """The normalised strings stored and sent for these spans."""
    return [s.text() for s in spans]


def is_closed(spans: Sequence[ClosedSpan], day: date) -> bool:
    return any(s.first <= day <= s.last for s in spans)


def parse_margin(raw: object, name: str) -> int:
    """Minutes 0..MAX_MARGIN_MINUTES (None is 0)."""
    if raw is None:
        return 0
    if isinstance(raw, bool) or not isinstance(raw, int) or not 0 <= raw <= MAX_MARGIN_MINUTES:
        raise OpeningHoursError(f"{name} must be whole minutes from 0 to {MAX_MARGIN_MINUTES}, got {raw!r}")
    return raw


def _at(day: date, mins: int, zi: ZoneInfo) -> float:
    midnight = datetime.combine(day, time(0), zi)
    return (midnight + timedelta(minutes=mins)).timestamp()


def open_intervals(
    hours: Hours, start: float, end: float, tz: str, closed: Sequence[ClosedSpan] = ()
) -> list[Interval]:
    """The parts of [start, end) when the venue is open (closed days left out), as unix-second intervals."""
    if end <= start:
        return []
    zi = zone(tz)
    day = datetime.fromtimestamp(start, zi).date() - timedelta(days=1)
    last = datetime.fromtimestamp(end, zi).date()
    out: list[Interval] = []
    while day <= last:
        if not is_closed(closed, day):
            for item in hours.get(WEEKDAYS[day.weekday()], []):
                a, b = (minutes(x) for x in item.split("-"))
                lo, hi = max(_at(day, a, zi), start), min(_at(day, b, zi), end)
                if hi > lo:
                    out.append((lo, hi))
        day += timedelta(days=1)
    return out


def _merge(intervals: Iterable[Interval]) -> list[Interval]:
    out: list[Interval] = []
    for a, b in sorted(intervals):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


@dataclass(frozen=True)
class PowerPlan:
    """When a venue's displays should be on: opening hours widened by the margins, closed days dark."""

    hours: dict[str, list[str]]
    tz: str
    closed: tuple[ClosedSpan, ...] = ()
    on_before: int = 0  # minutes before opening
    off_after: int = 0  # minutes after closing

    def powered_intervals(self, start: float, end: float) -> list[Interval]:
        """Merged [on, off) instants overlapping [start, end) (not clipped to it)."""
        lead, tail = self.on_before * 60.0, self.off_after * 60.0
        # Look a day beyond each side so a margin crossing midnight is found.
        opened = open_intervals(self.hours, start - 86400.0, end + 86400.0, self.tz, self.closed)
        widened = _merge((a - lead, b + tail) for a, b in opened)
        return [(a, b) for a, b in widened if b > start and a < end]

    def state_at(self, at: float, horizon_days: int = 14) -> tuple[bool, float | None]:
        """(on, instant of the next change) at `at`; the next change is None beyond the horizon."""
        spans = self.powered_intervals(at, at + horizon_days * 86400.0)
        for a, b in spans:
            if a <= at < b:
                return True, b
            if a > at:
                return False, a
        return False, None
