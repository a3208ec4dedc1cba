"""`create_app(settings)`: the FastAPI application, built per process or per test."""

from __future__ import annotations

import contextlib
import logging
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles

from controller.core import Controller
from controller.domain.sessions import LoginThrottle
from controller.errors import DomainError
from controller.ingest.storage import is_storage_error
from controller.settings import Settings
from controller.web.api import ROUTERS
from controller.web.bodies import BodyGuard
from controller.web.headers import SecurityHeaders
from kepu_contracts.clock import Clock

HERE = Path(__file__).resolve().parent
log = logging.getLogger(__name__)


def create_app(
    settings: Settings, clock: Clock | None = None, controller: Controller | None = None, run_scheduler: bool = True
) -> FastAPI:
    """Build the app around a Controller; MQTT and the scheduler start with the app's lifespan."""
    core = controller or Controller(settings, clock)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        core.start(scheduler=run_scheduler)
        try:
            yield
        finally:
            core.stop()

    app = FastAPI(
        title="kepu controller",
        version="1",
        summary="Fleet, venues, rotations, campaigns, emergency broadcasts, packs, statistics and reports",
        docs_url=None,  # served from controller/web/static so /docs works offline (routes/docs.py)
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.controller = core
    app.state.settings = settings
    app.state.login_throttle = LoginThrottle()
    app.add_middleware(BodyGuard, controller=core)
    app.add_middleware(SecurityHeaders)  # outermost: refusals carry the headers too

    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        # Same shape as FastAPI's default, but never leaking raw bytes that cannot be encoded.
        errors = [{k: v for k, v in e.items() if k in ("loc", "msg", "type")} for e in exc.errors()]
        return JSONResponse({"detail": errors}, status_code=422)

    @app.exception_handler(UnicodeError)
    async def bad_text(request: Request, exc: UnicodeError) -> JSONResponse:
        return JSONResponse({"detail": "text must be valid Unicode (no lone surrogates)"}, status_code=400)

    @app.exception_handler(sqlite3.OperationalError)
    async def store_unavailable(request: Request, exc: sqlite3.OperationalError) -> JSONResponse:
        # A full disk or a locked database is not the caller's fault, nor a crash: say so, 503.
        if not is_storage_error(exc):
            raise exc
        log.error("store unavailable for %s %s: %s", request.method, request.url.path, exc)
        return JSONResponse(
            {"detail": f"the database cannot be written right now ({exc}); try again later"},
            status_code=503,
            headers={"Retry-After": "30"},
        )

    @app.exception_handler(OverflowError)
    async def too_large(request: Request, exc: OverflowError) -> JSONResponse:
        return JSONResponse({"detail": "a number or date is out of range"}, status_code=422)

    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    for router in ROUTERS:
        app.include_router(router)
    return app
