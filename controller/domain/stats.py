"""Statistics over rollups (never raw events): usage by venue/region/exhibit/pack/topic, metrics, quiz items."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date
from functools import lru_cache
from typing import Any

from sqlite_utils import Database

from controller.domain import rollup_source
from controller.domain.auth import Principal, in_scope
from controller.domain.metrics import ratio, summarise
from controller.domain.opening import (
    buckets,
    check_opening_hours,
    closed_of,
    local_midnight,
    open_hour_labels,
    open_seconds,
)
from controller.errors import Invalid
from controller.store.schema import ROLLUP_COUNTERS

GROUPS = ("venue", "region", "exhibit", "pack", "topic")
PERIODS = {"day": "r.day", "week": "strftime('%Y-W%W', r.day)", "month": "r.month", "all": "'all'"}
_KEYS = {
    "venue": "r.venue",
    "region": "COALESCE(v.region, '')",
    "exhibit": "r.exhibit",
    "pack": "r.pack",
    "topic": "COALESCE(p.topic, '')",
}
# The rollups with their venue (v) and pack topic (p): `Filter.where()` refers to both.
TOPIC_JOIN = " LEFT JOIN (SELECT id, MIN(topic) AS topic FROM packs GROUP BY id) p ON p.id = r.pack"
ROLLUPS_FROM = "FROM rollup_hourly r LEFT JOIN venues v ON v.id = r.venue" + TOPIC_JOIN
# Without the topic join (one row per pack id: joining it never changes the rows), for questions
# that do not ask about topics: SQLite then picks the day index instead of scanning.
ROLLUPS_FROM_LEAN = "FROM rollup_hourly r LEFT JOIN venues v ON v.id = r.venue"


@dataclass(frozen=True)
class Filter:
    """Which rollups a question is about; dates are local days, inclusive."""

    start: date | None = None
    end: date | None = None
    region: str | None = None
    venue: str | None = None
    exhibit: str | None = None
    pack: str | None = None
    topic: str | None = None

    def where(self, principal: Principal, dates: bool = True) -> tuple[str, list[Any]]:
        """SQL conditions on rollups `r` (with `v` and `p`); `dates=False` leaves the days to the source."""
        clauses, params = ["1=1"], []
        if self.start and self.end and self.end < self.start:
            raise Invalid("end is before start")
        if self.start and dates:
            clauses.append("r.day >= ?")
            params.append(self.start.isoformat())
        if self.end and dates:
            clauses.append("r.day <= ?")
            params.append(self.end.isoformat())
        for column, value in (
            ("r.venue", self.venue),
            ("r.exhibit", self.exhibit),
            ("r.pack", self.pack),
            ("p.topic", self.topic),
        ):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        for scope in (self.region, principal.region):
            # In-transit rows (no venue) belong to no region: only root-scoped callers see them.
            if scope:
                # The venue's region, as a set of venue ids: SQLite builds it once, not a join per rollup row.
                clauses.append("r.venue IN (SELECT id FROM venues WHERE region = ? OR region LIKE ? ESCAPE '\\')")
                params += [scope, like_prefix(scope)]
        return " AND ".join(clauses), params


def like_prefix(scope: str) -> str:
    return scope.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "/%"


def summarised(
    principal: Principal, flt: Filter, *, by_day: bool = False, exhibit: bool = False, topic: bool = False
) -> tuple[str, str, list[Any]]:
    """(FROM, WHERE, params) over the cheapest rollup tables answering `flt` exactly (see rollup_source).

    The rows `r` have day (None when `by_day` is false and a month summary answers), month,
    exhibit, venue, pack, `rows` and the counters; `v` is the venue, `p` the pack topic if `topic`.
    """
    where, params = flt.where(principal, dates=False)
    equal = {c: v for c, v in (("venue", flt.venue), ("exhibit", flt.exhibit), ("pack", flt.pack)) if v is not None}
    source, source_params = rollup_source.parts(
        flt.start, flt.end, by_day=by_day, exhibit=exhibit or flt.exhibit is not None, equal=equal
    )
    joins = " LEFT JOIN venues v ON v.id = r.venue" + (TOPIC_JOIN if topic or flt.topic is not None else "")
    return f"FROM {source} r{joins}", where, source_params + params


def usage(
    db: Database, principal: Principal, flt: Filter, group: str, period: str, region_level: int | None = None
) -> list[dict[str, Any]]:
    """Footfall and sessions per group and period (every row; `usage_page` for one page of them)."""
    return usage_page(db, principal, flt, group, period, region_level)[0]


def usage_page(
    db: Database,
    principal: Principal,
    flt: Filter,
    group: str,
    period: str,
    region_level: int | None = None,
    limit: int | None = None,
    offset: int = 0,
    busiest: bool = False,
) -> tuple[list[dict[str, Any]], bool]:
    """`limit` rows from `offset` of `usage` (ordered by period, then group), and whether more follow.

    `busiest`: most sessions first (then by group), for top-N lists. The page is cut in SQL before
    any row is summarised; ordered by day, SQLite reads the venue-daily summary in index order and
    stops at the page's end (no count of all rows: that alone would read a province's year).
    """
    if group not in GROUPS:
        raise Invalid(f"group must be one of {', '.join(GROUPS)}")
    if period not in PERIODS:
        raise Invalid(f"period must be one of {', '.join(PERIODS)}")
    source, where, params = summarised(
        principal, flt, by_day=period in ("day", "week"), exhibit=group == "exhibit", topic=group == "topic"
    )
    sums = ", ".join(f"SUM(r.{c}) AS {c}" for c in ROLLUP_COUNTERS)
    # HAVING: a group the summaries hold only to take away again (days outside the range) is no group.
    sql = (
        f"SELECT {_KEYS[group]} AS key, {PERIODS[period]} AS period, {sums}"
        f" {source} WHERE {where} GROUP BY period, key HAVING SUM(r.rows) > 0"
    )
    merge = group == "region" and bool(region_level)  # keys merge after SQL: cut the page in Python
    if limit is not None and not merge:
        sql += f" ORDER BY {'SUM(r.sessions) DESC, key' if busiest else 'period, key'} LIMIT ? OFFSET ?"
        params = [*params, limit + 1, offset]
    merged: dict[tuple[str, str], dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for row in db.execute(sql, params):
        key, per = row[0], row[1]
        if merge:
            key = "/".join(key.split("/")[:region_level])
        target = merged[(key, per)]
        for c, value in zip(ROLLUP_COUNTERS, row[2:], strict=True):
            target[c] += value or 0
    if busiest:
        ordered = sorted(merged.items(), key=lambda kv: (-kv[1]["sessions"], kv[0][0], kv[0][1]))
    else:
        ordered = sorted(merged.items(), key=lambda kv: (kv[0][1], kv[0][0]))
    if merge:
        ordered = ordered[offset:]
    more = limit is not None and len(ordered) > limit
    if limit is not None:
        ordered = ordered[:limit]
    return [{group: key, "period": per, **summarise(totals)} for (key, per), totals in ordered], more


def totals(db: Database, principal: Principal, flt: Filter) -> dict[str, float]:
    source, where, params = summarised(principal, flt)
    sums = ", ".join(f"COALESCE(SUM(r.{c}), 0) AS {c}" for c in ROLLUP_COUNTERS)
    return next(iter(db.query(f"SELECT {sums} {source} WHERE {where}", params)))


def stays_in(db: Database, principal: Principal, flt: Filter, start: float, end: float) -> list[dict[str, Any]]:
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
    parsed: dict[tuple[str, str | None], tuple[dict[str, Any], Any, str]] = {}  # venues share hours: parse once
    for row in db.query(sql, params):
        if principal.sees(row["region"]) and (flt.region is None or in_scope(flt.region, row["region"])):
            key = (row["opening_hours"], row["closed_days"])
            if key not in parsed:
                hours = check_opening_hours(json.loads(row["opening_hours"]))
                parsed[key] = (hours, closed_of(row["closed_days"]), json.dumps(hours, sort_keys=True))
            row["hours"], row["closed"], row["hours_key"] = parsed[key]
            rows.append(row)
    return rows


def availability(db: Database, principal: Principal, flt: Filter, start: float, end: float, tz: str) -> dict[str, Any]:
    """开机率 and 使用率 over the stays in [start, end).

    开机率 = minutes the exhibit was online, its kiosk alive and its display on, within opening
    hours ÷ opening minutes (closed days and holidays are not opening minutes; scheduled-off
    time outside opening hours never counts). 使用率 = open hours with a session ÷ open hours.
    """
    return availability_by(db, principal, flt, start, end, tz)[""]


def availability_by(
    db: Database,
    principal: Principal,
    flt: Filter,
    start: float,
    end: float,
    tz: str,
    by: str | None = None,
    summed: dict[str, float] | None = None,
) -> dict[str, dict[str, Any]]:
    """`availability` for each venue with a stay (`by="venue"`) or, by default, for all stays together (key "").

    `summed`: `totals(flt)` if the caller has it already; by venue, it also asks for the total (key "").

    Open hours with a session come from `rollup_used_monthly` (which local hours of a month had a
    session, per exhibit and venue), ANDed with each stay's open hours of that month: a few
    integers per stay instead of every hourly rollup.
    """
    stays = stays_in(db, principal, flt, start, end)
    total_too = by == "venue" and summed is not None
    keyed = ({s["venue"] for s in stays} | ({""} if total_too else set())) if by == "venue" else {""}
    online: dict[str, float] = defaultdict(float)
    if by == "venue":
        source, where, params = summarised(principal, flt)
        for venue, minutes in db.execute(
            f"SELECT r.venue, SUM(r.online_open_minutes) {source} WHERE {where} GROUP BY r.venue", params
        ):
            online[venue] = minutes or 0.0
    if by != "venue" or total_too:
        online[""] = (summed or totals(db, principal, flt))["online_open_minutes"]
    used = used_masks(db, stays, tz)
    tally: dict[str, list[float]] = {k: [0.0, 0.0, 0, 0] for k in keyed}
    for stay in stays:
        seconds, masks = open_masks(stay["hours_key"], stay["a"], stay["b"], tz, stay["closed"])
        for t in (tally[stay["venue"] if by == "venue" else ""], *((tally[""],) if total_too else ())):
            t[0] += seconds
            for month, mask in masks.items():
                t[2] += mask.bit_count()
                t[3] += (mask & used.get((stay["exhibit"], stay["venue"], month), 0)).bit_count()
    return {k: _rates(t[0] / 60, online.get(k, 0.0), int(t[2]), int(t[3])) for k, t in tally.items()}


def _rates(open_minutes: float, online_open: float, open_hours: int, used_hours: int) -> dict[str, Any]:
    return {
        "opening_minutes": round(open_minutes, 1),
        "online_open_minutes": round(online_open, 1),
        "power_on_rate": ratio(min(online_open, open_minutes), open_minutes),
        "opening_hours": open_hours,
        "used_hours": used_hours,
        "usage_rate": ratio(used_hours, open_hours),
    }


def used_masks(db: Database, stays: list[dict[str, Any]], tz: str) -> dict[tuple[str, str, str], int]:
    """(exhibit, venue, month) → bit (day - 1) * 24 + hour set when that local hour of the month had a session."""
    stays = [s for s in stays if s["b"] > s["a"]]
    if not stays:
        return {}
    wanted = {(s["exhibit"], s["venue"]) for s in stays}
    first = buckets(min(s["a"] for s in stays), tz).month
    last = buckets(max(s["b"] for s in stays) - 1, tz).month
    sql = "SELECT exhibit, venue, month, used FROM rollup_used_monthly WHERE month >= ? AND month <= ?"
    params: list[Any] = [first, last]
    if len(wanted) <= 50:  # a few stays (one exhibit, one venue): ask for just theirs
        exhibits = sorted({e for e, _ in wanted})
        sql += " AND exhibit IN (" + ",".join("?" * len(exhibits)) + ")"
        params += exhibits
    return {(e, v, m): int(bits[::-1], 16) for e, v, m, bits in db.execute(sql, params) if (e, v) in wanted}


@lru_cache(maxsize=4096)
def open_masks(
    hours_key: str, start: float, end: float, tz: str, closed: tuple[Any, ...]
) -> tuple[float, dict[str, int]]:
    """Opening seconds in [start, end) and, per local month, its open hours as bits (see `used_masks`)."""
    hours = json.loads(hours_key)
    masks: dict[str, int] = defaultdict(int)
    for label in open_hour_labels(hours, start, end, tz, closed):
        masks[label[:7]] |= 1 << ((int(label[8:10]) - 1) * 24 + int(label[11:13]))
    return open_seconds(hours, start, end, tz, closed), dict(masks)


def period_bounds(flt: Filter, tz: str, now: float) -> tuple[float, float]:
    """The filter's days as [start, end) instants, clipped to now (the future has no opening hours yet)."""
    start = local_midnight(flt.start, tz) if flt.start else 0.0
    end = local_midnight(date.fromordinal(flt.end.toordinal() + 1), tz) if flt.end else now
    return start, min(end, now)


def metrics(db: Database, principal: Principal, flt: Filter, tz: str, now: float) -> dict[str, Any]:
    """Every headline metric for the filtered rollups."""
    start, end = period_bounds(flt, tz, now)
    summed = totals(db, principal, flt)
    avail = availability_by(db, principal, flt, start, end, tz, summed=summed)[""]
    return {**summarise(summed), **avail, **attraction(db, principal, flt, start, end, tz)}


def metrics_by_venue(
    db: Database, principal: Principal, flt: Filter, tz: str, now: float
) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """`metrics(flt)` and 开机率/使用率 per venue with a stay, from one pass over the stays (the overview)."""
    start, end = period_bounds(flt, tz, now)
    summed = totals(db, principal, flt)
    per_venue = availability_by(db, principal, flt, start, end, tz, by="venue", summed=summed)
    total = per_venue.pop("")
    return {**summarise(summed), **total, **attraction(db, principal, flt, start, end, tz)}, per_venue


def attraction(db: Database, principal: Principal, flt: Filter, start: float, end: float, tz: str) -> dict[str, Any]:
    """Attraction rate = sessions ÷ passers-by, over the venues whose door counter counted anyone (else null).

    Passers-by are the venue's door counts whatever the content, so the pack and topic filters do not
    narrow them; for one exhibit they are its venues' counts in the hours it stood there.
    """
    door = replace(flt, exhibit=None, pack=None, topic=None)
    passers: dict[str, int] = defaultdict(int)
    by_venue: dict[str, int] | None = None
    if flt.exhibit is None:
        source, where, params = summarised(principal, door)
        by_venue = {}
        for venue, footfall, sessions in db.execute(
            f"SELECT r.venue, SUM(r.footfall), SUM(r.sessions) {source} WHERE {where} GROUP BY r.venue", params
        ):
            by_venue[venue] = sessions
            if venue != "":
                passers[venue] += footfall or 0
        if door != flt:
            by_venue = None  # the sessions are those of the pack or topic asked about
    else:
        where, params = door.where(principal)
        for stay in stays_in(db, principal, flt, start, end):
            if stay["b"] <= stay["a"]:
                continue
            first, last = buckets(stay["a"], tz).hour, buckets(stay["b"] - 1, tz).hour
            # Door counts per venue and hour (a summary kept with the rollups), by the (venue, hour) index.
            footfall = db.execute(
                f"SELECT SUM(r.footfall) FROM rollup_venue_hourly r WHERE {where} AND r.venue = ? AND r.hour >= ?"
                " AND r.hour <= ?",
                [*params, stay["venue"], first, last],
            ).fetchone()[0]
            passers[stay["venue"]] += footfall or 0
    sensed = sorted(v for v, n in passers.items() if n > 0)
    if not sensed:
        return {"passers_by": None, "attraction_sessions": None, "attraction_rate": None}
    if by_venue is None:
        source, where, params = summarised(principal, flt)
        by_venue = dict(db.execute(f"SELECT r.venue, SUM(r.sessions) {source} WHERE {where} GROUP BY r.venue", params))
    sessions = sum(by_venue.get(v) or 0 for v in sensed)
    total = sum(passers[v] for v in sensed)
    return {"passers_by": total, "attraction_sessions": int(sessions), "attraction_rate": ratio(sessions, total)}


def quiz(db: Database, principal: Principal, flt: Filter) -> list[dict[str, Any]]:
    """Per question: answers, share correct, and the most chosen wrong answer."""
    where, params = flt.where(principal)
    where = where.replace("r.", "q.")
    sql = (
        "SELECT q.pack, q.question, q.choice, q.correct, SUM(q.answers) AS n FROM rollup_quiz q"
        " LEFT JOIN venues v ON v.id = q.venue"
        " LEFT JOIN (SELECT id, MIN(topic) AS topic FROM packs GROUP BY id) p ON p.id = q.pack"
        f" WHERE {where} GROUP BY q.pack, q.question, q.choice, q.correct"
    )
    items: dict[tuple[str, str], dict[str, Any]] = {}
    for row in db.query(sql, params):
        item = items.setdefault((row["pack"], row["question"]), {"answers": 0, "correct": 0, "wrong": defaultdict(int)})
        item["answers"] += row["n"]
        if row["correct"]:
            item["correct"] += row["n"]
        else:
            item["wrong"][row["choice"]] += row["n"]
    wording = _quiz_wording(db, {pack for pack, _ in items})
    out = []
    for (pack, question), item in sorted(items.items()):
        wrong = max(item["wrong"].items(), key=lambda kv: (kv[1], kv[0]), default=(None, 0))
        asked = wording.get(pack, {}).get(question) or {}
        out.append(
            {
                "pack": pack,
                "question": question,
                "prompt": _text(asked.get("prompt")),
                "answers": item["answers"],
                "correct_rate": ratio(item["correct"], item["answers"]),
                "most_chosen_wrong": wrong[0],
                "most_chosen_wrong_text": _choice_text(asked, wrong[0]),
                "most_chosen_wrong_count": wrong[1],
            }
        )
    return out


def _quiz_wording(db: Database, packs: set[str]) -> dict[str, dict[str, Any]]:
    """Question wording per pack from its newest uploaded version that has a quiz."""
    wording: dict[str, dict[str, Any]] = {}
    for row in db.query("SELECT id, questions FROM packs WHERE questions IS NOT NULL ORDER BY uploaded_at"):
        if row["id"] in packs:
            try:
                wording[row["id"]] = json.loads(row["questions"])
            except ValueError:
                continue
    return wording


def _text(value: Any) -> dict[str, str] | None:
    if isinstance(value, dict) and isinstance(value.get("zh"), str) and isinstance(value.get("en"), str):
        return {"zh": value["zh"], "en": value["en"]}
    return None


def _choice_text(asked: dict[str, Any], choice: str | None) -> dict[str, str] | None:
    """The wording of a choice recorded by its index ("0", "1"…), with its letter: "B. …"."""
    choices = asked.get("choices") or []
    if choice is None or not str(choice).isdigit() or int(choice) >= len(choices):
        return None
    text = _text(choices[int(choice)])
    letter = "ABCD"[int(choice)] if int(choice) < 4 else str(int(choice) + 1)
    return {lang: f"{letter}. {value}" for lang, value in text.items()} if text else None
