"""Autogenerate hooks shared by env.py and the schema-equality tests."""

from __future__ import annotations

from typing import Any

from sqlalchemy import DateTime

from appeal_store.models import PG_ONLY_INDEXES, UTCDateTime


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """Leave the raw-SQL PostgreSQL search indexes out of autogenerate."""
    return not (type_ == "index" and name in PG_ONLY_INDEXES)


def render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    """Render the UTC timestamp type as a plain ``sa.DateTime(timezone=True)``."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def compare_type(ctx: Any, inspected: Any, metadata_col: Any, inspected_type: Any,
                 metadata_type: Any) -> bool | None:
    """UTCDateTime is a DateTime(timezone=True) underneath."""
    if isinstance(metadata_type, UTCDateTime):
        if not isinstance(inspected_type, DateTime):
            return True
        # SQLite reflects no timezone flag; PostgreSQL must say TIMESTAMP WITH TIME ZONE
        if ctx.dialect.name == "postgresql":
            return not inspected_type.timezone
        return False
    return None
