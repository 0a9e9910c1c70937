"""Limits of an order that must hold however the lines, prices and contact details are sent."""

import pytest

from customers.models import Customer
from inventory import services as inventory
from inventory.models import StockLevel, StockPolicy
from inventory.services import VariantIn
from kernel.japan import normalize_prefecture
from orders import cart as carts
from orders.errors import InvalidOrder
from orders.models import Order
from orders.services import MAX_LINE_QUANTITY, ContactIn, FulfillmentIn, LineIn, order_place

pytestmark = pytest.mark.django_db

SHIP_TO = {"name": "山田太郎", "postal_code": "150-0001", "prefecture": "13", "city": "渋谷区", "line1": "神宮前1-2-3"}


def reserved(variant, location) -> int:
    return StockLevel.objects.get(variant=variant, location=location).reserved


@pytest.fixture
def plenty(shop):
    """Enough of LS-S at 渋谷店 that only the quantity limit can refuse an order."""
    inventory.stock_receive(variant=shop.small, location=shop.store_a, quantity=400, reference="PO-2")
    return shop


def test_three_lines_of_99_of_one_sku_are_refused_on_each_line_and_nothing_is_reserved(plenty):
    shop = plenty
    with pytest.raises(InvalidOrder) as caught:
        order_place(channel=shop.web, lines=[LineIn("LS-S", 99), LineIn("LS-L", 1), LineIn("LS-S", 99),
                                             LineIn(" LS-S", 99)],
                    fulfillment=FulfillmentIn("pickup", "shibuya"), contact=ContactIn(email="taro@example.jp"))
    errors = caught.value.errors
    assert set(errors) == {"lines.0.quantity", "lines.2.quantity", "lines.3.quantity"}
    assert "297" in errors["lines.0.quantity"][0]
    assert reserved(shop.small, shop.store_a) == 0
    assert not Order.objects.exists()


def test_lines_of_one_sku_may_add_up_to_the_line_maximum(plenty):
    shop = plenty
    order = order_place(channel=shop.web, lines=[LineIn("LS-S", 50), LineIn("LS-S", MAX_LINE_QUANTITY - 50)],
                        fulfillment=FulfillmentIn("pickup", "shibuya"), contact=ContactIn(email="taro@example.jp"))
    assert [(line.sku, line.quantity) for line in order.lines.all()] == [("LS-S", 99)]
    assert reserved(shop.small, shop.store_a) == 99


def test_an_order_total_beyond_what_the_order_can_store_is_refused(shop, settings):
    settings.MAX_PRICE = 100_000_000
    product = inventory.product_create(
        code="gold-kettle", name="純金の鉄瓶", stock_policy=StockPolicy.BACKORDER,
        variants=[VariantIn(sku=f"GK-{n}", barcode=barcode, price=100_000_000)
                  for n, barcode in enumerate(["4912345678904", "4912345678911"])])
    lines = [LineIn(variant.sku, 20) for variant in product.variants.all()]  # 2 x 20 x ¥100,000,000 = ¥4bn
    with pytest.raises(InvalidOrder) as caught:
        order_place(channel=shop.web, lines=lines, fulfillment=FulfillmentIn("ship", "wh-kanto", SHIP_TO),
                    contact=ContactIn(email="taro@example.jp"))
    assert list(caught.value.errors) == ["lines"]
    assert not Order.objects.exists()


@pytest.mark.parametrize("prefecture", ["99", "00", "48", "Tokyo", "1"])
def test_a_delivery_address_in_no_prefecture_is_refused(shop, prefecture):
    with pytest.raises(InvalidOrder) as caught:
        order_place(channel=shop.web, lines=[LineIn("LS-S", 1)],
                    fulfillment=FulfillmentIn("ship", "wh-kanto", {**SHIP_TO, "prefecture": prefecture}),
                    contact=ContactIn(email="taro@example.jp"))
    assert list(caught.value.errors) == ["fulfillment.address.prefecture"]
    assert reserved(shop.small, shop.warehouse) == 0


@pytest.mark.parametrize("typed", ["13", "１３", " 13 ", "東京都"])
def test_a_prefecture_typed_in_full_width_digits_or_by_name_is_stored_as_its_code(shop, typed):
    order = order_place(channel=shop.web, lines=[LineIn("LS-S", 1)],
                        fulfillment=FulfillmentIn("ship", "wh-kanto", {**SHIP_TO, "prefecture": typed}),
                        contact=ContactIn(email="taro@example.jp"))
    assert order.fulfillments.get().address["prefecture"] == "13"


def test_normalize_prefecture_leaves_what_it_does_not_know_for_the_validator():
    assert normalize_prefecture("０１") == "01"
    assert normalize_prefecture("北海道") == "01"
    assert normalize_prefecture("99") == "99"
    assert normalize_prefecture("") == ""


@pytest.mark.parametrize("phone", ["abc", "12", "03-1234-5678 内線9", "090-1234-5678-0000"])
def test_a_contact_phone_that_is_not_a_japanese_number_is_refused_and_no_customer_is_made(shop, phone):
    with pytest.raises(InvalidOrder) as caught:
        order_place(channel=shop.web, lines=[LineIn("LS-S", 1)], fulfillment=FulfillmentIn("pickup", "shibuya"),
                    contact=ContactIn(email="new@example.jp", phone=phone))
    assert list(caught.value.errors) == ["contact.phone"]
    assert not Customer.objects.filter(email="new@example.jp").exists()
    assert reserved(shop.small, shop.store_a) == 0


def test_a_contact_email_that_is_not_an_address_is_refused(shop):
    with pytest.raises(InvalidOrder) as caught:
        order_place(channel=shop.web, lines=[LineIn("LS-S", 1)], fulfillment=FulfillmentIn("pickup", "shibuya"),
                    contact=ContactIn(email="not an address"))
    assert list(caught.value.errors) == ["contact.email"]
    assert not Customer.objects.exists()


def test_a_contact_phone_in_full_width_digits_is_accepted(shop):
    order = order_place(channel=shop.web, lines=[LineIn("LS-S", 1)], fulfillment=FulfillmentIn("pickup", "shibuya"),
                        contact=ContactIn(email="new@example.jp", phone="０９０ー１２３４ー５６７８"))
    assert order.phone_digits == "09012345678"
    assert Customer.objects.get(email="new@example.jp").phone_digits == "09012345678"


def test_cart_lines_stay_within_the_line_maximum(shop):
    browser = "c" * 32
    assert carts.cart_add(variant=shop.small, quantity=60, browser_id=browser) == 60
    assert carts.cart_add(variant=shop.small, quantity=60, browser_id=browser) == MAX_LINE_QUANTITY
    assert carts.cart_set(sku="LS-S", quantity=500, browser_id=browser) == MAX_LINE_QUANTITY
