"""Search for the console over :func:`appeal_store.search.search_appeals`.

Criteria: number, phone, applicant name, text, received date range (Kyiv calendar days,
both ends included). Drafts are never listed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from appeal_store.models.appeals import APPEAL_STATUSES, Appeal
from appeal_store.search import search_appeals

MAX_RESULTS = 200
NOT_DRAFT = tuple(s for s in APPEAL_STATUSES if s != "draft")


@dataclass
class SearchQuery:
    number: str = ""
    phone: str = ""
    applicant: str = ""
    text: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None

    def empty(self) -> bool:
        return not (self.number or self.phone or self.applicant or self.text
                    or self.date_from or self.date_to)


def day_start(day: dt.date, tz: str = "Europe/Kyiv") -> dt.datetime:
    """Midnight of ``day`` in ``tz``, as an aware datetime."""
    return dt.datetime.combine(day, dt.time(), ZoneInfo(tz))


def search(session: Session, q: SearchQuery, *, limit: int = MAX_RESULTS,
           tz: str = "Europe/Kyiv") -> list[Appeal]:
    """Registered appeals matching every given criterion, newest first."""
    return search_appeals(
        session,
        number=q.number or None, phone=q.phone or None, applicant=q.applicant or None,
        text=q.text or None,
        date_from=day_start(q.date_from, tz) if q.date_from else None,
        date_to=day_start(q.date_to + dt.timedelta(days=1), tz) if q.date_to else None,
        status=NOT_DRAFT, limit=limit,
    )
