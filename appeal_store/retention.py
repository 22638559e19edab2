"""Retention: recordings older than the retention period are destroyed, with a record.

For each recording due: the file is first renamed to a tombstone next to it (reversible),
then ``Recording.purged_at`` and an audit row describing what was destroyed are
committed, and only then is the tombstone deleted. If the commit fails the file is put
back; if the deletion fails the tombstone is left for the next run to remove. So the
record never says "purged" of a file that is still whole, and no file disappears
without its record. The transcript of a purged recording is emptied too (it is the same
personal data in text).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from appeal_store.audit import audit
from appeal_store.models import Recording, Transcript

log = logging.getLogger(__name__)

TOMBSTONE_SUFFIX = ".purging"
DEFAULT_RETENTION_DAYS = 365
BATCH = 200


@dataclass
class PurgeReport:
    """What one purge run did."""

    cutoff: dt.datetime
    purged: list[int] = field(default_factory=list)  # recording ids
    missing_files: list[int] = field(default_factory=list)  # purged; the file was gone already
    failed: dict[int, str] = field(default_factory=dict)  # recording id -> why it was kept


def recording_file(path: str, recordings_dir: Path | None) -> Path:
    """The file of a recording: absolute paths as stored, relative ones under the folder."""
    file = Path(path)
    if file.is_absolute() or recordings_dir is None:
        return file
    return recordings_dir / file


def due_for_purge(session: Session, cutoff: dt.datetime, limit: int = BATCH) -> list[Recording]:
    """Recordings created before ``cutoff`` and not purged yet, oldest first."""
    return list(session.scalars(
        select(Recording)
        .where(Recording.created_at < cutoff, Recording.purged_at.is_(None))
        .order_by(Recording.created_at, Recording.id)
        .limit(limit)
    ))


def purge_recordings(
    factory: sessionmaker[Session],
    now: dt.datetime,
    retention_days: int,
    *,
    recordings_dir: Path | None = None,
    actor_id: int | None = None,
    ip: str | None = None,
    limit: int | None = None,
    unlink: Callable[[Path], None] = lambda p: p.unlink(),
) -> PurgeReport:
    """Destroy every recording older than ``retention_days`` (one commit per recording)."""
    if retention_days < 1:
        raise ValueError("retention_days must be at least 1")
    report = PurgeReport(cutoff=now - dt.timedelta(days=retention_days))
    _settle_tombstones(factory, recordings_dir, unlink)
    done = 0
    while limit is None or done < limit:
        with factory() as session:
            batch = [r for r in due_for_purge(session, report.cutoff)
                     if r.id not in report.failed]
            if not batch:
                break
            for rec in batch:
                if limit is not None and done >= limit:
                    break
                _purge_one(session, rec, now, recordings_dir, actor_id, ip, unlink, report)
                done += 1
        if all(r.id in report.failed for r in batch):
            break
    log.info("retention: %s recordings purged before %s (%s failed)",
             len(report.purged), report.cutoff.isoformat(), len(report.failed))
    return report


def _purge_one(session: Session, rec: Recording, now: dt.datetime, folder: Path | None,
               actor_id: int | None, ip: str | None, unlink: Callable[[Path], None],
               report: PurgeReport) -> None:
    file = recording_file(rec.path, folder)
    tomb = file.with_name(file.name + TOMBSTONE_SUFFIX)
    existed = file.exists()
    try:
        if existed:
            file.rename(tomb)
    except OSError as exc:
        log.warning("retention: recording %s kept, cannot move %s: %s", rec.id, file, exc)
        report.failed[rec.id] = str(exc)
        return
    detail = {
        "path": rec.path, "kind": rec.kind, "created_at": rec.created_at.isoformat(),
        "call_id": rec.call_id, "appeal_id": rec.appeal_id, "size_bytes": rec.size_bytes,
        "sha256": rec.sha256, "file_existed": existed, "cutoff": report.cutoff.isoformat(),
    }
    try:
        rec.purged_at = now
        transcript = session.scalar(select(Transcript).where(Transcript.recording_id == rec.id))
        if transcript is not None:
            transcript.text = ""
            transcript.words = []
            detail["transcript_cleared"] = True
        audit(session, actor_id, "recording.purge", "recording", rec.id, detail, ip, at=now)
        session.commit()
    except SQLAlchemyError as exc:
        session.rollback()
        if existed:
            tomb.rename(file)  # nothing recorded, so nothing destroyed
        log.error("retention: recording %s kept, record not written: %s", rec.id, exc)
        report.failed[rec.id] = str(exc)
        return
    report.purged.append(rec.id)
    if not existed:
        report.missing_files.append(rec.id)
    else:
        try:
            unlink(tomb)
        except OSError as exc:  # recorded as purged; the next run removes the tombstone
            log.warning("retention: tombstone %s left for the next run: %s", tomb, exc)


def _settle_tombstones(factory: sessionmaker[Session], folder: Path | None,
                       unlink: Callable[[Path], None]) -> None:
    """Finish an interrupted run: delete tombstones whose purge was recorded, restore the rest."""
    if folder is None or not folder.is_dir():
        return
    tombs = list(folder.rglob("*" + TOMBSTONE_SUFFIX))
    if not tombs:
        return
    with factory() as session:
        for tomb in tombs:
            original = tomb.with_name(tomb.name.removesuffix(TOMBSTONE_SUFFIX))
            spellings = [str(original), str(original.relative_to(folder))]
            purged = session.scalar(select(Recording.purged_at).where(
                Recording.path.in_(spellings)))
            try:
                if purged is not None:
                    unlink(tomb)
                else:
                    tomb.rename(original)
                    log.warning("retention: restored %s (its purge was never recorded)", original)
            except OSError as exc:
                log.warning("retention: cannot settle tombstone %s: %s", tomb, exc)
