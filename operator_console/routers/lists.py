"""Lists: due and overdue appeals, search, a body's inbox; the old screen-pop address."""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel

from appeal_store.services import queries
from appeal_store.services.search_adapter import SearchQuery, search

from ..deps import BodyUser, Now, Operator, SessionDep
from ..templating import render
from .schemas import AppealOut, appeal_out

router = APIRouter(tags=["lists"])


class DueItem(BaseModel):
    appeal: AppealOut
    overdue: bool


def _search_query(number: str, phone: str, applicant: str, text: str, date_from: str,
                  date_to: str) -> SearchQuery:
    try:
        start = dt.date.fromisoformat(date_from) if date_from else None
        end = dt.date.fromisoformat(date_to) if date_to else None
    except ValueError:
        raise HTTPException(status_code=422, detail="dates must be YYYY-MM-DD") from None
    return SearchQuery(number=number.strip(), phone=phone.strip(), applicant=applicant.strip(),
                       text=text.strip(), date_from=start, date_to=end)


@router.get("/operator/due", include_in_schema=False)
def due_page(request: Request, db: SessionDep, user: Operator, now: Now) -> Response:
    """Open appeals by deadline, priority categories first; overdue ones marked."""
    items = [(a, queries.is_overdue(a, now)) for a in queries.due_list(db, now)]
    from appeal_store.services.answers import control_calls_due
    calls = control_calls_due(db, None if user.role != "operator" else user.id, now)
    return render(request, "due.html", {"items": items, "control_calls": calls})


@router.get("/operator/search", include_in_schema=False)
def search_page(request: Request, db: SessionDep, user: Operator,
                number: str = "", phone: str = "", applicant: str = "", text: str = "",
                date_from: str = "", date_to: str = "") -> Response:
    q = _search_query(number, phone, applicant, text, date_from, date_to)
    results = search(db, q) if not q.empty() else None
    return render(request, "search.html", {"q": q, "results": results})


@router.get("/operator/screen-pop", include_in_schema=False)
def screen_pop(user: Operator, caller: str = "") -> Response:
    """The old call-card address: the live screen pop is on the agent panel now."""
    target = "/operator/agent" + (f"?{urlencode({'caller': caller[:64]})}" if caller else "")
    return RedirectResponse(target, status_code=303)


@router.get("/body/inbox", include_in_schema=False)
def body_inbox_page(request: Request, db: SessionDep, user: BodyUser, now: Now) -> Response:
    """The body's appeals with their deadlines, and notices of appeals taken away."""
    items = [(a, queries.is_overdue(a, now)) for a in queries.body_inbox(db, user.body_id or -1)]
    return render(request, "inbox.html", {"items": items,
                                          "notices": queries.body_notices(db, user.body_id or -1)})


@router.get("/api/appeals/due", response_model=list[DueItem])
def api_due(db: SessionDep, user: Operator, now: Now) -> list[DueItem]:
    """Open appeals by deadline (priority first)."""
    return [DueItem(appeal=appeal_out(a), overdue=queries.is_overdue(a, now))
            for a in queries.due_list(db, now)]


@router.get("/api/appeals/search", response_model=list[AppealOut])
def api_search(db: SessionDep, user: Operator,
               number: Annotated[str, Query()] = "", phone: str = "", applicant: str = "",
               text: str = "", date_from: str = "", date_to: str = "") -> list[AppealOut]:
    """Search by number, phone, applicant name, text and received date range."""
    q = _search_query(number, phone, applicant, text, date_from, date_to)
    return [appeal_out(a) for a in search(db, q)] if not q.empty() else []


@router.get("/api/body/inbox", response_model=list[DueItem])
def api_body_inbox(db: SessionDep, user: BodyUser, now: Now) -> list[DueItem]:
    """The logged-in body's appeals with deadlines."""
    return [DueItem(appeal=appeal_out(a), overdue=queries.is_overdue(a, now))
            for a in queries.body_inbox(db, user.body_id or -1)]
