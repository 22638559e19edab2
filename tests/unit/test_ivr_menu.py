"""Loading and validating the IVR menu (ivr/menu.py)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from ivr.catalogue import Catalogue, CatalogueError, load_catalogue
from ivr.menu import DEFAULT_MENU, MenuError, load_menu, parse_menu


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue()


@pytest.fixture()
def raw() -> dict[str, Any]:
    return yaml.safe_load(DEFAULT_MENU.read_text(encoding="utf-8"))


def _error(data: dict[str, Any], catalogue: Catalogue) -> MenuError:
    with pytest.raises(MenuError) as info:
        parse_menu(data, catalogue)
    return info.value


def test_packaged_menu_is_valid_and_complete() -> None:
    menu = load_menu()
    assert menu.start == "language"
    assert set(menu.nodes) == {"language", "main", "topic", "status-number", "status-after",
                               "after-hours"}
    language = menu.node("language")
    assert language.choices["1"].language == "uk" and language.choices["2"].language == "en"
    assert language.on_timeout is not None and language.on_timeout.language == "uk"
    main = menu.node("main")
    assert main.digits == "0123459"
    assert main.choices["2"].queue_for("uk") == "consult"
    assert main.choices["0"].queue_for("uk") == "general"
    assert main.choices["4"].action == "voice_appeal"
    assert main.choices["5"].action == "callback"
    assert main.choices["9"].action == "repeat"
    assert main.when_closed == "after-hours"
    topic = menu.node("topic")
    assert [topic.choices[d].topic for d in "123456"] == [
        "social", "utilities", "health", "education", "law", "other"]
    status = menu.node("status-number")
    assert status.kind == "input" and status.terminator == "#" and status.max_digits == 20
    assert set(status.results) == {"found", "not_found", "unavailable"}
    assert menu.node("after-hours").digits == "129"


def test_every_node_has_timeout_retries_and_prompts() -> None:
    menu = load_menu()
    for node in menu.nodes.values():
        assert node.timeout > 0 and node.retries >= 0 and node.prompts


def test_unknown_prompt(raw: dict[str, Any], catalogue: Catalogue) -> None:
    raw["nodes"]["topic"]["prompts"] = ["no-such-prompt"]
    err = _error(raw, catalogue)
    assert err.node == "topic"
    assert "unknown prompt 'no-such-prompt'" in str(err)
    assert "uk/no-such-prompt" in str(err) and "en/no-such-prompt" in str(err)


def test_prompt_missing_in_one_language_only(raw: dict[str, Any]) -> None:
    texts = {lang: dict(t) for lang, t in load_catalogue().texts.items()}
    del texts["en"]["topic-menu"]
    err = _error(raw, Catalogue(texts))
    assert err.node == "topic" and "en/topic-menu" in str(err) and "uk/topic-menu" not in str(err)


def test_unknown_prompt_in_transition(raw: dict[str, Any], catalogue: Catalogue) -> None:
    raw["nodes"]["main"]["choices"]["0"]["prompts"] = ["hold-music-please"]
    err = _error(raw, catalogue)
    assert err.node == "main" and "digit '0'" in str(err) and "hold-music-please" in str(err)


def test_fixed_language_prompt_needs_a_known_language(raw: dict[str, Any],
                                                      catalogue: Catalogue) -> None:
    raw["nodes"]["language"]["prompts"] = ["de:welcome"]
    err = _error(raw, catalogue)
    assert err.node == "language" and "unknown language 'de'" in str(err)


def test_unknown_target_node(raw: dict[str, Any], catalogue: Catalogue) -> None:
    raw["nodes"]["main"]["choices"]["1"] = {"goto": "topics"}
    err = _error(raw, catalogue)
    assert err.node == "main" and "unknown target node 'topics'" in str(err)


def test_unknown_when_closed_target(raw: dict[str, Any], catalogue: Catalogue) -> None:
    raw["nodes"]["main"]["when_closed"] = "night"
    err = _error(raw, catalogue)
    assert err.node == "main" and "when_closed" in str(err)


def test_unreachable_node(raw: dict[str, Any], catalogue: Catalogue) -> None:
    raw["nodes"]["orphan"] = {"prompts": ["main-menu"], "choices": {"1": {"queue": "general"}}}
    err = _error(raw, catalogue)
    assert err.node == "orphan" and "unreachable" in str(err)


def test_loop_with_no_exit(raw: dict[str, Any], catalogue: Catalogue) -> None:
    # topic and a new node bounce between each other; no choice ever reaches a queue
    raw["nodes"]["topic"]["choices"] = {"1": {"goto": "ping"}, "9": {"action": "repeat"}}
    raw["nodes"]["ping"] = {"prompts": ["topic-menu"], "choices": {"1": {"goto": "topic"}}}
    err = _error(raw, catalogue)
    assert err.node in {"topic", "ping"} and "loop with no exit" in str(err)


def test_fallback_alone_is_not_an_exit(raw: dict[str, Any], catalogue: Catalogue) -> None:
    raw["nodes"]["topic"]["choices"] = {"9": {"action": "repeat"}}
    raw["nodes"]["topic"]["fallback"] = {"queue": "general"}
    err = _error(raw, catalogue)
    assert err.node == "topic" and "loop with no exit" in str(err)


def test_duplicate_digits_in_yaml_text(tmp_path: Path) -> None:
    text = DEFAULT_MENU.read_text(encoding="utf-8").replace(
        '      "9": {action: repeat}\n      "*": {goto: main}\n\n  status-number:',
        '      "9": {action: repeat}\n      9: {goto: main}\n\n  status-number:')
    assert text != DEFAULT_MENU.read_text(encoding="utf-8")
    path = tmp_path / "menu.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(MenuError) as info:
        load_menu(path)
    assert "duplicate key '9'" in str(info.value)


def test_duplicate_node_id_in_yaml_text(tmp_path: Path) -> None:
    text = DEFAULT_MENU.read_text(encoding="utf-8") + (
        "\n  main:\n    prompts: [main-menu]\n    choices: {'1': {queue: general}}\n")
    path = tmp_path / "menu.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(MenuError, match="duplicate key 'main'"):
        load_menu(path)


def test_duplicate_digit_in_data(raw: dict[str, Any], catalogue: Catalogue) -> None:
    # an int key 9 and a string key "9" are the same DTMF key
    raw["nodes"]["topic"]["choices"][9] = {"goto": "main"}
    err = _error(raw, catalogue)
    assert err.node == "topic" and "duplicate digit '9'" in str(err)


@pytest.mark.parametrize("queue", ["Social", "social_uk", "-social", "соц", "", "a" * 64])
def test_invalid_queue_name(raw: dict[str, Any], catalogue: Catalogue, queue: str) -> None:
    raw["nodes"]["topic"]["choices"]["1"]["queue"] = queue
    err = _error(raw, catalogue)
    assert err.node == "topic" and "invalid queue name" in str(err)


def test_queue_per_language_must_cover_every_language(raw: dict[str, Any],
                                                      catalogue: Catalogue) -> None:
    raw["nodes"]["topic"]["choices"]["1"]["queue"] = {"uk": "social"}
    err = _error(raw, catalogue)
    assert err.node == "topic" and "missing ['en']" in str(err)


@pytest.mark.parametrize(
    ("node", "patch", "message"),
    [
        ("main", {"choices": {"12": {"queue": "general"}}}, "not a single DTMF key"),
        ("main", {"choices": {"A": {"queue": "general"}}}, "not a single DTMF key"),
        ("main", {"colour": "red"}, "unknown key(s) ['colour']"),
        ("main", {"kind": "dial"}, "unknown kind"),
        ("main", {"timeout": 0}, "timeout"),
        ("main", {"timeout": "soon"}, "timeout"),
        ("main", {"retries": -1}, "retries"),
        ("main", {"max_digits": 3}, "one key"),
        ("main", {"terminator": "#", "choices": {"#": {"queue": "general"}}}, "terminator"),
        ("main", {"fallback": {"goto": "topic"}}, "fallback must end the IVR"),
        ("main", {"choices": {"1": {"goto": "topic", "queue": "general"}}}, "exactly one"),
        ("main", {"choices": {"1": {"action": "hangup"}}}, "unknown action"),
        ("main", {"choices": {"1": {"topic": "taxes", "queue": "general"}}}, "unknown topic"),
        ("main", {"choices": {"1": {"language": "de", "goto": "topic"}}}, "unknown language"),
        ("main", {"choices": {"1": {"action": "lookup_status"}}}, "lookup_status is only"),
        ("main", {"prompts": []}, "at least one prompt"),
        ("main", {"digits": "123"}, "differ from the choices"),
        ("status-number", {"on_input": {"queue": "general"}}, "lookup_status"),
        ("status-number", {"results": {"found": {"goto": "status-after"}}}, "missing outcome"),
        ("status-number", {"min_digits": 5, "max_digits": 4}, "min_digits"),
        ("status-number", {"digits": "0123#", "terminator": "#"}, "terminator"),
        ("status-number", {"choices": {"1": {"goto": "main"}}}, "no choices"),
        ("status-number", {"results": {"found": {"goto": "status-after"}, "lost": {}}},
         "unknown result"),
    ],
)
def test_node_errors(raw: dict[str, Any], catalogue: Catalogue, node: str,
                     patch: dict[str, Any], message: str) -> None:
    target = raw["nodes"][node]
    for key, value in patch.items():
        if key == "choices" and isinstance(target.get("choices"), dict):
            target["choices"] = {**target["choices"], **value}
        else:
            target[key] = value
    err = _error(raw, catalogue)
    assert err.node == node
    assert message in str(err)


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        ({"version": 2}, "unsupported version"),
        ({"start": "begin"}, "start node 'begin' does not exist"),
        ({"default_language": "de"}, "default_language"),
        ({"languages": ["uk", "EN"]}, "bad language code"),
        ({"general_queue": "General"}, "invalid queue name"),
        ({"nodes": {}}, "nodes"),
        ({"defaults": {"fallback": {"goto": "main"}}}, "must end the IVR"),
        ({"extra": 1}, "unknown key(s) ['extra']"),
    ],
)
def test_menu_level_errors(raw: dict[str, Any], catalogue: Catalogue,
                           patch: dict[str, Any], message: str) -> None:
    raw.update(copy.deepcopy(patch))
    err = _error(raw, catalogue)
    assert err.node is None and message in str(err)


def test_bad_yaml_and_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "menu.yaml"
    path.write_text("nodes: [unclosed\n", encoding="utf-8")
    with pytest.raises(MenuError, match="invalid YAML"):
        load_menu(path)
    with pytest.raises(MenuError, match="cannot read"):
        load_menu(tmp_path / "absent.yaml")


def test_catalogue_errors(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError, match="not found"):
        load_catalogue(tmp_path)
    (tmp_path / "uk.yaml").write_text("Bad_Name: 'текст'\n", encoding="utf-8")
    with pytest.raises(CatalogueError, match="bad prompt name"):
        load_catalogue(tmp_path, ["uk"])
    (tmp_path / "uk.yaml").write_text("empty: ''\n", encoding="utf-8")
    with pytest.raises(CatalogueError, match="has no text"):
        load_catalogue(tmp_path, ["uk"])
    (tmp_path / "uk.yaml").write_text("a: 'x'\na: 'y'\n", encoding="utf-8")
    with pytest.raises(CatalogueError, match="duplicate key 'a'"):
        load_catalogue(tmp_path, ["uk"])


_FRAGMENT_PREFIXES = ("num-", "ord-", "month-", "unit-", "word-", "thousand", "million",
                      "hundred")


def test_both_catalogues_hold_the_same_non_fragment_prompts() -> None:
    cat = load_catalogue()
    names = {lang: {n for n in texts if not n.startswith(_FRAGMENT_PREFIXES)}
             for lang, texts in cat.texts.items()}
    assert names["uk"] == names["en"]


def test_every_appeal_status_and_body_kind_has_a_prompt() -> None:
    from appeal_store.models import APPEAL_STATUSES, BODY_KINDS

    cat = load_catalogue()
    for lang in ("uk", "en"):
        for status in APPEAL_STATUSES:
            assert cat.has(lang, f"state-{status.replace('_', '-')}"), (lang, status)
        for kind in BODY_KINDS:
            assert cat.has(lang, f"body-kind-{kind.replace('_', '-')}"), (lang, kind)
