"""The console's FastAPI application: ``create_app(settings)`` wires everything.

This is the only module that builds objects (engine, templates, middleware, routers); the
composition root calls :func:`create_app` with the settings it built.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.orm import Session, sessionmaker
from starlette.exceptions import HTTPException
from starlette.middleware.sessions import SessionMiddleware

from appeal_store.services.errors import ServiceError, ValidationFailed
from hotline.settings import Settings

from .deps import CsrfRefused, LoginRequired, verify_csrf
from .routers import admin, appeals, auth, drafts, health, listen, lists, qa, supervisor, wallboard
from .routers import agents as agent_routes
from .routers import live as live_routes
from .templating import make_templates, render

log = logging.getLogger(__name__)
STATIC_DIR = Path(__file__).resolve().parent / "static"


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or "application/json" in request.headers.get(
        "accept", "")


def create_app(
    settings: Settings,
    *,
    session_factory: sessionmaker[Session] | None = None,
    outbox_interval: float | None = None,
    clock: Callable[[], dt.datetime] = _utcnow,
) -> FastAPI:
    """The console app for ``settings``.

    ``session_factory`` defaults to one over ``settings.effective_database_url``;
    ``outbox_interval`` (seconds) runs the outbox inside the app when given.
    """
    if session_factory is None:
        from appeal_store.db import make_engine, make_session_factory

        session_factory = make_session_factory(make_engine(settings.effective_database_url))

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        task = None
        if outbox_interval:
            task = asyncio.create_task(_outbox_loop(session_factory, clock, outbox_interval))
        try:
            yield
        finally:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    app = FastAPI(
        title="Hotline console", version="0.1.0", lifespan=lifespan,
        description="Operator, body and admin console of the citizens' hotline. Every unsafe "
                    "API call needs the session cookie and the X-CSRF-Token header (GET /api/me).",
        dependencies=[Depends(verify_csrf)],
    )
    app.state.settings = settings
    app.state.session_factory = session_factory
    app.state.templates = make_templates(settings.timezone)
    app.state.clock = clock
    app.add_middleware(
        SessionMiddleware, secret_key=settings.secret_key.get_secret_value(),
        session_cookie="hotline_console", same_site="strict",
        https_only=settings.environment == "production", max_age=12 * 3600,
    )
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")
    # lists before appeals: "/api/appeals/due" must not be read as an appeal id
    for module in (health, auth, lists, drafts, appeals, admin):
        app.include_router(module.router)
    app.include_router(supervisor.router)
    app.include_router(wallboard.router)
    app.include_router(qa.router)
    app.include_router(listen.router)
    app.include_router(agent_routes.router)
    app.include_router(live_routes.router)
    _install_error_handlers(app)
    return app


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired) -> Response:
        if _wants_json(request):
            return JSONResponse({"detail": "login required"}, status_code=401)
        return RedirectResponse("/", status_code=303)

    @app.exception_handler(CsrfRefused)
    async def _csrf(request: Request, exc: CsrfRefused) -> Response:
        log.warning("CSRF check refused %s %s", request.method, request.url.path)
        if _wants_json(request):
            return JSONResponse({"detail": "CSRF token missing or wrong"}, status_code=403)
        return render(request, "error.html", {"message_key": "error.csrf"}, status_code=403)

    @app.exception_handler(ServiceError)
    async def _service(request: Request, exc: ServiceError) -> Response:
        lang = request.session.get("lang", "uk")
        if _wants_json(request):
            body: dict[str, object] = {"detail": exc.message(lang), "uk": exc.uk, "en": exc.en}
            if isinstance(exc, ValidationFailed):
                body["errors"] = [e.as_dict() for e in exc.errors]
            return JSONResponse(body, status_code=exc.status_code)
        return render(request, "error.html", {"message": exc.message(lang)},
                      status_code=exc.status_code)

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> Response:
        if _wants_json(request):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code,
                                headers=getattr(exc, "headers", None))
        key = {403: "error.forbidden", 404: "error.not_found"}.get(exc.status_code)
        return render(request, "error.html", {"message_key": key, "message": str(exc.detail)},
                      status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        return JSONResponse({"detail": "invalid request", "errors": jsonable(exc.errors())},
                            status_code=422)


def jsonable(errors: object) -> object:
    from fastapi.encoders import jsonable_encoder

    return jsonable_encoder(errors)


async def _outbox_loop(session_factory: sessionmaker[Session], clock: Callable[[], dt.datetime],
                       interval: float) -> None:
    """Deliver pending outbox rows every ``interval`` seconds (in a worker thread)."""
    from appeal_store.services.outbox import deliver_pending

    with httpx.Client() as client:
        while True:
            try:
                await asyncio.to_thread(deliver_pending, session_factory, client, clock())
            except Exception:  # keep the loop alive; the rows stay pending and are retried
                log.exception("outbox pass failed")
            await asyncio.sleep(interval)
