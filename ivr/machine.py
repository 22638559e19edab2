"""The IVR state machine: caller input in, actions out. Pure: no I/O, no clock, no network.

>>> session = IvrSession(load_menu(), CallContext(is_open=True, caller_id="0501234567"))
>>> session.start()[-1].files[:2]
('uk/welcome', 'en/welcome')
>>> session.on_input("2")[-1].files          # English, then the main menu
('en/main-menu',)

Each call returns the actions of one step (see :mod:`ivr.actions`). Odd keys (letters, "*",
long strings, None for a timeout) are treated as invalid or missing input, never an error;
calling a method the session is not waiting for raises :class:`IvrStateError`.
"""

from __future__ import annotations

import logging
import re
from typing import Literal

from .actions import (
    Action,
    CallContext,
    CollectSpec,
    LookupStatus,
    PathStep,
    Prompt,
    RequestCallback,
    SetVariables,
    StartVoiceAppeal,
    StatusResult,
    ToQueue,
)
from .menu_model import Menu, Node, PromptRef, Transition

NO_NUMBER_PROMPT = PromptRef("callback-no-number")
from .status_speech import status_files

log = logging.getLogger(__name__)

Awaiting = Literal["input", "status", "done"]
_ODD_KEYS = re.compile(r"[^0-9A-D*#]")
_MAX_LOGGED_KEYS = 32
_RESULT_NAMES = {ToQueue: "queue", StartVoiceAppeal: "voice_appeal", RequestCallback: "callback"}


class IvrStateError(RuntimeError):
    """The adapter called a method the session is not waiting for (a programming error)."""


class IvrSession:
    """One caller's walk through the menu."""

    def __init__(self, menu: Menu, ctx: CallContext) -> None:
        self.menu = menu
        self.ctx = ctx
        self.language = menu.default_language
        self.topic: str | None = None
        self.appeal_number: str | None = None
        self.path: list[PathStep] = []
        self.awaiting: Awaiting | None = None
        self.end_reason: str | None = None  # choice | retries | max_steps
        self._node: Node = menu.node(menu.start)
        self._attempts = 0
        self._steps = 0
        self._lead_in: tuple[str, ...] = ()

    # --- public API -------------------------------------------------------------------

    @property
    def node_id(self) -> str:
        """The node the caller is at (or ended at)."""
        return self._node.id

    def start(self) -> list[Action]:
        """The first step: the start node's prompts (usually the language choice)."""
        if self.awaiting is not None:
            raise IvrStateError("start() was already called")
        return self._enter(self.menu.start, ())

    def on_input(self, digits: str | None) -> list[Action]:
        """Feed what the caller keyed after the last collecting Prompt (None: nothing)."""
        self._expect("input")
        self._steps += 1
        node = self._node
        keys = self._normalise(digits, node)
        if keys is None:
            self.path.append(PathStep(node.id, "timeout"))
            if node.on_timeout is not None:
                return self._follow(node.on_timeout, ())
            return self._failure(node.no_input_prompts)
        self.path.append(PathStep(node.id, self._loggable(keys)))
        if node.kind == "menu":
            choice = node.choices.get(keys) if len(keys) == 1 else None
            if choice is None:
                return self._failure(node.invalid_prompts)
            return self._follow(choice, ())
        if all(k in node.digits for k in keys) and node.min_digits <= len(keys) <= node.max_digits:
            self.appeal_number = keys
            assert node.on_input is not None  # checked by the menu loader
            return self._follow(node.on_input, ())
        return self._failure(node.invalid_prompts)

    def on_result(self, name: str, value: StatusResult | None) -> list[Action]:
        """Feed the outcome of a LookupStatus (``name`` "status"; None if the lookup failed)."""
        if name != "status":
            raise IvrStateError(f"unknown result {name!r} (expected 'status')")
        self._expect("status")
        if not isinstance(value, StatusResult):
            value = StatusResult.unavailable()
        node = self._node
        log.info("ivr status lookup outcome=%s node=%s", value.outcome, node.id)
        pre: tuple[str, ...] = ()
        if value.outcome == "found":
            assert self.appeal_number is not None
            pre = tuple(status_files(value, self.appeal_number, self.language,
                                     self.menu.catalogue))
        return self._follow(node.results[value.outcome], pre)

    def variables(self) -> dict[str, str]:
        """Channel variables describing the call so far (``HOTLINE_*``)."""
        out = {
            "HOTLINE_LANGUAGE": self.language,
            "HOTLINE_IVR_PATH": self.path_string(),
        }
        if self.topic is not None:
            out["HOTLINE_TOPIC"] = self.topic
        if self.appeal_number is not None:
            out["HOTLINE_APPEAL_NUMBER"] = self.appeal_number
        if self.end_reason is not None:
            out["HOTLINE_IVR_REASON"] = self.end_reason
        return out

    def path_string(self) -> str:
        """The path as "language:1>main:1>topic:3" (odd keys are shown sanitised)."""
        return ">".join(str(step) for step in self.path)

    # --- steps --------------------------------------------------------------------------

    def _expect(self, what: Awaiting) -> None:
        if self.awaiting != what:
            raise IvrStateError(f"the session is waiting for {self.awaiting!r}, not {what!r}")

    @staticmethod
    def _normalise(digits: str | None, node: Node) -> str | None:
        if digits is None:
            return None
        keys = str(digits).strip().upper()
        if node.terminator and keys.endswith(node.terminator):
            keys = keys[: -len(node.terminator)]
        return keys or None

    @staticmethod
    def _loggable(keys: str) -> str:
        clean = _ODD_KEYS.sub("?", keys)
        return clean[:_MAX_LOGGED_KEYS] + ("…" if len(clean) > _MAX_LOGGED_KEYS else "")

    def _files(self, refs: tuple[PromptRef, ...]) -> tuple[str, ...]:
        return tuple(ref.file(self.language) for ref in refs)

    def _collect(self, node: Node) -> CollectSpec:
        return CollectSpec(
            max_digits=node.max_digits,
            timeout=node.timeout,
            terminator=node.terminator,
            allowed=node.digits,
            min_digits=node.min_digits if node.kind == "input" else 1,
        )

    def _enter(self, node_id: str, lead_in: tuple[str, ...]) -> list[Action]:
        node = self.menu.node(node_id)
        if node.when_closed is not None and not self.ctx.is_open:
            node = self.menu.node(node.when_closed)
        if self._steps >= self.menu.max_steps:
            log.warning("ivr max steps reached path=%s", self.path_string())
            return self._fallback(lead_in, "max_steps")
        self._node = node
        self._attempts = 0
        self._lead_in = lead_in
        self.awaiting = "input"
        return self._prompt(lead_in, self._files(node.prompts))

    def _prompt(self, lead_in: tuple[str, ...], files: tuple[str, ...]) -> list[Action]:
        out: list[Action] = [Prompt(lead_in)] if lead_in else []
        out.append(Prompt(files, self._collect(self._node)))
        return out

    def _failure(self, refs: tuple[PromptRef, ...]) -> list[Action]:
        self._attempts += 1
        said = self._files(refs)
        if self._attempts > self._node.retries or self._steps >= self.menu.max_steps:
            return self._fallback(said, "retries")
        return [Prompt(said + self._files(self._node.prompts), self._collect(self._node))]

    def _fallback(self, said: tuple[str, ...], reason: str) -> list[Action]:
        transition = self._node.fallback or (
            self.menu.fallback if self.ctx.is_open else self.menu.fallback_closed)
        return self._finish(transition, said + self._files(transition.prompts), reason)

    def _follow(self, transition: Transition, pre: tuple[str, ...]) -> list[Action]:
        out: list[Action] = []
        if transition.language is not None and transition.language != self.language:
            self.language = transition.language
            out.append(SetVariables({"HOTLINE_LANGUAGE": self.language}))
        if transition.topic is not None:
            self.topic = transition.topic
        if transition.action == "callback" and not self.ctx.caller_id:
            return out + self._no_number(pre)
        files = pre + self._files(transition.prompts)
        if transition.goto is not None:
            return out + self._enter(transition.goto, files)
        if transition.action == "repeat":
            self.awaiting = "input"
            self._attempts = 0
            return out + self._prompt(self._lead_in + files, self._files(self._node.prompts))
        if transition.action == "lookup_status":
            assert self.appeal_number is not None
            self.awaiting = "status"
            return out + ([Prompt(files)] if files else []) + [LookupStatus(self.appeal_number)]
        return out + self._finish(transition, files, "choice")

    def _no_number(self, pre: tuple[str, ...]) -> list[Action]:
        """A call back chosen without a caller id: say so, then what the menu does instead.

        Open: the general fallback (the general queue); closed: a voice appeal. Nothing is
        asked, so no call back can be stored without a number to dial.
        """
        said = pre + (NO_NUMBER_PROMPT.file(self.language),)
        if self.ctx.is_open:
            transition = self.menu.fallback
            said += self._files(transition.prompts)
        else:
            transition = self.menu.fallback_closed  # its own prompt would repeat ours
        log.info("ivr call back without a caller id: %s",
                 "queue" if transition.queue is not None else transition.action)
        return self._finish(transition, said, "no_caller_id")

    def _finish(self, transition: Transition, said: tuple[str, ...], reason: str) -> list[Action]:
        """End the IVR: play ``said`` (transition prompts included), set variables, hand off."""
        if transition.topic is not None:
            self.topic = transition.topic
        self.awaiting = "done"
        self.end_reason = reason
        end: Action
        if transition.queue is not None:
            queue = transition.queue_for(self.language)
            end = ToQueue(queue, self.language, self.topic)
        elif transition.action == "voice_appeal":
            end = StartVoiceAppeal(self.language, self.topic)
        elif transition.action == "callback":
            end = RequestCallback(self.language, self.topic, self.ctx.caller_id)
        else:  # the loader only lets terminal transitions end a call
            raise AssertionError(f"not a terminal transition: {transition}")
        variables = self.variables()
        if isinstance(end, ToQueue):
            variables["HOTLINE_QUEUE"] = end.queue
        variables["HOTLINE_ACTION"] = _RESULT_NAMES[type(end)]
        log.info("ivr end result=%s reason=%s path=%s", variables["HOTLINE_ACTION"], reason,
                 self.path_string())
        return ([Prompt(said)] if said else []) + [SetVariables(variables), end]
