"""Real SIP calls through the Stasis (ARI) app: a voice appeal recorded to a WAV of the
right length, and a call back stored, dialled (busy first, then answered) and recorded
attempt by attempt. (ARI app not registered → general queue: test_ivr_calls' after-hours
test, which runs without the app.)"""

from __future__ import annotations

import shutil
import signal
import subprocess
import tempfile
import wave
from pathlib import Path

import pytest
from sqlalchemy import func, select

from appeal_store.models import Callback, CallbackAttempt, Recording
from hotline.asterisk_sandbox.process import run_cli
from hotline.settings import Settings
from tests.e2e.conftest import ServiceProcess, wait_until
from tests.e2e.sipp import PCAP_DIR, CallScript, free_udp_port
from tests.e2e.test_ivr_calls import (  # noqa: F401 - fixtures shared with the IVR tests
    ALWAYS_OPEN,
    AgiService,
    AsteriskLog,
    LiveCall,
    call_of,
    factory_of,
    new_caller,
    press,
    prompts,
    queue_callers,
    with_calendar,
)

pytestmark = [pytest.mark.asterisk, pytest.mark.postgres, pytest.mark.redis]

SPEECH = PCAP_DIR / "g711a.pcap"  # 7.05 s of PCMA speech
SPEECH_SECONDS = 7.05
FREE_MEMBER = "Local/done@hotline-route"  # an always-free queue member (hangs up when rung)


@pytest.fixture(scope="module")
def citizen_port() -> int:
    return free_udp_port("127.0.0.2")


@pytest.fixture(scope="module")
def stasis(asterisk: Settings, prompts: Path, citizen_port: int):  # noqa: F811
    """FastAGI (always open) and the ARI app, with quick call-back retries."""
    settings = with_calendar(asterisk, ALWAYS_OPEN, "open-ari").model_copy(update={
        "callback_dial": f"PJSIP/carrier/sip:{{number}}@127.0.0.2:{citizen_port}",
        "callback_retry_seconds": 1, "callback_max_attempts": 3,
    })
    agi = AgiService(settings).start()
    ari = ServiceProcess(settings, "ari").start()
    wait_until(lambda: "registered" in ari.log_text(), message="the ARI app registered")
    yield settings
    ari.kill(signal.SIGTERM)
    agi.stop()


def test_voice_appeal_is_recorded_indexed_and_queued(stasis):
    settings = stasis
    caller = new_caller()
    script = press(CallScript(caller=caller, hangup="remote").pause(1200), "14").pause(1500)
    script.audio(SPEECH, int(SPEECH_SECONDS * 1000) + 200)
    press(script, "#", 9000)  # end of the message; then it is played back
    press(script, "2", 1000)  # save
    call = LiveCall(settings, script)
    call.finish()
    record = wait_until(lambda: (c := call_of(settings, caller)) and c.status == "voicemail"
                        and c, timeout=20, message="the call marked as a voice appeal")
    path = settings.effective_recordings_dir / "voice" / f"{record.uniqueid}.wav"
    wait_until(path.exists, timeout=20, message="the voice appeal's WAV")
    with wave.open(str(path)) as wav:
        seconds = wav.getnframes() / wav.getframerate()
    # the beep starts the recording just before the speech; # stops it right after
    assert SPEECH_SECONDS - 1.5 <= seconds <= SPEECH_SECONDS + 1.5, seconds
    with factory_of(settings)() as session:
        rec = session.scalar(select(Recording).where(Recording.path == str(path)))
    assert rec is not None and rec.kind == "voice_appeal" and rec.call_id == record.id


def _uas(scenario: str, port: int) -> subprocess.Popen:
    """SIPp as the citizen's phone on 127.0.0.2:<port>: answers (or refuses) one call."""
    workdir = Path(tempfile.mkdtemp(prefix="hotline-uas-"))
    (workdir / "uas.xml").write_text(scenario)
    return subprocess.Popen(
        [shutil.which("sipp") or "sipp", "-sf", str(workdir / "uas.xml"), "-i", "127.0.0.2",
         "-p", str(port), "-m", "1", "-nostdin", "-timeout", "60", "-timeout_error",
         "-mi", "127.0.0.2", "-mp", str(free_udp_port("127.0.0.2") & ~1)],
        cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


REPLY = """  <send><![CDATA[
SIP/2.0 {code}
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:[local_ip]:[local_port];transport=[transport]>
{extra}Content-Length: [len]
{body}]]></send>
"""
SDP = """Content-Type: application/sdp
""", """
v=0
o=citizen 1 1 IN IP[local_ip_type] [local_ip]
s=-
c=IN IP[media_ip_type] [media_ip]
t=0 0
m=audio [media_port] RTP/AVP 8 101
a=rtpmap:8 PCMA/8000
a=rtpmap:101 telephone-event/8000
"""
BUSY_UAS = ('<?xml version="1.0"?><scenario name="busy">\n  <recv request="INVITE"/>\n'
            + REPLY.format(code="486 Busy Here", extra="", body="")
            + '  <recv request="ACK"/>\n</scenario>\n')
ANSWER_UAS = ('<?xml version="1.0"?><scenario name="answer">\n  <recv request="INVITE"/>\n'
              + REPLY.format(code="200 OK", extra=SDP[0], body=SDP[1])
              + '  <recv request="ACK"/>\n  <pause milliseconds="4000"/>\n'
              + '  <recv request="BYE" optional="true" timeout="1000"/>\n</scenario>\n')


def _attempts(settings: Settings, callback_id: int) -> list[str]:
    with factory_of(settings)() as session:
        return list(session.scalars(select(CallbackAttempt.outcome)
                                    .where(CallbackAttempt.callback_id == callback_id)
                                    .order_by(CallbackAttempt.id)))


def _callback_of(settings: Settings, phone: str) -> Callback | None:
    with factory_of(settings)() as session:
        return session.scalar(select(Callback).where(Callback.phone == phone))


def test_callback_is_stored_then_dialled_until_answered(stasis, citizen_port):
    settings = stasis
    caller = new_caller()
    log = AsteriskLog(settings)
    # no operator is free yet: the request is stored and waits
    script = press(CallScript(caller=caller, hangup="remote").pause(1200), "25").pause(800)
    press(script, "1", 300)  # confirm the number; the hotline then hangs up
    LiveCall(settings, script).finish()
    callback = wait_until(lambda: _callback_of(settings, caller), timeout=15,
                          message="the stored call back")
    assert callback.status == "pending" and callback.language == "en"
    assert callback.queue == settings.general_queue
    assert log.played("en/callback-registered")
    busy = _uas(BUSY_UAS, citizen_port)
    run_cli(settings, f"queue add member {FREE_MEMBER} to {settings.general_queue}")
    try:
        wait_until(lambda: _attempts(settings, callback.id)[:1] == ["busy"], timeout=30,
                   message="a first dial refused as busy")
        busy.wait(10)
        answer = _uas(ANSWER_UAS, citizen_port)
        wait_until(lambda: "answered" in _attempts(settings, callback.id), timeout=30,
                   message="the citizen answering the call back")
        answer.wait(30)
    finally:
        run_cli(settings, f"queue remove member {FREE_MEMBER} from {settings.general_queue}")
        for proc in (busy, locals().get("answer")):
            if proc is not None and proc.poll() is None:
                proc.kill()
    assert _attempts(settings, callback.id) == ["busy", "answered"]
    assert _callback_of(settings, caller).status == "done"
    # the answered citizen was handed from the app to the queue (English announcements)
    assert "Executing [s@hotline-queue:" in log.text() and "(language 'en')" in log.text()


def _callback_count(settings: Settings) -> int:
    with factory_of(settings)() as session:
        return session.scalar(select(func.count()).select_from(Callback))


def test_anonymous_caller_leaving_the_queue_for_a_call_back_returns_to_the_general_queue(stasis):
    """Withheld number: * in the queue reaches the app's call-back request, which says the
    number is unknown, stores nothing and puts the caller back in the general queue."""
    settings = stasis
    log = AsteriskLog(settings)
    before = _callback_count(settings)
    # Ukrainian, 0: the general queue; after the recording notice, * asks for a call back
    script = press(CallScript(caller="anonymous").pause(1200), "10").pause(6000)
    call = LiveCall(settings, press(script, "*").pause(15000))
    try:
        wait_until(lambda: log.played("uk/callback-no-number"), timeout=30,
                   message="the app saying the number is unknown")
        wait_until(lambda: "hotline-queue-exit" in log.text(), timeout=5,
                   message="the * exit from the queue")
        wait_until(lambda: queue_callers(settings, settings.general_queue), timeout=20,
                   message="the caller back in the general queue")
        assert log.played("uk/connecting-operator")
    finally:
        call.hang_up()
    assert _callback_count(settings) == before
    with factory_of(settings)() as session:
        assert session.scalars(select(Callback).where(
            Callback.phone.in_(("", "anonymous")))).first() is None
