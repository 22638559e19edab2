"""Browser tests: the console served by uvicorn on a free 127.0.0.1 port, driven by
Playwright through Debian's Chromium (no browser download)."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import pytest
import uvicorn

from hotline.settings import Settings
from operator_console.app import create_app
from operator_console.testing import add_user, prepare_database

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def console(tmp_path_factory):
    """(base_url, session_factory) of a live console over a seeded SQLite database."""
    factory = prepare_database(f"sqlite:///{tmp_path_factory.mktemp('browser') / 'b.db'}")
    add_user(factory, "op", "operator")
    add_user(factory, "pfu", "body", body_code="PFU")
    add_user(factory, "npu", "body", body_code="NPU")
    app = create_app(Settings(environment="test"), session_factory=factory, outbox_interval=0.5)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}", factory
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()
