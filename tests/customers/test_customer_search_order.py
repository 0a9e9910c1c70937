"""Search-as-you-type's first page (``customer_search`` / ``CustomerQuerySet.search_first``): the
same customers as ``search``, in furigana order (code points, then id), each once, in one query.
One or two characters take the two-part path (furigana range read in index order, the others
fetched apart); these tests pin that it answers exactly what ``search`` matches."""

import pytest

from customers.models import Customer, prefix_upper_bound
from customers.selectors import customer_search

pytestmark = pytest.mark.django_db

PEOPLE = [  # (family, given, family kana, given kana, email)
    ("山田", "花子", "ヤマダ", "ハナコ", "hanako@example.jp"),
    ("山田", "大和", "ヤマダ", "ヤマト", "yamato@example.jp"),  # matches ヤマ twice: listed once
    ("青木", "大和", "アオキ", "ヤマト", "aoki@example.jp"),  # ヤマ by the given name: first by furigana
    ("山本", "太郎", "ヤマモト", "タロウ", "taro@example.jp"),
    ("山口", "葵", "ヤマグチ", "アオイ", "aoi@example.jp"),
    ("山崎", "蓮", "", "", "ren@example.jp"),  # no furigana: 山 by the kanji, sorted first
    ("中山", "誠", "ナカヤマ", "マコト", "ya.nakayama@example.jp"),  # ya by the email only
    ("加藤", "凛", "カトウ", "リン", "rin@example.jp"),
    ("後藤", "凛", "ゴトウ", "リン", "goto@example.jp"),
    ("河野", "豊", "カワノ", "ユタカ", "kawano@example.jp"),
    ("Smith", "Anna", "Smith", "Anna", "anna@example.jp"),
]


@pytest.fixture
def people(db):
    created = [Customer.objects.create(family_name=f, given_name=g, family_name_kana=fk, given_name_kana=gk,
                                       email=e) for f, g, fk, gk, e in PEOPLE]
    for index in range(30):  # more ヤマダ than a page
        created.append(Customer.objects.create(family_name="山田", given_name=f"{index}", family_name_kana="ヤマダ",
                                               given_name_kana="イチ", email=f"yamada{index}@example.jp"))
    return created


def listed_order(customers):
    return sorted(customers, key=lambda c: (c.family_name_kana, c.pk))


@pytest.mark.parametrize("query", ["ヤマ", "やま", "ﾔﾏ", "ヤ", "山", "山田", "ya", "カ", "ガ", "ゴ", "ア", "Sm", "sm",
                                   "ヤマダ", "yamada1", "ya.nakayama@example.jp", "存在"])
def test_first_page_is_what_search_matches_in_furigana_order(people, query):
    everyone = listed_order(Customer.objects.search(query))
    for limit in (1, 5, 25, 100):
        found = list(customer_search(query=query, limit=limit))
        assert [c.pk for c in found] == [c.pk for c in everyone[:limit]], (query, limit)


def test_a_short_query_reads_the_first_by_furigana_and_each_customer_once(people):
    by_name = {(c.family_name, c.given_name): c for c in people}
    found = list(customer_search(query="ヤマ", limit=25))
    assert found[0] == by_name["青木", "大和"]  # アオキ before every ヤマダ
    assert [c.family_name_kana for c in found[1:]] == ["ヤマグチ"] + ["ヤマダ"] * 23
    assert len({c.pk for c in found}) == 25
    everyone = list(customer_search(query="ヤマ", limit=100))
    assert len(everyone) == len({c.pk for c in everyone}) == 35
    assert everyone.count(by_name["山田", "大和"]) == 1
    assert everyone[-1] == by_name["山本", "太郎"]


def test_voiced_kana_follow_their_plain_kana_and_are_not_their_prefix(people):
    assert [c.family_name_kana for c in customer_search(query="カ")] == ["カトウ", "カワノ"]
    assert [c.family_name_kana for c in customer_search(query="ゴ")] == ["ゴトウ"]
    assert [c.family_name for c in customer_search(query="凛")] == ["加藤", "後藤"]  # カ, then ゴ


def test_the_first_page_is_one_query(people, django_assert_num_queries):
    for query in ("ヤマ", "山", "ya", "ヤマダハナコ", "hanako@example.jp", "090"):
        with django_assert_num_queries(1):
            list(customer_search(query=query))


def test_prefix_upper_bound_is_the_least_string_above_the_prefix():
    assert prefix_upper_bound("ヤマ") == "ヤミ"
    assert prefix_upper_bound("カ") == "ガ"
    assert prefix_upper_bound("a\ud7ff") == "a\ue000"  # surrogates are skipped
    assert prefix_upper_bound("a\U0010ffff") is None
    words = ["ヤマ", "ヤマダ", "ヤマ\U0010fffe", "ヤミ", "ヤボ", "ヤ", "ヤマ\uffff"]
    upper = prefix_upper_bound("ヤマ")
    assert [w for w in words if "ヤマ" <= w < upper] == [w for w in words if w.startswith("ヤマ")]
