"""Screen pop in Chromium: an operator on the agent panel gets the pop the AMI consumer
publishes on Redis, sees the caller and the IVR path, opens "New appeal" and finds the form
prefilled (phone, topic, the call linked) with the caller's earlier appeals."""

from __future__ import annotations

import json
import re
import threading
import time

import pytest
import redis
import uvicorn
from playwright.sync_api import Page, expect

from agi_scripts.ami_screen_pop import build_screen_pop
from agi_scripts.live_state import screen_pop_channel
from appeal_store.calls import append_ivr_input, upsert_call
from appeal_store.models import User
from hotline.settings import Settings
from operator_console.app import create_app
from operator_console.testing import PASSWORD, add_user, logged_in, prepare_database
from tests.browser.conftest import _free_port
from tests.conftest import REDIS_TEST_URL

pytestmark = [pytest.mark.browser, pytest.mark.redis]
ENDPOINT = "op1001"
UNIQUEID = "1700000123.7"
EARLIER = {
    "full_name": "Тарас Шевченко", "region_code": "UA-46", "settlement": "Львів",
    "address": "вул. Франка, 1", "phone": "+380671234567", "social_category": "none",
    "type": "application", "channel": "phone", "topic_code": "16.02",
    "substance": "Прошу пояснити порядок призначення субсидії.",
}


@pytest.fixture(scope="module")
def console(tmp_path_factory):
    """A console over SQLite with Redis db 15; an operator with a phone; an answered call
    that went through the IVR; an earlier appeal of the same caller."""
    factory = prepare_database(f"sqlite:///{tmp_path_factory.mktemp('pop') / 'pop.db'}")
    add_user(factory, "op", "operator")
    with factory() as s:
        s.execute(User.__table__.update().where(User.username == "op")
                  .values(sip_endpoint=ENDPOINT, full_name="Оператор Олена"))
        upsert_call(s, UNIQUEID, caller_number="0671234567", topic_code="16", language="uk",
                    queue="social", status="answered")
        append_ivr_input(s, UNIQUEID, "language", "1")
        append_ivr_input(s, UNIQUEID, "topic", "1")
        s.commit()
    app = create_app(Settings(environment="test", redis_url=REDIS_TEST_URL), session_factory=factory)
    from fastapi.testclient import TestClient

    api = logged_in(TestClient(app), "op")
    draft = api.post("/api/appeals", json=EARLIER).json()
    number = api.post(f"/api/appeals/{draft['id']}/register", json=EARLIER).json()["number"]
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}", factory, number
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def log_in(page: Page, base: str, username: str) -> None:
    page.goto(base + "/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")


def test_screen_pop_opens_a_prefilled_appeal_form(console, browser, redis_url):
    base, factory, earlier_number = console
    with factory() as s:  # what the AMI consumer publishes when the call connects
        payload = build_screen_pop(s, uniqueid=UNIQUEID, endpoint=ENDPOINT, queue="social")
        call_id = payload["form"]["call_id"]
    context = browser.new_context(locale="uk-UA")
    page = context.new_page()
    try:
        log_in(page, base, "op")
        page.goto(base + "/operator/agent")
        expect(page.locator("#pop-body")).to_have_text("Очікування дзвінка…")
        # the stream is subscribed once it says "ready"; a pop sent before would be lost
        expect(page.locator("#screen-pop-live[data-live='1']")).to_have_count(1, timeout=5000)
        r = redis.Redis.from_url(redis_url)
        assert r.publish(screen_pop_channel(ENDPOINT), json.dumps(payload)) == 1
        expect(page.locator("#pop-caller")).to_have_text("0671234567", timeout=3000)
        expect(page.locator("#pop-ivr-path")).to_have_text("language:1 → topic:1")
        expect(page.locator("#pop-queue")).to_have_text("social")
        expect(page.locator("#pop-language")).to_have_text("українська")

        page.click("#pop-new-appeal")
        expect(page).to_have_url(re.compile(r"/operator/appeals/new\?.*call=1700000123\.7"))
        expect(page.locator("input[name=phone]")).to_have_value("+380671234567")
        expect(page.locator("select[name=topic_code]")).to_have_value("16")
        expect(page.locator("input[name=call_id]")).to_have_value(str(call_id))
        expect(page.locator("#earlier-appeals")).to_contain_text(earlier_number)
    finally:
        context.close()
