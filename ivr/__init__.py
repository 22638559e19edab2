"""The IVR as data and pure logic: menu tree, prompt catalogue, state machine, speech.

No network code here; agi_scripts/ runs a session on a live channel (see docs/IVR.md).
"""

from .actions import (
    Action,
    CallContext,
    CollectSpec,
    LookupStatus,
    Prompt,
    RequestCallback,
    SetVariables,
    StartVoiceAppeal,
    StatusResult,
    ToQueue,
)
from .catalogue import Catalogue, load_catalogue, prompt_file
from .machine import IvrSession, IvrStateError
from .menu import MenuError, load_menu

__all__ = [
    "Action", "CallContext", "Catalogue", "CollectSpec", "IvrSession", "IvrStateError",
    "LookupStatus", "MenuError", "Prompt", "RequestCallback", "SetVariables",
    "StartVoiceAppeal", "StatusResult", "ToQueue", "load_catalogue", "load_menu", "prompt_file",
]
