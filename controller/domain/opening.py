"""A venue's opening hours and local-time buckets (hour, day, month) for rollups and reports."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from controller.errors import Invalid
from kepu_contracts import opening_hours as shared
from kepu_contracts.opening_hours import ClosedSpan

WEEKDAYS = shared.WEEKDAYS
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
    # One parser for the controller and the agent (kepu_contracts): "open" means the same on both ends.
    try:
        return shared.parse_opening_hours(raw)
    except shared.OpeningHoursError as exc:
        raise Invalid(str(exc)) from None


def check_closed_days(raw: Any) -> list[str]:
    """Validate closed days and holidays (`["2026-10-01/2026-10-07", "2026-12-25"]`); normalised and sorted."""
    try:
        return shared.closed_texts(shared.parse_closed_days(raw))
    except shared.OpeningHoursError as exc:
        raise Invalid(str(exc)) from None


def check_margin(raw: Any, name: str) -> int:
    try:
        return shared.parse_margin(raw, name)
    except shared.OpeningHoursError as exc:
        raise Invalid(str(exc)) from None


def closed_of(stored: str | None) -> tuple[ClosedSpan, ...]:
    """A venue row's `closed_days` column as spans (what open_seconds & co. take as `closed`)."""
    if not stored:
        return ()
    try:
        return shared.parse_closed_days(json.loads(stored))
    except (ValueError, shared.OpeningHoursError):
        return ()  # validated on the way in; an unreadable value closes nothing


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


def open_intervals(
    hours: dict[str, list[str]], start: float, end: float, tz: str, closed: tuple[ClosedSpan, ...] = ()
) -> list[tuple[float, float]]:
    """The parts of [start, end) when the venue is open (closed days and holidays left out)."""
    zone(tz)  # an unknown zone is Invalid here, as before
    return shared.open_intervals(hours, start, end, tz, closed)


def open_seconds(
    hours: dict[str, list[str]], start: float, end: float, tz: str, closed: tuple[ClosedSpan, ...] = ()
) -> float:
    """Seconds the venue is open within [start, end), closed days excluded."""
    return _open_hours(json.dumps(hours, sort_keys=True), start, end, tz, closed)[0]


def open_hour_labels(
    hours: dict[str, list[str]], start: float, end: float, tz: str, closed: tuple[ClosedSpan, ...] = ()
) -> frozenset[str]:
    """Local hour labels (2025-05-12T09) that overlap opening time within [start, end)."""
    return _open_hours(json.dumps(hours, sort_keys=True), start, end, tz, closed)[1]


@lru_cache(maxsize=4096)
def _open_hours(
    hours_key: str, start: float, end: float, tz: str, closed: tuple[ClosedSpan, ...]
) -> tuple[float, frozenset[str]]:
    # Reports ask the same question for every exhibit of a venue: answer it once.
    hours = json.loads(hours_key)
    labels: set[str] = set()
    seconds = 0.0
    for a, b in open_intervals(hours, start, end, tz, closed):
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
