"""QA review of recordings: find them, score them on a scorecard, audit every access."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, aliased

from appeal_store.audit import audit
from appeal_store.models import Appeal, Call, QAScore, Recording, Transcript, User

# key, Ukrainian, English, most points
SCORECARD: tuple[tuple[str, str, str, int], ...] = (
    ("greeting", "Привітання й представлення", "Greeting and introduction", 2),
    ("identification", "Встановлено ПІБ і адресу заявника", "Applicant's name and address taken", 3),
    ("substance", "Суть звернення з'ясовано повно", "Substance of the appeal fully understood", 5),
    ("accuracy", "Правильна інформація й маршрутизація", "Correct information and routing", 5),
    ("courtesy", "Ввічливість, мова, без перебивань", "Courtesy, language, no interrupting", 3),
    ("closing", "Номер звернення й термін повідомлено", "Appeal number and deadline told", 2),
)
MAX_COMMENT = 4000


class ReviewError(ValueError):
    """A QA request that cannot be carried out (with a message for people)."""


@dataclass(frozen=True)
class RecordingFilter:
    """What QA looks for; empty fields do not filter."""

    date_from: dt.datetime | None = None
    date_to: dt.datetime | None = None  # exclusive
    operator_id: int | None = None
    queue: str = ""
    caller: str = ""
    appeal_number: str = ""
    include_purged: bool = False


@dataclass(frozen=True)
class RecordingRow:
    """One line of the QA search result."""

    recording: Recording
    caller: str | None
    queue: str | None
    operator: str | None
    appeal_id: int | None
    appeal_number: str | None
    scored: bool


def find_recordings(session: Session, f: RecordingFilter, limit: int = 100) -> list[RecordingRow]:
    """Recordings matching ``f``, newest first."""
    operator = aliased(User)
    appeal = aliased(Appeal)
    stmt = (
        select(Recording, Call.caller_number, Call.queue, operator.full_name, operator.username,
               appeal.id, appeal.number)
        .outerjoin(Call, Call.id == Recording.call_id)
        .outerjoin(operator, operator.id == Recording.operator_id)
        .outerjoin(appeal, or_(appeal.id == Recording.appeal_id, appeal.recording_id == Recording.id))
    )
    if not f.include_purged:
        stmt = stmt.where(Recording.purged_at.is_(None))
    if f.date_from is not None:
        stmt = stmt.where(Recording.created_at >= f.date_from)
    if f.date_to is not None:
        stmt = stmt.where(Recording.created_at < f.date_to)
    if f.operator_id is not None:
        stmt = stmt.where(Recording.operator_id == f.operator_id)
    if f.queue:
        stmt = stmt.where(Call.queue == f.queue)
    if f.caller:
        digits = "".join(ch for ch in f.caller if ch.isdigit())
        if not digits:
            raise ReviewError("номер абонента має містити цифри / the caller number needs digits")
        stmt = stmt.where(Call.caller_number.contains(digits))
    if f.appeal_number:
        stmt = stmt.where(appeal.number == f.appeal_number.strip())
    stmt = stmt.order_by(Recording.created_at.desc(), Recording.id.desc()).limit(limit * 2)
    rows: list[RecordingRow] = []
    seen: set[int] = set()
    scored = set(session.scalars(select(QAScore.recording_id).distinct()))
    for rec, caller, queue, op_name, op_user, appeal_id, number in session.execute(stmt):
        if rec.id in seen:  # one line per recording even if two appeals point at it
            continue
        seen.add(rec.id)
        rows.append(RecordingRow(rec, caller, queue, op_name or op_user, appeal_id, number,
                                 rec.id in scored))
        if len(rows) >= limit:
            break
    return rows


def get_recording(session: Session, recording_id: int) -> Recording:
    """The recording, or :class:`ReviewError` if it is unknown."""
    rec = session.get(Recording, recording_id)
    if rec is None:
        raise ReviewError("запис не знайдено / recording not found")
    return rec


def transcript_words(session: Session, recording_id: int) -> tuple[str, list[dict[str, Any]]]:
    """The transcript text and its words (word, start, end, conf), cleaned for the page."""
    tr = session.scalar(select(Transcript).where(Transcript.recording_id == recording_id))
    if tr is None:
        return "", []
    words = []
    for w in tr.words or []:
        try:
            words.append({"word": str(w["word"]), "start": float(w["start"]),
                          "end": float(w["end"]), "conf": float(w.get("conf", 1.0))})
        except (KeyError, TypeError, ValueError):
            continue  # a malformed word is skipped, not fatal to the page
    return tr.text or "", words


def validate_scores(raw: dict[str, Any]) -> dict[str, int]:
    """Scores for each scorecard line, each an integer in 0..max."""
    out: dict[str, int] = {}
    unknown = set(raw) - {key for key, *_ in SCORECARD}
    if unknown:
        raise ReviewError(f"невідомі пункти / unknown criteria: {', '.join(sorted(unknown))}")
    for key, _uk, _en, most in SCORECARD:
        value = raw.get(key)
        if value is None or value == "":
            raise ReviewError(f"оцініть пункт / score the criterion: {key}")
        try:
            points = int(value)
        except (TypeError, ValueError):
            raise ReviewError(f"бал має бути числом / a score must be a number: {key}") from None
        if not 0 <= points <= most:
            raise ReviewError(f"бал поза межами 0..{most} / score out of 0..{most}: {key}")
        out[key] = points
    return out


def score_recording(session: Session, recording_id: int, reviewer: User, raw: dict[str, Any],
                    comment: str, *, ip: str | None = None,
                    now: dt.datetime | None = None) -> QAScore:
    """Save a reviewer's scorecard of a recording (audited) and commit."""
    rec = get_recording(session, recording_id)
    scores = validate_scores(raw)
    comment = (comment or "").strip()
    if len(comment) > MAX_COMMENT:
        raise ReviewError(f"коментар задовгий / comment longer than {MAX_COMMENT}")
    row = QAScore(recording_id=rec.id, reviewer_id=reviewer.id, scores=scores, comment=comment,
                  at=now or dt.datetime.now(dt.UTC))
    session.add(row)
    session.flush()
    audit(session, reviewer.id, "qa.score", "recording", rec.id,
          {"qa_score_id": row.id, "total": total(scores)}, ip, at=row.at)
    session.commit()
    return row


def total(scores: dict[str, int]) -> int:
    return sum(scores.values())


def max_total() -> int:
    return sum(most for *_x, most in SCORECARD)


def scores_of(session: Session, recording_id: int) -> list[tuple[QAScore, str | None]]:
    """Earlier scorecards of a recording with their reviewers' names, newest first."""
    return [(s, name) for s, name in session.execute(
        select(QAScore, User.username).outerjoin(User, User.id == QAScore.reviewer_id)
        .where(QAScore.recording_id == recording_id).order_by(QAScore.at.desc()))]


def record_access(session: Session, user: User, rec: Recording, action: str,
                  detail: dict[str, Any], ip: str | None) -> None:
    """Audit one playback, seek or download of a recording and commit it before serving."""
    audit(session, user.id, action, "recording", rec.id, detail, ip)
    session.commit()
