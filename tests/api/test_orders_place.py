"""POST /api/v1/orders/: 201 with the order, 409 with per-line detail, 400 with field errors."""

import json

import pytest
from django.urls import reverse

from customers.models import Customer
from inventory.models import StockLevel
from orders.models import Order

from .payloads import pickup_body, pos_pickup_body

pytestmark = pytest.mark.django_db

URL = "/api/v1/orders/"


def reserved(variant, location) -> int:
    return StockLevel.objects.get(variant=variant, location=location).reserved


def test_orders_url_is_named_in_the_api_namespace():
    assert reverse("api:order-list") == URL


def test_staff_places_a_pickup_order_and_the_unit_is_reserved(shop, staff, api):
    response = api(staff["store_staff"]).post(URL, pos_pickup_body(), format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    order = Order.objects.get(number=body["number"])
    assert body["status"] == "placed"
    assert body["customer"] == "taro@example.jp"
    assert body["total"] == 5500
    assert body["tax"] == [{"rate": 10, "total": 5500, "tax": 500}]
    assert body["lines"] == [{"id": order.lines.get().pk, "sku": "LS-S", "product_name": "リネンシャツ", "variant_label": "S", "quantity": 1,
                              "unit_price": 5500, "tax_rate": 10, "line_total": 5500, "discount": 0,
                              "discount_reason": "", "amount": 5500}]
    assert (body["discount_total"], body["shipping_fee"], body["shipping_discount"], body["discounts"]) == (0, 0, 0, [])
    [group] = body["fulfillments"]
    assert (group["method"], group["location"], group["status"]) == ("pickup", "shibuya", "reserved")
    assert len(group["pickup_code"]) == 6
    assert order.placed_by == staff["store_staff"]
    assert Customer.objects.get(email="taro@example.jp").orders.get() == order
    assert reserved(shop.small, shop.store_a) == 1


def test_shipping_order_with_full_address_is_created(shop, staff, api):
    body = pickup_body(fulfillment={"method": "ship", "location": "wh-kanto", "address": {
        "name": "山田太郎", "postal_code": "150-0001", "prefecture": "13", "city": "渋谷区", "line1": "神宮前1-2-3"}})
    response = api(staff["administrator"]).post(URL, body, format="json")
    assert response.status_code == 201, response.json()
    group = response.json()["fulfillments"][0]
    assert (group["method"], group["location"], group["pickup_code"]) == ("ship", "wh-kanto", "")
    assert group["address"]["line1"] == "神宮前1-2-3"


def test_short_stock_answers_409_naming_each_short_line_and_reserves_nothing(shop, staff, api):
    body = pos_pickup_body(lines=[{"sku": "LS-S", "quantity": 1}, {"sku": "LS-L", "quantity": 4}])
    response = api(staff["store_staff"]).post(URL, body, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "out_of_stock"
    assert response.json()["lines"] == [{"sku": "LS-L", "location": "shibuya", "requested": 4, "available": 3}]
    assert reserved(shop.small, shop.store_a) == 0
    assert not Order.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "path"),
    [
        ({"lines": [{"sku": "NOPE", "quantity": 1}]}, "lines.0.sku"),
        ({"lines": [{"sku": "LS-S", "quantity": 0}]}, "lines.0.quantity"),
        ({"lines": [{"sku": "LS-S", "quantity": -2}]}, "lines.0.quantity"),
        ({"lines": [{"sku": "LS-S", "quantity": 1.5}]}, "lines.0.quantity"),
        ({"lines": [{"sku": "LS-S", "quantity": "two"}]}, "lines.0.quantity"),
        ({"lines": [{"sku": "LS-S", "quantity": 1}, {"sku": "LS-L"}]}, "lines.1.quantity"),
        ({"lines": [{"sku": "LS-S", "quantity": 100}]}, "lines.0.quantity"),
        ({"lines": []}, "lines"),
        ({"lines": "x"}, "lines"),
        ({"lines": ["x"]}, "lines.0"),
        ({"lines": {"sku": "LS-S"}}, "lines"),
        ({"channel": "nowhere"}, "channel"),
        ({"channel": ["web"]}, "channel"),
        ({"customer": "not-an-email"}, "customer"),
        ({"fulfillment": "x"}, "fulfillment"),
        ({"fulfillment": {"method": "drone", "location": "shibuya"}}, "fulfillment.method"),
        ({"fulfillment": {"method": "pickup", "location": "locker-shinjuku"}}, "fulfillment.location"),
        ({"fulfillment": {"method": "pickup", "location": "atlantis"}}, "fulfillment.location"),
        ({"fulfillment": {"method": "pickup"}}, "fulfillment.location"),
        ({"fulfillment": {"method": "ship", "location": "wh-kanto"}}, "fulfillment.address.postal_code"),
        ({"fulfillment": {"method": "ship", "location": "wh-kanto", "address": {"name": "山田"}}},
         "fulfillment.address.line1"),
        ({"fulfillment": {"method": "ship", "location": "wh-kanto", "address": "x"}},
         "fulfillment.address"),
    ],
)
def test_bad_input_answers_400_with_the_field_path_and_writes_nothing(shop, staff, api, overrides, path):
    response = api(staff["store_staff"]).post(URL, pickup_body(**overrides), format="json")

    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "invalid"
    assert path in body["errors"], body
    assert all(isinstance(m, str) for messages in body["errors"].values() for m in messages)
    assert not Order.objects.exists()
    assert reserved(shop.small, shop.store_a) == 0


@pytest.mark.parametrize(
    "raw",
    [b'{"channel": "web", "lines": [', b"not json at all", b"\xff\xfe\x00", b"", b"[1, 2, 3]", b"null",
     b'"a string"', b"123", json.dumps({"channel": "web", "lines": None}).encode()],
)
def test_malformed_or_mistyped_json_is_a_400_never_a_500(shop, staff, api, raw):
    client = api(staff["store_staff"])
    response = client.generic("POST", URL, raw, content_type="application/json")
    assert response.status_code == 400, response.content
    assert response.json()["code"] in {"invalid", "parse_error"}
    assert response.json()["errors"]
    assert not Order.objects.exists()


def test_unsupported_content_type_is_415_in_the_same_error_shape(shop, staff, api):
    response = api(staff["store_staff"]).generic("POST", URL, b"<order/>", content_type="application/xml")
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"


def test_customer_account_places_an_order_for_itself(shop, api, make_customer):
    user, customer = make_customer()
    body = pickup_body()
    del body["customer"]
    response = api(user).post(URL, body, format="json")
    assert response.status_code == 201, response.json()
    order = Order.objects.get(number=response.json()["number"])
    assert order.customer == customer
    assert order.email == "hanako@example.jp"


def test_customer_account_cannot_order_for_someone_else(shop, api, make_customer):
    user, _customer = make_customer()
    response = api(user).post(URL, pickup_body(customer="taro@example.jp"), format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert not Order.objects.exists()


def test_customer_account_cannot_order_through_a_store_pos_channel(shop, api, make_customer):
    user, _customer = make_customer()
    response = api(user).post(URL, pickup_body(channel="pos-shibuya", customer="hanako@example.jp"), format="json")
    assert response.status_code == 400
    assert "channel" in response.json()["errors"]


@pytest.mark.parametrize("who", ["hq_marketer", "warehouse_operator", "customer"])
def test_users_without_add_order_and_without_a_customer_record_get_403(shop, staff, api, who):
    response = api(staff[who]).post(URL, pickup_body(), format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert not Order.objects.exists()


def test_anonymous_caller_gets_401(shop, api):
    response = api().post(URL, pickup_body(), format="json")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
