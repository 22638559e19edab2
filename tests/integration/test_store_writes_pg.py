"""Dialect-specific writes on PostgreSQL: idempotent call events under concurrency,
reference seeding, audit."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from appeal_store import migrate
from appeal_store.audit import audit, history
from appeal_store.calls import append_ivr_input, get_call, record_event, upsert_call
from appeal_store.db import make_engine, make_session_factory, session_scope
from appeal_store.models import Call, CallEvent, Topic
from appeal_store.seed import seed_from_routing

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def factory(pg_url):
    migrate.upgrade(pg_url)
    engine = make_engine(pg_url, pool_size=6, max_overflow=0)
    yield make_session_factory(engine)
    engine.dispose()


def test_concurrent_consumers_write_each_event_once(factory):
    start = threading.Barrier(4)

    def consume(_):
        start.wait()
        written = 0
        for i in range(20):
            with session_scope(factory) as s:
                upsert_call(s, f"17.{i}", caller_number="0441234567")
                written += record_event(s, f"ami:join:17.{i}", f"17.{i}", "enter",
                                        queue="general", position=1)
        return written

    with ThreadPoolExecutor(max_workers=4) as pool:
        total = sum(pool.map(consume, range(4)))
    assert total == 20
    with session_scope(factory) as s:
        assert s.scalar(select(func.count()).select_from(Call)) == 20
        assert s.scalar(select(func.count()).select_from(CallEvent)) == 20
        assert s.scalar(select(func.count()).where(CallEvent.call_id.is_(None))) == 0


def test_ivr_path_on_postgresql(factory):
    with session_scope(factory) as s:
        append_ivr_input(s, "18.1", "language", "2", step=0)
        append_ivr_input(s, "18.1", "language", "2", step=0)
        append_ivr_input(s, "18.1", "main", "1", step=1)
    with session_scope(factory) as s:
        assert get_call(s, "18.1").ivr_path == [
            {"node": "language", "digits": "2"}, {"node": "main", "digits": "1"},
        ]


def test_seed_and_audit_on_postgresql(factory):
    with session_scope(factory) as s:
        assert seed_from_routing(s).added["topics"] > 10
    with session_scope(factory) as s:
        assert not seed_from_routing(s).changed
        assert s.scalar(select(func.count()).select_from(Topic).where(
            Topic.parent_code.is_not(None))) > 0
        audit(s, None, "seed", "reference", None, {"source": "routing"}, "10.0.0.1")
    with session_scope(factory) as s:
        assert history(s, object_type="reference")[0].detail == {"source": "routing"}
