"""Instants into the API: ISO 8601 strings; naive times mean the controller's local time zone.

Instants out of it are written by `kepu_contracts.times.iso`, like every other seam.
"""

from __future__ import annotations

from datetime import date, datetime

from controller.domain.opening import local_midnight, zone
from controller.errors import Invalid


def instant(value: datetime | date | str, tz: str) -> float:
    """Unix seconds from a datetime, a date (local midnight) or an ISO string; Invalid otherwise."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError as exc:
            raise Invalid(f"{value!r} is not an ISO 8601 date or time") from exc
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=zone(tz))
        try:
            return value.timestamp()
        except (OverflowError, OSError, ValueError) as exc:
            raise Invalid(f"{value} is out of range") from exc
    if isinstance(value, date):
        return local_midnight(value, tz)
    raise Invalid(f"{value!r} is not a date or time")
