"""Supervisor pages: history with charts and CSV, Erlang C staffing, early warning.

Also the small things the other supervision routers share: the role dependencies, the
supervision settings and the page texts (Ukrainian first, English).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from agi_scripts.live_state import live_channel
from appeal_store.models import Region, Topic
from appeal_store.models.users import User
from appeal_store.stats.figures import GROUPINGS, Figures, figures, fill_hours, group_figures
from appeal_store.stats.queries import (
    WARNING_KEYS,
    load_queue_calls,
    operator_names,
    warning_signals,
)
from appeal_store.stats.staffing import hourly_plan
from operator_console.i18n import translate

from ..deps import Lang, Now, SessionDep, require_role
from ..templating import render

router = APIRouter(tags=["supervisor"])

def st_for(lang: str):
    """The text function of these pages for ``lang``: the console catalogue's translate."""

    def st(key: str, **params: object) -> str:
        return translate(lang, key, **params)

    return st

SUPERVISORS = ("supervisor", "admin")
Supervisor = Annotated[User, Depends(require_role(*SUPERVISORS))]
MAX_RANGE_DAYS = 366


@dataclass(frozen=True)
class SupervisionConfig:
    """Supervision settings; read from the hotline settings when they name them."""

    service_level_seconds: int = 20
    short_abandon_seconds: int = 6
    retention_days: int = 365
    live_channel: str = live_channel()  # also the prefix of the live-state keys


def supervision_config(request: Request) -> SupervisionConfig:
    s = request.app.state.settings
    return SupervisionConfig(
        service_level_seconds=s.service_level_seconds,
        short_abandon_seconds=s.short_abandon_seconds,
        retention_days=s.recording_retention_days,
    )


Config = Annotated[SupervisionConfig, Depends(supervision_config)]


def local_zone(request: Request) -> ZoneInfo:
    return ZoneInfo(request.app.state.settings.timezone)


def date_range(date_from: str, date_to: str, today: dt.date, default_days: int
               ) -> tuple[dt.date, dt.date]:
    """Inclusive local dates from the query (default: the last ``default_days`` days)."""
    try:
        end = dt.date.fromisoformat(date_to) if date_to else today
        start = dt.date.fromisoformat(date_from) if date_from else end - dt.timedelta(
            days=default_days - 1)
    except ValueError:
        raise HTTPException(status_code=422, detail="dates must be YYYY-MM-DD") from None
    if start > end:
        raise HTTPException(status_code=422, detail="date_from is after date_to")
    if (end - start).days >= MAX_RANGE_DAYS:
        raise HTTPException(status_code=422, detail=f"at most {MAX_RANGE_DAYS} days at once")
    return start, end


def local_bounds(start: dt.date, end: dt.date, tz: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    return (dt.datetime.combine(start, dt.time(), tz),
            dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tz))


# ------------------------------------------------------------------------- history
def _label(key: Hashable, by: str, names: dict[str, str]) -> str:
    if key is None:
        return "—"
    if by == "hour":
        return key.strftime("%d.%m %H:00")  # type: ignore[union-attr]
    if by == "day":
        return key.strftime("%d.%m.%Y")  # type: ignore[union-attr]
    if by == "hour_of_day":
        return f"{key:02d}:00"
    return names.get(str(key), str(key))


def dimension_names(db: Session, lang: str) -> dict[str, str]:
    """Names of regions and topics (and operators) to show instead of codes."""
    en = lang == "en"
    names = {r.code: (r.name_en if en else r.name_uk) for r in db.scalars(select(Region))}
    names |= {t.code: f"{t.code} {t.name_en if en else t.name_uk}" for t in db.scalars(select(Topic))}
    return names | operator_names(db)


def history_rows(db: Session, request: Request, cfg: SupervisionConfig, start: dt.date,
                 end: dt.date, by: str, queue: str, lang: str
                 ) -> tuple[list[tuple[str, Figures]], Figures]:
    """Rows of (label, figures) for the range and grouping, and the range's total."""
    if by not in GROUPINGS:
        raise HTTPException(status_code=422, detail=f"group by one of {', '.join(GROUPINGS)}")
    tz = local_zone(request)
    lo, hi = local_bounds(start, end, tz)
    calls = load_queue_calls(db, lo, hi, queues=[queue] if queue else None)
    kw = {"threshold": cfg.service_level_seconds, "short_abandon": cfg.short_abandon_seconds}
    grouped = group_figures(calls, by, tz, **kw)
    if by == "hour":
        grouped = fill_hours(grouped, lo, hi)
    elif by == "hour_of_day":
        have = dict(grouped)
        grouped = [(h, have.get(h, Figures())) for h in range(24)]
    names = dimension_names(db, lang) if by in ("operator", "topic", "region") else {}
    return [(_label(k, by, names), f) for k, f in grouped], figures(calls, **kw)


def chart(rows: list[tuple[str, Figures]], width: int = 960, height: int = 260) -> dict[str, Any]:
    """Geometry of a stacked bar chart (in time, late, abandoned) with a service level line."""
    pad_l, pad_b, pad_t = 40, 40, 10
    inner_h = height - pad_b - pad_t
    n = max(1, len(rows))
    step = (width - pad_l - 40) / n
    top = max([f.offered for _, f in rows] + [1])
    scale = inner_h / top
    bars, line = [], []
    for i, (label, f) in enumerate(rows):
        x = pad_l + i * step
        late = f.answered - f.answered_within
        parts = [("in", f.answered_within), ("late", late), ("aband", f.abandoned),
                 ("other", f.unanswered + f.waiting)]
        y = height - pad_b
        segs = []
        for cls, value in parts:
            h = value * scale
            if value:
                segs.append({"cls": cls, "y": round(y - h, 1), "h": round(h, 1), "v": value})
            y -= h
        bars.append({"x": round(x + step * 0.1, 1), "w": round(step * 0.8, 1), "segs": segs,
                     "label": label, "show_label": n <= 31 or i % max(1, n // 24) == 0,
                     "f": f})
        if f.service_level is not None:
            line.append(f"{x + step / 2:.1f},{pad_t + inner_h * (1 - f.service_level):.1f}")
    return {"w": width, "h": height, "bars": bars, "line": " ".join(line), "top": top,
            "base": height - pad_b, "pad_l": pad_l, "pad_t": pad_t, "right": width - 40}


@router.get("/supervisor/history", include_in_schema=False)
def history_page(request: Request, db: SessionDep, user: Supervisor, cfg: Config, lang: Lang,
                 now: Now, date_from: str = "", date_to: str = "", by: str = "day",
                 queue: str = "") -> Response:
    """Figures by hour, day, queue, operator, topic or region for a date range."""
    tz = local_zone(request)
    start, end = date_range(date_from, date_to, now.astimezone(tz).date(), 7)
    rows, total = history_rows(db, request, cfg, start, end, by, queue, lang)
    return render(request, "history.html", {
        "st": st_for(lang), "rows": rows, "total": total, "chart": chart(rows), "by": by,
        "groupings": GROUPINGS, "queue": queue, "date_from": start.isoformat(),
        "date_to": end.isoformat(), "cfg": cfg})


CSV_FIELDS = ("offered", "answered", "abandoned", "short_abandoned", "unanswered", "waiting",
              "answered_within", "service_level", "asa_seconds", "aht_seconds", "abandon_rate")


@router.get("/supervisor/history.csv", include_in_schema=False)
def history_csv(request: Request, db: SessionDep, user: Supervisor, cfg: Config, lang: Lang,
                now: Now, date_from: str = "", date_to: str = "", by: str = "day",
                queue: str = "") -> Response:
    """The same table as CSV (UTF-8 with BOM so spreadsheets read Cyrillic)."""
    tz = local_zone(request)
    start, end = date_range(date_from, date_to, now.astimezone(tz).date(), 7)
    rows, total = history_rows(db, request, cfg, start, end, by, queue, lang)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([by, *CSV_FIELDS])
    for label, f in [*rows, ("total", total)]:
        d = f.as_dict()
        writer.writerow([label, *("" if d[k] is None else
                                  round(d[k], 4) if isinstance(d[k], float) else d[k]
                                  for k in CSV_FIELDS)])
    name = f"hotline-{by}-{start.isoformat()}-{end.isoformat()}.csv"
    return Response("\ufeff" + out.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


# ------------------------------------------------------------------------- staffing
def _fraction(value: str, default: float, field: str) -> float:
    try:
        number = float(value) if value else default
    except ValueError:
        raise HTTPException(status_code=422, detail=f"{field} must be a number") from None
    number = number / 100 if number > 1 else number
    if not 0 < number < 1:
        raise HTTPException(status_code=422, detail=f"{field} must be between 0 and 100 %")
    return number


@router.get("/supervisor/staffing", include_in_schema=False)
def staffing_page(request: Request, db: SessionDep, user: Supervisor, cfg: Config, lang: Lang,
                  now: Now, date_from: str = "", date_to: str = "", queue: str = "",
                  target: str = "", max_occupancy: str = "") -> Response:
    """Erlang C operators per hour for a target service level from observed traffic."""
    tz = local_zone(request)
    start, end = date_range(date_from, date_to, now.astimezone(tz).date() - dt.timedelta(days=1),
                            28)
    goal = _fraction(target, 0.8, "target")
    occupancy = _fraction(max_occupancy, 0.85, "max_occupancy")
    lo, hi = local_bounds(start, end, tz)
    calls = load_queue_calls(db, lo, hi, queues=[queue] if queue else None,
                             with_dimensions=False)
    plans = hourly_plan(calls, (end - start).days + 1, tz, target=goal,
                        threshold_seconds=cfg.service_level_seconds, max_occupancy=occupancy)
    return render(request, "staffing.html", {
        "st": st_for(lang), "plans": plans, "target": goal, "occupancy": occupancy,
        "queue": queue, "date_from": start.isoformat(), "date_to": end.isoformat(), "cfg": cfg,
        "peak": max((p.staffing.agents for p in plans if p.staffing), default=0)})


# ------------------------------------------------------------------------- early warning
@router.get("/supervisor/warnings", include_in_schema=False)
def warnings_page(request: Request, db: SessionDep, user: Supervisor, lang: Lang, now: Now,
                  by: str = "region", days: int = 28) -> Response:
    """Regions or topics whose appeals today rise beyond their own recent baseline."""
    if by not in WARNING_KEYS:
        raise HTTPException(status_code=422, detail=f"by must be one of {', '.join(WARNING_KEYS)}")
    if not 7 <= days <= 90:
        raise HTTPException(status_code=422, detail="days must be 7..90")
    window, signals = warning_signals(db, now, local_zone(request), by, baseline_days=days)
    return render(request, "warnings.html", {
        "st": st_for(lang), "window": window, "signals": signals, "by": by, "days": days,
        "keys": WARNING_KEYS, "names": dimension_names(db, lang),
        "flagged": [s for s in signals if s.flagged]})
