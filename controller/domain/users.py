"""People and their API tokens: a role and a region scope each; admins manage only their own subtree."""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database

from controller.domain import audit
from controller.domain.auth import ROLES, Principal, check_region, issue_token
from controller.errors import Conflict, Invalid, NotFound
from kepu_contracts.times import iso


def view(row: dict[str, Any], tz: str) -> dict[str, Any]:
    return {
        "id": row["id"],
        "name": row["name"],
        "role": row["role"],
        "region": row["region"],
        "created": iso(row["created"], tz),
    }


def get(db: Database, admin: Principal, user: str) -> dict[str, Any]:
    for row in db.query("SELECT * FROM users WHERE id = ?", [user]):
        if admin.sees(row["region"]):
            return row
    raise NotFound(f"no user {user!r}")


def list_users(db: Database, admin: Principal, tz: str) -> list[dict[str, Any]]:
    admin.require("admin")
    return [view(r, tz) for r in db.query("SELECT * FROM users ORDER BY region, id") if admin.sees(r["region"])]


def create(db: Database, admin: Principal, data: dict[str, Any], now: float, tz: str) -> dict[str, Any]:
    """Add a user within the admin's own region subtree."""
    if data["role"] not in ROLES:
        raise Invalid(f"role must be one of {', '.join(ROLES)}")
    if not data["id"] or len(data["id"]) > 64 or data["id"].startswith("device:") or data["id"] == "admin":
        raise Invalid("user id must be 1-64 characters and not 'admin' or 'device:…'")
    region = check_region(data.get("region") or "")
    admin.require("admin", region)
    if db.execute("SELECT 1 FROM users WHERE id = ?", [data["id"]]).fetchone():
        raise Conflict(f"user {data['id']!r} already exists")
    db.table("users").insert(
        {"id": data["id"], "name": data.get("name") or "", "role": data["role"], "region": region, "created": now},
        pk="id",
    )
    audit.record(db, now, admin.id, "user.create", data["id"], {"role": data["role"], "region": region}, region)
    return view(get(db, admin, data["id"]), tz)


def new_token(db: Database, admin: Principal, user: str, label: str, now: float) -> str:
    """Issue an API token for a user; it is shown once, only its hash is kept."""
    row = get(db, admin, user)
    admin.require("admin", row["region"])
    token = issue_token(db, now, user=user, label=label)
    audit.record(db, now, admin.id, "token.issue", user, {"label": label}, row["region"])
    return token


def delete(db: Database, admin: Principal, user: str, now: float) -> None:
    """Remove a user and revoke their tokens."""
    row = get(db, admin, user)
    admin.require("admin", row["region"])
    db.conn.execute("UPDATE tokens SET revoked = ? WHERE user = ? AND revoked IS NULL", (now, user))
    db.table("users").delete(user)
    audit.record(db, now, admin.id, "user.delete", user, {}, row["region"])
