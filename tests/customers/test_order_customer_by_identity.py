"""An order's email finds its customer through their identities too, not only their profile's
email column (customers.services.customer_get_or_create_for_order)."""

import pytest

from customers.identities import identity_add
from customers.models import Customer, Identity
from customers.services import customer_get_or_create_for_order
from orders import services as orders
from orders.services import ContactIn, FulfillmentIn, LineIn

pytestmark = pytest.mark.django_db


@pytest.fixture
def hanako(db):
    customer = customer_get_or_create_for_order(email="hanako@example.jp", family_name="山田")
    identity_add(customer=customer, kind="email", value="hanako.old@example.jp", source="staff")
    return customer


@pytest.mark.parametrize("email", ["hanako.old@example.jp", " Hanako.OLD@Example.jp ",
                                   "ｈａｎａｋｏ．ｏｌｄ＠ｅｘａｍｐｌｅ．ｊｐ"])
def test_an_email_known_as_an_identity_finds_its_customer(hanako, email):
    assert customer_get_or_create_for_order(email=email, family_name="山田") == hanako
    assert Customer.objects.count() == 1


def test_an_order_placed_with_an_identity_email_attaches_to_that_customer(shop, hanako):
    order = orders.order_place(channel=shop.web, customer=None, lines=[LineIn("LS-S", 1)],
                               fulfillment=FulfillmentIn("pickup", "shibuya"),
                               contact=ContactIn(email="Hanako.Old@example.jp", name="山田 花子"))
    assert order.customer == hanako
    assert Customer.objects.count() == 1
    assert list(hanako.orders.all()) == [order]


def test_the_profile_email_still_wins_and_a_new_email_still_makes_a_customer(hanako):
    other = customer_get_or_create_for_order(email="taro@example.jp", family_name="佐藤")
    assert other != hanako and other.email == "taro@example.jp"
    assert Identity.objects.filter(customer=other, kind="email", value="taro@example.jp").exists()
    assert customer_get_or_create_for_order(email="HANAKO@example.jp") == hanako
    assert Customer.objects.count() == 2
