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
    _, files = _render(carrier_ip="127.0.0.2")
    pjsip = files["pjsip.conf"]
    assert "match = 127.0.0.2" in pjsip
    assert "[op1001-auth]" in pjsip and "password = s3cret" in pjsip
    assert "endpoint_identifier_anonymous" not in files["modules.conf"]
    assert "type = endpoint\ntransport = transport-udp\ncontext = from-carrier" in pjsip


def test_secrets_and_number_reach_the_files():
    _, files = _render(ami_secret="ami-pw", ari_password="ari-pw", hotline_number="1545")
    assert "secret = ami-pw" in files["manager.conf"]
    assert "password = ari-pw" in files["ari.conf"]
    assert re.search(r"^exten => 1545,1,", files["extensions.conf"], re.MULTILINE)


def test_paths_are_inside_the_instance():
    _, files = _render()
    assert "astetcdir => /hotline/unit/etc" in files["asterisk.conf"]
    assert "astspooldir => /hotline/unit/spool" in files["asterisk.conf"]


def test_queues_rendered_and_general_section_not_a_queue():
    _, files = _render()
    sections = re.findall(r"^\[([^\]]+)\]", files["queues.conf"], re.MULTILINE)
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


# --- waiting in a queue: announcements, the * key, numbers (say.conf) ----------------------

def _queue_sections(text: str) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    current = None
    for line in text.splitlines():
        line = line.split(";", 1)[0].strip()
        if m := re.fullmatch(r"\[([^\]]+)\]", line):
            current = out.setdefault(m.group(1), {})
        elif current is not None and "=" in line:
            key, value = (p.strip() for p in line.split("=", 1))
            current[key] = value
    return out


def test_every_queue_announces_in_the_callers_language_and_offers_star():
    from ivr.catalogue import load_catalogue

    catalogue = load_catalogue()
    _, files = _render()
    queues = {k: v for k, v in _queue_sections(files["queues.conf"]).items() if k != "general"}
    assert set(queues) == {"common", "social-uk"}
    for name, q in queues.items():
        assert q["context"] == "hotline-queue-exit", name
        assert q["periodic-announce"] == "/hotline/unit/sounds/queue-leave-star"
        assert q["periodic-announce-frequency"] == "30"
        assert q["announce-position"] == "yes" and q["announce-holdtime"] == "yes"
        sounds = {k: v for k, v in q.items() if k.startswith("queue-") or k == "periodic-announce"}
        assert set(sounds) >= {"queue-youarenext", "queue-thereare", "queue-holdtime",
                               "queue-thankyou", "queue-callswaiting", "queue-minutes"}
        for key, path in sounds.items():
            if not path:  # said nothing: the number ends the sentence
                assert key in ("queue-callswaiting", "queue-minute", "queue-minutes",
                               "queue-seconds"), key
                continue
            # no language in the path: Asterisk inserts the caller's, sounds/<lang>/<name>
            prefix, prompt = path.rsplit("/", 1)
            assert prefix == "/hotline/unit/sounds", path
            assert catalogue.has("uk", prompt) and catalogue.has("en", prompt), prompt
    # the exit context exists with the * key
    assert re.search(r"^\[hotline-queue-exit\]\nexten => \*,1,", files["extensions_ivr.conf"],
                     re.MULTILINE)


def test_queue_announcement_frequencies_come_from_the_spec():
    s = Settings(asterisk_instance="unit")
    files = render_all(s, queues=[QueueSpec("fast", announce_frequency=10,
                                            periodic_announce_frequency=0)],
                       module_path="/m")
    q = _queue_sections(files["queues.conf"])["fast"]
    assert q["announce-frequency"] == "10" and q["min-announce-frequency"] == "10"
    assert q["periodic-announce-frequency"] == "0"


def _say_rules(text: str) -> dict[str, list[tuple[re.Pattern[str], str]]]:
    """say.conf sections → [(pattern as a regex, body)] in file order."""
    classes = {"X": "[0-9]", "Z": "[1-9]", "N": "[2-9]"}
    out: dict[str, list[tuple[re.Pattern[str], str]]] = {}
    section = None
    for line in text.splitlines():
        line = line.split(";", 1)[0].strip()
        if m := re.fullmatch(r"\[([^\]]+)\]", line):
            section = out.setdefault(m.group(1), [])
        elif section is not None and "=>" in line:
            pattern, body = (p.strip() for p in line.split("=>", 1))
            assert pattern.startswith("_"), pattern
            rx, i = "", 1
            while i < len(pattern):
                ch = pattern[i]
                if ch == "[":
                    end = pattern.index("]", i)
                    rx += pattern[i:end + 1]
                    i = end + 1
                    continue
                assert ch.upper() not in classes or ch.isupper(), f"bare {ch!r} in {pattern}"
                rx += classes.get(ch, ".+" if ch == "." else re.escape(ch))
                i += 1
            section.append((re.compile(rx), body))
    return out


def _say(rules, language: str, key: str, depth: int = 0) -> list[str]:
    """What Asterisk's say mode `new` plays for ``key`` (e.g. num:21), as file names."""
    assert depth < 10, key
    for pattern, body in rules[language]:
        if pattern.fullmatch(key):
            break
    else:
        raise AssertionError(f"no {language} rule says {key}")
    value = key.split(":", 1)[1]

    def sub(m: re.Match[str]) -> str:
        start, length = m.group(1), m.group(2)
        if start is None:
            return value
        begin = int(start)
        return value[begin:begin + int(length)] if length else value[begin:]

    files: list[str] = []
    for item in body.split(","):
        item = re.sub(r"\$\{SAY(?::(\d+)(?::(\d+))?)?\}", sub, item.strip())
        files += _say(rules, language, item, depth + 1) if ":" in item else [item]
    return files


def test_numbers_are_said_in_ukrainian_from_the_catalogue_fragments():
    import random

    from ivr.speech import say_number

    _, files = _render()
    rules = _say_rules(files["say.conf"])
    assert re.search(r"^mode = new$", files["say.conf"], re.MULTILINE)
    numbers = [*range(3000), 10_000, 11_000, 21_000, 101_000, 121_005, 999_999]
    numbers += random.Random(1545).sample(range(3000, 1_000_000), 3000)
    for n in numbers:
        played = _say(rules, "uk", f"num:{n}")
        assert all(f.startswith("/hotline/unit/sounds/uk/") for f in played), (n, played)
        expected = list(say_number(n, "uk").fragments)  # the IVR's Ukrainian grammar
        assert [f.rsplit("/", 1)[1] for f in played] == expected, n
    assert _say(rules, "uk", "num:2021") == [
        f"/hotline/unit/sounds/uk/{f}" for f in ("num-2-f", "thousand-few", "num-20", "num-1")]


def test_english_numbers_use_asterisks_digits():
    _, files = _render()
    rules = _say_rules(files["say.conf"])
    assert _say(rules, "en", "num:347") == ["digits/3", "digits/hundred", "digits/40", "digits/7"]
    assert _say(rules, "en", "num:12005") == ["digits/12", "digits/thousand", "digits/5"]
    assert _say(rules, "en", "num:0") == ["digits/0"]


def test_root_asterisk_user_gets_ids_no_host_account_has(tmp_path):
    import os

    from hotline.asterisk_sandbox.provision import PRIVATE_ID_START, ensure_private_ids

    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    (root / "var/lib/asterisk").mkdir(parents=True)
    (root / "etc/passwd").write_text(
        "root:x:0:0:root:/root:/bin/bash\nasterisk:x:101:101:Asterisk:/var/lib/asterisk:/usr/sbin/nologin\n")
    (root / "etc/group").write_text("root:x:0:\naudio:x:29:asterisk\nasterisk:x:101:\n")
    owned = root / "var/lib/asterisk/astdb"
    owned.write_text("x")
    os.chown(owned, 101, 101)
    os.chown(root / "var/lib/asterisk", 101, 0)

    uid, gid = ensure_private_ids(root)
    assert uid >= PRIVATE_ID_START and gid == uid
    assert f"asterisk:x:{uid}:{gid}:" in (root / "etc/passwd").read_text()
    assert f"asterisk:x:{gid}:" in (root / "etc/group").read_text()
    assert "audio:x:29:asterisk" in (root / "etc/group").read_text()
    assert (owned.stat().st_uid, owned.stat().st_gid) == (uid, gid)
    assert ((root / "var/lib/asterisk").stat().st_uid, (root / "var/lib/asterisk").stat().st_gid) == (uid, 0)
    assert ensure_private_ids(root) == (uid, gid)  # idempotent
