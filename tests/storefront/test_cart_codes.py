"""The coupon field of the cart page: a code applied with htmx shows its saving on the lines and in
the summary, a code that does not apply yet says why, an unknown code is not kept, and checkout
places the order with the cart's codes."""

import re

import pytest
from django.urls import reverse

from orders.models import Cart, Order
from tests.discounts_app import providers as test_providers

from .conftest import browser_cookie

pytestmark = pytest.mark.django_db

CODES = "/cart/codes/"
HTMX = {"HX-Request": "true", "HX-Target": "cart"}


@pytest.fixture(autouse=True)
def discounts_app(settings):
    # first: its answers come before the shop's own offers (campaigns) where both speak
    settings.INSTALLED_APPS = ["tests.discounts_app.apps.DiscountsAppConfig", *settings.INSTALLED_APPS]
    settings.LANGUAGE_CODE = "en"
    test_providers.commits.clear()
    yield
    test_providers.commits.clear()


def test_the_cart_code_urls_are_named():
    assert reverse("storefront:cart_codes") == CODES


def test_a_code_applied_on_the_cart_shows_its_saving_and_checkout_places_the_order_with_it(
        shop, customer, customer_client):
    customer_client.post("/cart/add/", {"sku": "LS-S", "quantity": "1"})
    response = customer_client.post(CODES, {"code": "ｔｅｎ"}, headers=HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="cart"' in html and "<html" not in html  # the cart region only
    assert "TEN" in html and "10% off" in html and "−¥550" in html
    assert "¥4,950" in html  # the total after the discount
    assert Cart.objects.get(customer=customer).codes == ["TEN"]

    page = customer_client.get("/checkout/").content.decode()
    token = re.search(r'name="checkout_token" value="([^"]+)"', page).group(1)
    assert "10% off" in page
    placed = customer_client.post("/checkout/", {"method": "pickup", "location": "shibuya", "checkout_token": token})
    assert placed.status_code == 302
    order = Order.objects.get()
    assert (order.total, order.discount_total, order.lines.get().discount_reason) == (4950, 550, "10% off")
    assert Cart.objects.get(customer=customer).codes == []
    receipt = customer_client.get(reverse("storefront:receipt", kwargs={"number": order.number})).content.decode()
    assert "10% off" in receipt and "−¥550" in receipt


def test_an_unknown_code_is_refused_and_not_kept(shop, customer, customer_client):
    customer_client.post("/cart/add/", {"sku": "LS-S", "quantity": "1"})
    response = customer_client.post(CODES, {"code": "nope"}, headers=HTMX)
    assert "The code NOPE does not exist." in response.content.decode()
    assert Cart.objects.get(customer=customer).codes == []
    without_js = customer_client.post(CODES, {"code": "nope"})
    assert without_js.status_code == 422 and "The code NOPE does not exist." in without_js.content.decode()


def test_a_code_that_does_not_apply_yet_is_kept_with_its_reason_and_can_be_removed(shop, customer, customer_client):
    customer_client.post("/cart/add/", {"sku": "LS-S", "quantity": "1"})
    html = customer_client.post(CODES, {"code": "big"}, headers=HTMX).content.decode()
    assert 'data-reason="min_spend"' in html and "Spend 20,000 yen to use BIG." in html
    assert Cart.objects.get(customer=customer).codes == ["BIG"]
    customer_client.post("/cart/add/", {"sku": "LS-L", "quantity": "3"})  # 22,000 yen now
    html = customer_client.get("/cart/").content.decode()
    assert "Spend 20,000" not in html and "−¥1,000" in html
    response = customer_client.post(CODES, {"code": "BIG", "action": "remove"})
    assert response.status_code == 302 and Cart.objects.get(customer=customer).codes == []


def test_a_guest_keeps_the_codes_on_the_browser_cart_into_their_account(shop, customer, client):
    browser_cookie(client)
    client.post("/cart/add/", {"sku": "LS-S", "quantity": "1"})
    client.post(CODES, {"code": "TEN"})
    assert Cart.objects.get(customer__isnull=True).codes == ["TEN"]
    client.post(reverse("storefront:login"), {"username": "hanako@example.jp", "password": "pass-Word-123"})
    assert Cart.objects.get(customer=customer).codes == ["TEN"]


def test_checkout_with_a_code_that_does_not_apply_shows_why_and_places_nothing(shop, customer, customer_client):
    customer_client.post("/cart/add/", {"sku": "LS-S", "quantity": "1"})
    customer_client.post(CODES, {"code": "BIG"})
    page = customer_client.get("/checkout/").content.decode()
    token = re.search(r'name="checkout_token" value="([^"]+)"', page).group(1)
    response = customer_client.post("/checkout/", {"method": "pickup", "location": "shibuya", "checkout_token": token})
    assert response.status_code == 422
    assert response.context["form"].non_field_errors() == ["Spend 20,000 yen to use BIG."]
    assert not Order.objects.exists() and Cart.objects.get(customer=customer).codes == ["BIG"]
