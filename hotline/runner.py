"""`hotline up`: run the whole stack on one machine and supervise it.

The runner prepares the database and the Asterisk sandbox, then starts each service as a
child process (`hotline agi`, `ari`, `ami`, `console`, `worker`), restarts one that dies
(with a backoff), and on Ctrl-C or SIGTERM stops all of them and Asterisk. `--detach`
starts the same runner in the background and returns once the stack answers.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from hotline.settings import Settings

log = logging.getLogger(__name__)

SERVICES = ("agi", "ari", "ami", "console", "worker")


@dataclass
class Child:
    name: str
    argv: list[str]
    proc: subprocess.Popen | None = None
    restarts: int = 0
    next_start: float = 0.0
    log_path: Path | None = field(default=None)


def runner_pid_file(settings: Settings) -> Path:
    return settings.var_dir / "run" / "hotline-up.pid"


def endpoints(settings: Settings) -> dict[str, str]:
    """Where each part listens, for the banner and for docs."""
    return {
        "SIP (PJSIP, UDP)": f"{settings.sip_host}:{settings.sip_port} — dial {settings.hotline_number}"
        f" from the carrier at {settings.carrier_ip}",
        "AMI": f"{settings.ami_host}:{settings.ami_port}",
        "ARI / HTTP": f"http://{settings.ari_host}:{settings.ari_port}/ari",
        "FastAGI (IVR)": f"agi://{settings.agi_host}:{settings.agi_port}/ivr",
        "Console": f"http://{settings.console_host}:{settings.console_port}/",
        "Database": settings.masked()["effective_database_url"],
        "Redis": settings.masked()["redis_url"],
        "Recordings": str(settings.effective_recordings_dir),
    }


def prepare(settings: Settings) -> None:
    """Database schema and reference data, prompts, then Asterisk."""
    from appeal_store.migrate import upgrade
    from hotline import bootstrap

    settings.var_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.effective_database_url)
    bootstrap.seed_reference_data(settings)
    bootstrap.ensure_dev_users(settings)
    try:
        bootstrap.build_prompts(settings)
    except (OSError, RuntimeError, ImportError) as exc:
        log.warning("prompts not built (%s): Asterisk's own sounds will be played", exc)
    bootstrap.start_asterisk(settings)


def _child_argv(name: str) -> list[str]:
    return [sys.executable, "-m", "hotline.cli", name]


def _start(child: Child, log_dir: Path | None) -> None:
    out = None
    if log_dir is not None:
        child.log_path = log_dir / f"{child.name}.log"
        out = open(child.log_path, "ab")  # noqa: SIM115
    child.proc = subprocess.Popen(child.argv, stdout=out, stderr=subprocess.STDOUT if out else None)
    if out is not None:
        out.close()
    log.info("started %s (pid %s)", child.name, child.proc.pid)


def supervise(settings: Settings, *, log_dir: Path | None = None) -> int:
    """Start every service, restart the ones that die, stop all on a signal."""
    children = [Child(name, _child_argv(name)) for name in SERVICES]
    stopping = False

    def on_signal(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    for child in children:
        _start(child, log_dir)
    _print_banner(settings)
    try:
        while not stopping:
            now = time.monotonic()
            for child in children:
                if child.proc is not None and child.proc.poll() is not None:
                    code = child.proc.returncode
                    child.proc = None
                    child.restarts += 1
                    delay = min(30.0, 0.5 * 2 ** min(child.restarts, 6))
                    child.next_start = now + delay
                    log.warning("%s exited with %s; restarting in %.1f s", child.name, code, delay)
                if child.proc is None and now >= child.next_start:
                    _start(child, log_dir)
            time.sleep(0.2)
    finally:
        _stop_children(children)
        from hotline.asterisk_sandbox import process

        process.stop(settings)
        log.info("hotline stopped")
    return 0


def _stop_children(children: list[Child], timeout: float = 10.0) -> None:
    for child in children:
        if child.proc is not None and child.proc.poll() is None:
            child.proc.terminate()
    deadline = time.monotonic() + timeout
    for child in children:
        if child.proc is None:
            continue
        try:
            child.proc.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.proc.kill()
            child.proc.wait()


def _print_banner(settings: Settings) -> None:
    lines = ["", "Hotline is up:"] + [f"  {k:<18} {v}" for k, v in endpoints(settings).items()]
    lines.append("  Ctrl-C stops everything.")
    print("\n".join(lines), flush=True)


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), 0.5):
            return True
    except OSError:
        return False


def run_stack(settings: Settings, *, detach: bool = False) -> int:
    if detach:
        return _detach(settings)
    prepare(settings)
    pid_path = runner_pid_file(settings)
    pid_path.parent.mkdir(parents=True, exist_ok=True)
    pid_path.write_text(str(os.getpid()))
    try:
        return supervise(settings)
    finally:
        pid_path.unlink(missing_ok=True)


def _detach(settings: Settings, wait: float = 180.0) -> int:
    """Start `hotline up` in the background; return once the console and IVR answer."""
    log_dir = settings.var_dir / "log"
    log_dir.mkdir(parents=True, exist_ok=True)
    out = open(log_dir / "hotline-up.log", "ab")  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "-m", "hotline.cli", "up"], stdout=out, stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL, start_new_session=True,
    )
    out.close()
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            print(f"hotline up exited with {proc.returncode}; see {log_dir}/hotline-up.log")
            return 1
        if _port_open(settings.console_host, settings.console_port) and _port_open(
            settings.agi_host, settings.agi_port
        ):
            _print_banner(settings)
            print(f"  (detached: pid {proc.pid}; `hotline down` stops it)")
            return 0
        time.sleep(0.5)
    print("the stack did not come up in time; stopping it")
    proc.terminate()
    return 1


def stop_stack(settings: Settings, timeout: float = 60.0) -> int:
    """Stop a detached runner (which stops its children and Asterisk)."""
    path = runner_pid_file(settings)
    try:
        pid = int(path.read_text())
    except (FileNotFoundError, ValueError):
        return 0
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        path.unlink(missing_ok=True)
        return 0
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return 1
        time.sleep(0.2)
    os.kill(pid, signal.SIGKILL)
    return 1
