"""Listening in: a supervisor's own phone is called into an operator's live call.

Only supervisors; each attempt, placed or refused, is written to the audit log.
"""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlalchemy import select

from agi_scripts.listen_in import MODES, ListenError, ListenRequest, listen_in
from appeal_store.audit import audit
from appeal_store.models import User

from ..deps import Lang, SessionDep, client_ip, require_role
from ..templating import render
from .supervisor import Config, st_for
from .wallboard import _redis, read_live

log = logging.getLogger(__name__)
router = APIRouter(tags=["listen"])

ListenerUser = Annotated[User, Depends(require_role("supervisor"))]


def _ami_session(request: Request):
    """The AMI session factory (tests may put their own on ``app.state.ami_session``)."""
    factory = getattr(request.app.state, "ami_session", None)
    if factory is not None:
        return factory(request.app.state.settings)
    from agi_scripts.ami_client import ami_session

    return ami_session(request.app.state.settings)


async def _page(request: Request, db, user: User, lang: str, cfg, *, result: str | None = None,
                error: str | None = None, status_code: int = 200) -> Response:
    operators = db.scalars(select(User).where(User.role == "operator", User.active,
                                              User.sip_endpoint.is_not(None))
                           .order_by(User.full_name, User.username)).all()
    talking: set[str] = set()
    client = _redis(request)
    try:
        live = await read_live(client, cfg.live_channel)
        talking = {a["agent"].removeprefix("PJSIP/") for a in live.agents
                   if a["state"] == "talking"}
    except Exception as exc:  # noqa: BLE001 — the page works without live state
        log.warning("listen page: live state unavailable: %s", exc)
    finally:
        await client.aclose()
    return render(request, "listen.html", {
        "st": st_for(lang), "operators": operators, "talking": talking, "modes": MODES,
        "result": result, "error": error}, status_code=status_code)


@router.get("/supervisor/listen", include_in_schema=False)
async def listen_page(request: Request, db: SessionDep, user: ListenerUser, lang: Lang,
                      cfg: Config) -> Response:
    """Operators (those on a call first) and the three ways to listen in."""
    return await _page(request, db, user, lang, cfg)


@router.post("/supervisor/listen", include_in_schema=False)
async def listen_start(request: Request, db: SessionDep, user: ListenerUser, lang: Lang,
                       cfg: Config, operator: Annotated[str, Form()],
                       mode: Annotated[str, Form()] = "spy") -> Response:
    """Ring the supervisor's phone into the operator's call (ChanSpy), and audit it."""
    st = st_for(lang)
    detail = {"operator_endpoint": operator[:64], "mode": mode[:16],
              "supervisor_endpoint": user.sip_endpoint}
    try:
        req = ListenRequest(user.sip_endpoint or "", operator, mode)
        async with _ami_session(request) as ami:
            await listen_in(ami, req)
    except (ListenError, RuntimeError, OSError) as exc:  # AmiError is a RuntimeError
        audit(db, user.id, "listen.refused", "operator", operator[:64],
              detail | {"error": str(exc)[:300]}, client_ip(request))
        db.commit()
        log.warning("listen-in by %s refused: %s", user.username, exc)
        return await _page(request, db, user, lang, cfg, status_code=400,
                           error=st("listen.failed", why=str(exc)))
    audit(db, user.id, f"listen.{mode}", "operator", operator, detail, client_ip(request))
    db.commit()
    return await _page(request, db, user, lang, cfg,
                       result=st("listen.placed", op=operator, mode=st(f"mode.{mode}")))
