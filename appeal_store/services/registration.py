"""Drafts and registration: save a draft, register it with a number and legal due date."""

from __future__ import annotations

import datetime as dt
import logging
import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from appeal_store.calls import ANONYMOUS, get_call, sanitize_phone
from appeal_store.models.appeals import Appeal, Applicant
from appeal_store.models.calls import Call
from appeal_store.models.media import Recording
from appeal_store.models.reference import Region, StateBody, Topic
from appeal_store.models.users import User
from appeal_store.search import find_repeated

from . import lifecycle
from .adapters import assign_number, legal_due_date, record_audit
from .errors import FieldError, InvalidTransition, ValidationFailed
from .validation import AppealForm, is_priority, normalise_phone, validate

log = logging.getLogger(__name__)
_UNIQUEID = re.compile(r"^[0-9A-Za-z._-]{1,64}$")


def form_of(appeal: Appeal) -> AppealForm:
    """The form as stored on a draft or an appeal (for editing and re-validation)."""
    a = appeal.applicant
    return AppealForm(
        full_name=a.full_name if a else "",
        region_code=(a.region_code if a else None) or appeal.region_code or "",
        settlement=(a.settlement or "") if a else "",
        address=(a.address or "") if a else "",
        phone=(a.phone or "") if a else "",
        email=(a.email or "") if a else "",
        social_category=((a.social_category if a else None) or "none"),
        type=appeal.type,
        channel=appeal.channel,
        topic_code=appeal.topic_code or "",
        substance=appeal.substance or "",
        addressee=appeal.addressee or "",
        complained_about_body=(appeal.complained_about_body.code
                               if appeal.complained_about_body else ""),
        is_repeated=appeal.is_repeated,
        is_collective=appeal.is_collective,
        needs_study=appeal.needs_study,
        call_id=appeal.call_id,
        recording_id=appeal.recording_id,
    )


def call_recording_id(session: Session, call_id: int) -> int | None:
    """The operator-call recording of the call (indexed when the caller hung up), if any."""
    return session.scalars(
        select(Recording.id).where(Recording.call_id == call_id, Recording.kind == "call",
                                   Recording.purged_at.is_(None)).order_by(Recording.id)
    ).first()


def form_from_call(session: Session, *, phone: str = "", topic: str = "",
                   call_uniqueid: str = "") -> AppealForm:
    """A new appeal's form prefilled from a screen pop's link.

    The phone is sanitised (digits and a leading '+') and normalised to +380... when it is
    Ukrainian; the topic is kept only if the classifier has it; the call is found by
    Asterisk's uniqueid, so the appeal gets ``call_id`` (and its recording, once indexed).
    Without a phone or topic the call's own caller number and IVR topic are used.
    """
    form = AppealForm(channel="phone")
    uniqueid = call_uniqueid.strip()
    call = get_call(session, uniqueid) if _UNIQUEID.match(uniqueid) else None
    clean = sanitize_phone(phone or (call.caller_number if call is not None else ""))
    if clean != ANONYMOUS:
        form.phone = normalise_phone(clean) or clean
    code = (topic.strip() or (call.topic_code if call is not None else None) or "")[:32]
    if code and session.get(Topic, code) is not None:
        form.topic_code = code
    if call is not None:
        form.call_id = call.id
        form.recording_id = call_recording_id(session, call.id)
    return form


def caller_history(session: Session, phone: str, *, actor: User, ip: str | None = None,
                   limit: int = 10) -> list[Appeal]:
    """The caller's earlier appeals (any stored form of the number), newest first.

    Shown beside a new appeal's form; a non-empty list is applicant data, so its view is
    audited (``view_caller_history``) and committed.
    """
    from appeal_store.search import search_appeals

    if not phone:
        return []
    found = search_appeals(session, phone=phone, limit=limit)
    if found:
        try:
            record_audit(session, actor_id=actor.id, action="view_caller_history",
                         object_type="phone", object_id=phone,
                         detail={"appeals": [a.id for a in found], "role": actor.role}, ip=ip)
            session.commit()
        except Exception:
            session.rollback()
            raise
    return found


def _known(session: Session) -> tuple[set[str], set[str]]:
    regions = set(session.scalars(select(Region.code)))
    topics = set(session.scalars(select(Topic.code)))
    return regions, topics


def _active_body_codes(session: Session) -> set[str]:
    return set(session.scalars(select(StateBody.code).where(StateBody.active)))


def _complained_about_id(session: Session, form: AppealForm) -> int | None:
    """The active body a complaint is about (Art. 7); None for other types or an unknown code."""
    code = form.complained_about_code
    if code is None:
        return None
    return session.scalars(
        select(StateBody.id).where(StateBody.code == code, StateBody.active)
    ).first()


def _check_links(session: Session, form: AppealForm) -> list[FieldError]:
    """The call and recording a form links to must exist."""
    errors = []
    if form.call_id is not None and session.get(Call, form.call_id) is None:
        errors.append(FieldError("call_id", "unknown", "Дзвінок не знайдено", "Call not found"))
    if form.recording_id is not None and session.get(Recording, form.recording_id) is None:
        errors.append(FieldError("recording_id", "unknown", "Запис не знайдено",
                                 "Recording not found"))
    return errors


def _link_repeated(session: Session, appeal: Appeal) -> None:
    """Mark and link a repeated appeal: same person, same topic (Instruction No. 348)."""
    a = appeal.applicant
    earlier = find_repeated(session, phone=a.phone if a else None,
                            full_name=a.full_name if a else None, topic_code=appeal.topic_code,
                            exclude_appeal_id=appeal.id, limit=1)
    if earlier:
        appeal.is_repeated = True
        appeal.repeated_of_id = earlier[0].id


def _apply(session: Session, appeal: Appeal, form: AppealForm, *, lenient: bool) -> None:
    """Copy the form onto the appeal and its applicant; ``lenient`` keeps unknown codes out."""
    regions, topics = _known(session) if lenient else (None, None)
    region = form.region_code or None
    topic = form.topic_code or None
    if lenient:
        region = region if region in regions else None
        topic = topic if topic in topics else None
    if appeal.applicant is None:
        appeal.applicant = Applicant(full_name="")
        session.add(appeal.applicant)
    a = appeal.applicant
    a.full_name = " ".join(form.full_name.split())
    a.region_code = region
    a.settlement = form.settlement or None
    a.address = form.address or None
    a.phone = normalise_phone(form.phone) or (form.phone or None)
    a.email = form.email or None
    a.social_category = form.social_category or None
    appeal.region_code = region
    appeal.topic_code = topic
    appeal.type = form.type if form.type in ("proposal", "application", "complaint") else "application"
    appeal.channel = form.channel if form.channel in ("phone", "voice", "web") else "phone"
    appeal.substance = form.substance
    appeal.addressee = form.addressee or None
    appeal.complained_about_body_id = _complained_about_id(session, form)
    appeal.is_repeated = form.is_repeated
    appeal.is_collective = form.is_collective
    appeal.needs_study = form.needs_study
    if form.call_id is not None and (not lenient or session.get(Call, form.call_id)):
        appeal.call_id = form.call_id
    if form.recording_id is not None and (not lenient or session.get(Recording, form.recording_id)):
        appeal.recording_id = form.recording_id
    if appeal.call_id is not None and appeal.recording_id is None:
        # the call's recording is indexed at hang-up: a save or registration after it links it
        appeal.recording_id = call_recording_id(session, appeal.call_id)
    appeal.priority_category = form.social_category if is_priority(form.social_category) else None
    appeal.priority = is_priority(form.social_category)


def save_draft(
    session: Session,
    form: AppealForm,
    *,
    actor: User,
    now: dt.datetime,
    appeal_id: int | None = None,
) -> Appeal:
    """Create or update a draft without the registration checks (autosave); commits."""
    try:
        if appeal_id is None:
            appeal = Appeal(status="draft", received_at=now, created_by_id=actor.id)
            session.add(appeal)
        else:
            appeal = lifecycle.load_appeal(session, appeal_id)
            if appeal.status != "draft":
                raise InvalidTransition(appeal.status, "draft")
        _apply(session, appeal, form, lenient=True)
        session.flush()
        if appeal_id is None:
            lifecycle.note(session, appeal, "draft_created", actor_id=actor.id, now=now)
        session.commit()
    except Exception:
        session.rollback()
        raise
    return appeal


def register_appeal(
    session: Session,
    form: AppealForm,
    *,
    actor: User,
    now: dt.datetime,
    appeal_id: int | None = None,
    number_prefix: str = "1545",
) -> Appeal:
    """Validate and register: number, legal due date, priority flag; commits.

    Finishes the draft ``appeal_id`` or creates a new appeal. Refuses with
    :class:`ValidationFailed` (nothing written) when the law's requirements are not met.
    """
    try:
        regions, topics = _known(session)
        errors = validate(form, regions=regions, topics=topics,
                          bodies=_active_body_codes(session)) + _check_links(session, form)
        if errors:
            raise ValidationFailed(errors)
        if appeal_id is None:
            appeal = Appeal(status="draft", received_at=now, created_by_id=actor.id)
            session.add(appeal)
        else:
            appeal = lifecycle.load_appeal(session, appeal_id)
        if appeal.status != "draft":
            raise InvalidTransition(appeal.status, "registered")
        _apply(session, appeal, form, lenient=False)
        appeal.created_by_id = appeal.created_by_id or actor.id
        session.flush()
        appeal.registered_at = now
        appeal.number = assign_number(session, number_prefix, now)
        appeal.due_at = legal_due_date(appeal.received_at, appeal.needs_study)
        _link_repeated(session, appeal)
        lifecycle.move(session, appeal, "registered", actor_id=actor.id, action="registered",
                       now=now, data={"number": appeal.number, "due_at": appeal.due_at.isoformat(),
                                      "priority": appeal.priority})
        session.commit()
    except Exception:
        session.rollback()
        raise
    log.info("appeal %s registered as %s by %s", appeal.id, appeal.number, actor.username)
    return appeal
