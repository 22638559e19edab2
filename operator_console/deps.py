"""Typed dependencies of the console: DB session, current user, role checks, CSRF, language."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from sqlalchemy.orm import Session

from appeal_store.models.users import User

from .i18n import normalise_language
from .security import CSRF_FORM_FIELD, CSRF_HEADER, csrf_matches

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class LoginRequired(Exception):
    """Raised when a page or API call needs a logged-in user; pages redirect, the API says 401."""


class CsrfRefused(Exception):
    """Raised when an unsafe request carries no valid CSRF token."""


def get_db(request: Request) -> Iterator[Session]:
    """One SQLAlchemy session per request; services commit, this only closes."""
    session = request.app.state.session_factory()
    try:
        yield session
    finally:
        session.close()


SessionDep = Annotated[Session, Depends(get_db)]


def get_current_user(request: Request, db: SessionDep) -> User:
    """The logged-in, active user of this request, or :class:`LoginRequired`."""
    user_id = request.session.get("uid")
    user = db.get(User, user_id) if user_id is not None else None
    if user is None or not user.active:
        request.session.pop("uid", None)
        raise LoginRequired()
    request.state.user = user
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


def require_role(*roles: str) -> Callable[..., User]:
    """A dependency that lets through only users holding one of ``roles`` (403 otherwise)."""

    def _check(user: CurrentUser) -> User:
        if user.role not in roles:
            raise HTTPException(status_code=403, detail="forbidden")
        return user

    _check.__name__ = "require_role_" + "_".join(roles)
    return _check


async def verify_csrf(request: Request) -> None:
    """Refuse an unsafe request without the session's CSRF token (form field or header)."""
    if request.method not in UNSAFE_METHODS:
        return
    presented = request.headers.get(CSRF_HEADER)
    if presented is None:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            value = form.get(CSRF_FORM_FIELD)
            presented = value if isinstance(value, str) else None
    if not csrf_matches(request.session, presented):
        raise CsrfRefused()


def client_ip(request: Request) -> str | None:
    """The peer address, for the audit log."""
    return request.client.host if request.client else None


def get_language(request: Request) -> str:
    """The language chosen in this session (Ukrainian by default)."""
    return normalise_language(request.session.get("lang"))


Lang = Annotated[str, Depends(get_language)]

# Role groups used on routes, so the rule is visible where the route is declared.
OPERATORS = ("operator", "supervisor", "admin")
APPEAL_READERS = ("operator", "supervisor", "admin", "body")
ADMINS = ("admin",)
BODY = ("body",)

Operator = Annotated[User, Depends(require_role(*OPERATORS))]
AppealReader = Annotated[User, Depends(require_role(*APPEAL_READERS))]
Admin = Annotated[User, Depends(require_role(*ADMINS))]
BodyUser = Annotated[User, Depends(require_role(*BODY))]


def get_now(request: Request) -> dt.datetime:
    """The app's clock (UTC, aware); tests may replace ``app.state.clock``."""
    return request.app.state.clock()


Now = Annotated[dt.datetime, Depends(get_now)]
