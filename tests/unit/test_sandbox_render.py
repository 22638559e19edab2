"""Rendering of Asterisk's configuration from the settings (no Asterisk needed)."""

from __future__ import annotations

import re

from hotline.asterisk_sandbox.provision import build_command, marker_text
from hotline.asterisk_sandbox.render import OperatorEndpoint, QueueSpec, render_all
from hotline.settings import Settings


def _render(**kw):
    s = Settings(asterisk_instance="unit", **kw)
    return s, render_all(
        s,
        operators=[OperatorEndpoint("op1001", "s3cret", "Оператор 1")],
        queues=[QueueSpec("common"), QueueSpec("social-uk", wrapuptime=10)],
        module_path="/usr/lib/x86_64-linux-gnu/asterisk/modules",
    )


def test_every_listener_binds_loopback_only():
    s, files = _render()
    assert "bindaddr = 127.0.0.1" in files["manager.conf"]
    assert "bindaddr = 127.0.0.1" in files["http.conf"]
    assert f"bind = 127.0.0.1:{s.sip_port}" in files["pjsip.conf"]
    assert "permit = 127.0.0.0/255.0.0.0" in files["manager.conf"]
    # no module that would open a port we did not ask for
    modules = files["modules.conf"]
    assert "autoload = no" in modules
    for noisy in ("chan_iax2", "chan_unistim", "res_hep", "res_xmpp", "res_prometheus"):
        assert noisy not in modules


def test_carrier_matched_by_ip_and_operators_authenticate():
    s, files = _render(carrier_ip="127.0.0.2")
    pjsip = files["pjsip.conf"]
    assert "match = 127.0.0.2" in pjsip
    assert "[op1001-auth]" in pjsip and "password = s3cret" in pjsip
    assert "endpoint_identifier_anonymous" not in files["modules.conf"]
    assert "type = endpoint\ntransport = transport-udp\ncontext = from-carrier" in pjsip


def test_secrets_and_number_reach_the_files():
    s, files = _render(ami_secret="ami-pw", ari_password="ari-pw", hotline_number="1545")
    assert "secret = ami-pw" in files["manager.conf"]
    assert "password = ari-pw" in files["ari.conf"]
    assert re.search(r"^exten => 1545,1,", files["extensions.conf"], re.M)


def test_paths_are_inside_the_instance():
    _, files = _render()
    assert "astetcdir => /hotline/unit/etc" in files["asterisk.conf"]
    assert "astspooldir => /hotline/unit/spool" in files["asterisk.conf"]


def test_queues_rendered_and_general_section_not_a_queue():
    _, files = _render()
    sections = re.findall(r"^\[([^\]]+)\]", files["queues.conf"], re.M)
    assert sections.count("general") == 1  # Asterisk's own [general], not a queue
    assert "common" in sections and "social-uk" in sections


def test_dialplan_falls_back_when_the_ivr_or_ari_fails():
    _, files = _render()
    ext = files["extensions.conf"]
    assert '"${AGISTATUS}" != "SUCCESS"]?agi-failed' in ext
    assert '"${HOTLINE_ACTION}" = ""]?agi-failed' in ext
    assert "[stasis-failed]" in ext
    assert "#include extensions_ivr.conf" in ext


def test_mmdebstrap_command_uses_snapshot_friendly_options(tmp_path):
    s = Settings(asterisk_root=tmp_path / "root")
    cmd = build_command(s, tmp_path / "root.tmp")
    assert cmd[0] == "mmdebstrap"
    assert '--aptopt=Acquire::Check-Valid-Until "false"' in cmd
    assert any(a.startswith("--include=") and "asterisk" in a for a in cmd)
    assert "sid" in cmd
    assert "packages=" in marker_text(s)
