"""The Django admin of the customers and orders domains: a profile changes through
``customer_update_profile`` (the console's and the API's service); orders are read-only."""

import pytest
from django.urls import reverse

from customers.models import Customer
from customers.services import customer_sign_up
from orders import services as orders
from orders.models import Order
from orders.services import FulfillmentIn, LineIn

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer(shop):
    _user, customer = customer_sign_up(email="hanako@example.jp", password="pass-Word-123", family_name="佐藤",
                                       given_name="花子", family_name_kana="サトウ", given_name_kana="ハナコ",
                                       phone="090-1234-5678", channel=shop.web)
    return customer


def _form(customer, **fields) -> dict:
    data = {name: getattr(customer, name) or "" for name in (
        "family_name", "given_name", "family_name_kana", "given_name_kana", "phone", "postal_code", "prefecture",
        "address", "preferred_size")}
    data.update({"favourite_location": "", "consent_records-TOTAL_FORMS": "0",
                 "consent_records-INITIAL_FORMS": "0"})
    data.update(fields)
    return data


def test_a_profile_changed_in_the_admin_follows_the_services_rules(customer, admin_client):
    url = reverse("admin:customers_customer_change", args=[customer.pk])
    response = admin_client.post(url, _form(customer, given_name_kana="はなこ", postal_code="1500001",
                                            email="someone-else@example.jp"))
    assert response.status_code == 302, response.context["adminform"].form.errors
    customer.refresh_from_db()
    assert (customer.given_name_kana, customer.postal_code) == ("ハナコ", "150-0001")
    assert customer.email == "hanako@example.jp"  # the login: not changed here


def test_customers_are_not_added_or_deleted_in_the_admin(customer, admin_client):
    assert admin_client.get(reverse("admin:customers_customer_add")).status_code == 403
    assert admin_client.post(reverse("admin:customers_customer_delete", args=[customer.pk]),
                             {"post": "yes"}).status_code == 403
    assert Customer.objects.filter(pk=customer.pk).exists()


def test_orders_cannot_be_deleted_in_the_admin(shop, admin_client):
    order = orders.order_place(channel=shop.web, lines=[LineIn(sku="LS-S", quantity=1)],
                               fulfillment=FulfillmentIn(method="pickup", location="shibuya"))
    assert admin_client.post(reverse("admin:orders_order_delete", args=[order.pk]), {"post": "yes"}).status_code == 403
    assert Order.objects.filter(pk=order.pk).exists()
