"""Carts as rows: a guest cart keyed by a signed browser-id cookie, a customer's cart on every
device, the guest cart merged on sign-in, stale guest carts expired, and every change published
as a domain event (tracking honours the browser's privacy signal)."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from customers.models import CustomerEvent, EventKind
from kernel.browser import cookie_name
from kernel.models import DomainEvent
from orders import cart as carts
from orders.models import Cart, CartLine, Order

from .conftest import browser_cookie, cart_of, client_browser_id, put_in_cart

ADD = "/cart/add/"
CART = "/cart/"
PASSWORD = "pass-Word-123"


def add(client, sku: str, quantity: int = 1, **headers):
    return client.post(ADD, {"sku": sku, "quantity": str(quantity)}, headers=headers)


def events(kind: str = "orders.cart_changed") -> list[dict]:
    return [event.payload for event in DomainEvent.objects.filter(type=kind).order_by("id")]


def sign_in(client, email: str = "hanako@example.jp"):
    response = client.post(reverse("storefront:login"), {"username": email, "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:500]
    return response


# --- guests ---------------------------------------------------------------------------------

def test_browsing_sets_no_cookie_and_writes_no_cart(shop, client):
    for url in ("/", CART, shop.product.get_absolute_url()):
        response = client.get(url)
        assert response.status_code == 200
        assert cookie_name() not in response.cookies
    assert not Cart.objects.exists()


def test_a_guest_cart_is_a_row_keyed_by_a_signed_http_only_cookie(shop, client):
    response = add(client, "LS-S", 2)
    assert response.status_code == 302
    cookie = response.cookies[cookie_name()]
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and int(cookie["max-age"]) > 300 * 24 * 3600
    browser = client_browser_id(client)
    assert browser and cookie.value != browser  # signed, not the bare id
    cart = Cart.objects.get()
    assert cart.browser_id == browser and cart.customer is None
    assert cart_of(client) == {"LS-S": 2}

    add(client, "LS-S", 1)
    add(client, "LS-L", 1)
    assert cart_of(client) == {"LS-S": 3, "LS-L": 1}
    assert Cart.objects.count() == 1
    # Anonymous changes are published too, with no customer and no timeline entry.
    assert [(e["sku"], e["quantity"], e["delta"], e["customer_id"], e["reason"]) for e in events()] == [
        ("LS-S", 2, 2, None, "added"), ("LS-S", 3, 1, None, "added"), ("LS-L", 1, 1, None, "added")]
    assert not CustomerEvent.objects.filter(kind=EventKind.CART_ADDED).exists()


def test_a_tampered_or_invented_cookie_opens_nobody_elses_cart(shop, client):
    victim = Client()
    add(victim, "LS-L", 5)
    victim_id = client_browser_id(victim)

    client.cookies[cookie_name()] = victim_id  # the bare id, unsigned
    assert client.get(CART).context["lines"] == []
    signed = victim.cookies[cookie_name()].value
    client.cookies[cookie_name()] = signed[:-2] + ("AA" if not signed.endswith("AA") else "BB")
    assert client.get(CART).context["lines"] == []
    add(client, "LS-S", 1)  # a new id is issued; the victim's cart is untouched
    assert client_browser_id(client) not in (None, victim_id)
    assert cart_of(victim) == {"LS-L": 5} and cart_of(client) == {"LS-S": 1}


def test_two_browsers_have_two_carts(shop):
    first, second = Client(), Client()
    add(first, "LS-S")
    add(second, "LS-L", 2)
    assert cart_of(first) == {"LS-S": 1} and cart_of(second) == {"LS-L": 2}


# --- customers ------------------------------------------------------------------------------

def test_a_customers_cart_follows_them_to_another_device(shop, customer):
    laptop, phone = Client(), Client()
    laptop.force_login(customer.user)
    phone.force_login(customer.user)
    add(laptop, "LS-S", 2)
    assert cart_of(phone) == {"LS-S": 2}
    assert [line.sku for line in phone.get(CART).context["lines"]] == ["LS-S"]
    phone.post(CART, {"sku": "LS-S", "quantity": "1", "action": "update"})
    assert cart_of(laptop) == {"LS-S": 1}
    assert Cart.objects.get().customer == customer
    # The customer's add is on their timeline; the event names the customer.
    assert CustomerEvent.objects.filter(customer=customer, kind=EventKind.CART_ADDED).count() == 1
    assert [(e["reason"], e["customer_id"]) for e in events()] == [("added", customer.pk), ("updated", customer.pk)]


def test_signing_in_merges_the_guest_cart_into_the_customers(shop, customer, client):
    other_device = Client()
    other_device.force_login(customer.user)
    add(other_device, "LS-S", 3)

    browser_cookie(client)
    add(client, "LS-S", 1)  # already in the customer's cart with more: the larger quantity stays
    add(client, "LS-L", 2)  # new: moves over
    guest = Cart.objects.get(customer__isnull=True)
    sign_in(client)

    assert cart_of(client) == {"LS-S": 3, "LS-L": 2}
    assert not Cart.objects.filter(pk=guest.pk).exists()
    assert Cart.objects.count() == 1
    merged = events("orders.cart_merged")
    assert merged == [{"guest_cart_id": guest.pk, "cart_id": Cart.objects.get().pk, "customer_id": customer.pk,
                       "lines": 2, "tracking": True}]
    assert [(e["sku"], e["reason"], e["delta"]) for e in events() if e["reason"] == "merged"] == [("LS-L", "merged", 2)]
    timeline = CustomerEvent.objects.filter(customer=customer, kind=EventKind.CART_ADDED).order_by("id")
    assert [(e.data["sku"], e.data.get("before_sign_in", False)) for e in timeline] == [
        ("LS-S", False), ("LS-L", True)]

    # Signing out leaves nothing of the customer's cart on this browser.
    client.post(reverse("storefront:logout"))
    assert cart_of(client) == {}
    assert client.get(CART).context["lines"] == []


def test_signing_up_keeps_what_the_guest_put_in_the_cart(shop, client):
    add(client, "LS-L", 1)
    response = client.post(reverse("storefront:signup"), {
        "email": "new@example.jp", "password1": "a-Long-pass-8812", "password2": "a-Long-pass-8812",
        "family_name": "佐藤", "given_name": "次郎", "family_name_kana": "サトウ", "given_name_kana": "ジロウ",
        "phone": "090-1111-2222"})
    assert response.status_code == 302
    cart = Cart.objects.get()
    assert cart.customer.email == "new@example.jp" and cart_of(client) == {"LS-L": 1}


def test_a_merge_runs_once(shop, customer):
    browser = "0" * 32
    carts.cart_add(variant=shop.small, quantity=2, browser_id=browser)
    assert carts.cart_merge(customer=customer, browser_id=browser) is not None
    assert carts.cart_merge(customer=customer, browser_id=browser) is None
    assert CartLine.objects.get().quantity == 2 and len(events("orders.cart_merged")) == 1


def test_staff_signing_in_merge_nothing(shop, staff, client):
    add(client, "LS-S")
    user = staff.store_staff if hasattr(staff, "store_staff") else next(iter(staff.values()))
    carts.cart_merge_on_sign_in(sender=None, request=client.get(CART).wsgi_request, user=user)
    assert Cart.objects.filter(customer__isnull=True).count() == 1 and not Cart.objects.filter(
        customer__isnull=False).exists()


# --- tracking ---------------------------------------------------------------------------------

def test_a_browser_that_refuses_tracking_keeps_a_working_cart_and_no_timeline(shop, customer, customer_client):
    add(customer_client, "LS-S", 1, **{"Sec-GPC": "1"})
    add(customer_client, "LS-L", 1, DNT="1")
    assert cart_of(customer_client) == {"LS-S": 1, "LS-L": 1}
    assert [e["tracking"] for e in events()] == [False, False]
    assert not CustomerEvent.objects.filter(customer=customer, kind=EventKind.CART_ADDED).exists()


def test_merging_on_a_browser_that_refuses_tracking_writes_no_timeline(shop, customer, client):
    add(client, "LS-L", 1)
    client.post(reverse("storefront:login"), {"username": "hanako@example.jp", "password": PASSWORD},
                headers={"Sec-GPC": "1"})
    assert cart_of(client) == {"LS-L": 1}
    assert events("orders.cart_merged")[0]["tracking"] is False
    assert not CustomerEvent.objects.filter(customer=customer, kind=EventKind.CART_ADDED).exists()


# --- limits, checkout, expiry -------------------------------------------------------------------

def test_a_cart_holds_at_most_max_cart_lines_items(shop, client, settings):
    settings.CART_MAX_LINES = 1
    add(client, "LS-S")
    response = client.post(ADD, {"sku": "LS-L", "quantity": "1"}, headers={"HX-Request": "true"})
    assert "notice--error" in response.content.decode()
    assert cart_of(client) == {"LS-S": 1}
    add(client, "LS-S", 2)  # a line already there still grows
    assert cart_of(client) == {"LS-S": 3}


def test_checkout_empties_the_cart_and_issues_a_new_token(shop, customer, customer_client):
    put_in_cart(customer_client, {"LS-S": 1})
    cart = Cart.objects.get()
    token = cart.checkout_token
    response = customer_client.post("/checkout/", {"method": "pickup", "location": "shibuya",
                                                   "checkout_token": token})
    order = Order.objects.get()
    assert response.status_code == 302 and order.checkout_token == token
    cart.refresh_from_db()
    assert cart_of(customer_client) == {} and cart.checkout_token != token
    assert events("orders.cart_checked_out") == [{"cart_id": cart.pk, "customer_id": customer.pk,
                                                  "order_id": order.pk, "number": order.number}]


def test_a_failed_checkout_leaves_the_cart_as_it_was(shop, customer, customer_client):
    put_in_cart(customer_client, {"LS-S": 50})  # more than any store holds
    token = Cart.objects.get().checkout_token
    response = customer_client.post("/checkout/", {"method": "pickup", "location": "shibuya",
                                                   "checkout_token": token})
    assert response.status_code == 422
    assert cart_of(customer_client) == {"LS-S": 50} and Cart.objects.get().checkout_token == token
    assert not Order.objects.exists() and not events("orders.cart_checked_out")


def test_stale_guest_carts_expire_and_customers_carts_stay(shop, customer, settings):
    settings.CART_GUEST_DAYS = 30
    carts.cart_add(variant=shop.small, quantity=1, browser_id="a" * 32)
    carts.cart_add(variant=shop.small, quantity=1, browser_id="b" * 32)
    carts.cart_add(variant=shop.small, quantity=1, customer=customer)
    old = timezone.now() - timedelta(days=31)
    Cart.objects.filter(browser_id="a" * 32).update(updated_at=old)
    Cart.objects.filter(customer=customer).update(updated_at=old)

    assert carts.carts_expire() == 1
    assert set(Cart.objects.values_list("browser_id", flat=True)) == {"b" * 32, None}
    assert [e["lines"] for e in events("orders.cart_expired")] == [1]
    assert carts.carts_expire() == 0  # nothing left to do: safe to run again


def test_the_expiry_job_is_scheduled_daily(db):
    from django_q.models import Schedule

    from orders.apps import ensure_schedules

    ensure_schedules(sender=None)
    schedule = Schedule.objects.get(name="orders.carts_expire")
    assert schedule.func == "orders.tasks.carts_expire" and schedule.schedule_type == Schedule.DAILY


# --- queries ------------------------------------------------------------------------------------

@pytest.mark.parametrize("lines", [1, 6])
def test_the_cart_page_costs_the_same_queries_however_many_lines(shop, customer, customer_client, lines,
                                                                 django_assert_max_num_queries):
    from .conftest import make_product

    items = {"LS-S": 1}
    for index in range(lines - 1):
        product = make_product(900 + index, with_photo=index % 2 == 0)
        items[product.variants.first().sku] = 1
    put_in_cart(customer_client, items)
    with django_assert_max_num_queries(12):
        response = customer_client.get(CART)
    assert len(response.context["lines"]) == lines


def test_the_header_badge_costs_no_query_for_a_browser_without_a_cart(shop, client, django_assert_num_queries):
    client.get("/")  # warm caches (brand theme, channels)
    with django_assert_num_queries(0):
        from django.template import Context, Template
        from django.test import RequestFactory

        request = RequestFactory().get("/")
        from django.contrib.auth.models import AnonymousUser

        request.user = AnonymousUser()
        html = Template("{% load storefront %}{% cart_count %}").render(Context({"request": request}))
    assert html == "0"
