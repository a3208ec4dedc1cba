"""The monthly report: one row per venue of a region for one local month, from rollups.

One function builds it (`monthly_report`); the API's JSON, the dashboard's page and both
downloads (`report_files`) show the same object, so staff get one 开机率 for one month.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlite_utils import Database

from controller.domain import proof_of_play, stats, tickets
from controller.domain.auth import Principal
from controller.domain.metrics import ratio, summarise
from controller.domain.opening import check_opening_hours, closed_of, month_range
from controller.store.schema import ROLLUP_COUNTERS


@dataclass(frozen=True)
class Column:
    """One figure of the report: its key in a row, its headers, and how it is shown."""

    key: str
    zh: str
    en: str
    kind: str  # text, int, sec (seconds) or pct (a fraction in [0, 1])

    def header(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


COLUMNS = (
    Column("venue", "场馆编号", "Venue id", "text"),
    Column("name", "场馆", "Venue", "text"),
    Column("region", "地区", "Region", "text"),
    Column("exhibits", "展品数", "Exhibits", "int"),
    Column("footfall", "门禁计数", "Door count", "int"),
    Column("sessions", "人次", "Visits", "int"),
    Column("meaningful_sessions", "有效互动", "Meaningful visits", "int"),
    Column("bounce_rate", "跳出率", "Bounce rate", "pct"),
    Column("dwell_p50", "停留中位数(秒)", "Median dwell (s)", "sec"),
    Column("dwell_p90", "停留P90(秒)", "Dwell p90 (s)", "sec"),
    Column("completion_rate", "完成率", "Completion rate", "pct"),
    Column("rating_up", "好评", "Good ratings", "int"),
    Column("rating_down", "差评", "Poor ratings", "int"),
    Column("satisfaction", "好评率", "Satisfaction", "pct"),
    Column("power_on_rate", "开机率", "Power-on rate", "pct"),
    Column("usage_rate", "使用率", "Usage rate", "pct"),
    Column("attraction_rate", "吸引率", "Attraction rate", "pct"),
    Column("media_plays", "播放次数", "Plays", "int"),
    Column("media_completed", "完整播放", "Completed plays", "int"),
    Column("media_minutes", "播放分钟", "Minutes played", "sec"),
    # Maintenance beside 开机率, not hidden inside it: for the whole region (the total row).
    Column("tickets_opened", "新报修", "Tickets opened", "int"),
    Column("tickets_fixed", "已修复", "Tickets fixed", "int"),
    Column("mean_time_to_repair_hours", "平均修复时长(小时)", "Mean time to repair (h)", "sec"),
    Column("maintenance_open_minutes", "开放时间内维修分钟", "Maintenance minutes in opening hours", "sec"),
)
MAINTENANCE_KEYS = ("tickets_opened", "tickets_fixed", "mean_time_to_repair_hours", "maintenance_open_minutes")
TOTAL_NAME = {"zh": "合计", "en": "Total"}


@dataclass(frozen=True)
class MonthlyReport:
    """What a region's month looked like; `total` sums the venue rows (visits in transit belong to none)."""

    month: str
    region: str
    rows: list[dict[str, Any]]
    total: dict[str, Any]
    quiz: list[dict[str, Any]] = field(default_factory=list)
    media: list[dict[str, Any]] = field(default_factory=list)  # proof of play by item

    def as_rows(self) -> list[dict[str, Any]]:
        """The API's JSON: the venue rows, then the total (venue "", name "合计 Total")."""
        return [*self.rows, {**self.total, "name": f"{TOTAL_NAME['zh']} {TOTAL_NAME['en']}"}]


def monthly_report(
    db: Database, principal: Principal, region: str, month: str, tz: str, now: float | None = None
) -> MonthlyReport:
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
    totals: dict[str, dict[str, float]] = {v: defaultdict(float, dict.fromkeys(ROLLUP_COUNTERS, 0)) for v in venues}
    # The month's summary (one row per exhibit × venue × pack), grouped by venue: one indexed query for the region.
    for row in db.query(f"SELECT venue, {sums} FROM rollup_monthly WHERE month = ? GROUP BY venue", [month]):
        if row["venue"] in totals:
            totals[row["venue"]].update({c: row[c] or 0 for c in ROLLUP_COUNTERS})
    played: dict[str, dict[str, float]] = {}
    for row in db.query(
        "SELECT venue, SUM(plays) AS plays, SUM(completed) AS completed, SUM(seconds) AS seconds FROM rollup_media"
        " WHERE month = ? GROUP BY venue",
        [month],
    ):
        if row["venue"] in venues:
            played[row["venue"]] = {k: row[k] or 0 for k in ("plays", "completed", "seconds")}
    open_minutes: dict[str, float] = defaultdict(float)
    open_hours: dict[str, int] = defaultdict(int)
    used_hours: dict[str, int] = defaultdict(int)
    exhibits: dict[str, set[str]] = defaultdict(set)
    hours_of = {v: check_opening_hours(json.loads(r["opening_hours"])) for v, r in venues.items()}
    keys = {v: json.dumps(h, sort_keys=True) for v, h in hours_of.items()}
    closed_at = {v: closed_of(r["closed_days"]) for v, r in venues.items()}
    stays = [
        {"exhibit": exhibit, "venue": venue, "a": a, "b": b}
        for exhibit, venue, a, b in db.execute(
            "SELECT exhibit, venue, MAX(starts, ?), MIN(ends, ?) FROM rotations WHERE starts < ? AND ends > ?",
            [start, end, end, start],
        )
        if venue in venues and b > a
    ]
    used = stats.used_masks(db, stays, tz)  # which hours of the month had a session, per exhibit × venue
    for stay in stays:
        exhibit, venue = stay["exhibit"], stay["venue"]
        exhibits[venue].add(exhibit)
        # Closed days and holidays are no opening minutes, as on the dashboard (stats.availability).
        seconds, masks = stats.open_masks(keys[venue], stay["a"], stay["b"], tz, closed_at[venue])
        open_minutes[venue] += seconds / 60
        for label_month, mask in masks.items():
            open_hours[venue] += mask.bit_count()
            used_hours[venue] += (mask & used.get((exhibit, venue, label_month), 0)).bit_count()
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


def _media(played: dict[str, float]) -> dict[str, Any]:
    return {
        "media_plays": int(played.get("plays", 0)),
        "media_completed": int(played.get("completed", 0)),
        "media_minutes": round(played.get("seconds", 0) / 60, 1),
    }


def _month_end(first: date) -> date:
    following = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    return date.fromordinal(following.toordinal() - 1)


def _row(
    venue: dict[str, Any], t: dict[str, float], exhibits: int, open_min: float, open_h: int, used_h: int
) -> dict[str, Any]:
    summary = summarise(t)
    return {
        "venue": venue["id"],
        "name": venue["name"],
        "region": venue["region"],
        "exhibits": exhibits,
        **{c.key: summary[c.key] for c in COLUMNS if c.key in summary},
        "power_on_rate": ratio(min(t.get("online_open_minutes", 0), open_min), open_min),
        "usage_rate": ratio(used_h, open_h),
        # Sessions per passer-by counted at the door; null where the venue has no door counter.
        "attraction_rate": ratio(t.get("sessions", 0), t.get("footfall", 0)),
    }
