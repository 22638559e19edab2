"""QA on PostgreSQL: find recordings, stream with range requests (206), every access
audited, scorecards, the retention purge with its record, and listening in."""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import struct
import wave

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from appeal_store.calls import upsert_call
from appeal_store.models import Appeal, AuditLog, QAScore, Recording, Transcript, User
from appeal_store.retention import TOMBSTONE_SUFFIX, purge_recordings
from hotline.settings import Settings
from operator_console.app import create_app
from operator_console.testing import add_user, logged_in, prepare_database

pytestmark = pytest.mark.postgres

NOW = dt.datetime(2025, 3, 5, 10, 0, tzinfo=dt.UTC)
RATE = 8000
SECONDS = 4


def make_wav(path, seconds=SECONDS) -> int:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(b"".join(struct.pack("<h", int(8000 * math.sin(i / 10)))
                               for i in range(RATE * seconds)))
    return path.stat().st_size


@pytest.fixture(scope="module")
def rec_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("recordings")


@pytest.fixture(scope="module")
def factory(pg_url, rec_dir):
    f = prepare_database(pg_url)
    ids = {name: add_user(f, name, role) for name, role in (
        ("sup", "supervisor"), ("sup2", "supervisor"), ("op", "operator"), ("op2", "operator"),
        ("qa", "qa"))}
    with f() as s:
        s.execute(User.__table__.update().where(User.username == "sup")
                  .values(sip_endpoint="sup9001"))
        s.execute(User.__table__.update().where(User.username == "op")
                  .values(sip_endpoint="op1001"))
        for uid, queue, caller, op, age_days, number in (
                ("r1", "common", "0671234567", "op", 1, "1545-2025-000001"),
                ("r2", "consult", "0509876543", "op2", 2, None),
                ("old", "common", "0631111111", "op", 400, None)):
            call = upsert_call(s, uid, caller_number=caller, queue=queue)
            size = make_wav(rec_dir / f"{uid}.wav")
            rec = Recording(uniqueid=uid, call_id=call.id, operator_id=ids[op],
                            path=str(rec_dir / f"{uid}.wav"), duration_seconds=SECONDS,
                            size_bytes=size, created_at=NOW - dt.timedelta(days=age_days))
            s.add(rec)
            s.flush()
            s.add(Transcript(recording_id=rec.id, status="done", text="добрий день слухаю вас",
                             words=[{"word": w, "start": i * 0.8, "end": i * 0.8 + 0.6,
                                     "conf": 0.9} for i, w in enumerate(
                                         ["добрий", "день", "слухаю", "вас"])]))
            if number:
                s.add(Appeal(number=number, status="registered", substance="x", call_id=call.id,
                             recording_id=rec.id))
        s.commit()
    return f


@pytest.fixture
def app(factory, rec_dir):
    return create_app(Settings(environment="test", recordings_dir=rec_dir,
                               redis_url="redis://127.0.0.1:1/0"),
                      session_factory=factory, clock=lambda: NOW)


def rec_id(factory, uid: str) -> int:
    with factory() as s:
        return s.scalar(select(Recording.id).where(Recording.uniqueid == uid))


def audits(factory, action: str) -> list[AuditLog]:
    with factory() as s:
        return list(s.scalars(select(AuditLog).where(AuditLog.action == action)
                              .order_by(AuditLog.id)))


def rows_of(page: str) -> set[int]:
    import re

    return {int(m) for m in re.findall(r'data-recording="(\d+)"', page)}


def test_find_recordings_by_each_criterion(app, factory):
    c = logged_in(TestClient(app), "qa")
    r1, r2 = rec_id(factory, "r1"), rec_id(factory, "r2")
    week = {"date_from": "2025-02-27", "date_to": "2025-03-05"}
    assert rows_of(c.get("/qa/recordings", params=week).text) == {r1, r2}
    with factory() as s:
        op2 = s.scalar(select(User.id).where(User.username == "op2"))
    assert rows_of(c.get("/qa/recordings", params=week | {"operator": op2}).text) == {r2}
    assert rows_of(c.get("/qa/recordings", params=week | {"queue": "common"}).text) == {r1}
    assert rows_of(c.get("/qa/recordings", params=week | {"caller": "050 987"}).text) == {r2}
    assert rows_of(c.get("/qa/recordings",
                         params=week | {"appeal": "1545-2025-000001"}).text) == {r1}
    assert rows_of(c.get("/qa/recordings", params={"date_from": "2025-03-04",
                                                   "date_to": "2025-03-04"}).text) == {r1}
    bad = c.get("/qa/recordings", params=week | {"caller": "abc"})
    assert bad.status_code == 200 and "цифри" in bad.text and rows_of(bad.text) == set()


def test_player_page_shows_transcript_words(app, factory):
    page = logged_in(TestClient(app), "qa").get(f"/qa/recordings/{rec_id(factory, 'r1')}")
    assert page.status_code == 200
    assert '<span class="w" data-start="1.6" data-end="2.2">слухаю</span>' in page.text
    assert logged_in(TestClient(app), "qa").get("/qa/recordings/999999").status_code == 404


def test_seeking_is_a_206_range_response_and_audited(app, factory):
    c = logged_in(TestClient(app), "qa")
    rid = rec_id(factory, "r1")
    size = (factory().get(Recording, rid)).size_bytes
    half = size // 2
    r = c.get(f"/qa/recordings/{rid}/audio", headers={"Range": f"bytes={half}-"})
    assert r.status_code == 206
    assert r.headers["content-range"] == f"bytes {half}-{size - 1}/{size}"
    assert len(r.content) == size - half
    assert r.headers["content-type"] == "audio/wav"
    full = c.get(f"/qa/recordings/{rid}/audio")
    assert full.status_code == 200 and len(full.content) == size
    plays = [a for a in audits(factory, "recording.play") if a.object_id == str(rid)]
    assert len(plays) >= 2
    seek = next(a for a in plays if a.detail["offset_bytes"] == half)
    assert seek.detail["offset_seconds"] == pytest.approx(SECONDS / 2, abs=0.1)
    with factory() as s:
        qa_id = s.scalar(select(User.id).where(User.username == "qa"))
    assert seek.actor_id == qa_id and seek.object_type == "recording"


def test_download_is_an_attachment_and_audited(app, factory):
    rid = rec_id(factory, "r2")
    r = logged_in(TestClient(app), "sup").get(f"/qa/recordings/{rid}/audio?download=1")
    assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
    assert [a.object_id for a in audits(factory, "recording.download")] == [str(rid)]


def test_operator_cannot_fetch_audio(app, factory):
    r = logged_in(TestClient(app), "op").get(f"/qa/recordings/{rec_id(factory, 'r1')}/audio")
    assert r.status_code == 403


def test_scorecard_refuses_bad_scores_and_saves_good_ones(app, factory):
    c = logged_in(TestClient(app), "qa")
    rid = rec_id(factory, "r2")
    good = {"greeting": "2", "identification": "3", "substance": "4", "accuracy": "5",
            "courtesy": "3", "closing": "1", "comment": "Не назвала термін розгляду."}
    bad = c.post(f"/qa/recordings/{rid}/score", data=good | {"greeting": "7"})
    assert bad.status_code == 422 and "0..2" in bad.text
    missing = c.post(f"/qa/recordings/{rid}/score", data={"comment": "x"})
    assert missing.status_code == 422
    with factory() as s:
        assert s.scalars(select(QAScore).where(QAScore.recording_id == rid)).all() == []
    ok = c.post(f"/qa/recordings/{rid}/score", data=good, follow_redirects=False)
    assert ok.status_code == 303
    with factory() as s:
        score = s.scalars(select(QAScore).where(QAScore.recording_id == rid)).one()
    assert score.scores["substance"] == 4 and score.comment == good["comment"]
    assert audits(factory, "qa.score")[-1].detail["total"] == 18
    page = c.get(f"/qa/recordings/{rid}?saved=1").text
    assert "18 / 20" in page and "Не назвала термін" in page


def test_retention_purge_destroys_old_recordings_with_a_record(app, factory, rec_dir):
    assert logged_in(TestClient(app), "qa").post("/qa/retention/purge").status_code == 403
    sup = logged_in(TestClient(app), "sup")
    r = sup.post("/qa/retention/purge", follow_redirects=False)
    assert r.status_code == 303 and "purged=1" in r.headers["location"]
    old = rec_id(factory, "old")
    assert not (rec_dir / "old.wav").exists()
    assert (rec_dir / "r1.wav").exists() and (rec_dir / "r2.wav").exists()
    assert not list(rec_dir.glob("*" + TOMBSTONE_SUFFIX))
    with factory() as s:
        rec = s.get(Recording, old)
        assert rec.purged_at == NOW
        tr = s.scalar(select(Transcript).where(Transcript.recording_id == old))
        assert tr.text == "" and tr.words == []
    record = audits(factory, "recording.purge")
    assert [a.object_id for a in record] == [str(old)]
    assert record[0].detail["path"].endswith("old.wav") and record[0].detail["file_existed"]
    assert sup.get(f"/qa/recordings/{old}/audio").status_code == 410
    # a second run finds nothing more to do
    again = purge_recordings(factory, NOW, 365, recordings_dir=rec_dir)
    assert again.purged == [] and again.failed == {}


def test_interrupted_purge_is_settled_on_the_next_run(factory, rec_dir):
    """A tombstone whose purge was never recorded is put back, not deleted."""
    (rec_dir / "r2.wav").rename(rec_dir / ("r2.wav" + TOMBSTONE_SUFFIX))
    report = purge_recordings(factory, NOW, 365, recordings_dir=rec_dir)
    assert (rec_dir / "r2.wav").exists() and report.purged == []


def test_failing_delete_keeps_the_record_and_leaves_a_tombstone(factory, rec_dir):
    def refuse(path):
        raise PermissionError("read-only")

    report = purge_recordings(factory, NOW + dt.timedelta(days=2), 1, recordings_dir=rec_dir,
                              unlink=refuse)
    r1 = rec_id(factory, "r1")
    assert r1 in report.purged
    assert (rec_dir / ("r1.wav" + TOMBSTONE_SUFFIX)).exists()
    purge_recordings(factory, NOW + dt.timedelta(days=2), 1, recordings_dir=rec_dir)
    assert not list(rec_dir.glob("*" + TOMBSTONE_SUFFIX))


class FakeAmi:
    """Records the actions sent; fails when told to."""

    def __init__(self, fail: Exception | None = None) -> None:
        self.actions: list[dict] = []
        self.fail = fail

    async def action(self, action, **kwargs):
        if self.fail:
            raise self.fail
        self.actions.append(action)
        return {"Response": "Success", "Message": "Originate successfully queued"}


def with_ami(app, ami: FakeAmi):
    @contextlib.asynccontextmanager
    async def session(settings):
        yield ami

    app.state.ami_session = session
    return app


def test_supervisor_listens_in_from_own_phone_and_it_is_audited(app, factory):
    ami = FakeAmi()
    c = logged_in(TestClient(with_ami(app, ami)), "sup")
    page = c.get("/supervisor/listen")
    assert page.status_code == 200 and "op1001" in page.text
    r = c.post("/supervisor/listen", data={"operator": "op1001", "mode": "whisper"})
    assert r.status_code == 200 and 'id="listen-result"' in r.text
    assert ami.actions == [{
        "Action": "Originate", "Channel": "PJSIP/sup9001", "Application": "ChanSpy",
        "Data": "PJSIP/op1001-,qwE", "CallerID": '"whisper op1001" <op1001>',
        "Timeout": "30000", "Async": "true", "Variable": "HOTLINE_LISTEN_MODE=whisper"}]
    entry = audits(factory, "listen.whisper")[-1]
    assert entry.object_id == "op1001" and entry.detail["supervisor_endpoint"] == "sup9001"


def test_listen_in_refusals_are_audited(app, factory):
    from agi_scripts.ami_client import AmiError

    c = logged_in(TestClient(with_ami(app, FakeAmi())), "sup2")  # no phone of their own
    r = c.post("/supervisor/listen", data={"operator": "op1001", "mode": "spy"})
    assert r.status_code == 400 and 'id="no-phone"' in r.text
    c = logged_in(TestClient(with_ami(app, FakeAmi(AmiError("Originate", "no such")))), "sup")
    r = c.post("/supervisor/listen", data={"operator": "op1001", "mode": "barge"})
    assert r.status_code == 400 and "no such" in r.text
    bad_mode = c.post("/supervisor/listen", data={"operator": "op1001", "mode": "shout"})
    assert bad_mode.status_code == 400
    refused = audits(factory, "listen.refused")
    assert len(refused) == 3 and refused[0].detail["supervisor_endpoint"] is None
    op = logged_in(TestClient(app), "op")
    assert op.post("/supervisor/listen", data={"operator": "op1001"}).status_code == 403
