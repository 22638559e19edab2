"""Fixtures shared by every tier of tests.

Real services only: PostgreSQL at 127.0.0.1:5432 (trust auth), Redis at 127.0.0.1:6379.
Each PostgreSQL test module gets a fresh database of its own, so tests (and developers
running them side by side) never see each other's rows.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

PG_ADMIN_URL = os.environ.get(
    "HOTLINE_TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_TEST_URL = os.environ.get("HOTLINE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    """URL of a brand-new PostgreSQL database, dropped after the module."""
    from sqlalchemy import create_engine, text

    name = f"hotline_t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def redis_url() -> Iterator[str]:
    """URL of a Redis database emptied before and after the test.

    Each test gets a random key prefix through ``HOTLINE_TEST_REDIS_PREFIX`` as well, but
    the database number is shared, so tests that flush must use this fixture.
    """
    import redis

    client = redis.Redis.from_url(REDIS_TEST_URL)
    client.flushdb()
    try:
        yield REDIS_TEST_URL
    finally:
        client.flushdb()
        client.close()


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'hotline.db'}"
