"""FastAPI dependencies as Annotated aliases: the controller, its database, the authenticated caller."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlite_utils import Database

from controller.core import Controller
from controller.domain import sessions
from controller.domain.auth import Principal, authenticate

COOKIE = "kepu_session"  # a server-side session (controller.domain.sessions), never the API token
_bearer = HTTPBearer(auto_error=False, description="An API token, the admin token or an exhibit's device token")


def get_controller(request: Request) -> Controller:
    return request.app.state.controller


ControllerDep = Annotated[Controller, Depends(get_controller)]


def get_db(controller: ControllerDep) -> Database:
    return controller.store.db


DbDep = Annotated[Database, Depends(get_db)]


def token_from(request: Request, credentials: HTTPAuthorizationCredentials | None) -> str | None:
    """The bearer token (the dashboard's session cookie is checked separately, for reads only)."""
    return credentials.credentials if credentials is not None else None


def current_principal(
    request: Request,
    controller: ControllerDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    token = token_from(request, credentials)
    settings = controller.settings
    if token is None and request.method in ("GET", "HEAD") and request.cookies.get(COOKIE):
        # Reads with the dashboard's session (writes need the header: no CSRF).
        return sessions.principal_for(
            controller.store.db, request.cookies.get(COOKIE), controller.clock.now(), settings.admin_token
        )
    return authenticate(controller.store.db, token, settings.admin_token)


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def current_user(principal: CurrentPrincipal) -> Principal:
    """A person (at least a viewer); device tokens are only good for fetching packs."""
    principal.require("viewer")
    return principal


CurrentUser = Annotated[Principal, Depends(current_user)]
