"""Fixtures of the unit tier: a migrated SQLite database per test."""

from __future__ import annotations

import pytest

from appeal_store import migrate
from appeal_store.db import make_engine, make_session_factory


@pytest.fixture
def factory(sqlite_url):
    """A session factory on a fresh SQLite file migrated to head."""
    migrate.upgrade(sqlite_url)
    engine = make_engine(sqlite_url)
    yield make_session_factory(engine)
    engine.dispose()
