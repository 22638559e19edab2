"""The appeal card and its lifecycle steps: route, change topic, control call, close, answer."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel

from appeal_store.models.reference import StateBody, Topic
from appeal_store.services import answers, lifecycle, queries, routing_service
from appeal_store.services.errors import ServiceError
from appeal_store.services.validation import SOCIAL_CATEGORIES

from ..deps import AppealReader, BodyUser, Now, Operator, SessionDep, client_ip
from ..templating import render
from .schemas import AppealOut, EventOut, appeal_out, event_out

router = APIRouter(tags=["appeals"])


def _back(request: Request, appeal_id: int, error: ServiceError | None = None) -> Response:
    if error is not None:
        request.session["flash"] = error.message(request.session.get("lang", "uk"))
    return RedirectResponse(f"/appeals/{appeal_id}", status_code=303)


@router.get("/appeals/{appeal_id}", include_in_schema=False)
def appeal_page(request: Request, appeal_id: int, db: SessionDep, user: AppealReader,
                now: Now) -> Response:
    """The registration-control card; 403 for a body the appeal is not routed to."""
    appeal = queries.view_appeal(db, appeal_id, user=user, now=now, ip=client_ip(request))
    ctx = {
        "appeal": appeal,
        "events": lifecycle.history(db, appeal.id),
        "decisions": routing_service.decisions(db, appeal.id),
        "body": db.get(StateBody, appeal.body_id) if appeal.body_id else None,
        "complained_about": appeal.complained_about_body if appeal.type == "complaint" else None,
        "topic": db.get(Topic, appeal.topic_code) if appeal.topic_code else None,
        "control_call": answers.pending_control_call(db, appeal.id),
        "overdue": queries.is_overdue(appeal, now),
        "flash": request.session.pop("flash", None),
        "categories": SOCIAL_CATEGORIES,
    }
    if user.role != "body" and appeal.status in routing_service.ROUTABLE:
        ctx["proposal"] = routing_service.propose(db, appeal)
        ctx["bodies"] = routing_service.active_bodies(db)
        ctx["topics"] = db.query(Topic).order_by(Topic.code).all()
    return render(request, "appeal.html", ctx)


@router.post("/appeals/{appeal_id}/route", include_in_schema=False)
def route_form(request: Request, appeal_id: int, db: SessionDep, user: Operator, now: Now,
               body_id: Annotated[str, Form()] = "",
               override_reason: Annotated[str, Form()] = "") -> Response:
    try:
        routing_service.route_appeal(db, appeal_id, actor=user, now=now,
                                     body_id=int(body_id) if body_id.isdigit() else None,
                                     override_reason=override_reason)
    except ServiceError as exc:
        return _back(request, appeal_id, exc)
    return _back(request, appeal_id)


@router.post("/appeals/{appeal_id}/topic", include_in_schema=False)
def topic_form(request: Request, appeal_id: int, db: SessionDep, user: Operator, now: Now,
               topic_code: Annotated[str, Form()], reason: Annotated[str, Form()] = "") -> Response:
    try:
        routing_service.change_topic(db, appeal_id, topic_code, actor=user, now=now, reason=reason)
    except ServiceError as exc:
        return _back(request, appeal_id, exc)
    return _back(request, appeal_id)


@router.post("/appeals/{appeal_id}/control", include_in_schema=False)
def control_form(request: Request, appeal_id: int, db: SessionDep, user: Operator, now: Now,
                 outcome: Annotated[str, Form()], note: Annotated[str, Form()] = "") -> Response:
    try:
        answers.record_control_outcome(db, appeal_id, outcome, actor=user, now=now, note=note)
    except ServiceError as exc:
        return _back(request, appeal_id, exc)
    return _back(request, appeal_id)


@router.post("/appeals/{appeal_id}/close", include_in_schema=False)
def close_form(request: Request, appeal_id: int, db: SessionDep, user: Operator,
               now: Now) -> Response:
    try:
        answers.close_appeal(db, appeal_id, actor=user, now=now)
    except ServiceError as exc:
        return _back(request, appeal_id, exc)
    return _back(request, appeal_id)


@router.post("/appeals/{appeal_id}/answer", include_in_schema=False)
def answer_form(request: Request, appeal_id: int, db: SessionDep, user: BodyUser, now: Now,
                answer: Annotated[str, Form()] = "") -> Response:
    try:
        answers.answer_appeal(db, appeal_id, answer, actor=user, now=now)
    except ServiceError as exc:
        if exc.status_code == 403:
            raise
        return _back(request, appeal_id, exc)
    return RedirectResponse("/body/inbox", status_code=303)


# --- JSON API -------------------------------------------------------------------------------


class RouteIn(BaseModel):
    body_id: int | None = None
    override_reason: str = ""


class TopicIn(BaseModel):
    topic_code: str
    reason: str = ""


class ControlIn(BaseModel):
    outcome: str
    note: str = ""


class AnswerIn(BaseModel):
    answer: str


class AppealDetail(BaseModel):
    appeal: AppealOut
    events: list[EventOut]


@router.get("/api/appeals/{appeal_id}", response_model=AppealDetail)
def api_appeal(request: Request, appeal_id: int, db: SessionDep, user: AppealReader,
               now: Now) -> AppealDetail:
    """One appeal with its history; the view of applicant data is audited."""
    appeal = queries.view_appeal(db, appeal_id, user=user, now=now, ip=client_ip(request))
    return AppealDetail(appeal=appeal_out(appeal),
                        events=[event_out(e) for e in lifecycle.history(db, appeal.id)])


@router.post("/api/appeals/{appeal_id}/route", response_model=AppealOut)
def api_route(appeal_id: int, payload: RouteIn, db: SessionDep, user: Operator,
              now: Now) -> AppealOut:
    """Confirm the proposed body, or override it (``body_id`` + ``override_reason``)."""
    routing_service.route_appeal(db, appeal_id, actor=user, now=now, body_id=payload.body_id,
                                 override_reason=payload.override_reason)
    return appeal_out(lifecycle.load_appeal(db, appeal_id))


@router.post("/api/appeals/{appeal_id}/topic", response_model=AppealOut)
def api_topic(appeal_id: int, payload: TopicIn, db: SessionDep, user: Operator,
              now: Now) -> AppealOut:
    """Change the topic; the appeal is routed again and a former body is told."""
    routing_service.change_topic(db, appeal_id, payload.topic_code, actor=user, now=now,
                                 reason=payload.reason)
    return appeal_out(lifecycle.load_appeal(db, appeal_id))


@router.post("/api/appeals/{appeal_id}/answer", response_model=AppealOut)
def api_answer(appeal_id: int, payload: AnswerIn, db: SessionDep, user: BodyUser,
               now: Now) -> AppealOut:
    """The body's answer; schedules the control call back."""
    answers.answer_appeal(db, appeal_id, payload.answer, actor=user, now=now)
    return appeal_out(lifecycle.load_appeal(db, appeal_id))


@router.post("/api/appeals/{appeal_id}/control", response_model=AppealOut)
def api_control(appeal_id: int, payload: ControlIn, db: SessionDep, user: Operator,
                now: Now) -> AppealOut:
    """The control call's outcome: satisfied, not_satisfied or unreachable → checked."""
    answers.record_control_outcome(db, appeal_id, payload.outcome, actor=user, now=now,
                                   note=payload.note)
    return appeal_out(lifecycle.load_appeal(db, appeal_id))


@router.post("/api/appeals/{appeal_id}/close", response_model=AppealOut)
def api_close(appeal_id: int, db: SessionDep, user: Operator, now: Now) -> AppealOut:
    """Close a checked appeal."""
    return appeal_out(answers.close_appeal(db, appeal_id, actor=user, now=now))
