"""The menu tree as frozen dataclasses (built and checked by :mod:`ivr.menu`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

from .catalogue import Catalogue, prompt_file

NodeKind = Literal["menu", "input"]
# what a transition does besides moving to a node or a queue
ACTIONS = ("voice_appeal", "callback", "lookup_status", "repeat")
TERMINAL_ACTIONS = ("voice_appeal", "callback")
STATUS_OUTCOMES = ("found", "not_found", "unavailable")

_EMPTY: Mapping = MappingProxyType({})


class MenuError(ValueError):
    """The menu is invalid; ``node`` is the id of the node at fault (None: the whole menu)."""

    def __init__(self, node: str | None, problem: str) -> None:
        self.node = node
        self.problem = problem
        where = f"node {node!r}" if node is not None else "menu"
        super().__init__(f"{where}: {problem}")


@dataclass(frozen=True)
class PromptRef:
    """A prompt to play: in the caller's language, or in a fixed one (``uk:welcome``)."""

    name: str
    language: str | None = None

    def file(self, caller_language: str) -> str:
        """The file to play (``<lang>/<name>``) for a caller speaking ``caller_language``."""
        return prompt_file(self.language or caller_language, self.name)

    def __str__(self) -> str:
        return f"{self.language}:{self.name}" if self.language else self.name


@dataclass(frozen=True)
class Transition:
    """Where an input leads: exactly one of ``goto``, ``queue`` or ``action``.

    ``prompts`` are played first; ``language`` / ``topic`` are remembered for the call.
    ``queue`` maps a language to the queue name (the same name for every language when the
    YAML gives a plain string).
    """

    goto: str | None = None
    queue: Mapping[str, str] | None = None
    action: str | None = None
    language: str | None = None
    topic: str | None = None
    prompts: tuple[PromptRef, ...] = ()

    @property
    def terminal(self) -> bool:
        """True when the transition ends the IVR (queue, voice appeal, call back)."""
        return self.queue is not None or self.action in TERMINAL_ACTIONS

    def queue_for(self, language: str) -> str:
        assert self.queue is not None
        return self.queue[language]


@dataclass(frozen=True)
class Node:
    """One menu (a single key chooses) or input (a number keyed, then terminator)."""

    id: str
    kind: NodeKind
    prompts: tuple[PromptRef, ...]
    choices: Mapping[str, Transition] = field(default_factory=lambda: _EMPTY)
    digits: str = ""
    min_digits: int = 1
    max_digits: int = 1
    terminator: str = ""
    timeout: float = 5.0
    retries: int = 2
    invalid_prompts: tuple[PromptRef, ...] = ()
    no_input_prompts: tuple[PromptRef, ...] = ()
    on_timeout: Transition | None = None
    on_input: Transition | None = None
    results: Mapping[str, Transition] = field(default_factory=lambda: _EMPTY)
    fallback: Transition | None = None
    when_closed: str | None = None

    def transitions(self) -> list[tuple[str, Transition]]:
        """Every (label, transition) this node can take on the caller's input (not fallback)."""
        out = [(f"digit {d!r}", t) for d, t in self.choices.items()]
        if self.on_timeout is not None:
            out.append(("on_timeout", self.on_timeout))
        if self.on_input is not None:
            out.append(("on_input", self.on_input))
        out.extend((f"result {k!r}", t) for k, t in self.results.items())
        return out


@dataclass(frozen=True)
class Menu:
    """A whole validated IVR menu with the catalogue it was checked against."""

    version: int
    languages: tuple[str, ...]
    default_language: str
    start: str
    general_queue: str
    topics: tuple[str, ...]
    max_steps: int
    fallback: Transition
    fallback_closed: Transition
    nodes: Mapping[str, Node]
    catalogue: Catalogue

    def node(self, node_id: str) -> Node:
        return self.nodes[node_id]
