"""Art. 7 of the Law "On citizens' appeals" in the console's services, on SQLite and PostgreSQL:
a complaint is never routed to the body whose decision it complains of."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from appeal_store import migrate
from appeal_store.db import make_engine, make_session_factory
from appeal_store.models import Appeal, AppealEvent, Delivery, RoutingDecision, User
from appeal_store.services import registration, routing_service
from appeal_store.services.errors import Art7Refused, ValidationFailed
from appeal_store.services.validation import AppealForm, validate
from hotline.settings import Settings
from operator_console.app import create_app
from operator_console.testing import add_user, body_id, logged_in, prepare_database

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
COMPLAINT = AppealForm(
    full_name="Косач Лариса Петрівна", region_code="UA-46", settlement="Львів",
    address="вул. Лесі Українки, 5", phone="+380671234567", type="complaint",
    topic_code="16.01", complained_about_body="PFU",
    substance="Скаржуся на рішення Пенсійного фонду про відмову в перерахунку пенсії.",
)


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def factory(request, tmp_path_factory):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('art7') / 'a.db'}"
    else:
        url = request.getfixturevalue("pg_url")
    f = prepare_database(url)
    add_user(f, "op7", "operator")
    return f


@pytest.fixture
def db(factory):
    with factory() as session:
        yield session


@pytest.fixture
def operator(db):
    return db.scalars(select(User).where(User.username == "op7")).one()


def _register(db, operator, form: AppealForm) -> Appeal:
    return registration.register_appeal(db, form, actor=operator, now=T0)


def test_complaint_about_the_pension_fund_goes_to_its_overseer(db, operator, factory):
    appeal = _register(db, operator, COMPLAINT)
    assert appeal.complained_about_body_id == body_id(factory, "PFU")
    proposal = routing_service.propose(db, appeal)
    assert proposal.body is not None and proposal.body.code == "MSP"  # oversight PFU: MSP
    assert proposal.excluded is not None and proposal.excluded.code == "PFU"
    assert "PFU" not in [b.code for b in proposal.alternatives]
    assert "ст. 7" in proposal.reason_uk and "Art. 7" in proposal.reason_en
    assert proposal.as_dict()["excluded"]["code"] == "PFU"

    decision = routing_service.route_appeal(db, appeal.id, actor=operator, now=T0)
    assert decision.chosen_body_id == body_id(factory, "MSP") and not decision.overridden
    assert "ст. 7" in decision.reason
    db.refresh(appeal)
    assert appeal.status == "routed" and appeal.body_id == body_id(factory, "MSP")
    outbox_bodies = set(db.scalars(select(Delivery.body_id).where(Delivery.appeal_id == appeal.id)))
    assert outbox_bodies == {body_id(factory, "MSP")}


def test_override_to_the_complained_about_body_is_refused(db, operator, factory):
    appeal = _register(db, operator, COMPLAINT)
    pfu = body_id(factory, "PFU")
    with pytest.raises(Art7Refused) as refused:
        routing_service.route_appeal(db, appeal.id, actor=operator, now=T0, body_id=pfu,
                                     override_reason="заявник просить саме ПФУ")
    assert refused.value.status_code == 422
    assert "ст. 7" in refused.value.uk and "Пенсійний фонд" in refused.value.uk
    assert "Art. 7" in refused.value.en
    db.expire_all()
    appeal = db.get(Appeal, appeal.id)
    assert appeal.status == "registered" and appeal.body_id is None  # nothing written
    assert db.scalar(select(func.count()).select_from(RoutingDecision)
                     .where(RoutingDecision.appeal_id == appeal.id)) == 0
    assert db.scalar(select(func.count()).select_from(Delivery)
                     .where(Delivery.appeal_id == appeal.id)) == 0

    # an override to another body with a reason still works
    other = routing_service.route_appeal(db, appeal.id, actor=operator, now=T0,
                                         body_id=body_id(factory, "CMU-SEC"),
                                         override_reason="контроль Секретаріату")
    assert other.overridden


def test_re_routing_after_a_topic_change_still_leaves_the_body_out(db, operator, factory):
    appeal = _register(db, operator, COMPLAINT)
    routing_service.route_appeal(db, appeal.id, actor=operator, now=T0)
    with pytest.raises(Art7Refused):
        routing_service.route_appeal(db, appeal.id, actor=operator, now=T0,
                                     body_id=body_id(factory, "PFU"), override_reason="інше")
    routing_service.change_topic(db, appeal.id, "16", actor=operator, now=T0, reason="уточнено")
    db.refresh(appeal)
    assert appeal.body_id != body_id(factory, "PFU")


def test_a_non_complaint_ignores_the_field(db, operator, factory):
    form = dataclasses.replace(COMPLAINT, type="application",
                               substance="Прошу роз'яснити порядок перерахунку пенсії.")
    appeal = _register(db, operator, form)
    assert appeal.complained_about_body_id is None
    assert registration.form_of(appeal).complained_about_body == ""
    proposal = routing_service.propose(db, appeal)
    assert proposal.body.code == "PFU" and proposal.excluded is None
    assert "ст. 7" not in proposal.reason_uk
    decision = routing_service.route_appeal(db, appeal.id, actor=operator, now=T0)
    assert decision.chosen_body_id == body_id(factory, "PFU")


def test_a_non_complaint_ignores_even_an_unknown_code(db, operator):
    form = dataclasses.replace(COMPLAINT, type="proposal", complained_about_body="NOPE",
                               substance="Пропоную спростити подання заяв про пенсію онлайн.")
    appeal = _register(db, operator, form)
    assert appeal.complained_about_body_id is None


def test_unknown_body_is_a_clear_error_and_nothing_is_written(db, operator):
    before = db.scalar(select(func.count()).select_from(Appeal))
    form = dataclasses.replace(COMPLAINT, complained_about_body="NOPE")
    with pytest.raises(ValidationFailed) as failed:
        _register(db, operator, form)
    [error] = [e for e in failed.value.errors if e.field == "complained_about_body"]
    assert error.code == "unknown"
    assert "NOPE" in error.uk and "оскаржується" in error.uk
    assert "NOPE" in error.en and "complained about" in error.en
    assert db.scalar(select(func.count()).select_from(Appeal)) == before


def test_code_case_and_draft_round_trip(db, operator, factory):
    draft = registration.save_draft(db, dataclasses.replace(COMPLAINT, complained_about_body="pfu"),
                                    actor=operator, now=T0)
    assert draft.complained_about_body_id == body_id(factory, "PFU")
    assert registration.form_of(draft).complained_about_body == "PFU"
    # a draft is saved leniently: an unknown code is left out, the rest is kept
    draft = registration.save_draft(db, dataclasses.replace(COMPLAINT, complained_about_body="NOPE"),
                                    actor=operator, now=T0, appeal_id=draft.id)
    assert draft.complained_about_body_id is None and draft.substance == COMPLAINT.substance


def test_validate_without_known_bodies_refuses_any_code():
    errors = validate(COMPLAINT, regions={"UA-46"}, topics={"16.01"})
    assert [e.field for e in errors] == ["complained_about_body"]
    assert validate(COMPLAINT, regions={"UA-46"}, topics={"16.01"}, bodies={"PFU"}) == []
    assert validate(dataclasses.replace(COMPLAINT, complained_about_body=""),
                    regions={"UA-46"}, topics={"16.01"}) == []


# --- through the console -------------------------------------------------------------------


@pytest.fixture
def op_client(factory):
    app = create_app(Settings(environment="test"), session_factory=factory)
    return logged_in(TestClient(app), "op7")


def _payload(**changes) -> dict[str, object]:
    data = {k: v for k, v in dataclasses.asdict(COMPLAINT).items() if v is not None}
    data.update(changes)
    return data


def test_api_register_routes_to_the_overseer_and_refuses_the_body(op_client, factory):
    draft = op_client.post("/api/appeals", json=_payload()).json()
    assert draft["complained_about_body"] == "PFU"
    proposal = op_client.get(f"/api/appeals/{draft['id']}/proposal").json()
    assert proposal["body"]["code"] == "MSP" and proposal["excluded"]["code"] == "PFU"

    r = op_client.post(f"/api/appeals/{draft['id']}/register",
                       json=_payload(body_id=body_id(factory, "PFU"), override_reason="так"))
    assert r.status_code == 422
    assert "Art. 7" in r.json()["en"] and "ст. 7" in r.json()["uk"]

    other = op_client.post("/api/appeals", json=_payload()).json()
    r = op_client.post(f"/api/appeals/{other['id']}/register", json=_payload())
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["body_id"] == body_id(factory, "MSP")
    assert out["complained_about_body_id"] == body_id(factory, "PFU")


def test_api_unknown_body_is_422_with_the_field(op_client):
    draft = op_client.post("/api/appeals", json=_payload()).json()
    r = op_client.post(f"/api/appeals/{draft['id']}/register",
                       json=_payload(complained_about_body="NOPE"))
    assert r.status_code == 422
    assert [e["field"] for e in r.json()["errors"]] == ["complained_about_body"]


def test_form_shows_the_select_for_complaints_only(op_client):
    page = op_client.get("/operator/appeals/new").text
    assert 'name="complained_about_body"' in page
    assert '<div id="complained-about-field" hidden>' in page  # default type: application

    draft = op_client.post("/api/appeals", json=_payload()).json()
    page = op_client.get(f"/operator/appeals/{draft['id']}/edit").text
    assert '<div id="complained-about-field">' in page
    assert '<option value="PFU" selected>' in page
    assert 'id="proposal-excluded"' in page


def test_card_shows_the_body_complained_about(op_client, factory):
    draft = op_client.post("/api/appeals", json=_payload()).json()
    op_client.post(f"/api/appeals/{draft['id']}/register", json=_payload())
    page = op_client.get(f"/appeals/{draft['id']}").text
    assert 'id="appeal-complained-about"' in page and "(PFU, оскаржується, ст. 7)" in page
    op_client.get("/lang/en")
    page = op_client.get(f"/appeals/{draft['id']}").text
    assert "Body whose decision is complained of" in page


# --- the migration keeps data ----------------------------------------------------------------


def test_revision_0003_round_trip_keeps_appeals_and_their_events(tmp_path):
    """SQLite: the column is added and dropped in place, never by a table copy that would
    cascade-delete the appeals' events."""
    url = f"sqlite:///{tmp_path / 'm.db'}"
    f = prepare_database(url)
    add_user(f, "op", "operator")
    with f() as session:
        user = session.scalars(select(User)).one()
        appeal = registration.register_appeal(session, COMPLAINT, actor=user, now=T0)
        appeal_id = appeal.id
    migrate.downgrade(url, "0002")
    migrate.upgrade(url)
    engine = make_engine(url)
    try:
        with make_session_factory(engine)() as session:
            appeal = session.get(Appeal, appeal_id)
            assert appeal is not None and appeal.complained_about_body_id is None
            assert session.scalar(select(func.count()).select_from(AppealEvent)
                                  .where(AppealEvent.appeal_id == appeal_id)) >= 1
    finally:
        engine.dispose()
