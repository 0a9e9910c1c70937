"""Fixtures of the API tests: clients signed in as a role, customer accounts, orders."""

import pytest
from rest_framework.test import APIClient

from customers.services import customer_sign_up
from orders import services
from orders.services import ContactIn, FulfillmentIn, LineIn


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """The shop's users are created with passwords; PBKDF2 made each test spend seconds hashing."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def api():
    """``api(user)`` -> an APIClient authenticated as ``user`` (``api()`` -> anonymous)."""

    def make(user=None) -> APIClient:
        client = APIClient()
        if user is not None:
            client.force_authenticate(user=user)
        return client

    return make


@pytest.fixture
def make_customer(shop):
    def make(email: str = "hanako@example.jp", family_name: str = "山田", marketing: bool = True):
        user, customer = customer_sign_up(email=email, password="pass-Word-123", family_name=family_name,
                                          given_name="花子", phone="090-1234-5678", email_marketing=marketing,
                                          channel=shop.web)
        return user, customer

    return make


@pytest.fixture
def place(shop):
    """``place(location_code, sku="LS-S", quantity=1, customer=None)`` -> an order placed through the service."""

    def make(location: str = "shibuya", sku: str = "LS-S", quantity: int = 1, customer=None,
             email: str = "walkin@example.jp"):
        return services.order_place(channel=shop.web, customer=customer, lines=[LineIn(sku, quantity)],
                                    fulfillment=FulfillmentIn("pickup", location),
                                    contact=None if customer else ContactIn(email=email))

    return make

