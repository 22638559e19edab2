"""Appeal routing: rules, specificity, addressee, local matters, Art. 7 and fallbacks."""

from __future__ import annotations

import pytest

from routing.appeal_rules import (
    BASIS_ADDRESSEE,
    BASIS_ART7,
    BASIS_FALLBACK_CABINET,
    BASIS_FALLBACK_REGIONAL,
    BASIS_LOCAL,
    BASIS_RULE,
    AppealFacts,
    RoutingError,
    propose_body,
    resolve_body,
)
from routing.reference import Reference, UnknownCodeError, build_reference, default_reference


@pytest.fixture(scope="module")
def ref():
    return default_reference()


def _mini(rules, oversight=None):
    """A small reference: two regions, a few bodies, topics 16/16.01/16.02/20."""
    return build_reference({
        "regions": [
            {"code": "UA-46", "name_uk": "Львівська область", "name_en": "Lviv Oblast",
             "kind": "oblast"},
            {"code": "UA-30", "name_uk": "місто Київ", "name_en": "Kyiv City", "kind": "city"},
        ],
        "bodies": [
            {"code": "CMU-SEC", "name_uk": "Секретаріат", "name_en": "Secretariat",
             "kind": "secretariat"},
            {"code": "PFU", "name_uk": "Пенсійний фонд України", "name_en": "Pension Fund",
             "kind": "fund"},
            {"code": "MSP", "name_uk": "Мінсоцполітики", "name_en": "Social Ministry",
             "kind": "ministry"},
            {"code": "RSA-UA-46", "name_uk": "Львівська ОВА", "name_en": "Lviv RSA",
             "kind": "regional", "region_code": "UA-46"},
            {"code": "RSA-UA-30", "name_uk": "КМДА", "name_en": "Kyiv CSA",
             "kind": "regional", "region_code": "UA-30"},
        ],
        "oversight": oversight or {},
        "topics": [
            {"code": "16", "name_uk": "Соціальний захист", "name_en": "Social protection",
             "queue": "social"},
            {"code": "16.01", "name_uk": "Пенсії", "name_en": "Pensions", "queue": "social"},
            {"code": "16.02", "name_uk": "Субсидії", "name_en": "Subsidies", "queue": "social"},
            {"code": "20", "name_uk": "ЖКГ", "name_en": "Utilities", "queue": "housing"},
        ],
        "rules": [{"reason_uk": "причина", "reason_en": "reason", **r} for r in rules],
    })


# --- shipped data --------------------------------------------------------------------------


def test_pensions_go_to_the_pension_fund_with_a_reason(ref):
    p = propose_body(AppealFacts(topic_code="16.01", region_code="UA-46"), ref)
    assert (p.body_code, p.rule_id, p.basis) == ("PFU", "R-16-01", BASIS_RULE)
    assert p.reason_uk.startswith("Тема 16.01 (пенсії) → Пенсійний фонд України, правило R-16-01")
    assert p.reason_en.startswith("Topic 16.01 (pensions) → Pension Fund of Ukraine, rule R-16-01")
    # ranked alternatives: the broader topic rule, then the Cabinet's Secretariat
    assert [(a.body_code, a.rule_id) for a in p.alternatives] == [
        ("RSA-UA-46", "R-16"), ("CMU-SEC", None)
    ]


def test_regional_kind_resolves_to_the_appeal_region(ref):
    p = propose_body(AppealFacts(topic_code="20.02", region_code="UA-63"), ref)
    assert (p.body_code, p.rule_id) == ("RSA-UA-63", "R-20")
    assert "Харківська область" in p.reason_uk and "Kharkiv Oblast" in p.reason_en
    p = propose_body(AppealFacts(topic_code="20.02", region_code="UA-30"), ref)
    assert p.body_code == "RSA-UA-30"


def test_regional_rule_without_region_falls_through_to_the_cabinet(ref):
    p = propose_body(AppealFacts(topic_code="20.02"), ref)
    assert (p.body_code, p.basis) == ("CMU-SEC", BASIS_FALLBACK_CABINET)


def test_region_specific_exception_beats_the_general_rule(ref):
    kyiv = propose_body(AppealFacts(topic_code="01.01", region_code="UA-30"), ref)
    assert (kyiv.body_code, kyiv.rule_id) == ("RSA-UA-30", "R-01-01-UA-30")
    assert kyiv.alternatives[0].body_code == "GEOCADASTRE"
    lviv = propose_body(AppealFacts(topic_code="01.01", region_code="UA-46"), ref)
    assert (lviv.body_code, lviv.rule_id) == ("GEOCADASTRE", "R-01-01")


def test_priority_decides_between_rules_of_equal_specificity(ref):
    p = propose_body(AppealFacts(topic_code="20.01", region_code="UA-46"), ref)
    assert (p.body_code, p.rule_id) == ("RSA-UA-46", "R-20-01")
    assert p.alternatives[0].body_code == "NEURC"


def test_competent_addressee_wins(ref):
    p = propose_body(AppealFacts(topic_code="20.01", region_code="UA-46", addressee="НКРЕКП"), ref)
    assert (p.body_code, p.rule_id, p.basis) == ("NEURC", "R-20-01-NEURC", BASIS_ADDRESSEE)
    assert p.addressee_code == "NEURC"
    assert "компетентний" in p.reason_uk
    assert p.alternatives[0].body_code == "RSA-UA-46"


def test_incompetent_addressee_is_ignored_and_said_so(ref):
    p = propose_body(AppealFacts(topic_code="16.01", region_code="UA-46", addressee="МОЗ"), ref)
    assert p.body_code == "PFU" and p.addressee_code == "MOH"
    assert "не має компетенції" in p.reason_uk and "not competent" in p.reason_en


def test_unrecognised_addressee_is_noted(ref):
    p = propose_body(AppealFacts(topic_code="16.01", addressee="Президенту особисто"), ref)
    assert p.body_code == "PFU" and p.addressee_code is None
    assert "не розпізнано" in p.reason_uk


def test_addressee_by_code_name_or_alias(ref):
    assert resolve_body("pfu", ref).code == "PFU"
    assert resolve_body("Пенсійний фонд України", ref).code == "PFU"
    assert resolve_body("Pension Fund of Ukraine", ref).code == "PFU"
    assert resolve_body("до пенсійного фонду", ref).code == "PFU"
    assert resolve_body("Львівська ОДА", ref).code == "RSA-UA-46"
    assert resolve_body("податкова", ref).code == "DPS"
    assert resolve_body("хтось", ref) is None
    assert resolve_body("  ", ref) is None


def test_art7_complaint_about_the_competent_body_goes_to_its_overseer(ref):
    p = propose_body(
        AppealFacts(topic_code="16.01", region_code="UA-46", complained_about_body="PFU"), ref
    )
    assert (p.body_code, p.basis, p.excluded_body_code) == ("MSP", BASIS_ART7, "PFU")
    assert "ст. 7" in p.reason_uk and "Art. 7" in p.reason_en
    assert "PFU" not in {a.body_code for a in p.alternatives}
    assert p.alternatives[0].body_code == "RSA-UA-46"  # the next rule stays an alternative


def test_art7_by_free_text_and_addressee_is_the_complained_body(ref):
    p = propose_body(AppealFacts(topic_code="16.01", region_code="UA-46",
                                 addressee="Пенсійний фонд",
                                 complained_about_body="пенсійний фонд"), ref)
    assert p.body_code == "MSP" and p.excluded_body_code == "PFU"


def test_art7_regional_administration_escalates_to_the_cabinet(ref):
    p = propose_body(
        AppealFacts(topic_code="20.02", region_code="UA-63", complained_about_body="RSA-UA-63"),
        ref,
    )
    assert (p.body_code, p.basis) == ("CMU-SEC", BASIS_ART7)
    assert p.alternatives == ()


def test_art7_when_the_body_complained_about_is_only_an_alternative(ref):
    p = propose_body(
        AppealFacts(topic_code="16.01", region_code="UA-46", complained_about_body="RSA-UA-46"),
        ref,
    )
    assert p.body_code == "PFU" and p.basis == BASIS_RULE
    assert "RSA-UA-46" not in {a.body_code for a in p.alternatives}
    assert "виключено" in p.reason_uk


def test_art7_without_overseer_takes_the_next_rule():
    ref = _mini([
        {"id": "A", "topic_prefix": "16", "body_code": "CMU-SEC"},
        {"id": "B", "topic_prefix": "16", "body_code": "PFU", "priority": -1},
    ])
    # the Cabinet's Secretariat has no overseer: the next rule takes the appeal
    p = propose_body(AppealFacts(topic_code="16", complained_about_body="CMU-SEC"), ref)
    assert (p.body_code, p.rule_id, p.basis) == ("PFU", "B", BASIS_RULE)
    assert "ст. 7" in p.reason_uk
    only_cabinet = _mini([{"id": "A", "topic_prefix": "20", "body_code": "CMU-SEC"}])
    with pytest.raises(RoutingError, match="Art. 7"):
        propose_body(AppealFacts(topic_code="20", complained_about_body="CMU-SEC"), only_cabinet)


def test_unknown_body_complained_about_is_an_error_not_a_silent_route(ref):
    with pytest.raises(UnknownCodeError, match="body complained about"):
        propose_body(AppealFacts(topic_code="16.01", complained_about_body="ЖЕК №5"), ref)


def test_local_matter_puts_the_regional_administration_first(ref):
    p = propose_body(AppealFacts(topic_code="16.01", region_code="UA-05", is_local_matter=True),
                     ref)
    assert (p.body_code, p.rule_id) == ("RSA-UA-05", "R-16")
    assert "місцевого значення" in p.reason_uk
    assert p.alternatives[0].body_code == "PFU"
    # no rule names the region: the regional administration is still chosen, as a local matter
    p = propose_body(AppealFacts(topic_code="05.01", region_code="UA-05", is_local_matter=True),
                     ref)
    assert (p.body_code, p.rule_id, p.basis) == ("RSA-UA-05", None, BASIS_LOCAL)
    # without a region a local matter changes nothing
    p = propose_body(AppealFacts(topic_code="05.01", is_local_matter=True), ref)
    assert p.body_code == "DPS"


def test_fallbacks_regional_then_cabinet(ref):
    p = propose_body(AppealFacts(topic_code="24", region_code="UA-07"), ref)
    assert (p.body_code, p.rule_id, p.basis) == ("RSA-UA-07", None, BASIS_FALLBACK_REGIONAL)
    assert [a.body_code for a in p.alternatives] == ["CMU-SEC"]
    p = propose_body(AppealFacts(), ref)
    assert (p.body_code, p.basis) == ("CMU-SEC", BASIS_FALLBACK_CABINET)
    assert "Тема не визначена" not in p.reason_uk  # fallback reasons stand alone


def test_unknown_topic_or_region_is_a_clear_error(ref):
    with pytest.raises(UnknownCodeError, match="topic code '99'"):
        propose_body(AppealFacts(topic_code="99"), ref)
    with pytest.raises(UnknownCodeError, match="region code 'UA-00'"):
        propose_body(AppealFacts(topic_code="16", region_code="UA-00"), ref)


# --- ordering on a small reference ---------------------------------------------------------


def test_longer_prefix_beats_region_match_and_priority():
    ref = _mini([
        {"id": "GEN", "topic_prefix": "16", "region_code": "UA-46", "priority": 100,
         "body_kind": "regional"},
        {"id": "SPEC", "topic_prefix": "16.01", "body_code": "PFU"},
    ])
    p = propose_body(AppealFacts(topic_code="16.01", region_code="UA-46"), ref)
    assert [p.rule_id, *(a.rule_id for a in p.alternatives)] == ["SPEC", "GEN", None]


def test_region_match_beats_priority_at_equal_prefix():
    ref = _mini([
        {"id": "ANY", "topic_prefix": "16", "priority": 100, "body_code": "MSP"},
        {"id": "KYIV", "topic_prefix": "16", "region_code": "UA-30", "body_code": "PFU"},
    ])
    assert propose_body(AppealFacts(topic_code="16.02", region_code="UA-30"), ref).rule_id == "KYIV"
    assert propose_body(AppealFacts(topic_code="16.02", region_code="UA-46"), ref).rule_id == "ANY"


def test_equal_rules_keep_file_order_and_duplicates_collapse():
    ref = _mini([
        {"id": "FIRST", "topic_prefix": "16", "body_code": "MSP"},
        {"id": "SECOND", "topic_prefix": "16", "body_code": "PFU"},
        {"id": "AGAIN", "topic_prefix": "16", "body_code": "MSP"},
    ])
    p = propose_body(AppealFacts(topic_code="16"), ref)
    assert p.rule_id == "FIRST"
    assert [a.rule_id for a in p.alternatives] == ["SECOND", None]


def test_catch_all_rule_with_no_topic():
    ref = _mini([{"id": "ALL", "body_code": "MSP"}])
    assert propose_body(AppealFacts(), ref).rule_id == "ALL"
    assert propose_body(AppealFacts(topic_code="20"), ref).rule_id == "ALL"


def test_oversight_from_data_is_used_for_art7():
    ref = _mini([{"id": "P", "topic_prefix": "16.01", "body_code": "PFU"}],
                oversight={"PFU": "MSP"})
    p = propose_body(AppealFacts(topic_code="16.01", complained_about_body="PFU"), ref)
    assert p.body_code == "MSP"


def test_rule_naming_a_missing_body_is_skipped_not_fatal(caplog):
    """A Reference built straight from database rows is not validated: a rule may name a
    deactivated body. The proposal skips it and says so in the log."""
    good = _mini([{"id": "P", "topic_prefix": "16.01", "body_code": "PFU"},
                  {"id": "M", "topic_prefix": "16", "body_code": "MSP"}])
    bodies = tuple(b for b in good.bodies if b.code != "PFU")
    ref = Reference(good.regions, bodies, good.topics, good.rules)
    with caplog.at_level("WARNING", logger="routing.appeal_rules"):
        p = propose_body(AppealFacts(topic_code="16.01"), ref)
    assert p.rule_id == "M"
    assert "names unknown body PFU" in caplog.text


def test_reference_without_any_way_out_is_a_routing_error():
    good = _mini([{"id": "P", "topic_prefix": "16.01", "body_code": "PFU"}])
    bare = Reference(good.regions, tuple(b for b in good.bodies if b.code == "PFU"),
                     good.topics, good.rules)
    assert propose_body(AppealFacts(topic_code="16.01"), bare).body_code == "PFU"
    with pytest.raises(RoutingError, match="no rule"):
        propose_body(AppealFacts(topic_code="20"), bare)
