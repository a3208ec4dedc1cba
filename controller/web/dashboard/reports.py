"""The monthly district report: per-venue figures for one month and region, as a table, CSV or XLSX."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta
from typing import Any

from sqlite_utils import Database

from controller.domain import stats, venues
from controller.domain.auth import Principal, in_scope
from controller.domain.metrics import summarise
from controller.domain.stats import Filter
from controller.errors import Invalid

# (key, zh, en, kind) — kind picks the formatting: int, pct or sec.
COLUMNS = (
    ("venue", "场馆", "Venue", "text"),
    ("region", "地区", "Region", "text"),
    ("sessions", "人次", "Visits", "int"),
    ("footfall", "门禁计数", "Door count", "int"),
    ("meaningful_sessions", "有效互动", "Meaningful", "int"),
    ("bounce_rate", "跳出率", "Bounce rate", "pct"),
    ("dwell_p50", "停留中位数(秒)", "Median dwell (s)", "sec"),
    ("completion_rate", "完成率", "Completion rate", "pct"),
    ("rating_up", "好评", "Good ratings", "int"),
    ("rating_down", "差评", "Poor ratings", "int"),
    ("satisfaction", "好评率", "Satisfaction", "pct"),
    ("power_on_rate", "开机率", "Power-on rate", "pct"),
    ("usage_rate", "使用率", "Usage rate", "pct"),
)


def parse_month(value: str | None, today: date) -> date:
    """The first day of a YYYY-MM month (default: this month); Invalid otherwise."""
    if not value:
        return today.replace(day=1)
    try:
        return datetime.strptime(value, "%Y-%m").date()
    except ValueError as exc:
        raise Invalid(f"month must look like 2025-05, got {value!r}") from exc


def month_report(db: Database, principal: Principal, month: date, region: str, tz: str, now: float) -> dict[str, Any]:
    """Rows per venue in `region` (and a total) for the month, plus quiz items."""
    following = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
    last = following - timedelta(days=1)
    rows = []
    for venue in venues.list_venues(db, principal):
        if region and not in_scope(region, venue["region"]):
            continue
        flt = Filter(start=month, end=last, venue=venue["id"])
        figures = stats.metrics(db, principal, flt, tz, now)
        rows.append({"venue": venue["name"], "venue_id": venue["id"], "region": venue["region"], **figures})
    total_flt = Filter(start=month, end=last, region=region or None)
    total = {"venue": "", "region": region, **stats.metrics(db, principal, total_flt, tz, now)}
    # Visits in transit belong to no venue; the total counts only venue-attributed rollups when scoped.
    return {
        "month": month.strftime("%Y-%m"),
        "region": region,
        "rows": rows,
        "total": total,
        "quiz": stats.quiz(db, principal, total_flt),
        "summary": summarise(stats.totals(db, principal, total_flt)),
    }


def cell(row: dict[str, Any], key: str, kind: str) -> Any:
    value = row.get(key)
    if value is None:
        return ""
    if kind == "pct":
        return round(value * 100, 1)
    return value


def headers(lang: str) -> list[str]:
    i = 1 if lang == "zh" else 2
    return [c[i] + (" %" if c[3] == "pct" else "") for c in COLUMNS]


def as_csv(report: dict[str, Any], lang: str) -> bytes:
    """UTF-8 with a BOM, so Excel opens the Chinese text correctly."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers(lang))
    for row in [*report["rows"], {**report["total"], "venue": "合计" if lang == "zh" else "Total"}]:
        writer.writerow([cell(row, c[0], c[3]) for c in COLUMNS])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def as_xlsx(report: dict[str, Any], lang: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = report["month"]
    title = f"{report['region'] or ('全部地区' if lang == 'zh' else 'all regions')} · {report['month']}"
    sheet.append([title])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append(headers(lang))
    for c in sheet[2]:
        c.font = Font(bold=True)
    for row in [*report["rows"], {**report["total"], "venue": "合计" if lang == "zh" else "Total"}]:
        sheet.append([cell(row, c[0], c[3]) for c in COLUMNS])
    for c in sheet[sheet.max_row]:
        c.font = Font(bold=True)
    for i, column in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[sheet.cell(row=2, column=i).column_letter].width = 24 if column[3] == "text" else 14
    if report["quiz"]:
        quiz = book.create_sheet("quiz")
        quiz.append(
            ["pack", "question", "answers", "correct %", "most chosen wrong"]
            if lang == "en"
            else ["资源包", "题目", "作答数", "正确率 %", "最常见错误选项"]
        )
        for item in report["quiz"]:
            rate = item["correct_rate"]
            prompt = (item.get("prompt") or {}).get(lang) or item["question"]
            wrong = (item.get("most_chosen_wrong_text") or {}).get(lang) or item["most_chosen_wrong"]
            quiz.append([item["pack"], prompt, item["answers"], None if rate is None else round(rate * 100, 1), wrong])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
