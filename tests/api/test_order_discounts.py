"""Discount codes over the API: order create (the web and the till's POS channel), the cart's
checkout, and the preview; a refused code is a 400 naming ``codes`` with each code's reason."""

import pytest

from inventory.models import StockLevel
from orders.models import Order
from tests.discounts_app import providers as test_providers

from .payloads import pickup_body, pos_pickup_body

pytestmark = pytest.mark.django_db

URL = "/api/v1/orders/"
PREVIEW = "/api/v1/orders/discounts/preview/"


@pytest.fixture(autouse=True)
def discounts_app(settings):
    # first: its answers come before the shop's own offers (campaigns) where both speak
    settings.INSTALLED_APPS = ["tests.discounts_app.apps.DiscountsAppConfig", *settings.INSTALLED_APPS]
    settings.LANGUAGE_CODE = "en"  # the messages checked are the English ones
    test_providers.commits.clear()
    yield
    test_providers.commits.clear()


def test_a_refused_code_answers_400_naming_codes_with_machine_readable_reasons(shop, staff, api):
    response = api(staff["store_staff"]).post(URL, pos_pickup_body(codes=["ten", "big", "nope"]), format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert body["errors"] == {"codes": ["Spend 20,000 yen to use BIG.", "The code NOPE does not exist."]}
    assert body["refused"] == [
        {"code": "BIG", "reason": "min_spend", "message": "Spend 20,000 yen to use BIG."},
        {"code": "NOPE", "reason": "unknown", "message": "The code NOPE does not exist."}]
    assert not Order.objects.exists()
    assert StockLevel.objects.get(variant=shop.small, location=shop.store_a).reserved == 0


def test_the_till_places_a_pos_order_with_a_store_code_and_the_order_shows_the_discount(shop, staff, api):
    response = api(staff["store_staff"]).post(URL, pos_pickup_body(codes=["till"]), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["total"], body["discount_total"], body["shipping_fee"]) == (5200, 300, 0)
    [line] = body["lines"]
    assert (line["line_total"], line["discount"], line["amount"], line["discount_reason"]) == (
        5500, 300, 5200, "Store coupon")
    assert body["tax"] == [{"rate": 10, "total": 5200, "tax": 472}]
    assert [(d["code"], d["amount"]) for d in body["discounts"]] == [("TILL", 300)]


def test_a_customer_account_checks_out_its_cart_with_codes(shop, make_customer, api):
    user, _customer = make_customer()
    client = api(user)
    token = client.post("/api/v1/me/cart/lines/", {"sku": "LS-S", "quantity": 1}, format="json").json()[
        "checkout_token"]
    refused = client.post("/api/v1/me/cart/checkout/", {
        "checkout_token": token, "fulfillment": {"method": "pickup", "location": "shibuya"}, "codes": ["till"]},
        format="json")
    assert refused.status_code == 400 and refused.json()["refused"][0]["reason"] == "wrong_channel"
    assert client.get("/api/v1/me/cart/").json()["count"] == 1  # the cart stays as it was
    placed = client.post("/api/v1/me/cart/checkout/", {
        "checkout_token": token, "fulfillment": {"method": "pickup", "location": "shibuya"}, "codes": ["TEN"]},
        format="json")
    assert placed.status_code == 201, placed.json()
    assert (placed.json()["total"], placed.json()["discount_total"]) == (4950, 550)


def test_the_preview_shows_what_the_codes_would_take_off_and_writes_nothing(shop, staff, api):
    response = api(staff["store_staff"]).post(PREVIEW, {
        "channel": "web", "lines": [{"sku": "LS-S", "quantity": 1}], "codes": ["ten", "nope"]}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["subtotal"], body["discount_total"], body["total"]) == (5500, 550, 4950)
    assert body["line_discounts"] == [{"sku": "LS-S", "amount": 550, "reason": "10% off"}]
    assert [(r["code"], r["reason"]) for r in body["refused"]] == [("NOPE", "unknown")]
    assert not Order.objects.exists() and test_providers.commits == []


def test_a_web_order_takes_codes_too(shop, staff, api):
    response = api(staff["administrator"]).post(URL, pickup_body(codes=["ＴＥＮ"]), format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["discount_total"] == 550


def test_a_customer_keeps_codes_on_the_cart_over_the_api_and_checkout_uses_them(shop, make_customer, api):
    user, customer = make_customer()
    client = api(user)
    client.post("/api/v1/me/cart/lines/", {"sku": "LS-S", "quantity": 1}, format="json")
    unknown = client.post("/api/v1/me/cart/codes/", {"code": "nope"}, format="json")
    assert unknown.status_code == 400 and unknown.json()["refused"][0]["reason"] == "unknown"
    body = client.post("/api/v1/me/cart/codes/", {"code": "t-e-n"}, format="json").json()
    assert body["codes"] == ["TEN"] and (body["total"], body["discount_total"]) == (4950, 550)
    assert [(a["code"], a["amount"]) for a in body["applied"]] == [("TEN", 550)]
    assert body["lines"][0]["discount_reason"] == "10% off"
    body = client.post("/api/v1/me/cart/codes/", {"code": "big"}, format="json").json()
    assert [(r["code"], r["reason"]) for r in body["refused"]] == [("BIG", "min_spend")]
    assert client.delete("/api/v1/me/cart/codes/BIG/").json()["codes"] == ["TEN"]
    placed = client.post("/api/v1/me/cart/checkout/", {
        "checkout_token": body["checkout_token"], "fulfillment": {"method": "pickup", "location": "shibuya"}},
        format="json")
    assert placed.status_code == 201 and placed.json()["discount_total"] == 550
    assert client.get("/api/v1/me/cart/").json()["codes"] == []
