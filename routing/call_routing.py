"""Call routing: which queue takes a caller, whether the centre is open, overflow diversion.

Pure: :func:`choose_queue` reads the caller's IVR choice, language and topic, the time and
the calendar, live queue statistics and overflow rules (data, ``routing/data/
call_routing.yaml``) and returns a :class:`QueueDecision`.

Order: a priority caller -> the priority queue; a caller in another language -> that
language's queue; a known topic -> the topic's queue; the IVR choice -> its queue; else the
general queue. Closed -> ``after_hours`` (a voice appeal by default). Open but the queue is
overloaded -> the first overflow rule that fires diverts to another queue, a voice appeal
or a call-back offer.

Example::

    d = choose_queue("1", "uk", None, now, cal, priority_caller=False,
                     queue_stats={"social": QueueStats(waiting=25)})
    d.queue, d.diverted_to      # ('social', 'general')
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from routing.calendar import WorkCalendar, is_open
from routing.reference import Reference, default_reference

CALL_ROUTING_FILE = Path(__file__).resolve().parent / "data" / "call_routing.yaml"
VOICE_APPEAL = "voice_appeal"
CALLBACK = "callback"
ACTIONS = frozenset({VOICE_APPEAL, CALLBACK})
ANY_QUEUE = "*"


class CallRoutingError(ValueError):
    """Bad call-routing configuration."""


@dataclass(frozen=True)
class QueueStats:
    """Live state of one queue (from the AMI mirror in Redis)."""

    waiting: int = 0
    longest_wait_seconds: float = 0.0


@dataclass(frozen=True)
class OverflowRule:
    """Divert new callers of ``queue`` ("*" = any) once a threshold is passed."""

    queue: str
    divert_to: str
    max_waiting: int | None = None
    max_wait_seconds: float | None = None

    def applies_to(self, queue: str) -> bool:
        return self.queue in (queue, ANY_QUEUE)

    def fires(self, stats: QueueStats) -> bool:
        return (self.max_waiting is not None and stats.waiting > self.max_waiting) or (
            self.max_wait_seconds is not None
            and stats.longest_wait_seconds > self.max_wait_seconds
        )


@dataclass(frozen=True)
class CallRoutingConfig:
    queues: frozenset[str]
    general_queue: str = "general"
    priority_queue: str = "priority"
    default_language: str = "uk"
    languages: frozenset[str] = frozenset({"uk", "en"})
    language_queues: Mapping[str, str] = field(default_factory=dict)
    choices: Mapping[str, str] = field(default_factory=dict)
    ivr_topic_queues: Mapping[str, str] = field(default_factory=dict)
    ivr_topic_codes: Mapping[str, str | None] = field(default_factory=dict)
    after_hours: str = VOICE_APPEAL
    overflow: tuple[OverflowRule, ...] = ()
    overflow_last_resort: str = CALLBACK
    never_divert: frozenset[str] = frozenset()
    priority_numbers: frozenset[str] = frozenset()


@dataclass(frozen=True)
class QueueDecision:
    """Where a caller goes.

    ``queue`` is the queue chosen for the caller; ``diverted_to`` is None when the caller
    joins it, else another queue name, ``voice_appeal`` or ``callback``.
    """

    queue: str
    reason: str
    is_open: bool
    diverted_to: str | None = None

    @property
    def action(self) -> str:
        """'queue', 'voice_appeal' or 'callback'."""
        return self.diverted_to if self.diverted_to in ACTIONS else "queue"

    @property
    def target_queue(self) -> str | None:
        """The queue the caller actually joins, or None for a voice appeal / call back."""
        if self.diverted_to is None:
            return self.queue
        return None if self.diverted_to in ACTIONS else self.diverted_to


def choose_queue(
    choice: str | None,
    language: str | None,
    topic: str | None,
    now: dt.datetime,
    calendar: WorkCalendar,
    priority_caller: bool,
    queue_stats: Mapping[str, QueueStats] | None = None,
    overflow_rules: Sequence[OverflowRule] | None = None,
    *,
    config: CallRoutingConfig | None = None,
    reference: Reference | None = None,
) -> QueueDecision:
    """Decide the caller's queue. ``topic``: a classifier code ("16.01") or an IVR topic
    label ("social"); ``choice``: an IVR key ("1") or a queue name. ``overflow_rules``
    None uses the configured rules; pass () to turn overflow off."""
    cfg = config or default_call_routing()
    queue, why = _select(choice, language, topic, priority_caller, cfg, reference)
    open_now = is_open(now, calendar)
    if not open_now:
        return QueueDecision(queue, f"{why}; closed -> {cfg.after_hours}", False, cfg.after_hours)
    rules = cfg.overflow if overflow_rules is None else tuple(overflow_rules)
    diverted, how = _overflow(queue, queue_stats or {}, rules, cfg)
    reason = f"{why}; open" + (f"; {how}" if how else "")
    return QueueDecision(queue, reason, True, diverted)


def _select(choice: str | None, language: str | None, topic: str | None, priority: bool,
            cfg: CallRoutingConfig, reference: Reference | None) -> tuple[str, str]:
    notes: list[str] = []
    if priority:
        return cfg.priority_queue, f"priority caller -> {cfg.priority_queue}"
    lang = (language or cfg.default_language).lower()
    if lang not in cfg.languages:
        notes.append(f"unknown language {language!r} taken as {cfg.default_language}")
        lang = cfg.default_language
    if lang != cfg.default_language and lang in cfg.language_queues:
        return cfg.language_queues[lang], f"language {lang} -> {cfg.language_queues[lang]}"
    prefix = "; ".join(notes) + "; " if notes else ""
    if topic:
        queue = _topic_queue(topic, cfg, reference)
        if queue is not None:
            return queue, f"{prefix}topic {topic} -> {queue}"
        prefix += f"unknown topic {topic!r}; "
    if choice:
        queue = cfg.choices.get(choice) or (choice if choice in cfg.queues else None)
        if queue is not None:
            return queue, f"{prefix}choice {choice} -> {queue}"
        prefix += f"unknown choice {choice!r}; "
    return cfg.general_queue, f"{prefix}general queue"


def _topic_queue(topic: str, cfg: CallRoutingConfig, reference: Reference | None) -> str | None:
    if topic in cfg.ivr_topic_queues:
        return cfg.ivr_topic_queues[topic]
    ref = reference if reference is not None else default_reference()
    found = ref.topics_by_code.get(topic)
    return found.queue if found else None


def _overflow(queue: str, stats: Mapping[str, QueueStats], rules: Sequence[OverflowRule],
              cfg: CallRoutingConfig) -> tuple[str | None, str]:
    """Follow overflow rules from ``queue``; (diverted_to or None, explanation)."""
    current, seen, steps = queue, [queue], []
    while True:
        if current in cfg.never_divert:
            break
        s = stats.get(current, QueueStats())
        rule = next((r for r in rules if r.applies_to(current) and r.fires(s)), None)
        if rule is None:
            break
        steps.append(f"{current} overloaded ({s.waiting} waiting, longest "
                     f"{s.longest_wait_seconds:.0f}s) -> {rule.divert_to}")
        if rule.divert_to in ACTIONS:
            return rule.divert_to, "; ".join(steps)
        if rule.divert_to in seen:
            steps.append(f"loop -> {cfg.overflow_last_resort}")
            return cfg.overflow_last_resort, "; ".join(steps)
        seen.append(rule.divert_to)
        current = rule.divert_to
    return (None if current == queue else current), "; ".join(steps)


# --- priority callers ----------------------------------------------------------------------


def normalize_number(number: str) -> str:
    """Digits of a Ukrainian number in international form: '+38 (050) 123-45-67' and
    '0501234567' both give '380501234567'."""
    digits = re.sub(r"\D", "", number or "")
    if len(digits) == 10 and digits.startswith("0"):
        digits = "38" + digits
    return digits


def is_priority_caller(number: str | None, priority_numbers: Iterable[str]) -> bool:
    """Whether a caller ID is on the priority list (numbers compared in normal form)."""
    wanted = normalize_number(number or "")
    return bool(wanted) and wanted in {normalize_number(n) for n in priority_numbers}


# --- configuration -------------------------------------------------------------------------


def build_call_routing(doc: Mapping[str, Any]) -> CallRoutingConfig:
    """A checked configuration from plain data (as in call_routing.yaml)."""
    queues = frozenset(str(q) for q in doc.get("queues") or [])
    if not queues:
        raise CallRoutingError("queues: list the call queues")
    problems: list[str] = []

    def queue(name: Any, where: str, actions: bool = False) -> str:
        name = str(name)
        if name not in queues and not (actions and name in ACTIONS):
            allowed = sorted(queues | (ACTIONS if actions else set()))
            problems.append(f"{where}: unknown queue {name!r} (known: {', '.join(allowed)})")
        return name

    ivr = doc.get("ivr_topics") or {}
    rules = []
    for i, r in enumerate(doc.get("overflow") or []):
        where = f"overflow[{i}]"
        if r.get("max_waiting") is None and r.get("max_wait_seconds") is None:
            problems.append(f"{where}: give max_waiting or max_wait_seconds")
        q = str(r.get("queue", ANY_QUEUE))
        rules.append(OverflowRule(
            queue=q if q == ANY_QUEUE else queue(q, where),
            divert_to=queue(r.get("divert_to"), where, actions=True),
            max_waiting=r.get("max_waiting"),
            max_wait_seconds=r.get("max_wait_seconds"),
        ))
    cfg = CallRoutingConfig(
        queues=queues,
        general_queue=queue(doc.get("general_queue", "general"), "general_queue"),
        priority_queue=queue(doc.get("priority_queue", "priority"), "priority_queue"),
        default_language=str(doc.get("default_language", "uk")),
        languages=frozenset(doc.get("languages") or ["uk"]),
        language_queues={k: queue(v, f"language_queues.{k}")
                         for k, v in (doc.get("language_queues") or {}).items()},
        choices={str(k): queue(v, f"choices.{k}") for k, v in (doc.get("choices") or {}).items()},
        ivr_topic_queues={k: queue(v.get("queue"), f"ivr_topics.{k}") for k, v in ivr.items()},
        ivr_topic_codes={k: v.get("topic_code") for k, v in ivr.items()},
        after_hours=_action(doc.get("after_hours", VOICE_APPEAL), "after_hours", problems),
        overflow=tuple(rules),
        overflow_last_resort=_action(doc.get("overflow_last_resort", CALLBACK),
                                     "overflow_last_resort", problems),
        never_divert=frozenset(queue(q, "never_divert") for q in doc.get("never_divert") or []),
        priority_numbers=frozenset(normalize_number(str(n)) for n in
                                   doc.get("priority_numbers") or []),
    )
    if problems:
        raise CallRoutingError("invalid call routing configuration:\n  - " + "\n  - ".join(problems))
    return cfg


def _action(value: Any, where: str, problems: list[str]) -> str:
    if value not in ACTIONS:
        problems.append(f"{where}: must be one of {sorted(ACTIONS)}, not {value!r}")
    return str(value)


def load_call_routing(path: Path | str | None = None) -> CallRoutingConfig:
    """Read call_routing.yaml (default: the shipped one)."""
    file = Path(path) if path is not None else CALL_ROUTING_FILE
    try:
        doc = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise CallRoutingError(f"{file.name}: cannot read: {exc}") from exc
    return build_call_routing(doc)


@lru_cache(maxsize=1)
def default_call_routing() -> CallRoutingConfig:
    """The shipped configuration, loaded once."""
    return load_call_routing()
