"""The one explicit table of AGI scripts served by the FastAGI server."""

from __future__ import annotations

from agi_scripts.ivr import ivr
from agi_scripts.ivr_minimal import ivr_minimal
from agi_scripts.server import AgiScript


def routes() -> dict[str, AgiScript]:
    """Script name (the path in ``AGI(agi://host:port/NAME)``) → coroutine."""
    return {
        "ivr": ivr,
        "ivr-minimal": ivr_minimal,
    }
