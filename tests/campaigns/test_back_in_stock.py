"""Back-in-stock subscriptions (campaigns.backinstock): one open subscription per customer,
variant and place (a database constraint), subscribing refused with the reason (discontinued, in
stock now, orderable now), and the journey's side: who is waiting when stock comes back at a store
or online, and "notified once" however often the marking is repeated."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import translation

from campaigns.backinstock import (
    back_in_stock_cancel,
    back_in_stock_mark_notified,
    back_in_stock_still_available,
    back_in_stock_subscribe,
    back_in_stock_waiting,
    is_available,
)
from campaigns.errors import BackInStockRefused
from campaigns.models import BackInStockSubscription
from customers.services import customer_sign_up
from inventory import services as inventory
from tests.builders import build_shop

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    """The messages are checked in English (the msgids): whether the Japanese catalogue is compiled
    in this checkout does not matter here (tests/omnishop/test_i18n.py checks the Japanese)."""
    with translation.override("en"):
        yield


@pytest.fixture
def shop(db):
    """Sold out online (the warehouse ships, and has none) and at store A; two of each size at store B."""
    return build_shop(stock_a=0, stock_b=2, stock_warehouse=0)


def sign_up(email: str, name: str = "花子"):
    return customer_sign_up(email=email, password="pass-Word-123", family_name="山田", given_name=name)[1]


@pytest.fixture
def hanako(shop):
    return sign_up("hanako@example.jp")


def subscribe(customer, variant, location=None):
    return back_in_stock_subscribe(customer=customer, variant=variant, location=location, source="storefront")


# --- the model's constraint --------------------------------------------------------------------

def test_the_database_keeps_one_open_subscription_per_customer_variant_and_store(shop, hanako):
    BackInStockSubscription.objects.create(customer=hanako, variant=shop.small, location=shop.store_a)
    with pytest.raises(IntegrityError), transaction.atomic():
        BackInStockSubscription.objects.create(customer=hanako, variant=shop.small, location=shop.store_a)


def test_the_database_keeps_one_open_online_subscription_too(shop, hanako):
    """NULL locations are distinct in a plain unique constraint: the online one has its own."""
    BackInStockSubscription.objects.create(customer=hanako, variant=shop.small)
    with pytest.raises(IntegrityError), transaction.atomic():
        BackInStockSubscription.objects.create(customer=hanako, variant=shop.small)


def test_a_notified_or_cancelled_subscription_does_not_block_a_new_one(shop, hanako):
    first = BackInStockSubscription.objects.create(customer=hanako, variant=shop.small, location=shop.store_a)
    back_in_stock_mark_notified(subscription_ids=[first.pk])
    second = BackInStockSubscription.objects.create(customer=hanako, variant=shop.small, location=shop.store_a)
    back_in_stock_cancel(subscription=second)
    BackInStockSubscription.objects.create(customer=hanako, variant=shop.small, location=shop.store_a)
    assert BackInStockSubscription.objects.filter(customer=hanako).count() == 3
    assert BackInStockSubscription.objects.open().count() == 1


# --- subscribing ------------------------------------------------------------------------------------

def test_subscribing_twice_returns_the_open_subscription(shop, hanako):
    first, created = subscribe(hanako, shop.small, shop.store_a)
    again, created_again = subscribe(hanako, shop.small, shop.store_a)
    assert created and not created_again and again.pk == first.pk
    online, created_online = subscribe(hanako, shop.small)  # online is another place
    assert created_online and online.pk != first.pk and online.location is None


def test_a_discontinued_product_is_refused_with_the_reason(shop, hanako):
    inventory.product_update(product=shop.product, is_active=False)
    shop.small.refresh_from_db()
    with pytest.raises(BackInStockRefused) as refused:
        subscribe(hanako, shop.small, shop.store_a)
    assert refused.value.reason == "discontinued"
    assert "リネンシャツ" in str(refused.value) and "no longer sold" in str(refused.value)
    assert not BackInStockSubscription.objects.exists()


def test_in_stock_now_is_refused_saying_to_buy_it(shop, hanako):
    with pytest.raises(BackInStockRefused) as refused:
        subscribe(hanako, shop.small, shop.store_b)  # two at store B
    assert refused.value.reason == "in_stock" and "梅田店" in str(refused.value)
    inventory.stock_receive(variant=shop.small, location=shop.warehouse, quantity=1)
    with pytest.raises(BackInStockRefused) as online:
        subscribe(hanako, shop.small)
    assert online.value.reason == "in_stock" and "cart" in str(online.value)
    assert not BackInStockSubscription.objects.exists()


def test_stock_held_back_as_safety_or_reserved_does_not_count_as_in_stock(shop, hanako):
    inventory.stock_receive(variant=shop.small, location=shop.store_a, quantity=1)
    inventory.stock_reserve(location=shop.store_a, lines=[(shop.small, 1)], reference="hold")
    subscription, created = subscribe(hanako, shop.small, shop.store_a)
    assert created


def test_a_backorder_product_is_orderable_now(shop, hanako):
    inventory.product_update(product=shop.product, stock_policy="backorder")
    shop.small.refresh_from_db()
    with pytest.raises(BackInStockRefused) as refused:
        subscribe(hanako, shop.small, shop.store_a)
    assert refused.value.reason == "orderable"


def test_a_place_customers_cannot_use_is_refused(shop, hanako):
    with pytest.raises(BackInStockRefused) as refused:
        subscribe(hanako, shop.small, shop.warehouse)
    assert refused.value.reason == "not_a_store"


def test_cancel_stops_waiting_and_changes_nothing_the_second_time(shop, hanako):
    subscription, _ = subscribe(hanako, shop.small, shop.store_a)
    back_in_stock_cancel(subscription=subscription, acting_user=hanako.user)
    first = subscription.cancelled_at
    assert first is not None and subscription.cancelled_by == hanako.user
    back_in_stock_cancel(subscription=subscription)
    subscription.refresh_from_db()
    assert subscription.cancelled_at == first
    assert not back_in_stock_waiting(variant_id=shop.small.pk, location_id=shop.store_a.pk).exists()


# --- the journey's side --------------------------------------------------------------------------

def test_waiting_at_a_store_is_that_stores_subscriptions_only(shop, hanako):
    taro = sign_up("taro@example.jp", "太郎")
    at_a, _ = subscribe(hanako, shop.small, shop.store_a)
    online, _ = subscribe(taro, shop.small)
    other_size, _ = subscribe(taro, shop.large, shop.store_a)
    waiting = list(back_in_stock_waiting(variant_id=shop.small.pk, location_id=shop.store_a.pk))
    assert waiting == [at_a]  # store A does not ship orders: the online one is not satisfied by it
    assert other_size not in waiting and online not in waiting


def test_waiting_at_a_shipping_location_is_the_online_subscriptions(shop, hanako):
    taro = sign_up("taro@example.jp", "太郎")
    at_a, _ = subscribe(hanako, shop.small, shop.store_a)
    online, _ = subscribe(taro, shop.small)
    later, _ = subscribe(hanako, shop.small)
    assert list(back_in_stock_waiting(variant_id=shop.small.pk, location_id=shop.warehouse.pk)) == [online, later]
    assert list(back_in_stock_waiting(variant_id=shop.small.pk, location_id=None)) == [online, later]
    assert at_a not in back_in_stock_waiting(variant_id=shop.small.pk, location_id=None)


def test_a_store_that_ships_orders_satisfies_both(shop, hanako):
    from inventory.services import location_update

    location_update(location=shop.store_a, ships_orders=True)
    taro = sign_up("taro@example.jp", "太郎")
    at_a, _ = subscribe(hanako, shop.small, shop.store_a)
    online, _ = subscribe(taro, shop.small)
    assert set(back_in_stock_waiting(variant_id=shop.small.pk, location_id=shop.store_a.pk)) == {at_a, online}


def test_waiting_brings_its_rows_in_one_query(shop, hanako, django_assert_num_queries):
    for index in range(5):
        subscribe(sign_up(f"c{index}@example.jp"), shop.small, shop.store_a)
    with django_assert_num_queries(2):  # the location's "ships orders", then the rows with what they need
        rows = list(back_in_stock_waiting(variant_id=shop.small.pk, location_id=shop.store_a.pk))
        names = [(row.customer.email, row.variant.product.name, row.location.name) for row in rows]
    assert len(names) == 5


def test_mark_notified_marks_each_subscription_once(shop, hanako):
    taro = sign_up("taro@example.jp", "太郎")
    one, _ = subscribe(hanako, shop.small, shop.store_a)
    two, _ = subscribe(taro, shop.small, shop.store_a)
    assert back_in_stock_mark_notified(subscription_ids=[one.pk]) == 1
    assert back_in_stock_mark_notified(subscription_ids=[one.pk]) == 0  # a retried job
    assert back_in_stock_mark_notified(subscription_ids=[one.pk, two.pk]) == 1  # only the one left
    assert back_in_stock_mark_notified(subscription_ids=[one.pk, two.pk]) == 0
    assert back_in_stock_mark_notified(subscription_ids=[]) == 0
    one.refresh_from_db()
    notified = one.notified_at
    back_in_stock_mark_notified(subscription_ids=[one.pk])
    one.refresh_from_db()
    assert one.notified_at == notified  # the first time stays
    assert not back_in_stock_waiting(variant_id=shop.small.pk, location_id=shop.store_a.pk).exists()


def test_a_cancelled_subscription_is_never_marked(shop, hanako):
    subscription, _ = subscribe(hanako, shop.small, shop.store_a)
    back_in_stock_cancel(subscription=subscription)
    assert back_in_stock_mark_notified(subscription_ids=[subscription.pk]) == 0


def test_still_available_rechecks_stock_product_and_state(shop, hanako):
    subscription, _ = subscribe(hanako, shop.small, shop.store_a)
    assert not back_in_stock_still_available(subscription)
    inventory.stock_receive(variant=shop.small, location=shop.store_a, quantity=1)
    assert is_available(variant_id=shop.small.pk, location_id=shop.store_a.pk)
    assert back_in_stock_still_available(subscription)
    inventory.stock_reserve(location=shop.store_a, lines=[(shop.small, 1)], reference="sold again")
    assert not back_in_stock_still_available(subscription)  # sold before the send
    inventory.stock_receive(variant=shop.small, location=shop.store_a, quantity=1)
    inventory.product_update(product=shop.product, is_active=False)
    assert not back_in_stock_still_available(subscription)  # discontinued meanwhile
    assert not back_in_stock_waiting(variant_id=shop.small.pk, location_id=shop.store_a.pk).exists()


def test_still_available_is_false_once_notified_or_cancelled(shop, hanako):
    inventory.stock_receive(variant=shop.small, location=shop.warehouse, quantity=0 + 1)
    online = BackInStockSubscription.objects.create(customer=hanako, variant=shop.small)
    assert back_in_stock_still_available(online)
    back_in_stock_mark_notified(subscription_ids=[online.pk])
    assert not back_in_stock_still_available(online)


# --- racing workers (PostgreSQL) -------------------------------------------------------------------

def _race(count: int, work) -> list:
    import threading

    barrier, lock, outcomes = threading.Barrier(count), threading.Lock(), []

    def run(index):
        try:
            barrier.wait(timeout=20)
            outcome = work(index)
        except Exception as exc:  # noqa: BLE001 (reported in the assertion)
            outcome = f"error {type(exc).__name__}: {exc}"
        finally:
            connection.close()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row-level races are proven on PostgreSQL")
def test_racing_subscribes_make_one_subscription_on_postgresql(transactional_db):
    shop = build_shop(stock_a=0, stock_b=2, stock_warehouse=0)
    hanako = sign_up("hanako@example.jp")
    outcomes = _race(4, lambda i: subscribe(hanako, shop.small, shop.store_a)[0].pk)
    assert len(set(outcomes)) == 1 and all(isinstance(o, int) for o in outcomes), outcomes
    assert BackInStockSubscription.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row-level races are proven on PostgreSQL")
def test_racing_journey_workers_notify_each_subscriber_once_on_postgresql(transactional_db):
    shop = build_shop(stock_a=0, stock_b=2, stock_warehouse=0)
    ids = [subscribe(sign_up(f"c{i}@example.jp"), shop.small, shop.store_a)[0].pk for i in range(10)]

    def worker(index):  # each claims every subscription one by one, as the journey would before sending
        return [pk for pk in ids if back_in_stock_mark_notified(subscription_ids=[pk]) == 1]

    outcomes = _race(4, worker)
    claimed = [pk for outcome in outcomes for pk in outcome]
    assert sorted(claimed) == sorted(ids), outcomes  # every one claimed, none twice
