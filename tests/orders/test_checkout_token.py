"""order_place with a checkout token: the same checkout places one order, however often and
however concurrently it is submitted (the storefront's double-submit guard)."""

import threading
import time

import pytest
from django.db import connection, transaction

from customers.services import customer_sign_up
from inventory.models import Reservation, StockLevel
from orders import services
from orders.errors import InvalidOrder
from orders.models import Order
from orders.services import FulfillmentIn, LineIn

TOKEN = "k3Jd0xq-Vb8fT2mN_4pLzRw7YhC9sEaU"


def place(shop, customer, token=TOKEN):
    return services.order_place(channel=shop.web, customer=customer, lines=[LineIn("LS-S", 1)],
                                fulfillment=FulfillmentIn("pickup", "shibuya"), checkout_token=token)


def hanako():
    return customer_sign_up(email="hanako@example.jp", password="pass-Word-123", family_name="山田")[1]


@pytest.mark.django_db
def test_placing_the_same_checkout_again_returns_the_first_order(shop):
    customer = hanako()
    first = place(shop, customer)
    assert place(shop, customer) == first
    assert Order.objects.count() == 1 and Reservation.objects.count() == 1
    assert StockLevel.objects.get(variant=shop.small, location=shop.store_a).reserved == 1
    assert place(shop, customer, token="another-token-of-hanako-0001") != first


@pytest.mark.django_db
def test_another_customers_checkout_token_is_refused(shop):
    place(shop, hanako())
    taro = customer_sign_up(email="taro@example.jp", password="pass-Word-123", family_name="佐藤")[1]
    with pytest.raises(InvalidOrder) as refused:
        place(shop, taro)
    assert "checkout_token" in refused.value.errors
    assert Order.objects.count() == 1


@pytest.mark.django_db
def test_a_checkout_token_needs_the_customer(shop):
    with pytest.raises(ValueError):
        place(shop, None)


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="threads with their own connections need PostgreSQL")
def test_a_submission_waiting_on_the_first_returns_its_order_once_it_commits(transactional_db):
    """The second submission gets past the "already placed?" check while the first has not
    committed yet; the unique token makes it wait, then it returns the first order."""
    from tests.builders import build_shop

    shop = build_shop()
    customer = hanako()
    inserted = threading.Event()
    results: dict[str, object] = {}

    def first() -> None:
        try:
            with transaction.atomic():  # the request's transaction stays open a little longer
                results["first"] = place(shop, customer)
                inserted.set()
                time.sleep(1.0)
        finally:
            inserted.set()
            connection.close()

    def second() -> None:
        try:
            inserted.wait(timeout=10)
            results["second"] = place(shop, customer)
        except Exception as exc:  # noqa: BLE001 - shown by the assertion
            results["second"] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert results["second"] == results["first"], results
    assert Order.objects.count() == 1 and Reservation.objects.count() == 1
    assert StockLevel.objects.get(variant=shop.small, location=shop.store_a).reserved == 1
