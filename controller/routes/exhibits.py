"""/api/v1/exhibits: the fleet list, one exhibit, its counts, edits and one-off commands."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from controller import audit, fleet
from controller.deps import ControllerDep, CurrentUser

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


@router.get("", response_model=list[ExhibitOut], summary="Exhibits the caller may see")
def list_exhibits(controller: ControllerDep, user: CurrentUser) -> list[dict[str, Any]]:
    return fleet.list_exhibits(controller.store.db, user, controller.clock.now(), controller.settings.timezone)


@router.get("/{exhibit}", response_model=ExhibitOut, summary="One exhibit")
def get_exhibit(exhibit: str, controller: ControllerDep, user: CurrentUser) -> dict[str, Any]:
    return fleet.get_exhibit(controller.store.db, user, exhibit, controller.clock.now(), controller.settings.timezone)


@router.get("/{exhibit}/counts", response_model=Counts, summary="Events stored and sessions started")
def get_counts(exhibit: str, controller: ControllerDep, user: CurrentUser) -> dict[str, int]:
    fleet.get_exhibit(controller.store.db, user, exhibit, controller.clock.now(), controller.settings.timezone)
    return fleet.counts(controller.store.db, exhibit)


@router.get("/{exhibit}/desired", summary="The desired state last published for this exhibit")
def get_desired(exhibit: str, controller: ControllerDep, user: CurrentUser) -> dict[str, Any]:
    import json

    fleet.get_exhibit(controller.store.db, user, exhibit, controller.clock.now(), controller.settings.timezone)
    row = controller.store.db.execute("SELECT desired FROM exhibits WHERE id = ?", [exhibit]).fetchone()
    return {"v": 1, **json.loads(row[0])} if row and row[0] else {}


@router.patch("/{exhibit}", response_model=ExhibitOut, summary="Rename an exhibit or set its owning region")
def edit_exhibit(exhibit: str, edit: ExhibitEdit, controller: ControllerDep, user: CurrentUser) -> dict[str, Any]:
    from controller.auth import check_region

    db, now, tz = controller.store.db, controller.clock.now(), controller.settings.timezone
    current = fleet.get_exhibit(db, user, exhibit, now, tz)
    user.require("technician", current["region"])
    new_region = check_region(edit.region) if edit.region is not None else None
    if new_region is not None:
        user.require("technician", new_region)
    with controller.store.write() as w:
        updates = {k: v for k, v in {"name": edit.name, "region": new_region}.items() if v is not None}
        if updates:
            w["exhibits"].update(exhibit, updates)
        audit.record(w, now, user.id, "exhibit.edit", exhibit, updates)
    return fleet.get_exhibit(db, user, exhibit, now, tz)
