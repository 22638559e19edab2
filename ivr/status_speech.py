"""What the IVR says about an appeal that was found: number, state, body, deadline."""

from __future__ import annotations

from .actions import StatusResult
from .catalogue import Catalogue, prompt_file
from .speech import say_appeal_number, say_date

# statuses (appeal_store APPEAL_STATUSES) whose deadline still matters to the caller
OPEN_STATUSES = ("draft", "registered", "routed", "delivered")


def status_files(result: StatusResult, number: str, language: str,
                 catalogue: Catalogue) -> list[str]:
    """Files for "Appeal number 1 2 3. Status: ... It is handled by ... by <date>".

    Unknown statuses and bodies fall back to generic prompts, so a new value in the
    database never breaks the call.
    """

    def has(name: str) -> bool:
        return catalogue.has(language, name)

    def f(name: str) -> str:
        return prompt_file(language, name)

    out = [f("status-found")] + say_appeal_number(number, language).files
    state = f"state-{(result.status or 'unknown').replace('_', '-')}"
    out += [f("status-state"), f(state if has(state) else "state-unknown")]
    if result.body_prompt and has(result.body_prompt):
        out += [f("status-body"), f(result.body_prompt)]
    elif result.body_kind:
        kind = f"body-kind-{result.body_kind.replace('_', '-')}"
        out += [f("status-body"), f(kind)] if has(kind) else [f("status-body-generic")]
    if result.due is not None and (result.status or "unknown") in OPEN_STATUSES:
        lead = "status-deadline-extended" if result.extended else "status-deadline"
        out += [f(lead)] + say_date(result.due, language, "gen").files
    return out
