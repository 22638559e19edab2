"""The wallboard in Chromium: an event pushed through Redis shows up without a reload."""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
import time

import pytest
import redis
import uvicorn
from playwright.sync_api import Page, expect

from appeal_store.calls import record_event, upsert_call
from appeal_store.models import User
from hotline.settings import Settings
from operator_console.app import create_app
from operator_console.testing import PASSWORD, add_user, prepare_database
from tests.browser.conftest import _free_port
from tests.conftest import REDIS_TEST_URL

pytestmark = [pytest.mark.browser, pytest.mark.redis]


def serve(app):
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    return server, thread, f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def board(tmp_path_factory):
    factory = prepare_database(f"sqlite:///{tmp_path_factory.mktemp('wb') / 'wb.db'}")
    add_user(factory, "sup", "supervisor")
    add_user(factory, "op", "operator")
    with factory() as s:
        s.execute(User.__table__.update().where(User.username == "op")
                  .values(sip_endpoint="op1001", full_name="Оператор Олена"))
        s.commit()
    app = create_app(Settings(environment="test", redis_url=REDIS_TEST_URL), session_factory=factory)
    server, thread, base = serve(app)
    try:
        yield base, factory
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def log_in(page: Page, base: str, username: str) -> None:
    page.goto(base + "/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")


def test_wallboard_shows_a_redis_update_without_reload(board, browser, redis_url):
    base, factory = board
    r = redis.Redis.from_url(redis_url)
    now = dt.datetime.now(dt.UTC)
    with factory() as s:  # one call answered earlier today
        upsert_call(s, "b1", queue="common")
        record_event(s, "b1:enter", "b1", "enter", queue="common", at=now - dt.timedelta(seconds=90))
        record_event(s, "b1:connect", "b1", "connect", queue="common", agent="PJSIP/op1001",
                     wait_seconds=12, at=now - dt.timedelta(seconds=78))
        s.commit()
    context = browser.new_context(locale="uk-UA")
    page = context.new_page()
    try:
        log_in(page, base, "sup")
        page.goto(base + "/supervisor/wallboard")
        expect(page.locator("#t-offered")).to_have_text("1")
        expect(page.locator("#wb-status")).to_have_text("наживо")
        # wait for the SSE stream's first snapshot, then mark the page to detect reloads
        page.wait_for_function("document.body.dataset.wbUpdated !== undefined")
        page.evaluate("window.__noReload = 1")

        # a new caller enters the queue: the consumer writes the event, the live state,
        # and publishes on the channel
        with factory() as s:
            upsert_call(s, "b2", queue="common")
            record_event(s, "b2:enter", "b2", "enter", queue="common", at=dt.datetime.now(dt.UTC))
            s.commit()
        joined = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=42)
        r.hset("hotline:live:waiting:common", "b2", json.dumps(
            {"uniqueid": "b2", "caller": "0671234567", "position": 1,
             "joined_at": joined.isoformat(), "since": joined.isoformat()}))
        r.hset("hotline:live:agents", "op1001", json.dumps(
            {"state": "paused", "paused": True, "reason": "обід", "queues": ["common"]}))
        sent = time.monotonic()
        r.publish("hotline:live", json.dumps({"type": "caller_join", "queue": "common",
                                             "key": "b2"}))

        row = page.locator("#wb-queues tr[data-queue=common]")
        expect(row.locator("td.waiting")).to_have_text("1", timeout=3000)
        took = time.monotonic() - sent
        expect(page.locator("#t-offered")).to_have_text("2")
        expect(row.locator("td.longest")).to_have_text(re.compile(r"^0:4\d$"))
        expect(row.locator("td.paused")).to_have_text("1")
        agent = page.locator("#wb-agents tr[data-agent='op1001']")
        expect(agent).to_contain_text("Оператор Олена")
        expect(agent).to_contain_text("обід")
        assert page.evaluate("window.__noReload") == 1  # the same page: no reload
        print(f"wallboard update shown {took:.2f} s after the publish")
        assert took < 1.5, f"the update took {took:.2f} s"
    finally:
        context.close()


def test_operator_gets_403_on_supervision_pages(board, browser):
    base, _factory = board
    context = browser.new_context(locale="uk-UA")
    page = context.new_page()
    try:
        log_in(page, base, "op")
        for path in ("/supervisor/wallboard", "/supervisor/listen", "/qa/recordings",
                     "/supervisor/history"):
            response = page.goto(base + path)
            assert response is not None and response.status == 403, path
            expect(page.locator("body")).to_contain_text("Доступ заборонено")
    finally:
        context.close()
