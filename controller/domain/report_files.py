"""The monthly report as files staff open in Excel or WPS: CSV (UTF-8 with a BOM) and XLSX, in zh or en.

Both show exactly the figures of `reports.MonthlyReport`; rates are percentages (XLSX keeps the
fraction and formats it). Text that a spreadsheet would run as a formula is neutralised.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from controller.domain.reports import COLUMNS, TOTAL_NAME, Column, MonthlyReport

# A cell starting with one of these is a formula to Excel, LibreOffice and WPS (CWE-1236).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value: str) -> str:
    """Text a spreadsheet shows as text: a leading quote before anything that would start a formula."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def _cells(report: MonthlyReport, lang: str) -> list[list[Any]]:
    rows = [*report.rows, {**report.total, "name": TOTAL_NAME["zh" if lang == "zh" else "en"]}]
    return [[row.get(c.key) for c in COLUMNS] for row in rows]


def _csv_value(value: Any, column: Column) -> Any:
    if value is None:
        return ""
    if column.kind == "pct":
        return round(value * 100, 1)
    return safe_text(value) if isinstance(value, str) else value


def headers(lang: str) -> list[str]:
    return [c.header(lang) + (" %" if c.kind == "pct" else "") for c in COLUMNS]


def title(report: MonthlyReport, lang: str) -> str:
    scope = report.region or ("全部地区" if lang == "zh" else "all regions")
    return f"kepu · {scope} · {report.month}"


def to_csv(report: MonthlyReport, lang: str) -> bytes:
    """One header row, one row per venue, the total last; a BOM so Excel reads the Chinese text."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers(lang))
    for cells in _cells(report, lang):
        writer.writerow([_csv_value(v, c) for v, c in zip(cells, COLUMNS, strict=True)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(report: MonthlyReport, lang: str) -> bytes:
    """A title row, the header row, venues and the total (bold); rates as percentages; a quiz sheet."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = report.month
    sheet.append([safe_text(title(report, lang))])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append(headers(lang))
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for cells in _cells(report, lang):
        sheet.append([safe_text(v) if isinstance(v, str) else v for v in cells])
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    for index, column in enumerate(COLUMNS, start=1):
        letter = sheet.cell(row=2, column=index).column_letter
        sheet.column_dimensions[letter].width = 24 if column.kind == "text" else 14
        if column.kind == "pct":
            for (cell,) in sheet.iter_rows(min_row=3, min_col=index, max_col=index):
                cell.number_format = "0.0%"
    if report.quiz:
        quiz = book.create_sheet("quiz")
        quiz.append(
            ["pack", "question", "answers", "correct %", "most chosen wrong"]
            if lang == "en"
            else ["资源包", "题目", "作答数", "正确率 %", "最常见错误选项"]
        )
        for item in report.quiz:
            rate = item["correct_rate"]
            prompt = (item.get("prompt") or {}).get(lang) or item["question"]
            wrong = (item.get("most_chosen_wrong_text") or {}).get(lang) or item["most_chosen_wrong"]
            quiz.append(
                [
                    safe_text(str(item["pack"])),
                    safe_text(str(prompt)),
                    item["answers"],
                    None if rate is None else round(rate * 100, 1),
                    None if wrong is None else safe_text(str(wrong)),
                ]
            )
    if report.media:
        media = book.create_sheet("proof of play" if lang == "en" else "播放证明")
        columns = _play_columns(report.media)
        media.append([c.header(lang) for c in columns])
        for item in report.media:
            media.append([safe_text(v) if isinstance(v, str) else v for v in (item.get(c.key) for c in columns)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# -- proof of play ---------------------------------------------------------------------

PLAY_COLUMNS = (
    Column("pack", "资源包", "Pack", "text"),
    Column("item", "内容", "Item", "text"),
    Column("kind", "类型", "Kind", "text"),
    Column("exhibit", "展品", "Exhibit", "text"),
    Column("venue", "场馆编号", "Venue id", "text"),
    Column("day", "日期", "Day", "text"),
    Column("plays", "播放次数", "Plays", "int"),
    Column("completed", "完整播放", "Completed plays", "int"),
    Column("completion_rate", "完播率", "Completion rate", "pct"),
    Column("minutes", "播放分钟", "Minutes played", "sec"),
)


def _play_columns(rows: list[dict[str, Any]]) -> list[Column]:
    present = set().union(*(r.keys() for r in rows)) if rows else {"item", "plays"}
    return [c for c in PLAY_COLUMNS if c.key in present]


def plays_to_csv(rows: list[dict[str, Any]], lang: str) -> bytes:
    """Proof of play as CSV: the grouping's columns, then plays, completed plays, completion rate, minutes."""
    columns = _play_columns(rows)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([c.header(lang) + (" %" if c.kind == "pct" else "") for c in columns])
    for row in rows:
        writer.writerow([_csv_value(row.get(c.key), c) for c in columns])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def plays_to_xlsx(rows: list[dict[str, Any]], lang: str, heading: str) -> bytes:
    """Proof of play as XLSX: a title, the header row, one row per group; rates formatted as percentages."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    columns = _play_columns(rows)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "proof of play" if lang == "en" else "播放证明"
    sheet.append([safe_text(heading)])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([c.header(lang) for c in columns])
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([safe_text(v) if isinstance(v, str) else v for v in (row.get(c.key) for c in columns)])
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[sheet.cell(row=2, column=index).column_letter].width = (
            28 if column.kind == "text" else 14
        )
        if column.kind == "pct":
            for (cell,) in sheet.iter_rows(min_row=3, min_col=index, max_col=index):
                cell.number_format = "0.0%"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
