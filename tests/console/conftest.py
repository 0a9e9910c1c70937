"""Console test data: pickup orders at both stores, built through the order services."""

import pytest

from customers.services import customer_sign_up
from orders import services as orders
from orders.services import FulfillmentIn, LineIn


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """Console tests log in many users; a cheap hasher keeps the role matrix quick."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def place_pickup(shop, *, location, customer=None, sku="LS-S", channel=None):
    return orders.order_place(channel=channel or shop.web, customer=customer, lines=[LineIn(sku=sku, quantity=1)],
                              fulfillment=FulfillmentIn(method="pickup", location=location.code))


@pytest.fixture
def customer(shop):
    _user, customer = customer_sign_up(email="hanako@example.jp", password="pass-Word-123", family_name="佐藤",
                                       given_name="花子", family_name_kana="サトウ", given_name_kana="ハナコ",
                                       phone="090-1234-5678", email_marketing=True, channel=shop.web)
    return customer


@pytest.fixture
def pickups(shop, customer):
    """One pickup order waiting at store A and one at store B."""
    order_a = place_pickup(shop, location=shop.store_a, customer=customer)
    order_b = place_pickup(shop, location=shop.store_b, customer=customer, sku="LS-L")
    return {"a": order_a, "b": order_b}


SHIP_TO = {"name": "山田 太郎", "postal_code": "150-0001", "prefecture": "13", "city": "渋谷区",
           "line1": "神宮前1-2-3", "phone": "090-1111-2222"}


def place_delivery(shop, *, customer=None, sku="LS-S", location=None, address=None):
    return orders.order_place(channel=shop.web, customer=customer, lines=[LineIn(sku=sku, quantity=1)],
                              fulfillment=FulfillmentIn(method="ship", location=(location or shop.warehouse).code,
                                                        address=address or SHIP_TO))


@pytest.fixture
def shipment(shop, customer):
    """A delivery order reserved at the warehouse, waiting to be shipped."""
    return place_delivery(shop, customer=customer).fulfillments.get()
