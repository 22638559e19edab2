"""Queues with real SIP, the gaps of the queue work: an operator transfers a citizen to a
state body's own hotline from the directory (out through the carrier trunk to a SIPp UAS
on 127.0.0.2, which plays that hotline), and only directory numbers may be dialled; pauses
made in Asterisk's CLI are written as agent-state events once; a queue whose longest wait
passed its threshold diverts a new caller at once.

Reuses the operators, phones, services and Asterisk of test_queue_calls (module-scoped:
this module gets its own instance, with ``outside_dial`` pointed at the UAS).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select

from agi_scripts.ami_client import ami_session
from appeal_store.models import AgentStateEvent, CallEvent, StateBody
from hotline.asterisk_sandbox import process
from tests.e2e.conftest import free_tcp_port, wait_until
from tests.e2e.sipp import CallScript, finish_call, free_udp_port
from tests.e2e.test_queue_calls import (  # noqa: F401 - module fixtures shared with the queue tests
    PCAP,
    _call,
    _call_row,
    _caller_number,
    _events,
    _kinds,
    _live,
    api,
    db,
    operators,
    phones,
    ready,
    redis_server,
    services,
    star,
)

pytestmark = [pytest.mark.asterisk, pytest.mark.postgres, pytest.mark.timeout(300)]

# The body's hotline answers, waits for the hotline's BYE, and says goodbye.
HOTLINE_UAS = """<?xml version="1.0" encoding="UTF-8"?>
<scenario name="a state body's hotline">
  <recv request="INVITE"/>
  <send><![CDATA[
SIP/2.0 180 Ringing
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0
]]></send>
  <send retrans="500"><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:[local_ip]:[local_port];transport=[transport]>
Content-Type: application/sdp
Content-Length: [len]

v=0
o=body 1 1 IN IP[local_ip_type] [local_ip]
s=-
c=IN IP[media_ip_type] [media_ip]
t=0 0
m=audio [media_port] RTP/AVP 8 101
a=rtpmap:8 PCMA/8000
a=rtpmap:101 telephone-event/8000
]]></send>
  <recv request="ACK"/>
  <recv request="BYE" timeout="90000"/>
  <send><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0
]]></send>
</scenario>
"""


@pytest.fixture(scope="module")
def body_port() -> int:
    return free_udp_port("127.0.0.2")


@pytest.fixture(scope="module")
def qs(e2e_settings, redis_server, tmp_path_factory, body_port):  # noqa: F811
    """This module's own Asterisk instance and services; outside hotlines are dialled
    through the carrier trunk to the UAS on 127.0.0.2:<body_port>."""
    rtp = 24000 + (os.getpid() % 100) * 100
    return e2e_settings.model_copy(update={
        "asterisk_instance": f"qx-{uuid.uuid4().hex[:8]}",
        "var_dir": tmp_path_factory.mktemp("qxvar"), "redis_url": redis_server.url,
        "sip_port": free_udp_port(), "ami_port": free_tcp_port(), "ari_port": free_tcp_port(),
        "agi_port": free_tcp_port(), "console_port": free_tcp_port(),
        "rtp_start": rtp, "rtp_end": rtp + 99,
        "outside_dial": f"PJSIP/carrier/sip:{{number}}@127.0.0.2:{body_port}",
    })


@pytest.fixture(scope="module")
def body(db) -> dict[str, str]:  # noqa: F811
    """A state body with its own hotline number in the directory."""
    tag = uuid.uuid4().hex[:6]
    number = "0800" + str(int(time.time() * 1000) % 10**6).zfill(6)
    with db() as session:
        session.add(StateBody(code=f"body-{tag}", name_uk=f"Гаряча лінія {tag}",
                              name_en=f"Hotline {tag}", kind="central", hotline_number=number))
        session.commit()
    return {"number": number, "name": f"Гаряча лінія {tag}"}


class BodyHotline:
    """SIPp as the body's hotline: answers one call; its message log shows the INVITE."""

    def __init__(self, port: int) -> None:
        self.workdir = Path(tempfile.mkdtemp(prefix="hotline-body-"))
        (self.workdir / "body.xml").write_text(HOTLINE_UAS)
        self.proc = subprocess.Popen(
            [shutil.which("sipp") or "sipp", "-sf", str(self.workdir / "body.xml"),
             "-i", "127.0.0.2", "-p", str(port), "-m", "1", "-nostdin", "-trace_msg",
             "-message_file", str(self.workdir / "messages.log"),
             "-mi", "127.0.0.2", "-mp", str(free_udp_port("127.0.0.2") & ~1)],
            cwd=self.workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def messages(self) -> str:
        path = self.workdir / "messages.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def invites(self) -> list[str]:
        return [line for line in self.messages().splitlines() if line.startswith("INVITE ")]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)


def _channels(settings) -> list[dict[str, str]]:
    """`core show channels concise`: channel, application, data, bridge id, unique id."""
    out = []
    for line in process.run_cli(settings, "core show channels concise").splitlines():
        f = line.split("!")
        if len(f) >= 14:
            out.append({"channel": f[0], "app": f[5], "data": f[6], "bridge": f[12],
                        "uniqueid": f[13]})
    return out


def _bridged_to_body(settings, uniqueid: str, number: str) -> dict | None:
    chans = _channels(settings)
    mine = [c for c in chans if c["uniqueid"] == uniqueid and c["bridge"]
            and c["app"] == "Dial" and f"sip:{number}@" in c["data"]]
    if not mine:
        return None
    peers = [c for c in chans if c["bridge"] == mine[0]["bridge"] and c["uniqueid"] != uniqueid]
    return {"caller": mine[0], "body": peers[0]} if peers else None


def test_transfer_to_a_bodys_hotline_through_the_carrier(star, db, api, phones, ready,  # noqa: F811
                                                         operators, body, body_port):  # noqa: F811
    op1 = operators["op1"]
    listed = api["op1"].get("/api/agents/directory")
    assert listed.status_code == 200 and listed.json()["outside"][body["number"]] == body["name"]

    hotline = BodyHotline(body_port)
    caller_proc = None
    try:
        phones["op1"].answer(talk_ms=40000)
        assert api["op1"].post("/api/agents/me/login",
                               json={"queues": [star.general_queue]}).is_success
        caller = _caller_number()
        caller_proc, workdir = _call(star, caller, CallScript(caller=caller).audio(PCAP, 16000))
        wait_until(lambda: "connect" in _kinds(db, caller), timeout=30, message="the call at op1")

        # no free dialling: a number outside the directory is refused, nothing is dialled
        for number in ("0800999000", "+380441234567", "1545"):
            refused = api["op1"].post("/api/agents/me/transfer", json={
                "mode": "blind", "kind": "outside", "target": number})
            assert refused.status_code == 422, refused.text
        assert hotline.invites() == []

        moved = api["op1"].post("/api/agents/me/transfer", json={
            "mode": "blind", "kind": "outside", "target": body["number"]})
        assert moved.status_code == 200, moved.text
        invite = wait_until(hotline.invites, timeout=20, message="the body's hotline rung")
        assert invite == [f"INVITE sip:{body['number']}@127.0.0.2:{body_port} SIP/2.0"]

        uid = _call_row(db, caller).uniqueid
        bridged = wait_until(lambda: _bridged_to_body(star, uid, body["number"]), timeout=15,
                             message="the citizen bridged to the body's hotline")
        assert bridged["body"]["channel"].startswith("PJSIP/carrier-")
        assert not any(c["channel"].startswith(f"PJSIP/{op1['endpoint']}-")
                       for c in _channels(star))  # the operator's leg has ended

        result = finish_call(caller_proc, workdir)  # the citizen hangs up; the body gets BYE
        caller_proc = None
        assert result.ok, result.errors or result.stderr
        assert hotline.proc.wait(20) == 0, hotline.messages()[-2000:]
        (xfer,) = [e for e in _events(db, caller) if e.kind == "transfer"]
        assert xfer.data["type"] == "blind" and xfer.data["extension"] == "outside"
        assert xfer.agent == op1["endpoint"]
    finally:
        hotline.stop()
        if caller_proc is not None and caller_proc.poll() is None:
            caller_proc.kill()


def _states_since(db, user_id: int, since: dt.datetime) -> list[tuple]:  # noqa: F811
    with db() as session:
        return [(e.state, e.queue, e.reason) for e in session.scalars(
            select(AgentStateEvent).where(AgentStateEvent.user_id == user_id,
                                          AgentStateEvent.at >= since)
            .order_by(AgentStateEvent.at, AgentStateEvent.id))]


def test_cli_pause_member(star, db, api, ready, operators):  # noqa: F811
    """Changes made in Asterisk's CLI are written once by the AMI consumer; the console's
    own login is not doubled by its event."""
    op1 = operators["op1"]
    iface, common = f"PJSIP/{op1['endpoint']}", star.general_queue
    since = dt.datetime.now(dt.UTC)
    assert api["op1"].post("/api/agents/me/login", json={"queues": [common]}).is_success
    process.run_cli(star, f"queue pause member {iface} queue {common} reason lunch")
    wait_until(lambda: _live(star)["agents"].get(op1["endpoint"], {}).get("state") == "paused",
               message="the CLI pause in the live view")
    wait_until(lambda: len(_states_since(db, op1["id"], since)) >= 2, message="the pause row")
    process.run_cli(star, f"queue unpause member {iface} queue {common}")
    process.run_cli(star, f"queue add member {iface} to consult penalty 1 as Op1 "
                          f"state_interface {iface}")
    process.run_cli(star, f"queue pause member {iface} queue consult")
    process.run_cli(star, f"queue remove member {iface} from consult")
    expected = [("login", common, None), ("pause", common, "lunch"), ("unpause", common, None),
                ("login", "consult", None), ("pause", "consult", None),
                ("logout", "consult", None)]
    wait_until(lambda: len(_states_since(db, op1["id"], since)) >= len(expected),
               message="the CLI changes written")
    time.sleep(1.5)  # nothing more arrives (no double of the console's login)
    assert _states_since(db, op1["id"], since) == expected


def _ami(settings, action: dict[str, str]) -> None:
    async def run() -> None:
        async with ami_session(settings) as ami:
            await ami.action(action)
    asyncio.run(run())


def _originate(settings, caller: str, variables: str = "") -> None:
    """A caller that is a Local channel entering [hotline-queue]; nobody answers it, so it
    waits until it is hung up or the originate's 40 s run out."""
    action = {"Action": "Originate", "Channel": "Local/s@hotline-queue", "Timeout": "40000",
              "Application": "Wait", "Data": "1", "Async": "true",
              "CallerID": f"Citizen <{caller}>"}
    if variables:
        action["Variable"] = variables
    _ami(settings, action)


def _hang_up(settings, db, caller: str) -> None:  # noqa: F811
    (enter,) = [e for e in _events(db, caller) if e.kind == "enter"]
    _ami(settings, {"Action": "Hangup", "Channel": enter.data["channel"]})
    wait_until(lambda: "abandon" in _kinds(db, caller), message=f"{caller} gone")


def _overflows_since(db, since: dt.datetime) -> list[CallEvent]:  # noqa: F811
    with db() as session:
        return list(session.scalars(select(CallEvent).where(
            CallEvent.kind == "overflow", CallEvent.at >= since).order_by(CallEvent.at)))


def test_overflow_by_the_queues_longest_wait(star, db, ready):  # noqa: F811
    """The general queue (threshold 8 s, see test_queue_calls._specs) holds a caller with no
    wait limit of its own (one already diverted once, as from another queue); once it waited
    past 8 s, a new caller is diverted at entry (reason longest), not after its own 8 s."""
    since = dt.datetime.now(dt.UTC)
    first, second = _caller_number(), _caller_number()
    started = time.monotonic()
    _originate(star, first, "__HOTLINE_OVERFLOWED=1")
    wait_until(lambda: any(e.kind == "enter" and e.queue == star.general_queue
                           for e in _events(db, first)), message="the first caller waiting")
    time.sleep(3)
    _originate(star, second)  # a new caller 3 s later: the queue is not yet too slow
    wait_until(lambda: len([e for e in _events(db, second) if e.kind == "enter"]) == 1,
               message="the second caller waiting")
    assert _overflows_since(db, since) == []
    _hang_up(star, db, second)
    time.sleep(max(0.0, 10.5 - (time.monotonic() - started)))  # the first has waited > 8 s
    third = _caller_number()
    _originate(star, third)
    over = wait_until(lambda: _overflows_since(db, since), timeout=15,
                      message="the longest-wait overflow")
    (event,) = over
    assert event.data["reason"] == "longest" and event.queue == star.general_queue
    assert event.data["target"] == "consult" and event.data["longest_wait"] >= 9
    assert event.data["waiting"] == 1
    wait_until(lambda: [e.queue for e in _events(db, third) if e.kind == "enter"] == ["consult"],
               message="the third caller in the overflow queue")
    for caller in (first, third):
        _hang_up(star, db, caller)
