"""The console's HTML pages: form registration and refusal, due list, search, admin, OpenAPI."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from appeal_store.models import Appeal, AuditLog, RoutingRule, StateBody
from hotline.settings import Settings
from operator_console.app import create_app
from operator_console.testing import add_user, csrf_from, logged_in, prepare_database

FORM = {
    "full_name": "Леся Українка", "region_code": "UA-46", "settlement": "Львів",
    "address": "вул. Лесі, 5", "phone": "+380931112233", "social_category": "hero_of_ukraine",
    "type": "application", "channel": "phone", "topic_code": "16.02",
    "substance": "Прошу призначити житлову субсидію на опалювальний сезон.",
}


@pytest.fixture(scope="module")
def factory(tmp_path_factory):
    f = prepare_database(f"sqlite:///{tmp_path_factory.mktemp('pages') / 'p.db'}")
    add_user(f, "op", "operator")
    add_user(f, "sup", "supervisor")
    add_user(f, "root", "admin")
    add_user(f, "pfu", "body", body_code="PFU")
    return f


@pytest.fixture
def app(factory):
    return create_app(Settings(environment="test"), session_factory=factory)


def form_post(client, url, data, page_url):
    token = csrf_from(client.get(page_url).text)
    return client.post(url, data={**data, "csrf_token": token}, follow_redirects=False)


def register_by_form(client) -> int:
    r = form_post(client, "/operator/appeals/new", {**FORM, "action": "register"},
                  "/operator/appeals/new")
    assert r.status_code == 303, r.text
    return int(r.headers["location"].rsplit("/", 1)[1])


def test_pages_need_login(app):
    c = TestClient(app)
    r = c.get("/operator/drafts", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/"
    assert c.get("/api/drafts").status_code == 401


def test_form_saves_a_draft_then_registers_it(app, factory):
    op = logged_in(TestClient(app), "op")
    r = form_post(op, "/operator/appeals/new", {"substance": "Перший запис", "action": "save"},
                  "/operator/appeals/new")
    assert r.status_code == 303 and r.headers["location"].endswith("/edit?saved=1")
    edit = r.headers["location"].split("?")[0]
    page = op.get(edit)
    assert "Перший запис" in page.text and "Чернетки" in page.text
    appeal_id = int(edit.split("/")[3])
    assert f"/operator/appeals/{appeal_id}/edit" in op.get("/operator/drafts").text
    r = form_post(op, f"/operator/appeals/{appeal_id}/submit", {**FORM, "action": "register"}, edit)
    assert r.status_code == 303 and r.headers["location"] == f"/appeals/{appeal_id}"
    card = op.get(r.headers["location"]).text
    assert "Пенсійний фонд України" in card and "Пріоритетна категорія" in card
    with factory() as s:
        a = s.get(Appeal, appeal_id)
        assert a.status == "routed" and a.priority and a.number


def test_refused_form_shows_every_reason_and_keeps_the_input(app):
    op = logged_in(TestClient(app), "op")
    data = {**FORM, "full_name": "Петренко", "email": "bad", "action": "register"}
    r = form_post(op, "/operator/appeals/new", data, "/operator/appeals/new")
    assert r.status_code == 422
    assert 'data-field="full_name"' in r.text and 'data-field="email"' in r.text
    assert "щонайменше прізвище та ім&#39;я" in r.text or "щонайменше прізвище та ім'я" in r.text
    assert 'value="Петренко"' in r.text


def test_override_without_reason_stays_registered_with_a_message(app, factory):
    op = logged_in(TestClient(app), "op")
    with factory() as s:
        npu = s.scalars(select(StateBody.id).where(StateBody.code == "NPU")).one()
    r = form_post(op, "/operator/appeals/new", {**FORM, "action": "register", "body_id": str(npu)},
                  "/operator/appeals/new")
    card = op.get(r.headers["location"]).text
    assert "Зазначте причину" in card
    appeal_id = int(r.headers["location"].rsplit("/", 1)[1])
    r = form_post(op, f"/appeals/{appeal_id}/route",
                  {"body_id": str(npu), "override_reason": "скарга на дії поліцейського"},
                  f"/appeals/{appeal_id}")
    assert r.status_code == 303
    with factory() as s:
        assert s.get(Appeal, appeal_id).body_id == npu


def test_due_list_puts_priority_first_and_marks_overdue(app, factory):
    op = logged_in(TestClient(app), "op")
    register_by_form(op)  # a priority one (Hero of Ukraine)
    r = form_post(op, "/operator/appeals/new", {**FORM, "social_category": "none", "action": "register"},
                  "/operator/appeals/new")
    plain = int(r.headers["location"].rsplit("/", 1)[1])
    with factory() as s:
        a = s.get(Appeal, plain)
        a.due_at = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
        s.commit()
    due = {i["appeal"]["id"]: i for i in op.get("/api/appeals/due").json()}
    assert due[plain]["overdue"] is True
    order = [i["appeal"]["priority"] for i in op.get("/api/appeals/due").json()]
    assert order == sorted(order, reverse=True)  # priority ones first
    page = logged_in(TestClient(app), "sup").get("/operator/due")
    assert page.status_code == 200 and "Прострочено" in page.text


def test_search_by_number_phone_name_and_dates(app):
    op = logged_in(TestClient(app), "op")
    appeal_id = register_by_form(op)
    number = op.get(f"/api/appeals/{appeal_id}").json()["appeal"]["number"]
    assert [a["id"] for a in op.get("/api/appeals/search", params={"number": number}).json()] == [appeal_id]
    by_phone = op.get("/api/appeals/search", params={"phone": "093 111 22 33"}).json()
    assert appeal_id in [a["id"] for a in by_phone]
    today = dt.date.today().isoformat()
    by_day = op.get("/api/appeals/search", params={"text": "субсидію", "date_from": today}).json()
    assert appeal_id in [a["id"] for a in by_day]
    assert op.get("/api/appeals/search", params={"date_to": "2000-01-01"}).json() == []
    assert op.get("/api/appeals/search", params={"date_to": "yesterday"}).status_code == 422
    assert number in op.get("/operator/search", params={"number": number}).text


def test_admin_edits_bodies_rules_and_users(app, factory):
    root = logged_in(TestClient(app), "root")
    r = form_post(root, "/admin/bodies", {"code": "TEST-BODY", "name_uk": "Тестовий орган",
                                          "name_en": "Test body", "kind": "agency",
                                          "webhook_url": "http://127.0.0.1:9/x", "active": "on"},
                  "/admin/bodies")
    assert r.status_code == 303
    r = form_post(root, "/admin/rules", {"id": "R-TEST", "priority": "10", "topic_prefix": "16.02",
                                         "body_code": "TEST-BODY", "reason_uk": "тестове правило",
                                         "active": "on"}, "/admin/rules")
    assert r.status_code == 303
    bad = form_post(root, "/admin/rules", {"id": "R-BAD", "body_code": "TEST-BODY",
                                           "body_kind": "regional", "reason_uk": "x"}, "/admin/rules")
    assert bad.status_code == 422 and "або код органу, або вид органу" in bad.text
    r = form_post(root, "/admin/users", {"username": "tb", "password": "long-enough-1",
                                         "role": "body", "body_id": ""}, "/admin/users")
    assert r.status_code == 422 and "потрібен орган" in r.text
    with factory() as s:
        rule = s.get(RoutingRule, "R-TEST")
        assert rule.body_code == "TEST-BODY" and rule.active
        assert s.scalars(select(AuditLog).where(AuditLog.action == "rule_saved")).first()
    # the rule edited in the database drives the next proposal
    op = logged_in(TestClient(app), "op")
    draft = op.post("/api/appeals", json={**FORM, "topic_code": "16.02"}).json()
    proposal = op.get(f"/api/appeals/{draft['id']}/proposal").json()
    assert proposal["body"]["code"] == "TEST-BODY" and proposal["rule_id"] == "R-TEST"
    # switch it off again so other tests route as shipped
    r = root.put("/api/admin/rules/R-TEST", json={"id": "R-TEST", "topic_prefix": "16.02",
                                                 "body_code": "TEST-BODY", "reason_uk": "вимкнено",
                                                 "active": False})
    assert r.status_code == 200 and r.json()["active"] is False
    users = root.get("/api/admin/users").json()
    assert {"op", "root", "pfu"} <= {u["username"] for u in users}


def test_operator_cannot_administer(app):
    op = logged_in(TestClient(app), "op")
    assert op.get("/admin/bodies").status_code == 403
    assert op.post("/api/admin/users", json={"username": "x", "password": "y" * 9,
                                             "role": "admin"}).status_code == 403


def test_screen_pop_placeholder_and_openapi(app):
    op = logged_in(TestClient(app), "op")
    assert "0671234567" in op.get("/operator/screen-pop", params={"caller": "0671234567"}).text
    spec = TestClient(app).get("/openapi.json").json()
    for path in ("/api/appeals", "/api/appeals/{appeal_id}/register", "/api/appeals/{appeal_id}/route",
                 "/api/appeals/{appeal_id}/answer", "/api/body/inbox", "/api/admin/rules",
                 "/api/appeals/search", "/healthz"):
        assert path in spec["paths"], path
