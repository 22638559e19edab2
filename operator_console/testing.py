"""Helpers for tests of the console and of code that drives it: a migrated, seeded database,
users of each role, and a logged-in TestClient that sends the CSRF header.

Example::

    factory = prepare_database(url)
    add_user(factory, "op", "operator")
    client = logged_in(TestClient(create_app(settings, session_factory=factory)), "op")
"""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from appeal_store.models.reference import StateBody

PASSWORD = "correct-horse-1545"
_CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')


def prepare_database(url: str) -> sessionmaker[Session]:
    """Migrate ``url`` to head, seed routing's reference data, return a session factory."""
    from appeal_store.db import make_engine, make_session_factory
    from appeal_store.migrate import upgrade
    from appeal_store.seed import seed_from_routing

    upgrade(url)
    factory = make_session_factory(make_engine(url))
    with factory() as session:
        seed_from_routing(session)
        session.commit()
    return factory


def body_id(factory: sessionmaker[Session], code: str) -> int:
    """The database id of the body with ``code``."""
    with factory() as session:
        return session.scalars(select(StateBody.id).where(StateBody.code == code)).one()


def add_user(factory: sessionmaker[Session], username: str, role: str, *,
             body_code: str | None = None, password: str = PASSWORD) -> int:
    """Create a user (a body user belongs to ``body_code``); returns its id."""
    from appeal_store.users import create_user

    with factory() as session:
        bid = body_id(factory, body_code) if body_code else None
        user = create_user(session, username, password, role, full_name=username.title(),
                           body_id=bid)
        session.commit()
        return user.id


def csrf_from(html: str) -> str:
    """The CSRF token of the first form on a page."""
    match = _CSRF_INPUT.search(html)
    if match is None:
        raise AssertionError("no csrf_token field on the page")
    return match.group(1)


def logged_in(client, username: str, password: str = PASSWORD):
    """Log ``client`` (a TestClient) in through the login form; the CSRF header is set."""
    page = client.get("/")
    response = client.post("/login", data={"username": username, "password": password,
                                           "csrf_token": csrf_from(page.text)},
                           follow_redirects=False)
    if response.status_code != 303:
        raise AssertionError(f"login of {username} failed: {response.status_code}")
    token = client.get("/api/me").json()["csrf_token"]
    client.headers["X-CSRF-Token"] = token
    return client
