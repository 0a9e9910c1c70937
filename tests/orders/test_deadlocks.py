"""Orders that list the same SKUs in opposite order ([A, B] and [B, A]), placed, cancelled
and handed over in parallel on PostgreSQL with real threads (each its own connection).

Every path that locks StockLevel rows (reserve, release, fulfil) locks them in one global
order, by primary key, so crossing orders queue behind each other instead of deadlocking.
The inventory-level test calls the stock services directly (no retry around them), so it
proves the lock order by itself; the order-level tests prove what customers and staff see:
zero errors other than OutOfStock, and a stock ledger that still adds up.
"""

import logging
import threading
from collections import Counter
from collections.abc import Callable

import pytest
from django.db import connection
from django.db.models import Sum

from inventory import services as inventory
from inventory.errors import OutOfStock
from inventory.models import Reservation, ReservationStatus, StockLevel, StockMovement
from orders import services
from orders.models import Order
from orders.services import ContactIn, FulfillmentIn, LineIn
from tests.builders import CASH_AT_DESK, build_shop

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="row-lock ordering is proven on PostgreSQL (set DATABASE_URL)"),
]

THREADS = 8


@pytest.fixture(autouse=True)
def no_retries_needed(caplog):
    """The lock order alone keeps these apart: kernel.db never had to retry a deadlock victim."""
    with caplog.at_level(logging.WARNING, logger="kernel.db"):
        yield
    assert [record.getMessage() for record in caplog.records if record.name == "kernel.db"] == []


def run_in_threads(jobs: list[Callable[[], object]], threads: int = THREADS) -> Counter:
    """Run ``jobs`` spread over ``threads`` threads that start together; count the outcomes
    ("ok", "out of stock" or "error <type>: <message>")."""
    barrier = threading.Barrier(threads)
    outcomes: Counter = Counter()
    lock = threading.Lock()

    def worker(share: list[Callable[[], object]]) -> None:
        try:
            barrier.wait(timeout=10)
            for job in share:
                try:
                    job()
                    outcome = "ok"
                except OutOfStock:
                    outcome = "out of stock"
                except Exception as exc:  # noqa: BLE001 - anything else is the bug the assertions show
                    outcome = f"error {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
                with lock:
                    outcomes[outcome] += 1
        finally:
            connection.close()

    workers = [threading.Thread(target=worker, args=(jobs[index::threads],)) for index in range(threads)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join(timeout=120)
    return outcomes


def crossing_lines(index: int) -> list[LineIn]:
    """Even orders list S then L, odd orders L then S (quantities differ so the ledger is checked)."""
    if index % 2:
        return [LineIn("LS-L", 1), LineIn("LS-S", 2)]
    return [LineIn("LS-S", 1), LineIn("LS-L", 2)]


def place(shop, index: int) -> Order:
    return services.order_place(channel=shop.web, lines=crossing_lines(index),
                                fulfillment=FulfillmentIn("pickup", "shibuya"),
                                contact=ContactIn(email=f"buyer{index % 5}@example.jp"))


def assert_stock_adds_up(shop) -> None:
    """Per level: reserved equals the active holds, on_hand equals the sum of the ledger."""
    for level in StockLevel.objects.filter(location=shop.store_a):
        held = Reservation.objects.filter(variant=level.variant, location=level.location,
                                          status=ReservationStatus.ACTIVE).aggregate(n=Sum("quantity"))["n"] or 0
        ledger = StockMovement.objects.filter(variant=level.variant, location=level.location
                                              ).aggregate(n=Sum("quantity"))["n"] or 0
        assert (level.reserved, level.on_hand) == (held, ledger), level


def test_crossing_stock_holds_reserved_released_and_fulfilled_in_parallel_never_deadlock(transactional_db):
    """The stock services alone, without any retry: only the lock order keeps them apart."""
    shop = build_shop(stock_a=1000, stock_b=0, stock_warehouse=0)
    pairs = [(shop.small, 1), (shop.large, 2)]

    def reserve(index: int):
        lines = pairs if index % 2 == 0 else list(reversed(pairs))
        return lambda: inventory.stock_reserve(location=shop.store_a, lines=lines, reference=f"hold-{index}")

    outcomes = run_in_threads([reserve(index) for index in range(80)])
    assert outcomes == {"ok": 80}, outcomes
    assert_stock_adds_up(shop)

    # Half the holds are released, half fulfilled, while new crossing holds come in.
    jobs = []
    for index in range(80):
        if index % 2:
            jobs.append(lambda index=index: inventory.reservation_release(reference=f"hold-{index}"))
        else:
            jobs.append(lambda index=index: inventory.reservation_fulfil(reference=f"hold-{index}"))
    jobs += [reserve(index) for index in range(80, 120)]
    outcomes = run_in_threads(jobs)
    assert outcomes == {"ok": 120}, outcomes
    assert_stock_adds_up(shop)
    small = StockLevel.objects.get(variant=shop.small, location=shop.store_a)
    large = StockLevel.objects.get(variant=shop.large, location=shop.store_a)
    assert (small.on_hand, small.reserved) == (1000 - 40 * 1, 40 * 1)
    assert (large.on_hand, large.reserved) == (1000 - 40 * 2, 40 * 2)


def test_crossing_multi_line_orders_placed_in_parallel_never_fail(transactional_db):
    shop = build_shop(stock_a=1000, stock_b=0, stock_warehouse=0)

    outcomes = run_in_threads([lambda index=index: place(shop, index) for index in range(40)])

    assert outcomes == {"ok": 40}, outcomes
    assert Order.objects.count() == 40
    small = StockLevel.objects.get(variant=shop.small, location=shop.store_a)
    large = StockLevel.objects.get(variant=shop.large, location=shop.store_a)
    assert (small.on_hand, small.reserved) == (1000, 20 * 1 + 20 * 2)
    assert (large.on_hand, large.reserved) == (1000, 20 * 2 + 20 * 1)
    assert_stock_adds_up(shop)


def test_crossing_orders_cancelled_handed_over_and_placed_in_parallel_never_fail(transactional_db):
    shop = build_shop(stock_a=1000, stock_b=0, stock_warehouse=0)
    placed = [place(shop, index) for index in range(40)]
    for order in placed:
        services.fulfillment_mark_ready(fulfillment=order.fulfillments.get())

    jobs = []
    for index, order in enumerate(placed):
        if index % 4 in (0, 1):  # one S-first and one L-first order of every four is collected
            jobs.append(lambda order=order: services.fulfillment_hand_over(fulfillment=order.fulfillments.get(), tenders=CASH_AT_DESK))
        else:
            jobs.append(lambda order=order: services.order_cancel(order=order, reason="changed my mind"))
    jobs += [lambda index=index: place(shop, index) for index in range(40, 60)]
    outcomes = run_in_threads(jobs)

    assert outcomes == {"ok": 60}, outcomes
    small = StockLevel.objects.get(variant=shop.small, location=shop.store_a)
    large = StockLevel.objects.get(variant=shop.large, location=shop.store_a)
    # 20 orders collected (10 of each shape: 3 units of S and 3 of L per pair), 20 new ones held.
    assert (small.on_hand, small.reserved) == (1000 - 30, 30)
    assert (large.on_hand, large.reserved) == (1000 - 30, 30)
    assert_stock_adds_up(shop)


def test_expiry_job_running_while_staff_hand_over_crossing_pickups_never_fails(transactional_db):
    """The expiry job meets the pickup desk: the job skips the pickups handed over meanwhile
    instead of failing, every pickup ends either collected or expired, and a hand-over only
    fails (InvalidTransition, a 409 at the desk) when the job expired that pickup first."""
    from django.utils import timezone

    from orders.errors import InvalidTransition

    shop = build_shop(stock_a=1000, stock_b=0, stock_warehouse=0)
    placed = [place(shop, index) for index in range(32)]
    for order in placed:
        services.fulfillment_mark_ready(fulfillment=order.fulfillments.get())
    later = timezone.now() + timezone.timedelta(days=8)
    expired: list[str] = []
    refused: list[str] = []

    def hand_over(order: Order) -> None:
        try:
            services.fulfillment_hand_over(fulfillment=order.fulfillments.get(), tenders=CASH_AT_DESK)
        except InvalidTransition:
            refused.append(order.number)

    jobs: list[Callable[[], object]] = [lambda order=order: hand_over(order) for order in placed[::2]]
    jobs.insert(THREADS // 2, lambda: expired.extend(services.pickups_expire_overdue(now=later, hold_days=7)))
    outcomes = run_in_threads(jobs)

    assert outcomes == {"ok": 17}, outcomes
    collected = set(Order.objects.filter(status="completed").values_list("number", flat=True))
    assert collected | set(expired) == {order.number for order in placed}
    assert not collected & set(expired)
    assert set(refused) <= set(expired)
    assert set(expired) >= {order.number for order in placed[1::2]}
    assert_stock_adds_up(shop)
