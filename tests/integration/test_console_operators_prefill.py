"""Screen pop → appeal form: the new-appeal page prefilled from a screen pop's link (phone
normalised, topic only if known, the call linked by its uniqueid and later its recording),
the caller's earlier appeals beside it; the old screen-pop address; on SQLite and PostgreSQL."""

from __future__ import annotations

import html
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from appeal_store.calls import append_ivr_input, upsert_call
from appeal_store.models import Appeal, AuditLog, Recording
from hotline.settings import Settings
from operator_console.app import create_app
from operator_console.testing import add_user, csrf_from, logged_in, prepare_database

UNIQUEID = "1700000000.42"
FORM = {
    "full_name": "Тарас Шевченко", "region_code": "UA-46", "settlement": "Львів",
    "address": "вул. Франка, 1", "phone": "+380671234567", "social_category": "none",
    "type": "application", "channel": "phone", "topic_code": "16.02",
    "substance": "Прошу пояснити порядок призначення субсидії.",
}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def factory(request, tmp_path_factory):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('prefill') / 'p.db'}"
    else:
        url = request.getfixturevalue("pg_url")
    f = prepare_database(url)
    add_user(f, "op", "operator")
    with f() as s:
        upsert_call(s, UNIQUEID, caller_number="0671234567", topic_code="16", language="en",
                    queue="social", status="answered")
        append_ivr_input(s, UNIQUEID, "language", "2")
        append_ivr_input(s, UNIQUEID, "topic", "1")
        s.commit()
    return f


@pytest.fixture(scope="module")
def op(factory):
    client = logged_in(TestClient(create_app(Settings(environment="test"), session_factory=factory)),
                       "op")
    earlier = client.post("/api/appeals", json={**FORM, "phone": "0671234567"}).json()
    r = client.post(f"/api/appeals/{earlier['id']}/register", json={**FORM, "phone": "0671234567"})
    assert r.status_code == 200, r.text
    client.earlier_number = r.json()["number"]
    return client


def field(page: str, name: str) -> str:
    match = re.search(rf'<input[^>]*name="{name}" value="([^"]*)"', page)
    assert match, name
    return html.unescape(match.group(1))


def selected_topic(page: str) -> str | None:
    select_html = re.search(r'<select name="topic_code">(.*?)</select>', page, re.DOTALL).group(1)
    match = re.search(r'<option value="([^"]*)" selected', select_html)
    return match.group(1) if match else None


def call_id(factory) -> int:
    with factory() as s:
        return upsert_call(s, UNIQUEID).id


def test_the_form_is_prefilled_from_the_screen_pop_link(op, factory):
    r = op.get("/operator/appeals/new", params={"phone": "0671234567", "topic": "16.02",
                                                "call": UNIQUEID, "language": "en"})
    assert r.status_code == 200
    assert field(r.text, "phone") == "+380671234567"
    assert selected_topic(r.text) == "16.02"
    assert field(r.text, "call_id") == str(call_id(factory))
    assert 'id="caller-language"' in r.text and "англійська" in r.text
    assert f'data-draft-key="new-call-{call_id(factory)}"' in r.text
    # the caller's earlier appeals, and that view is audited
    earlier = re.search(r'<section class="card" id="earlier-appeals">(.*?)</section>', r.text,
                        re.DOTALL).group(1)
    assert op.earlier_number in earlier
    with factory() as s:
        row = s.scalars(select(AuditLog).where(AuditLog.action == "view_caller_history")).first()
        assert row is not None and row.object_id == "+380671234567"
    # the language switch keeps the prefill
    assert "/lang/en?next=/operator/appeals/new%3Fphone%3D%252B380671234567" in r.text


def test_unknown_topic_is_ignored_and_the_call_fills_in_the_rest(op, factory):
    r = op.get("/operator/appeals/new", params={"topic": "99.99", "call": UNIQUEID})
    assert selected_topic(r.text) is None and 'value="99.99"' not in r.text
    assert field(r.text, "phone") == "+380671234567"  # the call's caller number
    r = op.get("/operator/appeals/new", params={"call": UNIQUEID})
    assert selected_topic(r.text) == "16"  # the IVR's topic of the call


def test_hostile_parameters_are_sanitised(op, factory):
    r = op.get("/operator/appeals/new", params={
        "phone": '"><script>alert("x")</script>067 123-45-67', "topic": "16'; DROP TABLE topics;--",
        "call": "x' OR '1'='1", "language": "<b>"})
    assert r.status_code == 200
    assert "<script>alert" not in r.text and "<b>" not in r.text
    assert field(r.text, "phone") == "+380671234567"
    assert selected_topic(r.text) is None and field(r.text, "call_id") == ""
    assert 'id="caller-language"' not in r.text
    r = op.get("/operator/appeals/new", params={"phone": "anonymous", "call": "nope.1"})
    assert field(r.text, "phone") == "" and 'id="earlier-appeals"' not in r.text
    r = op.get("/operator/appeals/new", params={"phone": "1" * 80})
    assert len(field(r.text, "phone")) <= 20


def test_the_appeal_gets_the_call_and_later_its_recording(op, factory):
    page = op.get("/operator/appeals/new", params={"phone": "0671234567", "call": UNIQUEID})
    r = op.post("/operator/appeals/new", follow_redirects=False, data={
        **FORM, "call_id": field(page.text, "call_id"), "recording_id": "", "action": "save",
        "csrf_token": csrf_from(page.text)})
    assert r.status_code == 303
    appeal_id = int(r.headers["location"].split("/")[3])
    with factory() as s:
        appeal = s.get(Appeal, appeal_id)
        assert appeal.call_id == call_id(factory) and appeal.recording_id is None
        # the caller hangs up: the AMI consumer indexes the call's recording
        rec = Recording(uniqueid=UNIQUEID, call_id=appeal.call_id, kind="call",
                        path=f"/recordings/{UNIQUEID}-{appeal_id}.wav")
        s.add(rec)
        s.commit()
        rec_id = rec.id
    r = op.post(f"/api/appeals/{appeal_id}/register",
                json={**FORM, "call_id": call_id(factory)})
    assert r.status_code == 200, r.text
    with factory() as s:
        appeal = s.get(Appeal, appeal_id)
        assert appeal.status in ("routed", "registered") and appeal.recording_id == rec_id
    # a form opened after the hang-up links the recording at once
    page = op.get("/operator/appeals/new", params={"call": UNIQUEID})
    assert field(page.text, "recording_id") == str(rec_id)


def test_the_old_screen_pop_address_leads_to_the_agent_panel(op):
    r = op.get("/operator/screen-pop", params={"caller": "0671234567<i>"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/operator/agent?caller=")
    page = op.get(r.headers["location"]).text
    assert '<strong id="pop-caller">0671234567</strong>' in page and "<i>" not in page
    assert 'href="/operator/appeals/new?phone=0671234567"' in page
    assert op.get("/operator/screen-pop", follow_redirects=False).headers["location"] == "/operator/agent"


def test_agent_panel_texts_follow_the_language(op):
    page = op.get("/operator/agent").text
    assert "Мої черги" in page and "Очікування дзвінка…" in page
    assert 'data-reason-break="Перерва"' in page and 'data-member-in_call="у розмові"' in page
    op.get("/lang/en")
    try:
        page = op.get("/operator/agent").text
        assert "My queues" in page and 'data-new-appeal="New appeal"' in page
        assert "Queues now" in op.get("/operator/live").text
    finally:
        op.get("/lang/uk")
