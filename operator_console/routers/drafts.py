"""Operator pages for drafts and the appeal form: save, autosave, propose, register."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, field_validator

from appeal_store.models.appeals import Appeal
from appeal_store.services import lifecycle, queries, registration, routing_service
from appeal_store.services.errors import ServiceError, ValidationFailed
from appeal_store.services.validation import AppealForm, FormErrors

from ..deps import Now, Operator, SessionDep, client_ip
from ..forms import choices, read_form
from ..templating import render
from .schemas import AppealOut, appeal_out

log = logging.getLogger(__name__)
router = APIRouter(tags=["drafts"])
CALLER_LANGUAGES = ("uk", "en")  # the IVR's languages


def _form_page(request: Request, db, appeal: Appeal | None, form: AppealForm,
               errors: FormErrors | None = None, message: str | None = None,
               status_code: int = 200, **extra: Any) -> Response:
    proposal = routing_service.propose(db, appeal) if appeal is not None else None
    ctx: dict[str, Any] = {
        "appeal": appeal, "form": form, "errors": errors or FormErrors(), "message": message,
        "proposal": proposal, "bodies": routing_service.active_bodies(db), **choices(db),
        "canonical_path": f"/operator/appeals/{appeal.id}/edit" if appeal else "/operator/appeals/new",
        "earlier": [], "caller_language": "", "draft_key": str(appeal.id) if appeal else "new",
        **extra,
    }
    return render(request, "appeal_form.html", ctx, status_code=status_code)


@router.get("/operator/drafts", include_in_schema=False)
def drafts_page(request: Request, db: SessionDep, user: Operator) -> Response:
    """The inbox of drafts (voice appeals transcribed, forms saved but not registered)."""
    return render(request, "drafts.html", {"drafts": queries.drafts(db)})


@router.get("/operator/appeals/new", include_in_schema=False)
def new_page(request: Request, db: SessionDep, user: Operator, phone: str = "", topic: str = "",
             call: str = "", language: str = "") -> Response:
    """The new appeal form; a screen pop's link (``phone``, ``topic``, ``call`` = Asterisk's
    uniqueid, ``language``) prefills it and lists the caller's earlier appeals."""
    form = registration.form_from_call(db, phone=phone[:64], topic=topic[:32],
                                       call_uniqueid=call[:64])
    earlier = registration.caller_history(db, form.phone, actor=user, ip=client_ip(request))
    # a prefilled form keeps its unsaved typing apart from other calls' (localStorage key)
    key = f"new-call-{form.call_id}" if form.call_id else (f"new-{form.phone}" if form.phone else "new")
    caller_language = language if language in CALLER_LANGUAGES else ""
    kept = {"phone": form.phone, "topic": form.topic_code,
            "call": call.strip() if form.call_id else "", "language": caller_language}
    query = urlencode({k: v for k, v in kept.items() if v})
    return _form_page(request, db, None, form, earlier=earlier, draft_key=key,
                      caller_language=caller_language,
                      canonical_path="/operator/appeals/new" + (f"?{query}" if query else ""))


@router.get("/operator/appeals/{appeal_id}/edit", include_in_schema=False)
def edit_page(request: Request, appeal_id: int, db: SessionDep, user: Operator, now: Now) -> Response:
    """Finish a draft: the form, the proposed body with its reason, confirm or override."""
    appeal = queries.view_appeal(db, appeal_id, user=user, now=now, ip=client_ip(request))
    if appeal.status != "draft":
        return RedirectResponse(f"/appeals/{appeal.id}", status_code=303)
    return _form_page(request, db, appeal, registration.form_of(appeal))


@router.post("/operator/appeals/new", include_in_schema=False)
async def create_from_form(request: Request, db: SessionDep, user: Operator, now: Now) -> Response:
    form, extra = await read_form(request)
    appeal = registration.save_draft(db, form, actor=user, now=now)
    return await _submit(request, db, user, now, appeal, form, extra)


@router.post("/operator/appeals/{appeal_id}/submit", include_in_schema=False)
async def submit_form(request: Request, appeal_id: int, db: SessionDep, user: Operator,
                      now: Now) -> Response:
    """Save the draft, or register it and route it to the chosen body."""
    form, extra = await read_form(request)
    appeal = registration.save_draft(db, form, actor=user, now=now, appeal_id=appeal_id)
    return await _submit(request, db, user, now, appeal, form, extra)


async def _submit(request: Request, db, user, now, appeal: Appeal, form: AppealForm,
                  extra: dict[str, str]) -> Response:
    if extra.get("action") != "register":
        return RedirectResponse(f"/operator/appeals/{appeal.id}/edit?saved=1", status_code=303)
    try:
        registration.register_appeal(db, form, actor=user, now=now, appeal_id=appeal.id,
                                     number_prefix=request.app.state.settings.hotline_number)
    except ValidationFailed as exc:
        return _form_page(request, db, appeal, form, FormErrors.of(exc.errors),
                          exc.message(request.session.get("lang", "uk")), status_code=422)
    body_id = int(extra["body_id"]) if extra.get("body_id", "").isdigit() else None
    try:
        routing_service.route_appeal(db, appeal.id, actor=user, now=now, body_id=body_id,
                                     override_reason=extra.get("override_reason", ""))
    except ServiceError as exc:
        # Registered but not routed: the card lets the operator route it.
        log.info("appeal %s registered, routing refused: %s", appeal.id, exc.en)
        request.session["flash"] = exc.message(request.session.get("lang", "uk"))
    return RedirectResponse(f"/appeals/{appeal.id}", status_code=303)


# --- JSON API -------------------------------------------------------------------------------


class DraftIn(BaseModel):
    """Fields of the appeal form; all optional for a draft."""

    model_config = {"extra": "ignore"}
    full_name: str = ""
    region_code: str = ""
    settlement: str = ""
    address: str = ""
    phone: str = ""
    email: str = ""
    social_category: str = "none"
    type: str = "application"
    channel: str = "phone"
    topic_code: str = ""
    substance: str = ""
    addressee: str = ""
    complained_about_body: str = ""  # a body code; complaints only (Art. 7)
    is_repeated: bool = False
    is_collective: bool = False
    needs_study: bool = False
    call_id: int | None = None
    recording_id: int | None = None

    @field_validator("call_id", "recording_id", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if value == "" else value

    def form(self) -> AppealForm:
        return AppealForm.from_mapping(self.model_dump())


class RegisterIn(DraftIn):
    body_id: int | None = None
    override_reason: str = ""


@router.get("/api/drafts", response_model=list[AppealOut])
def api_drafts(db: SessionDep, user: Operator) -> list[AppealOut]:
    """Drafts waiting for an operator."""
    return [appeal_out(a) for a in queries.drafts(db)]


@router.post("/api/appeals", response_model=AppealOut, status_code=201)
def api_create_draft(payload: DraftIn, db: SessionDep, user: Operator, now: Now) -> AppealOut:
    """Create a draft."""
    return appeal_out(registration.save_draft(db, payload.form(), actor=user, now=now))


@router.put("/api/appeals/{appeal_id}/draft", response_model=AppealOut)
def api_autosave(appeal_id: int, payload: DraftIn, db: SessionDep, user: Operator,
                 now: Now) -> AppealOut:
    """Autosave a draft (the form posts here while the operator types)."""
    appeal = registration.save_draft(db, payload.form(), actor=user, now=now, appeal_id=appeal_id)
    return appeal_out(appeal)


@router.get("/api/appeals/{appeal_id}/proposal")
def api_proposal(appeal_id: int, db: SessionDep, user: Operator, now: Now) -> dict[str, object]:
    """The body routing proposes for the appeal's current facts, with its reason."""
    appeal = lifecycle.load_appeal(db, appeal_id)  # no applicant data: not an audited view
    return routing_service.propose(db, appeal).as_dict()


@router.post("/api/appeals/{appeal_id}/register", response_model=AppealOut)
def api_register(request: Request, appeal_id: int, payload: RegisterIn, db: SessionDep,
                 user: Operator, now: Now) -> AppealOut:
    """Register the draft with these fields and route it (to ``body_id`` or the proposal).

    422 with ``errors`` per field when the law's requirements are not met.
    """
    registration.register_appeal(db, payload.form(), actor=user, now=now, appeal_id=appeal_id,
                                 number_prefix=request.app.state.settings.hotline_number)
    routing_service.route_appeal(db, appeal_id, actor=user, now=now, body_id=payload.body_id,
                                 override_reason=payload.override_reason)
    return appeal_out(queries.view_appeal(db, appeal_id, user=user, now=now))
