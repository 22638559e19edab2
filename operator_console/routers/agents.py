"""Operators in queues: log in, log out, pause with a reason, unpause, transfer a call; a
supervisor hands a waiting caller to an operator; an admin re-renders the SIP endpoints.

Thin: validate, call :mod:`agi_scripts.agents` / :mod:`agi_scripts.transfers` over one AMI
connection, serialise. Asterisk's answer (QueueStatus) is what the API returns.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from agi_scripts.agents import PAUSE_REASONS, Agent, AgentError, AgentService
from agi_scripts.ami_client import AmiClient, AmiError, AmiUnavailable, ami_session
from agi_scripts.transfers import (
    TransferError,
    TransferTarget,
    attended_transfer,
    blind_transfer,
    hand_to_operator,
    outside_directory,
    outside_target,
)
from appeal_store.calls import ANONYMOUS, sanitize_phone
from appeal_store.models.users import User

from ..deps import Admin, Operator, SessionDep, require_role
from ..sip_phones import endpoint_sync
from ..templating import render
from .live import MEMBER_STATUSES

router = APIRouter(tags=["agents"])
Supervisor = Annotated[User, Depends(require_role("supervisor", "admin"))]
AGENT_STATES = ("ready", "paused", "logged_out")  # AgentStatus.state


class LoginIn(BaseModel):
    queues: list[str] | dict[str, int] | None = None


class PauseIn(BaseModel):
    reason: str = Field(description="break, after_call_work, training or meeting")


class TransferIn(BaseModel):
    mode: Literal["blind", "attended"] = "blind"
    kind: Literal["queue", "operator", "outside"]
    target: str = Field(min_length=1, max_length=64)


class AssignIn(BaseModel):
    endpoint: str = Field(min_length=1, max_length=64)


def _agent(user: User) -> Agent:
    if not user.sip_endpoint:
        raise HTTPException(status_code=409, detail="this user has no SIP endpoint")
    return Agent(user.id, user.sip_endpoint, user.full_name or user.username)


@contextlib.asynccontextmanager
async def _ami(request: Request) -> AsyncIterator[AmiClient]:
    """One AMI connection for the request; Asterisk's refusals become HTTP errors."""
    try:
        async with ami_session(request.app.state.settings) as ami:
            yield ami
    except AmiUnavailable as exc:
        raise HTTPException(status_code=503, detail=f"Asterisk unavailable: {exc.message}") from None
    except AmiError as exc:
        raise HTTPException(status_code=502, detail=f"Asterisk refused: {exc.message}") from None
    except (AgentError, TransferError) as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from None


def _service(request: Request, ami: AmiClient) -> AgentService:
    return AgentService(ami, request.app.state.session_factory)


@router.get("/api/agents/me")
async def my_status(request: Request, user: Operator) -> dict:
    """The operator's queues, pause and reason, as Asterisk reports them."""
    agent = _agent(user)
    async with _ami(request) as ami:
        return (await _service(request, ami).status(agent)).as_dict()


@router.post("/api/agents/me/login")
async def login(request: Request, user: Operator, body: LoginIn | None = None) -> dict:
    """Join queues: the given ones, else the operator's standing memberships (skills)."""
    agent = _agent(user)
    default = request.app.state.settings.general_queue
    async with _ami(request) as ami:
        status = await _service(request, ami).login(agent, body.queues if body else None,
                                                    default_queue=default)
    return status.as_dict()


@router.post("/api/agents/me/logout")
async def logout(request: Request, user: Operator) -> dict:
    agent = _agent(user)
    async with _ami(request) as ami:
        return (await _service(request, ami).logout(agent)).as_dict()


@router.post("/api/agents/me/pause")
async def pause(request: Request, user: Operator, body: PauseIn) -> dict:
    agent = _agent(user)
    async with _ami(request) as ami:
        return (await _service(request, ami).pause(agent, body.reason)).as_dict()


@router.post("/api/agents/me/unpause")
async def unpause(request: Request, user: Operator) -> dict:
    agent = _agent(user)
    async with _ami(request) as ami:
        return (await _service(request, ami).unpause(agent)).as_dict()


@router.get("/api/agents/directory")
def directory(request: Request, user: Operator, db: SessionDep) -> dict:
    """Transfer targets: outside hotlines of state bodies, pause reasons."""
    return {"outside": outside_directory(db),
            "pause_reasons": {k: {"uk": v[0], "en": v[1]} for k, v in PAUSE_REASONS.items()}}


@router.post("/api/agents/me/transfer")
async def transfer(request: Request, user: Operator, body: TransferIn, db: SessionDep) -> dict:
    """Transfer the operator's current call, blind or attended."""
    agent = _agent(user)
    try:
        dial = request.app.state.settings.outside_dial
        target = (outside_target(body.target, outside_directory(db), dial)
                  if body.kind == "outside" else TransferTarget(body.kind, body.target))
    except TransferError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from None
    move = blind_transfer if body.mode == "blind" else attended_transfer
    async with _ami(request) as ami:
        channel = await move(ami, agent.endpoint, target)
    return {"mode": body.mode, "kind": body.kind, "target": body.target, "channel": channel}


@router.post("/api/supervisor/calls/{uniqueid}/assign")
async def assign(request: Request, uniqueid: str, body: AssignIn, user: Supervisor) -> dict:
    """Take a waiting caller out of the queue and ring the chosen operator."""
    async with _ami(request) as ami:
        channel = await hand_to_operator(ami, uniqueid, body.endpoint)
    return {"uniqueid": uniqueid, "endpoint": body.endpoint, "channel": channel}


@router.post("/api/admin/sip/reload")
async def reload_endpoints(request: Request, user: Admin) -> dict:
    """Render operators' SIP endpoints from the users table and reload them in Asterisk."""
    result = await endpoint_sync(request.app).request()
    if result.ok:
        return {"operators": result.operators}
    if isinstance(result.exception, AmiError):
        raise HTTPException(status_code=503, detail=f"Asterisk: {result.error}")
    raise HTTPException(status_code=500, detail=f"pjsip.conf not written: {result.error}")


@router.get("/operator/agent", include_in_schema=False)
def agent_page(request: Request, user: Operator, caller: str = "") -> Response:
    """The operator's queue panel: state, pause reasons, transfer, the live screen pop.

    ``caller`` (from the old /operator/screen-pop links) shows that number's card until a
    live screen pop replaces it.
    """
    phone = sanitize_phone(caller) if caller else ANONYMOUS
    return render(request, "agent_panel.html", {
        "endpoint": user.sip_endpoint, "reasons": list(PAUSE_REASONS),
        "agent_states": AGENT_STATES, "member_statuses": MEMBER_STATUSES,
        "caller": "" if phone == ANONYMOUS else phone})
