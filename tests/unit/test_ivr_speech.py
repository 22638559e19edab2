"""Ukrainian and English speech of numbers, dates, durations (ivr/speech.py)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ivr.catalogue import load_catalogue
from ivr.speech import (
    Speech,
    queue_announcement,
    say_appeal_number,
    say_count,
    say_date,
    say_duration,
    say_number,
    say_ordinal,
    say_queue_position,
    say_wait,
)
from ivr.speech_uk import plural_form

CATALOGUE = load_catalogue()


@pytest.mark.parametrize(
    ("n", "words"),
    [
        (0, "нуль хвилин"),
        (1, "одна хвилина"),
        (2, "дві хвилини"),
        (3, "три хвилини"),
        (4, "чотири хвилини"),
        (5, "п'ять хвилин"),
        (10, "десять хвилин"),
        (11, "одинадцять хвилин"),
        (12, "дванадцять хвилин"),
        (14, "чотирнадцять хвилин"),
        (15, "п'ятнадцять хвилин"),
        (20, "двадцять хвилин"),
        (21, "двадцять одна хвилина"),
        (22, "двадцять дві хвилини"),
        (25, "двадцять п'ять хвилин"),
        (40, "сорок хвилин"),
        (100, "сто хвилин"),
        (101, "сто одна хвилина"),
        (102, "сто дві хвилини"),
        (111, "сто одинадцять хвилин"),
        (112, "сто дванадцять хвилин"),
        (121, "сто двадцять одна хвилина"),
        (200, "двісті хвилин"),
        (999, "дев'ятсот дев'яносто дев'ять хвилин"),
        (1000, "тисяча хвилин"),
        (1001, "тисяча одна хвилина"),
        (2002, "дві тисячі дві хвилини"),
        (5000, "п'ять тисяч хвилин"),
        (11_000, "одинадцять тисяч хвилин"),
        (21_000, "двадцять одна тисяча хвилин"),
        (22_001, "двадцять дві тисячі одна хвилина"),
        (1_000_000, "один мільйон хвилин"),
        (2_000_000, "два мільйони хвилин"),
        (5_000_021, "п'ять мільйонів двадцять одна хвилина"),
    ],
)
def test_ukrainian_minutes_agree_in_gender_and_number(n: int, words: str) -> None:
    assert say_count(n, "minute", "uk").to_text() == words


@pytest.mark.parametrize(
    ("n", "day", "hour_acc"),
    [
        (1, "один день", "одну годину"),
        (2, "два дні", "дві години"),
        (5, "п'ять днів", "п'ять годин"),
        (11, "одинадцять днів", "одинадцять годин"),
        (21, "двадцять один день", "двадцять одну годину"),
        (22, "двадцять два дні", "двадцять дві години"),
        (25, "двадцять п'ять днів", "двадцять п'ять годин"),
        (101, "сто один день", "сто одну годину"),
        (111, "сто одинадцять днів", "сто одинадцять годин"),
    ],
)
def test_ukrainian_masculine_days_and_accusative_hours(n: int, day: str, hour_acc: str) -> None:
    assert say_count(n, "day", "uk").to_text() == day
    assert say_count(n, "hour", "uk", case="acc").to_text() == hour_acc


def test_ukrainian_neuter_and_plain_numbers() -> None:
    assert say_number(1, "uk", gender="n").to_text() == "одне"
    assert say_number(21, "uk", gender="n").to_text() == "двадцять одне"
    assert say_number(2, "uk", gender="n").to_text() == "два"
    assert say_number(1545, "uk").to_text() == "тисяча п'ятсот сорок п'ять"
    assert say_number(0, "uk").to_text() == "нуль"


@pytest.mark.parametrize(
    ("n", "form"),
    [(0, "many"), (1, "one"), (2, "few"), (4, "few"), (5, "many"), (11, "many"), (12, "many"),
     (14, "many"), (21, "one"), (22, "few"), (25, "many"), (101, "one"), (111, "many"),
     (112, "many"), (1001, "one"), (1011, "many")],
)
def test_plural_form(n: int, form: str) -> None:
    assert plural_form(n) == form


@pytest.mark.parametrize(
    ("n", "words"),
    [(1, "one minute"), (2, "two minutes"), (21, "twenty one minutes"),
     (101, "one hundred and one minutes"), (1001, "one thousand and one minutes"),
     (0, "zero minutes"), (1_200_005, "one million two hundred thousand and five minutes")],
)
def test_english_counts(n: int, words: str) -> None:
    assert say_count(n, "minute", "en").to_text() == words


@pytest.mark.parametrize(
    ("n", "m", "neuter", "genitive", "english"),
    [
        (1, "перший", "перше", "першого", "first"),
        (2, "другий", "друге", "другого", "second"),
        (3, "третій", "третє", "третього", "third"),
        (11, "одинадцятий", "одинадцяте", "одинадцятого", "eleventh"),
        (20, "двадцятий", "двадцяте", "двадцятого", "twentieth"),
        (21, "двадцять перший", "двадцять перше", "двадцять першого", "twenty first"),
        (31, "тридцять перший", "тридцять перше", "тридцять першого", "thirty first"),
        (40, "сороковий", "сорокове", "сорокового", "fortieth"),
        (100, "сотий", "соте", "сотого", "one hundredth"),
        (105, "сто п'ятий", "сто п'яте", "сто п'ятого", "one hundred and fifth"),
        (1991, "тисяча дев'ятсот дев'яносто перший", "тисяча дев'ятсот дев'яносто перше",
         "тисяча дев'ятсот дев'яносто першого", "one thousand nine hundred and ninety first"),
        (2000, "двохтисячний", "двохтисячне", "двохтисячного", "two thousandth"),
    ],
)
def test_ordinals(n: int, m: str, neuter: str, genitive: str, english: str) -> None:
    assert say_ordinal(n, "uk", "m").to_text() == m
    assert say_ordinal(n, "uk", "n").to_text() == neuter
    assert say_ordinal(n, "uk", "g").to_text() == genitive
    assert say_ordinal(n, "en").to_text() == english


@pytest.mark.parametrize(
    ("day", "nom", "gen", "english"),
    [
        (dt.date(2025, 12, 1), "перше грудня дві тисячі двадцять п'ятого року",
         "першого грудня дві тисячі двадцять п'ятого року",
         "the first of December twenty twenty five"),
        (dt.date(2024, 2, 29), "двадцять дев'яте лютого дві тисячі двадцять четвертого року",
         "двадцять дев'ятого лютого дві тисячі двадцять четвертого року",
         "the twenty ninth of February twenty twenty four"),
        (dt.date(2000, 1, 31), "тридцять перше січня двохтисячного року",
         "тридцять першого січня двохтисячного року", "the thirty first of January two thousand"),
        (dt.date(2005, 5, 3), "третє травня дві тисячі п'ятого року",
         "третього травня дві тисячі п'ятого року", "the third of May two thousand and five"),
        (dt.date(1991, 8, 24), "двадцять четверте серпня тисяча дев'ятсот дев'яносто першого року",
         "двадцять четвертого серпня тисяча дев'ятсот дев'яносто першого року",
         "the twenty fourth of August nineteen ninety one"),
        (dt.date(1905, 10, 12), "дванадцяте жовтня тисяча дев'ятсот п'ятого року",
         "дванадцятого жовтня тисяча дев'ятсот п'ятого року",
         "the twelfth of October nineteen oh five"),
        (dt.date(2100, 6, 30), "тридцяте червня дві тисячі сотого року",
         "тридцятого червня дві тисячі сотого року", "the thirtieth of June twenty one hundred"),
    ],
)
def test_dates(day: dt.date, nom: str, gen: str, english: str) -> None:
    assert say_date(day, "uk").to_text() == nom
    assert say_date(day, "uk", "gen").to_text() == gen
    assert say_date(day, "en").to_text() == english


def test_date_without_year() -> None:
    assert say_date(dt.date(2025, 12, 1), "uk", with_year=False).to_text() == "перше грудня"
    assert say_date(dt.date(2025, 3, 8), "en", with_year=False).to_text() == "the eighth of March"


@pytest.mark.parametrize(
    ("seconds", "smallest", "uk", "en"),
    [
        (0, "second", "нуль секунд", "zero seconds"),
        (1, "second", "одна секунда", "one second"),
        (45, "second", "сорок п'ять секунд", "forty five seconds"),
        (45, "minute", "одна хвилина", "one minute"),
        (61, "minute", "дві хвилини", "two minutes"),
        (300, "minute", "п'ять хвилин", "five minutes"),
        (3600, "minute", "одна година", "one hour"),
        (3900, "minute", "одна година і п'ять хвилин", "one hour and five minutes"),
        (7322, "second", "дві години дві хвилини і дві секунди",
         "two hours two minutes and two seconds"),
        (90_061, "second", "один день одна година одна хвилина і одна секунда",
         "one day one hour one minute and one second"),
    ],
)
def test_durations(seconds: float, smallest: str, uk: str, en: str) -> None:
    assert say_duration(seconds, "uk", smallest).to_text() == uk
    assert say_duration(seconds, "en", smallest).to_text() == en


def test_queue_position_and_wait() -> None:
    assert say_queue_position(1, "uk").to_text() == "Ваш дзвінок наступний."
    assert say_queue_position(3, "uk").to_text() == "Ваш номер у черзі: три"
    assert say_queue_position(21, "uk").to_text() == "Ваш номер у черзі: двадцять один"
    assert say_queue_position(3, "en").to_text() == "Your position in the queue is three"
    assert say_wait(30, "uk").to_text() == "Орієнтовний час очікування: менше однієї хвилини."
    assert say_wait(121, "uk").to_text() == "Орієнтовний час очікування: три хвилини"
    assert say_wait(1260, "uk").to_text() == "Орієнтовний час очікування: двадцять одна хвилина"
    assert say_wait(300, "en").to_text() == "The estimated waiting time is five minutes"


def test_queue_announcement_files() -> None:
    speech = queue_announcement(2, 240, "uk")
    assert speech.files == ["uk/queue-position", "uk/num-2", "uk/queue-wait", "uk/num-4",
                            "uk/unit-minute-few", "uk/queue-leave-star"]
    assert queue_announcement(None, None, "en").files == ["en/queue-leave-star"]
    assert queue_announcement(1, None, "en", offer_callback=False).files == [
        "en/queue-position-next"]


def test_appeal_number_is_spoken_digit_by_digit() -> None:
    speech = say_appeal_number("1545-0042", "uk")
    assert speech.to_text() == "один п'ять чотири п'ять нуль нуль чотири два"
    assert speech.files[0] == "uk/num-1"
    assert say_appeal_number("07", "en").to_text() == "zero seven"


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: say_number(-1, "uk"), "outside"),
        (lambda: say_number(10**9, "en"), "outside"),
        (lambda: say_ordinal(0, "uk"), "outside"),
        (lambda: say_ordinal(3000, "uk"), "outside"),
        (lambda: say_count(2, "week", "uk"), "unknown unit"),
        (lambda: say_duration(-5, "uk"), "negative"),
        (lambda: say_duration(float("nan"), "uk"), "not a number"),
        (lambda: say_number(5, "de"), "no speech rules"),
        (lambda: say_appeal_number("А-Б", "uk"), "no digits"),
        (lambda: say_queue_position(0, "uk"), "1 or more"),
        (lambda: Speech("uk", ()) + Speech("en", ()), "cannot join"),
    ],
)
def test_bad_arguments_raise_clear_errors(call, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()


@given(st.integers(0, 999_999_999), st.sampled_from(["m", "f", "n"]),
       st.sampled_from(["nom", "acc"]))
def test_every_ukrainian_number_uses_catalogue_fragments(n: int, gender: str, case: str) -> None:
    for speech in (say_number(n, "uk", gender, case), say_count(n, "minute", "uk", case),  # type: ignore[arg-type]
                   say_count(n, "day", "uk")):
        assert all(CATALOGUE.has("uk", f) for f in speech.fragments), speech.fragments


@given(st.integers(0, 999_999_999))
def test_every_english_number_uses_catalogue_fragments(n: int) -> None:
    for speech in (say_number(n, "en"), say_count(n, "second", "en"),
                   *( [say_ordinal(n, "en")] if n else [])):
        assert all(CATALOGUE.has("en", f) for f in speech.fragments), speech.fragments


@given(st.dates(dt.date(1000, 1, 1), dt.date(2999, 12, 31)))
def test_every_date_uses_catalogue_fragments(day: dt.date) -> None:
    for speech in (say_date(day, "uk"), say_date(day, "uk", "gen"), say_date(day, "en")):
        assert all(CATALOGUE.has(speech.language, f) for f in speech.fragments)
        assert speech.to_text()


def test_sweep_small_numbers_and_durations() -> None:
    for n in range(2100):
        for lang in ("uk", "en"):
            speech = say_duration(n * 37, lang, "second")
            assert all(CATALOGUE.has(lang, f) for f in speech.fragments)
        if n:
            assert all(CATALOGUE.has("uk", f) for f in say_ordinal(min(n, 2999), "uk", "g").fragments)
