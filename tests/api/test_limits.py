"""Limits the API cannot walk around: merged line quantities, prices, prefectures, phone numbers."""

import pytest

from customers.models import Customer
from inventory.models import Product, StockLevel, Variant
from inventory.services import stock_receive
from orders.models import Order

from .payloads import pickup_body

pytestmark = pytest.mark.django_db

ORDERS = "/api/v1/orders/"
PRODUCTS = "/api/v1/products/"
SHIP_TO = {"name": "山田太郎", "postal_code": "150-0001", "prefecture": "13", "city": "渋谷区", "line1": "神宮前1-2-3"}
HUGE = 10**18


def test_three_lines_of_99_of_one_sku_are_400_on_each_line_and_nothing_is_reserved(shop, staff, api):
    stock_receive(variant=shop.small, location=shop.store_a, quantity=400, reference="PO-2")
    body = pickup_body(lines=[{"sku": "LS-S", "quantity": 99}] * 3)
    response = api(staff["administrator"]).post(ORDERS, body, format="json")
    assert response.status_code == 400, response.json()
    assert set(response.json()["errors"]) == {"lines.0.quantity", "lines.1.quantity", "lines.2.quantity"}
    assert StockLevel.objects.get(variant=shop.small, location=shop.store_a).reserved == 0
    assert not Order.objects.exists()


def test_two_lines_of_one_sku_adding_up_to_99_are_one_line_of_99(shop, staff, api):
    stock_receive(variant=shop.small, location=shop.store_a, quantity=400, reference="PO-2")
    body = pickup_body(lines=[{"sku": "LS-S", "quantity": 50}, {"sku": "LS-S", "quantity": 49}])
    response = api(staff["administrator"]).post(ORDERS, body, format="json")
    assert response.status_code == 201, response.json()
    assert [line["quantity"] for line in response.json()["lines"]] == [99]


def test_a_delivery_to_prefecture_99_is_400_on_the_prefecture(shop, staff, api):
    body = pickup_body(fulfillment={"method": "ship", "location": "wh-kanto",
                                    "address": {**SHIP_TO, "prefecture": "99"}})
    response = api(staff["administrator"]).post(ORDERS, body, format="json")
    assert response.status_code == 400, response.json()
    assert list(response.json()["errors"]) == ["fulfillment.address.prefecture"]
    assert not Order.objects.exists()


def test_a_contact_phone_that_is_no_phone_number_is_400_and_no_customer_is_made(shop, staff, api):
    body = pickup_body(customer="new@example.jp", contact={"name": "新規 顧客", "phone": "abc"})
    response = api(staff["administrator"]).post(ORDERS, body, format="json")
    assert response.status_code == 400, response.json()
    assert list(response.json()["errors"]) == ["contact.phone"]
    assert not Customer.objects.filter(email="new@example.jp").exists()


def test_a_new_customer_gets_the_contact_phone_when_it_is_valid(shop, staff, api):
    body = pickup_body(customer="new@example.jp", contact={"name": "新規 顧客", "phone": "０９０-１２３４-５６７８"})
    response = api(staff["administrator"]).post(ORDERS, body, format="json")
    assert response.status_code == 201, response.json()
    assert Customer.objects.get(email="new@example.jp").phone_digits == "09012345678"


def _product(price: int) -> dict:
    return {"code": "gold-kettle", "name": "鉄瓶", "variants": [
        {"sku": "GK-1", "barcode": "4912345678904", "price": 8800},
        {"sku": "GK-2", "barcode": "4912345678911", "price": price}]}


def test_a_product_priced_beyond_the_maximum_is_400_on_the_variant_price(shop, staff, api):
    response = api(staff["hq_marketer"]).post(PRODUCTS, _product(HUGE), format="json")
    assert response.status_code == 400, response.json()
    assert list(response.json()["errors"]) == ["variants.1.price"]
    assert not Product.objects.filter(code="gold-kettle").exists()


def test_the_price_maximum_is_a_setting_read_when_the_price_is_checked(shop, staff, api, settings):
    settings.MAX_PRICE = 50_000
    assert api(staff["hq_marketer"]).post(PRODUCTS, _product(50_001), format="json").status_code == 400
    assert api(staff["hq_marketer"]).post(PRODUCTS, _product(50_000), format="json").status_code == 201


def test_a_variant_priced_beyond_the_maximum_is_400_on_the_price(shop, staff, api):
    body = {"sku": "LS-M", "barcode": "4901234567870", "price": HUGE, "size": "M"}
    response = api(staff["hq_marketer"]).post(f"{PRODUCTS}linen-shirt/variants/", body, format="json")
    assert response.status_code == 400, response.json()
    assert list(response.json()["errors"]) == ["price"]
    assert not Variant.objects.filter(sku="LS-M").exists()
