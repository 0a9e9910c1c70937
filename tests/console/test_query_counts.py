"""Console pages run the same number of queries with few rows and with many."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from customers.models import EventKind
from customers.services import event_record
from inventory import services as inventory
from inventory.services import VariantIn
from inventory.validators import ean13_check_digit
from kernel.models import Location, LocationKind

from .conftest import place_pickup


def _count(client, url, **params):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(queries)


def _more_products(count: int, start: int = 100):
    store = Location.objects.get(code="shibuya")
    for i in range(start, start + count):
        digits = f"49000000{i:04d}"
        product = inventory.product_create(code=f"extra-{i}", name=f"追加商品{i}", category=f"cat-{i % 3}", variants=[
            VariantIn(sku=f"EX-{i}", barcode=digits + str(ean13_check_digit(digits)), price=1000, size="F")])
        inventory.stock_receive(variant=product.variants.get(), location=store, quantity=1)


@pytest.fixture(autouse=True)
def _plenty_of_stock(shop):
    for location in (shop.store_a, shop.store_b):
        inventory.stock_receive(variant=shop.small, location=location, quantity=20)


@pytest.fixture
def logged_in(client, staff):
    def login(role):
        client.force_login(staff[role])
        client.get(reverse("console:dashboard"))  # warm per-process caches (brand theme, content types)
        return client
    return login


def test_dashboard_query_count_does_not_grow(logged_in, shop, customer, pickups):
    client = logged_in("store_staff")
    few = _count(client, reverse("console:dashboard"))
    _more_products(6)
    for _ in range(4):
        place_pickup(shop, location=shop.store_a, customer=customer, channel=shop.pos_a)
    assert _count(client, reverse("console:dashboard")) == few


def test_pickup_desk_query_count_does_not_grow(logged_in, shop, customer, pickups):
    client = logged_in("store_staff")
    few = _count(client, reverse("console:pickup_desk"), status="all")
    searching = _count(client, reverse("console:pickup_desk"), status="all", q="サトウ")
    # a search reads the waiting matches' ids and the others' (each cut at the count cap) first
    assert searching == few + 2
    for _ in range(4):
        place_pickup(shop, location=shop.store_a, customer=customer)
    assert _count(client, reverse("console:pickup_desk"), status="all") == few
    assert _count(client, reverse("console:pickup_desk"), status="all", q="サトウ") == searching


def test_products_list_query_count_does_not_grow(logged_in, shop):
    client = logged_in("hq_marketer")
    few = _count(client, reverse("console:products"))
    _more_products(8)
    assert _count(client, reverse("console:products")) == few


def test_stock_list_query_count_does_not_grow(logged_in, shop):
    client = logged_in("administrator")
    few = _count(client, reverse("console:stock"))
    _more_products(8)
    Location.objects.create(code="kyoto", name="京都店", kind=LocationKind.STORE)
    assert _count(client, reverse("console:stock")) == few


def test_orders_list_query_count_does_not_grow(logged_in, shop, customer, pickups):
    client = logged_in("hq_marketer")
    few = _count(client, reverse("console:orders"))
    for _ in range(4):
        place_pickup(shop, location=shop.store_b, customer=customer)
    assert _count(client, reverse("console:orders")) == few


def test_customer_detail_query_count_does_not_grow(logged_in, shop, customer, pickups):
    client = logged_in("hq_marketer")
    url = reverse("console:customer_detail", kwargs={"pk": customer.pk})
    few = _count(client, url)
    for _ in range(3):
        place_pickup(shop, location=shop.store_b, customer=customer)
    event_record(customer=customer, kind=EventKind.STORE_VISIT, location=shop.store_a)
    event_record(customer=customer, kind=EventKind.EMAIL_OPENED, channel=shop.web)
    assert _count(client, url) == few
