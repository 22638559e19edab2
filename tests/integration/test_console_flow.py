"""The console end to end through HTTP (TestClient) on SQLite and on PostgreSQL:
draft → proposal → register → route → outbox → body answers → control call → closed."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from appeal_store.models import AppealEvent, AuditLog, Delivery, RoutingDecision
from appeal_store.services.outbox import deliver_pending
from hotline.settings import Settings
from operator_console.app import create_app
from operator_console.testing import add_user, body_id, logged_in, prepare_database

GOOD = {
    "full_name": "Шевченко Тарас Григорович", "region_code": "UA-46", "settlement": "Львів",
    "address": "вул. Зелена, 1, кв. 2", "phone": "067 123 45 67", "email": "",
    "social_category": "combat_veteran", "type": "complaint", "channel": "phone",
    "topic_code": "16.01", "substance": "Не нараховано пенсію за вислугу років з березня.",
    "addressee": "", "is_repeated": False, "is_collective": False,
}


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def factory(request, tmp_path_factory):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('console') / 'c.db'}"
    else:
        url = request.getfixturevalue("pg_url")
    f = prepare_database(url)
    add_user(f, "op", "operator")
    add_user(f, "pfu", "body", body_code="PFU")
    add_user(f, "npu", "body", body_code="NPU")
    add_user(f, "qa", "qa")
    add_user(f, "root", "admin")
    return f


@pytest.fixture
def app(factory):
    return create_app(Settings(environment="test"), session_factory=factory)


def client_for(app, username):
    return logged_in(TestClient(app), username)


def test_healthz_reports_the_database(app):
    r = TestClient(app).get("/healthz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "db": "ok"}


def test_login_page_is_ukrainian_first_with_english_switch(app):
    c = TestClient(app)
    assert "Увійти" in c.get("/").text
    c.get("/lang/en")
    assert "Log in" in c.get("/").text


def test_wrong_password_is_refused(app):
    c = TestClient(app)
    page = c.get("/")
    token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    r = c.post("/login", data={"username": "op", "password": "nope", "csrf_token": token})
    assert r.status_code == 401
    assert c.get("/api/me").status_code == 401


def test_whole_flow(app, factory):
    op = client_for(app, "op")
    draft = op.post("/api/appeals", json={"channel": "voice", "substance": "чернетка"}).json()
    assert draft["status"] == "draft" and draft["number"] is None
    assert op.put(f"/api/appeals/{draft['id']}/draft", json=GOOD).status_code == 200
    proposal = op.get(f"/api/appeals/{draft['id']}/proposal").json()
    assert proposal["body"]["code"] == "PFU"
    assert proposal["rule_id"] == "R-16-01"
    assert "Пенсійний фонд" in proposal["reason_uk"]

    registered = op.post(f"/api/appeals/{draft['id']}/register", json=GOOD)
    assert registered.status_code == 200, registered.text
    appeal = registered.json()
    assert appeal["status"] == "routed"
    assert appeal["number"].startswith("1545-")
    assert appeal["priority"] is True and appeal["priority_category"] == "combat_veteran"
    assert appeal["applicant"]["phone"] == "+380671234567"
    received = dt.datetime.fromisoformat(appeal["received_at"])
    due = dt.datetime.fromisoformat(appeal["due_at"])
    assert 14 <= (due - received).days <= 16  # no further study: 15 days (Art. 20)

    pfu = client_for(app, "pfu")
    inbox = pfu.get("/api/body/inbox").json()
    assert [i["appeal"]["id"] for i in inbox] == [appeal["id"]]
    assert appeal["number"] in pfu.get("/body/inbox").text

    with httpx.Client() as http:
        report = deliver_pending(factory, http, dt.datetime.now(dt.UTC))
    assert report.sent >= 1
    assert pfu.get(f"/api/appeals/{appeal['id']}").json()["appeal"]["status"] == "delivered"

    answered = pfu.post(f"/api/appeals/{appeal['id']}/answer",
                        json={"answer": "Пенсію перераховано, виплата у наступному місяці."})
    assert answered.status_code == 200, answered.text
    assert answered.json()["status"] == "answered"

    page = op.get(f"/appeals/{appeal['id']}")
    assert "Пенсію перераховано" in page.text
    r = op.post(f"/api/appeals/{appeal['id']}/control", json={"outcome": "satisfied"})
    assert r.json()["status"] == "checked"
    assert op.post(f"/api/appeals/{appeal['id']}/close").json()["status"] == "closed"

    with factory() as s:
        steps = [(e.from_status, e.to_status) for e in s.scalars(
            select(AppealEvent).where(AppealEvent.appeal_id == appeal["id"],
                                      AppealEvent.to_status.is_not(None)).order_by(AppealEvent.id))]
        assert steps == [("draft", "registered"), ("registered", "routed"),
                         ("routed", "delivered"), ("delivered", "answered"),
                         ("answered", "checked"), ("checked", "closed")]
        decision = s.scalars(select(RoutingDecision).where(
            RoutingDecision.appeal_id == appeal["id"])).one()
        assert decision.rule_id == "R-16-01" and not decision.overridden
        viewers = set(s.scalars(select(AuditLog.actor_id).where(
            AuditLog.action == "view_applicant", AuditLog.object_id == str(appeal["id"]))))
        assert len(viewers) == 2  # the operator and the body's user


def test_other_body_and_qa_get_403(app):
    op = client_for(app, "op")
    a = op.post("/api/appeals", json={}).json()
    assert op.post(f"/api/appeals/{a['id']}/register", json=GOOD).status_code == 200
    npu = client_for(app, "npu")
    assert npu.get(f"/api/appeals/{a['id']}").status_code == 403
    assert npu.get(f"/appeals/{a['id']}").status_code == 403
    assert npu.post(f"/api/appeals/{a['id']}/answer", json={"answer": "x" * 20}).status_code == 403
    qa = client_for(app, "qa")
    assert qa.get(f"/api/appeals/{a['id']}").status_code == 403
    assert qa.get("/operator/drafts").status_code == 403
    assert npu.get("/admin/users").status_code == 403


def test_anonymous_appeal_is_refused_with_reasons(app):
    op = client_for(app, "op")
    a = op.post("/api/appeals", json={}).json()
    r = op.post(f"/api/appeals/{a['id']}/register",
                json={**GOOD, "full_name": "", "address": "", "phone": "12"})
    assert r.status_code == 422
    fields = {e["field"]: e["code"] for e in r.json()["errors"]}
    assert fields == {"full_name": "anonymous", "address": "required", "phone": "invalid"}
    assert "ст. 8" in r.json()["uk"]
    assert op.get(f"/api/appeals/{a['id']}").json()["appeal"]["status"] == "draft"


def test_override_needs_a_reason_and_topic_change_tells_former_body(app, factory):
    op = client_for(app, "op")
    a = op.post("/api/appeals", json={}).json()
    npu_id = body_id(factory, "NPU")
    r = op.post(f"/api/appeals/{a['id']}/register", json={**GOOD, "body_id": npu_id})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "override_reason"
    r = op.post(f"/api/appeals/{a['id']}/route",
                json={"body_id": npu_id, "override_reason": "заявник скаржиться на поліцію"})
    assert r.status_code == 200 and r.json()["body_id"] == npu_id
    r = op.post(f"/api/appeals/{a['id']}/topic", json={"topic_code": "16.01", "reason": "уточнено"})
    assert r.status_code == 200 and r.json()["body_id"] == body_id(factory, "PFU")
    with factory() as s:
        keys = set(s.scalars(select(Delivery.idempotency_key).where(Delivery.appeal_id == a["id"])))
    assert any(k.startswith(f"withdrawn.{a['id']}.{npu_id}.") for k in keys)
    npu = client_for(app, "npu")
    assert f"#{a['id']}" in npu.get("/body/inbox").text


def test_form_post_without_csrf_is_refused(app):
    op = client_for(app, "op")
    del op.headers["X-CSRF-Token"]
    r = op.post("/operator/appeals/new", data={"full_name": "X"})
    assert r.status_code == 403
    r = op.post("/api/appeals", json={})
    assert r.status_code == 403
    r = op.post("/api/appeals", json={}, headers={"X-CSRF-Token": "forged"})
    assert r.status_code == 403


def test_repeated_appeal_is_marked_and_linked_and_bad_links_refused(app):
    op = client_for(app, "op")
    first = op.post("/api/appeals", json={}).json()
    assert op.post(f"/api/appeals/{first['id']}/register", json={**GOOD, "phone": "0509998877"}).status_code == 200
    again = op.post("/api/appeals", json={}).json()
    r = op.post(f"/api/appeals/{again['id']}/register",
                json={**GOOD, "full_name": "Інша Особа", "phone": "+380509998877"})
    assert r.status_code == 200 and r.json()["is_repeated"] is True
    assert r.json()["repeated_of_id"] == first["id"]  # the same phone, the same topic
    third = op.post("/api/appeals", json={}).json()
    r = op.post(f"/api/appeals/{third['id']}/register", json={**GOOD, "call_id": 999999})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "call_id"
