"""The exhibit page's sound card: volume and quiet hours in effect, what the exhibit reports, and the form (issue 10)."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from controller.domain import volume
from controller.errors import DomainError, Invalid
from controller.web.dashboard.render import PageUser, back, check_csrf
from controller.web.deps import ControllerDep

router = APIRouter(include_in_schema=False)
Csrf = Annotated[str, Form(max_length=200)]
Small = Annotated[str, Form(max_length=10)]


def exhibit_extras(controller: ControllerDep, user: PageUser, exhibit: str) -> dict[str, Any]:
    """`audio` for exhibit.html: the domain's view (the same as GET /api/v1/exhibits/{id}/audio)."""
    c = controller
    view = volume.exhibit_view(c.store.db, user, exhibit, c.clock.now(), c.settings.timezone)
    form = view["exhibit_setting"] or view["effective"]
    return {"audio": {**view, "form": form, "quiet_text": "\n".join(form["quiet"])}}


def _percent(value: str, what: str) -> int:
    try:
        return int(value.strip())
    except ValueError:
        raise Invalid(f"{what} must be a whole percent from 0 to 100, got {value!r}") from None


@router.post("/exhibits/{exhibit}/audio")
def save_audio(
    exhibit: str,
    request: Request,
    controller: ControllerDep,
    user: PageUser,
    csrf: Csrf,
    volume_pct: Small = "100",
    quiet: Annotated[str, Form(max_length=2000)] = "",
    quiet_volume: Small = "0",
    action: Small = "save",
) -> Response:
    """Save the exhibit's own setting (quiet ranges one a line or comma-separated), or drop it ("clear")."""
    url = f"/exhibits/{exhibit}"
    c, now, tz = controller, controller.clock.now(), controller.settings.timezone
    try:
        check_csrf(request, csrf)
        with c.store.write() as db:
            if action == "clear":
                volume.clear_exhibit(db, user, exhibit, now, tz)
            else:
                body = {
                    "volume": _percent(volume_pct, "volume"),
                    "quiet": [r.strip() for r in re.split(r"[\n,;]+", quiet) if r.strip()],
                    "quiet_volume": _percent(quiet_volume, "quiet_volume"),
                }
                volume.set_exhibit(db, user, exhibit, body, now, tz)
    except DomainError as exc:
        return back(url, error=str(exc))
    c.changed()
    return back(url, ok="snd.cleared" if action == "clear" else "snd.saved")
