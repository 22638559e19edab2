"""Seeding routing's reference data: idempotent, updates in place, deactivates removals."""

from __future__ import annotations

import dataclasses

from sqlalchemy import func, select

from appeal_store.db import session_scope
from appeal_store.models import Region, RoutingRule, StateBody, Topic
from appeal_store.seed import seed_from_routing, seed_reference
from routing.reference import Reference
from routing.reference import Region as R
from routing.reference import RoutingRule as Rule
from routing.reference import StateBody as B
from routing.reference import Topic as T


def small_reference(**changes) -> Reference:
    ref = Reference(
        regions=(R("UA-32", "Київська область", "Kyiv Oblast", "oblast"),),
        bodies=(
            B("RSA-UA-32", "Київська ОВА", "Kyiv RMA", "regional", "UA-32"),
            B("NPU", "Національна поліція", "National Police", "police", None, "102"),
        ),
        # child listed before its parent on purpose
        topics=(
            T("16.01", "Опалення", "Heating", "16", "utilities"),
            T("16", "ЖКГ", "Housing and utilities", None, "utilities"),
        ),
        rules=(Rule("R-16", 0, "16", None, None, "regional", "ЖКГ — область", "region"),),
    )
    return dataclasses.replace(ref, **changes)


def counts(s):
    return [s.scalar(select(func.count()).select_from(m))
            for m in (Region, StateBody, Topic, RoutingRule)]


def test_seed_twice_gives_the_same_rows(factory):
    with session_scope(factory) as s:
        first = seed_reference(s, small_reference())
        assert first.added == {"regions": 1, "state_bodies": 2, "topics": 2, "routing_rules": 1}
    with session_scope(factory) as s:
        ids = {b.code: b.id for b in s.scalars(select(StateBody))}
        again = seed_reference(s, small_reference())
        assert not again.changed
        assert counts(s) == [1, 2, 2, 1]
        assert {b.code: b.id for b in s.scalars(select(StateBody))} == ids
        assert s.get(Topic, "16.01").parent_code == "16"
        assert s.get(RoutingRule, "R-16").body_kind == "regional"
        assert s.get(StateBody, ids["NPU"]).hotline_number == "102"


def test_changes_update_in_place_and_removals_are_deactivated(factory):
    with session_scope(factory) as s:
        seed_reference(s, small_reference())
    ref = small_reference()
    changed = dataclasses.replace(
        ref,
        bodies=(dataclasses.replace(ref.bodies[0], webhook_url="http://127.0.0.1:9/hook"),),
        rules=(),
    )
    with session_scope(factory) as s:
        report = seed_reference(s, changed)
        assert report.updated == {"state_bodies": 1}
        assert report.deactivated == {"state_bodies": 1, "routing_rules": 1}
    with session_scope(factory) as s:
        npu = s.scalars(select(StateBody).where(StateBody.code == "NPU")).one()
        assert npu.active is False
        assert s.get(RoutingRule, "R-16").active is False
    with session_scope(factory) as s:
        report = seed_reference(s, small_reference())  # it comes back
        assert s.scalars(select(StateBody).where(StateBody.code == "NPU")).one().active


def test_seed_the_shipped_reference(factory):
    with session_scope(factory) as s:
        report = seed_from_routing(s)
        assert report.added["regions"] >= 25
        assert report.added["topics"] > 10
    with session_scope(factory) as s:
        assert not seed_from_routing(s).changed
