"""Load the IVR menu from YAML into frozen dataclasses and validate it.

>>> menu = load_menu()            # the packaged ivr/menu.yaml and ivr/prompts/*.yaml
>>> menu.node(menu.start).choices["1"].goto
'main'

Every problem raises :class:`MenuError` naming the node and what is wrong.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from .catalogue import DEFAULT_DIR, LANGUAGE_RE, PROMPT_NAME_RE, Catalogue, load_catalogue
from .menu_check import check_menu
from .menu_model import (
    ACTIONS,
    STATUS_OUTCOMES,
    Menu,
    MenuError,
    Node,
    PromptRef,
    Transition,
)
from .yaml_strict import StrictYamlError, load_yaml

__all__ = ["DEFAULT_MENU", "MenuError", "load_menu", "parse_menu"]

DEFAULT_MENU = Path(__file__).resolve().parent / "menu.yaml"
QUEUE_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
NODE_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
DTMF = "0123456789*#"
TERMINATORS = ("", "#", "*")

_TOP_KEYS = {"version", "languages", "default_language", "start", "general_queue", "topics",
             "max_steps", "defaults", "nodes"}
_DEFAULT_KEYS = {"timeout", "retries", "invalid_prompts", "no_input_prompts", "fallback",
                 "fallback_closed"}
_NODE_KEYS = {"kind", "prompts", "choices", "digits", "min_digits", "max_digits", "terminator",
              "timeout", "retries", "invalid_prompts", "no_input_prompts", "on_timeout",
              "on_input", "results", "fallback", "when_closed"}
_TRANSITION_KEYS = {"goto", "queue", "action", "language", "topic", "prompts"}


def load_menu(path: Path | str = DEFAULT_MENU, catalogue: Catalogue | None = None) -> Menu:
    """Read and validate a menu file against a prompt catalogue (default: the packaged one)."""
    path = Path(path)
    try:
        data = load_yaml(path.read_text(encoding="utf-8"), str(path))
    except StrictYamlError as exc:
        raise MenuError(None, str(exc)) from exc
    except OSError as exc:
        raise MenuError(None, f"cannot read {path}: {exc}") from exc
    if catalogue is None:
        langs = data.get("languages", ("uk", "en")) if isinstance(data, dict) else ("uk", "en")
        catalogue = load_catalogue(DEFAULT_DIR, langs)
    return parse_menu(data, catalogue)


def parse_menu(data: Any, catalogue: Catalogue) -> Menu:
    """Build a :class:`Menu` from already-parsed YAML data and check it completely."""
    if not isinstance(data, Mapping):
        raise MenuError(None, "the menu file must be a mapping")
    _no_unknown(None, "menu", data, _TOP_KEYS)
    if data.get("version") != 1:
        raise MenuError(None, f"unsupported version {data.get('version')!r} (expected 1)")
    languages = tuple(_str_list(None, "languages", data.get("languages")))
    for lang in languages:
        if not LANGUAGE_RE.match(lang):
            raise MenuError(None, f"bad language code {lang!r}")
    if not languages:
        raise MenuError(None, "languages: at least one language is needed")
    default_language = _required_str(None, data, "default_language")
    if default_language not in languages:
        raise MenuError(None, f"default_language {default_language!r} is not in languages")
    topics = tuple(_str_list(None, "topics", data.get("topics", [])))
    for topic in topics:
        if not NODE_ID_RE.match(topic):
            raise MenuError(None, f"bad topic id {topic!r} (use [a-z0-9-])")
    general_queue = _queue_name(None, _required_str(None, data, "general_queue"))
    ctx = _Ctx(languages, topics)

    defaults = data.get("defaults", {})
    if not isinstance(defaults, Mapping):
        raise MenuError(None, "defaults must be a mapping")
    _no_unknown(None, "defaults", defaults, _DEFAULT_KEYS)
    node_defaults = {k: defaults[k] for k in ("timeout", "retries", "invalid_prompts",
                                              "no_input_prompts") if k in defaults}
    fallback = ctx.transition(None, "defaults.fallback",
                              defaults.get("fallback", {"queue": general_queue}))
    fallback_closed = ctx.transition(None, "defaults.fallback_closed",
                                     defaults.get("fallback_closed", {"action": "voice_appeal"}))

    raw_nodes = data.get("nodes")
    if not isinstance(raw_nodes, Mapping) or not raw_nodes:
        raise MenuError(None, "nodes: a mapping of node id -> node is needed")
    nodes = {}
    for node_id, raw in raw_nodes.items():
        if not isinstance(node_id, str) or not NODE_ID_RE.match(node_id):
            raise MenuError(str(node_id), "bad node id (use [a-z0-9-])")
        nodes[node_id] = ctx.node(node_id, raw, node_defaults)

    menu = Menu(
        version=1,
        languages=languages,
        default_language=default_language,
        start=_required_str(None, data, "start"),
        general_queue=general_queue,
        topics=topics,
        max_steps=_int(None, "max_steps", data.get("max_steps", 50), minimum=5),
        fallback=fallback,
        fallback_closed=fallback_closed,
        nodes=MappingProxyType(nodes),
        catalogue=catalogue,
    )
    check_menu(menu)
    return menu


class _Ctx:
    """Parsing helpers that need the menu's languages and topics."""

    def __init__(self, languages: tuple[str, ...], topics: tuple[str, ...]) -> None:
        self.languages = languages
        self.topics = topics

    def prompts(self, node: str | None, what: str, value: Any) -> tuple[PromptRef, ...]:
        refs = []
        for item in _str_list(node, what, value):
            lang, sep, name = item.rpartition(":")
            if sep and lang not in self.languages:
                raise MenuError(node, f"{what}: {item!r} names an unknown language {lang!r}")
            if not PROMPT_NAME_RE.match(name):
                raise MenuError(node, f"{what}: bad prompt name {item!r}")
            refs.append(PromptRef(name, lang or None))
        return tuple(refs)

    def transition(self, node: str | None, what: str, raw: Any) -> Transition:
        if not isinstance(raw, Mapping):
            raise MenuError(node, f"{what}: a transition must be a mapping")
        _no_unknown(node, what, raw, _TRANSITION_KEYS)
        targets = [k for k in ("goto", "queue", "action") if k in raw]
        if len(targets) != 1:
            raise MenuError(node, f"{what}: give exactly one of goto, queue, action")
        action = raw.get("action")
        if action is not None and action not in ACTIONS:
            raise MenuError(node, f"{what}: unknown action {action!r} (one of {ACTIONS})")
        language = raw.get("language")
        if language is not None and language not in self.languages:
            raise MenuError(node, f"{what}: unknown language {language!r}")
        topic = raw.get("topic")
        if topic is not None and topic not in self.topics:
            raise MenuError(node, f"{what}: unknown topic {topic!r} (declare it in topics)")
        goto = raw.get("goto")
        if goto is not None and not isinstance(goto, str):
            raise MenuError(node, f"{what}: goto must be a node id")
        return Transition(
            goto=goto,
            queue=self.queue(node, what, raw["queue"]) if "queue" in raw else None,
            action=action,
            language=language,
            topic=topic,
            prompts=self.prompts(node, f"{what}.prompts", raw.get("prompts", [])),
        )

    def queue(self, node: str | None, what: str, raw: Any) -> Mapping[str, str]:
        if isinstance(raw, str):
            return MappingProxyType({lang: _queue_name(node, raw) for lang in self.languages})
        if isinstance(raw, Mapping):
            missing = [lang for lang in self.languages if lang not in raw]
            extra = [k for k in raw if k not in self.languages]
            if missing or extra:
                raise MenuError(node, f"{what}: queue per language needs exactly "
                                      f"{list(self.languages)} (missing {missing}, extra {extra})")
            return MappingProxyType({k: _queue_name(node, v) for k, v in raw.items()})
        raise MenuError(node, f"{what}: queue must be a name or a mapping language -> name")

    def node(self, node_id: str, raw: Any, defaults: Mapping[str, Any]) -> Node:
        if not isinstance(raw, Mapping):
            raise MenuError(node_id, "a node must be a mapping")
        _no_unknown(node_id, "node", raw, _NODE_KEYS)
        merged = {**defaults, **raw}
        kind = merged.get("kind", "menu")
        if kind not in ("menu", "input"):
            raise MenuError(node_id, f"unknown kind {kind!r} (menu or input)")
        choices = {}
        raw_choices = merged.get("choices", {})
        if not isinstance(raw_choices, Mapping):
            raise MenuError(node_id, "choices must be a mapping digit -> transition")
        for key, value in raw_choices.items():
            digit = str(key)
            if len(digit) != 1 or digit not in DTMF:
                raise MenuError(node_id, f"choice {key!r} is not a single DTMF key (0-9 * #)")
            if digit in choices:
                raise MenuError(node_id, f"duplicate digit {digit!r}")
            choices[digit] = self.transition(node_id, f"choice {digit!r}", value)
        terminator = str(merged.get("terminator", "#" if kind == "input" else ""))
        if terminator not in TERMINATORS:
            raise MenuError(node_id, f"terminator must be one of {TERMINATORS}")
        if terminator and terminator in choices:
            raise MenuError(node_id, f"digit {terminator!r} is both a choice and the terminator")
        if kind == "menu":
            digits = "".join(sorted(choices))
            if "digits" in raw and str(raw["digits"]) != digits:
                raise MenuError(node_id, f"digits {raw['digits']!r} differ from the choices "
                                         f"{digits!r}")
        else:
            digits = str(merged.get("digits", "0123456789"))
            if not digits or any(d not in DTMF for d in digits) or len(set(digits)) != len(digits):
                raise MenuError(node_id, f"digits {digits!r}: give distinct DTMF keys")
            if terminator and terminator in digits:
                raise MenuError(node_id, f"terminator {terminator!r} is also an allowed digit")
        min_digits = _int(node_id, "min_digits", merged.get("min_digits", 1), minimum=1)
        max_digits = _int(node_id, "max_digits", merged.get("max_digits", 1), minimum=1,
                          maximum=32)
        if kind == "menu" and max_digits != 1:
            raise MenuError(node_id, "a menu node takes one key (max_digits: 1)")
        if min_digits > max_digits:
            raise MenuError(node_id, "min_digits is greater than max_digits")
        results = {}
        raw_results = merged.get("results", {})
        if not isinstance(raw_results, Mapping):
            raise MenuError(node_id, "results must be a mapping outcome -> transition")
        for outcome, value in raw_results.items():
            if outcome not in STATUS_OUTCOMES:
                raise MenuError(node_id, f"unknown result {outcome!r} (one of {STATUS_OUTCOMES})")
            results[outcome] = self.transition(node_id, f"result {outcome!r}", value)

        def opt(key: str) -> Transition | None:
            return self.transition(node_id, key, merged[key]) if key in merged else None

        timeout = merged.get("timeout", 5)
        if not isinstance(timeout, int | float) or isinstance(timeout, bool) or not (
            0 < timeout <= 60
        ):
            raise MenuError(node_id, f"timeout {timeout!r}: seconds between 0 and 60")
        when_closed = merged.get("when_closed")
        if when_closed is not None and not isinstance(when_closed, str):
            raise MenuError(node_id, "when_closed must be a node id")
        return Node(
            id=node_id,
            kind=kind,
            prompts=self.prompts(node_id, "prompts", merged.get("prompts")),
            choices=MappingProxyType(choices),
            digits=digits,
            min_digits=min_digits,
            max_digits=max_digits,
            terminator=terminator,
            timeout=float(timeout),
            retries=_int(node_id, "retries", merged.get("retries", 2), minimum=0, maximum=9),
            invalid_prompts=self.prompts(node_id, "invalid_prompts",
                                         merged.get("invalid_prompts", [])),
            no_input_prompts=self.prompts(node_id, "no_input_prompts",
                                          merged.get("no_input_prompts", [])),
            on_timeout=opt("on_timeout"),
            on_input=opt("on_input"),
            results=MappingProxyType(results),
            fallback=opt("fallback"),
            when_closed=when_closed,
        )


def _no_unknown(node: str | None, what: str, raw: Mapping[str, Any], allowed: set[str]) -> None:
    unknown = sorted(str(k) for k in raw if k not in allowed)
    if unknown:
        raise MenuError(node, f"{what}: unknown key(s) {unknown}")


def _required_str(node: str | None, raw: Mapping[str, Any], key: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value:
        raise MenuError(node, f"{key} is required (a string)")
    return value


def _str_list(node: str | None, what: str, value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise MenuError(node, f"{what} must be a list of strings")
    return value


def _int(node: str | None, what: str, value: Any, minimum: int, maximum: int = 10_000) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not minimum <= value <= maximum:
        raise MenuError(node, f"{what} must be an integer from {minimum} to {maximum}")
    return value


def _queue_name(node: str | None, name: Any) -> str:
    if not isinstance(name, str) or not QUEUE_RE.match(name):
        raise MenuError(node, f"invalid queue name {name!r} (use [a-z0-9-], up to 63 chars)")
    return name
