"""Statistics over rollups (never raw events): usage by venue/region/exhibit/pack/topic, metrics, quiz items."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from sqlite_utils import Database

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
ROLLUPS_FROM = (
    "FROM rollup_hourly r LEFT JOIN venues v ON v.id = r.venue"
    " LEFT JOIN (SELECT id, MIN(topic) AS topic FROM packs GROUP BY id) p ON p.id = r.pack"
)


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

    def where(self, principal: Principal) -> tuple[str, list[Any]]:
        clauses, params = ["1=1"], []
        if self.start and self.end and self.end < self.start:
            raise Invalid("end is before start")
        if self.start:
            clauses.append("r.day >= ?")
            params.append(self.start.isoformat())
        if self.end:
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
                clauses.append("(v.region = ? OR v.region LIKE ? ESCAPE '\\')")
                params += [scope, like_prefix(scope)]
        return " AND ".join(clauses), params


def like_prefix(scope: str) -> str:
    return scope.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "/%"


def usage(
    db: Database, principal: Principal, flt: Filter, group: str, period: str, region_level: int | None = None
) -> list[dict[str, Any]]:
    """Footfall and sessions per group and period."""
    if group not in GROUPS:
        raise Invalid(f"group must be one of {', '.join(GROUPS)}")
    if period not in PERIODS:
        raise Invalid(f"period must be one of {', '.join(PERIODS)}")
    where, params = flt.where(principal)
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


def totals(db: Database, principal: Principal, flt: Filter) -> dict[str, float]:
    where, params = flt.where(principal)
    sums = ", ".join(f"COALESCE(SUM(r.{c}), 0) AS {c}" for c in ROLLUP_COUNTERS)
    return next(iter(db.query(f"SELECT {sums} {ROLLUPS_FROM} WHERE {where}", params)))


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
    for row in db.query(sql, params):
        if principal.sees(row["region"]) and (flt.region is None or in_scope(flt.region, row["region"])):
            row["hours"] = check_opening_hours(json.loads(row["opening_hours"]))
            row["closed"] = closed_of(row["closed_days"])
            rows.append(row)
    return rows


def availability(db: Database, principal: Principal, flt: Filter, start: float, end: float, tz: str) -> dict[str, Any]:
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


def period_bounds(flt: Filter, tz: str, now: float) -> tuple[float, float]:
    """The filter's days as [start, end) instants, clipped to now (the future has no opening hours yet)."""
    start = local_midnight(flt.start, tz) if flt.start else 0.0
    end = local_midnight(date.fromordinal(flt.end.toordinal() + 1), tz) if flt.end else now
    return start, min(end, now)


def metrics(db: Database, principal: Principal, flt: Filter, tz: str, now: float) -> dict[str, Any]:
    """Every headline metric for the filtered rollups."""
    start, end = period_bounds(flt, tz, now)
    return {
        **summarise(totals(db, principal, flt)),
        **availability(db, principal, flt, start, end, tz),
        **attraction(db, principal, flt, start, end, tz),
    }


def attraction(db: Database, principal: Principal, flt: Filter, start: float, end: float, tz: str) -> dict[str, Any]:
    """Attraction rate = sessions ÷ passers-by, over the venues whose door counter counted anyone (else null).

    Passers-by are the venue's door counts whatever the content, so the pack and topic filters do not
    narrow them; for one exhibit they are its venues' counts in the hours it stood there.
    """
    where, params = replace(flt, exhibit=None, pack=None, topic=None).where(principal)
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
    where, params = flt.where(principal)
    marks = ",".join("?" * len(sensed))
    sessions = db.execute(
        f"SELECT COALESCE(SUM(r.sessions), 0) {ROLLUPS_FROM} WHERE {where} AND r.venue IN ({marks})", [*params, *sensed]
    ).fetchone()[0]
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
