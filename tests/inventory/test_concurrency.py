"""Buyers racing for the last unit: exactly one order, everyone else a clear OutOfStock.

On PostgreSQL the racers are real threads with their own connections. On SQLite the racers
are separate processes on a WAL database file (how gunicorn workers and the task worker share
it): IMMEDIATE transactions queue the writers instead of failing with "database is locked".
"""

import json
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.db import close_old_connections, connection

from inventory.models import StockLevel
from orders import services
from orders.errors import OutOfStock
from orders.models import Order
from orders.services import ContactIn, FulfillmentIn, LineIn
from tests.builders import build_shop
from tests.racing import wal_copy_of_test_database

ROOT = Path(__file__).resolve().parents[2]

on_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row-level races are proven on PostgreSQL (set DATABASE_URL)"
)
on_sqlite = pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite variant runs on SQLite only")


def race(buyers: int) -> list[str]:
    """``buyers`` threads place an order for the last LS-S at shibuya at the same moment."""
    barrier = threading.Barrier(buyers)
    outcomes: list[str] = []
    lock = threading.Lock()

    def buy(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            try:
                order = services.order_place(
                    channel=web, lines=[LineIn("LS-S", 1)], fulfillment=FulfillmentIn("pickup", "shibuya"),
                    contact=ContactIn(email=f"buyer{index}@example.jp"),
                )
                outcome = f"order {order.number}"
            except OutOfStock as exc:
                outcome = f"out of stock {exc.lines[0].sku}"
            except Exception as exc:  # anything else is a bug the assertion below shows
                outcome = f"error {type(exc).__name__}: {exc}"
        finally:
            connection.close()
        with lock:
            outcomes.append(outcome)

    from kernel.models import Channel

    web = Channel.objects.get(code="web")
    threads = [threading.Thread(target=buy, args=(i,)) for i in range(buyers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


@on_postgres
@pytest.mark.postgres
@pytest.mark.parametrize("buyers", [2, 8])
def test_last_unit_goes_to_exactly_one_of_racing_buyers_on_postgresql(transactional_db, buyers):
    shop = build_shop(stock_a=1, stock_b=1, stock_warehouse=5)

    outcomes = race(buyers)

    assert len(outcomes) == buyers
    assert sum(o.startswith("order") for o in outcomes) == 1, outcomes
    assert sum(o == "out of stock LS-S" for o in outcomes) == buyers - 1, outcomes
    assert Order.objects.count() == 1
    level = StockLevel.objects.get(variant=shop.small, location=shop.store_a)
    assert (level.on_hand, level.reserved) == (1, 1)
    # the other store and the warehouse were not touched
    assert StockLevel.objects.get(variant=shop.small, location=shop.store_b).reserved == 0


RACER = """
import json, os, sys, time
import django
django.setup()
from orders import services
from orders.errors import OutOfStock
from orders.services import ContactIn, FulfillmentIn, LineIn
from kernel.models import Channel
web = Channel.objects.get(code="web")
start = float(sys.argv[1])
time.sleep(max(0.0, start - time.time()))
try:
    order = services.order_place(channel=web, lines=[LineIn("LS-S", 1)], fulfillment=FulfillmentIn("pickup", "shibuya"),
                                 contact=ContactIn(email="buyer%s@example.jp" % os.getpid()))
    print(json.dumps("order " + order.number))
except OutOfStock as exc:
    print(json.dumps("out of stock " + exc.lines[0].sku))
except Exception as exc:
    print(json.dumps("error %s: %s" % (type(exc).__name__, exc)))
"""


@on_sqlite
def test_last_unit_goes_to_exactly_one_of_racing_processes_on_sqlite(transactional_db, tmp_path):
    shop = build_shop(stock_a=1, stock_b=1, stock_warehouse=5)
    path, env = wal_copy_of_test_database(tmp_path, "race.sqlite3")
    start = time.time() + 3.0  # every racer has imported Django by then
    racers = [subprocess.Popen([sys.executable, "-c", RACER, str(start)], cwd=ROOT, env=env, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(6)]
    outcomes = []
    for racer in racers:
        out, err = racer.communicate(timeout=60)
        assert racer.returncode == 0, err
        outcomes.append(json.loads(out.strip().splitlines()[-1]))

    assert sum(o.startswith("order") for o in outcomes) == 1, outcomes
    assert sum(o == "out of stock LS-S" for o in outcomes) == 5, outcomes
    raced = sqlite3.connect(path)
    (orders,) = raced.execute("select count(*) from orders_order").fetchone()
    (on_hand, reserved) = raced.execute(
        "select on_hand, reserved from inventory_stocklevel where variant_id = ? and location_id = ?",
        (shop.small.pk, shop.store_a.pk)).fetchone()
    raced.close()
    assert orders == 1
    assert (on_hand, reserved) == (1, 1)
    close_old_connections()
