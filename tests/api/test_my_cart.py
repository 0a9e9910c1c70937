"""/api/v1/me/cart/: the customer's cart over the API is the storefront's cart (same rows, same
services, same events), and checking it out places one order however often it is sent."""

import pytest
from django.test import Client

from kernel.models import DomainEvent
from orders.models import Cart, CartLine, Order

CART = "/api/v1/me/cart/"
LINES = "/api/v1/me/cart/lines/"
CHECKOUT = "/api/v1/me/cart/checkout/"


@pytest.fixture
def hanako(make_customer):
    return make_customer()


def test_the_api_and_the_storefront_share_one_cart(shop, hanako, api):
    user, customer = hanako
    client = api(user)
    body = client.post(LINES, {"sku": "LS-S", "quantity": 2}, format="json").json()
    assert [(line["sku"], line["quantity"], line["unit_price"]) for line in body["lines"]] == [("LS-S", 2, 5500)]
    assert body["count"] == 2 and body["total"] == 11000 and body["checkout_token"]

    storefront = Client()
    storefront.force_login(user)
    storefront.post("/cart/add/", {"sku": "LS-L", "quantity": "1"})
    body = client.get(CART).json()
    assert {line["sku"]: line["quantity"] for line in body["lines"]} == {"LS-S": 2, "LS-L": 1}
    assert Cart.objects.get().customer == customer


def test_the_same_input_through_storefront_and_api_gives_the_same_rows(shop, make_customer, api):
    """Parity: one path per action."""
    api_user, api_customer = make_customer("api@example.jp")
    web_user, web_customer = make_customer("web@example.jp")
    api(api_user).post(LINES, {"sku": "LS-S", "quantity": 3}, format="json")
    storefront = Client()
    storefront.force_login(web_user)
    storefront.post("/cart/add/", {"sku": "LS-S", "quantity": "3"})

    def rows(customer):
        return list(CartLine.objects.filter(cart__customer=customer).values_list("sku", "quantity"))

    def published(customer):
        return [{k: v for k, v in e.payload.items() if k not in ("cart_id", "customer_id")}
                for e in DomainEvent.objects.filter(type="orders.cart_changed", payload__customer_id=customer.pk)]

    assert rows(api_customer) == rows(web_customer) == [("LS-S", 3)]
    assert published(api_customer) == published(web_customer)
    assert api_customer.events.filter(kind="cart_added").count() == web_customer.events.filter(
        kind="cart_added").count() == 1


def test_changing_and_removing_lines(shop, hanako, api):
    client = api(hanako[0])
    client.post(LINES, {"sku": "LS-S", "quantity": 1}, format="json")
    assert client.patch(LINES + "LS-S/", {"quantity": 4}, format="json").json()["count"] == 4
    assert client.patch(LINES + "LS-S/", {"quantity": 100}, format="json").status_code == 400
    assert client.patch(LINES + "LS-L/", {"quantity": 1}, format="json").status_code == 404
    assert client.delete(LINES + "LS-S/").json()["lines"] == []
    reasons = [e.payload["reason"] for e in DomainEvent.objects.filter(type="orders.cart_changed").order_by("id")]
    assert reasons == ["added", "updated", "removed"]


@pytest.mark.parametrize("body, field", [
    ({"sku": "NOPE", "quantity": 1}, "sku"),
    ({"sku": "LS-S", "quantity": 0}, "quantity"),
    ({"sku": "LS-S", "quantity": "many"}, "quantity"),
    ({"quantity": 1}, "sku"),
])
def test_bad_lines_are_400_naming_the_field_and_change_nothing(shop, hanako, api, body, field):
    response = api(hanako[0]).post(LINES, body, format="json")
    assert response.status_code == 400
    assert field in str(response.json())
    assert not CartLine.objects.exists()


def test_staff_and_anonymous_callers_have_no_cart(shop, staff, api):
    assert api().get(CART).status_code in (401, 403)
    user = next(iter(staff.values())) if isinstance(staff, dict) else staff.store_staff
    assert api(user).get(CART).status_code == 403
    assert api(user).post(LINES, {"sku": "LS-S", "quantity": 1}, format="json").status_code == 403
    assert not Cart.objects.exists()


def test_checkout_places_one_order_and_empties_the_cart(shop, hanako, api):
    user, customer = hanako
    client = api(user)
    token = client.post(LINES, {"sku": "LS-S", "quantity": 1}, format="json").json()["checkout_token"]
    body = {"checkout_token": token, "fulfillment": {"method": "pickup", "location": "shibuya"}}
    first = client.post(CHECKOUT, body, format="json")
    assert first.status_code == 201, first.json()
    again = client.post(CHECKOUT, body, format="json")
    assert again.status_code == 201 and again.json()["number"] == first.json()["number"]
    assert Order.objects.count() == 1 and Order.objects.get().customer == customer
    cart = client.get(CART).json()
    assert cart["lines"] == [] and cart["checkout_token"] != token


def test_checkout_with_a_stale_token_or_bad_fulfilment_changes_nothing(shop, hanako, api):
    client = api(hanako[0])
    client.post(LINES, {"sku": "LS-S", "quantity": 1}, format="json")
    stale = client.post(CHECKOUT, {"checkout_token": "x" * 32, "fulfillment": {"method": "pickup",
                                                                               "location": "shibuya"}}, format="json")
    assert stale.status_code == 400 and "checkout_token" in stale.json()["errors"]
    token = client.get(CART).json()["checkout_token"]
    bad = client.post(CHECKOUT, {"checkout_token": token, "fulfillment": {"method": "pickup", "location": "nowhere"}},
                      format="json")
    assert bad.status_code == 400
    marketplace = client.post(CHECKOUT, {"checkout_token": token, "channel": "pos-shibuya",
                                         "fulfillment": {"method": "pickup", "location": "shibuya"}}, format="json")
    assert marketplace.status_code == 400
    assert not Order.objects.exists() and CartLine.objects.count() == 1
