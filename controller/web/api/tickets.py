"""/api/v1/tickets: maintenance tickets per exhibit (open → in_progress → fixed → closed), with one photo."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import FileResponse
from pydantic import Field

from controller.domain import tickets
from controller.errors import Invalid
from controller.web.api.models import Body
from controller.web.deps import ControllerDep, CurrentUser

router = APIRouter(prefix="/api/v1/tickets", tags=["tickets"])
TicketId = Annotated[int, Path(ge=1, le=2**53)]
State = Literal["open", "in_progress", "fixed", "closed"]


class TicketIn(Body):
    exhibit: str | None = Field(default=None, min_length=1, max_length=200)
    alert: int | None = Field(default=None, ge=1, le=2**53, description="open from this alert (its exhibit)")
    title: str = Field(default="", max_length=300)
    assignee: str = Field(default="", max_length=100)
    notes: str = Field(default="", max_length=10000)


class TicketEdit(Body):
    state: State | None = None
    assignee: str | None = Field(default=None, max_length=100)
    note: str | None = Field(default=None, max_length=5000, description="appended to the notes, signed and dated")
    title: str | None = Field(default=None, max_length=300)


@router.get("", summary="Tickets in the caller's region, newest first")
def list_tickets(
    controller: ControllerDep,
    user: CurrentUser,
    exhibit: Annotated[str | None, Query(max_length=200)] = None,
    state: Annotated[str | None, Query(max_length=20)] = None,
) -> list[dict[str, Any]]:
    return tickets.list_tickets(controller.store.db, user, controller.settings.timezone, exhibit, state)


@router.post("", status_code=201, summary="Open a ticket on an exhibit, or from an alert (technician)")
def create_ticket(body: TicketIn, controller: ControllerDep, user: CurrentUser) -> dict[str, Any]:
    with controller.store.write() as db:
        return tickets.create(db, user, body.model_dump(), controller.clock.now(), controller.settings.timezone)


@router.get("/{ticket}", summary="One ticket")
def get_ticket(ticket: TicketId, controller: ControllerDep, user: CurrentUser) -> dict[str, Any]:
    return tickets.view(tickets.get(controller.store.db, user, ticket), controller.settings.timezone)


@router.patch("/{ticket}", summary="Move a ticket along, reassign it or add a note (technician)")
def edit_ticket(ticket: TicketId, body: TicketEdit, controller: ControllerDep, user: CurrentUser) -> dict[str, Any]:
    with controller.store.write() as db:
        return tickets.update(
            db, user, ticket, body.model_dump(exclude_unset=True), controller.clock.now(), controller.settings.timezone
        )


@router.get("/{ticket}/history", summary="Every change to one ticket")
def ticket_history(ticket: TicketId, controller: ControllerDep, user: CurrentUser) -> list[dict[str, Any]]:
    return tickets.history(controller.store.db, user, ticket, controller.settings.timezone)


@router.put(
    "/{ticket}/photo",
    summary="Attach the ticket's photo: the raw JPEG, PNG or WebP bytes as the body, at most 8 MiB",
    openapi_extra={"requestBody": {"content": {"image/jpeg": {}, "image/png": {}, "image/webp": {}}}},
)
async def put_photo(ticket: TicketId, request: Request, controller: ControllerDep, user: CurrentUser) -> dict[str, Any]:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > tickets.MAX_PHOTO_BYTES:
        raise Invalid(f"a photo may be at most {tickets.MAX_PHOTO_BYTES // (1024 * 1024)} MiB")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > tickets.MAX_PHOTO_BYTES:
            raise Invalid(f"a photo may be at most {tickets.MAX_PHOTO_BYTES // (1024 * 1024)} MiB")
    with controller.store.write() as db:
        return tickets.attach_photo(
            db,
            user,
            controller.settings.data_dir,
            ticket,
            bytes(body),
            controller.clock.now(),
            controller.settings.timezone,
        )


@router.get(
    "/{ticket}/photo",
    summary="The ticket's photo",
    response_class=FileResponse,
    responses={200: {"content": {"image/jpeg": {}, "image/png": {}, "image/webp": {}}}},
)
def get_photo(ticket: TicketId, controller: ControllerDep, user: CurrentUser) -> FileResponse:
    path, kind = tickets.photo(controller.store.db, user, controller.settings.data_dir, ticket)
    return FileResponse(path, media_type=kind, headers={"Cache-Control": "no-store"})
