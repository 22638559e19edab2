"""Alembic migrations of the hotline database (see appeal_store.migrate)."""
