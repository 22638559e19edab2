"""Admin pages and API for users: operators' and supervisors' SIP phones (endpoint and secret
shown once), their queues with a penalty each (skills), activation.

After a committed change of a phone the endpoints are applied to Asterisk in the background
(:mod:`operator_console.sip_phones`); a failure is a warning, never a lost change.
"""

from __future__ import annotations

import functools
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import select

from appeal_store.models.reference import StateBody
from appeal_store.models.users import ROLES, QueueMembership, User
from appeal_store.services import admin
from appeal_store.services.errors import NotFound, ValidationFailed

from ..deps import Admin, SessionDep
from ..i18n import normalise_language, translate
from ..security import CSRF_FORM_FIELD
from ..sip_phones import apply_after_change, apply_notice, apply_status, credentials, endpoint_sync
from ..templating import render

router = APIRouter(tags=["admin"])
QUEUE_FIELD = "queue:"
NO_STORE = {"Cache-Control": "no-store"}


@functools.lru_cache(maxsize=4)
def _queue_names(general_queue: str) -> tuple[str, ...]:
    from agi_scripts.queue_config import load_queue_specs

    return tuple(spec.name for spec in load_queue_specs(general_queue=general_queue))


@functools.lru_cache(maxsize=1)
def _skills() -> dict[str, int]:
    from agi_scripts.queue_config import load_skills

    return load_skills()


def known_queues(request: Request) -> tuple[str, ...]:
    """The Asterisk queues (queues.yaml and routing's call routing), general queue first."""
    return _queue_names(request.app.state.settings.general_queue)


def _lang(request: Request) -> str:
    return normalise_language(request.session.get("lang"))


def _errors_text(exc: ValidationFailed, lang: str) -> str:
    return "; ".join(e.en if lang == "en" else e.uk for e in exc.errors)


def _memberships(db) -> dict[int, dict[str, int]]:
    out: dict[int, dict[str, int]] = {}
    for m in db.scalars(select(QueueMembership).order_by(QueueMembership.queue)):
        out.setdefault(m.user_id, {})[m.queue] = m.penalty
    return out


def _notices(request: Request, apply: dict[str, str] | None) -> dict[str, Any]:
    """This request's notice and apply result, and a standing warning while the last apply
    to Asterisk has failed (unless one of the others already says so)."""
    notice = request.session.pop("admin_notice", None)
    last = endpoint_sync(request.app).last
    said = any(n and n["kind"] == "warning" for n in (notice, apply))
    banner = None if said or last is None or last.ok else apply_notice(last, _lang(request))
    return {"notice": notice, "apply": apply, "sip_banner": banner}


def _users_page(request: Request, db, *, error: str | None = None, status_code: int = 200,
                **extra: Any) -> Response:
    ctx = {
        "users": list(db.scalars(select(User).order_by(User.username))),
        "bodies": list(db.scalars(select(StateBody).order_by(StateBody.code))),
        "roles": ROLES, "phone_roles": admin.PHONE_ROLES, "memberships": _memberships(db),
        "queues": known_queues(request), "skills": _skills(), "error": error,
        **_notices(request, extra.pop("apply", None)), **extra,
    }
    response = render(request, "admin_users.html", ctx, status_code=status_code)
    response.headers.update(NO_STORE)
    return response


def _user_page(request: Request, db, target: User, *, error: str | None = None,
               status_code: int = 200, **extra: Any) -> Response:
    ctx = {
        "target": target, "queues": known_queues(request), "skills": _skills(),
        "membership": admin.user_queues(db, target.id), "phone_roles": admin.PHONE_ROLES,
        "error": error, **_notices(request, extra.pop("apply", None)), **extra,
    }
    response = render(request, "admin_user.html", ctx, status_code=status_code)
    response.headers.update(NO_STORE)
    return response


def _target(db, user_id: int) -> User:
    target = db.get(User, user_id)
    if target is None:
        raise NotFound("Користувача не знайдено", "User not found")
    return target


async def _posted(request: Request) -> tuple[dict[str, Any], dict[str, str]]:
    """The form's fields, and the queue selects ({queue: penalty or ""}) apart."""
    form = await request.form()
    data = {k: v for k, v in form.items() if k != CSRF_FORM_FIELD and not k.startswith(QUEUE_FIELD)}
    queues = {k[len(QUEUE_FIELD):]: str(v) for k, v in form.items() if k.startswith(QUEUE_FIELD)}
    return data, queues


# --- pages ----------------------------------------------------------------------------------


@router.get("/admin/users", include_in_schema=False)
def users_page(request: Request, db: SessionDep, user: Admin) -> Response:
    return _users_page(request, db)


@router.post("/admin/users", include_in_schema=False)
async def users_save(request: Request, db: SessionDep, user: Admin) -> Response:
    """Create a user; an operator's or supervisor's SIP credentials are shown on this page once."""
    data, queues = await _posted(request)
    body_id = int(data["body_id"]) if str(data.get("body_id", "")).isdigit() else None
    try:
        created = admin.add_user(
            db, username=str(data.get("username", "")), password=str(data.get("password", "")),
            role=str(data.get("role", "")), full_name=str(data.get("full_name", "")),
            body_id=body_id, actor=user, queues=queues, known_queues=known_queues(request),
            skills=_skills())
    except ValidationFailed as exc:
        return _users_page(request, db, error=_errors_text(exc, _lang(request)), status_code=422)
    extra: dict[str, Any] = {"created": created}
    if created.sip_endpoint:
        extra["credentials"] = credentials(request.app.state.settings, created.sip_endpoint,
                                           created.sip_secret or "")
        extra["apply"] = apply_notice(await apply_after_change(request.app), _lang(request))
    return _users_page(request, db, **extra)


@router.post("/admin/users/{user_id}/active", include_in_schema=False)
async def users_toggle(request: Request, user_id: int, db: SessionDep, user: Admin) -> Response:
    data, _queues = await _posted(request)
    target = admin.set_user_active(db, user_id, "active" in data, actor=user)
    if target.sip_endpoint:
        request.session["admin_notice"] = apply_notice(await apply_after_change(request.app),
                                                       _lang(request))
    return RedirectResponse("/admin/users", status_code=303)


@router.get("/admin/users/{user_id}", include_in_schema=False)
def user_page(request: Request, user_id: int, db: SessionDep, user: Admin) -> Response:
    """One user: the SIP phone (endpoint; the secret is never shown again) and the queues."""
    return _user_page(request, db, _target(db, user_id))


@router.post("/admin/users/{user_id}/sip/reset", include_in_schema=False)
async def user_sip_reset(request: Request, user_id: int, db: SessionDep, user: Admin) -> Response:
    """A new SIP secret, shown once on the page this returns."""
    try:
        target = admin.reset_sip_secret(db, user_id, actor=user)
    except ValidationFailed as exc:
        return _user_page(request, db, _target(db, user_id),
                          error=_errors_text(exc, _lang(request)), status_code=422)
    creds = credentials(request.app.state.settings, target.sip_endpoint or "", target.sip_secret or "")
    notice = apply_notice(await apply_after_change(request.app), _lang(request))
    return _user_page(request, db, target, credentials=creds, apply=notice)


@router.post("/admin/users/{user_id}/queues", include_in_schema=False)
async def user_queues_save(request: Request, user_id: int, db: SessionDep, user: Admin) -> Response:
    """The user's queues and levels; they take effect at the operator's next log-in to queues."""
    _data, queues = await _posted(request)
    try:
        admin.set_user_queues(db, user_id, queues, actor=user, known_queues=known_queues(request),
                              skills=_skills())
    except ValidationFailed as exc:
        return _user_page(request, db, _target(db, user_id),
                          error=_errors_text(exc, _lang(request)), status_code=422)
    request.session["admin_notice"] = {"kind": "notice",
                                       "text": translate(_lang(request), "admin.queues_saved")}
    return RedirectResponse(f"/admin/users/{user_id}", status_code=303)


@router.post("/admin/sip/apply", include_in_schema=False)
async def sip_apply(request: Request, user: Admin) -> Response:
    """Apply every operator's endpoint to Asterisk now (after a failed apply)."""
    request.session["admin_notice"] = apply_notice(await apply_after_change(request.app),
                                                   _lang(request))
    return RedirectResponse("/admin/users", status_code=303)


# --- JSON API -------------------------------------------------------------------------------


class UserIn(BaseModel):
    username: str
    password: str
    role: str
    full_name: str = ""
    body_id: int | None = None
    queues: dict[str, int | str] = Field(
        default_factory=dict, description="operators and supervisors: {queue: penalty or skill}")


class UserOut(BaseModel):
    id: int
    username: str
    full_name: str
    role: str
    body_id: int | None
    active: bool
    sip_endpoint: str | None = None
    queues: dict[str, int] = Field(default_factory=dict)


class SipCredentialsOut(BaseModel):
    server: str
    port: int
    transport: str
    username: str
    password: str


class UserWithSipOut(UserOut):
    """A created user or a reset secret: the SIP credentials, given this once."""

    sip: SipCredentialsOut | None = None
    sip_apply: dict[str, Any] | None = None


class QueuesIn(BaseModel):
    queues: dict[str, int | str | None]


class ActiveIn(BaseModel):
    active: bool


def _user_out(db, u: User, cls: type[UserOut] = UserOut, **extra: Any) -> Any:
    return cls(id=u.id, username=u.username, full_name=u.full_name, role=u.role,
               body_id=u.body_id, active=u.active, sip_endpoint=u.sip_endpoint,
               queues=admin.user_queues(db, u.id), **extra)


async def _with_sip(request: Request, db, u: User) -> UserWithSipOut:
    if not u.sip_endpoint:
        return _user_out(db, u, UserWithSipOut)
    creds = credentials(request.app.state.settings, u.sip_endpoint, u.sip_secret or "")
    status = apply_status(await apply_after_change(request.app))
    return _user_out(db, u, UserWithSipOut, sip=SipCredentialsOut(**creds), sip_apply=status)


@router.get("/api/admin/users", response_model=list[UserOut])
def api_users(db: SessionDep, user: Admin) -> list[UserOut]:
    """Users with their SIP endpoint and queues (never the secret)."""
    return [_user_out(db, u) for u in db.scalars(select(User).order_by(User.username))]


@router.post("/api/admin/users", response_model=UserWithSipOut, status_code=201)
async def api_user_create(request: Request, payload: UserIn, db: SessionDep,
                          user: Admin) -> UserWithSipOut:
    """Create a user; operators and supervisors get a SIP endpoint and secret (shown this once)
    and the endpoints are applied to Asterisk (``sip_apply``: applied, failed or pending)."""
    created = admin.add_user(db, actor=user, known_queues=known_queues(request), skills=_skills(),
                             **payload.model_dump())
    return await _with_sip(request, db, created)


@router.post("/api/admin/users/{user_id}/sip/reset", response_model=UserWithSipOut)
async def api_user_sip_reset(request: Request, user_id: int, db: SessionDep,
                             user: Admin) -> UserWithSipOut:
    """A new SIP secret for the user (shown this once), applied to Asterisk."""
    return await _with_sip(request, db, admin.reset_sip_secret(db, user_id, actor=user))


@router.put("/api/admin/users/{user_id}/queues", response_model=UserOut)
def api_user_queues(request: Request, user_id: int, payload: QueuesIn, db: SessionDep,
                    user: Admin) -> UserOut:
    """Replace the user's queues: {queue: penalty (0-99) or skill name; null: not a member}."""
    admin.set_user_queues(db, user_id, payload.queues, actor=user,
                          known_queues=known_queues(request), skills=_skills())
    return _user_out(db, _target(db, user_id))


@router.put("/api/admin/users/{user_id}/active", response_model=UserWithSipOut)
async def api_user_active(request: Request, user_id: int, payload: ActiveIn, db: SessionDep,
                          user: Admin) -> UserWithSipOut:
    """Enable or disable a user; a disabled operator's endpoint leaves Asterisk at this apply."""
    target = admin.set_user_active(db, user_id, payload.active, actor=user)
    status = apply_status(await apply_after_change(request.app)) if target.sip_endpoint else None
    return _user_out(db, target, UserWithSipOut, sip_apply=status)


@router.get("/api/admin/queues")
def api_queues(request: Request, user: Admin) -> dict[str, Any]:
    """The queues an operator can be put in, and the skill levels (name -> penalty)."""
    return {"queues": list(known_queues(request)), "skills": _skills()}
