"""Each long-running part of the hotline as a function the CLI and the runner start."""

from __future__ import annotations

import logging

from hotline.bootstrap import session_factory
from hotline.settings import Settings
from hotline.signals import stop_on_signals

log = logging.getLogger(__name__)


async def _until_signalled(*closers) -> None:
    """Wait for SIGINT/SIGTERM, then run the closers."""
    await stop_on_signals().wait()
    for close in closers:
        await close()


async def run_agi(settings: Settings) -> None:
    """The FastAGI server with the routes table."""
    from agi_scripts.context import AgiContext, CallLog
    from agi_scripts.ivr import priority_callers_of
    from agi_scripts.routes import routes
    from agi_scripts.server import FastAgiServer

    context = AgiContext(settings=settings, call_log=CallLog(session_factory(settings)))
    priority_callers_of(context)  # read the priority list now: a broken file is logged at start
    server = FastAgiServer(routes(), context)
    await server.start(settings.agi_host, settings.agi_port)
    await _until_signalled(server.close)


async def run_ari(settings: Settings) -> None:
    """The ARI (Stasis) application."""
    from agi_scripts.stasis_app import run_stasis_app

    await run_stasis_app(settings, session_factory(settings))


async def run_ami(settings: Settings) -> None:
    """The AMI consumer (queue and agent events → database and Redis)."""
    from agi_scripts.ami_consumer import run_ami_consumer

    await run_ami_consumer(settings, session_factory(settings))


def run_console(settings: Settings) -> None:
    import uvicorn

    from operator_console.app import create_app

    uvicorn.run(
        create_app(settings, outbox_interval=30.0), host=settings.console_host, port=settings.console_port,
        log_level="info", proxy_headers=False,
    )


def run_worker(settings: Settings, *, processes: int = 1, threads: int = 1) -> int:
    """Transcription workers (one process per core); returns the exit code."""
    import multiprocessing

    from recordings.runner import WorkerConfig
    from recordings.runner import run_worker as run_one

    config = WorkerConfig(
        redis_url=settings.redis_url,
        database_url=settings.effective_database_url,
        model_path=settings.vosk_model_path,
        threads=threads,
    )
    if processes <= 1:
        run_one(config)
        return 0
    ctx = multiprocessing.get_context("spawn")
    workers = [ctx.Process(target=run_one, args=(config,), name=f"worker-{i}") for i in range(processes)]
    for proc in workers:
        proc.start()
    for proc in workers:
        proc.join()
    return max((proc.exitcode or 0) for proc in workers)
