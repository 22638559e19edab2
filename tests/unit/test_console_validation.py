"""The appeal form's checks (Art. 5, 8, 20 of the Law "On citizens' appeals"), pure."""

from __future__ import annotations

import itertools

import pytest

from appeal_store.services.lifecycle import TRANSITIONS, can_move
from appeal_store.services.validation import AppealForm, is_priority, normalise_phone, validate

REGIONS, TOPICS = {"UA-46", "UA-80"}, {"16", "16.01"}


def good(**changes) -> AppealForm:
    form = AppealForm(full_name="Українка Леся Петрівна", region_code="UA-46", settlement="Львів",
                      address="пл. Ринок, 1", phone="0671234567", topic_code="16.01",
                      substance="Прошу пояснити порядок перерахунку пенсії.")
    for k, v in changes.items():
        setattr(form, k, v)
    return form


def codes(form: AppealForm) -> dict[str, str]:
    return {e.field: e.code for e in validate(form, regions=REGIONS, topics=TOPICS)}


def test_a_complete_appeal_passes():
    assert codes(good()) == {}


@pytest.mark.parametrize("name,code", [("", "anonymous"), ("Петренко", "incomplete"),
                                       ("Петренко 123", "invalid")])
def test_name_rules(name, code):
    assert codes(good(full_name=name)) == {"full_name": code}


def test_apostrophe_and_hyphen_names_are_fine():
    assert codes(good(full_name="Мар'яна Квітка-Основ'яненко")) == {}


def test_no_address_counts_as_anonymous():
    errors = validate(good(address="", settlement="", region_code=""), regions=REGIONS, topics=TOPICS)
    assert {e.field for e in errors} == {"address", "settlement", "region_code"}
    assert any("анонімним" in e.uk for e in errors)


def test_unknown_codes_and_types():
    assert codes(good(region_code="UA-99", topic_code="99", type="letter", channel="fax",
                      social_category="alien")) == {
        "region_code": "unknown", "topic_code": "unknown", "type": "unknown",
        "channel": "unknown", "social_category": "unknown"}


def test_electronic_appeal_needs_email_and_a_valid_one():
    assert codes(good(channel="web")) == {"email": "required"}
    assert codes(good(email="not-an-email")) == {"email": "invalid"}
    assert codes(good(channel="web", email="lesia@example.org")) == {}


def test_substance_must_say_something():
    assert codes(good(substance="пенсія")) == {"substance": "required"}
    assert codes(good(substance="x" * 20_001)) == {"substance": "too_long"}


@pytest.mark.parametrize("raw,out", [("067 123 45 67", "+380671234567"),
                                     ("+38 (067) 123-45-67", "+380671234567"),
                                     ("380671234567", "+380671234567"),
                                     ("12345", None), ("+4915112345678", None), ("телефон", None)])
def test_phone_normalisation(raw, out):
    assert normalise_phone(raw) == out


def test_priority_categories_follow_deadlines():
    assert is_priority("hero_of_ukraine") and is_priority("combat_veteran")
    assert not is_priority("pensioner") and not is_priority("none")


def test_from_mapping_reads_checkboxes_and_ids():
    form = AppealForm.from_mapping({"is_repeated": "on", "call_id": "7", "recording_id": "",
                                    "full_name": "  Іван  Франко ", "unknown": "x"})
    assert form.is_repeated and not form.is_collective
    assert form.call_id == 7 and form.recording_id is None
    assert form.full_name == "Іван  Франко"


def test_lifecycle_is_the_documented_chain():
    chain = ["draft", "registered", "routed", "delivered", "answered", "checked", "closed"]
    for a, b in itertools.pairwise(chain):
        assert can_move(a, b)
    assert not can_move("draft", "routed")
    assert not can_move("closed", "draft")
    assert not can_move("answered", "routed")
    assert TRANSITIONS["closed"] == frozenset()
