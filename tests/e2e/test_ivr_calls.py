"""Real SIP calls through the IVR: languages, menus, topics, status checks, after hours,
invalid and missing input, and the fallbacks (script failing, database down).

Prompts are built with ivr.prompt_build (espeak-ng) from the catalogue's names with short
texts (the first words of each prompt), so a call that waits through prompts stays short.
Outcomes are read from the database, `queue show`, channel variables dumped by Asterisk's
log, and the files Asterisk played.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import os
import re
import shutil
import signal
import struct
import tempfile
import uuid
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select, text

from appeal_store.db import make_engine, make_session_factory, session_scope
from appeal_store.models import Call
from hotline.asterisk_sandbox.process import run_cli
from hotline.settings import Settings, default_cache_dir
from tests.e2e.conftest import ServiceProcess, port_open, wait_until
from tests.e2e.sipp import DIGIT_NAMES, CallScript, dtmf_pcap, finish_call, start_call

pytestmark = [pytest.mark.asterisk, pytest.mark.postgres]

WEEK = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ALWAYS_OPEN = {"hours": {d: ["00:00-24:00"] for d in WEEK}, "holiday_hours": ["00:00-24:00"]}
ALWAYS_CLOSED = {"hours": {d: [] for d in WEEK}, "holiday_hours": []}
PROMPT_WORDS = 3


# --- helpers shared with test_ari_calls.py --------------------------------------------------


def build_short_prompts(settings: Settings) -> Path:
    """Every catalogue prompt, spoken briefly, in the instance's sounds folder."""
    from ivr.catalogue import DEFAULT_DIR
    from ivr.prompt_build import build_prompts

    cache = default_cache_dir() / "e2e-prompts"
    catalogue = cache / "catalogue"
    catalogue.mkdir(parents=True, exist_ok=True)
    for lang in ("uk", "en"):
        texts = yaml.safe_load((DEFAULT_DIR / f"{lang}.yaml").read_text(encoding="utf-8"))
        short = {name: " ".join(str(text).split()[:PROMPT_WORDS]) for name, text in texts.items()}
        target = catalogue / f"{lang}.yaml"
        text = yaml.safe_dump(short, allow_unicode=True, sort_keys=True)
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            target.write_text(text, encoding="utf-8")
    report = build_prompts(catalogue_dir=catalogue, out_dir=cache / "sounds")
    assert not report.failed, report.failed
    out = settings.effective_prompts_dir
    shutil.copytree(cache / "sounds", out, dirs_exist_ok=True)
    for path in [out, *out.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    return out


_PRESSES = itertools.count(1)


def _digit_pcap(digit: str) -> Path:
    """SIPp's RFC 4733 pcap of *digit* with a fresh RTP timestamp and sequence number.

    SIPp replays pcaps as they are, so the same digit twice would repeat one timestamp and
    Asterisk would drop the second press as a duplicate of the first event.
    """
    n = next(_PRESSES)
    data = bytearray(dtmf_pcap(digit).read_bytes())
    off = 24
    index = 0
    while off < len(data):
        incl = struct.unpack_from("<I", data, off + 8)[0]
        pkt = off + 16
        l2 = 14 if data[pkt + 12:pkt + 14] == b"\x08\x00" else 16
        udp = pkt + l2 + 20
        struct.pack_into(">H", data, udp + 6, 0)  # no UDP checksum
        rtp = udp + 8
        struct.pack_into(">HI", data, rtp + 2, (40000 + n * 16 + index) % 65536,
                         (200000 + n * 8000) % 2**32)
        index += 1
        off = pkt + incl
    out = Path(tempfile.gettempdir()) / f"hotline-dtmf-{os.getpid()}-{n}-{DIGIT_NAMES.get(digit, digit)}.pcap"
    out.write_bytes(bytes(data))
    return out


def press(script: CallScript, keys: str, gap_ms: int = 1500) -> CallScript:
    """Key *keys* one by one, *gap_ms* apart (each press a distinct RTP event)."""
    for key in keys:
        script.audio(_digit_pcap(key), gap_ms)
    return script


def with_calendar(settings: Settings, doc: dict, name: str) -> Settings:
    path = settings.var_dir / f"calendar-{name}.yaml"
    path.write_text(yaml.safe_dump(doc))
    return settings.model_copy(update={"calendar_file": path})


def start_service(settings: Settings, name: str, port: int | None) -> ServiceProcess:
    service = ServiceProcess(settings, name).start()
    if port is not None:
        wait_until(lambda: port_open(port), message=f"the {name} service")
    return service


def target(settings: Settings) -> str:
    return f"{settings.sip_host}:{settings.sip_port}"


def new_caller() -> str:
    return "38050" + str(uuid.uuid4().int)[:7]


def factory_of(settings: Settings):
    return make_session_factory(make_engine(settings.database_url))


def call_of(settings: Settings, caller: str) -> Call | None:
    with factory_of(settings)() as session:
        return session.scalars(select(Call).where(Call.caller_number == caller)).first()


def queue_callers(settings: Settings, queue: str) -> list[str]:
    """Channels waiting in *queue*, from `queue show`."""
    out = run_cli(settings, f"queue show {queue}")
    return re.findall(r"\d+\. (\S+) \(wait:", out)


class AsteriskLog:
    """Asterisk's messages.log from the moment this object was made."""

    def __init__(self, settings: Settings) -> None:
        self.path = settings.instance_dir / "log" / "messages.log"
        self.start = self.path.stat().st_size if self.path.exists() else 0

    def text(self) -> str:
        if not self.path.exists():
            return ""
        with self.path.open("rb") as handle:
            handle.seek(self.start)
            return handle.read().decode("utf-8", "replace")

    def played(self, *prompts: str) -> bool:
        """True when every ``<lang>/<name>`` in *prompts* was played since then."""
        text = self.text()
        return all(f"/sounds/{p}." in text or f"/sounds/{p}'" in text for p in prompts)


def in_queue_with(settings: Settings, caller: str, queue: str) -> Call | None:
    """The caller's record once the caller waits in *queue*."""
    if not queue_callers(settings, queue):
        return None
    call = call_of(settings, caller)
    return call if call is not None and call.queue == queue else None


class LiveCall:
    """A SIPp call in the background; ``finish()`` checks SIPp ended cleanly."""

    def __init__(self, settings: Settings, script: CallScript) -> None:
        self.proc, self.workdir = start_call(script, target=target(settings),
                                             number=settings.hotline_number)

    def finish(self):
        result = finish_call(self.proc, self.workdir)
        assert result.ok, result.errors or result.stderr
        return result

    def hang_up(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)  # SIPp sends BYE... or just stops
        self.proc.wait(30)


# --- fixtures -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def prompts(asterisk: Settings) -> Path:
    return build_short_prompts(asterisk)


class AgiService:
    """The `hotline agi` server of a test module; can be swapped for other settings."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.service: ServiceProcess | None = None

    def start(self) -> AgiService:
        self.service = start_service(self.settings, "agi", self.settings.agi_port)
        return self

    def stop(self) -> None:
        if self.service is not None:
            self.service.kill(signal.SIGTERM)
            self.service = None
        wait_until(lambda: not port_open(self.settings.agi_port), message="FastAGI stopped")

    @contextlib.contextmanager
    def swapped(self, settings: Settings):
        """Serve with *settings* inside the block, then as before."""
        self.stop()
        other = AgiService(settings).start()
        try:
            yield other
        finally:
            other.stop()
            self.start()


@pytest.fixture(scope="module")
def ivr_open(asterisk: Settings, prompts: Path):
    """The FastAGI server with the centre always open."""
    agi = AgiService(with_calendar(asterisk, ALWAYS_OPEN, "open")).start()
    yield agi
    agi.stop()


# --- tests ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("keys", "language", "queue", "topic"), [
    ("111", "uk", "social", "social"),          # Ukrainian, new appeal, social protection
    ("211", "en", "english", "social"),        # English callers: the English queue
    ("12", "uk", "consult", "consultation"),   # consultation
    ("10", "uk", "common", None),              # operator: the general queue
])
def test_menu_choice_reaches_its_queue(ivr_open, keys, language, queue, topic):
    settings = ivr_open.settings
    caller = new_caller()
    call = LiveCall(settings, press(CallScript(caller=caller).pause(1200), keys).pause(4000))
    try:
        record = wait_until(lambda: (c := call_of(settings, caller)) and c.queue and c,
                            timeout=30, message="the IVR's hand-off")
    finally:
        call.finish()
    assert record.queue == queue
    assert record.language == language
    if topic == "social":
        assert record.topic_code in ("16", "social")
    steps = [step["node"] for step in record.ivr_path]
    assert steps[:2] == ["language", "main"]


def test_topic_caller_waits_in_the_topic_queue(ivr_open):
    settings = ivr_open.settings
    caller = new_caller()
    call = LiveCall(settings, press(CallScript(caller=caller).pause(1200), "113").pause(5000))
    try:
        record = wait_until(lambda: in_queue_with(settings, caller, "health"), timeout=30,
                            message="the caller in the health queue")
    finally:
        call.finish()
    assert record.topic_code in ("18", "health")
    assert [s["digits"] for s in record.ivr_path] == ["1", "1", "3"]


def test_invalid_and_missing_input_end_in_the_general_queue(ivr_open):
    settings = ivr_open.settings
    caller = new_caller()
    # language 1, then an invalid key twice... and nothing: after the retries → general queue
    script = press(CallScript(caller=caller).pause(1200), "178")
    call = LiveCall(settings, script.pause(16000))
    try:
        record = wait_until(lambda: in_queue_with(settings, caller, settings.general_queue),
                            timeout=40, message="the caller in the general queue")
    finally:
        call.finish()
    digits = [s["digits"] for s in record.ivr_path]
    assert digits[:3] == ["1", "7", "8"]


def test_no_input_at_all_still_reaches_an_operator(ivr_open):
    settings = ivr_open.settings
    caller = new_caller()
    call = LiveCall(settings, CallScript(caller=caller).pause(45000))
    try:
        record = wait_until(lambda: in_queue_with(settings, caller, settings.general_queue),
                            timeout=60, message="a silent caller in the general queue")
    finally:
        call.hang_up()
    assert record.language == "uk"
    assert all(s["digits"] == "" for s in record.ivr_path)


def _seed_appeal(settings: Settings, number: str) -> None:
    """An appeal row written with plain SQL (only the columns the IVR reads)."""
    now = dt.datetime.now(dt.UTC)
    with session_scope(factory_of(settings)) as session:
        body_id = session.scalar(text("SELECT id FROM state_bodies WHERE code = 'e2e-ministry'"))
        if body_id is None:
            body_id = session.scalar(text(
                "INSERT INTO state_bodies (code, name_uk, name_en, kind, active, created_at,"
                " updated_at) VALUES ('e2e-ministry', 'Міністерство', 'Ministry', 'ministry',"
                " true, :now, :now) RETURNING id"), {"now": now})
        session.execute(text(
            "INSERT INTO appeals (number, status, type, channel, substance, body_id, due_at,"
            " received_at, created_at, updated_at, version) VALUES (:number, 'delivered',"
            " 'application', 'phone', '', :body, :due, :now, :now, :now, 1)"),
            {"number": number, "body": body_id, "now": now,
             "due": dt.datetime(2026, 5, 4, 9, tzinfo=dt.UTC)})


def test_status_of_an_existing_appeal(ivr_open):
    settings = ivr_open.settings
    counter = str(uuid.uuid4().int)[:6]
    _seed_appeal(settings, f"1545-2026-{counter}")
    caller = new_caller()
    log = AsteriskLog(settings)
    script = press(CallScript(caller=caller).pause(1200), "13")
    call = LiveCall(settings, press(script, f"2026{counter}#", 400).pause(20000))
    try:
        wait_until(lambda: log.played("uk/status-found", "uk/state-delivered",
                                      "uk/body-kind-ministry", "uk/status-deadline"),
                   timeout=40, message="the status spoken")
    finally:
        call.hang_up()
    record = call_of(settings, caller)
    assert [s["node"] for s in record.ivr_path][:3] == ["language", "main", "status-number"]
    assert record.ivr_path[2]["digits"].startswith(f"2026{counter}")


def test_status_of_an_unknown_appeal(ivr_open):
    settings = ivr_open.settings
    caller = new_caller()
    log = AsteriskLog(settings)
    script = press(CallScript(caller=caller).pause(1200), "23")
    call = LiveCall(settings, press(script, "97531#", 400).pause(6000))
    try:
        wait_until(lambda: log.played("en/status-not-found"), timeout=30,
                   message="'not found' spoken")
    finally:
        call.finish()
    assert not log.played("en/status-found")


def test_after_hours_offers_voice_appeal_and_callback(ivr_open):
    settings = with_calendar(ivr_open.settings, ALWAYS_CLOSED, "closed")
    caller = new_caller()
    log = AsteriskLog(settings)
    with ivr_open.swapped(settings):
        # no ARI app runs: the voice appeal's Stasis() fails → the general queue (fallback)
        call = LiveCall(settings, press(CallScript(caller=caller).pause(1200), "11").pause(6000))
        try:
            wait_until(lambda: log.played("uk/after-hours-menu"), timeout=20,
                       message="the after-hours menu")
            wait_until(lambda: queue_callers(settings, settings.general_queue), timeout=20,
                       message="the Stasis fallback to the general queue")
        finally:
            call.finish()
    record = call_of(settings, caller)
    assert record is not None and record.status == "voicemail"
    assert [s["node"] for s in record.ivr_path] == ["language", "after-hours"]
    assert "HotlineFallback" in log.text() or "ARI app unavailable" in log.text()


def test_database_down_during_status_check_apologises_then_queues(ivr_open):
    down = ivr_open.settings.model_copy(
        update={"database_url": "postgresql+psycopg://hotline@127.0.0.1:1/unreachable"})
    caller = new_caller()
    log = AsteriskLog(down)
    with ivr_open.swapped(down):
        script = press(CallScript(caller=caller).pause(1200), "13")
        call = LiveCall(down, press(script, "123#", 400).pause(6000))
        try:
            wait_until(lambda: log.played("uk/status-unavailable"), timeout=30,
                       message="the apology")
        finally:
            call.hang_up()
        # the same, then 0: the caller reaches the general queue although the DB is down
        caller2 = new_caller()
        script = press(CallScript(caller=caller2).pause(1200), "13")
        call = LiveCall(down, press(press(script, "123#", 400).pause(3500), "0", 4000))
        try:
            wait_until(lambda: queue_callers(down, down.general_queue), timeout=30,
                       message="the caller in the general queue")
        finally:
            call.finish()


def test_failing_script_sends_the_caller_to_the_general_queue(ivr_open):
    # a bug inside the IVR (here: an unknown timezone met while speaking a found appeal)
    counter = str(uuid.uuid4().int)[:6]
    _seed_appeal(ivr_open.settings, f"1545-2026-{counter}")
    broken = ivr_open.settings.model_copy(update={"timezone": "Nowhere/Atlantis"})
    caller = new_caller()
    log = AsteriskLog(broken)
    with ivr_open.swapped(broken):
        script = press(CallScript(caller=caller).pause(1200), "13")
        call = LiveCall(broken, press(script, f"2026{counter}#", 400).pause(6000))
        try:
            wait_until(lambda: queue_callers(broken, broken.general_queue), timeout=30,
                       message="the caller in the general queue after the script failed")
        finally:
            call.finish()
    assert "IVR unavailable" in log.text()
