"""The IVR state machine (ivr/machine.py) driven through the packaged menu."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ivr.actions import (
    Action,
    CallContext,
    LookupStatus,
    Prompt,
    RequestCallback,
    SetVariables,
    StartVoiceAppeal,
    StatusResult,
    ToQueue,
)
from ivr.machine import IvrSession, IvrStateError
from ivr.menu import load_menu
from ivr.menu_model import Menu

MENU = load_menu()
OPEN = CallContext(is_open=True, caller_id="0501234567")
CLOSED = CallContext(is_open=False, caller_id="0501234567")


def text(files: tuple[str, ...] | list[str], menu: Menu = MENU) -> str:
    """What the files say, from the catalogue."""
    out = []
    for file in files:
        lang, name = file.split("/")
        out.append(menu.catalogue.text(lang, name))
    return " ".join(out)


def last(actions: list[Action]) -> Action:
    return actions[-1]


def played(actions: list[Action]) -> list[str]:
    return [f for a in actions if isinstance(a, Prompt) for f in a.files]


def session(ctx: CallContext = OPEN) -> IvrSession:
    s = IvrSession(MENU, ctx)
    s.start()
    return s


def test_start_offers_the_language_choice_in_both_languages() -> None:
    actions = IvrSession(MENU, OPEN).start()
    assert len(actions) == 1
    prompt = actions[0]
    assert isinstance(prompt, Prompt)
    assert prompt.files == ("uk/welcome", "en/welcome", "uk/language-choice", "en/language-choice")
    assert prompt.collect is not None
    assert prompt.collect.allowed == "12" and prompt.collect.max_digits == 1
    assert prompt.collect.timeout == 4.0 and prompt.collect.terminator == ""


def test_english_sets_the_language_and_speaks_english() -> None:
    s = session()
    actions = s.on_input("2")
    assert actions[0] == SetVariables({"HOTLINE_LANGUAGE": "en"})
    assert isinstance(actions[1], Prompt) and actions[1].files == ("en/main-menu",)
    assert s.language == "en" and s.node_id == "main"


def test_timeout_on_language_means_ukrainian() -> None:
    s = session()
    actions = s.on_input(None)
    assert [a.files for a in actions if isinstance(a, Prompt)] == [("uk/main-menu",)]
    assert s.language == "uk"
    assert s.path_string() == "language:timeout"


def test_topic_choice_goes_to_the_topic_queue_with_variables() -> None:
    s = session()
    s.on_input("1")
    s.on_input("1")  # new appeal -> topic menu
    actions = s.on_input("3")  # health care
    assert isinstance(actions[0], Prompt) and actions[0].files == ("uk/connecting-operator",)
    assert actions[-1] == ToQueue("health", "uk", "health")
    variables = actions[-2]
    assert isinstance(variables, SetVariables)
    assert variables.variables == {
        "HOTLINE_LANGUAGE": "uk",
        "HOTLINE_TOPIC": "health",
        "HOTLINE_IVR_PATH": "language:1>main:1>topic:3",
        "HOTLINE_IVR_REASON": "choice",
        "HOTLINE_ACTION": "queue",
        "HOTLINE_QUEUE": "health",
    }
    assert s.awaiting == "done"


def test_english_caller_goes_to_the_english_queue_keeping_the_topic() -> None:
    s = session()
    s.on_input("2")
    s.on_input("1")
    assert last(s.on_input("1")) == ToQueue("english", "en", "social")


@pytest.mark.parametrize(
    ("keys", "end"),
    [
        ("2", ToQueue("consult", "uk", "consultation")),
        ("0", ToQueue("general", "uk", None)),
        ("4", StartVoiceAppeal("uk", None)),
        ("5", RequestCallback("uk", None, "0501234567")),
    ],
)
def test_main_menu_endings(keys: str, end: Action) -> None:
    s = session()
    s.on_input("1")
    assert last(s.on_input(keys)) == end


def test_topic_other_goes_to_the_general_queue_and_star_goes_back() -> None:
    s = session()
    s.on_input("1")
    s.on_input("1")
    back = s.on_input("*")
    assert isinstance(back[-1], Prompt) and back[-1].files == ("uk/main-menu",)
    s.on_input("1")
    assert last(s.on_input("6")) == ToQueue("general", "uk", "other")


def test_nine_repeats_the_menu_without_counting_as_an_error() -> None:
    s = session()
    s.on_input("1")
    for _ in range(5):
        again = s.on_input("9")
        assert len(again) == 1 and isinstance(again[0], Prompt)
        assert again[0].files == ("uk/main-menu",)
    assert last(s.on_input("0")) == ToQueue("general", "uk", None)


def test_invalid_then_retries_then_general_queue() -> None:
    s = session()
    s.on_input("1")
    first = s.on_input("7")
    assert isinstance(first[0], Prompt)
    assert first[0].files == ("uk/invalid-choice", "uk/main-menu")
    second = s.on_input(None)
    assert isinstance(second[0], Prompt) and second[0].files == ("uk/no-input", "uk/main-menu")
    final = s.on_input("8")  # third failure: retries (2) are used up
    assert played(final) == ["uk/invalid-choice", "uk/connecting-operator"]
    assert final[-1] == ToQueue("general", "uk", None)
    variables = final[-2]
    assert isinstance(variables, SetVariables)
    assert variables.variables["HOTLINE_IVR_REASON"] == "retries"
    assert variables.variables["HOTLINE_IVR_PATH"] == "language:1>main:7>main:timeout>main:8"


def test_silent_caller_is_never_hung_up_on() -> None:
    s = session()
    actions = s.on_input(None)  # language: Ukrainian
    for _ in range(MENU.node("main").retries):
        actions = s.on_input(None)
        assert isinstance(actions[-1], Prompt) and actions[-1].collect is not None
    actions = s.on_input(None)
    assert actions[-1] == ToQueue("general", "uk", None)


def test_retry_counter_resets_on_a_new_node() -> None:
    s = session()
    s.on_input("1")
    s.on_input("7")
    s.on_input("7")
    s.on_input("1")  # topic menu: a fresh set of retries
    assert isinstance(last(s.on_input("7")), Prompt)
    assert isinstance(last(s.on_input("7")), Prompt)
    assert isinstance(last(s.on_input("7")), ToQueue)


@pytest.mark.parametrize("odd", ["", "   ", "12", "a", "A", "*", "#", "99999999999999999999999",
                                 "١", "1\x00", "\n"])
def test_odd_keys_in_a_menu_are_invalid_or_missing(odd: str) -> None:
    s = session()
    s.on_input("1")
    actions = s.on_input(odd)
    assert isinstance(actions[-1], Prompt)
    assert actions[-1].files[0] in ("uk/invalid-choice", "uk/no-input")
    assert s.node_id == "main"


def test_odd_keys_are_sanitised_in_the_path() -> None:
    s = session()
    s.on_input("1")
    s.on_input("x" * 100)
    assert s.path_string() == "language:1>main:" + "?" * 32 + "…"


# --- after hours ---------------------------------------------------------------------------


def test_after_hours_offers_only_voice_appeal_or_call_back() -> None:
    s = session(CLOSED)
    actions = s.on_input("1")
    assert isinstance(actions[-1], Prompt) and actions[-1].files == ("uk/after-hours-menu",)
    assert actions[-1].collect is not None and actions[-1].collect.allowed == "129"
    assert s.node_id == "after-hours"
    assert last(s.on_input("1")) == StartVoiceAppeal("uk", None)


def test_after_hours_callback_in_english() -> None:
    s = session(CLOSED)
    s.on_input("2")
    assert last(s.on_input("2")) == RequestCallback("en", None, "0501234567")


def test_after_hours_silence_ends_in_a_voice_appeal_not_a_hangup() -> None:
    s = session(CLOSED)
    s.on_input(None)
    s.on_input(None)
    s.on_input("3")
    final = s.on_input(None)
    assert final[-1] == StartVoiceAppeal("uk", None)
    assert played(final) == ["uk/no-input", "uk/after-hours-fallback"]


# --- status of an appeal -------------------------------------------------------------------


def to_status(ctx: CallContext = OPEN, language_key: str = "1") -> IvrSession:
    s = session(ctx)
    s.on_input(language_key)
    s.on_input("3")
    return s


def test_status_number_is_collected_then_looked_up() -> None:
    s = session()
    s.on_input("1")
    ask = s.on_input("3")
    assert isinstance(ask[-1], Prompt) and ask[-1].files == ("uk/status-enter-number",)
    collect = ask[-1].collect
    assert collect is not None
    assert (collect.terminator, collect.max_digits, collect.allowed) == ("#", 20, "0123456789")
    actions = s.on_input("20250042#")
    assert played(actions) == ["uk/status-searching"]
    assert actions[-1] == LookupStatus("20250042")
    assert s.awaiting == "status"


def test_status_found_is_spoken_in_ukrainian() -> None:
    s = to_status()
    s.on_input("123")
    result = StatusResult("found", status="delivered", body_kind="police",
                          due=dt.date(2025, 1, 15))
    actions = s.on_result("status", result)
    assert text(played(actions[:1])) == (
        "Звернення номер один два три Стан: розглядається. Його розглядає Національна поліція. "
        "Термін розгляду: до п'ятнадцятого січня дві тисячі двадцять п'ятого року")
    assert isinstance(actions[-1], Prompt) and actions[-1].files == ("uk/status-after-menu",)
    # 9 repeats the status as well as the menu
    again = s.on_input("9")
    assert played(again) == played(actions)
    end = s.on_input("0")
    assert end[-1] == ToQueue("general", "uk", None)
    variables = end[-2]
    assert isinstance(variables, SetVariables)
    assert variables.variables["HOTLINE_APPEAL_NUMBER"] == "123"


def test_status_found_in_english_with_extended_deadline() -> None:
    s = to_status(language_key="2")
    s.on_input("77")
    result = StatusResult("found", status="routed", body_kind="central_bank",
                          due=dt.date(2025, 3, 1), extended=True)
    actions = s.on_result("status", result)
    assert text(played(actions[:1])) == (
        "Appeal number seven seven Status: being sent to the authority that will consider it. "
        "It is handled by the National Bank of Ukraine. The deadline has been extended to "
        "the first of March twenty twenty five")


def test_status_answered_has_no_deadline_and_unknown_values_are_generic() -> None:
    s = to_status()
    s.on_input("5")
    result = StatusResult("found", status="answered", body_kind="ministry-of-magic",
                          due=dt.date(2025, 1, 15))
    said = text(played(s.on_result("status", result)[:1]))
    assert said == ("Звернення номер п'ять Стан: надано відповідь. "
                    "Його розглядає компетентний орган.")
    s.on_input("1")
    s.on_input("6")
    unknown = StatusResult("found", status="teleported", body_prompt="body-kind-local")
    said = text(played(s.on_result("status", unknown)[:1]))
    assert said == ("Звернення номер шість Стан: стан уточнюється. "
                    "Його розглядає орган місцевого самоврядування.")


@pytest.mark.parametrize(
    ("result", "prompt"),
    [
        (StatusResult.not_found(), "uk/status-not-found"),
        (StatusResult.unavailable(), "uk/status-unavailable"),
        (None, "uk/status-unavailable"),
        ("database on fire", "uk/status-unavailable"),
    ],
)
def test_status_not_found_or_unavailable_then_operator(result: object, prompt: str) -> None:
    s = to_status()
    s.on_input("999")
    actions = s.on_result("status", result)  # type: ignore[arg-type]
    assert played(actions) == [prompt, "uk/status-after-menu"]
    assert last(s.on_input("0")) == ToQueue("general", "uk", None)


def test_status_check_another_and_back_to_main() -> None:
    s = to_status()
    s.on_input("1")
    s.on_result("status", StatusResult.not_found())
    again = s.on_input("1")
    assert isinstance(again[-1], Prompt) and again[-1].files == ("uk/status-enter-number",)
    s.on_input("2#")
    s.on_result("status", StatusResult.not_found())
    back = s.on_input("*")
    assert isinstance(back[-1], Prompt) and back[-1].files == ("uk/main-menu",)


@pytest.mark.parametrize("bad", ["12a4", "1*2", "1" * 21, "＃"])
def test_bad_appeal_numbers_are_invalid(bad: str) -> None:
    s = to_status()
    actions = s.on_input(bad)
    assert isinstance(actions[-1], Prompt)
    assert actions[-1].files == ("uk/invalid-choice", "uk/status-enter-number")
    assert s.awaiting == "input"


def test_number_without_terminator_is_accepted_and_terminator_alone_is_no_input() -> None:
    s = to_status()
    assert isinstance(s.on_input("#")[-1], Prompt)
    assert s.on_input("4242")[-1] == LookupStatus("4242")


# --- misuse and guards ---------------------------------------------------------------------


def test_misuse_raises_state_errors() -> None:
    s = IvrSession(MENU, OPEN)
    with pytest.raises(IvrStateError):
        s.on_input("1")
    s.start()
    with pytest.raises(IvrStateError):
        s.start()
    with pytest.raises(IvrStateError):
        s.on_result("status", StatusResult.not_found())
    s.on_input("1")
    s.on_input("3")
    s.on_input("1")
    with pytest.raises(IvrStateError):
        s.on_input("1")  # waiting for the lookup
    with pytest.raises(IvrStateError):
        s.on_result("weather", None)
    s.on_result("status", None)
    s.on_input("0")
    with pytest.raises(IvrStateError):
        s.on_input("0")  # the IVR has ended


def test_endless_wandering_ends_in_the_general_queue() -> None:
    s = session()
    s.on_input("1")
    actions: list[Action] = []
    for _ in range(MENU.max_steps):
        actions = s.on_input("1")  # main -> topic
        if isinstance(actions[-1], ToQueue):
            break
        actions = s.on_input("*")  # topic -> main
        if isinstance(actions[-1], ToQueue):
            break
    assert actions[-1] == ToQueue("general", "uk", None)
    assert isinstance(actions[-2], SetVariables)
    assert actions[-2].variables["HOTLINE_IVR_REASON"] == "max_steps"


_KEYS = st.one_of(
    st.none(),
    st.text(max_size=40),
    st.text(alphabet="0123456789*#ABCD", max_size=25),
    st.sampled_from(list("0123456789*#")),
)
_RESULTS = st.one_of(
    st.none(),
    st.builds(StatusResult, outcome=st.sampled_from(["found", "not_found", "unavailable"]),
              status=st.one_of(st.none(), st.text(max_size=10)),
              body_kind=st.one_of(st.none(), st.text(max_size=10)),
              due=st.one_of(st.none(), st.dates(dt.date(1000, 1, 1), dt.date(2999, 12, 31))),
              extended=st.booleans()),
)


@settings(max_examples=300, deadline=None)
@given(is_open=st.booleans(), keys=st.lists(_KEYS, min_size=1, max_size=80), data=st.data())
def test_any_input_never_crashes_and_always_ends_in_a_hand_off(
    is_open: bool, keys: list[str | None], data: st.DataObject
) -> None:
    s = IvrSession(MENU, CallContext(is_open=is_open))
    actions = s.start()
    feed = iter(keys)
    while s.awaiting != "done":
        end = actions[-1]
        for action in actions[:-1]:  # only the last action may wait
            assert isinstance(action, (SetVariables, Prompt))
            assert not isinstance(action, Prompt) or action.collect is None
        if isinstance(end, LookupStatus):
            actions = s.on_result("status", data.draw(_RESULTS))
        else:
            assert isinstance(end, Prompt) and end.collect is not None
            actions = s.on_input(next(feed, None))  # then silence until the IVR ends
    assert isinstance(actions[-1], (ToQueue, StartVoiceAppeal, RequestCallback))
    assert isinstance(actions[-2], SetVariables)
    if not is_open:
        assert not isinstance(actions[-1], ToQueue)
    for action in actions:
        if isinstance(action, Prompt):
            for file in action.files:
                lang, name = file.split("/")
                assert MENU.catalogue.has(lang, name), file


# --- a call back without a caller id ------------------------------------------------------

ANON_OPEN = CallContext(is_open=True, caller_id="")
ANON_CLOSED = CallContext(is_open=False, caller_id="")


@pytest.mark.parametrize("language_key, lang", [("1", "uk"), ("2", "en")])
def test_anonymous_callback_choice_goes_to_the_general_queue_when_open(language_key, lang) -> None:
    s = session(ANON_OPEN)
    s.on_input(language_key)
    actions = s.on_input("5")
    assert played(actions) == [f"{lang}/callback-no-number", f"{lang}/connecting-operator"]
    assert last(actions) == ToQueue("general", lang, None)
    variables = next(a for a in actions if isinstance(a, SetVariables)).variables
    assert variables["HOTLINE_ACTION"] == "queue" and variables["HOTLINE_QUEUE"] == "general"
    assert variables["HOTLINE_IVR_REASON"] == "no_caller_id"
    assert not any(isinstance(a, RequestCallback) for a in actions)


def test_anonymous_callback_choice_after_hours_is_a_voice_appeal() -> None:
    s = session(ANON_CLOSED)
    s.on_input("2")
    actions = s.on_input("2")  # after-hours menu: 2 = call back
    assert played(actions) == ["en/callback-no-number"]
    assert last(actions) == StartVoiceAppeal("en", None)
    variables = next(a for a in actions if isinstance(a, SetVariables)).variables
    assert variables["HOTLINE_ACTION"] == "voice_appeal"
    assert s.awaiting == "done"


def test_anonymous_caller_keeps_every_other_choice() -> None:
    s = session(ANON_OPEN)
    s.on_input("1")
    assert last(s.on_input("4")) == StartVoiceAppeal("uk", None)
