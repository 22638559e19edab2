"""Admin pages and API: state bodies, routing rules; users live in :mod:`.admin_users`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel
from sqlalchemy import select

from appeal_store.models.reference import BODY_KINDS, Region, RoutingRule, StateBody
from appeal_store.models.users import ROLES, User
from appeal_store.services import admin
from appeal_store.services.errors import ValidationFailed

from ..deps import Admin, SessionDep
from ..security import CSRF_FORM_FIELD
from ..templating import render
from . import admin_users

router = APIRouter(tags=["admin"])
router.include_router(admin_users.router)


async def _posted(request: Request) -> dict[str, Any]:
    form = await request.form()
    data: dict[str, Any] = {k: v for k, v in form.items() if k != CSRF_FORM_FIELD}
    data["active"] = "active" in form
    return data


def _page(request: Request, db, name: str, error: ValidationFailed | None = None) -> Response:
    ctx = {
        "bodies": list(db.scalars(select(StateBody).order_by(StateBody.code))),
        "rules": list(db.scalars(select(RoutingRule).order_by(RoutingRule.priority, RoutingRule.id))),
        "users": list(db.scalars(select(User).order_by(User.username))),
        "regions": list(db.scalars(select(Region).order_by(Region.code))),
        "kinds": BODY_KINDS, "roles": ROLES,
        "error": error.message(request.session.get("lang", "uk")) if error else None,
    }
    return render(request, name, ctx, status_code=422 if error else 200)


@router.get("/admin/bodies", include_in_schema=False)
def bodies_page(request: Request, db: SessionDep, user: Admin) -> Response:
    return _page(request, db, "admin_bodies.html")


@router.post("/admin/bodies", include_in_schema=False)
async def bodies_save(request: Request, db: SessionDep, user: Admin) -> Response:
    data = await _posted(request)
    body_id = int(data["id"]) if str(data.get("id", "")).isdigit() else None
    try:
        admin.save_body(db, data, actor=user, body_id=body_id)
    except ValidationFailed as exc:
        return _page(request, db, "admin_bodies.html", exc)
    return RedirectResponse("/admin/bodies", status_code=303)


@router.get("/admin/rules", include_in_schema=False)
def rules_page(request: Request, db: SessionDep, user: Admin) -> Response:
    return _page(request, db, "admin_rules.html")


@router.post("/admin/rules", include_in_schema=False)
async def rules_save(request: Request, db: SessionDep, user: Admin) -> Response:
    data = await _posted(request)
    try:
        admin.save_rule(db, data, actor=user)
    except ValidationFailed as exc:
        return _page(request, db, "admin_rules.html", exc)
    return RedirectResponse("/admin/rules", status_code=303)


# --- JSON API -------------------------------------------------------------------------------


class BodyIn(BaseModel):
    code: str
    name_uk: str
    name_en: str
    kind: str
    region_code: str | None = None
    webhook_url: str | None = None
    active: bool = True


class BodyOut(BodyIn):
    id: int


class RuleIn(BaseModel):
    id: str
    priority: int = 0
    topic_prefix: str | None = None
    region_code: str | None = None
    body_code: str | None = None
    body_kind: str | None = None
    reason_uk: str
    reason_en: str = ""
    active: bool = True


class RuleOut(RuleIn):
    pass


def _body_out(b: StateBody) -> BodyOut:
    return BodyOut(id=b.id, code=b.code, name_uk=b.name_uk, name_en=b.name_en, kind=b.kind,
                   region_code=b.region_code, webhook_url=b.webhook_url, active=b.active)


def _rule_out(r: RoutingRule) -> RuleOut:
    return RuleOut(id=r.id, priority=r.priority, topic_prefix=r.topic_prefix,
                   region_code=r.region_code, body_code=r.body_code, body_kind=r.body_kind,
                   reason_uk=r.reason_uk, reason_en=r.reason_en, active=r.active)


@router.get("/api/admin/bodies", response_model=list[BodyOut])
def api_bodies(db: SessionDep, user: Admin) -> list[BodyOut]:
    return [_body_out(b) for b in db.scalars(select(StateBody).order_by(StateBody.code))]


@router.post("/api/admin/bodies", response_model=BodyOut, status_code=201)
def api_body_create(payload: BodyIn, db: SessionDep, user: Admin) -> BodyOut:
    return _body_out(admin.save_body(db, payload.model_dump(), actor=user))


@router.put("/api/admin/bodies/{body_id}", response_model=BodyOut)
def api_body_update(body_id: int, payload: BodyIn, db: SessionDep, user: Admin) -> BodyOut:
    return _body_out(admin.save_body(db, payload.model_dump(), actor=user, body_id=body_id))


@router.get("/api/admin/rules", response_model=list[RuleOut])
def api_rules(db: SessionDep, user: Admin) -> list[RuleOut]:
    return [_rule_out(r) for r in db.scalars(select(RoutingRule).order_by(RoutingRule.priority))]


@router.post("/api/admin/rules", response_model=RuleOut, status_code=201,
             summary="Create or replace a routing rule by its id")
def api_rule_create(payload: RuleIn, db: SessionDep, user: Admin) -> RuleOut:
    return _rule_out(admin.save_rule(db, payload.model_dump(), actor=user))


@router.put("/api/admin/rules/{rule_id}", response_model=RuleOut)
def api_rule_update(rule_id: str, payload: RuleIn, db: SessionDep, user: Admin) -> RuleOut:
    return _rule_out(admin.save_rule(db, {**payload.model_dump(), "id": rule_id}, actor=user))
