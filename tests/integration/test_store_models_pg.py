"""The models on a real PostgreSQL: create_all, search indexes, JSONB, aware timestamps."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import inspect, select

from appeal_store.db import make_engine, make_session_factory, session_scope
from appeal_store.models import Base, Call

pytestmark = pytest.mark.postgres


def test_create_all_with_search_indexes(pg_url):
    engine = make_engine(pg_url)
    try:
        Base.metadata.create_all(engine)
        insp = inspect(engine)
        assert "ix_appeals_substance_fts" in {i["name"] for i in insp.get_indexes("appeals")}
        assert "ix_applicants_full_name_trgm" in {
            i["name"] for i in insp.get_indexes("applicants")
        }
        factory = make_session_factory(engine)
        with session_scope(factory) as s:
            s.add(Call(uniqueid="1700000000.1", ivr_path=[{"node": "lang", "digits": "1"}]))
        with session_scope(factory) as s:
            call = s.scalars(select(Call)).one()
            assert call.ivr_path == [{"node": "lang", "digits": "1"}]
            assert call.started_at.tzinfo is not None
            assert abs(call.started_at - dt.datetime.now(dt.UTC)).total_seconds() < 60
    finally:
        Base.metadata.drop_all(engine)
        engine.dispose()
