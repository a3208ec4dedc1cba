"""The monthly region report: one row per venue in a region subtree, from rollups, as CSV or XLSX."""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from typing import Any

from sqlite_utils import Database

from controller.domain.auth import Principal
from controller.domain.metrics import ratio, summarise
from controller.domain.opening import check_opening_hours, month_range, open_hour_labels, open_seconds
from controller.domain.stats import _like_prefix
from controller.store.schema import ROLLUP_COUNTERS

COLUMNS = [
    ("venue", "场馆编号 Venue id"),
    ("name", "场馆 Venue"),
    ("region", "区域 Region"),
    ("exhibits", "展品数 Exhibits"),
    ("footfall", "客流 Door count"),
    ("sessions", "人次 Sessions"),
    ("meaningful_sessions", "有效人次 Meaningful"),
    ("bounce_rate", "跳出率 Bounce"),
    ("dwell_p50", "停留中位数 Dwell p50 (s)"),
    ("dwell_p90", "停留P90 Dwell p90 (s)"),
    ("completion_rate", "完成率 Completion"),
    ("satisfaction", "好评率 Satisfaction"),
    ("power_on_rate", "开机率 Power-on"),
    ("usage_rate", "使用率 Usage"),
    ("attraction_rate", "吸引率 Attraction"),
]


def monthly(
    db: Database, principal: Principal, region: str, month: str, tz: str, now: float | None = None
) -> list[dict[str, Any]]:
    """Rows for every venue in `region` (within the caller's scope) for local month YYYY-MM, plus a total."""
    principal.require("viewer", region)
    start, end = month_range(month, tz)
    if now is not None:
        end = max(start, min(end, now))
    venues = {
        r["id"]: r
        for r in db.query(
            "SELECT id, name, region, opening_hours FROM venues WHERE region = ? OR region LIKE ? ESCAPE '\\' OR ? = ''",
            [region, _like_prefix(region), region],
        )
        if principal.sees(r["region"])
    }
    sums = ", ".join(f"SUM({c}) AS {c}" for c in ROLLUP_COUNTERS)
    totals: dict[str, dict[str, float]] = {v: defaultdict(float) for v in venues}
    for venue in venues:
        # One indexed (month, venue) lookup per venue of the region, never the whole month's rollups.
        for row in db.query(f"SELECT {sums} FROM rollup_hourly WHERE month = ? AND venue = ?", [month, venue]):
            totals[venue].update({c: row[c] or 0 for c in ROLLUP_COUNTERS})
    used_by_stay: dict[tuple[str, str], set[str]] = defaultdict(set)
    for venue in venues:
        for exhibit, hour in db.execute(
            "SELECT exhibit, hour FROM rollup_hourly WHERE month = ? AND venue = ? AND sessions > 0", [month, venue]
        ):
            used_by_stay[(exhibit, venue)].add(hour)
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
        open_minutes[venue] += open_seconds(hours_of[venue], a, b, tz) / 60
        labels = open_hour_labels(hours_of[venue], a, b, tz)
        open_hours[venue] += len(labels)
        used_hours[venue] += len(labels & used_by_stay[(exhibit, venue)])
    rows = []
    grand: dict[str, float] = defaultdict(float)
    for venue_id in sorted(venues, key=lambda v: (venues[v]["region"], v)):
        t = totals[venue_id]
        for c in ROLLUP_COUNTERS:
            grand[c] += t.get(c, 0)
        rows.append(
            _row(
                venues[venue_id],
                t,
                len(exhibits[venue_id]),
                open_minutes[venue_id],
                open_hours[venue_id],
                used_hours[venue_id],
            )
        )
    total_row = _row(
        {"id": "", "name": "合计 Total", "region": region},
        grand,
        sum(len(e) for e in exhibits.values()),
        sum(open_minutes.values()),
        sum(open_hours.values()),
        sum(used_hours.values()),
    )
    # Over the venues with a door counter only: sessions where nobody counts passers-by would inflate it.
    sensed = [v for v in venues if totals[v].get("footfall", 0) > 0]
    total_row["attraction_rate"] = ratio(
        sum(totals[v]["sessions"] for v in sensed), sum(totals[v]["footfall"] for v in sensed)
    )
    return [*rows, total_row]


def _row(
    venue: dict[str, Any], t: dict[str, float], exhibits: int, open_min: float, open_h: int, used_h: int
) -> dict[str, Any]:
    summary = summarise(t)
    return {
        "venue": venue["id"],
        "name": venue["name"],
        "region": venue["region"],
        "exhibits": exhibits,
        **{
            k: summary[k]
            for k in (
                "footfall",
                "sessions",
                "meaningful_sessions",
                "bounce_rate",
                "dwell_p50",
                "dwell_p90",
                "completion_rate",
                "satisfaction",
            )
        },
        "power_on_rate": ratio(min(t.get("online_open_minutes", 0), open_min), open_min),
        "usage_rate": ratio(used_h, open_h),
        # Sessions per passer-by counted at the door; null where the venue has no door counter.
        "attraction_rate": ratio(t.get("sessions", 0), t.get("footfall", 0)),
    }


def to_csv(rows: list[dict[str, Any]]) -> bytes:
    """UTF-8 with a BOM, so Excel opens the Chinese headers correctly."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([label for _, label in COLUMNS])
    for row in rows:
        writer.writerow(["" if row[key] is None else row[key] for key, _ in COLUMNS])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(rows: list[dict[str, Any]], title: str) -> bytes:
    """One sheet, headers bold, rates formatted as percentages."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = "report"
    sheet.append([title])
    sheet.append([label for _, label in COLUMNS])
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([row[key] for key, _ in COLUMNS])
    for index, (key, _) in enumerate(COLUMNS, start=1):
        if key.endswith("_rate") or key == "satisfaction":
            for (cell,) in sheet.iter_rows(min_row=3, min_col=index, max_col=index):
                cell.number_format = "0.0%"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
