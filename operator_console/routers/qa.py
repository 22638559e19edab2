"""QA: find recordings, play them beside their transcript, score them; retention purge.

Every audio request (a playback, each seek, a download) is written to the audit log
before a byte is served. Seeking works through HTTP range requests (206).
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from sqlalchemy import select

from appeal_store.models import User
from appeal_store.retention import purge_recordings, recording_file
from appeal_store.stats.recordings_review import (
    SCORECARD,
    RecordingFilter,
    ReviewError,
    find_recordings,
    get_recording,
    max_total,
    record_access,
    score_recording,
    scores_of,
    transcript_words,
)

from ..deps import Lang, Now, SessionDep, client_ip, require_role
from ..templating import render
from .supervisor import SUPERVISORS, Config, date_range, local_bounds, local_zone, st_for

log = logging.getLogger(__name__)
router = APIRouter(tags=["qa"])

QA_ROLES = ("qa", "supervisor")
Reviewer = Annotated[User, Depends(require_role(*QA_ROLES))]
Purger = Annotated[User, Depends(require_role(*SUPERVISORS))]
MEDIA_TYPES = {"wav": "audio/wav", "gsm": "audio/x-gsm", "mp3": "audio/mpeg", "ogg": "audio/ogg"}
_RANGE = re.compile(r"bytes=(\d*)-(\d*)")


def _int_or_none(value: str, field: str) -> int | None:
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        raise HTTPException(status_code=422, detail=f"{field} must be a number") from None


@router.get("/qa/recordings", include_in_schema=False)
def recordings_page(request: Request, db: SessionDep, user: Reviewer, lang: Lang, now: Now,
                    cfg: Config, date_from: str = "", date_to: str = "", operator: str = "",
                    queue: str = "", caller: str = "", appeal: str = "") -> Response:
    """Search recordings by date, operator, queue, caller and appeal number."""
    tz = local_zone(request)
    start, end = date_range(date_from, date_to, now.astimezone(tz).date(), 7)
    lo, hi = local_bounds(start, end, tz)
    f = RecordingFilter(date_from=lo, date_to=hi, operator_id=_int_or_none(operator, "operator"),
                        queue=queue.strip(), caller=caller.strip(), appeal_number=appeal.strip())
    try:
        rows = find_recordings(db, f)
        error = None
    except ReviewError as exc:
        rows, error = [], str(exc)
    operators = db.scalars(select(User).where(User.role.in_(("operator", "supervisor")))
                           .order_by(User.full_name, User.username)).all()
    return render(request, "qa_recordings.html", {
        "st": st_for(lang), "rows": rows, "error": error, "operators": operators,
        "q": {"date_from": start.isoformat(), "date_to": end.isoformat(), "operator": operator,
              "queue": queue, "caller": caller, "appeal": appeal},
        "can_purge": user.role in SUPERVISORS, "cfg": cfg, "purged": request.query_params.get(
            "purged")})


@router.get("/qa/recordings/{recording_id}", include_in_schema=False)
def recording_page(request: Request, recording_id: int, db: SessionDep, user: Reviewer,
                   lang: Lang) -> Response:
    """The player beside the transcript, and the scorecard."""
    rec = _recording(db, recording_id)
    text, words = transcript_words(db, rec.id)
    return render(request, "qa_recording.html", {
        "st": st_for(lang), "rec": rec, "text": text, "words": words, "scorecard": SCORECARD,
        "max_total": max_total(), "scores": scores_of(db, rec.id),
        "saved": request.query_params.get("saved"), "error": None})


def _recording(db, recording_id: int):
    try:
        return get_recording(db, recording_id)
    except ReviewError:
        raise HTTPException(status_code=404, detail="recording not found") from None


def _offset(range_header: str | None, size: int, duration: float | None) -> dict[str, object]:
    """Where in the file (bytes and roughly seconds) an audio request starts."""
    detail: dict[str, object] = {"range": (range_header or "")[:100]}
    match = _RANGE.match(range_header or "")
    start = int(match.group(1)) if match and match.group(1) else 0
    detail["offset_bytes"] = start
    if duration and size:
        detail["offset_seconds"] = round(duration * min(start, size) / size, 1)
    return detail


@router.get("/qa/recordings/{recording_id}/audio", include_in_schema=False)
def recording_audio(request: Request, recording_id: int, db: SessionDep, user: Reviewer,
                    download: int = 0) -> Response:
    """The audio file (range requests for seeking); audited before it is served."""
    rec = _recording(db, recording_id)
    if rec.purged_at is not None:
        raise HTTPException(status_code=410, detail="recording purged")
    file = recording_file(rec.path, _recordings_dir(request))
    if not file.is_file():
        log.warning("QA: recording %s file missing at %s", rec.id, file)
        raise HTTPException(status_code=404, detail="recording file missing")
    size = file.stat().st_size
    detail = _offset(request.headers.get("range"), size, rec.duration_seconds)
    action = "recording.download" if download else "recording.play"
    record_access(db, user, rec, action, detail, client_ip(request))
    media = MEDIA_TYPES.get(rec.format, "application/octet-stream")
    if download:
        return FileResponse(file, media_type=media, filename=f"recording-{rec.id}.{rec.format}")
    return FileResponse(file, media_type=media, headers={"Cache-Control": "no-store"})


def _recordings_dir(request: Request) -> Path | None:
    settings = request.app.state.settings
    return getattr(settings, "effective_recordings_dir", None)


@router.post("/qa/recordings/{recording_id}/score", include_in_schema=False)
async def score(request: Request, recording_id: int, db: SessionDep, user: Reviewer,
                lang: Lang) -> Response:
    """Save a scorecard with a comment; errors show the form again."""
    form = await request.form()
    raw = {key: form.get(key) for key, *_ in SCORECARD}
    comment = str(form.get("comment") or "")
    try:
        score_recording(db, recording_id, user, raw, comment, ip=client_ip(request))
    except ReviewError as exc:
        db.rollback()
        rec = _recording(db, recording_id)
        text, words = transcript_words(db, rec.id)
        return render(request, "qa_recording.html", {
            "st": st_for(lang), "rec": rec, "text": text, "words": words,
            "scorecard": SCORECARD, "max_total": max_total(), "scores": scores_of(db, rec.id),
            "saved": None, "error": str(exc), "entered": raw, "comment": comment},
            status_code=422)
    return RedirectResponse(f"/qa/recordings/{recording_id}?saved=1", status_code=303)


@router.post("/qa/retention/purge", include_in_schema=False)
def purge(request: Request, user: Purger, cfg: Config, now: Now) -> Response:
    """Destroy recordings past the retention period now (each one audited)."""
    report = purge_recordings(request.app.state.session_factory, now, cfg.retention_days,
                              recordings_dir=_recordings_dir(request), actor_id=user.id,
                              ip=client_ip(request))
    log.info("retention purge by %s: %s purged, %s failed", user.username, len(report.purged),
             len(report.failed))
    return RedirectResponse(f"/qa/recordings?purged={len(report.purged)}", status_code=303)
