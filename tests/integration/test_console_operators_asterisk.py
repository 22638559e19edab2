"""The console's SIP credentials against a real Asterisk: an operator created through the
admin API registers a SIPp phone with them; after a reset only the new secret works; a
deactivated operator can no longer register. The console's own applier renders pjsip.conf
and reloads res_pjsip over AMI (no fake)."""

from __future__ import annotations

import os
import shutil
import socket
import uuid

import pytest
from fastapi.testclient import TestClient

from hotline.asterisk_sandbox import process
from hotline.asterisk_sandbox.provision import is_provisioned
from hotline.bootstrap import queue_specs
from hotline.settings import Settings
from operator_console.app import create_app
from operator_console.testing import add_user, logged_in, prepare_database
from tests.e2e.queue_phones import OperatorPhone
from tests.e2e.sipp import free_udp_port

pytestmark = [pytest.mark.asterisk, pytest.mark.postgres]


def _free_tcp_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def star(tmp_path_factory):
    settings = Settings(
        environment="test", var_dir=tmp_path_factory.mktemp("opvar"),
        asterisk_instance=f"ops-{uuid.uuid4().hex[:8]}", sip_port=free_udp_port(),
        ami_port=_free_tcp_port(), ari_port=_free_tcp_port(), agi_port=_free_tcp_port(),
        rtp_start=29000 + (os.getpid() % 50) * 20, rtp_end=29019 + (os.getpid() % 50) * 20)
    if not is_provisioned(settings) or shutil.which("sipp") is None:
        pytest.skip("the Asterisk sandbox root or sipp is missing")
    process.start(settings, queues=queue_specs(settings))
    try:
        yield settings
    finally:
        process.stop(settings)
        shutil.rmtree(settings.instance_dir, ignore_errors=True)


def registers(settings: Settings, endpoint: str, secret: str) -> bool:
    phone = OperatorPhone(endpoint, secret, target=f"127.0.0.1:{settings.sip_port}")
    try:
        phone.register(expires=60)
    except AssertionError:
        return False
    finally:
        phone.stop()
    return True


def test_console_credentials_register_a_phone(star, pg_url):
    factory = prepare_database(pg_url)
    add_user(factory, "root", "admin")
    root = logged_in(TestClient(create_app(star, session_factory=factory)), "root")
    created = root.post("/api/admin/users", json={
        "username": "olha", "password": "long-enough-1", "role": "operator",
        "full_name": "Ольга", "queues": {"social": "expert"}}).json()
    assert created["sip_apply"]["status"] == "applied", created["sip_apply"]
    sip = created["sip"]
    assert sip["port"] == star.sip_port and sip["server"] == "127.0.0.1"
    assert registers(star, sip["username"], sip["password"])
    assert not registers(star, sip["username"], "not-the-secret")

    reset = root.post(f"/api/admin/users/{created['id']}/sip/reset").json()
    assert reset["sip_apply"]["status"] == "applied"
    assert not registers(star, sip["username"], sip["password"])
    assert registers(star, sip["username"], reset["sip"]["password"])

    off = root.put(f"/api/admin/users/{created['id']}/active", json={"active": False}).json()
    assert off["sip_apply"]["status"] == "applied"
    assert sip["username"] not in process.run_cli(star, "pjsip show endpoints")
    assert not registers(star, sip["username"], reset["sip"]["password"])
