"""Response models of the JSON API."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel

from appeal_store.models.appeals import Appeal, AppealEvent


class ApplicantOut(BaseModel):
    full_name: str
    region_code: str | None
    settlement: str | None
    address: str | None
    phone: str | None
    email: str | None
    social_category: str | None


class AppealOut(BaseModel):
    id: int
    number: str | None
    status: str
    type: str
    channel: str
    topic_code: str | None
    region_code: str | None
    substance: str
    addressee: str | None
    body_id: int | None
    #: the body a complaint is about (Art. 7: never routed to it); None for other types
    complained_about_body_id: int | None
    complained_about_body: str | None
    priority: bool
    priority_category: str | None
    is_repeated: bool
    repeated_of_id: int | None
    is_collective: bool
    received_at: dt.datetime
    registered_at: dt.datetime | None
    due_at: dt.datetime | None
    answered_at: dt.datetime | None
    answer_text: str | None
    control_outcome: str | None
    applicant: ApplicantOut | None


class EventOut(BaseModel):
    at: dt.datetime
    actor_id: int | None
    action: str
    from_status: str | None
    to_status: str | None
    data: dict


def appeal_out(appeal: Appeal) -> AppealOut:
    a = appeal.applicant
    applicant = None if a is None else ApplicantOut(
        full_name=a.full_name, region_code=a.region_code, settlement=a.settlement,
        address=a.address, phone=a.phone, email=a.email, social_category=a.social_category)
    return AppealOut(
        id=appeal.id, number=appeal.number, status=appeal.status, type=appeal.type,
        channel=appeal.channel, topic_code=appeal.topic_code, region_code=appeal.region_code,
        substance=appeal.substance, addressee=appeal.addressee, body_id=appeal.body_id,
        complained_about_body_id=appeal.complained_about_body_id,
        complained_about_body=(appeal.complained_about_body.code
                               if appeal.complained_about_body else None),
        priority=appeal.priority, priority_category=appeal.priority_category,
        is_repeated=appeal.is_repeated, repeated_of_id=appeal.repeated_of_id,
        is_collective=appeal.is_collective,
        received_at=appeal.received_at, registered_at=appeal.registered_at, due_at=appeal.due_at,
        answered_at=appeal.answered_at, answer_text=appeal.answer_text,
        control_outcome=appeal.control_outcome, applicant=applicant)


def event_out(event: AppealEvent) -> EventOut:
    return EventOut(at=event.at, actor_id=event.actor_id, action=event.action,
                    from_status=event.from_status, to_status=event.to_status, data=event.data or {})
