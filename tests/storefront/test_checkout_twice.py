"""A checkout submitted twice (a double click, a retried request, the back button) places
one order: the form carries a one-time checkout token, the order keeps it under a unique
constraint, and the second submission is shown the first order instead of a second one.

Concurrent submissions are real: threads with their own connections on PostgreSQL,
separate processes on a WAL file on SQLite (as gunicorn workers share it).
"""

import json
import re
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import close_old_connections, connection
from django.test import Client

from inventory.models import Reservation, StockLevel
from orders.models import Order
from tests.racing import wal_copy_of_test_database

from .conftest import cart_of, put_in_cart

ROOT = Path(__file__).resolve().parents[2]
CHECKOUT = "/checkout/"
PICKUP = {"method": "pickup", "location": "shibuya"}


def form_token(client) -> str:
    """The checkout token of the form the customer sees."""
    html = client.get(CHECKOUT).content.decode()
    match = re.search(r'name="checkout_token" value="([^"]+)"', html)
    assert match, "the checkout form carries no checkout token"
    return match.group(1)


def reserved(shop) -> int:
    return StockLevel.objects.get(variant=shop.small, location=shop.store_a).reserved


@pytest.mark.django_db
def test_the_same_checkout_submitted_again_shows_the_first_order(shop, customer, customer_client):
    put_in_cart(customer_client, {"LS-S": 1})
    token = form_token(customer_client)

    first = customer_client.post(CHECKOUT, {**PICKUP, "checkout_token": token})
    order = Order.objects.get(customer=customer)
    assert first.status_code == 302 and first["Location"] == order.get_absolute_url()

    # The second request of a double click (the cart is empty by then).
    second = customer_client.post(CHECKOUT, {**PICKUP, "checkout_token": token})
    assert second.status_code == 302 and second["Location"] == order.get_absolute_url()
    # The back button after the cart was emptied: the same form again.
    third = customer_client.post(CHECKOUT, {**PICKUP, "checkout_token": token})
    assert third.status_code == 302 and third["Location"] == order.get_absolute_url()

    assert Order.objects.count() == 1
    assert reserved(shop) == 1 and Reservation.objects.count() == 1
    assert cart_of(customer_client) == {}


@pytest.mark.django_db
def test_a_new_checkout_after_an_order_gets_a_new_token(shop, customer, customer_client):
    put_in_cart(customer_client, {"LS-S": 1})
    token = form_token(customer_client)
    customer_client.post(CHECKOUT, {**PICKUP, "checkout_token": token})

    put_in_cart(customer_client, {"LS-S": 1})
    second_token = form_token(customer_client)
    assert second_token != token
    response = customer_client.post(CHECKOUT, {**PICKUP, "checkout_token": second_token})
    assert response.status_code == 302
    assert Order.objects.filter(customer=customer).count() == 2
    assert reserved(shop) == 2


@pytest.mark.django_db
def test_another_customers_checkout_token_places_nothing_and_shows_nothing(shop, customer, customer_client):
    from customers.services import customer_sign_up

    put_in_cart(customer_client, {"LS-S": 1})
    token = form_token(customer_client)
    customer_client.post(CHECKOUT, {**PICKUP, "checkout_token": token})
    first = Order.objects.get(customer=customer)

    other_user, _other = customer_sign_up(email="taro@example.jp", password="pass-Word-123", family_name="佐藤")
    other = Client()
    other.force_login(other_user)
    put_in_cart(other, {"LS-S": 1})
    response = other.post(CHECKOUT, {**PICKUP, "checkout_token": token})
    assert response.status_code == 422
    assert first.number not in response.content.decode()
    assert Order.objects.count() == 1 and reserved(shop) == 1


@pytest.mark.django_db
def test_the_place_order_button_says_it_is_working_while_submitting(shop, customer_client):
    put_in_cart(customer_client, {"LS-S": 1})
    html = customer_client.get(CHECKOUT).content.decode()
    assert "data-submit-once" in html
    assert 'data-busy-label="注文を確定しています…"' in html  # "Placing your order…"
    script = (ROOT / "static" / "js" / "storefront.js").read_text()
    assert "data-submit-once" in script and "disabled" in script


def cookies_of(client) -> dict[str, str]:
    return {name: morsel.value for name, morsel in client.cookies.items()}


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="threads with their own connections need PostgreSQL")
def test_two_concurrent_submissions_of_one_checkout_make_one_order_on_postgresql(transactional_db):
    from customers.services import customer_sign_up
    from tests.builders import build_shop

    shop = build_shop()
    user, customer = customer_sign_up(email="hanako@example.jp", password="pass-Word-123", family_name="山田")
    browser = Client()
    browser.force_login(user)
    put_in_cart(browser, {"LS-S": 1})
    token = form_token(browser)
    cookies = cookies_of(browser)
    barrier = threading.Barrier(2)
    answers: list[tuple[int, str]] = []

    def submit() -> None:
        try:
            tab = Client()
            tab.cookies.load(cookies)
            barrier.wait(timeout=10)
            response = tab.post(CHECKOUT, {**PICKUP, "checkout_token": token})
            answers.append((response.status_code, response.get("Location", "")))
        except Exception as exc:  # noqa: BLE001 - shown by the assertion
            answers.append((0, repr(exc)))
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    orders = list(Order.objects.filter(customer=customer))
    assert len(orders) == 1, answers
    assert answers == [(302, orders[0].get_absolute_url())] * 2
    assert reserved(shop) == 1 and Reservation.objects.count() == 1


SUBMITTER = """
import json, sys, time
import django
django.setup()
from django.test import Client
cookies, token, start = json.loads(sys.argv[1]), sys.argv[2], float(sys.argv[3])
tab = Client()
tab.cookies.load(cookies)
time.sleep(max(0.0, start - time.time()))
response = tab.post("/checkout/", {"method": "pickup", "location": "shibuya", "checkout_token": token})
print(json.dumps([response.status_code, response.get("Location", "")]))
"""


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite variant runs on SQLite only")
def test_two_concurrent_submissions_of_one_checkout_make_one_order_on_sqlite(transactional_db, tmp_path):
    from customers.services import customer_sign_up
    from tests.builders import build_shop

    shop = build_shop()
    user, customer = customer_sign_up(email="hanako@example.jp", password="pass-Word-123", family_name="山田")
    browser = Client()
    browser.force_login(user)
    put_in_cart(browser, {"LS-S": 1})
    token = form_token(browser)
    path, env = wal_copy_of_test_database(tmp_path, "checkout.sqlite3", SECRET_KEY=settings.SECRET_KEY)
    start = time.time() + 3.0  # both have imported Django by then
    submitters = [subprocess.Popen([sys.executable, "-c", SUBMITTER, json.dumps(cookies_of(browser)), token,
                                    str(start)], cwd=ROOT, env=env, text=True,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)]
    answers = []
    for submitter in submitters:
        out, err = submitter.communicate(timeout=60)
        assert submitter.returncode == 0, err
        answers.append(json.loads(out.strip().splitlines()[-1]))

    raced = sqlite3.connect(path)
    numbers = [row[0] for row in raced.execute("select number from orders_order where customer_id = ?",
                                               (customer.pk,))]
    (held,) = raced.execute("select reserved from inventory_stocklevel where variant_id = ? and location_id = ?",
                            (shop.small.pk, shop.store_a.pk)).fetchone()
    raced.close()
    close_old_connections()
    assert len(numbers) == 1, answers
    assert answers == [[302, f"/account/orders/{numbers[0]}/"]] * 2
    assert held == 1
