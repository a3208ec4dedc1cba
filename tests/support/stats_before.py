"""The statistics as they were computed before issue 15 (straight from `rollup_hourly`, per stay and per venue).

Kept verbatim from controller/domain/stats.py, controller/domain/reports.py and
controller/web/dashboard/queries.py at commit 167d6d1 (`Filter.where` as `where_before`), so that
tests/test_stats_summaries.py can check the summaries give the same answers.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import replace
from datetime import date
from typing import Any

from controller.domain import proof_of_play, stats, tickets
from controller.domain.auth import in_scope
from controller.domain.metrics import ratio, summarise
from controller.domain.opening import (
    buckets,
    check_opening_hours,
    closed_of,
    month_range,
    open_hour_labels,
    open_seconds,
)
from controller.domain.reports import MAINTENANCE_KEYS, MonthlyReport, _media, _month_end, _row
from controller.domain.stats import _KEYS, GROUPS, PERIODS, ROLLUPS_FROM, like_prefix, period_bounds
from controller.errors import Invalid
from controller.store.schema import ROLLUP_COUNTERS


def where_before(flt, principal) -> tuple[str, list[Any]]:
    """`stats.Filter.where` as it was: the region scope as a join condition on the venue."""
    clauses, params = ["1=1"], []
    if flt.start and flt.end and flt.end < flt.start:
        raise Invalid("end is before start")
    if flt.start:
        clauses.append("r.day >= ?")
        params.append(flt.start.isoformat())
    if flt.end:
        clauses.append("r.day <= ?")
        params.append(flt.end.isoformat())
    for column, value in (
        ("r.venue", flt.venue),
        ("r.exhibit", flt.exhibit),
        ("r.pack", flt.pack),
        ("p.topic", flt.topic),
    ):
        if value is not None:
            clauses.append(f"{column} = ?")
            params.append(value)
    for scope in (flt.region, principal.region):
        if scope:
            clauses.append("(v.region = ? OR v.region LIKE ? ESCAPE '\\')")
            params += [scope, like_prefix(scope)]
    return " AND ".join(clauses), params


def usage(db, principal, flt, group: str, period: str, region_level: int | None = None) -> list[dict[str, Any]]:
    """Footfall and sessions per group and period."""
    if group not in GROUPS:
        raise Invalid(f"group must be one of {', '.join(GROUPS)}")
    if period not in PERIODS:
        raise Invalid(f"period must be one of {', '.join(PERIODS)}")
    where, params = where_before(flt, principal)
    sums = ", ".join(f"SUM(r.{c}) AS {c}" for c in ROLLUP_COUNTERS)
    sql = f"SELECT {_KEYS[group]} AS key, {PERIODS[period]} AS period, {sums} {ROLLUPS_FROM} WHERE {where} GROUP BY key, period"
    merged: dict[tuple[str, str], dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for row in db.query(sql, params):
        key = row["key"]
        if group == "region" and region_level:
            key = "/".join(key.split("/")[:region_level])
        target = merged[(key, row["period"])]
        for c in ROLLUP_COUNTERS:
            target[c] += row[c] or 0
    return [
        {group: key, "period": per, **summarise(totals)}
        for (key, per), totals in sorted(merged.items(), key=lambda kv: (kv[0][1], kv[0][0]))
    ]


def totals(db, principal, flt) -> dict[str, float]:
    where, params = where_before(flt, principal)
    sums = ", ".join(f"COALESCE(SUM(r.{c}), 0) AS {c}" for c in ROLLUP_COUNTERS)
    return next(iter(db.query(f"SELECT {sums} {ROLLUPS_FROM} WHERE {where}", params)))


def stays_in(db, principal, flt, start: float, end: float) -> list[dict[str, Any]]:
    """The stays overlapping [start, end) that the caller sees and the filter selects, with parsed opening hours."""
    sql = (
        "SELECT r.exhibit, r.venue, MAX(r.starts, ?) AS a, MIN(r.ends, ?) AS b, v.region, v.opening_hours,"
        " v.closed_days"
        " FROM rotations r JOIN venues v ON v.id = r.venue WHERE r.starts < ? AND r.ends > ?"
    )
    params: list[Any] = [start, end, end, start]
    for column, value in (("r.venue", flt.venue), ("r.exhibit", flt.exhibit)):
        if value is not None:
            sql += f" AND {column} = ?"
            params.append(value)
    rows = []
    for row in db.query(sql, params):
        if principal.sees(row["region"]) and (flt.region is None or in_scope(flt.region, row["region"])):
            row["hours"] = check_opening_hours(json.loads(row["opening_hours"]))
            row["closed"] = closed_of(row["closed_days"])
            rows.append(row)
    return rows


def availability(db, principal, flt, start: float, end: float, tz: str) -> dict[str, Any]:
    """开机率 and 使用率 over the stays in [start, end).

    开机率 = minutes the exhibit was online, its kiosk alive and its display on, within opening
    hours ÷ opening minutes (closed days and holidays are not opening minutes; scheduled-off
    time outside opening hours never counts). 使用率 = open hours with a session ÷ open hours.
    """
    stays = stays_in(db, principal, flt, start, end)
    open_minutes = sum(open_seconds(s["hours"], s["a"], s["b"], tz, s["closed"]) for s in stays) / 60
    flt_t = totals(db, principal, flt)
    open_hours = 0
    used_hours = 0
    for stay in stays:
        labels = open_hour_labels(stay["hours"], stay["a"], stay["b"], tz, stay["closed"])
        open_hours += len(labels)
        if labels:
            used = {
                r[0]
                for r in db.execute(
                    "SELECT hour FROM rollup_hourly WHERE exhibit = ? AND venue = ? AND hour >= ? AND hour <= ? AND sessions > 0",
                    [stay["exhibit"], stay["venue"], min(labels), max(labels)],
                )
            }
            used_hours += len(labels & used)
    return {
        "opening_minutes": round(open_minutes, 1),
        "online_open_minutes": round(flt_t["online_open_minutes"], 1),
        "power_on_rate": ratio(min(flt_t["online_open_minutes"], open_minutes), open_minutes),
        "opening_hours": open_hours,
        "used_hours": used_hours,
        "usage_rate": ratio(used_hours, open_hours),
    }


def metrics(db, principal, flt, tz: str, now: float) -> dict[str, Any]:
    """Every headline metric for the filtered rollups."""
    start, end = period_bounds(flt, tz, now)
    return {
        **summarise(totals(db, principal, flt)),
        **availability(db, principal, flt, start, end, tz),
        **attraction(db, principal, flt, start, end, tz),
    }


def attraction(db, principal, flt, start: float, end: float, tz: str) -> dict[str, Any]:
    """Attraction rate = sessions ÷ passers-by, over the venues whose door counter counted anyone (else null).

    Passers-by are the venue's door counts whatever the content, so the pack and topic filters do not
    narrow them; for one exhibit they are its venues' counts in the hours it stood there.
    """
    where, params = where_before(replace(flt, exhibit=None, pack=None, topic=None), principal)
    passers: dict[str, int] = defaultdict(int)
    if flt.exhibit is None:
        for venue, footfall in db.execute(
            f"SELECT r.venue, SUM(r.footfall) {ROLLUPS_FROM} WHERE {where} AND r.venue != '' GROUP BY r.venue", params
        ):
            passers[venue] += footfall or 0
    else:
        for stay in stays_in(db, principal, flt, start, end):
            if stay["b"] <= stay["a"]:
                continue
            first, last = buckets(stay["a"], tz).hour, buckets(stay["b"] - 1, tz).hour
            footfall = db.execute(
                f"SELECT SUM(r.footfall) {ROLLUPS_FROM} WHERE {where} AND r.venue = ? AND r.hour >= ? AND r.hour <= ?",
                [*params, stay["venue"], first, last],
            ).fetchone()[0]
            passers[stay["venue"]] += footfall or 0
    sensed = sorted(v for v, n in passers.items() if n > 0)
    if not sensed:
        return {"passers_by": None, "attraction_sessions": None, "attraction_rate": None}
    where, params = where_before(flt, principal)
    marks = ",".join("?" * len(sensed))
    sessions = db.execute(
        f"SELECT COALESCE(SUM(r.sessions), 0) {ROLLUPS_FROM} WHERE {where} AND r.venue IN ({marks})", [*params, *sensed]
    ).fetchone()[0]
    total = sum(passers[v] for v in sensed)
    return {"passers_by": total, "attraction_sessions": int(sessions), "attraction_rate": ratio(sessions, total)}


def daily(db, principal, flt, days: list[date], column: str = "sessions") -> list[dict[str, Any]]:
    """One row per day in `days` (zero-filled): the summed `column`."""
    assert column in ROLLUP_COUNTERS
    where, params = where_before(flt, principal)
    rows = {
        r[0]: r[1]
        for r in db.execute(f"SELECT r.day, SUM(r.{column}) {ROLLUPS_FROM} WHERE {where} GROUP BY r.day", params)
    }
    return [{"day": d.isoformat(), "value": round(rows.get(d.isoformat(), 0) or 0, 1)} for d in days]


def heatmap(db, principal, flt) -> list[list[int]]:
    """Sessions by [weekday (0 = Monday), hour of day, count], only non-zero cells."""
    where, params = where_before(flt, principal)
    sql = (
        "SELECT (CAST(strftime('%w', r.day) AS INTEGER) + 6) % 7 AS wd, CAST(substr(r.hour, 12, 2) AS INTEGER) AS h,"
        f" SUM(r.sessions) {ROLLUPS_FROM} WHERE {where} GROUP BY wd, h HAVING SUM(r.sessions) > 0"
    )
    return [[r[0], r[1], int(r[2])] for r in db.execute(sql, params)]


def monthly_report(db, principal, region: str, month: str, tz: str, now: float | None = None) -> MonthlyReport:
    """The report for every venue in `region` (within the caller's scope) and local month YYYY-MM.

    With `now`, the month ends at now: the future has no opening hours yet.
    """
    principal.require("viewer", region)
    start, end = month_range(month, tz)
    if now is not None:
        end = max(start, min(end, now))
    venues = {
        r["id"]: r
        for r in db.query(
            "SELECT id, name, region, opening_hours, closed_days FROM venues WHERE region = ? OR region LIKE ? ESCAPE '\\' OR ? = ''",
            [region, stats.like_prefix(region), region],
        )
        if principal.sees(r["region"])
    }
    sums = ", ".join(f"SUM({c}) AS {c}" for c in ROLLUP_COUNTERS)
    totals: dict[str, dict[str, float]] = {v: defaultdict(float) for v in venues}
    used_by_stay: dict[tuple[str, str], set[str]] = defaultdict(set)
    for venue in venues:
        # Indexed (month, venue) lookups per venue of the region, never the whole month's rollups.
        for row in db.query(f"SELECT {sums} FROM rollup_hourly WHERE month = ? AND venue = ?", [month, venue]):
            totals[venue].update({c: row[c] or 0 for c in ROLLUP_COUNTERS})
        for exhibit, hour in db.execute(
            "SELECT exhibit, hour FROM rollup_hourly WHERE month = ? AND venue = ? AND sessions > 0", [month, venue]
        ):
            used_by_stay[(exhibit, venue)].add(hour)
    played: dict[str, dict[str, float]] = {}
    for venue in venues:
        for row in db.query(
            "SELECT SUM(plays) AS plays, SUM(completed) AS completed, SUM(seconds) AS seconds FROM rollup_media"
            " WHERE month = ? AND venue = ?",
            [month, venue],
        ):
            played[venue] = {k: row[k] or 0 for k in ("plays", "completed", "seconds")}
    open_minutes: dict[str, float] = defaultdict(float)
    open_hours: dict[str, int] = defaultdict(int)
    used_hours: dict[str, int] = defaultdict(int)
    exhibits: dict[str, set[str]] = defaultdict(set)
    hours_of = {v: check_opening_hours(json.loads(r["opening_hours"])) for v, r in venues.items()}
    for exhibit, venue, a, b in db.execute(
        "SELECT exhibit, venue, MAX(starts, ?), MIN(ends, ?) FROM rotations WHERE starts < ? AND ends > ?",
        [start, end, end, start],
    ):
        if venue not in venues or b <= a:
            continue
        exhibits[venue].add(exhibit)
        # Closed days and holidays are no opening minutes, as on the dashboard (stats.availability).
        closed = closed_of(venues[venue]["closed_days"])
        open_minutes[venue] += open_seconds(hours_of[venue], a, b, tz, closed) / 60
        labels = open_hour_labels(hours_of[venue], a, b, tz, closed)
        open_hours[venue] += len(labels)
        used_hours[venue] += len(labels & used_by_stay[(exhibit, venue)])
    rows = []
    grand: dict[str, float] = defaultdict(float)
    for venue_id in sorted(venues, key=lambda v: (venues[v]["region"], v)):
        t = totals[venue_id]
        for c in ROLLUP_COUNTERS:
            grand[c] += t.get(c, 0)
        row = _row(
            venues[venue_id],
            t,
            len(exhibits[venue_id]),
            open_minutes[venue_id],
            open_hours[venue_id],
            used_hours[venue_id],
        )
        rows.append({**row, **_media(played.get(venue_id, {}))})
    total = _row(
        {"id": "", "name": "", "region": region},
        grand,
        sum(len(e) for e in exhibits.values()),
        sum(open_minutes.values()),
        sum(open_hours.values()),
        sum(used_hours.values()),
    )
    maintenance = tickets.maintenance_summary(db, principal, region, month, tz)
    total.update({k: maintenance[k] for k in MAINTENANCE_KEYS})
    for row in rows:
        row.update(dict.fromkeys(MAINTENANCE_KEYS))
    total.update(_media({k: sum(p.get(k, 0) for p in played.values()) for k in ("plays", "completed", "seconds")}))
    # Over the venues with a door counter only: sessions where nobody counts passers-by would inflate it.
    sensed = [v for v in venues if totals[v].get("footfall", 0) > 0]
    total["attraction_rate"] = ratio(
        sum(totals[v]["sessions"] for v in sensed), sum(totals[v]["footfall"] for v in sensed)
    )
    first = date.fromisoformat(f"{month}-01")
    quiz_filter = stats.Filter(start=first, end=_month_end(first), region=region or None)
    return MonthlyReport(
        month=month,
        region=region,
        rows=rows,
        total=total,
        quiz=stats.quiz(db, principal, quiz_filter),
        media=proof_of_play.plays(db, principal, quiz_filter, "item"),
    )
