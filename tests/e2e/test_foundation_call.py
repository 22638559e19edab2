"""A real SIP call with RTP to 1545: the DTMF digit reaches the FastAGI server and the
database; with the FastAGI server dead (before or during the call) the caller still
reaches the general queue."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from appeal_store.db import make_engine, make_session_factory
from appeal_store.models import Call, CallEvent
from hotline.asterisk_sandbox.process import run_cli
from tests.e2e.conftest import wait_until
from tests.e2e.sipp import CallScript, finish_call, place_call, start_call

pytestmark = [pytest.mark.asterisk, pytest.mark.postgres]


def _target(settings) -> str:
    return f"{settings.sip_host}:{settings.sip_port}"


def _calls_from(settings, caller: str) -> list[Call]:
    factory = make_session_factory(make_engine(settings.database_url))
    with factory() as session:
        return list(session.scalars(select(Call).where(Call.caller_number == caller)))


def _events(settings, uniqueid: str) -> list[CallEvent]:
    factory = make_session_factory(make_engine(settings.database_url))
    with factory() as session:
        return list(session.scalars(select(CallEvent).where(CallEvent.uniqueid == uniqueid)))


def _queue_callers(settings, queue: str | None = None) -> int:
    out = run_cli(settings, f"queue show {queue or settings.general_queue}")
    return sum(1 for line in out.splitlines() if "(wait:" in line)


def test_dtmf_digit_reaches_the_database(asterisk, agi_server):
    caller = "380501112233"
    script = CallScript(caller=caller).pause(1500).dtmf("7").pause(2500)
    result = place_call(script, target=_target(asterisk), number=asterisk.hotline_number)
    assert result.ok, result.errors or result.stderr

    calls = wait_until(lambda: _calls_from(asterisk, caller), message="the call's record")
    call = calls[0]
    assert call.called_number == asterisk.hotline_number
    assert any(step.get("digits") == "7" for step in call.ivr_path if isinstance(step, dict)), call.ivr_path
    kinds = [e.kind for e in _events(asterisk, call.uniqueid)]
    assert "ivr_input" in kinds


def test_agi_server_down_sends_caller_to_general_queue(asterisk):
    # no FastAGI server runs: AGI() fails at once with AGISTATUS=FAILURE
    script = CallScript(caller="380671234567").pause(6000)
    proc, workdir = start_call(script, target=_target(asterisk), number=asterisk.hotline_number)
    try:
        wait_until(lambda: _queue_callers(asterisk) >= 1, timeout=15, message="a caller in the general queue")
    finally:
        result = finish_call(proc, workdir)
    assert result.ok, result.errors or result.stderr


def test_agi_server_killed_mid_call_keeps_the_caller(asterisk, agi_server):
    caller = "380939876543"
    # the caller keys nothing for a while: the IVR is inside GET DATA when it dies
    script = CallScript(caller=caller).pause(8000)
    proc, workdir = start_call(script, target=_target(asterisk), number=asterisk.hotline_number)
    try:
        wait_until(lambda: _calls_from(asterisk, caller), message="the IVR to pick up the call")
        agi_server.kill()  # SIGKILL: no goodbye to Asterisk
        wait_until(lambda: _queue_callers(asterisk) >= 1, timeout=15, message="a caller in the general queue")
    finally:
        result = finish_call(proc, workdir)
    assert result.ok, result.errors or result.stderr
