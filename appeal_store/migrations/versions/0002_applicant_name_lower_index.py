"""applicants: btree index on lower(full_name) for exact, case-blind name lookups (PostgreSQL)

Repeated-appeal detection compares whole names; the trigram index serves substring search
but is slow for a whole common name. SQLite keeps using its folded LIKE.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE INDEX IF NOT EXISTS ix_applicants_full_name_lower "
            "ON applicants (lower(full_name))"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_applicants_full_name_lower")
