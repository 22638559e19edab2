"""Liveness and database health."""

from __future__ import annotations

import logging

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from ..deps import SessionDep

log = logging.getLogger(__name__)
router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz(db: SessionDep) -> JSONResponse:
    """``{"status": "ok", "db": "ok"}``, or 503 with the database error."""
    try:
        db.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        log.warning("health check: database unreachable: %s", exc)
        return JSONResponse({"status": "degraded", "db": "error", "error": type(exc).__name__},
                            status_code=503)
    return JSONResponse({"status": "ok", "db": "ok"})
