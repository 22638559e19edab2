"""The foundation IVR script: record the caller and one DTMF choice, then queue.

The full IVR (menus, languages, status checks) lives in agi_scripts/ivr.py and drives the
pure state machine in ivr/; this script stays as the smallest working route, used when the
menu cannot be loaded.
"""

from __future__ import annotations

from agi_scripts.context import AgiContext
from agi_scripts.fastagi import AgiChannel
from appeal_store.calls import sanitize_phone


async def ivr_minimal(agi: AgiChannel, ctx: AgiContext) -> None:
    uniqueid = agi.uniqueid
    await ctx.call_log.call_started(
        uniqueid,
        caller_number=sanitize_phone(agi.caller_id),
        called_number=sanitize_phone(agi.dialed),
    )
    digits = await agi.get_data("beep", timeout_ms=5000, max_digits=1)
    await ctx.call_log.ivr_input(uniqueid, "choice", digits)
    await agi.set_variable("HOTLINE_QUEUE", ctx.settings.general_queue)
    await agi.set_variable("HOTLINE_ACTION", "queue")
