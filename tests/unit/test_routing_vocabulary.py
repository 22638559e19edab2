"""Recognising regions, topics and bodies in realistic Ukrainian speech."""

from __future__ import annotations

import pytest

from routing.reference import ReferenceDataError, default_reference
from routing.vocabulary import (
    build_vocabulary,
    load_vocabulary,
    normalize,
    stem,
    suggest_body,
    suggest_region,
    suggest_topic,
)


def test_brief_example_kharkiv_without_heating():
    text = "Я з Харкова, у нас немає опалення вже тиждень"
    assert suggest_region(text) == ("UA-63", "харкова")
    code, word = suggest_topic(text)
    assert (code, word) == ("20.02", "опалення")
    assert default_reference().topic(code).parent_code == "20"  # housing and utilities


@pytest.mark.parametrize("text, region, word", [
    ("Добрий день, я пенсіонерка з Вінниччини, мені не перерахували пенсію", "UA-05",
     "вінниччини"),
    ("Телефоную зі Львова. Нам третій місяць не платять зарплату", "UA-46", "львова"),
    ("Живу у Львівській області, село під Стриєм", "UA-46", "львівській"),
    ("Мені потрібна довідка щодо субсидії. Живу в Бучі", "UA-32", "бучі"),
    ("Київська область, Бровари, немає світла", "UA-32", "київська область"),
    ("Моя дитина не може потрапити в садочок у Києві", "UA-30", "києві"),
    ("Добрий вечір, в Одесі вимкнули світло на три доби", "UA-51", "одесі"),
    ("у Кривому Розі розбита дорога до школи", "UA-12", "кривому розі"),
    ("Я з Кам’янця-Подільського, маю питання щодо земельної ділянки", "UA-68",
     "кам'янця подільського"),
    ("пишу з івано франківська", "UA-26", "івано франківська"),
    ("мій син зник безвісти під Бахмутом", "UA-14", "бахмутом"),
    ("Звертаюсь з Чернівців через податкову", "UA-77", "чернівців"),
    ("ТЦК вручили повістку моєму чоловікові, ми з Житомирщини", "UA-18", "житомирщини"),
    ("Проблема з ліфтом у під’їзді, Тернопіль", "UA-61", "тернопіль"),
    ("Я з Криму, виїхала у двадцять другому році", "UA-43", "криму"),
    ("Севастополь", "UA-40", "севастополь"),
])
def test_region_in_realistic_sentences(text, region, word):
    assert suggest_region(text) == (region, word)


def test_ambiguous_city_names_need_a_place_word():
    # "суми" is also "sums", "рівне" also "even": only "у Сумах", "з Рівного" count
    assert suggest_region("у Сумах немає води з понеділка") == ("UA-59", "сумах")
    assert suggest_region("мене звільнили з роботи, я з Рівного") == ("UA-56", "рівного")
    assert suggest_region("Суми пенсії недостатньо для життя") is None
    assert suggest_region("поклали рівне покриття") is None
    assert suggest_region("Сумщина, Конотоп") == ("UA-59", "сумщина")


def test_first_named_region_wins():
    text = "Я переселенка з Маріуполя, живу в Дніпрі"
    assert suggest_region(text) == ("UA-14", "маріуполя")


def test_kyiv_city_versus_kyiv_oblast():
    assert suggest_region("я живу в Києві")[0] == "UA-30"
    assert suggest_region("я живу в Київській області")[0] == "UA-32"
    assert suggest_region("ми з Київщини")[0] == "UA-32"


@pytest.mark.parametrize("text, topic, word", [
    ("Добрий день, мені не перерахували пенсію", "16.01", "пенсію"),
    ("Нам третій місяць не платять зарплату", "17.01", "зарплату"),
    ("у Сумах немає води з понеділка", "20.03", "води"),
    ("гаряча вода відсутня у Хмельницькому", "20.02", "гаряча вода"),
    ("немає гарячої води і батареї холодні", "20.02", "гарячої води"),
    ("не можу отримати виплати ВПО", "16.04", "впо"),
    ("куди звертатися щодо субсидії", "16.02", "субсидії"),
    ("в Одесі вимкнули світло на три доби", "06.01", "світло"),
    ("дитина не може потрапити в садочок", "19.01", "садочок"),
    ("проблема з ліфтом у під'їзді", "20.05", "ліфтом"),
    ("ТЦК вручили повістку моєму чоловікові", "08.01", "тцк"),
    ("питання щодо земельної ділянки", "01.01", "земельної ділянки"),
    ("розбита дорога до села", "02.02", "розбита дорога"),
    ("син зник безвісти", "08.03", "зник безвісти"),
    ("мене звільнили з роботи без пояснень", "17.03", "звільнили"),
    ("в аптеці немає інсуліну за програмою доступні ліки", "18.02", "аптеці"),
    ("служба в справах дітей не реагує", "15.01", "служба в справах дітей"),
    ("хочу оформити закордонний паспорт", "13.01", "закордонний паспорт"),
])
def test_topic_in_realistic_sentences(text, topic, word):
    assert suggest_topic(text) == (topic, word)


def test_no_suggestion_for_small_talk():
    assert suggest_topic("добрий день, дякую") is None
    assert suggest_region("добрий день, дякую") is None
    assert suggest_topic("") is None


def test_apostrophe_variants_and_case():
    for apostrophe in ("’", "'", "ʼ", "‘"):
        text = f"МІЙ ПІД{apostrophe}ЇЗД НЕ ПРИБИРАЮТЬ"
        assert suggest_topic(text)[0] == "20.05"
    assert normalize("Кам’янець-Подільський!") == "камянець подільський"


def test_stemming_keeps_short_words_whole():
    assert stem("опаленням") == "опаленн"
    assert stem("харківській") == "харківськ"
    assert stem("суми") == "суми"  # stem too short: only exact forms match
    assert stem("київ") == "київ"


def test_bodies_from_free_text():
    ref = default_reference()
    assert suggest_body("звернення до Пенсійного фонду", ref) == "PFU"
    assert suggest_body("Львівська ОДА не відповідає", ref) == "RSA-UA-46"
    assert suggest_body("скарга на КМДА", ref) == "RSA-UA-30"
    assert suggest_body("Харківська обласна військова адміністрація", ref) == "RSA-UA-63"
    assert suggest_body("у податкову", ref) == "DPS"
    assert suggest_body("просто людям", ref) is None


def test_vocabulary_with_unknown_codes_is_refused():
    doc = {"regions": {"UA-99": {"words": ["Атлантида"]}},
           "topics": {"77.01": ["щось"]}, "bodies": {"NOPE": ["ніхто"]}}
    with pytest.raises(ReferenceDataError) as err:
        build_vocabulary(doc, default_reference())
    text = str(err.value)
    assert "unknown region 'UA-99'" in text
    assert "unknown topic '77.01'" in text
    assert "unknown body 'NOPE'" in text


def test_custom_vocabulary_file_with_prefix_words(tmp_path):
    path = tmp_path / "v.yaml"
    path.write_text('topics:\n  "20.05": ["ліфт*"]\n', encoding="utf-8")
    vocab = load_vocabulary(path, default_reference())
    assert suggest_topic("зламались ліфтові двері", vocab) == ("20.05", "ліфтові")
    assert suggest_region("Львів", vocab) is None
    with pytest.raises(ReferenceDataError, match="cannot read"):
        load_vocabulary(tmp_path / "missing.yaml", default_reference())


def test_every_region_is_recognised_by_its_official_name():
    for region in default_reference().regions:
        assert suggest_region(f"я живу: {region.name_uk}")[0] == region.code, region.code
