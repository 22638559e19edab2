"""The FastAGI protocol parsers, on bytes alone."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agi_scripts.fastagi import AgiProtocolError, parse_environment, quote, script_name

ENV = (
    b"agi_network: yes\n"
    b"agi_network_script: ivr\n"
    b"agi_request: agi://127.0.0.1:4573/ivr\n"
    b"agi_channel: PJSIP/carrier-00000001\n"
    b"agi_uniqueid: 1795799792.0\n"
    b"agi_callerid: 380501112233\n"
    b"agi_calleridname: \"O'Brien\" <script>\n"
    b"agi_extension: 1545\n\n"
)


def test_environment_is_parsed():
    env = parse_environment(ENV)
    assert env["agi_network_script"] == "ivr"
    assert env["agi_uniqueid"] == "1795799792.0"
    assert env["agi_calleridname"] == "\"O'Brien\" <script>"
    assert script_name(env) == "ivr"


def test_script_name_from_request_when_network_script_missing():
    assert script_name({"agi_request": "agi://127.0.0.1:4573/status?x=1"}) == "status"


def test_crlf_line_endings_are_accepted():
    env = parse_environment(ENV.replace(b"\n", b"\r\n"))
    assert env["agi_extension"] == "1545"


@pytest.mark.parametrize(
    "raw",
    [
        b"GET / HTTP/1.1\nHost: x\n\n",
        b"agi_network: yes\n\n",  # names no script
        b"agi_network_script ivr\n\n",
        b"AGI_NETWORK_SCRIPT: ivr\n\n",
        b"agi_" + b"x" * 100 + b": 1\nagi_network_script: ivr\n\n",
        b"agi_network_script: ivr\n" * 2 + b"x" * 20000,
    ],
)
def test_malformed_environment_is_rejected_clearly(raw):
    with pytest.raises(AgiProtocolError):
        parse_environment(raw)


def test_non_utf8_bytes_do_not_crash():
    env = parse_environment(b"agi_network_script: ivr\nagi_callerid: \xff\xfe\n\n")
    assert env["agi_network_script"] == "ivr"


@given(st.binary(max_size=2000))
def test_any_bytes_parse_or_fail_with_protocol_error(raw):
    try:
        env = parse_environment(raw)
    except AgiProtocolError:
        return
    assert "agi_network_script" in env or "agi_request" in env


def test_quote_keeps_arguments_on_one_line():
    quoted = quote('a "b"\nEXEC Hangup')
    assert "\n" not in quoted
    assert quoted.startswith('"') and quoted.endswith('"')
    assert '\\"b\\"' in quoted
