"""POST /api/v1/orders/ with an Idempotency-Key: one order per key, replays, 422 on reuse."""

import threading
from datetime import timedelta

import pytest
from django.db import close_old_connections, connection
from django.utils import timezone
from django_q.models import Schedule

from inventory.models import StockLevel
from inventory.services import stock_receive
from kernel.api import idempotency_records_purge
from kernel.models import IdempotencyRecord
from kernel.tasks import idempotency_records_expire
from orders.models import Order

from .payloads import pos_pickup_body

pytestmark = pytest.mark.django_db

URL = "/api/v1/orders/"


def post(client, body, key):
    return client.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_same_key_and_body_twice_creates_one_order_and_replays_the_same_answer(shop, staff, api):
    client = api(staff["store_staff"])
    first = post(client, pos_pickup_body(), "key-1")
    second = post(client, pos_pickup_body(), "key-1")

    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert Order.objects.count() == 1
    assert StockLevel.objects.get(variant=shop.small, location=shop.store_a).reserved == 1


def test_key_order_in_json_object_does_not_change_the_fingerprint(shop, staff, api):
    client = api(staff["store_staff"])
    body = pos_pickup_body()
    reordered = dict(reversed(list(body.items())))
    assert post(client, body, "k").status_code == 201
    assert post(client, reordered, "k").status_code == 201
    assert Order.objects.count() == 1


def test_same_key_with_a_different_body_is_422_and_creates_nothing_more(shop, staff, api):
    client = api(staff["store_staff"])
    first = post(client, pos_pickup_body(), "key-1")
    other = post(client, pos_pickup_body(lines=[{"sku": "LS-L", "quantity": 1}]), "key-1")

    assert first.status_code == 201
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_key_reused"
    assert Order.objects.count() == 1


def test_keys_belong_to_the_caller(shop, staff, api):
    assert post(api(staff["store_staff"]), pos_pickup_body(), "shared").status_code == 201
    assert post(api(staff["administrator"]), pos_pickup_body(), "shared").status_code == 201
    assert Order.objects.count() == 2


def test_a_failed_attempt_is_not_stored_so_the_key_can_be_retried(shop, staff, api):
    client = api(staff["store_staff"])
    body = pos_pickup_body(lines=[{"sku": "LS-S", "quantity": 5}])
    assert post(client, body, "retry-me").status_code == 409
    assert not IdempotencyRecord.objects.exists()

    stock_receive(variant=shop.small, location=shop.store_a, quantity=5, reference="PO-2")
    assert post(client, body, "retry-me").status_code == 201
    assert Order.objects.count() == 1


def test_without_a_key_each_post_is_a_new_order(shop, staff, api):
    client = api(staff["store_staff"])
    assert client.post(URL, pos_pickup_body(), format="json").status_code == 201
    assert client.post(URL, pos_pickup_body(), format="json").status_code == 201
    assert Order.objects.count() == 2


def test_overlong_key_is_a_400(shop, staff, api):
    response = post(api(staff["store_staff"]), pos_pickup_body(), "k" * 256)
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["errors"]
    assert not Order.objects.exists()


def age(key: str, hours: float) -> None:
    IdempotencyRecord.objects.filter(key=key).update(created_at=timezone.now() - timedelta(hours=hours))


def test_the_daily_purge_forgets_keys_older_than_24_hours_and_keeps_newer_ones(shop, staff, api):
    client = api(staff["store_staff"])
    for key in ("old", "recent"):
        assert post(client, pos_pickup_body(), key).status_code == 201
    age("old", 25)
    age("recent", 23)

    assert idempotency_records_expire() == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["recent"]
    assert idempotency_records_expire() == 0  # safe to run again
    assert post(client, pos_pickup_body(), "recent")["Idempotent-Replayed"] == "true"


def test_the_purge_works_through_many_records_in_batches(shop, staff, api):
    client = api(staff["store_staff"])
    for index in range(3):
        post(client, pos_pickup_body(), f"k{index}")
    IdempotencyRecord.objects.update(created_at=timezone.now() - timedelta(days=2))

    assert idempotency_records_purge(batch_size=2) == 3
    assert not IdempotencyRecord.objects.exists()


def test_the_purge_is_scheduled_daily_after_migrate(db):
    [schedule] = Schedule.objects.filter(func="kernel.tasks.idempotency_records_expire")
    assert schedule.schedule_type == Schedule.DAILY and schedule.repeats == -1


on_postgres = pytest.mark.skipif(connection.vendor != "postgresql",
                                 reason="concurrent duplicates are proven on PostgreSQL (set DATABASE_URL)")


@on_postgres
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_duplicates_create_exactly_one_order_on_postgresql(shop, staff, api):
    user = staff["store_staff"]
    racers = 6
    barrier = threading.Barrier(racers)
    statuses: list[int] = []
    bodies: list[dict] = []
    lock = threading.Lock()

    def send() -> None:
        try:
            client = api(user)
            barrier.wait(timeout=10)
            response = post(client, pos_pickup_body(), "same-key")
            with lock:
                statuses.append(response.status_code)
                bodies.append(response.json())
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert statuses == [201] * racers, bodies
    assert len({body["number"] for body in bodies}) == 1
    assert Order.objects.count() == 1
    assert StockLevel.objects.get(variant=shop.small, location=shop.store_a).reserved == 1
