"""/api/v1/users and /api/v1/audit: people, their tokens, and the log of every change."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from controller.domain import audit, ingest_scope, users
from controller.domain.times import instant
from controller.web.api.models import Body, Deleted
from controller.web.deps import ControllerDep, CurrentUser
from kepu_contracts.times import iso

router = APIRouter(prefix="/api/v1", tags=["users"])


class UserIn(Body):
    id: str = Field(min_length=1, max_length=64)
    name: str = Field(default="", max_length=200)
    role: str = Field(description="viewer, technician, reviewer or admin", examples=["viewer"])
    region: str = Field(default="", max_length=300, description="scope: this region subtree")


class TokenIn(Body):
    label: str = Field(default="", max_length=200)


class TokenOut(BaseModel):
    user: str
    token: str = Field(description="shown once; only its hash is stored")


@router.get("/users", summary="Users in the admin's region")
def list_users(controller: ControllerDep, user: CurrentUser) -> list[dict[str, Any]]:
    return users.list_users(controller.store.db, user, controller.settings.timezone)


@router.post("/users", status_code=201, summary="Add a user (admin, within their region)")
def create_user(body: UserIn, controller: ControllerDep, user: CurrentUser) -> dict[str, Any]:
    with controller.store.write() as db:
        return users.create(db, user, body.model_dump(), controller.clock.now(), controller.settings.timezone)


@router.post("/users/{user_id}/tokens", status_code=201, response_model=TokenOut, summary="Issue an API token")
def issue_token(user_id: str, body: TokenIn, controller: ControllerDep, user: CurrentUser) -> TokenOut:
    with controller.store.write() as db:
        token = users.new_token(db, user, user_id, body.label, controller.clock.now())
    return TokenOut(user=user_id, token=token)


@router.delete("/users/{user_id}", response_model=Deleted, summary="Remove a user and revoke their tokens")
def delete_user(user_id: str, controller: ControllerDep, user: CurrentUser) -> Deleted:
    with controller.store.write() as db:
        users.delete(db, user, user_id, controller.clock.now())
    return Deleted()


@router.get("/audit", summary="Who changed what, newest first (admins; their region's entries); filterable")
def audit_log(
    controller: ControllerDep,
    user: CurrentUser,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    actor: Annotated[str | None, Query(max_length=200)] = None,
    action: Annotated[str | None, Query(max_length=200, description="prefix, e.g. ticket.")] = None,
    target: Annotated[str | None, Query(max_length=200, description="substring")] = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[dict[str, Any]]:
    tz = controller.settings.timezone
    return audit.search(
        controller.store.db,
        user,
        tz,
        actor=actor,
        action=action,
        target=target,
        since=instant(since, tz) if since else None,
        until=instant(until, tz) if until else None,
        limit=limit,
    )


@router.get("/ingest", tags=["ingest"], summary="Ingest health: rejected messages and the latest quarantined")
def ingest_health(
    controller: ControllerDep, user: CurrentUser, limit: Annotated[int, Query(ge=1, le=500)] = 20
) -> dict[str, Any]:
    user.require("technician")
    db, tz, now = controller.store.db, controller.settings.timezone, controller.clock.now()
    if user.region == "":
        rejected = db.execute("SELECT value FROM counters WHERE name = 'rejected'").fetchone()
        dropped = db.execute("SELECT value FROM counters WHERE name = 'quarantine_dropped'").fetchone()
        quarantine = [
            {**r, "received": iso(r["received"], tz)}
            for r in db.query("SELECT * FROM quarantine ORDER BY id DESC LIMIT ?", [limit])
        ]
    else:
        # A region sees what its own exhibits sent (the rows are bounded, so this scan is too).
        seen = ingest_scope.visible_exhibits(db, user, now, tz)
        mine = [
            r
            for r in db.query("SELECT * FROM quarantine ORDER BY id DESC")
            if ingest_scope.exhibit_of(r["topic"]) in seen
        ]
        rejected, dropped = (len(mine),), None
        quarantine = [{**r, "received": iso(r["received"], tz)} for r in mine[:limit]]
    storage = controller.storage.report()
    return {
        "rejected": rejected[0] if rejected else 0,
        "quarantine": quarantine,
        "quarantine_dropped": dropped[0] if dropped else 0,  # oldest rows removed to bound its size
        # Can ingest write? While not, nothing is acked and messages wait (at the broker) to be retried.
        "storage": {
            "ok": storage.ok,
            "error": storage.error,
            "since": iso(storage.since, tz),
            "failures": storage.failures,
            "pending": storage.pending,
            "last_ok": iso(storage.last_ok, tz),
        },
    }
