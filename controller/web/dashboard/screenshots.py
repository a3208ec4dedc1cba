"""Exhibit screenshots on the dashboard: the button that asks for one, and the latest one on fleet rows and exhibit pages."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from controller.core import Controller
from controller.domain import commands, screenshots
from controller.domain.opening import zone
from controller.errors import DomainError, NotFound
from controller.web.dashboard.render import PageUser, back, check_csrf
from controller.web.deps import ControllerDep

router = APIRouter(include_in_schema=False)
# Back to the fleet page the button was on (its region, state and page filters) or to the exhibit's page.
_BACK = re.compile(r"^/(fleet(\?[A-Za-z0-9_/%.=&-]{0,400})?|exhibits/[A-Za-z0-9_.-]{1,64})$")


def attach(controller: Controller, rows: list[dict[str, Any]]) -> None:
    """Add `shot` (newest screenshot: url, taken, size) and `shot_command` (the last request's state) to each row."""
    db, now, tz = controller.store.db, controller.clock.now(), controller.settings.timezone
    for row in rows:
        try:
            shot = screenshots.latest(controller.settings.data_dir, row["id"])
        except NotFound:
            row["shot"] = None
        else:
            row["shot"] = {
                **shot.brief(),
                "at": datetime.fromtimestamp(shot.taken, zone(tz)).strftime("%Y-%m-%d %H:%M:%S"),
            }
        command = commands.latest(db, row["id"], "screenshot")
        st = commands.state(command, now)
        # A failed request leaves the last good picture in place, with the failure beside it.
        row["shot_command"] = (
            None if st is None else {"state": st, "error": ((command or {}).get("result") or {}).get("error")}
        )


@router.post("/exhibits/{exhibit}/screenshot")
def take_screenshot(
    exhibit: str,
    request: Request,
    controller: ControllerDep,
    user: PageUser,
    csrf: Annotated[str, Form(max_length=200)],
    next: Annotated[str, Form(max_length=300)] = "/fleet",
) -> Response:
    """Ask the exhibit for a screenshot (technician); the page's live refresh shows it when it arrives."""
    url = next if _BACK.match(next) else "/fleet"
    try:
        check_csrf(request, csrf)
        commands.send(controller, user, exhibit, "screenshot")
    except DomainError as exc:
        return back(url, error=str(exc))
    return back(url, ok="fl.screenshot_sent")
