"""The audit log: rows land with the caller's transaction, and read back by object/actor."""

from __future__ import annotations

import datetime as dt

import pytest

from appeal_store.audit import audit, history
from appeal_store.db import session_scope
from appeal_store.users import create_user

UTC = dt.UTC


def test_audit_rows_and_history(factory):
    with session_scope(factory) as s:
        qa = create_user(s, "qa1", "password-1", "qa")
        audit(s, qa.id, "play_recording", "recording", 42, {"seconds": 10}, "127.0.0.1",
              at=dt.datetime(2026, 1, 1, tzinfo=UTC))
        audit(s, qa.id, "view_applicant", "appeal", "7", ip="::1")
        audit(s, None, "purge", "recording", 42, ip="1.2.3.4'; drop")
    with session_scope(factory) as s:
        rows = history(s, object_type="recording", object_id=42)
        assert [r.action for r in rows] == ["purge", "play_recording"]
        assert rows[0].ip is None  # malformed address not stored
        assert rows[1].ip == "127.0.0.1" and rows[1].detail == {"seconds": 10}
        assert [r.action for r in history(s, actor_id=qa.id)] == [
            "view_applicant", "play_recording",
        ]


def test_audit_is_rolled_back_with_its_transaction(factory):
    with pytest.raises(RuntimeError), session_scope(factory) as s:
        audit(s, None, "export", "appeal", 1)
        raise RuntimeError("export failed")
    with session_scope(factory) as s:
        assert history(s, object_type="appeal") == []
        with pytest.raises(ValueError):
            audit(s, None, "", "appeal", 1)
