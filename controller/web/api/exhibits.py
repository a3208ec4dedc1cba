"""/api/v1/exhibits: the fleet list, one exhibit, its counts, edits and one-off commands."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field

from controller.domain import audit, commands, fleet, screenshots
from controller.domain.auth import check_region
from controller.errors import Forbidden
from controller.web.api.models import Body
from controller.web.deps import ControllerDep, CurrentPrincipal, CurrentUser
from kepu_contracts.times import iso

router = APIRouter(prefix="/api/v1/exhibits", tags=["exhibits"])


class VenueRef(BaseModel):
    id: str
    name: str
    region: str


class PackRef(BaseModel):
    id: str
    version: str | None = None


class ExhibitOut(BaseModel):
    id: str
    name: str
    region: str
    enrolled: bool
    online: bool
    last_seen: str | None
    first_seen: str | None
    venue: VenueRef | None
    pack: PackRef | None
    desired_pack: dict[str, Any] | None
    emergency: dict[str, Any] | None


class Counts(BaseModel):
    events: int
    sessions: int


class ExhibitEdit(BaseModel):
    name: str | None = Field(default=None, max_length=200)
    region: str | None = Field(default=None, max_length=300, description="owning region path")


@router.get(
    "", response_model=list[ExhibitOut], summary="Exhibits the caller may see (by id; `limit`/`offset` page it)"
)
def list_exhibits(
    response: Response,
    controller: ControllerDep,
    user: CurrentUser,
    limit: Annotated[int | None, Query(ge=1, le=10_000, description="at most this many (default: all)")] = None,
    offset: Annotated[int, Query(ge=0, description="skip this many first")] = 0,
) -> list[dict[str, Any]]:
    rows = fleet.list_exhibits(controller.store.db, user, controller.clock.now(), controller.settings.timezone)
    response.headers["X-Total-Count"] = str(len(rows))
    return rows[offset : offset + limit] if limit is not None else rows[offset:]


@router.get("/{exhibit}", response_model=ExhibitOut, summary="One exhibit")
def get_exhibit(exhibit: str, controller: ControllerDep, user: CurrentUser) -> dict[str, Any]:
    return fleet.get_exhibit(controller.store.db, user, exhibit, controller.clock.now(), controller.settings.timezone)


@router.get("/{exhibit}/counts", response_model=Counts, summary="Events stored and sessions started")
def get_counts(exhibit: str, controller: ControllerDep, user: CurrentUser) -> dict[str, int]:
    fleet.get_exhibit(controller.store.db, user, exhibit, controller.clock.now(), controller.settings.timezone)
    return fleet.counts(controller.store.db, exhibit)


@router.get("/{exhibit}/desired", summary="The desired state last published for this exhibit")
def get_desired(exhibit: str, controller: ControllerDep, user: CurrentUser) -> dict[str, Any]:
    fleet.get_exhibit(controller.store.db, user, exhibit, controller.clock.now(), controller.settings.timezone)
    row = controller.store.db.execute("SELECT desired FROM exhibits WHERE id = ?", [exhibit]).fetchone()
    return {"v": 1, **json.loads(row[0])} if row and row[0] else {}


@router.patch("/{exhibit}", response_model=ExhibitOut, summary="Rename an exhibit or set its owning region")
def edit_exhibit(exhibit: str, edit: ExhibitEdit, controller: ControllerDep, user: CurrentUser) -> dict[str, Any]:
    db, now, tz = controller.store.db, controller.clock.now(), controller.settings.timezone
    current = fleet.get_exhibit(db, user, exhibit, now, tz)
    user.require("technician", current["region"])
    new_region = check_region(edit.region) if edit.region is not None else None
    if new_region is not None:
        user.require("technician", new_region)
    with controller.store.write() as w:
        updates = {k: v for k, v in {"name": edit.name, "region": new_region}.items() if v is not None}
        if updates:
            w.table("exhibits").update(exhibit, updates)
        audit.record(w, now, user.id, "exhibit.edit", exhibit, updates)
    return fleet.get_exhibit(db, user, exhibit, now, tz)


class CommandIn(Body):
    type: str = Field(min_length=1, max_length=64, examples=["screenshot", "restart_kiosk"])
    args: dict[str, Any] = Field(default_factory=dict)


@router.post(
    "/{exhibit}/commands", status_code=202, summary="Send a one-off command (technician); answered on command_results"
)
def send_command(exhibit: str, body: CommandIn, controller: ControllerDep, user: CurrentUser) -> dict[str, Any]:
    command = commands.send(controller, user, exhibit, body.type, body.args)
    return {
        "id": command["id"],
        "exhibit": exhibit,
        "type": command["type"],
        "created": iso(controller.clock.now(), controller.settings.timezone),
        "result": None,
    }


@router.get("/{exhibit}/commands", summary="Commands sent to an exhibit and their results, newest first")
def list_commands(exhibit: str, controller: ControllerDep, user: CurrentUser) -> list[dict[str, Any]]:
    db, tz = controller.store.db, controller.settings.timezone
    fleet.get_exhibit(db, user, exhibit, controller.clock.now(), tz)
    return [
        {
            "id": r["id"],
            "exhibit": exhibit,
            "type": r["type"],
            "created": iso(r["created"], tz),
            "result": json.loads(r["result"]) if r["result"] else None,
            "answered": iso(r["answered"], tz),
        }
        for r in db.query("SELECT * FROM commands WHERE exhibit = ? ORDER BY created DESC LIMIT 100", [exhibit])
    ]


# -- screenshots: the agent uploads what a `screenshot` command asked for; staff view it --------


@router.get(
    "/{exhibit}/screenshots/latest",
    summary="The exhibit's newest screenshot (PNG; viewer)",
    response_class=FileResponse,
    responses={200: {"content": {"image/png": {}}}, 404: {"description": "none yet"}},
)
def latest_screenshot(exhibit: str, controller: ControllerDep, user: CurrentUser) -> FileResponse:
    fleet.get_exhibit(controller.store.db, user, exhibit, controller.clock.now(), controller.settings.timezone)
    return _png(screenshots.latest(controller.settings.data_dir, exhibit))


@router.get(
    "/{exhibit}/screenshots/{command}",
    summary="The screenshot that answered one command (PNG; viewer)",
    response_class=FileResponse,
    responses={200: {"content": {"image/png": {}}}},
)
def get_screenshot(exhibit: str, command: str, controller: ControllerDep, user: CurrentUser) -> FileResponse:
    fleet.get_exhibit(controller.store.db, user, exhibit, controller.clock.now(), controller.settings.timezone)
    return _png(screenshots.one(controller.settings.data_dir, exhibit, command))


@router.put(
    "/{exhibit}/screenshots/{command}",
    status_code=201,
    operation_id="upload_screenshot",
    summary="Upload the PNG for a screenshot command (the exhibit's device token); ≤ 8 MiB",
)
@router.post(
    "/{exhibit}/screenshots/{command}",
    status_code=201,
    operation_id="upload_screenshot_post",
    summary="The same upload as PUT, for clients that can only POST",
)
async def upload_screenshot(
    exhibit: str, command: str, request: Request, controller: ControllerDep, principal: CurrentPrincipal
) -> dict[str, Any]:
    if principal.exhibit != exhibit and principal.role != "admin":
        raise Forbidden("only the exhibit itself (its device token) uploads its screenshots")
    screenshots.expect(controller.store.db, exhibit, command)
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > screenshots.MAX_BYTES:
        raise screenshots.TooLarge(f"a screenshot may be at most {screenshots.MAX_BYTES:,} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > screenshots.MAX_BYTES:
            raise screenshots.TooLarge(f"a screenshot may be at most {screenshots.MAX_BYTES:,} bytes")
    shot = screenshots.keep(
        controller.store, controller.settings.data_dir, exhibit, command, bytes(body), controller.clock.now()
    )
    return {"exhibit": exhibit, **shot.brief(), "taken": iso(shot.taken, controller.settings.timezone)}


def _png(shot: screenshots.Screenshot) -> FileResponse:
    return FileResponse(
        shot.path, media_type="image/png", headers={"Cache-Control": "no-store", "X-Kepu-Command": shot.command}
    )
