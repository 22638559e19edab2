"""applicants: GIN index on the words of the name, for word-prefix name search (PostgreSQL)

``to_tsvector('simple', translate(full_name, <apostrophes>, ''))``: each word of the name,
lower-cased, apostrophes dropped (Дем'яненко = Демяненко). A search resolves the typed
words (each a prefix) to applicant ids through this index, then walks the appeals newest
first; see docs/SCHEMA.md ("Name search"). The trigram index stays for input with no
letters or digits (substring ILIKE). Built CONCURRENTLY outside the migration's transaction
so a large ``applicants`` table keeps taking registrations; SQLite has nothing to do (its
search is a folded LIKE).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ix_applicants_name_words"
# frozen here rather than imported from the models: this revision builds what it built then
NAME_WORDS_EXPR = (
    "to_tsvector('simple'::regconfig, translate(full_name, '''\u2019\u02bc`\u2018', ''))"
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        with op.get_context().autocommit_block():
            op.execute(
                f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {INDEX} "
                f"ON applicants USING gin ({NAME_WORDS_EXPR})"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        with op.get_context().autocommit_block():
            op.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {INDEX}")
