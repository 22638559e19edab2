"""The routing reference as frozen dataclasses: Region, StateBody, Topic, RoutingRule and
Reference (all of them with lookups by code). Loaded and validated by :mod:`routing.reference`,
which re-exports every name here."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

REGION_KINDS = frozenset({"oblast", "city", "autonomous_republic"})
BODY_KINDS = frozenset(
    {
        "secretariat",
        "ministry",
        "service",
        "agency",
        "fund",
        "police",
        "central_bank",
        "regulator",
        "ombudsman",
        "regional",
    }
)
#: The body every appeal can fall back to when nothing else applies.
CABINET_SECRETARIAT = "CMU-SEC"


class ReferenceDataError(ValueError):
    """The reference data is inconsistent; ``problems`` lists every finding."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__(
            "invalid routing reference data:\n  - " + "\n  - ".join(self.problems)
        )


class UnknownCodeError(LookupError):
    """A code that the reference data does not know (region, body, topic or rule)."""


@dataclass(frozen=True)
class Region:
    code: str
    name_uk: str
    name_en: str
    kind: str


@dataclass(frozen=True)
class StateBody:
    code: str
    name_uk: str
    name_en: str
    kind: str
    region_code: str | None = None
    hotline_number: str | None = None
    webhook_url: str | None = None


@dataclass(frozen=True)
class Topic:
    code: str
    name_uk: str
    name_en: str
    parent_code: str | None
    queue: str


@dataclass(frozen=True)
class RoutingRule:
    id: str
    priority: int
    topic_prefix: str | None
    region_code: str | None
    body_code: str | None
    body_kind: str | None
    reason_uk: str
    reason_en: str

    def matches(self, topic_code: str | None, region_code: str | None) -> bool:
        """Whether this rule applies to an appeal with this topic and region."""
        if self.region_code is not None and self.region_code != region_code:
            return False
        return topic_matches(self.topic_prefix, topic_code)

    @property
    def prefix_depth(self) -> int:
        """How many code segments the topic prefix has (0 for any topic)."""
        return 0 if not self.topic_prefix else self.topic_prefix.count(".") + 1


def topic_matches(prefix: str | None, topic_code: str | None) -> bool:
    """True if ``prefix`` covers ``topic_code`` by whole segments ("16" covers "16.01")."""
    if not prefix:
        return True
    if not topic_code:
        return False
    return topic_code == prefix or topic_code.startswith(prefix + ".")


def parent_topic_code(code: str) -> str | None:
    """The code one level up ("16.01" -> "16"), or None for a top-level topic."""
    return code.rsplit(".", 1)[0] if "." in code else None


@dataclass(frozen=True)
class Reference:
    """All routing reference data, with lookups by code."""

    regions: tuple[Region, ...]
    bodies: tuple[StateBody, ...]
    topics: tuple[Topic, ...]
    rules: tuple[RoutingRule, ...]
    #: body code -> code of the body overseeing it (Art. 7 escalation).
    oversight: Mapping[str, str] = field(default_factory=dict)

    @cached_property
    def regions_by_code(self) -> dict[str, Region]:
        return {r.code: r for r in self.regions}

    @cached_property
    def bodies_by_code(self) -> dict[str, StateBody]:
        return {b.code: b for b in self.bodies}

    @cached_property
    def topics_by_code(self) -> dict[str, Topic]:
        return {t.code: t for t in self.topics}

    @cached_property
    def rules_by_id(self) -> dict[str, RoutingRule]:
        return {r.id: r for r in self.rules}

    def region(self, code: str) -> Region:
        return _get(self.regions_by_code, code, "region")

    def body(self, code: str) -> StateBody:
        return _get(self.bodies_by_code, code, "state body")

    def topic(self, code: str) -> Topic:
        return _get(self.topics_by_code, code, "topic")

    def rule(self, rule_id: str) -> RoutingRule:
        return _get(self.rules_by_id, rule_id, "routing rule")

    def body_of_kind(self, kind: str, region_code: str | None) -> StateBody | None:
        """The body of ``kind`` serving ``region_code`` (e.g. its regional administration)."""
        if region_code is None:
            return None
        for body in self.bodies:
            if body.kind == kind and body.region_code == region_code:
                return body
        return None

    def regional_body(self, region_code: str | None) -> StateBody | None:
        """The regional state (military) administration of a region, if any."""
        return self.body_of_kind("regional", region_code)

    def parent_body(self, body_code: str) -> StateBody | None:
        """The body overseeing ``body_code``; the Cabinet's Secretariat by default."""
        parent = self.oversight.get(body_code)
        if parent is None and body_code != CABINET_SECRETARIAT:
            parent = CABINET_SECRETARIAT
        return self.bodies_by_code.get(parent) if parent else None

    def topic_path(self, code: str) -> tuple[Topic, ...]:
        """The topic and its ancestors, top level first."""
        path: list[Topic] = []
        current: str | None = code
        while current is not None:
            topic = self.topic(current)
            path.insert(0, topic)
            current = topic.parent_code
        return tuple(path)

    def subtopics(self, code: str | None) -> tuple[Topic, ...]:
        """Direct children of a topic (top-level topics for None)."""
        return tuple(t for t in self.topics if t.parent_code == code)

    def queue_for_topic(self, code: str) -> str:
        return self.topic(code).queue


def _get(index: Mapping[str, Any], code: str, what: str) -> Any:
    try:
        return index[code]
    except KeyError:
        raise UnknownCodeError(f"unknown {what} code {code!r}") from None


