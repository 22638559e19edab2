"""Start, stop and inspect the chrooted Asterisk of one instance.

Asterisk runs in the foreground (`-f`) as a child we started, as its own user
(`-U asterisk -G asterisk`): run as root it would drop its capabilities and then fail to
read files it does not own. `stop` ends exactly the process recorded in our pid file.
"""

from __future__ import annotations

import base64
import logging
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from hotline.asterisk_sandbox.provision import asterisk_version, is_provisioned
from hotline.asterisk_sandbox.render import (
    DEFAULT_QUEUES,
    OperatorEndpoint,
    QueueSpec,
    render_all,
    write_config,
)
from hotline.settings import Settings

log = logging.getLogger(__name__)


class SandboxError(RuntimeError):
    """The Asterisk sandbox could not be started or reached."""


@dataclass(frozen=True)
class Health:
    running: bool
    pid: int | None
    ami: bool
    ari: bool
    version: str | None


def pid_file(settings: Settings) -> Path:
    return settings.instance_dir / "run" / "hotline-supervised.pid"


def read_pid(settings: Settings) -> int | None:
    """The pid we started, if that process is still alive."""
    try:
        pid = int(pid_file(settings).read_text().strip())
    except (FileNotFoundError, ValueError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    return pid if b"asterisk" in cmdline else None


def ami_ready(settings: Settings, timeout: float = 1.0) -> bool:
    """True when the AMI port greets us as Asterisk's Call Manager."""
    try:
        with socket.create_connection((settings.ami_host, settings.ami_port), timeout) as sock:
            sock.settimeout(timeout)
            return sock.recv(64).startswith(b"Asterisk Call Manager")
    except OSError:
        return False


def ari_ready(settings: Settings, timeout: float = 1.0) -> bool:
    """True when ARI answers /ari/asterisk/info with our credentials."""
    url = f"http://{settings.ari_host}:{settings.ari_port}/ari/asterisk/info"
    token = f"{settings.ari_user}:{settings.ari_password.get_secret_value()}"
    req = urllib.request.Request(
        url, headers={"Authorization": "Basic " + base64.b64encode(token.encode()).decode()}
    )
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status == 200
    except (OSError, urllib.error.URLError):
        return False


def asterisk_command(settings: Settings, *args: str) -> list[str]:
    conf = f"{settings.instance_dir_in_chroot}/etc/asterisk.conf"
    return ["chroot", str(settings.asterisk_root), "/usr/sbin/asterisk", "-C", conf, *args]


def render_and_write(
    settings: Settings,
    operators: Iterable[OperatorEndpoint] = (),
    queues: Iterable[QueueSpec] = DEFAULT_QUEUES,
) -> Path:
    """Render every template with the settings and place it for the chrooted Asterisk."""
    return write_config(settings, render_all(settings, operators=operators, queues=queues))


def start(
    settings: Settings,
    *,
    operators: Iterable[OperatorEndpoint] = (),
    queues: Iterable[QueueSpec] = DEFAULT_QUEUES,
    wait: float = 60.0,
) -> int:
    """Render the config, start Asterisk, wait for AMI and ARI; return its pid."""
    if not is_provisioned(settings):
        raise SandboxError("the Asterisk root is not provisioned: run `hotline asterisk provision`")
    running = read_pid(settings)
    if running:
        raise SandboxError(f"Asterisk instance {settings.asterisk_instance} already runs (pid {running})")
    render_and_write(settings, operators, queues)
    logfile = open(settings.instance_dir / "log" / "console.log", "ab")  # noqa: SIM115
    proc = subprocess.Popen(
        asterisk_command(settings, "-f", "-U", "asterisk", "-G", "asterisk"),
        stdin=subprocess.DEVNULL, stdout=logfile, stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    logfile.close()
    pid_file(settings).write_text(str(proc.pid))
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SandboxError(
                f"Asterisk exited with {proc.returncode}; see {settings.instance_dir}/log"
            )
        if ami_ready(settings) and ari_ready(settings):
            log.info("Asterisk %s up (pid %s)", settings.asterisk_instance, proc.pid)
            return proc.pid
        time.sleep(0.2)
    stop(settings)
    raise SandboxError(f"Asterisk did not answer on AMI and ARI within {wait:.0f} s")


def stop(settings: Settings, timeout: float = 15.0) -> bool:
    """Stop the Asterisk we started (by its pid); True if one was running."""
    pid = read_pid(settings)
    if pid is None:
        pid_file(settings).unlink(missing_ok=True)
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            finished, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            finished = 0 if _alive(pid) else pid
        if finished == pid or not _alive(pid):
            break
        time.sleep(0.1)
    else:
        os.kill(pid, signal.SIGKILL)
    pid_file(settings).unlink(missing_ok=True)
    return True


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split()[2]
    except (OSError, IndexError):
        return False
    return state != "Z"


def status(settings: Settings) -> Health:
    pid = read_pid(settings)
    return Health(
        running=pid is not None,
        pid=pid,
        ami=ami_ready(settings),
        ari=ari_ready(settings),
        version=asterisk_version(settings),
    )


def cli_command(settings: Settings, command: str | None = None) -> list[str]:
    """A remote console on the running instance, or one command with -x."""
    return asterisk_command(settings, "-r", *(("-x", command) if command else ("-vvv",)))


def run_cli(settings: Settings, command: str) -> str:
    out = subprocess.run(cli_command(settings, command), capture_output=True, text=True, timeout=30, check=False)
    return out.stdout
