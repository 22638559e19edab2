"""QA in Chromium: play a recording from the middle beside its transcript; audited."""

from __future__ import annotations

import math
import re
import struct
import wave

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from appeal_store.models import AuditLog, Recording, Transcript, User
from hotline.settings import Settings
from operator_console.app import create_app
from operator_console.testing import add_user, prepare_database
from tests.browser.test_wallboard_browser import log_in, serve

pytestmark = pytest.mark.browser

SECONDS = 30
RATE = 8000
WORDS = [(f"слово{i}", i * 1.5, i * 1.5 + 1.0) for i in range(SECONDS * 2 // 3)]


@pytest.fixture(scope="module")
def qa_console(tmp_path_factory):
    folder = tmp_path_factory.mktemp("qa")
    factory = prepare_database(f"sqlite:///{folder / 'qa.db'}")
    qa_id = add_user(factory, "qa", "qa")
    add_user(factory, "op", "operator")
    wav = folder / "rec" / "call-1.wav"
    wav.parent.mkdir()
    with wave.open(str(wav), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(b"".join(struct.pack("<h", int(6000 * math.sin(i / 7)))
                               for i in range(RATE * SECONDS)))
    with factory() as s:
        rec = Recording(uniqueid="call-1", path="call-1.wav", duration_seconds=SECONDS,
                        size_bytes=wav.stat().st_size)
        s.add(rec)
        s.flush()
        s.add(Transcript(recording_id=rec.id, status="done", text=" ".join(w for w, *_ in WORDS),
                         words=[{"word": w, "start": a, "end": b, "conf": 0.95}
                                for w, a, b in WORDS]))
        s.commit()
        rid = rec.id
    app = create_app(Settings(environment="test", recordings_dir=folder / "rec",
                              redis_url="redis://127.0.0.1:1/0"), session_factory=factory)
    server, thread, base = serve(app)
    try:
        yield base, factory, rid, qa_id
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_qa_plays_from_the_middle_and_the_audit_log_has_it(qa_console, browser):
    base, factory, rid, qa_id = qa_console
    context = browser.new_context(locale="uk-UA")
    page = context.new_page()
    audio_statuses: list[int] = []
    page.on("response", lambda r: audio_statuses.append(r.status) if "/audio" in r.url else None)
    try:
        log_in(page, base, "qa")
        page.goto(f"{base}/qa/recordings/{rid}")
        with factory() as s:  # preload=none: opening the page fetched no audio
            assert s.scalars(select(AuditLog).where(AuditLog.action == "recording.play")).all() == []
        target = WORDS[10]  # starts at 15 s, the middle of the 30 s call
        page.click(f"#transcript .w[data-start='{target[1]}']")  # seek there and play
        page.wait_for_function(f"document.getElementById('player').currentTime > {target[1]}")
        expect(page.locator("#transcript .w.now")).to_have_text(
            re.compile(r"^слово1[01]$"))
        page.wait_for_function(f"document.getElementById('player').currentTime > {target[1] + 1.2}")
        expect(page.locator("#transcript .w.now")).not_to_have_text("слово10")
        with factory() as s:
            plays = s.scalars(select(AuditLog).where(AuditLog.action == "recording.play")).all()
        assert plays and all(a.actor_id == qa_id and a.object_id == str(rid) for a in plays)
        assert set(audio_statuses) <= {200, 206} and audio_statuses
        # the browser's media element asks for ranges; a range from the middle answers 206
        status = page.evaluate("""async (url) => (await fetch(url, {headers: {Range:
            'bytes=240000-'}})).status""", f"{base}/qa/recordings/{rid}/audio")
        assert status == 206
        with factory() as s:
            seek = s.scalars(select(AuditLog).where(AuditLog.action == "recording.play")
                             .order_by(AuditLog.id.desc())).first()
        assert seek.detail["offset_seconds"] == pytest.approx(15, abs=0.1)
    finally:
        context.close()


def test_operator_cannot_open_qa_pages(qa_console, browser):
    base, factory, rid, _ = qa_console
    context = browser.new_context(locale="uk-UA")
    page = context.new_page()
    try:
        log_in(page, base, "op")
        for path in (f"/qa/recordings/{rid}", f"/qa/recordings/{rid}/audio", "/qa/recordings"):
            response = page.goto(base + path)
            assert response is not None and response.status == 403, path
        with factory() as s:
            op = s.scalar(select(User.id).where(User.username == "op"))
            assert s.scalars(select(AuditLog).where(AuditLog.actor_id == op,
                                                    AuditLog.object_type == "recording")).all() == []
    finally:
        context.close()
