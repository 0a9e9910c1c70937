"""The pickup desk's search (issue 10, "Speed"): every kind of query the desk takes is read from the
store's own token index (``DeskSearchToken``), finds orders in any state, puts the waiting ones
first and counts the matches up to a cap."""

import pytest

from customers.services import customer_create
from orders import selectors
from orders import services as orders
from orders.models import DESK_PHONE_MARK, DeskSearchToken, desk_tokens
from orders.services import ContactIn, FulfillmentIn, LineIn
from tests.builders import CASH_AT_DESK, build_shop

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(db):
    return build_shop(stock_a=30, stock_b=5)


def place(shop, *, customer=None, name="", phone="", location=None):
    return orders.order_place(channel=shop.web, customer=customer, lines=[LineIn(sku="LS-S", quantity=1)],
                              contact=ContactIn(name=name, phone=phone) if (name or phone) else None,
                              fulfillment=FulfillmentIn(method="pickup", location=(location or shop.store_a).code))


def person(family, given, family_kana, given_kana, phone, n=0):
    return customer_create(email=f"p{n}@example.jp", family_name=family, given_name=given,
                           family_name_kana=family_kana, given_name_kana=given_kana, phone=phone)


def found(shop, query, location=None):
    return [f.order.number for f in selectors.desk_search(location=location or shop.store_a, query=query).rows]


def test_tokens_are_pairs_of_the_name_and_furigana_starts_of_each_part_and_the_phone():
    tokens = desk_tokens(name="山田 花子", kana="ヤマダ ハナコ", phone_digits="09012345678")
    assert {"山田", "田花", "花子", "ヤマ", "マダ", "ダハ", "ハナ", "ナコ"} <= tokens
    assert {"山", "花", "ヤ", "ハ"} <= tokens and "田" not in tokens and "マ" not in tokens
    assert {DESK_PHONE_MARK + "5678", DESK_PHONE_MARK + "09012345678"} <= tokens
    # the name and its furigana are paired apart: nothing spans 子 → ヤ
    assert "子ヤ" not in tokens
    # hiragana and half-width katakana are stored as katakana
    assert "ヤマ" in desk_tokens(name="", kana="やまだ", phone_digits="") == desk_tokens(name="", kana="ﾔﾏﾀﾞ",
                                                                                       phone_digits="")


def test_placing_a_pickup_indexes_it_at_its_store_and_a_delivery_not_at_all(shop):
    yamada = person("山田", "花子", "ヤマダ", "ハナコ", "090-1111-2222")
    pickup = place(shop, customer=yamada).fulfillments.get()
    tokens = set(DeskSearchToken.objects.filter(fulfillment=pickup).values_list("location_id", "token"))
    assert (shop.store_a.pk, "ヤマ") in tokens and (shop.store_a.pk, DESK_PHONE_MARK + "2222") in tokens
    delivery = orders.order_place(channel=shop.web, customer=yamada, lines=[LineIn(sku="LS-S", quantity=1)],
                                  fulfillment=FulfillmentIn(method="ship", location=shop.warehouse.code,
                                                            address={"postal_code": "150-0001", "prefecture": "13",
                                                                     "city": "渋谷区", "line1": "神宮前1-1",
                                                                     "name": "山田 花子", "phone": "090-1111-2222"}))
    assert not DeskSearchToken.objects.filter(fulfillment__order=delivery).exists()


def test_every_kind_of_query_finds_the_order_and_short_names_too(shop):
    yamada = person("山田", "花子", "ヤマダ", "ハナコ", "090-1111-2222")
    order = place(shop, customer=yamada)
    group = order.fulfillments.get()
    other = place(shop, customer=person("田中", "一郎", "タナカ", "イチロウ", "080-3333-4444", 1))
    for query in (group.pickup_code, group.pickup_code.lower(), order.number, order.number.lower(),
                  "090-1111-2222", "０９０１１１１２２２２", "2222", "２２２２", "山田", "山田 花子", "山", "やまだ", "ヤマ",
                  "ﾔﾏﾀﾞ", "ヤマダハナコ", "やまだ はなこ", "花子", "ハナ", "p0@example.jp", "11112"):
        assert found(shop, query) == [order.number], query
    # nothing else: the other order shares no two characters with these, one starts with 田
    assert found(shop, "田") == [other.number]
    assert found(shop, "1111") == []  # four digits are the last four, not any four


def test_a_longer_name_must_be_in_the_order_not_only_its_pairs(shop):
    """アイア has the pairs アイ and イア, both in アイイア, and is still not in it."""
    order = place(shop, customer=person("相", "伊亜", "アイ", "イア", "090-5555-6666"))
    assert found(shop, "アイイ") == [order.number]
    assert found(shop, "アイア") == []


def test_an_order_without_a_customer_is_found_by_its_name_and_phone(shop):
    order = place(shop, name="鈴木 次郎", phone="03-1234-0099")
    assert found(shop, "鈴木") == found(shop, "0099") == found(shop, "0312340099") == [order.number]


def test_the_search_stays_inside_the_store(shop):
    yamada = person("山田", "花子", "ヤマダ", "ハナコ", "090-1111-2222")
    at_b = place(shop, customer=yamada, location=shop.store_b)
    for query in ("山田", "ヤマ", "2222", "09011112222", at_b.number, at_b.fulfillments.get().pickup_code):
        assert found(shop, query) == [], query
        assert found(shop, query, location=shop.store_b) == [at_b.number], query


def test_waiting_orders_come_first_then_the_newest_and_the_count_is_capped(shop, monkeypatch):
    yamada = person("山田", "花子", "ヤマダ", "ハナコ", "090-1111-2222")
    waiting = place(shop, customer=yamada)  # the oldest, still to prepare
    done = []
    for _ in range(4):
        order = place(shop, customer=yamada)
        group = order.fulfillments.get()
        orders.fulfillment_mark_ready(fulfillment=group)
        orders.fulfillment_hand_over(fulfillment=group, tenders=CASH_AT_DESK)
        done.append(order.number)
    search = selectors.desk_search(location=shop.store_a, query="ヤマ")
    assert [f.order.number for f in search.rows] == [waiting.number, *reversed(done)]
    assert [f.tab for f in search.rows] == ["reserved", "done", "done", "done", "done"]
    assert (search.total, search.capped) == (5, False)

    monkeypatch.setattr(selectors, "DESK_SEARCH_LIMIT", 2)
    monkeypatch.setattr(selectors, "DESK_COUNT_CAP", 3)
    search = selectors.desk_search(location=shop.store_a, query="ヤマダ")
    assert [f.order.number for f in search.rows] == [waiting.number, done[-1]]
    assert (search.total, search.capped) == (3, True)


def test_the_search_takes_four_queries_however_many_match(shop, django_assert_num_queries):
    yamada = person("山田", "花子", "ヤマダ", "ハナコ", "090-1111-2222")
    place(shop, customer=yamada)
    for query in ("ヤマ", "ヤマダハナコ", "2222"):
        with django_assert_num_queries(4):  # waiting ids, other ids, the rows, their lines
            selectors.desk_search(location=shop.store_a, query=query)
    for _ in range(5):
        place(shop, customer=yamada)
    for query in ("ヤマ", "ヤマダハナコ", "2222"):
        with django_assert_num_queries(4):
            assert len(selectors.desk_search(location=shop.store_a, query=query).rows) == 6


def test_reindexing_replaces_the_tokens(shop):
    Tokens = DeskSearchToken
    yamada = person("山田", "花子", "ヤマダ", "ハナコ", "090-1111-2222")
    order = place(shop, customer=yamada)
    assert Tokens.objects.filter(fulfillment__order=order).count() == len(order.desk_tokens())
    Tokens.objects.filter(fulfillment__order=order).delete()
    Tokens.objects.index(list(order.fulfillments.all()), replace=True)
    Tokens.objects.index(list(order.fulfillments.all()), replace=True)  # twice: no duplicates
    assert found(shop, "ヤマ") == [order.number]


def test_a_query_shaped_like_a_pickup_code_finds_the_code_and_the_name(shop):
    """TANAKA is six letters of the code alphabet: the customer called Tanaka and the order whose
    code it is are both found."""
    by_name = place(shop, name="Tanaka Ken", phone="03-1234-0001")
    by_code = place(shop, name="佐藤 一郎", phone="03-1234-0002")
    by_code.fulfillments.update(pickup_code="TANAKA")  # codes are random; this one happens to spell it
    assert sorted(found(shop, "tanaka")) == sorted([by_name.number, by_code.number])
    assert found(shop, "ＴＡＮＡＫＡ") == found(shop, "TANAKA")
