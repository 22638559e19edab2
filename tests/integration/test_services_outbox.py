"""The outbox against a real HTTP server on 127.0.0.1: retries with exponential backoff,
the same Idempotency-Key on every try, dead after too many failures."""

from __future__ import annotations

import datetime as dt
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from sqlalchemy import select

from appeal_store.models import Appeal, Delivery, StateBody, User
from appeal_store.services import outbox, registration, routing_service
from appeal_store.services.validation import AppealForm
from operator_console.testing import add_user, prepare_database

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
FORM = AppealForm(full_name="Франко Іван Якович", region_code="UA-46", settlement="Дрогобич",
                  address="вул. Франка, 3", phone="+380501112233", topic_code="16.01",
                  substance="Прошу перевірити розмір пенсії по інвалідності.")


class Hook:
    """A webhook that fails ``fail`` times with ``status`` and then accepts."""

    def __init__(self, fail: int, status: int = 503):
        self.fail, self.status, self.calls = fail, status, []
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                hook.calls.append((self.headers.get("Idempotency-Key"), json.loads(body)))
                code = hook.status if len(hook.calls) <= hook.fail else 200
                self.send_response(code)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/appeals"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def factory(request, tmp_path_factory):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('outbox') / 'o.db'}"
    else:
        url = request.getfixturevalue("pg_url")
    f = prepare_database(url)
    add_user(f, "op", "operator")
    return f


def routed_appeal(factory, webhook_url: str | None) -> int:
    with factory() as s:
        body = s.scalars(select(StateBody).where(StateBody.code == "PFU")).one()
        body.webhook_url = webhook_url
        s.commit()
        op = s.scalars(select(User).where(User.username == "op")).one()
        appeal = registration.register_appeal(s, FORM, actor=op, now=T0)
        routing_service.route_appeal(s, appeal.id, actor=op, now=T0)
        return appeal.id


def test_backoff_doubles_and_is_capped():
    assert [outbox.backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert outbox.backoff(30) == outbox.MAX_DELAY


def test_retries_with_backoff_and_a_stable_key(factory):
    hook = Hook(fail=2)
    try:
        appeal_id = routed_appeal(factory, hook.url)
        with httpx.Client() as http:
            first = outbox.deliver_pending(factory, http, T0)
            assert (first.sent, first.retried) == (1, 1)  # inbox sent, webhook 503
            assert outbox.deliver_pending(factory, http, T0 + dt.timedelta(seconds=29)).retried == 0
            assert outbox.deliver_pending(factory, http, T0 + dt.timedelta(seconds=31)).retried == 1
            # second failure: next try 60 s after the second attempt
            assert outbox.deliver_pending(factory, http, T0 + dt.timedelta(seconds=80)).sent == 0
            done = outbox.deliver_pending(factory, http, T0 + dt.timedelta(seconds=92))
            assert done.sent == 1
            assert outbox.deliver_pending(factory, http, T0 + dt.timedelta(hours=2)).sent == 0
        keys = {k for k, _ in hook.calls}
        assert len(hook.calls) == 3 and len(keys) == 1
        key = keys.pop()
        assert key.startswith(f"routed.{appeal_id}.") and key.endswith(".webhook")
        payload = hook.calls[-1][1]
        assert payload["event"] == "appeal.routed"
        assert payload["appeal"]["applicant"]["full_name"] == "Франко Іван Якович"
        with factory() as s:
            hooked = s.scalars(select(Delivery).where(Delivery.appeal_id == appeal_id,
                                                      Delivery.kind == "webhook")).one()
            assert (hooked.status, hooked.attempts, hooked.last_error) == ("sent", 3, None)
            assert s.get(Appeal, appeal_id).status == "delivered"
    finally:
        hook.close()


def test_gives_up_after_max_attempts(factory):
    hook = Hook(fail=100)
    try:
        appeal_id = routed_appeal(factory, hook.url)
        now = T0
        with httpx.Client() as http:
            for _ in range(4):
                outbox.deliver_pending(factory, http, now, max_attempts=3)
                now += dt.timedelta(hours=2)
        assert len(hook.calls) == 3
        with factory() as s:
            d = s.scalars(select(Delivery).where(Delivery.appeal_id == appeal_id,
                                                 Delivery.kind == "webhook")).one()
            assert (d.status, d.attempts, d.last_error) == ("dead", 3, "HTTP 503")
    finally:
        hook.close()


def test_client_error_is_not_retried_and_unreachable_host_is(factory):
    hook = Hook(fail=100, status=400)
    try:
        bad = routed_appeal(factory, hook.url)
        with httpx.Client() as http:
            assert outbox.deliver_pending(factory, http, T0).dead == 1
    finally:
        hook.close()
    down = routed_appeal(factory, hook.url)  # the server is closed now: connection refused
    with httpx.Client() as http:
        report = outbox.deliver_pending(factory, http, T0)
    assert report.retried == 1
    with factory() as s:
        rows = {d.appeal_id: d for d in s.scalars(select(Delivery).where(Delivery.kind == "webhook"))}
        assert rows[bad].status == "dead" and rows[bad].last_error == "HTTP 400"
        assert rows[down].status == "pending" and "ConnectError" in rows[down].last_error


def test_routing_twice_to_the_same_body_is_refused_and_same_body_topic_change_keeps_it(factory):
    from appeal_store.services.errors import ServiceError

    appeal_id = routed_appeal(factory, None)
    with factory() as s:
        op = s.scalars(select(User).where(User.username == "op")).one()
        with pytest.raises(ServiceError, match="already routed"):
            routing_service.route_appeal(s, appeal_id, actor=op, now=T0)
        # 16.02 is the Pension Fund's too: the topic changes, the body stays, no new delivery
        before = len(list(s.scalars(select(Delivery).where(Delivery.appeal_id == appeal_id))))
        assert routing_service.change_topic(s, appeal_id, "16.02", actor=op, now=T0) is None
        after = len(list(s.scalars(select(Delivery).where(Delivery.appeal_id == appeal_id))))
        assert before == after and s.get(Appeal, appeal_id).topic_code == "16.02"
