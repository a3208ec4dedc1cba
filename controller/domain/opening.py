"""A venue's opening hours and local-time buckets (hour, day, month) for rollups and reports."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from controller.errors import Invalid

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_RANGE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")
# What a venue gets when nobody said otherwise: a typical community science room.
DEFAULT_HOURS: dict[str, list[str]] = {day: ["09:00-17:00"] for day in WEEKDAYS}


@lru_cache(maxsize=32)
def zone(name: str) -> ZoneInfo:
    """The named time zone, or Invalid."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise Invalid(f"unknown time zone {name!r}") from exc


def check_opening_hours(raw: Any) -> dict[str, list[str]]:
    """Validate `{"mon": ["09:00-12:00", "14:00-18:00"], ...}`; missing days are closed."""
    if raw is None:
        return dict(DEFAULT_HOURS)
    if not isinstance(raw, dict):
        raise Invalid('opening_hours must be an object like {"mon": ["09:00-17:00"]}')
    hours: dict[str, list[str]] = {}
    for day, ranges in raw.items():
        if day not in WEEKDAYS:
            raise Invalid(f"opening_hours: unknown day {day!r} (use {', '.join(WEEKDAYS)})")
        if not isinstance(ranges, list):
            raise Invalid(f'opening_hours.{day} must be a list of "HH:MM-HH:MM"')
        for item in ranges:
            match = _RANGE.match(item) if isinstance(item, str) else None
            if not match or _minutes(item.split("-")[0]) >= _minutes(item.split("-")[1]):
                raise Invalid(f'opening_hours.{day}: {item!r} is not a range like "09:00-17:00"')
        hours[day] = list(ranges)
    return {day: hours.get(day, []) for day in WEEKDAYS}


def _minutes(hhmm: str) -> int:
    h, m = hhmm.split(":")
    return int(h) * 60 + int(m)


@dataclass(frozen=True)
class Buckets:
    """Local-time labels of one instant."""

    hour: str  # 2025-05-12T09
    day: str  # 2025-05-12
    month: str  # 2025-05


def buckets(ts: float, tz: str) -> Buckets:
    """Which local hour, day and month an instant falls in."""
    local = datetime.fromtimestamp(ts, zone(tz))
    return Buckets(hour=local.strftime("%Y-%m-%dT%H"), day=local.strftime("%Y-%m-%d"), month=local.strftime("%Y-%m"))


def open_intervals(hours: dict[str, list[str]], start: float, end: float, tz: str) -> list[tuple[float, float]]:
    """The parts of [start, end) when the venue is open, as unix-second intervals."""
    if end <= start:
        return []
    zi = zone(tz)
    first = datetime.fromtimestamp(start, zi).date() - timedelta(days=1)
    last = datetime.fromtimestamp(end, zi).date()
    out: list[tuple[float, float]] = []
    day = first
    while day <= last:
        for item in hours.get(WEEKDAYS[day.weekday()], []):
            a, b = (_minutes(x) for x in item.split("-"))
            lo = _at(day, a, zi)
            hi = _at(day, b, zi)
            lo, hi = max(lo, start), min(hi, end)
            if hi > lo:
                out.append((lo, hi))
        day += timedelta(days=1)
    return out


def _at(day: date, minutes: int, zi: ZoneInfo) -> float:
    midnight = datetime.combine(day, time(0), zi)
    return (midnight + timedelta(minutes=minutes)).timestamp()


def open_seconds(hours: dict[str, list[str]], start: float, end: float, tz: str) -> float:
    """Seconds the venue is open within [start, end)."""
    return _open_hours(json.dumps(hours, sort_keys=True), start, end, tz)[0]


def open_hour_labels(hours: dict[str, list[str]], start: float, end: float, tz: str) -> frozenset[str]:
    """Local hour labels (2025-05-12T09) that overlap opening time within [start, end)."""
    return _open_hours(json.dumps(hours, sort_keys=True), start, end, tz)[1]


@lru_cache(maxsize=4096)
def _open_hours(hours_key: str, start: float, end: float, tz: str) -> tuple[float, frozenset[str]]:
    # Reports ask the same question for every exhibit of a venue: answer it once.
    hours = json.loads(hours_key)
    labels: set[str] = set()
    seconds = 0.0
    for a, b in open_intervals(hours, start, end, tz):
        seconds += b - a
        t = a
        while t < b:
            labels.add(_hour_label(int(t // 3600), tz))
            t = (int(t) // 3600 + 1) * 3600  # whole-hour zone offsets: the next local hour too
    return seconds, frozenset(labels)


@lru_cache(maxsize=65536)
def _hour_label(hour_index: int, tz: str) -> str:
    return buckets(hour_index * 3600.0, tz).hour


def local_midnight(day: date, tz: str) -> float:
    """Unix seconds of a local date's midnight."""
    return datetime.combine(day, time(0), zone(tz)).timestamp()


def month_range(month: str, tz: str) -> tuple[float, float]:
    """[start, end) of a local month given as YYYY-MM; Invalid otherwise."""
    try:
        first = datetime.strptime(month, "%Y-%m").date()
    except ValueError as exc:
        raise Invalid(f"month must look like 2025-05, got {month!r}") from exc
    following = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    return local_midnight(first, tz), local_midnight(following, tz)
