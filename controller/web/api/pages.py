"""Server-rendered dashboard: login and logout here; the pages live in controller/web/ (see docs/dashboard.md)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from controller.domain.auth import authenticate
from controller.errors import Unauthorized
from controller.web.dashboard import alerts as alert_pages
from controller.web.dashboard import manage, monitor
from controller.web.dashboard import screenshots as screens
from controller.web.dashboard.render import render
from controller.web.deps import COOKIE, ControllerDep

router = APIRouter(include_in_schema=False)


@router.get("/login")
def login_form(request: Request) -> Response:
    return render(request, "login.html", {"error": None})


@router.post("/login")
def login(request: Request, controller: ControllerDep, token: Annotated[str, Form(max_length=500)] = "") -> Response:
    try:
        principal = authenticate(controller.store.db, token.strip(), controller.settings.admin_token)
        if principal.level < 0:
            raise Unauthorized("device tokens cannot open the dashboard")
    except Unauthorized as exc:
        return render(request, "login.html", {"error": str(exc)}, status=401)
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(COOKIE, token.strip(), httponly=True, samesite="strict", max_age=7 * 86400)
    return response


@router.post("/logout")
def logout() -> Response:
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE)
    return response


router.include_router(monitor.router)
router.include_router(manage.router)
router.include_router(screens.router)
router.include_router(alert_pages.router)
