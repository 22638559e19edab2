"""Login, logout, the language switch and the current user."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel

from appeal_store.models.users import User
from appeal_store.services import accounts

from ..deps import CurrentUser, SessionDep, client_ip
from ..i18n import LANGUAGES
from ..security import csrf_token
from ..templating import render

log = logging.getLogger(__name__)
router = APIRouter(tags=["auth"])

HOME_BY_ROLE = {
    "operator": "/operator/drafts",
    "supervisor": "/supervisor/wallboard",
    "qa": "/qa/recordings",
    "body": "/body/inbox",
    "admin": "/admin/bodies",
}


def home_for(role: str) -> str:
    return HOME_BY_ROLE.get(role, "/home")


class Me(BaseModel):
    id: int
    username: str
    full_name: str
    role: str
    body_id: int | None
    csrf_token: str


@router.get("/", include_in_schema=False)
def login_page(request: Request, db: SessionDep) -> Response:
    """The login page; a logged-in user goes to the home page of their role."""
    uid = request.session.get("uid")
    user = db.get(User, uid) if uid is not None else None
    if user is not None and user.active:
        return RedirectResponse(home_for(user.role), status_code=303)
    return render(request, "login.html", {"error": None})


@router.post("/login", include_in_schema=False)
def login(
    request: Request, db: SessionDep,
    username: Annotated[str, Form()], password: Annotated[str, Form()],
) -> Response:
    """Check the password (argon2) and start a fresh session."""
    user = accounts.log_in(db, username, password, ip=client_ip(request))
    if user is None:
        log.info("failed login for %r", username)
        return render(request, "login.html", {"error": "login.failed"}, status_code=401)
    lang = request.session.get("lang") or user.language
    request.session.clear()  # no session fixation: a new CSRF token after login
    request.session.update({"uid": user.id, "lang": lang})
    csrf_token(request.session)
    log.info("user %s logged in", user.username)
    return RedirectResponse(home_for(user.role), status_code=303)


@router.post("/logout", include_in_schema=False)
def logout(request: Request) -> Response:
    request.session.clear()
    return RedirectResponse("/", status_code=303)


@router.get("/lang/{code}", include_in_schema=False)
def switch_language(request: Request, code: str, next: str = "/") -> Response:
    """Switch the console language (uk/en) and go back to ``next`` (a local path)."""
    if code in LANGUAGES:
        request.session["lang"] = code
    local = next.startswith("/") and not next.startswith("//") and "\\" not in next
    return RedirectResponse(next if local else "/", status_code=303)


@router.get("/home", include_in_schema=False)
def home(request: Request, user: CurrentUser) -> Response:
    """A plain landing page for roles without a view of appeals here (QA)."""
    return render(request, "home.html", {})


@router.get("/api/me", response_model=Me)
def me(request: Request, user: CurrentUser) -> Me:
    """The logged-in user and the CSRF token to send as ``X-CSRF-Token``."""
    return Me(id=user.id, username=user.username, full_name=user.full_name, role=user.role,
              body_id=user.body_id, csrf_token=csrf_token(request.session))
