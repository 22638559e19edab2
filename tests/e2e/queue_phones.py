"""An operator's phone for end-to-end tests: SIPp registers with digest auth, then a SIPp
UAS on the same address answers the calls Asterisk sends it (with RTP from a pcap).

Example::

    phone = OperatorPhone("op1001", "secret", target="127.0.0.1:5060")
    phone.register()
    phone.answer(talk_ms=4000)     # answers every call; hangs up after 4 s unless the far end does
    ...
    phone.stop()
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from tests.e2e.sipp import PCAP_DIR, _even_port, free_udp_port

REGISTER = """<?xml version="1.0" encoding="UTF-8"?>
<scenario name="operator phone registers">
  <send retrans="500"><![CDATA[
REGISTER sip:[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:{user}@[remote_ip]>;tag=[call_number]
To: <sip:{user}@[remote_ip]>
Call-ID: [call_id]
CSeq: 1 REGISTER
Contact: <sip:{user}@[local_ip]:[local_port]>
Max-Forwards: 70
Expires: {expires}
Content-Length: 0
]]></send>
  <recv response="401" auth="true"/>
  <send retrans="500"><![CDATA[
REGISTER sip:[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:{user}@[remote_ip]>;tag=[call_number]
To: <sip:{user}@[remote_ip]>
Call-ID: [call_id]
CSeq: 2 REGISTER
Contact: <sip:{user}@[local_ip]:[local_port]>
Max-Forwards: 70
Expires: {expires}
[authentication username={user} password={password}]
Content-Length: 0
]]></send>
  <recv response="200"/>
</scenario>
"""

# Answer, talk (RTP from a pcap), then hang up after talk_ms unless the far end hangs up first.
ANSWER = """<?xml version="1.0" encoding="UTF-8"?>
<scenario name="operator phone answers">
  <recv request="INVITE">
    <action>
      <ereg regexp="sip:[^>;]*" search_in="hdr" header="Contact:" check_it="true" assign_to="contact"/>
      <ereg regexp="[^ ].*" search_in="hdr" header="From:" check_it="true" assign_to="fromhdr"/>
      <ereg regexp="[^ ].*" search_in="hdr" header="To:" check_it="true" assign_to="tohdr"/>
    </action>
  </recv>
  <send><![CDATA[
SIP/2.0 180 Ringing
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:{user}@[local_ip]:[local_port]>
Content-Length: 0
]]></send>
  <pause milliseconds="{ring_ms}"/>
  <send retrans="500"><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:{user}@[local_ip]:[local_port]>
Content-Type: application/sdp
Content-Length: [len]

v=0
o=operator 53655765 2353687637 IN IP[local_ip_type] [local_ip]
s=-
c=IN IP[media_ip_type] [media_ip]
t=0 0
m=audio [media_port] RTP/AVP 8 101
a=rtpmap:8 PCMA/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-16
a=ptime:20
a=sendrecv
]]></send>
  <recv request="ACK" crlf="true"/>
  <nop><action><exec play_pcap_audio="{pcap}"/></action></nop>
  <recv request="BYE" timeout="{talk_ms}" ontimeout="hangup"/>
  <send><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0
]]></send>
  <nop next="done"/>
  <label id="hangup"/>
  <send retrans="500"><![CDATA[
BYE [$contact] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: [$tohdr];tag=[pid]SIPpTag01[call_number]
To: [$fromhdr]
Call-ID: [call_id]
CSeq: 2 BYE
Max-Forwards: 70
Content-Length: 0
]]></send>
  <recv response="200" crlf="true"/>
  <label id="done"/>
</scenario>
"""


class OperatorPhone:
    """One operator's phone: register, then answer calls until stopped."""

    def __init__(self, user: str, password: str, *, target: str, local_ip: str = "127.0.0.1") -> None:
        self.user = user
        self.password = password
        self.target = target
        self.local_ip = local_ip
        self.port = free_udp_port(local_ip)
        self.workdir = Path(tempfile.mkdtemp(prefix=f"hotline-phone-{user}-"))
        self.uas: subprocess.Popen | None = None

    def _sipp(self, scenario: str, name: str, *extra: str) -> list[str]:
        sipp = shutil.which("sipp")
        if sipp is None:
            raise RuntimeError("sipp is not installed (Debian package sip-tester)")
        path = self.workdir / f"{name}.xml"
        path.write_text(scenario)
        return [sipp, self.target, "-sf", str(path), "-i", self.local_ip, "-p", str(self.port),
                "-mi", self.local_ip, "-mp", str(_even_port(self.local_ip)), "-nostdin",
                "-trace_err", "-error_file", str(self.workdir / f"{name}-errors.log"), *extra]

    def register(self, expires: int = 600) -> None:
        """REGISTER with digest auth; raises if Asterisk does not accept it."""
        xml = REGISTER.format(user=self.user, password=self.password, expires=expires)
        out = subprocess.run(self._sipp(xml, "register", "-m", "1", "-timeout", "15",
                                        "-timeout_error"),
                             check=False, cwd=self.workdir, capture_output=True, timeout=30)
        if out.returncode != 0:
            raise AssertionError(f"{self.user} did not register: {self.errors('register')}")

    def answer(self, *, talk_ms: int = 4000, ring_ms: int = 300, calls: int = 20) -> OperatorPhone:
        """Answer up to ``calls`` calls in the background."""
        self.stop()
        xml = ANSWER.format(user=self.user, ring_ms=ring_ms, talk_ms=talk_ms,
                            pcap=PCAP_DIR / "g711a.pcap")
        self.uas = subprocess.Popen(
            self._sipp(xml, "answer", "-m", str(calls), "-l", "5"),
            cwd=self.workdir, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
        )
        return self

    def stop(self) -> None:
        if self.uas is not None and self.uas.poll() is None:
            self.uas.send_signal(signal.SIGINT)
            try:
                self.uas.wait(5)
            except subprocess.TimeoutExpired:
                self.uas.kill()
                self.uas.wait(5)
        self.uas = None

    def errors(self, name: str = "answer") -> str:
        path = self.workdir / f"{name}-errors.log"
        return path.read_text(errors="replace") if path.exists() else ""
