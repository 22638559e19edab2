"""The console's text catalogue, templates' use of it, password hashing and CSRF tokens."""

from __future__ import annotations

import re

from operator_console.i18n import catalogue_keys, normalise_language, translate
from operator_console.security import csrf_matches, csrf_token, hash_password, verify_password
from operator_console.templating import TEMPLATES_DIR


def test_ukrainian_first_english_on_switch():
    assert translate("uk", "login.submit") == "Увійти"
    assert translate("en", "login.submit") == "Log in"
    assert translate("de", "login.submit") == "Увійти"
    assert normalise_language("fr") == "uk" and normalise_language("en") == "en"


def test_missing_key_shows_itself():
    assert translate("uk", "no.such.key") == "no.such.key"


def test_every_literal_key_in_templates_is_in_the_catalogue():
    used = set()
    for path in TEMPLATES_DIR.glob("*.html"):
        used |= set(re.findall(r"(?<![\w.])s?t\('([a-z_.]+)'[,)]", path.read_text(encoding="utf-8")))
    assert used, "templates use the catalogue"
    assert used - catalogue_keys() == set()


def test_argon2_hash_and_verify():
    h = hash_password("correct-horse-1545")
    assert h.startswith("$argon2id$")
    assert verify_password(h, "correct-horse-1545")
    assert not verify_password(h, "wrong")
    assert not verify_password("not-a-hash", "x")


def test_csrf_token_is_stable_per_session_and_checked():
    session: dict = {}
    token = csrf_token(session)
    assert csrf_token(session) == token and len(token) > 30
    assert csrf_matches(session, token)
    assert not csrf_matches(session, token + "x")
    assert not csrf_matches(session, None)
    assert not csrf_matches({}, token)
