"""Registration numbers on PostgreSQL under concurrent threads: no duplicates, no gaps."""

from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from appeal_store import migrate
from appeal_store.db import make_engine, make_session_factory, session_scope
from appeal_store.models import Appeal
from appeal_store.numbering import next_number, parse_number

pytestmark = pytest.mark.postgres
UTC = dt.UTC


def test_concurrent_registrations_get_unique_numbers(pg_url):
    migrate.upgrade(pg_url)
    engine = make_engine(pg_url, pool_size=8, max_overflow=0)
    factory = make_session_factory(engine)
    start = threading.Barrier(8)

    def register(worker: int) -> list[str]:
        start.wait()
        out = []
        for i in range(25):
            with session_scope(factory) as s:
                number = next_number(s, "1545", dt.datetime(2026, 6, 1, tzinfo=UTC))
                s.add(Appeal(number=number, status="registered", substance=f"{worker}/{i}"))
                out.append(number)
        return out

    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            numbers = [n for chunk in pool.map(register, range(8)) for n in chunk]
        assert len(numbers) == 200
        assert len(set(numbers)) == 200
        assert sorted(parse_number(n)[2] for n in numbers) == list(range(1, 201))
        with session_scope(factory) as s:
            assert s.query(Appeal).filter(Appeal.number.is_not(None)).count() == 200
    finally:
        engine.dispose()
