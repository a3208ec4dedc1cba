"""The audit log: every change records who did what to which thing, and when."""

from __future__ import annotations

import json
from typing import Any

from sqlite_utils import Database

from controller.domain.auth import Principal
from kepu_contracts.times import iso


def record(
    db: Database,
    now: float,
    actor: str,
    action: str,
    target: str,
    detail: dict[str, Any] | None = None,
    region: str = "",
) -> None:
    """Append one entry inside the caller's transaction, so the log and the change commit together."""
    db.table("audit").insert(
        {
            "ts": now,
            "actor": actor,
            "action": action,
            "target": target,
            "detail": json.dumps(detail or {}, ensure_ascii=False, default=str),
            "region": region,
        }
    )


def search(
    db: Database,
    admin: Principal,
    tz: str,
    actor: str | None = None,
    action: str | None = None,
    target: str | None = None,
    since: float | None = None,
    until: float | None = None,
    limit: int = 200,
) -> list[dict[str, Any]]:
    """Entries in the admin's region subtree, newest first; `action` matches a prefix (e.g. "ticket.")."""
    admin.require("admin")
    where: list[str] = ["1 = 1"]
    params: list[Any] = []
    if actor:
        where.append("actor = ?")
        params.append(actor)
    if action:
        where.append("action LIKE ? ESCAPE '\\'")
        params.append(_like(action) + "%")
    if target:
        where.append("target LIKE ? ESCAPE '\\'")
        params.append("%" + _like(target) + "%")
    if since is not None:
        where.append("ts >= ?")
        params.append(since)
    if until is not None:
        where.append("ts < ?")
        params.append(until)
    out = []
    for row in db.query(f"SELECT * FROM audit WHERE {' AND '.join(where)} ORDER BY id DESC", params):
        if not admin.sees(row["region"]):
            continue
        try:
            detail = json.loads(row["detail"])
        except ValueError:
            detail = {}
        out.append({**row, "ts": iso(row["ts"], tz), "detail": detail})
        if len(out) >= limit:
            break
    return out


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
