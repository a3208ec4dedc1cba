"""A report or a table as a file the browser saves: one response shape for every CSV and XLSX download."""

from __future__ import annotations

from fastapi.responses import Response

MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def safe_filename(name: str) -> str:
    """ASCII letters, digits, '-', '_' and '.': a region path or a Chinese name never breaks the header."""
    return "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_.") else "_" for ch in name)


def attachment(content: bytes, name: str, kind: str) -> Response:
    """`content` saved as `name.kind` (kind: csv or xlsx)."""
    return Response(
        content,
        media_type=MEDIA_TYPES[kind],
        headers={"Content-Disposition": f'attachment; filename="{safe_filename(name)}.{kind}"'},
    )
