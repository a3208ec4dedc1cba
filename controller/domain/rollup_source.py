"""Which rollup tables answer a question exactly and cheaply: whole months from the monthly summary.

`rollup_hourly` has a row per exhibit × venue × pack × hour: a province's year is millions of rows.
Its summaries (kept by triggers, see controller/store/schema.py m011) hold the same counters:
`rollup_monthly` per exhibit × venue × pack × month, `rollup_venue_monthly` and `rollup_venue_daily`
per venue × pack × month or day (questions not about exhibits).
A question over local days [start, end] is answered from whole months where the range covers
them, and from day-level rows (hourly, or the venue-daily summary when no exhibit is asked about)
for the rest of a month — or, when cheaper, from that month's summary minus the days outside the
range (this month up to today is this month's summary minus days still to come: none, mostly).
Every part carries its sign, so sums, and `rows` (how many hourly rows a group stands for), come out
exactly as if summed over `rollup_hourly`.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from typing import Any

from controller.store.schema import ROLLUP_COUNTERS

_COLUMNS = ("day", "month", "exhibit", "venue", "pack", "rows", *ROLLUP_COUNTERS)
_TABLES = {
    # table: the SQL for each of _COLUMNS (None: taken as is)
    "rollup_hourly": {"rows": "1"},
    "rollup_venue_daily": {"exhibit": "''"},
    "rollup_monthly": {"day": "NULL"},
    "rollup_venue_monthly": {"day": "NULL", "exhibit": "''"},
}


def _select(table: str, sign: int, where: str) -> str:
    given = _TABLES[table]
    cols = []
    for col in _COLUMNS:
        expr = given.get(col, col)
        numeric = col == "rows" or col in ROLLUP_COUNTERS
        cols.append(f"{'-' if sign < 0 and numeric else ''}{expr} AS {col}")
    return f"SELECT {', '.join(cols)} FROM {table} WHERE {where}"


def _first(month: str) -> date:
    return date(int(month[:4]), int(month[5:7]), 1)


def _last(month: str) -> date:
    first = _first(month)
    return first.replace(day=calendar.monthrange(first.year, first.month)[1])


def _month(d: date) -> str:
    return f"{d.year:04d}-{d.month:02d}"  # as the rollups' labels (strftime leaves years before 1000 unpadded)


def _next_month(month: str) -> str:
    last = _last(month)
    return _month(last + timedelta(days=1)) if last < date.max else "9999-13"  # after every month


def _previous_month(month: str) -> str:
    first = _first(month)
    return _month(first - timedelta(days=1)) if first > date.min else "0000-00"  # before every month


def parts(
    start: date | None,
    end: date | None,
    *,
    by_day: bool,
    exhibit: bool,
    today: date | None = None,
    equal: dict[str, str] | None = None,
) -> tuple[str, list[Any]]:
    """A subquery (columns day, month, exhibit, venue, pack, rows and the counters) over [start, end].

    `by_day`: the question needs each row's day (no month summaries then). `exhibit`: it filters or
    groups by exhibit (no venue-daily summary then). `equal`: column = value conditions pushed into
    every part (venue, exhibit, pack). `today` only steers which way is cheaper, never the answer.
    """
    fine = "rollup_hourly" if exhibit else "rollup_venue_daily"
    conds, cond_params = [], []
    for column, value in (equal or {}).items():
        if column == "exhibit" and not exhibit:
            raise ValueError("an exhibit condition needs exhibit=True")
        conds.append(f"{column} = ?")
        cond_params.append(value)
    pieces: list[tuple[str, int, str, list[Any]]] = []  # (table, sign, where, params)

    def days(sign: int, lo: date | None, hi: date | None) -> None:
        where, params = [], []
        if lo is not None:
            where.append("day >= ?")
            params.append(lo.isoformat())
        if hi is not None:
            where.append("day <= ?")
            params.append(hi.isoformat())
        pieces.append((fine, sign, " AND ".join(where) or "1=1", params))

    def months(lo: str | None, hi: str | None) -> None:
        where, params = [], []
        if lo is not None:
            where.append("month >= ?")
            params.append(lo)
        if hi is not None:
            where.append("month <= ?")
            params.append(hi)
        table = "rollup_monthly" if exhibit else "rollup_venue_monthly"
        pieces.append((table, 1, " AND ".join(where) or "1=1", params))

    if by_day:
        days(1, start, end)
    else:
        today = today or date.today()

        def partial(lo: date, hi: date) -> None:
            """Days [lo, hi] of one month: those days, or the month less the days outside (if fewer have passed)."""
            first, last = _first(_month(lo)), _last(_month(lo))
            inside = max(0, (min(hi, today) - lo).days + 1)
            outside = max(0, (min(lo, today + timedelta(days=1)) - first).days)  # days before lo, up to today
            outside += max(0, (min(last, today) - hi).days)  # days after hi, up to today
            if outside < inside:
                months(_month(lo), _month(lo))
                if lo > first:
                    days(-1, first, lo - timedelta(days=1))
                if hi < last:
                    days(-1, hi + timedelta(days=1), last)
            else:
                days(1, lo, hi)

        if start is not None and end is not None and _month(start) == _month(end):
            if start == _first(_month(start)) and end == _last(_month(end)):
                months(_month(start), _month(start))
            else:
                partial(start, end)
        else:
            lo_month = hi_month = None
            if start is not None:
                lo_month = _month(start)
                if start != _first(lo_month):
                    partial(start, _last(lo_month))
                    lo_month = _next_month(lo_month)
            if end is not None:
                hi_month = _month(end)
                if end != _last(hi_month):
                    partial(_first(hi_month), end)
                    hi_month = _previous_month(hi_month)
            if lo_month is None or hi_month is None or lo_month <= hi_month:
                months(lo_month, hi_month)
    sql, params = [], []
    for table, sign, where, where_params in pieces:
        sql.append(_select(table, sign, " AND ".join([where, *conds])))
        params += where_params + cond_params
    return "(" + " UNION ALL ".join(sql) + ")", params
