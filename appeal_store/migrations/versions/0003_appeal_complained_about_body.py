"""appeals: complained_about_body_id — the body whose decision a complaint is about (Art. 7)

Art. 7 of the Law "On citizens' appeals": an appeal is not sent to the body or official whose
decision is complained of. Routing excludes this body and escalates to its overseer.

Batch mode with ``recreate="never"``: SQLite adds the column in place (ALTER TABLE … ADD
COLUMN … REFERENCES, and DROP COLUMN on the way down, SQLite ≥ 3.35). A "move and copy"
would drop ``appeals`` with foreign keys on, and that cascades to its events and decisions.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMN = "complained_about_body_id"
FK_NAME = "fk_appeals_complained_about_body_id_state_bodies"


def _is_sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def upgrade() -> None:
    sqlite = _is_sqlite()
    id_type = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    with op.batch_alter_table("appeals", recreate="never") as batch:
        if sqlite:
            # the only way to add a foreign key to an existing SQLite table without a copy
            batch.add_column(
                sa.Column(COLUMN, id_type, sa.ForeignKey("state_bodies.id", name=FK_NAME),
                          nullable=True),
                inline_references=True,
            )
        else:
            batch.add_column(sa.Column(COLUMN, id_type, nullable=True))
            batch.create_foreign_key(FK_NAME, "state_bodies", [COLUMN], ["id"])


def downgrade() -> None:
    sqlite = _is_sqlite()
    with op.batch_alter_table("appeals", recreate="never") as batch:
        if not sqlite:
            batch.drop_constraint(FK_NAME, type_="foreignkey")
        batch.drop_column(COLUMN)
