"""Choices for the appeal form and reading a form or JSON body into an AppealForm."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from appeal_store.models.appeals import APPEAL_TYPES, CHANNELS
from appeal_store.models.reference import Region, Topic
from appeal_store.services.validation import SOCIAL_CATEGORIES, AppealForm

from .security import CSRF_FORM_FIELD


def choices(db: Session) -> dict[str, Any]:
    """Regions, topics, categories, types and channels for the form's selects."""
    return {
        "regions": list(db.scalars(select(Region).order_by(Region.name_uk))),
        "topics": list(db.scalars(select(Topic).order_by(Topic.code))),
        "categories": SOCIAL_CATEGORIES,
        "types": APPEAL_TYPES,
        "channels": CHANNELS,
    }


async def read_form(request: Request) -> tuple[AppealForm, dict[str, str]]:
    """The AppealForm from a posted HTML form, and the other fields (action, body, reason)."""
    data = await request.form()
    flat = {k: v for k, v in data.items() if isinstance(v, str) and k != CSRF_FORM_FIELD}
    return AppealForm.from_mapping(flat), flat
