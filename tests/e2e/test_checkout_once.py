"""The "Place order" button in real Chromium: it is sent once, says it is working, and a
double click places one order (the server is idempotent too: tests/storefront/test_checkout_twice.py)."""

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from playwright.sync_api import expect

from customers.services import customer_sign_up
from inventory.models import StockLevel
from orders.models import Cart, CartLine, Order
from tests.e2e.conftest import assert_no_problems, screenshot

pytestmark = pytest.mark.e2e

BUTTON = "form.checkout__form [type=submit]"


@pytest.fixture
def shopper(e2e_shop, context, live_server):
    """A customer with one shirt in the cart, signed in in the browser."""
    user, customer = customer_sign_up(email="hanako@example.jp", password="pass-Word-123", family_name="山田")
    client = Client()
    client.force_login(user)
    session = client.session
    cart = Cart.objects.create(customer=customer)
    CartLine.objects.create(cart=cart, sku="LS-S", quantity=1)
    context.add_cookies([{
        "name": settings.SESSION_COOKIE_NAME, "value": session.session_key, "url": live_server.url,
        "httpOnly": True, "secure": settings.SESSION_COOKIE_SECURE, "sameSite": "Lax",
    }])
    return customer


def test_the_place_order_button_is_disabled_and_says_so_while_the_order_is_sent(shopper, page):
    page.goto(reverse("storefront:checkout"))
    page.locator("#store-shibuya").check()
    # Hold the submission on the page (a listener after the storefront's own) to look at the button.
    page.evaluate("window.addEventListener('submit', (event) => event.preventDefault())")
    button = page.locator(BUTTON)
    button.click()
    expect(button).to_be_disabled()
    expect(button).to_have_text("注文を確定しています…")
    expect(page.locator("form.checkout__form")).to_have_attribute("aria-busy", "true")
    screenshot(page, "checkout-placing-order")
    assert_no_problems(page)


def test_a_double_click_on_place_order_places_one_order(shopper, page, e2e_shop):
    page.goto(reverse("storefront:checkout"))
    page.locator("#store-shibuya").check()
    page.locator(BUTTON).dblclick()
    page.wait_for_url("**/account/orders/**")
    order = Order.objects.get(customer=shopper)
    assert order.number in page.locator("body").inner_text()
    assert Order.objects.count() == 1
    assert StockLevel.objects.get(variant=e2e_shop.small, location=e2e_shop.store_a).reserved == 1
    assert_no_problems(page)
