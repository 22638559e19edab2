"""Supervision on PostgreSQL: figures from stored call events, history, CSV, staffing,
early warning, the wallboard snapshot with live state in Redis, and who may see what."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
import redis
from fastapi.testclient import TestClient
from sqlalchemy import select

from appeal_store.calls import record_event, upsert_call
from appeal_store.models import Appeal, QueueMembership, User
from appeal_store.stats.figures import figures
from appeal_store.stats.queries import appeal_counts, load_queue_calls, warning_signals
from hotline.settings import Settings
from operator_console.app import create_app
from operator_console.testing import add_user, logged_in, prepare_database

pytestmark = pytest.mark.postgres

UTC = dt.UTC
NOW = dt.datetime(2025, 3, 5, 10, 0, tzinfo=UTC)  # 12:00 in Kyiv
T = dt.datetime(2025, 3, 5, 9, 0, tzinfo=UTC)


def sec(s: float, base: dt.datetime = T) -> dt.datetime:
    return base + dt.timedelta(seconds=s)


def call(s, uid: str, queue: str, start: float, *, wait: int | None = None,
         talk: int | None = None, abandon: int | None = None, agent: str = "PJSIP/op1001",
         base: dt.datetime = T, topic: str | None = None) -> None:
    upsert_call(s, uid, caller_number="0671112233", queue=queue, topic_code=topic,
                started_at=sec(start - 30, base))
    record_event(s, f"{uid}:enter", uid, "enter", queue=queue, position=1, at=sec(start, base))
    if abandon is not None:
        record_event(s, f"{uid}:abandon", uid, "abandon", queue=queue, wait_seconds=abandon,
                     at=sec(start + abandon, base))
    if wait is not None:
        record_event(s, f"{uid}:connect", uid, "connect", queue=queue, agent=agent,
                     wait_seconds=wait, at=sec(start + wait, base))
    if talk is not None:
        record_event(s, f"{uid}:complete", uid, "complete", queue=queue, agent=agent,
                     talk_seconds=talk, at=sec(start + wait + talk, base))


@pytest.fixture(scope="module")
def factory(pg_url):
    f = prepare_database(pg_url)
    for name, role in (("sup", "supervisor"), ("op", "operator"), ("qa", "qa"),
                       ("root", "admin")):
        add_user(f, name, role)
    with f() as s:
        s.execute(User.__table__.update().where(User.username == "op")
                  .values(sip_endpoint="op1001", full_name="Оператор Олена"))
        op3 = add_user(f, "op3", "operator")
        s.execute(User.__table__.update().where(User.id == op3)
                  .values(sip_endpoint="op1004", full_name="Оператор Ірина"))
        s.add(QueueMembership(user_id=op3, queue="common"))
        call(s, "c1", "common", 0, wait=10, talk=120, topic="16.01")
        call(s, "c2", "common", 300, wait=20, talk=200)
        call(s, "c3", "common", 600, wait=25, talk=100, agent="PJSIP/op1002")
        call(s, "c4", "common", 1200, abandon=4)
        call(s, "c5", "common", 1800, abandon=30)
        call(s, "c6", "consult", 2400, wait=5, agent="PJSIP/op1002")
        call(s, "c7", "consult", 3570)
        call(s, "y1", "common", 0, wait=3, talk=60, base=T - dt.timedelta(hours=18))
        c1 = upsert_call(s, "c1")
        s.add(Appeal(region_code="UA-46", topic_code="16.01", call_id=c1.id,
                     substance="пенсія", received_at=sec(200)))
        # early warning: 2 appeals a day at 09:00 Kyiv for 28 days in UA-46 and UA-32;
        # today UA-46 has 12 (a spike), UA-32 has 3 (noise)
        for back in range(1, 29):
            day = dt.datetime(2025, 3, 5, 7, 0, tzinfo=UTC) - dt.timedelta(days=back)
            for region in ("UA-46", "UA-46", "UA-32", "UA-32"):
                s.add(Appeal(region_code=region, substance="x", received_at=day))
            # after noon: outside the compared stretch of the day, must not count
            s.add(Appeal(region_code="UA-32", substance="x",
                         received_at=day + dt.timedelta(hours=8)))
        for i in range(11):
            s.add(Appeal(region_code="UA-46", substance="x", received_at=sec(60 * i, T)))
        for i in range(3):
            s.add(Appeal(region_code="UA-32", substance="x", received_at=sec(60 * i, T)))
        s.commit()
    return f


@pytest.fixture
def app(factory, redis_url):
    return create_app(Settings(environment="test", redis_url=redis_url, timezone="Europe/Kyiv"),
                      session_factory=factory, clock=lambda: NOW)


def test_figures_from_stored_events_match_hand_computation(factory):
    with factory() as s:
        calls = load_queue_calls(s, T - dt.timedelta(hours=9), NOW)
    by_queue = {q: figures([c for c in calls if c.queue == q]) for q in ("common", "consult")}
    common = by_queue["common"]
    assert (common.offered, common.answered, common.abandoned, common.short_abandoned) == (
        5, 3, 2, 1)
    assert common.service_level == pytest.approx(2 / 4)
    assert common.asa_seconds == pytest.approx(55 / 3)
    assert common.aht_seconds == pytest.approx(140)
    consult = by_queue["consult"]
    assert (consult.offered, consult.waiting, consult.service_level) == (2, 1, 1.0)
    total = figures(calls)
    assert (total.offered, total.service_level, total.asa_seconds) == (7, 0.6, 15)
    c1 = next(c for c in calls if c.uniqueid == "c1")
    assert (c1.topic, c1.region) == ("16.01", "UA-46")


def test_a_closed_period_reads_the_same_later(factory):
    """A call entered before the end of the range and completed after it still counts."""
    with factory() as s:
        calls = load_queue_calls(s, T, sec(301))
    assert {c.uniqueid for c in calls} == {"c1", "c2"}
    assert figures(calls).aht_seconds == pytest.approx(160)


def test_wallboard_snapshot_joins_live_state_and_todays_figures(app, redis_url):
    r = redis.Redis.from_url(redis_url)
    r.hset("hotline:live:waiting:consult", "c7", json.dumps(
        {"caller": "0671112233", "since": (NOW - dt.timedelta(seconds=30)).isoformat(),
         "position": 1}))
    # the layout agi_scripts.live_state writes (agents keyed by SIP endpoint)
    r.hset("hotline:live:agents", mapping={
        "op1001": json.dumps({"state": "talking", "queues": ["consult", "common"],
                              "since": (NOW - dt.timedelta(seconds=60)).isoformat()}),
        "op1002": json.dumps({"state": "paused", "paused": True, "reason": "break",
                              "queues": ["common"], "name": "Петро"}),
        "op1003": json.dumps({"state": "unavailable", "queues": ["consult"]}),
    })
    c = logged_in(TestClient(app), "sup")
    snap = c.get("/api/supervisor/wallboard").json()
    queues = {q["queue"]: q for q in snap["queues"]}
    assert queues["consult"]["waiting"] == 1
    assert NOW.timestamp() - queues["consult"]["oldest_since"] == pytest.approx(30)
    assert queues["consult"]["agents"] == {"available": 0, "talking": 1, "paused": 0,
                                           "logged_out": 1}
    assert queues["common"]["agents"] == {"available": 0, "talking": 1, "paused": 1,
                                          "logged_out": 1}  # op1004 is not logged in
    assert queues["common"]["today"]["service_level"] == 0.5
    assert snap["total"]["offered"] == 7 and snap["total"]["service_level"] == 0.6
    agents = {a["agent"]: a for a in snap["agents"]}
    assert agents["op1001"]["name"] == "Оператор Олена"  # from the user's endpoint
    assert agents["op1002"]["reason"] == "break" and snap["live_ok"] is True
    assert agents["op1004"]["state"] == "logged_out" and agents["op1004"]["queues"] == ["common"]
    assert snap["agent_totals"] == {"available": 0, "talking": 1, "paused": 1, "logged_out": 2}
    page = c.get("/supervisor/wallboard")
    assert page.status_code == 200 and "Оператор Олена" in page.text and "60.0 %" in page.text


def test_wallboard_without_redis_still_shows_figures(factory):
    app = create_app(Settings(environment="test", redis_url="redis://127.0.0.1:1/0"),
                     session_factory=factory, clock=lambda: NOW)
    snap = logged_in(TestClient(app), "sup").get("/api/supervisor/wallboard").json()
    assert snap["live_ok"] is False and snap["total"]["offered"] == 7


def test_history_by_queue_day_and_csv(app):
    c = logged_in(TestClient(app), "sup")
    page = c.get("/supervisor/history", params={"date_from": "2025-03-04",
                                                "date_to": "2025-03-05", "by": "queue"})
    assert page.status_code == 200 and "<svg" in page.text and "history-table" in page.text
    rows = list(csv.reader(io.StringIO(c.get("/supervisor/history.csv", params={
        "date_from": "2025-03-04", "date_to": "2025-03-05", "by": "day"}).text.lstrip("\ufeff"))))
    header, *body = rows
    assert header[:4] == ["day", "offered", "answered", "abandoned"]
    by_label = {r[0]: dict(zip(header, r, strict=True)) for r in body}
    assert by_label["04.03.2025"]["offered"] == "1"
    assert by_label["05.03.2025"]["offered"] == "7"
    assert by_label["05.03.2025"]["service_level"] == "0.6"
    assert by_label["total"]["offered"] == "8"
    region = c.get("/supervisor/history.csv", params={"date_from": "2025-03-05",
                                                      "date_to": "2025-03-05", "by": "region"})
    assert "Львівська" in region.text
    assert c.get("/supervisor/history", params={"by": "colour"}).status_code == 422
    assert c.get("/supervisor/history", params={"date_from": "2025-03-06",
                                                "date_to": "2025-03-05"}).status_code == 422


def test_history_by_hour_fills_empty_hours(app):
    c = logged_in(TestClient(app), "sup")
    text = c.get("/supervisor/history.csv", params={"date_from": "2025-03-05",
                                                    "date_to": "2025-03-05", "by": "hour"}).text
    lines = text.strip().splitlines()
    assert len(lines) == 1 + 24 + 1  # header, every hour of the day, total
    assert any(line.startswith("05.03 11:00,7,") for line in lines)  # 09:00 UTC = 11:00 Kyiv


def test_staffing_page_uses_erlang_c(app):
    c = logged_in(TestClient(app), "sup")
    page = c.get("/supervisor/staffing", params={"date_from": "2025-03-05",
                                                 "date_to": "2025-03-05", "target": "80"})
    assert page.status_code == 200
    assert 'id="staffing-peak">2<' in page.text  # 7 calls/h x 140 s: 0.27 erl -> 2 at 85 %
    assert c.get("/supervisor/staffing", params={"target": "150"}).status_code == 422


def test_early_warning_flags_the_spiking_region_only(factory, app):
    from zoneinfo import ZoneInfo

    with factory() as s:
        window, signals = warning_signals(s, NOW, ZoneInfo("Europe/Kyiv"), "region")
        assert appeal_counts(s, window.start, NOW, "region") == {"UA-46": 12, "UA-32": 3}
    by_key = {sig.key: sig for sig in signals}
    assert by_key["UA-46"].flagged and by_key["UA-46"].baseline_mean == pytest.approx(2)
    assert not by_key["UA-32"].flagged and by_key["UA-32"].baseline_mean == pytest.approx(2)
    page = logged_in(TestClient(app), "sup").get("/supervisor/warnings")
    assert page.status_code == 200
    assert 'data-key="UA-46" class="flagged"' in page.text
    assert 'data-key="UA-32" class=""' in page.text


@pytest.mark.parametrize("path", ["/supervisor/wallboard", "/supervisor/history",
                                  "/supervisor/history.csv", "/supervisor/staffing",
                                  "/supervisor/warnings", "/api/supervisor/wallboard",
                                  "/supervisor/wallboard/stream", "/supervisor/listen",
                                  "/qa/recordings"])
def test_operator_is_refused_every_supervision_page(app, path):
    assert logged_in(TestClient(app), "op").get(path).status_code == 403


def test_qa_sees_qa_but_not_supervision_and_anonymous_is_sent_to_login(app):
    qa = logged_in(TestClient(app), "qa")
    assert qa.get("/qa/recordings").status_code == 200
    assert qa.get("/supervisor/wallboard").status_code == 403
    assert qa.get("/supervisor/listen").status_code == 403
    assert TestClient(app).get("/api/supervisor/wallboard").status_code == 401


def test_admin_sees_statistics_but_cannot_listen_in(app):
    root = logged_in(TestClient(app), "root")
    assert root.get("/supervisor/history").status_code == 200
    assert root.get("/supervisor/listen").status_code == 403


def test_operator_names_map_endpoints(factory):
    from appeal_store.stats.queries import operator_names

    with factory() as s:
        names = operator_names(s)
        assert s.scalar(select(User.sip_endpoint).where(User.username == "op")) == "op1001"
    assert names["PJSIP/op1001"] == names["op1001"] == "Оператор Олена"
