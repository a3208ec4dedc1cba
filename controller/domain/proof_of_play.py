"""Proof of play (播放证明): which films, pictures and slides each screen showed, from `rollup_media`.

The kiosk logs one `media_start` and exactly one `media_end` per play (docs/kiosk.md); ingest
rolls them up by item × exhibit × venue × pack × hour. Everything here reads those rollups.

Definitions (docs/controller.md):
- plays = `media_start` events; completed plays = `media_end` with `completed`; minutes played =
  Σ `seconds` ÷ 60 (pauses excluded).
- 使用率 of a signage screen (科普大屏) = minutes it played signage content within opening hours ÷
  opening minutes — where an interactive exhibit's 使用率 is open hours with a visit ÷ open hours.
  A screen counts as signage when it played a signage playlist in the period.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlite_utils import Database

from controller.domain.auth import Principal
from controller.domain.metrics import ratio
from controller.domain.opening import open_hour_labels, open_seconds
from controller.domain.stats import Filter, period_bounds, stays_in
from controller.errors import Invalid

MEDIA_FROM = (
    "FROM rollup_media r LEFT JOIN venues v ON v.id = r.venue"
    " LEFT JOIN (SELECT id, MIN(topic) AS topic FROM packs GROUP BY id) p ON p.id = r.pack"
)
GROUPS = {
    "item": ("r.pack", "r.item", "r.kind"),
    "exhibit": ("r.exhibit",),
    "venue": ("r.venue",),
    "pack": ("r.pack",),
    "day": ("r.day",),
}
SOURCES = ("scene", "signage")
_SUMS = "SUM(r.plays) AS plays, SUM(r.completed) AS completed, SUM(r.seconds) AS seconds"


def _where(principal: Principal, flt: Filter, source: str | None) -> tuple[str, list[Any]]:
    where, params = flt.where(principal)
    if source is not None:
        if source not in SOURCES:
            raise Invalid(f"source must be one of {', '.join(SOURCES)}")
        where += " AND r.source = ?"
        params.append(source)
    return where, params


def _figures(row: dict[str, Any]) -> dict[str, Any]:
    plays, completed, seconds = int(row.pop("plays") or 0), int(row.pop("completed") or 0), row.pop("seconds") or 0
    return {
        **row,
        "plays": plays,
        "completed": completed,
        "completion_rate": ratio(completed, plays),
        "minutes": round(seconds / 60, 1),
    }


def plays(
    db: Database, principal: Principal, flt: Filter, group: str = "item", source: str | None = None
) -> list[dict[str, Any]]:
    """Plays, completed plays and minutes per `group` (item, exhibit, venue, pack or day), most played first."""
    if group not in GROUPS:
        raise Invalid(f"group must be one of {', '.join(GROUPS)}")
    where, params = _where(principal, flt, source)
    keys = GROUPS[group]
    names = ", ".join(f"{k} AS {k.split('.')[1]}" for k in keys)
    order = "r.day" if group == "day" else "plays DESC, " + ", ".join(keys)
    sql = f"SELECT {names}, {_SUMS} {MEDIA_FROM} WHERE {where} GROUP BY {', '.join(keys)} ORDER BY {order}"
    return [_figures(dict(row)) for row in db.query(sql, params)]


def totals(db: Database, principal: Principal, flt: Filter, source: str | None = None) -> dict[str, Any]:
    where, params = _where(principal, flt, source)
    return _figures(next(iter(db.query(f"SELECT {_SUMS} {MEDIA_FROM} WHERE {where}", params))))


def daily(
    db: Database, principal: Principal, flt: Filter, days: list[date], source: str | None = None
) -> list[dict[str, Any]]:
    """One row per day in `days`, zero-filled, for the chart."""
    found = {r["day"]: r for r in plays(db, principal, flt, "day", source)}
    empty = {"plays": 0, "completed": 0, "completion_rate": None, "minutes": 0.0}
    return [
        {"day": d.isoformat(), **{k: v for k, v in found.get(d.isoformat(), empty).items() if k != "day"}} for d in days
    ]


def signage_exhibits(db: Database, flt: Filter, principal: Principal) -> set[str]:
    """Exhibits that played a signage playlist in the filtered period: the screens whose 使用率 is minutes played."""
    where, params = _where(principal, flt, "signage")
    return {r[0] for r in db.execute(f"SELECT DISTINCT r.exhibit {MEDIA_FROM} WHERE {where}", params)}


def signage_usage(db: Database, principal: Principal, flt: Filter, tz: str, now: float) -> dict[str, Any]:
    """使用率 of signage screens: minutes of signage content played in opening hours ÷ opening minutes."""
    start, end = period_bounds(flt, tz, now)
    screens = signage_exhibits(db, flt, principal)
    open_minutes = 0.0
    played_seconds = 0.0
    for stay in stays_in(db, principal, flt, start, end):
        if stay["exhibit"] not in screens:
            continue
        labels = open_hour_labels(stay["hours"], stay["a"], stay["b"], tz, stay["closed"])
        open_minutes += open_seconds(stay["hours"], stay["a"], stay["b"], tz, stay["closed"]) / 60
        if not labels:
            continue
        row = db.execute(
            "SELECT COALESCE(SUM(seconds), 0) FROM rollup_media WHERE exhibit = ? AND venue = ? AND source = 'signage'"
            f" AND hour IN ({','.join('?' * len(labels))})",
            [stay["exhibit"], stay["venue"], *sorted(labels)],
        ).fetchone()
        played_seconds += row[0]
    played = played_seconds / 60
    return {
        "screens": len(screens),
        "opening_minutes": round(open_minutes, 1),
        "played_minutes": round(min(played, open_minutes), 1),
        "usage_rate": ratio(min(played, open_minutes), open_minutes),
    }


def usage_definition(db: Database, principal: Principal, exhibit: str, flt: Filter) -> str:
    """Which 使用率 applies to one exhibit: "signage" (minutes played) or "interactive" (hours with a visit)."""
    return (
        "signage"
        if exhibit in signage_exhibits(db, Filter(start=flt.start, end=flt.end, exhibit=exhibit), principal)
        else "interactive"
    )
