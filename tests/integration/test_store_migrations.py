"""Migrations: upgrade from nothing builds exactly the models' schema, on SQLite and PostgreSQL."""

from __future__ import annotations

import warnings

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from appeal_store import migrate
from appeal_store.db import make_engine
from appeal_store.migrations.hooks import compare_type, include_object
from appeal_store.models import metadata


def _diff(url: str) -> list:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(
                conn,
                opts={
                    "include_object": include_object,
                    "compare_type": compare_type,
                    "target_metadata": metadata,
                },
            )
            with warnings.catch_warnings():
                # expression indexes (PostgreSQL full text) cannot be reflected: excluded
                warnings.filterwarnings("ignore", message=".*expression-based index")
                return compare_metadata(ctx, metadata)
    finally:
        engine.dispose()


def _check_round_trip(url: str) -> None:
    assert migrate.current(url) is None
    migrate.upgrade(url)
    assert migrate.current(url) == migrate.head()
    assert _diff(url) == []
    migrate.upgrade(url)  # a second upgrade is a no-op
    engine = make_engine(url)
    tables = set(inspect(engine).get_table_names())
    engine.dispose()
    assert set(metadata.tables) <= tables
    migrate.downgrade(url, "base")
    assert migrate.current(url) is None
    engine = make_engine(url)
    left = set(inspect(engine).get_table_names()) - {"alembic_version"}
    engine.dispose()
    assert left == set()


def test_sqlite_upgrade_matches_models_and_downgrades(sqlite_url, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no alembic.ini around: the config is built in code
    _check_round_trip(sqlite_url)


@pytest.mark.postgres
def test_postgresql_upgrade_matches_models_and_downgrades(pg_url):
    migrate.upgrade(pg_url)
    engine = make_engine(pg_url)
    try:
        names = {i["name"] for i in inspect(engine).get_indexes("appeals")}
        names |= {i["name"] for i in inspect(engine).get_indexes("applicants")}
        fks = {f["name"] for f in inspect(engine).get_foreign_keys("appeals")}
    finally:
        engine.dispose()
    assert {"ix_appeals_substance_fts", "ix_applicants_full_name_trgm",
            "ix_applicants_full_name_lower"} <= names
    assert "fk_appeals_recording_id_recordings" in fks
    assert _diff(pg_url) == []
    migrate.downgrade(pg_url, "base")
    _check_round_trip(pg_url)


def test_a_detected_diff_is_reported(sqlite_url):
    """The comparison is not vacuous: a missing index shows up."""
    migrate.upgrade(sqlite_url)
    engine = make_engine(sqlite_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP INDEX ix_appeals_received_at")
    engine.dispose()
    diff = _diff(sqlite_url)
    assert any(d[0] == "add_index" and d[1].name == "ix_appeals_received_at" for d in diff)


def test_upgrade_creates_the_sqlite_folder(tmp_path):
    url = f"sqlite:///{tmp_path / 'var' / 'nested' / 'hotline.db'}"
    migrate.upgrade(url)
    assert migrate.current(url) == migrate.head()
