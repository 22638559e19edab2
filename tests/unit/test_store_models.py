"""The models: tables, naming convention, UTC timestamps, optimistic locking (SQLite)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import inspect, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from appeal_store.db import make_engine, make_session_factory, session_scope
from appeal_store.models import Appeal, Applicant, Base, CallEvent, Recording, Transcript


@pytest.fixture
def factory(sqlite_url):
    engine = make_engine(sqlite_url)
    Base.metadata.create_all(engine)
    yield make_session_factory(engine)
    engine.dispose()


def test_every_table_and_named_constraints(factory):
    insp = inspect(factory.kw["bind"])
    tables = set(insp.get_table_names())
    assert {"appeals", "applicants", "calls", "call_events", "recordings", "transcripts",
            "audit_log", "users", "state_bodies", "deliveries"} <= tables
    uniques = {u["name"] for u in insp.get_unique_constraints("appeals")}
    assert "uq_appeals_number" in uniques
    indexes = {i["name"] for i in insp.get_indexes("appeals")}
    assert {"ix_appeals_received_at", "ix_appeals_status_due_at",
            "ix_appeals_body_id_status"} <= indexes
    # PostgreSQL-only search indexes are not attempted on SQLite
    assert "ix_appeals_substance_fts" not in indexes


def test_timestamps_come_back_aware_utc(factory):
    kyiv = dt.timezone(dt.timedelta(hours=3))
    with session_scope(factory) as s:
        s.add(Appeal(received_at=dt.datetime(2026, 1, 5, 12, 0, tzinfo=kyiv), substance="x"))
    with session_scope(factory) as s:
        got = s.scalars(select(Appeal)).one()
        assert got.received_at == dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)
        assert got.received_at.tzinfo is not None
        assert got.created_at.tzinfo is not None


def test_naive_datetime_refused(factory):
    with pytest.raises(Exception, match="naive datetime"), session_scope(factory) as s:
        s.add(Appeal(received_at=dt.datetime(2026, 1, 5, 12, 0), substance="x"))


def test_status_check_constraint(factory):
    with pytest.raises(IntegrityError), session_scope(factory) as s:
        s.add(Appeal(status="lost", substance="x"))


def test_optimistic_lock_refuses_stale_update(factory):
    with session_scope(factory) as s:
        a = Appeal(substance="first", applicant=Applicant(full_name="Іван Петренко"))
        s.add(a)
    s1, s2 = factory(), factory()
    a1 = s1.get(Appeal, a.id)
    a2 = s2.get(Appeal, a.id)
    a1.substance = "edit one"
    s1.commit()
    a2.substance = "edit two"
    with pytest.raises(StaleDataError):
        s2.commit()
    s1.close()
    s2.close()
    with session_scope(factory) as s:
        assert s.get(Appeal, a.id).version == 2


def test_event_source_key_and_one_transcript_per_recording_are_unique(factory):
    with pytest.raises(IntegrityError), session_scope(factory) as s:
        s.add(CallEvent(uniqueid="1.1", kind="enter", source_key="k"))
        s.add(CallEvent(uniqueid="1.1", kind="enter", source_key="k"))
    with pytest.raises(IntegrityError), session_scope(factory) as s:
        r = Recording(path="a.wav")
        s.add(r)
        s.flush()
        s.add(Transcript(recording_id=r.id))
        s.add(Transcript(recording_id=r.id))


def test_foreign_keys_enforced_on_sqlite(factory):
    with pytest.raises(IntegrityError), session_scope(factory) as s:
        s.add(Appeal(substance="x", body_id=999))
