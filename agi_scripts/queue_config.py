"""The hotline's call queues as data: parameters from ``agi_scripts/data/queues.yaml``,
names and overflow thresholds from routing's ``call_routing.yaml``.

Pure: :func:`build_queue_specs` turns the two documents into :class:`QueueSpec` values for
the renderer; :func:`load_queue_specs` reads the shipped files.

Example::

    specs = load_queue_specs(general_queue="common")
    [s.name for s in specs][:3]     # ['common', 'consult', 'priority']
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from hotline.asterisk_sandbox.render import QueueSpec

QUEUES_FILE = Path(__file__).resolve().parent / "data" / "queues.yaml"
ROUTING_GENERAL = "general"  # routing's name of the general queue; reserved in queues.conf
ACTIONS = frozenset({"voice_appeal", "callback"})
STRATEGIES = frozenset({"ringall", "leastrecent", "fewestcalls", "random", "rrmemory",
                        "rrordered", "linear", "wrandom"})
_NAME = re.compile(r"^[a-z][a-z0-9_]{1,30}$")
_PARAMS = ("language", "strategy", "wrapuptime", "ring_timeout", "announce_frequency",
           "periodic_announce_frequency")
LANGUAGES = frozenset({"uk", "en"})  # the languages the IVR gives callers (and prompts exist in)


class QueueConfigError(ValueError):
    """Bad queue configuration."""


def check_queue_name(name: str) -> str:
    """A queue name safe for queues.conf and the dialplan: [a-z][a-z0-9_]{1,30}, not 'general'."""
    if not _NAME.match(name) or name == ROUTING_GENERAL:
        raise QueueConfigError(
            f"queue name {name!r}: use 2-31 of a-z, 0-9, '_' (starting with a letter), "
            "not 'general' (reserved in queues.conf)")
    return name


def skill_penalty(skills: Mapping[str, int], skill: str | int) -> int:
    """The member penalty of a skill level name (or a penalty given as a number)."""
    if isinstance(skill, int) or str(skill).isdigit():
        return int(skill)
    try:
        return int(skills[str(skill)])
    except KeyError:
        raise QueueConfigError(f"unknown skill {skill!r} (known: {sorted(skills)})") from None


def _params(raw: Mapping[str, Any], where: str) -> dict[str, Any]:
    unknown = set(raw) - set(_PARAMS) - {"topics"}
    if unknown:
        raise QueueConfigError(f"{where}: unknown keys {sorted(unknown)}")
    out = {k: raw[k] for k in _PARAMS if k in raw}
    if "strategy" in out and out["strategy"] not in STRATEGIES:
        raise QueueConfigError(f"{where}: unknown strategy {out['strategy']!r}")
    if "language" in out and out["language"] not in LANGUAGES:
        raise QueueConfigError(f"{where}: unknown language {out['language']!r} "
                               f"(known: {sorted(LANGUAGES)})")
    for key in ("wrapuptime", "ring_timeout", "announce_frequency",
                "periodic_announce_frequency"):
        if key in out and (not isinstance(out[key], int) or out[key] < 0):
            raise QueueConfigError(f"{where}: {key} must be a whole number >= 0")
    return out


def _overflow_for(name: str, rules: Sequence[Any], never: frozenset[str]) -> tuple[int, int, str]:
    """(max_waiting, max_wait_seconds, target) of the first routing rule for ``name``."""
    if name in never:
        return 0, 0, ""
    for rule in rules:
        if rule.applies_to(name):
            return int(rule.max_waiting or 0), int(rule.max_wait_seconds or 0), rule.divert_to
    return 0, 0, ""


def build_queue_specs(
    doc: Mapping[str, Any],
    *,
    general_queue: str = "common",
    routing_queues: Sequence[str] = (),
    overflow_rules: Sequence[Any] = (),
    never_divert: Sequence[str] = (),
) -> list[QueueSpec]:
    """Queue specs from queues.yaml data and routing's queue names and overflow rules.

    Routing's "general" is renamed ``general_queue``, both as a queue and as a target.
    """
    def rename(name: str) -> str:
        return general_queue if name == ROUTING_GENERAL else name

    defaults = _params(doc.get("defaults") or {}, "defaults")
    configured = doc.get("queues") or {}
    if not isinstance(configured, Mapping):
        raise QueueConfigError("queues: a mapping of queue name -> parameters")
    names: list[str] = []
    for name in [general_queue, *configured, *(rename(q) for q in sorted(routing_queues))]:
        if check_queue_name(str(name)) not in names:
            names.append(str(name))
    renamed_rules = [_RenamedRule(r, rename) for r in overflow_rules]
    never = frozenset(rename(q) for q in never_divert)
    specs = []
    for name in names:
        params = defaults | _params(configured.get(name) or {}, f"queues.{name}")
        max_waiting, max_wait, target = _overflow_for(name, renamed_rules, never)
        if target and target not in ACTIONS and target not in names:
            raise QueueConfigError(f"overflow of {name}: unknown target {target!r}")
        if target == name:
            target = ""
        specs.append(QueueSpec(name, max_waiting=max_waiting, max_wait_seconds=max_wait,
                               overflow_to=target, **params))
    return specs


class _RenamedRule:
    """A routing overflow rule seen with Asterisk's queue names."""

    def __init__(self, rule: Any, rename) -> None:
        self.queue = rule.queue if rule.queue == "*" else rename(rule.queue)
        self.divert_to = rename(rule.divert_to)
        self.max_waiting = rule.max_waiting
        self.max_wait_seconds = rule.max_wait_seconds

    def applies_to(self, queue: str) -> bool:
        return self.queue in (queue, "*")


def load_queues_doc(path: Path | str | None = None) -> dict[str, Any]:
    file = Path(path) if path is not None else QUEUES_FILE
    try:
        return yaml.safe_load(file.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise QueueConfigError(f"{file.name}: cannot read: {exc}") from exc


def load_skills(path: Path | str | None = None) -> dict[str, int]:
    """Skill level name -> member penalty."""
    return {str(k): int(v) for k, v in (load_queues_doc(path).get("skills") or {}).items()}


def load_queue_specs(general_queue: str = "common", path: Path | str | None = None) -> list[QueueSpec]:
    """The shipped queues with routing's names and overflow rules."""
    from routing.call_routing import default_call_routing

    routing = default_call_routing()
    return build_queue_specs(
        load_queues_doc(path), general_queue=general_queue, routing_queues=sorted(routing.queues),
        overflow_rules=routing.overflow, never_divert=sorted(routing.never_divert),
    )
