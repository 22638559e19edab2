"""Alembic environment of the hotline's database (SQLite or PostgreSQL).

Run through :mod:`appeal_store.migrate`, which builds the Alembic config in code; a caller
may hand over an open connection in ``config.attributes["connection"]``.
"""

from __future__ import annotations

import logging
from typing import Any

from alembic import context
from sqlalchemy import pool

from appeal_store.db import make_engine
from appeal_store.migrations.hooks import compare_type, include_object, render_item
from appeal_store.models import metadata

log = logging.getLogger("appeal_store.migrations")
config = context.config


def _configure(connection: Any) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        include_object=include_object,
        render_item=render_item,
        compare_type=compare_type,
        compare_server_default=False,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        return
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no database URL: set sqlalchemy.url or pass a connection")
    engine = make_engine(url, poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            _configure(connection)
    finally:
        engine.dispose()


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=metadata,
        literal_binds=True,
        include_object=include_object,
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
