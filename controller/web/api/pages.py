"""Server-rendered dashboard: login and logout here; the pages live in controller/web/ (see docs/dashboard.md)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from controller.domain import sessions
from controller.domain.auth import authenticate
from controller.errors import Unauthorized
from controller.web.dashboard import alerts as alert_pages
from controller.web.dashboard import manage, media, monitor, venue_pages
from controller.web.dashboard import screenshots as screens
from controller.web.dashboard import volume as volume_pages
from controller.web.dashboard.render import render
from controller.web.deps import COOKIE, ControllerDep

router = APIRouter(include_in_schema=False)


@router.get("/login")
def login_form(request: Request) -> Response:
    return render(request, "login.html", {"error": None})


@router.post("/login")
def login(request: Request, controller: ControllerDep, token: Annotated[str, Form(max_length=500)] = "") -> Response:
    now, client = controller.clock.now(), request.client.host if request.client else "?"
    throttle: sessions.LoginThrottle = request.app.state.login_throttle
    wait = throttle.retry_after(client, now)
    if wait is not None:
        response = render(request, "login.html", {"error": "too many failed logins: try again later"}, status=429)
        response.headers["Retry-After"] = str(int(wait))
        return response
    try:
        principal = authenticate(controller.store.db, token.strip(), controller.settings.admin_token)
        if principal.level < 0:
            raise Unauthorized("device tokens cannot open the dashboard")
    except Unauthorized as exc:
        throttle.failed(client, now)
        return render(request, "login.html", {"error": str(exc)}, status=401)
    throttle.succeeded(client)
    with controller.store.write() as db:
        secret = sessions.open_session(db, token.strip(), now)
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(COOKIE, secret, httponly=True, samesite="strict", max_age=sessions.SESSION_SECONDS)
    return response


@router.post("/logout")
def logout(request: Request, controller: ControllerDep) -> Response:
    with controller.store.write() as db:
        sessions.close_session(db, request.cookies.get(COOKIE), controller.clock.now())
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE)
    return response


router.include_router(monitor.router)
router.include_router(manage.router)
router.include_router(screens.router)
router.include_router(media.router)
router.include_router(venue_pages.router)
router.include_router(alert_pages.router)
router.include_router(volume_pages.router)
