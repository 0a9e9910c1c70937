"""No GET writes: every page and API read, opened by each kind of user, sends no INSERT, UPDATE
or DELETE to the database. What a page wants recorded (a product view) it posts afterwards.

Left out on purpose: ``django_session`` (Django saves a session that a request touched, e.g. the
flash messages being read; that is the HTTP layer's state, not domain data) and the login
pages' POSTs (``last_login``, the failed-login counters), which are not GETs."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.console.conftest import place_delivery

pytestmark = pytest.mark.django_db

WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE|REPLACE|MERGE)\b", re.IGNORECASE)
OUTSIDE_THE_DOMAIN = ("django_session",)


def _writes(queries) -> list[str]:
    return [q["sql"] for q in queries
            if WRITE.match(q["sql"]) and not any(table in q["sql"] for table in OUTSIDE_THE_DOMAIN)]


@pytest.fixture
def world(shop, staff, customer, pickups):
    shipment = place_delivery(shop, customer=customer).fulfillments.get()
    return {"shop": shop, "staff": staff, "customer": customer, "pickups": pickups, "shipment": shipment}


def storefront_pages(w) -> list[str]:
    order = w["pickups"]["a"].number
    return [
        reverse("storefront:home"),
        reverse("storefront:catalogue"),
        reverse("storefront:catalogue") + "?q=シャツ",
        reverse("storefront:product", kwargs={"code": "linen-shirt"}),
        reverse("storefront:product", kwargs={"code": "linen-shirt"}) + "?sku=LS-L",
        reverse("storefront:cart"),
        reverse("storefront:checkout"),
        reverse("storefront:account"),
        reverse("storefront:signup"),
        reverse("storefront:login"),
        reverse("storefront:consent"),
        reverse("storefront:order", kwargs={"number": order}),
        reverse("storefront:receipt", kwargs={"number": order}),
    ]


def console_pages(w) -> list[str]:
    shop, customer = w["shop"], w["customer"]
    return [
        reverse("console:dashboard"),
        reverse("console:products"),
        reverse("console:products") + "?q=シャツ",
        reverse("console:product_create"),
        reverse("console:product_detail", kwargs={"pk": shop.product.pk}),
        reverse("console:product_edit", kwargs={"code": shop.product.code}),
        reverse("console:product_lint") + "?description=激安",
        reverse("console:stock"),
        reverse("console:stock_receive"),
        reverse("console:stock_adjust"),
        reverse("console:ledger"),
        reverse("console:pickup_desk"),
        reverse("console:orders"),
        reverse("console:order_detail", kwargs={"number": w["pickups"]["a"].number}),
        reverse("console:shipments"),
        reverse("console:customers"),
        reverse("console:customers") + "?q=サトウ",
        reverse("console:customer_detail", kwargs={"pk": customer.pk}),
        reverse("console:customer_edit", kwargs={"pk": customer.pk}),
        reverse("console:login"),
    ]


def api_reads(w) -> list[str]:
    customer = w["customer"]
    return [
        "/api/v1/products/", "/api/v1/products/linen-shirt/", "/api/v1/products/linen-shirt/availability/",
        "/api/v1/variants/", "/api/v1/variants/LS-S/", "/api/v1/locations/", "/api/v1/stock-levels/",
        "/api/v1/customers/", f"/api/v1/customers/{customer.pk}/", f"/api/v1/customers/{customer.pk}/events/",
        "/api/v1/orders/", f"/api/v1/orders/{w['pickups']['a'].number}/", "/api/v1/me/", "/api/v1/me/consent/",
    ]


def admin_pages(w) -> list[str]:
    shop = w["shop"]
    return [
        reverse("admin:index"),
        reverse("admin:inventory_product_changelist"),
        reverse("admin:inventory_product_change", args=[shop.product.pk]),
        reverse("admin:omnishop_location_changelist"),
        reverse("admin:inventory_stocklevel_changelist"),
        reverse("admin:customers_customer_changelist"),
        reverse("admin:customers_customer_change", args=[w["customer"].pk]),
        reverse("admin:orders_order_changelist"),
        reverse("admin:orders_order_change", args=[w["pickups"]["a"].pk]),
    ]


WHO = ["anonymous", "customer", "store_staff", "warehouse_operator", "hq_marketer", "administrator"]


def _sign_in(client, w, who):
    if who == "customer":
        client.force_login(w["customer"].user)
    elif who != "anonymous":
        client.force_login(w["staff"][who])


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize("pages", [storefront_pages, console_pages, api_reads])
def test_no_page_or_api_read_writes_to_the_database(client, world, who, pages):
    _sign_in(client, world, who)
    written = {}
    for url in pages(world):
        for headers in ({}, {"HX-Request": "true"}):
            with CaptureQueriesContext(connection) as queries:
                response = client.get(url, headers=headers)
            assert response.status_code < 500, url
            if writes := _writes(queries.captured_queries):
                written[url] = writes
    assert written == {}


def test_no_admin_page_writes_to_the_database(admin_client, world):
    written = {}
    for url in admin_pages(world):
        with CaptureQueriesContext(connection) as queries:
            response = admin_client.get(url)
        assert response.status_code == 200, url
        if writes := _writes(queries.captured_queries):
            written[url] = writes
    assert written == {}


def test_the_product_page_of_a_signed_in_customer_writes_nothing_until_its_beacon(client, world):
    """The case that used to write: the product page recorded the view in its GET."""
    client.force_login(world["customer"].user)
    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("storefront:product", kwargs={"code": "linen-shirt"}))
    assert _writes(queries.captured_queries) == []
    with CaptureQueriesContext(connection) as queries:
        client.post(reverse("storefront:product_viewed", kwargs={"code": "linen-shirt"}))
    assert len(_writes(queries.captured_queries)) == 1
