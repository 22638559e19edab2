"""Real SIP calls for end-to-end tests: SIPp scenarios built from a list of steps.

A carrier call is an INVITE with PCMA/PCMU and RFC 4733 telephone-events, then steps:
``pause(ms)``, ``dtmf("123#")`` (RTP events from the pcaps SIPp ships), ``audio(pcap)``
(RTP voice), then BYE. SIPp runs as a subprocess bound to the carrier's loopback address.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

PCAP_DIR = Path(os.environ.get("HOTLINE_SIPP_PCAPS", "/usr/share/sip-tester"))
DIGIT_NAMES = {"#": "pound", "*": "star"}
DTMF_GAP_MS = 600  # one pcap lasts ~0.25 s; leave room for the next digit


def dtmf_pcap(digit: str) -> Path:
    name = DIGIT_NAMES.get(digit, digit)
    path = PCAP_DIR / f"dtmf_2833_{name}.pcap"
    if not path.exists():
        raise ValueError(f"no RFC 4733 pcap for digit {digit!r}")
    return path


HEADER = """<?xml version="1.0" encoding="UTF-8"?>
<scenario name="hotline carrier call">
  <send retrans="500"><![CDATA[
INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: "{display}" <sip:{caller}@[local_ip]:[local_port]>;tag=[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: 1 INVITE
Contact: sip:{caller}@[local_ip]:[local_port]
Max-Forwards: 70
Content-Type: application/sdp
Content-Length: [len]

v=0
o=carrier 53655765 2353687637 IN IP[local_ip_type] [local_ip]
s=-
c=IN IP[media_ip_type] [media_ip]
t=0 0
m=audio [media_port] RTP/AVP 8 0 101
a=rtpmap:8 PCMA/8000
a=rtpmap:0 PCMU/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-16
a=ptime:20
a=sendrecv
]]></send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="183" optional="true"/>
  <recv response="200" rtd="true"/>
  <send><![CDATA[
ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: "{display}" <sip:{caller}@[local_ip]:[local_port]>;tag=[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
Call-ID: [call_id]
CSeq: 1 ACK
Contact: sip:{caller}@[local_ip]:[local_port]
Max-Forwards: 70
Content-Length: 0
]]></send>
"""

BYE = """  <send retrans="500"><![CDATA[
BYE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: "{display}" <sip:{caller}@[local_ip]:[local_port]>;tag=[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
Call-ID: [call_id]
CSeq: 2 BYE
Contact: sip:{caller}@[local_ip]:[local_port]
Max-Forwards: 70
Content-Length: 0
]]></send>
  <recv response="200" crlf="true"/>
"""

# The far end hangs up first: answer its BYE.
RECV_BYE = """  <recv request="BYE" timeout="{timeout}"/>
  <send><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0
]]></send>
"""

FOOTER = "</scenario>\n"


def _xml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


@dataclass
class CallScript:
    """Steps of one carrier call, turned into a SIPp scenario."""

    caller: str = "380441234567"
    display: str = "Citizen"
    steps: list[str] = field(default_factory=list)
    hangup: str = "caller"  # or "remote" (wait for the hotline's BYE)
    remote_bye_timeout_ms: int = 60000

    def pause(self, ms: int) -> CallScript:
        self.steps.append(f'  <pause milliseconds="{int(ms)}"/>\n')
        return self

    def dtmf(self, digits: str, gap_ms: int = DTMF_GAP_MS) -> CallScript:
        for digit in digits:
            pcap = dtmf_pcap(digit)
            self.steps.append(f'  <nop><action><exec play_pcap_audio="{pcap}"/></action></nop>\n')
            self.pause(gap_ms)
        return self

    def audio(self, pcap: Path, ms: int) -> CallScript:
        self.steps.append(f'  <nop><action><exec play_pcap_audio="{pcap}"/></action></nop>\n')
        return self.pause(ms)

    def xml(self) -> str:
        fmt = {"caller": _xml_escape(self.caller), "display": _xml_escape(self.display)}
        end = (
            BYE.format(**fmt)
            if self.hangup == "caller"
            else RECV_BYE.format(timeout=self.remote_bye_timeout_ms)
        )
        return HEADER.format(**fmt) + "".join(self.steps) + end + FOOTER


def free_udp_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


@dataclass
class SippResult:
    returncode: int
    stdout: str
    stderr: str
    errors: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0


def sipp_command(
    script: CallScript, scenario: Path, *, target: str, number: str, local_ip: str, workdir: Path
) -> list[str]:
    sipp = shutil.which("sipp")
    if sipp is None:
        raise RuntimeError("sipp is not installed (Debian package sip-tester)")
    return [
        sipp, target, "-sf", str(scenario), "-s", number, "-i", local_ip,
        "-p", str(free_udp_port(local_ip)), "-mi", local_ip, "-mp", str(_even_port(local_ip)),
        "-m", "1", "-l", "1", "-nostdin", "-trace_err",
        "-error_file", str(workdir / "errors.log"), "-timeout", "120", "-timeout_error",
    ]


def _even_port(host: str) -> int:
    for _ in range(50):
        port = free_udp_port(host)
        if port % 2 == 0 and port < 65000:
            return port
    return 40000


def start_call(
    script: CallScript, *, target: str, number: str, local_ip: str = "127.0.0.2"
) -> tuple[subprocess.Popen, Path]:
    """Start SIPp for *script* in the background; returns the process and its folder."""
    workdir = Path(tempfile.mkdtemp(prefix="hotline-sipp-"))
    scenario = workdir / "scenario.xml"
    scenario.write_text(script.xml())
    cmd = sipp_command(script, scenario, target=target, number=number, local_ip=local_ip, workdir=workdir)
    proc = subprocess.Popen(
        cmd, cwd=workdir, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL
    )
    return proc, workdir


def finish_call(proc: subprocess.Popen, workdir: Path, timeout: float = 150) -> SippResult:
    out, err = proc.communicate(timeout=timeout)
    errors_file = workdir / "errors.log"
    errors = errors_file.read_text(errors="replace") if errors_file.exists() else ""
    return SippResult(proc.returncode, out.decode(errors="replace"), err.decode(errors="replace"), errors)


def place_call(script: CallScript, *, target: str, number: str, local_ip: str = "127.0.0.2",
               timeout: float = 150) -> SippResult:
    """Place one call and wait for SIPp to finish."""
    proc, workdir = start_call(script, target=target, number=number, local_ip=local_ip)
    return finish_call(proc, workdir, timeout)
