"""Whole-menu checks: targets, prompts, node rules, reachability and exits."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

from .menu_model import STATUS_OUTCOMES, Menu, MenuError, Node, PromptRef, Transition


def check_menu(menu: Menu) -> None:
    """Raise :class:`MenuError` for the first problem found; return None when all is well."""
    if menu.start not in menu.nodes:
        raise MenuError(None, f"start node {menu.start!r} does not exist")
    for transition, what in ((menu.fallback, "defaults.fallback"),
                             (menu.fallback_closed, "defaults.fallback_closed")):
        if not transition.terminal:
            raise MenuError(None, f"{what} must end the IVR (queue, voice_appeal or callback)")
        _check_prompts(menu, None, what, transition.prompts)
    for node in menu.nodes.values():
        _check_node_rules(node)
        _check_targets(menu, node)
        _check_node_prompts(menu, node)
    _check_reachable(menu)
    _check_exits(menu)


def _check_node_rules(node: Node) -> None:
    nid = node.id
    if not node.prompts:
        raise MenuError(nid, "prompts: at least one prompt is needed")
    if node.fallback is not None and not node.fallback.terminal:
        raise MenuError(nid, "fallback must end the IVR (queue, voice_appeal or callback)")
    if node.kind == "menu":
        if not node.choices:
            raise MenuError(nid, "a menu node needs choices")
        if node.on_input is not None or node.results:
            raise MenuError(nid, "on_input and results belong to input nodes")
    else:
        if node.choices:
            raise MenuError(nid, "an input node has no choices (it collects a number)")
        if node.on_input is None or node.on_input.action != "lookup_status":
            raise MenuError(nid, "an input node needs on_input: {action: lookup_status}")
        missing = [o for o in STATUS_OUTCOMES if o not in node.results]
        if missing:
            raise MenuError(nid, f"results: missing outcome(s) {missing}")
    for label, transition in node.transitions():
        if transition.action == "lookup_status" and label != "on_input":
            raise MenuError(nid, f"{label}: lookup_status is only for an input node's on_input")
        if transition.action == "repeat" and node.kind != "menu":
            raise MenuError(nid, f"{label}: repeat is only for menu nodes")
        if transition.action == "repeat" and label.startswith("result"):
            raise MenuError(nid, f"{label}: a result cannot repeat")


def _check_targets(menu: Menu, node: Node) -> None:
    if node.when_closed is not None:
        target = menu.nodes.get(node.when_closed)
        if target is None:
            raise MenuError(node.id, f"when_closed: unknown target node {node.when_closed!r}")
        if target.when_closed is not None:
            raise MenuError(node.id, f"when_closed: {target.id!r} itself has when_closed")
    for label, transition in node.transitions():
        if transition.goto is not None and transition.goto not in menu.nodes:
            raise MenuError(node.id, f"{label}: unknown target node {transition.goto!r}")


def _node_prompt_groups(node: Node) -> Iterable[tuple[str, tuple[PromptRef, ...]]]:
    yield "prompts", node.prompts
    yield "invalid_prompts", node.invalid_prompts
    yield "no_input_prompts", node.no_input_prompts
    for label, transition in node.transitions():
        yield label, transition.prompts
    if node.fallback is not None:
        yield "fallback", node.fallback.prompts


def _check_node_prompts(menu: Menu, node: Node) -> None:
    for what, refs in _node_prompt_groups(node):
        _check_prompts(menu, node.id, what, refs)


def _check_prompts(menu: Menu, node: str | None, what: str, refs: Iterable[PromptRef]) -> None:
    for ref in refs:
        langs = (ref.language,) if ref.language else menu.languages
        missing = menu.catalogue.missing([ref.name], langs)
        if missing:
            raise MenuError(node, f"{what}: unknown prompt {ref.name!r} (not in the catalogue: "
                                  f"{', '.join(missing)})")


def _edges(node: Node) -> list[str]:
    out = [t.goto for _, t in node.transitions() if t.goto is not None]
    if node.when_closed is not None:
        out.append(node.when_closed)
    return out


def _check_reachable(menu: Menu) -> None:
    seen = {menu.start}
    todo = deque([menu.start])
    while todo:
        for target in _edges(menu.nodes[todo.popleft()]):
            if target not in seen:
                seen.add(target)
                todo.append(target)
    for node_id in menu.nodes:
        if node_id not in seen:
            raise MenuError(node_id, f"unreachable node (no path from {menu.start!r})")


def _leads_out(transition: Transition, can_exit: set[str]) -> bool:
    return transition.terminal or (transition.goto is not None and transition.goto in can_exit)


def _check_exits(menu: Menu) -> None:
    """Every node must reach a terminal action through the caller's choices.

    The retry fallback does not count: a citizen who keys only valid choices must not be
    led round a loop of menus that never reaches an operator, a voice appeal or a call back.
    """
    can_exit: set[str] = set()
    changed = True
    while changed:
        changed = False
        for node in menu.nodes.values():
            if node.id in can_exit:
                continue
            if any(_leads_out(t, can_exit) for _, t in node.transitions()):
                can_exit.add(node.id)
                changed = True
    for node_id in menu.nodes:
        if node_id not in can_exit:
            raise MenuError(node_id, "loop with no exit: no choice ever leads to a queue, "
                                     "voice appeal or call back")
