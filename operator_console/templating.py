"""Jinja2 templates with the console's helpers: translation, CSRF token, local dates."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import Response

from .i18n import LANGUAGES, normalise_language, translate
from .security import csrf_token

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"


def _context(request: Request) -> dict[str, Any]:
    lang = normalise_language(request.session.get("lang"))
    return {
        "lang": lang,
        "languages": LANGUAGES,
        "t": lambda key, **kw: translate(lang, key, **kw),
        "csrf_token": csrf_token(request.session),
        "user": getattr(request.state, "user", None),
    }


def make_templates(timezone: str) -> Jinja2Templates:
    """Templates whose ``local`` filter shows UTC times in ``timezone``."""
    templates = Jinja2Templates(directory=str(TEMPLATES_DIR), context_processors=[_context])
    zone = ZoneInfo(timezone)

    def local(value: dt.datetime | None, fmt: str = "%d.%m.%Y %H:%M") -> str:
        return "" if value is None else value.astimezone(zone).strftime(fmt)

    templates.env.filters["local"] = local
    return templates


def render(request: Request, name: str, context: dict[str, Any] | None = None,
           status_code: int = 200) -> Response:
    """Render ``name`` with the app's templates."""
    templates: Jinja2Templates = request.app.state.templates
    return templates.TemplateResponse(request, name, context or {}, status_code=status_code)
