"""Reference data: the shipped YAML loads, is complete, and bad edits are refused clearly."""

from __future__ import annotations

import copy
import dataclasses
import shutil

import pytest
import yaml

from routing.reference import (
    DATA_DIR,
    REFERENCE_FILES,
    ReferenceDataError,
    Region,
    RoutingRule,
    StateBody,
    Topic,
    UnknownCodeError,
    build_reference,
    load_reference,
    topic_matches,
)

OBLAST_CODES = {
    "UA-05", "UA-07", "UA-09", "UA-12", "UA-14", "UA-18", "UA-21", "UA-23", "UA-26", "UA-32",
    "UA-35", "UA-46", "UA-48", "UA-51", "UA-53", "UA-56", "UA-59", "UA-61", "UA-63", "UA-65",
    "UA-68", "UA-71", "UA-74", "UA-77",
}


@pytest.fixture(scope="module")
def ref():
    return load_reference()


@pytest.fixture
def raw() -> dict:
    doc: dict = {}
    for name in REFERENCE_FILES:
        doc.update(yaml.safe_load((DATA_DIR / name).read_text(encoding="utf-8")))
    return doc


def test_all_27_regions_with_iso_codes_and_kinds(ref):
    kinds = {r.code: r.kind for r in ref.regions}
    assert len(ref.regions) == 27
    assert {c for c, k in kinds.items() if k == "oblast"} == OBLAST_CODES
    assert kinds["UA-30"] == "city" and kinds["UA-40"] == "city"
    assert kinds["UA-43"] == "autonomous_republic"
    assert ref.region("UA-32").name_uk == "Київська область"
    assert ref.region("UA-30").name_en == "Kyiv City"


def test_every_region_has_its_regional_administration(ref):
    for region in ref.regions:
        body = ref.regional_body(region.code)
        assert body is not None, region.code
        assert body.kind == "regional" and body.region_code == region.code
    assert "Львівська обласна" in ref.regional_body("UA-46").name_uk
    assert ref.regional_body("UA-30").hotline_number == "1551"
    assert ref.regional_body(None) is None


def test_central_bodies_present_with_known_hotlines(ref):
    for code in ("CMU-SEC", "PFU", "DPS", "DMS", "DSNS", "NPU", "NBU", "MSP", "MOH", "MES"):
        assert ref.body(code).region_code is None
    assert ref.body("CMU-SEC").hotline_number == "1545"
    assert ref.body("PFU").hotline_number == "0800503753"
    assert ref.body("MSP").hotline_number is None  # unknown numbers stay null


def test_topics_are_hierarchical_and_name_a_queue(ref):
    pensions = ref.topic("16.01")
    assert pensions.parent_code == "16"
    assert [t.code for t in ref.topic_path("16.01")] == ["16", "16.01"]
    assert ref.topic("20").name_en == "Housing and utilities"
    assert ref.queue_for_topic("20.02") == "utilities"
    assert {t.code for t in ref.subtopics("16")} >= {"16.01", "16.02", "16.04"}
    assert all(t.queue for t in ref.topics)
    for code in ("01", "02", "16", "17", "18", "19", "20"):
        assert len(ref.subtopics(code)) >= 2, code


def test_every_rule_resolves_for_every_region(ref):
    for rule in ref.rules:
        for region in ref.regions:
            if rule.body_kind:
                assert ref.body_of_kind(rule.body_kind, region.code) is not None
            else:
                assert ref.body(rule.body_code)


def test_field_names_are_the_agreed_ones():
    names = lambda cls: [f.name for f in dataclasses.fields(cls)]
    assert names(Region) == ["code", "name_uk", "name_en", "kind"]
    assert names(StateBody) == [
        "code", "name_uk", "name_en", "kind", "region_code", "hotline_number", "webhook_url"
    ]
    assert names(Topic) == ["code", "name_uk", "name_en", "parent_code", "queue"]
    assert names(RoutingRule) == [
        "id", "priority", "topic_prefix", "region_code", "body_code", "body_kind",
        "reason_uk", "reason_en",
    ]


def test_dataclasses_are_frozen(ref):
    with pytest.raises(dataclasses.FrozenInstanceError):
        ref.region("UA-46").name_uk = "x"


def test_unknown_code_lookup_is_a_clear_error(ref):
    with pytest.raises(UnknownCodeError, match="unknown region code 'UA-99'"):
        ref.region("UA-99")
    with pytest.raises(UnknownCodeError, match="topic"):
        ref.topic("99.99")


def test_oversight_escalates_to_parent_and_then_cabinet(ref):
    assert ref.parent_body("PFU").code == "MSP"
    assert ref.parent_body("MSP").code == "CMU-SEC"
    assert ref.parent_body("RSA-UA-46").code == "CMU-SEC"
    assert ref.parent_body("CMU-SEC") is None


def test_topic_prefix_matches_whole_segments():
    assert topic_matches("16", "16.01")
    assert topic_matches("16.01", "16.01")
    assert not topic_matches("1", "16.01")
    assert not topic_matches("16.01", "16")
    assert topic_matches(None, "05")
    assert not topic_matches("16", None)


def test_rule_with_unknown_body_region_and_topic_is_refused(raw):
    bad = copy.deepcopy(raw)
    bad["rules"].append({"id": "R-X", "topic_prefix": "77", "region_code": "UA-99",
                         "body_code": "NOPE", "reason_uk": "x", "reason_en": "x"})
    with pytest.raises(ReferenceDataError) as err:
        build_reference(bad)
    text = str(err.value)
    assert "rule R-X: unknown topic '77'" in text
    assert "rule R-X: unknown region 'UA-99'" in text
    assert "rule R-X: unknown body 'NOPE'" in text


def test_duplicate_codes_are_refused(raw):
    bad = copy.deepcopy(raw)
    bad["regions"].append(dict(bad["regions"][0]))
    bad["rules"].append(dict(bad["rules"][0]))
    bad["bodies"].append(dict(bad["bodies"][0]))
    with pytest.raises(ReferenceDataError) as err:
        build_reference(bad)
    assert "duplicate region code 'UA-05'" in str(err.value)
    assert "duplicate rule id code 'R-01'" in str(err.value)
    assert "duplicate body code 'CMU-SEC'" in str(err.value)


def test_rule_needs_exactly_one_target_and_known_fields(raw):
    bad = copy.deepcopy(raw)
    bad["rules"][0] = {**bad["rules"][0], "body_code": "PFU"}  # has body_kind as well
    bad["rules"][1] = {**bad["rules"][1], "prioirty": 3}
    with pytest.raises(ReferenceDataError) as err:
        build_reference(bad)
    assert "give exactly one of body_code and body_kind" in str(err.value)
    assert "unknown field(s) prioirty" in str(err.value)


def test_bad_region_code_kind_and_missing_name(raw):
    bad = copy.deepcopy(raw)
    bad["regions"][0] = {"code": "UA-5", "name_uk": "", "name_en": "x", "kind": "county"}
    with pytest.raises(ReferenceDataError) as err:
        build_reference(bad)
    problems = err.value.problems
    assert any("ISO 3166-2:UA" in p for p in problems)
    assert any("missing name_uk" in p for p in problems)
    assert any("kind must be one of" in p for p in problems)


def test_topic_with_missing_parent_and_unquoted_code(raw):
    bad = copy.deepcopy(raw)
    bad["topics"].append({"code": "30.01", "name_uk": "x", "name_en": "x", "queue": "general"})
    with pytest.raises(ReferenceDataError, match="parent topic '30' is missing"):
        build_reference(bad)
    bad["topics"][-1] = {"code": 16.5, "name_uk": "x", "name_en": "x", "queue": "general"}
    with pytest.raises(ReferenceDataError, match="quote it in YAML"):
        build_reference(bad)


def test_oversight_cycle_and_unknown_bodies(raw):
    bad = copy.deepcopy(raw)
    bad["oversight"] = {"PFU": "MSP", "MSP": "PFU", "GHOST": "MSP"}
    with pytest.raises(ReferenceDataError) as err:
        build_reference(bad)
    assert "cycle" in str(err.value)
    assert "unknown body 'GHOST'" in str(err.value)


def test_load_from_folder_and_broken_yaml(tmp_path):
    for name in REFERENCE_FILES:
        shutil.copy(DATA_DIR / name, tmp_path / name)
    assert len(load_reference(tmp_path).regions) == 27
    (tmp_path / "rules.yaml").write_text("rules: [unclosed", encoding="utf-8")
    with pytest.raises(ReferenceDataError, match="rules.yaml: cannot read"):
        load_reference(tmp_path)
    (tmp_path / "rules.yaml").unlink()
    with pytest.raises(ReferenceDataError, match="rules.yaml: cannot read"):
        load_reference(tmp_path)
