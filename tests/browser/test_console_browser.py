"""The whole appeal flow in a real browser: draft → proposal → register → body answers."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from appeal_store.models import User
from appeal_store.services import registration
from appeal_store.services.validation import AppealForm
from operator_console.testing import PASSWORD

pytestmark = pytest.mark.browser


def log_in(page: Page, base: str, username: str) -> None:
    page.goto(base + "/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")


def voice_draft(factory) -> int:
    """A draft as the transcription worker leaves it: channel voice, substance only."""
    with factory() as s:
        op = s.scalars(select(User).where(User.username == "op")).one()
        draft = registration.save_draft(
            s, AppealForm(channel="voice", substance="Мені не нарахували пенсію за березень."),
            actor=op, now=dt.datetime.now(dt.UTC))
        return draft.id


def test_operator_registers_body_answers_operator_sees_it(console, browser):
    base, factory = console
    draft_id = voice_draft(factory)
    op = browser.new_context(locale="uk-UA").new_page()
    log_in(op, base, "op")
    expect(op).to_have_url(re.compile(r"/operator/drafts$"))
    op.click(f"a[href='/operator/appeals/{draft_id}/edit']")

    op.fill("input[name=full_name]", "Коваленко Марія Іванівна")
    op.select_option("select[name=region_code]", "UA-46")
    op.fill("input[name=settlement]", "Львів")
    op.fill("input[name=address]", "вул. Городоцька, 10, кв. 5")
    op.fill("input[name=phone]", "0671234567")
    op.select_option("select[name=social_category]", "combat_veteran")
    op.select_option("select[name=topic_code]", "16.01")
    # autosave reaches the server and the proposal follows the new topic
    expect(op.locator("#proposal-body")).to_have_text("Пенсійний фонд України", timeout=10_000)
    expect(op.locator("#proposal-reason")).to_contain_text("Пенсійний фонд")
    expect(op.locator("#autosave-status")).to_be_visible()

    op.reload()  # the draft survives a reload
    expect(op.locator("input[name=full_name]")).to_have_value("Коваленко Марія Іванівна")
    expect(op.locator("#proposal-body")).to_have_text("Пенсійний фонд України")

    op.click("#register-btn")
    expect(op.locator("#appeal-status")).to_have_text(re.compile("направлено|доставлено"))
    number = op.locator("#appeal-number").inner_text()
    assert re.fullmatch(r"1545-\d{4}-\d{6}", number)
    expect(op.locator("#appeal-body")).to_have_text("Пенсійний фонд України")

    body = browser.new_context().new_page()
    log_in(body, base, "pfu")
    expect(body).to_have_url(re.compile(r"/body/inbox$"))
    body.click(f"text={number}")
    expect(body.locator("#applicant-name")).to_have_text("Коваленко Марія Іванівна")
    body.fill("#answer-form textarea[name=answer]", "Пенсію за березень нараховано 12 квітня.")
    body.click("#answer-form button[type=submit]")
    expect(body).to_have_url(re.compile(r"/body/inbox$"))

    op.reload()
    expect(op.locator("#answer-text")).to_have_text("Пенсію за березень нараховано 12 квітня.")
    expect(op.locator("#appeal-status")).to_have_text("надано відповідь")

    other = browser.new_context().new_page()
    log_in(other, base, "npu")
    response = other.goto(op.url)
    assert response is not None and response.status == 403
    expect(other.locator("h1")).to_have_text("Це звернення вам недоступне")
    assert "Коваленко" not in other.content()


def test_new_form_survives_reload_in_local_storage(console, browser):
    base, _ = console
    page = browser.new_context().new_page()
    log_in(page, base, "op")
    page.goto(base + "/operator/appeals/new")
    page.fill("textarea[name=substance]", "Незавершене звернення про субсидію")
    page.fill("input[name=full_name]", "Бондар Петро")
    page.reload()
    expect(page.locator("textarea[name=substance]")).to_have_value("Незавершене звернення про субсидію")
    expect(page.locator("input[name=full_name]")).to_have_value("Бондар Петро")
    expect(page.locator("#autosave-status")).to_have_text("Відновлено незбережені зміни")


def test_refused_registration_shows_reasons(console, browser):
    base, factory = console
    draft_id = voice_draft(factory)
    page = browser.new_context().new_page()
    log_in(page, base, "op")
    page.goto(f"{base}/operator/appeals/{draft_id}/edit")
    page.click("#register-btn")
    expect(page.locator(".field-error[data-field=full_name]")).to_contain_text("анонімне")
    expect(page.locator(".field-error[data-field=address]")).to_be_visible()
    page.click("a.lang >> text=EN")
    expect(page.locator("h1")).to_contain_text("Appeal")
