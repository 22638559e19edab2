"""Operators' SIP phones managed by the console: endpoint and secret assigned and shown once,
reset, queues with penalties, apply to Asterisk after the commit (a failure is a warning),
deactivation; on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import re
import threading
import time

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from agi_scripts.agents import PAUSE_REASONS, memberships
from agi_scripts.ami_client import AmiUnavailable
from agi_scripts.ami_endpoints import load_operator_endpoints, write_pjsip_conf
from agi_scripts.ami_events import MEMBER_STATUS
from appeal_store.models import AuditLog, QueueMembership, User
from hotline.settings import Settings
from operator_console.app import create_app
from operator_console.i18n import catalogue_keys
from operator_console.testing import add_user, csrf_from, logged_in, prepare_database

SECRET = re.compile(r"^[A-Za-z0-9_-]{24,}$")


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def factory(request, tmp_path_factory):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('ops') / 'ops.db'}"
    else:
        url = request.getfixturevalue("pg_url")
    f = prepare_database(url)
    add_user(f, "root", "admin")
    add_user(f, "op", "operator")
    return f


class Applier:
    """Applies like agi_scripts.ami_endpoints (load the users, write pjsip.conf) without AMI;
    ``fail`` makes it raise as an Asterisk that is down does."""

    def __init__(self) -> None:
        self.seen: list[list[str]] = []
        self.fail = False

    async def __call__(self, settings, session_factory) -> int:
        def load():
            with session_factory() as session:  # a new session: sees committed rows only
                return load_operator_endpoints(session)

        ops = await asyncio.to_thread(load)
        self.seen.append([o.endpoint for o in ops])
        if self.fail:
            raise AmiUnavailable("login", "connection refused")
        await asyncio.to_thread(write_pjsip_conf, settings, ops)
        return len(ops)


@pytest.fixture
def setup(factory, tmp_path):
    settings = Settings(environment="test", asterisk_root=tmp_path, sip_port=5072)
    (settings.instance_dir / "etc").mkdir(parents=True)
    app = create_app(settings, session_factory=factory)
    applier = Applier()
    app.state.sip_applier = applier
    return app, applier, settings


def root_client(app) -> TestClient:
    return logged_in(TestClient(app), "root")


def create(client, username: str, role: str = "operator", **extra) -> dict:
    r = client.post("/api/admin/users", json={"username": username, "password": "long-enough-1",
                                              "role": role, "full_name": username.title(), **extra})
    assert r.status_code == 201, r.text
    return r.json()


def audits(factory, action: str, user_id: int) -> list[AuditLog]:
    with factory() as s:
        return list(s.scalars(select(AuditLog).where(AuditLog.action == action,
                                                     AuditLog.object_id == str(user_id))))


def test_operator_gets_a_unique_endpoint_and_secret_shown_once(setup, factory):
    app, applier, settings = setup
    root = root_client(app)
    a, b = create(root, "anna"), create(root, "bohdan", "supervisor")
    assert re.fullmatch(r"op\d+", a["sip_endpoint"]) and a["sip_endpoint"] != b["sip_endpoint"]
    for u in (a, b):
        sip = u["sip"]
        assert sip == {"server": "127.0.0.1", "port": 5072, "transport": "udp",
                       "username": u["sip_endpoint"], "password": sip["password"]}
        assert SECRET.match(sip["password"])
    assert a["sip"]["password"] != b["sip"]["password"]
    # stored for Asterisk, never shown again: not in the list, the page or the audit row
    with factory() as s:
        assert s.get(User, a["id"]).sip_secret == a["sip"]["password"]
    assert a["sip"]["password"] not in root.get("/api/admin/users").text
    assert a["sip"]["password"] not in root.get("/admin/users").text
    assert a["sip"]["password"] not in root.get(f"/admin/users/{a['id']}").text
    (row,) = audits(factory, "user_created", a["id"])
    assert row.detail["sip_endpoint"] == a["sip_endpoint"]
    assert a["sip"]["password"] not in str(row.detail)
    # applied after the commit: the applier's own session already saw both endpoints
    assert a["sip_endpoint"] in applier.seen[0] and b["sip_endpoint"] in applier.seen[-1]
    conf = (settings.instance_dir / "etc" / "pjsip.conf").read_text()
    assert f"[{a['sip_endpoint']}]" in conf and f"password = {a['sip']['password']}" in conf
    # QA and body staff have no phone
    qa = create(root, "quinn", "qa")
    assert qa["sip_endpoint"] is None and qa["sip"] is None


def test_the_html_form_shows_the_credentials_once(setup, factory):
    app, applier, _settings = setup
    root = root_client(app)
    page = root.get("/admin/users")
    r = root.post("/admin/users", data={
        "username": "vira", "password": "long-enough-1", "role": "operator",
        "full_name": 'Віра "X"\n[evil]\ntype=endpoint', "queue:social": "0", "queue:common": "2",
        "csrf_token": csrf_from(page.text)})
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    endpoint = re.search(r'id="sip-username"><code>([^<]+)', r.text).group(1)
    secret = re.search(r'id="sip-password"><code>([^<]+)', r.text).group(1)
    assert SECRET.match(secret) and "Телефони застосовано в Asterisk" in r.text
    with factory() as s:
        user = s.scalars(select(User).where(User.username == "vira")).one()
        assert (user.sip_endpoint, user.sip_secret) == (endpoint, secret)
        assert memberships(s, user.id) == {"social": 0, "common": 2}
    assert secret not in root.get("/admin/users").text
    assert endpoint in applier.seen[-1]
    # the admin-typed name cannot break out of pjsip.conf's callerid line
    conf = (_settings.instance_dir / "etc" / "pjsip.conf").read_text()
    assert "\n[evil]" not in conf and "\ntype=endpoint" not in conf
    assert f'callerid = "Віра X evil type=endpoint" <{endpoint}>' in conf


def test_refusals_name_the_field(setup):
    app, _applier, _settings = setup
    root = root_client(app)
    r = root.post("/api/admin/users", json={"username": "Bad Name!", "password": "long-enough-1",
                                            "role": "operator"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "username"
    r = root.post("/api/admin/users", json={"username": "qq", "password": "long-enough-1",
                                            "role": "qa", "queues": {"social": 0}})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "queues"
    r = root.post("/api/admin/users", json={"username": "op", "password": "long-enough-1",
                                            "role": "operator"})
    assert r.status_code == 422 and "taken" in r.json()["en"]
    op = logged_in(TestClient(app), "op")
    assert op.post("/api/admin/users/1/sip/reset").status_code == 403
    assert op.put("/api/admin/users/1/queues", json={"queues": {}}).status_code == 403


def test_reset_gives_a_new_secret_and_audits(setup, factory):
    app, _applier, settings = setup
    root = root_client(app)
    u = create(root, "dana")
    r = root.post(f"/api/admin/users/{u['id']}/sip/reset")
    assert r.status_code == 200
    new = r.json()
    assert new["sip_endpoint"] == u["sip_endpoint"] and SECRET.match(new["sip"]["password"])
    assert new["sip"]["password"] != u["sip"]["password"]
    assert new["sip_apply"]["status"] == "applied"
    (row,) = audits(factory, "sip_secret_reset", u["id"])
    assert row.detail == {"sip_endpoint": u["sip_endpoint"], "endpoint_assigned": False}
    conf = (settings.instance_dir / "etc" / "pjsip.conf").read_text()
    assert new["sip"]["password"] in conf and u["sip"]["password"] not in conf
    # the page form shows the new one once
    page = root.get(f"/admin/users/{u['id']}")
    r = root.post(f"/admin/users/{u['id']}/sip/reset", data={"csrf_token": csrf_from(page.text)})
    secret = re.search(r'id="sip-password"><code>([^<]+)', r.text).group(1)
    assert secret != new["sip"]["password"] and r.headers["cache-control"] == "no-store"
    # an operator created before the console managed phones gets an endpoint on reset
    with factory() as s:
        old = s.scalars(select(User).where(User.username == "op")).one()
        old_id, had = old.id, old.sip_endpoint
    assert had is None
    got = root.post(f"/api/admin/users/{old_id}/sip/reset").json()
    assert re.fullmatch(r"op\d+", got["sip_endpoint"]) and SECRET.match(got["sip"]["password"])
    assert audits(factory, "sip_secret_reset", old_id)[0].detail["endpoint_assigned"] is True
    qa = create(root, "quentin", "qa")
    assert root.post(f"/api/admin/users/{qa['id']}/sip/reset").status_code == 422
    assert root.post("/api/admin/users/999999/sip/reset").status_code == 404


def test_queues_and_penalties(setup, factory):
    app, _applier, _settings = setup
    root = root_client(app)
    queues = root.get("/api/admin/queues").json()
    assert queues["queues"][0] == "common" and {"social", "law", "english"} <= set(queues["queues"])
    assert queues["skills"]["expert"] == 0 and queues["skills"]["backup"] == 5
    u = create(root, "ivan", queues={"social": "expert", "common": "trainee"})
    assert u["queues"] == {"social": 0, "common": 2}
    r = root.put(f"/api/admin/users/{u['id']}/queues",
                 json={"queues": {"social": None, "law": "skilled", "health": 7}})
    assert r.status_code == 200 and r.json()["queues"] == {"law": 1, "health": 7}
    with factory() as s:  # what AgentService.login takes when the operator logs in
        assert memberships(s, u["id"]) == {"law": 1, "health": 7}
    for bad in ({"general": 0}, {"nowhere": 1}, {"law": 100}, {"law": "guru"}):
        r = root.put(f"/api/admin/users/{u['id']}/queues", json={"queues": bad})
        assert r.status_code == 422, bad
    with factory() as s:
        assert memberships(s, u["id"]) == {"law": 1, "health": 7}  # a refusal changes nothing
    (row,) = audits(factory, "user_queues", u["id"])
    assert row.detail == {"before": {"common": 2, "social": 0}, "after": {"law": 1, "health": 7}}
    # the page's selects
    page = root.get(f"/admin/users/{u['id']}")
    assert re.search(r'name="queue:law"[^>]*>.*?<option value="1" selected', page.text, re.DOTALL)
    r = root.post(f"/admin/users/{u['id']}/queues", follow_redirects=False, data={
        "queue:common": "0", "queue:law": "", "queue:health": "5",
        "csrf_token": csrf_from(page.text)})
    assert r.status_code == 303
    assert "Черги збережено" in root.get(f"/admin/users/{u['id']}").text
    with factory() as s:
        rows = s.scalars(select(QueueMembership).where(QueueMembership.user_id == u["id"])).all()
        assert {m.queue: m.penalty for m in rows} == {"common": 0, "health": 5}


def test_apply_failure_keeps_the_user_and_warns(setup, factory):
    app, applier, settings = setup
    root = root_client(app)
    applier.fail = True
    u = create(root, "halyna")
    assert u["sip_apply"]["status"] == "failed"
    assert "connection refused" in u["sip_apply"]["en"] and u["sip_apply"]["uk"].startswith("Увага")
    with factory() as s:
        assert s.get(User, u["id"]).sip_endpoint == u["sip_endpoint"]  # saved all the same
    assert u["sip_endpoint"] in applier.seen[-1]  # the apply ran after the commit
    # the page form: the credentials and a warning with the button to apply again
    page = root.get("/admin/users")
    assert "Увага: Asterisk не прийняв телефони" in page.text and 'action="/admin/sip/apply"' in page.text
    r = root.post("/admin/users", data={"username": "yurii", "password": "long-enough-1",
                                        "role": "operator", "csrf_token": csrf_from(page.text)})
    assert r.status_code == 200 and 'id="sip-password"' in r.text and "connection refused" in r.text
    r = root.post("/api/admin/sip/reload")
    assert r.status_code == 503
    # Asterisk is back: one apply catches up with every change made meanwhile
    applier.fail = False
    r = root.post("/admin/sip/apply", data={"csrf_token": csrf_from(page.text)}, follow_redirects=False)
    assert r.status_code == 303
    page = root.get("/admin/users").text
    assert "Телефони застосовано в Asterisk" in page and "Увага" not in page
    conf = (settings.instance_dir / "etc" / "pjsip.conf").read_text()
    yurii = root.get("/api/admin/users").json()
    endpoint = next(x["sip_endpoint"] for x in yurii if x["username"] == "yurii")
    assert f"[{u['sip_endpoint']}]" in conf and f"[{endpoint}]" in conf
    assert root.post("/api/admin/sip/reload").json()["operators"] >= 2


def test_deactivation_removes_the_endpoint_at_the_next_apply(setup, factory):
    app, applier, settings = setup
    root = root_client(app)
    u = create(root, "zoya")
    conf = settings.instance_dir / "etc" / "pjsip.conf"
    assert f"[{u['sip_endpoint']}]" in conf.read_text()
    r = root.put(f"/api/admin/users/{u['id']}/active", json={"active": False})
    assert r.status_code == 200 and r.json()["sip_apply"]["status"] == "applied"
    assert u["sip_endpoint"] not in applier.seen[-1]
    assert f"[{u['sip_endpoint']}]" not in conf.read_text()
    assert audits(factory, "user_disabled", u["id"])
    # the page toggle re-enables it and applies again
    page = root.get("/admin/users")
    r = root.post(f"/admin/users/{u['id']}/active", follow_redirects=False,
                  data={"active": "1", "csrf_token": csrf_from(page.text)})
    assert r.status_code == 303 and f"[{u['sip_endpoint']}]" in conf.read_text()
    # numbers are never reused: the next operator gets a new one
    n = create(root, "nazar")
    assert int(n["sip_endpoint"][2:]) > int(u["sip_endpoint"][2:])


def test_a_slow_apply_goes_on_in_the_background_and_coalesces(factory, tmp_path):
    app = create_app(Settings(environment="test", asterisk_root=tmp_path), session_factory=factory)
    release = threading.Event()
    runs: list[list[str]] = []

    async def slow(settings, session_factory):
        with session_factory() as s:
            runs.append([o.endpoint for o in load_operator_endpoints(s)])
        await asyncio.to_thread(release.wait, 10)
        return len(runs[-1])

    app.state.sip_applier = slow
    app.state.sip_apply_grace = 0.1
    with TestClient(app) as client:  # one event loop for every request, as under uvicorn
        root = logged_in(client, "root")
        first = create(root, "slava")
        assert first["sip_apply"]["status"] == "pending" and "фоновому" in first["sip_apply"]["uk"]
        second = create(root, "sofia")  # while the first apply runs
        reset = root.post(f"/api/admin/users/{first['id']}/sip/reset").json()
        assert second["sip_apply"]["status"] == reset["sip_apply"]["status"] == "pending"
        release.set()
        deadline = time.monotonic() + 10
        while (getattr(app.state, "sip_sync", None) is None or app.state.sip_sync.last is None
               or len(runs) < 2) and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.2)
        # the changes made during the first run were taken by one more run, not one each
        assert len(runs) == 2 and second["sip_endpoint"] in runs[1]
        assert app.state.sip_sync.last.ok


def test_console_texts_of_the_panels_are_in_the_catalogue():
    keys = catalogue_keys()
    assert {f"agent.reason.{k}" for k in PAUSE_REASONS} <= keys
    assert {f"agent.member.{s}" for s in MEMBER_STATUS.values()} <= keys
    assert {f"agent.state.{s}" for s in ("ready", "paused", "logged_out")} <= keys
    from operator_console.templating import TEMPLATES_DIR

    for name in ("agent_panel.html", "live_queues.html"):
        text = (TEMPLATES_DIR / name).read_text(encoding="utf-8")
        assert " if en else " not in text and not re.search(r"[А-Яа-яІіЇїЄєҐґ]", text), name
