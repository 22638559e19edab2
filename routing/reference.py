"""Reference data for routing: regions, state bodies, topics and routing rules.

The data ships as YAML under ``routing/data/``; :func:`load_reference` reads and validates
it into the frozen dataclasses of :mod:`routing.model` (re-exported here). Every problem
found is reported at once in one :class:`ReferenceDataError`, so a bad edit never
half-loads.

Example::

    ref = load_reference()
    ref.region("UA-46").name_uk          # 'Львівська область'
    ref.regional_body("UA-46").code      # 'RSA-UA-46'
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from routing.model import (
    BODY_KINDS,
    CABINET_SECRETARIAT,
    REGION_KINDS,
    Reference,
    ReferenceDataError,
    Region,
    RoutingRule,
    StateBody,
    Topic,
    UnknownCodeError,
    parent_topic_code,
    topic_matches,
)

__all__ = [
    "BODY_KINDS", "CABINET_SECRETARIAT", "DATA_DIR", "REFERENCE_FILES", "REGION_KINDS",
    "Reference", "ReferenceDataError", "Region", "RoutingRule", "StateBody", "Topic",
    "UnknownCodeError", "build_reference", "default_reference", "load_reference",
    "parent_topic_code", "topic_matches",
]

DATA_DIR = Path(__file__).resolve().parent / "data"
REFERENCE_FILES = ("regions.yaml", "bodies.yaml", "topics.yaml", "rules.yaml")
_REGION_CODE = re.compile(r"^UA-\d{2}$")
_BODY_CODE = re.compile(r"^[A-Z][A-Z0-9-]*$")
_TOPIC_CODE = re.compile(r"^\d{2}(\.\d{2})*$")
_QUEUE = re.compile(r"^[a-z][a-z0-9_-]*$")
_PHONE = re.compile(r"^\+?\d{3,15}$")



# --- loading -----------------------------------------------------------------------------


def load_reference(data_dir: Path | str | None = None) -> Reference:
    """Read and validate the reference YAML files from ``data_dir`` (default: shipped data)."""
    folder = Path(data_dir) if data_dir is not None else DATA_DIR
    merged: dict[str, Any] = {}
    problems: list[str] = []
    for name in REFERENCE_FILES:
        path = folder / name
        try:
            doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            problems.append(f"{name}: cannot read: {exc}")
            continue
        if not isinstance(doc, dict):
            problems.append(f"{name}: top level must be a mapping")
            continue
        merged.update(doc)
    if problems:
        raise ReferenceDataError(problems)
    return build_reference(merged)


@lru_cache(maxsize=1)
def default_reference() -> Reference:
    """The shipped reference data, loaded once per process."""
    return load_reference()


def build_reference(doc: Mapping[str, Any]) -> Reference:
    """Build and validate a :class:`Reference` from plain data (keys regions, bodies,
    topics, rules and optional oversight), as read from YAML."""
    problems: list[str] = []
    regions = tuple(_parse_all(doc.get("regions"), "regions", _parse_region, problems))
    bodies = tuple(_parse_all(doc.get("bodies"), "bodies", _parse_body, problems))
    topics = tuple(_parse_all(doc.get("topics"), "topics", _parse_topic, problems))
    rules = tuple(_parse_all(doc.get("rules"), "rules", _parse_rule, problems))
    oversight = doc.get("oversight") or {}
    if not isinstance(oversight, Mapping):
        problems.append("oversight: must be a mapping body -> overseeing body")
        oversight = {}
    if problems:
        raise ReferenceDataError(problems)
    ref = Reference(regions, bodies, topics, rules, dict(oversight))
    problems.extend(_cross_check(ref))
    if problems:
        raise ReferenceDataError(problems)
    return ref


def _parse_all(items: Any, section: str, parse, problems: list[str]) -> Iterable[Any]:
    if not isinstance(items, list) or not items:
        problems.append(f"{section}: must be a non-empty list")
        return []
    out = []
    for index, item in enumerate(items):
        where = f"{section}[{index}]"
        if not isinstance(item, Mapping):
            problems.append(f"{where}: must be a mapping")
            continue
        label = item.get("code") or item.get("id")
        if label:
            where += f" ({label})"
        before = len(problems)
        value = parse(item, where, problems)
        if len(problems) == before:
            out.append(value)
    return out


def _fields(item: Mapping[str, Any], where: str, problems: list[str],
            required: tuple[str, ...], optional: tuple[str, ...]) -> dict[str, Any]:
    unknown = set(item) - set(required) - set(optional)
    if unknown:
        problems.append(f"{where}: unknown field(s) {', '.join(sorted(map(str, unknown)))}")
    values: dict[str, Any] = {}
    for name in required:
        value = item.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            problems.append(f"{where}: missing {name}")
        values[name] = value.strip() if isinstance(value, str) else value
    for name in optional:
        value = item.get(name)
        values[name] = value.strip() if isinstance(value, str) else value
    return values


def _check(ok: bool, problems: list[str], message: str) -> None:
    if not ok:
        problems.append(message)


def _parse_region(item, where, problems) -> Region:
    f = _fields(item, where, problems, ("code", "name_uk", "name_en", "kind"), ())
    _check(bool(_REGION_CODE.match(str(f["code"]))), problems,
           f"{where}: code must look like UA-NN (ISO 3166-2:UA)")
    _check(f["kind"] in REGION_KINDS, problems,
           f"{where}: kind must be one of {sorted(REGION_KINDS)}")
    return Region(**{k: str(v) if v is not None else v for k, v in f.items()})


def _parse_body(item, where, problems) -> StateBody:
    f = _fields(item, where, problems, ("code", "name_uk", "name_en", "kind"),
                ("region_code", "hotline_number", "webhook_url"))
    _check(bool(_BODY_CODE.match(str(f["code"]))), problems,
           f"{where}: code must be upper-case letters, digits and '-'")
    _check(f["kind"] in BODY_KINDS, problems, f"{where}: kind must be one of {sorted(BODY_KINDS)}")
    if f["hotline_number"] is not None:
        f["hotline_number"] = str(f["hotline_number"]).replace(" ", "")
        _check(bool(_PHONE.match(f["hotline_number"])), problems,
               f"{where}: hotline_number must be digits (or null)")
    url = f["webhook_url"]
    _check(url is None or str(url).startswith(("http://", "https://")), problems,
           f"{where}: webhook_url must be an http(s) URL or null")
    _check(f["kind"] != "regional" or f["region_code"] is not None, problems,
           f"{where}: a regional body needs region_code")
    return StateBody(**f)


def _parse_topic(item, where, problems) -> Topic:
    f = _fields(item, where, problems, ("code", "name_uk", "name_en", "queue"), ("parent_code",))
    code = str(f["code"])
    f["code"] = code
    if not _TOPIC_CODE.match(code):
        problems.append(f"{where}: code must look like '16' or '16.01' (quote it in YAML)")
    derived = parent_topic_code(code)
    if f["parent_code"] is not None and str(f["parent_code"]) != derived:
        problems.append(f"{where}: parent_code {f['parent_code']!r} contradicts code (expected {derived!r})")
    f["parent_code"] = derived
    _check(bool(_QUEUE.match(str(f["queue"]))), problems,
           f"{where}: queue must be a lower-case name like 'social'")
    return Topic(**f)


def _parse_rule(item, where, problems) -> RoutingRule:
    f = _fields(item, where, problems, ("id", "reason_uk", "reason_en"),
                ("priority", "topic_prefix", "region_code", "body_code", "body_kind"))
    priority = f["priority"] if f["priority"] is not None else 0
    if isinstance(priority, bool) or not isinstance(priority, int):
        problems.append(f"{where}: priority must be an integer")
        priority = 0
    f["priority"] = priority
    if f["topic_prefix"] is not None:
        f["topic_prefix"] = str(f["topic_prefix"])
    if (f["body_code"] is None) == (f["body_kind"] is None):
        problems.append(f"{where}: give exactly one of body_code and body_kind")
    return RoutingRule(**f)


def _duplicates(codes: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    dups: list[str] = []
    for code in codes:
        if code in seen and code not in dups:
            dups.append(code)
        seen.add(code)
    return dups


def _cross_check(ref: Reference) -> list[str]:
    problems: list[str] = []
    for section, codes in (
        ("region", [r.code for r in ref.regions]),
        ("body", [b.code for b in ref.bodies]),
        ("topic", [t.code for t in ref.topics]),
        ("rule id", [r.id for r in ref.rules]),
    ):
        for dup in _duplicates(codes):
            problems.append(f"duplicate {section} code {dup!r}")
    regions, bodies, topics = ref.regions_by_code, ref.bodies_by_code, ref.topics_by_code
    seats: set[tuple[str, str]] = set()
    for body in ref.bodies:
        if body.region_code is not None:
            if body.region_code not in regions:
                problems.append(f"body {body.code}: unknown region {body.region_code!r}")
            if (body.kind, body.region_code) in seats:
                problems.append(f"body {body.code}: a second {body.kind} body for {body.region_code}")
            seats.add((body.kind, body.region_code))
    for topic in ref.topics:
        if topic.parent_code is not None and topic.parent_code not in topics:
            problems.append(f"topic {topic.code}: parent topic {topic.parent_code!r} is missing")
    for rule in ref.rules:
        where = f"rule {rule.id}"
        if rule.topic_prefix is not None and rule.topic_prefix not in topics:
            problems.append(f"{where}: unknown topic {rule.topic_prefix!r}")
        if rule.region_code is not None and rule.region_code not in regions:
            problems.append(f"{where}: unknown region {rule.region_code!r}")
        if rule.body_code is not None and rule.body_code not in bodies:
            problems.append(f"{where}: unknown body {rule.body_code!r}")
        if rule.body_kind is not None and not any(
            b.kind == rule.body_kind and b.region_code for b in ref.bodies
        ):
            problems.append(f"{where}: no body of kind {rule.body_kind!r} has a region")
    for child, parent in ref.oversight.items():
        if child not in bodies:
            problems.append(f"oversight: unknown body {child!r}")
        if parent not in bodies:
            problems.append(f"oversight: unknown overseeing body {parent!r} (for {child})")
        if child == parent:
            problems.append(f"oversight: {child} cannot oversee itself")
    if CABINET_SECRETARIAT not in bodies:
        problems.append(f"body {CABINET_SECRETARIAT} (the final fallback) is missing")
    problems.extend(_oversight_cycles(ref.oversight))
    return problems


def _oversight_cycles(oversight: Mapping[str, str]) -> list[str]:
    problems = []
    for start in oversight:
        seen = [start]
        current = oversight.get(start)
        while current is not None:
            if current in seen:
                if current == start:
                    problems.append(f"oversight: cycle {' -> '.join(seen + [current])}")
                break
            seen.append(current)
            current = oversight.get(current)
    return problems
