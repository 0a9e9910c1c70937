"""List endpoints answer in a constant number of queries, however many rows they show."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from customers.services import customer_sign_up
from inventory import services as inventory
from kernel.models import Location
from orders import services
from orders.services import ContactIn, FulfillmentIn, LineIn

pytestmark = pytest.mark.django_db


def ean13(number: int) -> str:
    body = f"490{number:09d}"
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


def add_products(start: int, count: int) -> None:
    locations = list(Location.objects.filter(code__in=["wh-kanto", "shibuya", "umeda"]))
    for n in range(start, start + count):
        product = inventory.product_create(
            code=f"p{n}", name=f"Product {n}",
            variants=[inventory.VariantIn(sku=f"P{n}-{size}", barcode=ean13(n * 10 + i), price=1000, size=size)
                      for i, size in enumerate(["S", "M", "L"])],
        )
        for variant in product.variants.all():
            for location in locations:
                inventory.stock_receive(variant=variant, location=location, quantity=30)


def add_orders(shop, start: int, count: int) -> None:
    for n in range(start, start + count):
        for location in ("shibuya", "umeda"):
            services.order_place(channel=shop.web, lines=[LineIn("P0-S", 1), LineIn("P0-M", 1)],
                                 fulfillment=FulfillmentIn("pickup", location),
                                 contact=ContactIn(email=f"buyer{n}@example.jp"))


def add_customers(start: int, count: int) -> None:
    for n in range(start, start + count):
        customer_sign_up(email=f"c{n}@example.jp", password="pass-Word-123", family_name=f"山田{n}",
                         email_marketing=bool(n % 2))


def queries_for(user, url: str) -> int:
    client = APIClient()
    client.force_authenticate(user=get_user_model().objects.get(pk=user.pk))  # fresh permission cache
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, {"page_size": 200})
    assert response.status_code == 200, response.content
    assert response.json()["count"] > 0
    return len(captured)


@pytest.mark.parametrize(
    ("who", "url", "grow"),
    [
        ("store_staff", "/api/v1/products/", "products"),
        ("customer", "/api/v1/products/", "products"),
        ("store_staff", "/api/v1/variants/", "products"),
        ("store_staff", "/api/v1/locations/", "products"),
        ("store_staff", "/api/v1/stock-levels/", "products"),
        ("hq_marketer", "/api/v1/stock-levels/", "products"),
        ("hq_marketer", "/api/v1/orders/", "orders"),
        ("store_staff", "/api/v1/orders/", "orders"),
        ("store_staff", "/api/v1/customers/", "customers"),
    ],
)
def test_list_endpoint_query_count_does_not_grow_with_rows(shop, staff, who, url, grow, django_assert_num_queries):
    user = staff[who]
    add_products(0, 2)
    if grow == "orders":
        add_orders(shop, 0, 1)
    if grow == "customers":
        add_customers(0, 2)
    few = queries_for(user, url)

    if grow == "products":
        add_products(2, 12)
    elif grow == "orders":
        add_orders(shop, 1, 12)
    else:
        add_customers(2, 12)
    fresh = get_user_model().objects.get(pk=user.pk)
    client = APIClient()
    client.force_authenticate(user=fresh)
    with django_assert_num_queries(few):
        response = client.get(url, {"page_size": 200})
    assert response.status_code == 200


def test_me_query_count_does_not_grow_with_orders(shop, django_assert_num_queries):
    add_products(0, 1)
    user, customer = customer_sign_up(email="me@example.jp", password="pass-Word-123", family_name="山田")
    services.order_place(channel=shop.web, customer=customer, lines=[LineIn("P0-S", 1)],
                         fulfillment=FulfillmentIn("pickup", "shibuya"))
    client = APIClient()
    client.force_authenticate(user=get_user_model().objects.get(pk=user.pk))
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/api/v1/me/").status_code == 200
    few = len(captured)
    for _ in range(8):
        services.order_place(channel=shop.web, customer=customer, lines=[LineIn("P0-S", 1), LineIn("P0-L", 1)],
                             fulfillment=FulfillmentIn("pickup", "umeda"))
    client = APIClient()
    client.force_authenticate(user=get_user_model().objects.get(pk=user.pk))
    with django_assert_num_queries(few):
        body = client.get("/api/v1/me/").json()
    assert len(body["orders"]) == 9
