"""kernel.db.retry_on_conflict: a transaction that lost a lock conflict runs again, as a
whole, a bounded number of times; nothing else is retried."""

import sqlite3
import threading
from types import SimpleNamespace

import psycopg.errors
import pytest
from django.db import OperationalError, connection, transaction
from django.db.models import F

from inventory.models import StockLevel
from kernel import db
from kernel.db import DEFAULT_ATTEMPTS, retry_on_conflict


@pytest.fixture(autouse=True)
def _no_sleep(monkeypatch):
    pauses = []
    monkeypatch.setattr(db, "time", SimpleNamespace(sleep=pauses.append))
    return pauses


def failing(cause: Exception, times: int):
    """A function that fails like Django does (OperationalError from the driver's error)
    ``times`` times, then answers "done"; ``calls`` counts the attempts."""
    calls = []

    def function():
        calls.append(1)
        if len(calls) <= times:
            raise OperationalError(str(cause)) from cause
        return "done"

    return function, calls


@pytest.mark.parametrize("cause", [
    psycopg.errors.DeadlockDetected("deadlock detected"),
    psycopg.errors.SerializationFailure("could not serialize access due to concurrent update"),
    sqlite3.OperationalError("database is locked"),
], ids=["deadlock", "serialization", "sqlite-locked"])
def test_a_lost_lock_conflict_is_run_again(cause, _no_sleep):
    function, calls = failing(cause, times=2)
    assert retry_on_conflict(function)() == "done"
    assert len(calls) == 3
    assert len(_no_sleep) == 2 and all(0 <= pause <= 1 for pause in _no_sleep)


def test_retries_are_bounded_then_the_error_is_raised():
    function, calls = failing(psycopg.errors.DeadlockDetected("deadlock detected"), times=10)
    with pytest.raises(OperationalError, match="deadlock"):
        retry_on_conflict(attempts=3)(function)()
    assert len(calls) == 3


def test_other_operational_errors_are_not_retried():
    function, calls = failing(psycopg.errors.AdminShutdown("terminating connection"), times=1)
    with pytest.raises(OperationalError):
        retry_on_conflict(function)()
    assert len(calls) == 1


def test_inside_an_atomic_block_only_the_outermost_caller_may_retry(db):
    """The test's own transaction is the outer block: the inner call must not run again
    inside a transaction the database already aborted."""
    function, calls = failing(psycopg.errors.DeadlockDetected("deadlock detected"), times=1)
    with transaction.atomic(), pytest.raises(OperationalError):
        retry_on_conflict(function)()
    assert len(calls) == 1


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="a real deadlock needs PostgreSQL")
def test_a_real_deadlock_on_postgresql_is_retried_and_both_transactions_commit(transactional_db):
    """Two transactions lock rows A and B in opposite order (deliberately, unlike the
    services): PostgreSQL aborts one of them, which then runs again and commits."""
    from tests.builders import build_shop

    shop = build_shop(stock_a=10, stock_b=0, stock_warehouse=0)
    rows = list(StockLevel.objects.filter(location=shop.store_a).order_by("pk").values_list("pk", flat=True))
    barrier = threading.Barrier(2)
    attempts: list[str] = []
    outcomes: list[str] = []

    @retry_on_conflict
    @transaction.atomic
    def bump(name: str, first: int, second: int) -> None:
        attempts.append(name)
        StockLevel.objects.filter(pk=first).update(safety_stock=F("safety_stock") + 1)
        if attempts.count(name) == 1:
            barrier.wait(timeout=10)  # both hold their first row before asking for the second
        StockLevel.objects.filter(pk=second).update(safety_stock=F("safety_stock") + 1)

    def run(name: str, first: int, second: int) -> None:
        try:
            bump(name, first, second)
            outcomes.append("ok")
        except Exception as exc:  # noqa: BLE001 - shown by the assertion
            outcomes.append(f"{type(exc).__name__}: {exc}")
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=("ab", rows[0], rows[1])),
               threading.Thread(target=run, args=("ba", rows[1], rows[0]))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert outcomes == ["ok", "ok"]
    # One of the two was the deadlock victim and ran again; on a loaded machine the rerun can meet
    # the other's still-open transaction and deadlock once more, which the retry also absorbs.
    assert 3 <= len(attempts) <= 2 * DEFAULT_ATTEMPTS
    assert list(StockLevel.objects.filter(pk__in=rows).values_list("safety_stock", flat=True)) == [2, 2]
