"""The wallboard under real queue traffic: SIPp callers, an operator's SIPp phone logged in
through the console API, the AMI consumer writing call events and live state, the console
serving the wallboard. Its figures must equal those computed by hand from the same events,
and Chromium must show them without a reload.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import shutil
import signal
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis
from sqlalchemy import select

from agi_scripts.ami_endpoints import apply_operator_endpoints
from appeal_store.db import make_engine, make_session_factory
from appeal_store.migrate import upgrade
from appeal_store.models import CallEvent
from appeal_store.users import create_user
from hotline.asterisk_sandbox import process
from hotline.bootstrap import queue_specs
from operator_console.testing import PASSWORD, logged_in
from tests.e2e.conftest import ServiceProcess, free_tcp_port, port_open, wait_until
from tests.e2e.queue_phones import OperatorPhone
from tests.e2e.sipp import PCAP_DIR, CallScript, finish_call, free_udp_port, start_call

pytestmark = [pytest.mark.asterisk, pytest.mark.postgres, pytest.mark.browser,
              pytest.mark.timeout(600)]

PCAP = PCAP_DIR / "g711a.pcap"
CHROMIUM = Path("/usr/bin/chromium")
REDIS_DB_URL = os.environ.get("HOTLINE_TEST_WALLBOARD_REDIS_URL", "redis://127.0.0.1:6379/12")


@pytest.fixture(scope="module")
def ws(e2e_settings, pg_url, tmp_path_factory):
    """Settings of this module's own Asterisk, database, Redis database and services."""
    if shutil.which("sipp") is None:
        pytest.skip("sipp is not installed")
    upgrade(pg_url)
    client = redis.Redis.from_url(REDIS_DB_URL)
    client.flushdb()
    client.close()
    rtp = 28000 + (os.getpid() % 100) * 100
    return e2e_settings.model_copy(update={
        "asterisk_instance": f"wb-{uuid.uuid4().hex[:8]}",
        "var_dir": tmp_path_factory.mktemp("wbvar"), "database_url": pg_url,
        "redis_url": REDIS_DB_URL, "sip_port": free_udp_port(), "ami_port": free_tcp_port(),
        "ari_port": free_tcp_port(), "agi_port": free_tcp_port(),
        "console_port": free_tcp_port(), "rtp_start": rtp, "rtp_end": rtp + 99,
    })


@pytest.fixture(scope="module")
def star(ws) -> Iterator:
    from hotline.asterisk_sandbox import provision

    provision.provision(ws)
    specs = [dataclasses.replace(s, wrapuptime=1, max_waiting=0, max_wait_seconds=0,
                                 overflow_to="") for s in queue_specs(ws)]
    process.start(ws, queues=specs)
    yield ws
    process.stop(ws)
    if not os.environ.get("HOTLINE_KEEP_E2E"):
        shutil.rmtree(ws.instance_dir, ignore_errors=True)


@pytest.fixture(scope="module")
def people(star):
    db = make_session_factory(make_engine(star.database_url))
    tag = uuid.uuid4().hex[:6]
    with db() as s:
        op = create_user(s, f"wbop{tag}", PASSWORD, "operator", full_name="Оператор Тарас",
                         sip_endpoint=f"wbop{tag}", sip_secret=f"s3cret-{tag}")
        sup = create_user(s, f"wbsup{tag}", PASSWORD, "supervisor", full_name="Супервізор",
                          sip_endpoint=f"wbsup{tag}", sip_secret=f"s3cret-sup-{tag}")
        s.commit()
        out = {"db": db, "op": op.username, "endpoint": op.sip_endpoint,
               "secret": op.sip_secret, "sup": sup.username, "sup_id": sup.id,
               "sup_endpoint": sup.sip_endpoint, "sup_secret": sup.sip_secret}
    asyncio.run(apply_operator_endpoints(star, db))
    return out


@pytest.fixture(scope="module")
def services(star, people) -> Iterator[None]:
    ami = ServiceProcess(star, "ami").start()
    console = ServiceProcess(star, "console").start()
    wait_until(lambda: port_open(star.console_port), timeout=30, message="the console")
    yield
    ami.kill(signal.SIGTERM)
    console.kill(signal.SIGTERM)


def _client(settings, username: str) -> httpx.Client:
    client = httpx.Client(base_url=f"http://127.0.0.1:{settings.console_port}", timeout=15)
    return logged_in(client, username)


def _call(settings, script: CallScript):
    return start_call(script, target=f"{settings.sip_host}:{settings.sip_port}",
                      number=settings.hotline_number)


def _agent_state(settings, endpoint: str) -> str | None:
    client = redis.Redis.from_url(settings.redis_url)
    try:
        raw = client.hget("hotline:live:agents", endpoint)
        return json.loads(raw)["state"] if raw else None
    finally:
        client.close()


def _kinds(db) -> list[str]:
    with db() as s:
        return list(s.scalars(select(CallEvent.kind)))


def by_hand(db) -> dict[str, float | int | None]:
    """The figures computed directly from the stored rows, without the stats package."""
    with db() as s:
        rows = list(s.scalars(select(CallEvent)))
    enters = [e for e in rows if e.kind == "enter"]
    connects = [e for e in rows if e.kind == "connect"]
    abandons = [e for e in rows if e.kind == "abandon"]
    completes = [e for e in rows if e.kind == "complete"]
    short = [e for e in abandons if e.wait_seconds < 6]
    within = [e for e in connects if e.wait_seconds <= 20]
    resolved = len(connects) + len(abandons) - len(short)
    return {
        "offered": len(enters), "answered": len(connects), "abandoned": len(abandons),
        "short_abandoned": len(short),
        "service_level": round(len(within) / resolved, 4) if resolved else None,
        "asa_seconds": round(sum(e.wait_seconds for e in connects) / len(connects), 4),
        "aht_seconds": round(sum(e.talk_seconds for e in completes) / len(completes), 4),
    }


def test_wallboard_figures_equal_hand_computation_under_real_traffic(star, people, services):
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed")
    from playwright.sync_api import expect, sync_playwright

    db = people["db"]
    op = _client(star, people["op"])
    sup = _client(star, people["sup"])
    phone = OperatorPhone(people["endpoint"], people["secret"],
                          target=f"{star.sip_host}:{star.sip_port}")
    phone.register()
    phone.answer(talk_ms=3000)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM),
                                     args=["--headless", "--no-sandbox", "--disable-gpu"])
        page = browser.new_page(locale="uk-UA")
        try:
            assert op.post("/api/agents/me/login",
                           json={"queues": [star.general_queue]}).status_code == 200
            wait_until(lambda: _agent_state(star, people["endpoint"]) == "available",
                       message="the operator available")

            page.goto(f"http://127.0.0.1:{star.console_port}/")
            page.fill("input[name=username]", people["sup"])
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            page.goto(f"http://127.0.0.1:{star.console_port}/supervisor/wallboard")
            page.wait_for_function("document.body.dataset.wbUpdated !== undefined")
            expect(page.locator("#t-available")).to_have_text("1")
            page.evaluate("window.__noReload = 1")

            # 1. answered: the operator's phone hangs up after 3 s of talk
            proc, wd = _call(star, CallScript(caller="380671000001", hangup="remote")
                             .audio(PCAP, 500))
            expect(page.locator("#t-talking")).to_have_text("1", timeout=15_000)
            assert finish_call(proc, wd).ok
            wait_until(lambda: "complete" in _kinds(db), message="the complete event")

            # 2. the operator pauses; one caller gives up after ~8 s, another after ~2 s
            assert op.post("/api/agents/me/pause", json={"reason": "break"}).status_code == 200
            expect(page.locator("#t-paused")).to_have_text("1", timeout=10_000)
            long_wait = _call(star, CallScript(caller="380671000002").audio(PCAP, 8000))
            time.sleep(1)  # a distinct join order, so positions are stable
            short_wait = _call(star, CallScript(caller="380671000003").audio(PCAP, 2000))
            expect(page.locator("#t-waiting")).to_have_text("2", timeout=10_000)
            for proc, wd in (short_wait, long_wait):
                assert finish_call(proc, wd).ok
            wait_until(lambda: _kinds(db).count("abandon") == 2, message="two abandons")
            expect(page.locator("#t-waiting")).to_have_text("0", timeout=5_000)

            hand = by_hand(db)
            assert (hand["offered"], hand["answered"], hand["abandoned"],
                    hand["short_abandoned"]) == (3, 1, 2, 1)
            snap = sup.get("/api/supervisor/wallboard").json()
            total = snap["total"]
            for key, value in hand.items():
                assert total[key] == value, (key, total[key], value)
            (row,) = [q for q in snap["queues"] if q["queue"] == star.general_queue]
            assert row["today"]["offered"] == 3 and row["waiting"] == 0
            assert row["agents"]["paused"] == 1

            # the browser shows the same, pushed over SSE without a reload
            expect(page.locator("#t-offered")).to_have_text("3", timeout=5_000)
            expect(page.locator("#t-abandoned")).to_have_text("2")
            expect(page.locator("#t-sl")).to_have_text(f"{hand['service_level'] * 100:.1f} %")
            assert page.evaluate("window.__noReload") == 1
        finally:
            page.close()
            browser.close()
            phone.stop()
            op.post("/api/agents/me/logout")
            op.close()
            sup.close()


def test_supervisor_listens_in_from_own_phone_on_a_live_call(star, people, services):
    """ChanSpy through AMI Originate: the supervisor's phone rings, answers, and spies on
    the operator's channel; the act is in the audit log."""
    from appeal_store.models import AuditLog

    db = people["db"]
    target = f"{star.sip_host}:{star.sip_port}"
    op = _client(star, people["op"])
    sup = _client(star, people["sup"])
    op_phone = OperatorPhone(people["endpoint"], people["secret"], target=target)
    sup_phone = OperatorPhone(people["sup_endpoint"], people["sup_secret"], target=target)
    try:
        op_phone.register()
        sup_phone.register()
        op_phone.answer(talk_ms=10_000)
        sup_phone.answer(talk_ms=5_000)
        op.post("/api/agents/me/logout")
        assert op.post("/api/agents/me/login",
                       json={"queues": [star.general_queue]}).status_code == 200
        wait_until(lambda: _agent_state(star, people["endpoint"]) == "available",
                   message="the operator available")
        proc, wd = _call(star, CallScript(caller="380671000009", hangup="remote")
                         .audio(PCAP, 500))
        wait_until(lambda: _agent_state(star, people["endpoint"]) == "talking",
                   message="the operator talking")
        r = sup.post("/supervisor/listen", data={"operator": people["endpoint"], "mode": "spy"})
        assert r.status_code == 200 and 'id="listen-result"' in r.text, r.text[-500:]

        def spying() -> bool:
            out = process.run_cli(star, "core show channels concise")
            return any(line.startswith(f"PJSIP/{people['sup_endpoint']}-") and "ChanSpy" in line
                       for line in out.splitlines())

        wait_until(spying, timeout=15, message="the supervisor's phone in ChanSpy")
        assert finish_call(proc, wd).ok
        with db() as s:
            entry = s.scalars(select(AuditLog).where(AuditLog.action == "listen.spy")).one()
        assert entry.actor_id == people["sup_id"] and entry.object_id == people["endpoint"]
    finally:
        op_phone.stop()
        sup_phone.stop()
        op.post("/api/agents/me/logout")
        op.close()
        sup.close()
