"""Users: argon2 hashes, validation, authentication."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from appeal_store.db import session_scope
from appeal_store.models import QueueMembership, StateBody
from appeal_store.users import UserError, authenticate, create_user, set_password


def test_create_and_authenticate(factory):
    with session_scope(factory) as s:
        user = create_user(s, "Operator1", "correct horse", "operator", full_name="Оля",
                           sip_endpoint="op1", queues=["general", "utilities", "general"])
        assert user.password_hash.startswith("$argon2id$")
        assert "correct horse" not in user.password_hash
    with session_scope(factory) as s:
        assert authenticate(s, "operator1", "correct horse").full_name == "Оля"
        assert authenticate(s, "operator1", "wrong horse") is None
        assert authenticate(s, "nobody", "correct horse") is None
        queues = s.scalars(select(QueueMembership.queue).order_by(QueueMembership.queue)).all()
        assert queues == ["general", "utilities"]


def test_inactive_user_cannot_log_in_and_password_change(factory):
    with session_scope(factory) as s:
        user = create_user(s, "qa1", "password-1", "qa")
    with session_scope(factory) as s:
        user = authenticate(s, "qa1", "password-1")
        set_password(user, "password-2")
    with session_scope(factory) as s:
        assert authenticate(s, "qa1", "password-1") is None
        user = authenticate(s, "qa1", "password-2")
        user.active = False
    with session_scope(factory) as s:
        assert authenticate(s, "qa1", "password-2") is None


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        (("x", "password-1", "operator"), {}, "username"),
        (("bad name", "password-1", "operator"), {}, "username"),
        (("op", "short", "operator"), {}, "at least"),
        (("op", "password-1", "god"), {}, "role"),
        (("body1", "password-1", "body"), {}, "body_id"),
    ],
)
def test_bad_users_refused(factory, args, kwargs, message):
    with session_scope(factory) as s, pytest.raises(UserError, match=message):
        create_user(s, *args, **kwargs)


def test_duplicates_refused_and_body_user(factory):
    with session_scope(factory) as s:
        body = StateBody(code="NPU", name_uk="Поліція", name_en="Police", kind="police")
        s.add(body)
        s.flush()
        create_user(s, "police", "password-1", "body", body_id=body.id, sip_endpoint="p1")
        with pytest.raises(UserError, match="already exists"):
            create_user(s, "POLICE", "password-1", "admin")
        with pytest.raises(UserError, match="SIP endpoint"):
            create_user(s, "other", "password-1", "operator", sip_endpoint="p1")
