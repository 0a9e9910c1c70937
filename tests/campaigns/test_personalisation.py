"""Merge fields and recommendations for campaign messages (campaigns.personalisation): each
recipient's context and products picked from their own history, for a whole batch in a fixed
number of queries; and the stock re-check of featured products at sending time."""

from datetime import timedelta
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from campaigns.personalisation import (
    MERGE_FIELDS,
    RecommendationReason,
    featured_in_stock,
    merge_contexts,
    recommendations_for,
)
from customers import services as customers
from customers.identities import identity_add
from customers.models import EventKind, IdentityKind
from customers.privacy import customer_erase
from customers.profile import address_add
from inventory import services as inventory
from inventory.models import StockPolicy
from inventory.services import VariantIn
from orders import services as orders
from orders.services import FulfillmentIn, ImportLineIn, OrderImportIn

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def ean13(number: int) -> str:
    digits = f"490{number:09d}"
    check = (10 - sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(digits)) % 10) % 10
    return digits + str(check)


def product(shop, code: str, *, category: str, price: int = 3300, stock: dict | None = None,
            stock_policy: str = StockPolicy.NORMAL, sizes=("F",)):
    """A product with a variant per size; ``stock``: location -> units received of each variant."""
    start = 1000 + sum(ord(c) for c in code) * 10
    made = inventory.product_create(
        code=code, name=f"{code} 商品", category=category, stock_policy=stock_policy,
        variants=[VariantIn(sku=f"{code.upper()}-{size}", barcode=ean13(start + n), price=price + 100 * n, size=size)
                  for n, size in enumerate(sizes)])
    for location, units in (stock or {}).items():
        for variant in made.variants.all():
            inventory.stock_receive(variant=variant, location=location, quantity=units, reference="PO-1")
    return made


def bought(*rows: tuple, status: str = "collected"):
    """Finished past orders: each row (customer or None, [sku...], days ago)."""
    imports = []
    for customer, skus, days in rows:
        placed = NOW - timedelta(days=days)
        imports.append(OrderImportIn(
            channel="web", placed_at=placed, customer=customer.pk if customer else None,
            lines=[ImportLineIn(sku, 1, 3300, 10) for sku in skus], fulfillment=FulfillmentIn("pickup", "shibuya"),
            status=status, closed_at=placed + timedelta(hours=2)))
    return orders.orders_import(rows=imports, source="test history")


def viewed(customer, code: str, days: float = 1):
    return customers.event_record(customer=customer, kind=EventKind.PRODUCT_VIEWED,
                                  data={"code": code, "name": code}, occurred_at=NOW - timedelta(days=days))


def person(family: str, given: str = "花子", **fields):
    return customers.customer_create(family_name=family, given_name=given, **fields)


@pytest.fixture
def catalogue(shop):
    """Besides the shop's linen shirt (シャツ, in stock everywhere): a tee and a blouse (シャツ),
    socks, a cap only in the Shibuya store, a scarf sold out, a bag on pre-order."""
    web = shop.warehouse
    return {
        "tee": product(shop, "tee", category="シャツ", stock={web: 5}),
        "blouse": product(shop, "blouse", category="シャツ", stock={web: 5}),
        "socks": product(shop, "socks", category="靴下", price=990, stock={web: 5}, sizes=("S", "M")),
        "cap": product(shop, "cap", category="帽子", stock={shop.store_a: 2}),
        "scarf": product(shop, "scarf", category="小物"),
        "bag": product(shop, "bag", category="小物", stock_policy=StockPolicy.PREORDER),
    }


@pytest.fixture
def hanako(shop):
    return person("山田", email="hanako@example.jp", phone="090-1234-5678", favourite_location=shop.store_a,
                  postal_code="150-0001", prefecture="13", city="渋谷区", address="神宮前1-2-3")


def picks(customer, **kwargs):
    return [(r.code, r.reason) for r in recommendations_for(customer_ids=[customer.pk], now=NOW, **kwargs)[customer.pk]]


# --- merge fields -------------------------------------------------------------------------------

def test_a_japanese_message_addresses_the_customer_by_full_name_with_sama(hanako):
    context = merge_contexts(customer_ids=[hanako.pk])[hanako.pk]
    assert (context.name, context.name_honorific) == ("山田 花子", "山田 花子 様")
    assert (context.family_name, context.given_name) == ("山田", "花子")


def test_an_english_message_addresses_them_by_name_alone_never_mr_or_ms(hanako):
    context = merge_contexts(customer_ids=[hanako.pk], language="en")[hanako.pk]
    assert context.name_honorific == "山田 花子"
    assert context.language == "ja"  # their own language is still theirs


def test_a_customer_who_chose_no_language_gets_the_shop_s_and_one_who_did_keeps_theirs(shop, settings):
    settings.LANGUAGE_CODE = "ja"
    silent, english = person("佐藤"), person("Smith", "Anna", language="en")
    contexts = merge_contexts(customer_ids=[silent.pk, english.pk])
    assert contexts[silent.pk].language == "ja"
    assert (contexts[english.pk].language, contexts[english.pk].name_honorific) == ("en", "Smith Anna")


def test_favourite_store_contact_details_and_the_shop_s_time_zone(shop, hanako, settings):
    identity_add(customer=hanako, kind=IdentityKind.LINE, value="U" + "a1" * 16, source="line-login")
    context = merge_contexts(customer_ids=[hanako.pk])[hanako.pk]
    assert (context.favourite_store, context.favourite_store_id) == ("渋谷店", shop.store_a.pk)
    assert (context.email, context.phone, context.line_user_id) == ("hanako@example.jp", "090-1234-5678",
                                                                   "U" + "a1" * 16)
    assert context.time_zone == settings.TIME_ZONE
    assert context.points is None and context.favourite_store_url == ""


def test_a_closed_favourite_store_is_not_named_nor_its_stock_counted(shop, hanako, catalogue):
    viewed(hanako, "cap")
    viewed(hanako, "tee", days=2)
    inventory.location_update(location=shop.store_a, is_active=False)
    context = merge_contexts(customer_ids=[hanako.pk], recommendations=True)[hanako.pk]
    assert (context.favourite_store, context.favourite_store_id) == ("", None)
    assert [(r.code, r.in_stock_at_favourite) for r in context.recommendations] == [("tee", False)]
    assert [r.code for r in recommendations_for(customer_ids=[hanako.pk])[hanako.pk]] == ["tee"]


def test_last_purchase_is_the_latest_order_that_was_not_cancelled(shop, hanako, catalogue):
    bought((hanako, ["SOCKS-S"], 30), (hanako, ["TEE-F"], 10))
    bought((hanako, ["CAP-F"], 2), status="cancelled")
    context = merge_contexts(customer_ids=[hanako.pk])[hanako.pk]
    assert context.last_purchase == "tee 商品"
    assert context.last_purchase_date == timezone.localdate(NOW - timedelta(days=10))


def test_no_purchase_leaves_the_last_purchase_empty(hanako):
    context = merge_contexts(customer_ids=[hanako.pk])[hanako.pk]
    assert (context.last_purchase, context.last_purchase_date) == ("", None)


def test_the_postcard_goes_to_the_default_address_of_the_address_book_else_the_profile(hanako):
    from_profile = merge_contexts(customer_ids=[hanako.pk])[hanako.pk]
    assert (from_profile.postal_code, from_profile.prefecture, from_profile.address_lines,
            from_profile.address_name) == ("150-0001", "東京都", ("東京都渋谷区神宮前1-2-3",), "山田 花子")
    address_add(customer=hanako, name="山田 花子", postal_code="530-0001", prefecture="27", city="大阪市北区",
                line1="梅田1-1-1", line2="梅田ビル 5F")
    address_add(customer=hanako, name="山田 太郎", postal_code="100-0001", prefecture="13", city="千代田区",
                line1="千代田1-1")
    context = merge_contexts(customer_ids=[hanako.pk])[hanako.pk]
    assert (context.postal_code, context.prefecture, context.address_lines) == (
        "530-0001", "大阪府", ("大阪府大阪市北区梅田1-1-1", "梅田ビル 5F"))


def test_erased_customers_are_never_returned(shop, hanako, catalogue):
    other = person("佐藤")
    viewed(hanako, "tee")
    customer_erase(customer=hanako, via="console")
    assert set(merge_contexts(customer_ids=[hanako.pk, other.pk], recommendations=True)) == {other.pk}
    assert set(recommendations_for(customer_ids=[hanako.pk, other.pk])) == {other.pk}


def test_every_merge_field_is_on_the_context_and_labelled(hanako):
    context = merge_contexts(customer_ids=[hanako.pk])[hanako.pk]
    values = context.as_context()
    assert set(values) == set(MERGE_FIELDS)
    assert values["name_honorific"] == "山田 花子 様" and values["recommendations"] == []
    assert all(str(label) for label in MERGE_FIELDS.values())


def test_recommendations_are_filled_only_when_asked(shop, hanako, catalogue):
    viewed(hanako, "tee")
    assert merge_contexts(customer_ids=[hanako.pk])[hanako.pk].recommendations == []
    with_picks = merge_contexts(customer_ids=[hanako.pk], recommendations=True)[hanako.pk]
    assert [r.code for r in with_picks.recommendations] == ["tee"]


# --- recommendations ----------------------------------------------------------------------------

def test_viewed_products_come_first_latest_view_first_and_not_if_bought(shop, hanako, catalogue):
    viewed(hanako, "tee", days=5)
    viewed(hanako, "blouse", days=1)
    viewed(hanako, "socks", days=2)
    bought((hanako, ["SOCKS-M"], 1))
    assert picks(hanako)[:2] == [("blouse", RecommendationReason.VIEWED_NOT_BOUGHT),
                                 ("tee", RecommendationReason.VIEWED_NOT_BOUGHT)]
    assert "socks" not in [code for code, _reason in picks(hanako)]


def test_a_product_viewed_more_than_30_days_ago_is_not_a_viewed_pick(shop, hanako, catalogue):
    viewed(hanako, "tee", days=31)
    assert picks(hanako) == []


def test_products_bought_together_by_others_come_by_how_often(shop, hanako, catalogue):
    bought((hanako, ["LS-S"], 20))
    bought((None, ["LS-L", "SOCKS-S"], 10), (None, ["LS-S", "SOCKS-M"], 11),
           (None, ["LS-S", "TEE-F"], 12), (None, ["SOCKS-S", "BLOUSE-F"], 13))
    assert picks(hanako)[:2] == [("socks", RecommendationReason.BOUGHT_TOGETHER),
                                 ("tee", RecommendationReason.BOUGHT_TOGETHER)]


def test_orders_older_than_180_days_say_nothing_about_what_goes_together(shop, hanako, catalogue):
    bought((hanako, ["SOCKS-S"], 20), (None, ["SOCKS-S", "BAG-F"], 181))
    assert ("bag", RecommendationReason.BOUGHT_TOGETHER) not in picks(hanako)


def test_best_sellers_of_the_categories_they_bought_from_fill_the_rest(shop, hanako, catalogue):
    bought((hanako, ["TEE-F"], 20))
    bought((None, ["BLOUSE-F"], 5), (None, ["BLOUSE-F"], 6), (None, ["LS-S"], 7), (None, ["SOCKS-S"], 8))
    assert picks(hanako) == [("blouse", RecommendationReason.SAME_CATEGORY),
                             ("linen-shirt", RecommendationReason.SAME_CATEGORY)]


def test_sources_fill_the_block_in_order_up_to_the_limit(shop, hanako, catalogue):
    viewed(hanako, "bag")
    bought((hanako, ["TEE-F"], 20), (None, ["TEE-F", "SOCKS-S"], 5), (None, ["BLOUSE-F"], 6))
    assert picks(hanako) == [("bag", RecommendationReason.VIEWED_NOT_BOUGHT),
                             ("socks", RecommendationReason.BOUGHT_TOGETHER),
                             ("blouse", RecommendationReason.SAME_CATEGORY)]
    assert picks(hanako, limit=2) == [("bag", RecommendationReason.VIEWED_NOT_BOUGHT),
                                      ("socks", RecommendationReason.BOUGHT_TOGETHER)]


def test_unpublished_and_sold_out_products_are_never_recommended(shop, hanako, catalogue):
    for code in ("scarf", "tee"):
        viewed(hanako, code)
    bought((hanako, ["SOCKS-S"], 20), (None, ["SOCKS-S", "SCARF-F"], 5), (None, ["SOCKS-S", "TEE-F"], 5))
    inventory.product_update(product=catalogue["tee"], is_active=False)
    assert picks(hanako) == []


def test_a_product_sold_out_since_is_dropped(shop, hanako, catalogue):
    viewed(hanako, "tee")
    assert [code for code, _reason in picks(hanako)] == ["tee"]
    inventory.stock_adjust(variant=catalogue["tee"].variants.get(), location=shop.warehouse, quantity=-5,
                           note="damaged")
    assert picks(hanako) == []


def test_a_product_in_stock_only_at_their_favourite_store_is_recommended_and_marked(shop, hanako, catalogue):
    elsewhere = person("佐藤", favourite_location=shop.store_b)
    for customer in (hanako, elsewhere):
        viewed(customer, "cap")
        viewed(customer, "tee", days=2)
    found = recommendations_for(customer_ids=[hanako.pk, elsewhere.pk], now=NOW)
    assert [(r.code, r.in_stock_at_favourite) for r in found[hanako.pk]] == [("cap", True), ("tee", False)]
    assert [(r.code, r.in_stock_at_favourite) for r in found[elsewhere.pk]] == [("tee", False)]


def test_a_pre_order_product_with_no_stock_can_be_recommended(shop, hanako, catalogue):
    viewed(hanako, "bag")
    assert picks(hanako) == [("bag", RecommendationReason.VIEWED_NOT_BOUGHT)]


def test_a_recommendation_has_the_lowest_price_the_first_photo_and_absolute_links(shop, hanako, catalogue, settings):
    settings.SITE_URL = "https://shop.example.jp"
    buffer = BytesIO()
    Image.new("RGB", (800, 600), (200, 120, 40)).save(buffer, format="JPEG")
    for _n in range(2):
        inventory.product_image_add(product=catalogue["socks"],
                                    upload=SimpleUploadedFile("s.jpg", buffer.getvalue(), content_type="image/jpeg"))
    viewed(hanako, "socks")
    viewed(hanako, "tee", days=2)
    socks, tee = recommendations_for(customer_ids=[hanako.pk], now=NOW)[hanako.pk]
    assert (socks.name, socks.price, socks.url) == ("socks 商品", 990, "https://shop.example.jp/products/socks/")
    assert socks.image_url.startswith("https://shop.example.jp/media/products/") and "socks-0-" in socks.image_url
    assert tee.image_url == ""
    assert str(socks.reason_label)


def test_a_customer_with_no_history_gets_an_empty_list(hanako):
    assert recommendations_for(customer_ids=[hanako.pk]) == {hanako.pk: []}


def _crowd(shop, count: int) -> list[int]:
    people = [person(f"客{n}", favourite_location=shop.store_a if n % 2 else shop.store_b) for n in range(count)]
    codes = ["tee", "blouse", "socks", "cap", "bag"]
    for n, customer in enumerate(people):
        viewed(customer, codes[n % 5])
        if n % 3:
            identity_add(customer=customer, kind=IdentityKind.LINE, value=f"U{n:032x}", source="line-login")
    bought(*[(customer, ["LS-S", ["TEE-F", "SOCKS-S", "BLOUSE-F"][n % 3]], 5 + n % 20)
             for n, customer in enumerate(people)])
    return [customer.pk for customer in people]


def test_a_batch_takes_the_same_queries_for_5_customers_as_for_50(shop, catalogue, django_assert_num_queries):
    ids = _crowd(shop, 50)
    with django_assert_num_queries(11):
        small = merge_contexts(customer_ids=ids[:5], recommendations=True, now=NOW)
    with django_assert_num_queries(11):
        large = merge_contexts(customer_ids=ids, recommendations=True, now=NOW)
    assert len(small) == 5 and len(large) == 50
    assert all(context.recommendations for context in large.values())
    with django_assert_num_queries(8):
        recommendations_for(customer_ids=ids[:5], now=NOW)
    with django_assert_num_queries(8):
        recommendations_for(customer_ids=ids, now=NOW)


# --- the re-check at sending time ---------------------------------------------------------------

def test_featured_products_are_rechecked_against_stock_online_or_at_a_store(shop, catalogue, django_assert_num_queries):
    inventory.product_update(product=catalogue["blouse"], is_active=False)
    skus = ["LS-S", "CAP-F", "SCARF-F", "BAG-F", "BLOUSE-F", "NO-SUCH-SKU"]
    with django_assert_num_queries(1):
        online = featured_in_stock(skus=skus, location_id=None)
    assert online == {"LS-S": True, "CAP-F": False, "SCARF-F": False, "BAG-F": True, "BLOUSE-F": False,
                      "NO-SUCH-SKU": False}
    at_shibuya = featured_in_stock(skus=skus, location_id=shop.store_a.pk)
    assert at_shibuya == {"LS-S": True, "CAP-F": True, "SCARF-F": False, "BAG-F": False, "BLOUSE-F": False,
                          "NO-SUCH-SKU": False}


def test_a_featured_product_whose_last_units_are_reserved_is_out_of_stock(shop, catalogue):
    assert featured_in_stock(skus=["CAP-F"], location_id=shop.store_a.pk) == {"CAP-F": True}
    orders.order_place(channel=shop.web, lines=[orders.LineIn("CAP-F", 2)],
                       fulfillment=FulfillmentIn("pickup", "shibuya"),
                       contact=orders.ContactIn(email="a@example.jp", name="山田 花子", phone="090-1111-2222"))
    assert featured_in_stock(skus=["CAP-F"], location_id=shop.store_a.pk) == {"CAP-F": False}
