"""The screen pop finds a caller's earlier appeals whatever form the number arrives in."""

from __future__ import annotations

import pytest

from agi_scripts.ami_screen_pop import earlier_appeals
from appeal_store.db import session_scope
from appeal_store.models import Appeal, Applicant


@pytest.mark.parametrize("arriving", ["0671234567", "380671234567", "+380671234567"])
def test_earlier_appeals_match_every_form_of_the_number(factory, arriving):
    with session_scope(factory) as session:
        person = Applicant(full_name="Ковальчук Ірина Петрівна", phone="+380671234567")
        other = Applicant(full_name="Інша Особа", phone="+380501112233")
        session.add_all([person, other])
        session.flush()
        session.add_all([
            Appeal(applicant_id=person.id, substance="Немає опалення", number="1545-2026-000001",
                   status="registered"),
            Appeal(applicant_id=other.id, substance="Інше питання"),
        ])
    with factory() as session:
        found = earlier_appeals(session, arriving)
    assert [a["number"] for a in found] == ["1545-2026-000001"]


def test_anonymous_caller_has_no_history(factory):
    with factory() as session:
        assert earlier_appeals(session, "anonymous") == []
        assert earlier_appeals(session, "") == []
