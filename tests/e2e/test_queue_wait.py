"""Waiting in a queue with real SIP calls: position and estimated wait announced in the
caller's language (our catalogue prompts, numbers by say.conf), the reminder of the * key,
and * leaving the queue for a call back (a Callback row, a CallEvent "exit" with the place).

The module runs its own Asterisk instance with quick announcements (every 6 s, the * reminder
every 8 s), the FastAGI IVR, the ARI app and the AMI consumer. Five callers run at once: three
Ukrainian ones in the general queue, two English ones in the English queue. app_queue tells
the first caller "you are next" and no wait; with no finished call its estimate is
|holdtime + 30 - waited| / 60 minutes, so the wait is first said to a caller who has waited
90 s: the second caller of each queue waits that long, and the module takes about 110 s.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import signal
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from appeal_store.models import Call, Callback, CallEvent
from hotline.asterisk_sandbox import process, provision
from hotline.bootstrap import queue_specs
from hotline.settings import Settings
from tests.e2e.conftest import ServiceProcess, free_tcp_port, wait_until
from tests.e2e.sipp import CallScript, free_udp_port
from tests.e2e.test_ivr_calls import (
    ALWAYS_OPEN,
    AgiService,
    AsteriskLog,
    LiveCall,
    build_short_prompts,
    factory_of,
    new_caller,
    press,
    with_calendar,
)

pytestmark = [pytest.mark.asterisk, pytest.mark.postgres, pytest.mark.redis,
              pytest.mark.timeout(300)]

ANNOUNCE_S = 6
REMINDER_S = 8
LONG_WAIT_S = 100  # app_queue's first wait estimate comes after 90 s in the queue
_PLAYING = re.compile(r"<(?P<chan>[^>]+)> Playing '(?P<file>[^']+)\.\w+' \(language '(?P<lang>\w+)'\)")


@pytest.fixture(scope="module")
def qw(e2e_settings: Settings, tmp_path_factory) -> Iterator[Settings]:
    """This module's own Asterisk (quick announcements), prompts, IVR, ARI app, AMI consumer."""
    rtp = 28000 + (os.getpid() % 100) * 100
    settings = e2e_settings.model_copy(update={
        "asterisk_instance": f"qw-{uuid.uuid4().hex[:8]}",
        "var_dir": tmp_path_factory.mktemp("qwvar"), "sip_port": free_udp_port(),
        "ami_port": free_tcp_port(), "ari_port": free_tcp_port(), "agi_port": free_tcp_port(),
        "console_port": free_tcp_port(), "rtp_start": rtp, "rtp_end": rtp + 99,
    })
    settings = with_calendar(settings, ALWAYS_OPEN, "open-qw")
    specs = [dataclasses.replace(q, announce_frequency=ANNOUNCE_S,
                                 periodic_announce_frequency=REMINDER_S)
             for q in queue_specs(settings)]
    provision.provision(settings)
    process.start(settings, queues=specs)
    build_short_prompts(settings)
    agi = AgiService(settings).start()
    ari = ServiceProcess(settings, "ari").start()
    ami = ServiceProcess(settings, "ami").start()
    recorder = _recorder(settings)
    try:
        wait_until(lambda: "registered" in ari.log_text(), message="the ARI app registered")
        yield settings
    finally:
        if recorder is not None:
            recorder.save(os.environ["HOTLINE_RECORD_AMI"], "queue_exit_for_callback")
            recorder.close()
        for service in (ami, ari):
            service.kill(signal.SIGTERM)
        agi.stop()
        process.stop(settings)
        if not os.environ.get("HOTLINE_KEEP_E2E"):
            shutil.rmtree(settings.instance_dir, ignore_errors=True)


def _recorder(settings: Settings):
    """Keep the AMI events as a trace for tests/fixtures/ami/ when HOTLINE_RECORD_AMI is set."""
    if not os.environ.get("HOTLINE_RECORD_AMI"):
        return None
    from tests.e2e.test_queue_calls import AmiRecorder

    return AmiRecorder(settings)


def plays(log: AsteriskLog) -> dict[str, list[tuple[str, str]]]:
    """Per channel, the files Asterisk played and the channel's language, in order."""
    out: dict[str, list[tuple[str, str]]] = {}
    for m in _PLAYING.finditer(log.text()):
        out.setdefault(m["chan"], []).append((m["file"], m["lang"]))
    return out


def _said(sequence: list[tuple[str, str]], *files: str) -> bool:
    """True when ``files`` (ends of paths) were played one right after the other."""
    names = [f for f, _ in sequence]
    n = len(files)
    return any(all(names[i + k].endswith(files[k]) for k in range(n))
               for i in range(len(names) - n + 1))


def channels_in(found: dict[str, list[tuple[str, str]]], language: str) -> dict[str, list]:
    """The channels whose language, once the IVR set it, is ``language``; the files they
    played from then on (the language menu is played in the default language, uk)."""
    out = {}
    for chan, seq in found.items():
        if seq and seq[-1][1] == language:
            first = next(i for i in range(len(seq)) if all(lang == language for _, lang in seq[i:]))
            out[chan] = seq[first:]
    return out


def _caller(settings: Settings, caller: str, keys: str, delay_ms: int, wait_ms: int,
            then: str = "", hangup: str = "caller") -> LiveCall:
    """A caller that starts after ``delay_ms``, keys ``keys`` in the IVR (1 Ukrainian /
    2 English, then 0: an operator: the general / the English queue), waits ``wait_ms`` in
    the queue, then keys ``then``."""
    script = press(CallScript(caller=caller, hangup=hangup).pause(1200 + delay_ms), keys)
    script.pause(wait_ms)
    if then:
        press(script, then[0]).pause(3000)
        press(script, then[1:])
    return LiveCall(settings, script)


def test_callers_hear_place_wait_and_star_in_their_language_and_star_asks_for_a_call_back(qw):
    settings = qw
    sounds = settings.effective_prompts_dir
    log = AsteriskLog(settings)
    front_uk, waiting_uk, leaving_uk, front_en, waiting_en = (new_caller() for _ in range(5))
    long_ms = LONG_WAIT_S * 1000
    # In each queue one caller is first ("you are next": no wait estimate is said to the
    # first), the next one waits and hears its place (2) and, after 90 s, the wait.
    calls = [_caller(settings, front_uk, "10", 0, long_ms),
             _caller(settings, front_en, "20", 0, long_ms),
             _caller(settings, waiting_uk, "10", 2500, long_ms),
             _caller(settings, waiting_en, "20", 2500, long_ms)]
    # The third Ukrainian caller hears its place (3) and the * reminder, presses *, confirms
    # the call back with 1; the ARI app ends the call.
    leaver = _caller(settings, leaving_uk, "10", 5000, 16000, then="*1", hangup="remote")
    try:
        leaver.finish()
        wait_until(lambda: _waits_told(plays(log)), timeout=130, interval=2,
                   message="the wait announced in both languages")
    finally:
        for call in calls:
            call.hang_up()

    found = plays(log)
    uk = channels_in(found, "uk")
    en = channels_in(found, "en")
    # Ukrainian: catalogue prompts in the caller's language, numbers from uk/ fragments
    for place in ("num-2", "num-3"):
        assert any(_said(s, "/sounds/queue-position", f"/sounds/uk/{place}",
                         "/sounds/queue-thank-you") for s in uk.values()), (place, uk)
    assert any(_said(s, "/sounds/queue-position-next", "/sounds/queue-thank-you")
               for s in uk.values())
    assert any(_said(s, "/sounds/queue-wait-minutes", "/sounds/uk/num-1") for s in uk.values())
    assert any(_said(s, "/sounds/queue-leave-star") for s in uk.values())
    uk_files = [f for s in uk.values() for f, _ in s]
    assert not [f for f in uk_files if f.startswith("digits/") or "queue-thereare" in f], uk_files
    # English: the same prompts in English, numbers from Asterisk's English digits/
    assert any(_said(s, "/sounds/queue-position", "digits/2", "/sounds/queue-thank-you")
               for s in en.values()), en
    assert any(_said(s, "/sounds/queue-wait-minutes", "digits/1") for s in en.values())
    assert any(_said(s, "/sounds/queue-leave-star") for s in en.values())
    # the prompts named without a language exist in each language's folder
    for name in ("queue-position", "queue-position-next", "queue-wait-minutes",
                 "queue-thank-you", "queue-leave-star"):
        for lang in ("uk", "en"):
            assert (sounds / lang / f"{name}.wav").is_file(), (lang, name)
    assert all((sounds / "uk" / f"num-{n}.wav").is_file() for n in (1, 2, 3))

    # * : the caller left the general queue at place 3 and asked for a call back
    db = factory_of(settings)
    with db() as session:
        call = session.scalars(select(Call).where(Call.caller_number == leaving_uk)).one()
    callback = wait_until(lambda: _callback(db, leaving_uk), timeout=20,
                          message="the call back stored")
    assert callback.queue == settings.general_queue and callback.language == "uk"
    assert callback.call_id == call.id
    exit_row = wait_until(lambda: _exit_event(db, call.uniqueid), timeout=20,
                          message="the exit event written by the AMI consumer")
    assert exit_row.position == 3 and exit_row.queue == settings.general_queue
    assert exit_row.data["reason"] == "callback"
    assert f"leaves queue {settings.general_queue} at 3" in log.text()


def _waits_told(found: dict[str, list[tuple[str, str]]]) -> bool:
    uk, en = channels_in(found, "uk"), channels_in(found, "en")
    return (any(_said(s, "/sounds/queue-wait-minutes", "/sounds/uk/num-1") for s in uk.values())
            and any(_said(s, "/sounds/queue-wait-minutes", "digits/1") for s in en.values()))


def _callback(db, phone: str) -> Callback | None:
    with db() as session:
        return session.scalars(select(Callback).where(Callback.phone == phone)).first()


def _exit_event(db, uniqueid: str) -> CallEvent | None:
    with db() as session:
        return session.scalars(select(CallEvent).where(CallEvent.uniqueid == uniqueid,
                                                       CallEvent.kind == "exit")).first()


def test_unknown_key_in_the_queue_keeps_the_caller_waiting(qw):
    """Only * leaves: another key is ignored and the caller keeps its place."""
    settings = qw
    caller = new_caller()
    script = press(CallScript(caller=caller).pause(1200), "10").pause(6000)
    call = LiveCall(settings, press(script, "5").pause(4000))
    try:
        call.finish()
    finally:
        call.hang_up()
    db = factory_of(settings)
    with db() as session:
        record = session.scalars(select(Call).where(Call.caller_number == caller)).one()
        uid = record.uniqueid
    assert _exit_event(db, uid) is None and _callback(db, caller) is None
    kinds = wait_until(lambda: [e.kind for e in _events(db, uid)] if "abandon" in
                       [e.kind for e in _events(db, uid)] else None, timeout=20,
                       message="the caller's hang-up counted as an abandon")
    assert kinds.count("enter") == 1 and "exit" not in kinds


def _events(db, uniqueid: str) -> list[CallEvent]:
    with db() as session:
        return list(session.scalars(select(CallEvent).where(CallEvent.uniqueid == uniqueid)))
