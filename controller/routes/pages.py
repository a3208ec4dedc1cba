"""Server-rendered pages: login and the dashboard (the full multi-page UI grows here later)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from controller import fleet
from controller.auth import Principal, authenticate
from controller.deps import COOKIE, ControllerDep
from controller.errors import Unauthorized

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).resolve().parent.parent / "templates")


def _viewer(request: Request, controller: ControllerDep) -> Principal | None:
    try:
        principal = authenticate(controller.store.db, request.cookies.get(COOKIE), controller.settings.admin_token)
    except Unauthorized:
        return None
    return principal if principal.level >= 0 else None


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request) -> Response:
    return templates.TemplateResponse(request, "login.html", {"error": None})


@router.post("/login", response_class=HTMLResponse)
def login(request: Request, controller: ControllerDep, token: Annotated[str, Form()] = "") -> Response:
    try:
        principal = authenticate(controller.store.db, token.strip(), controller.settings.admin_token)
        if principal.level < 0:
            raise Unauthorized("device tokens cannot open the dashboard")
    except Unauthorized as exc:
        return templates.TemplateResponse(request, "login.html", {"error": str(exc)}, status_code=401)
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(COOKIE, token.strip(), httponly=True, samesite="strict", max_age=7 * 86400)
    return response


@router.post("/logout")
def logout() -> Response:
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE)
    return response


@router.get("/", response_class=HTMLResponse)
def dashboard(request: Request, controller: ControllerDep) -> Response:
    principal = _viewer(request, controller)
    if principal is None:
        return RedirectResponse("/login", status_code=303)
    db = controller.store.db
    exhibits = fleet.list_exhibits(db, principal, controller.clock.now(), controller.settings.timezone)
    for exhibit in exhibits:
        exhibit["counts"] = fleet.counts(db, exhibit["id"])
    total = sum(e["counts"]["sessions"] for e in exhibits)
    return templates.TemplateResponse(
        request, "dashboard.html", {"exhibits": exhibits, "total": total, "principal": principal}
    )
