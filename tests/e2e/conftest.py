"""End-to-end fixtures: a real Asterisk sandbox instance of its own, real services.

Each test session renders a private Asterisk instance (its own folder in the cached root,
its own free ports), so tests never touch a running `hotline up` nor each other.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator

import pytest

from hotline.settings import Settings
from tests.e2e.sipp import free_udp_port


def free_tcp_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate: Callable[[], object], timeout: float = 20.0, interval: float = 0.2,
               message: str = "condition") -> object:
    """Poll *predicate* until it returns something truthy (tests poll, never sleep blindly)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {message}")


@pytest.fixture(scope="session")
def e2e_database_url() -> Iterator[str]:
    """A fresh PostgreSQL database for the session, migrated to head."""
    from sqlalchemy import create_engine, text

    from appeal_store.migrate import upgrade
    from tests.conftest import PG_ADMIN_URL

    name = f"hotline_e2e_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    upgrade(url)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def e2e_settings(e2e_database_url: str, tmp_path_factory) -> Settings:
    rtp = 20000 + (os.getpid() % 200) * 100
    return Settings(
        environment="test",
        var_dir=tmp_path_factory.mktemp("var"),
        database_url=e2e_database_url,
        redis_url=os.environ.get("HOTLINE_TEST_REDIS_URL", "redis://127.0.0.1:6379/14"),
        asterisk_instance=f"e2e-{uuid.uuid4().hex[:8]}",
        sip_port=free_udp_port(),
        ami_port=free_tcp_port(),
        ari_port=free_tcp_port(),
        agi_port=free_tcp_port(),
        console_port=free_tcp_port(),
        rtp_start=rtp,
        rtp_end=rtp + 99,
    )


def settings_env(settings: Settings) -> dict[str, str]:
    """The environment that makes a `hotline` subprocess see the same settings."""
    env = dict(os.environ)
    for name, value in settings.model_dump().items():
        if value is None:
            continue
        if hasattr(value, "get_secret_value"):
            value = value.get_secret_value()
        env[f"HOTLINE_{name.upper()}"] = str(value)
    return env


@pytest.fixture(scope="session")
def asterisk(e2e_settings: Settings) -> Iterator[Settings]:
    """A running Asterisk instance of the test session's own."""
    from hotline.asterisk_sandbox import process, provision

    provision.provision(e2e_settings)
    from hotline.bootstrap import queue_specs

    process.start(e2e_settings, queues=queue_specs())
    yield e2e_settings
    process.stop(e2e_settings)
    if not os.environ.get("HOTLINE_KEEP_E2E"):
        shutil.rmtree(e2e_settings.instance_dir, ignore_errors=True)


class ServiceProcess:
    """A `hotline <service>` subprocess with the test's settings."""

    def __init__(self, settings: Settings, name: str) -> None:
        self.settings = settings
        self.name = name
        self.proc: subprocess.Popen | None = None

    def start(self) -> ServiceProcess:
        log = open(self.settings.var_dir / f"{self.name}.log", "ab")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "hotline.cli", self.name],
            env=settings_env(self.settings), stdout=log, stderr=subprocess.STDOUT,
        )
        log.close()
        return self

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(10)

    def log_text(self) -> str:
        path = self.settings.var_dir / f"{self.name}.log"
        return path.read_text(errors="replace") if path.exists() else ""


def port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), 0.3):
            return True
    except OSError:
        return False


@pytest.fixture
def agi_server(asterisk: Settings) -> Iterator[ServiceProcess]:
    service = ServiceProcess(asterisk, "agi").start()
    wait_until(lambda: port_open(asterisk.agi_port), message="the FastAGI server")
    yield service
    service.kill(signal.SIGTERM)
