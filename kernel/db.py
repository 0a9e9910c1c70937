"""Database helpers shared by the domains' services: retrying a whole transaction that lost
a lock conflict.

Services lock stock rows in one global order (by primary key), so ordinary traffic does not
deadlock; but the database may still pick a transaction as a deadlock victim (rows locked
through foreign keys, a future code path), abort a SERIALIZABLE transaction, or, on SQLite,
give up waiting for the write lock. Such a transaction did nothing: running it again is
correct, and the customer should not see a 500 for it.
"""

import functools
import logging
import random
import time
from collections.abc import Callable

from django.db import DEFAULT_DB_ALIAS, OperationalError, transaction

logger = logging.getLogger(__name__)

# PostgreSQL SQLSTATEs of a transaction rolled back because of a concurrent one.
SERIALIZATION_FAILURE = "40001"
DEADLOCK_DETECTED = "40P01"
CONFLICT_SQLSTATES = frozenset({SERIALIZATION_FAILURE, DEADLOCK_DETECTED})
# SQLite: the busy timeout ran out waiting for another writer.
SQLITE_CONFLICT_MESSAGES = ("database is locked", "database table is locked")

DEFAULT_ATTEMPTS = 4
DEFAULT_BACKOFF = 0.05  # seconds; the n-th retry waits a random time up to backoff * 2**(n-1)


def is_conflict(exc: BaseException) -> bool:
    """Whether ``exc`` is a lock conflict that a fresh transaction may not hit again."""
    if not isinstance(exc, OperationalError):
        return False
    cause = exc.__cause__
    sqlstate = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
    if sqlstate in CONFLICT_SQLSTATES:
        return True
    message = str(exc).lower()
    return any(text in message for text in SQLITE_CONFLICT_MESSAGES)


def retry_on_conflict(
    func: Callable | None = None, *, attempts: int = DEFAULT_ATTEMPTS, backoff: float = DEFAULT_BACKOFF,
    using: str = DEFAULT_DB_ALIAS,
):
    """Run the decorated transaction again (up to ``attempts`` times in all, with a short
    jittered pause) when it fails with a deadlock, a serialization failure or SQLite's
    "database is locked"; then re-raise.

    Put it outside ``@transaction.atomic``: a retry must start a new transaction, never
    continue an aborted one. Called inside an atomic block it does nothing (the block is
    already doomed; the outermost caller decides), so services can call each other freely.
    Only for functions whose effects are all inside the transaction (side effects go
    through ``transaction.on_commit``, which a rolled-back attempt discards).
    """

    def decorate(function: Callable) -> Callable:
        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            if transaction.get_connection(using).in_atomic_block:
                return function(*args, **kwargs)
            for attempt in range(1, attempts + 1):
                try:
                    return function(*args, **kwargs)
                except OperationalError as exc:
                    if attempt == attempts or not is_conflict(exc):
                        raise
                    delay = random.uniform(0, backoff * 2 ** (attempt - 1))  # noqa: S311 - jitter, not security
                    logger.warning("%s lost a lock conflict (%s); retry %d of %d in %.3fs",
                                   function.__qualname__, str(exc).splitlines()[0] if str(exc) else "",
                                   attempt, attempts - 1, delay)
                    time.sleep(delay)
            raise AssertionError("unreachable")  # pragma: no cover

        return wrapper

    if func is not None:
        return decorate(func)
    return decorate


def bulk_create_backdated(model, rows: list, *, time_field: str, batch_size: int = 1000) -> list:
    """``bulk_create`` rows that carry their own past time in ``time_field``, an ``auto_now_add``
    field: imported history (a customer since 2023, a consent given then, an order event of last
    month). ``bulk_create`` stamps such a field with the current time whatever the row holds (and
    switching ``auto_now_add`` off would change the field for every thread of the process); the
    given times are written back by primary key in the same transaction, before anyone can read
    the rows. Call it inside ``transaction.atomic``; it needs the primary keys back from the
    insert (SQLite 3.35+, PostgreSQL). Returns the rows, saved, with their given times."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("bulk_create_backdated writes twice: call it inside transaction.atomic.")
    times = [getattr(row, time_field) for row in rows]
    if any(at is None for at in times):
        raise ValueError(f"Every row needs its {time_field}.")
    created = model.objects.bulk_create(rows, batch_size=batch_size)
    for row, at in zip(created, times, strict=True):
        setattr(row, time_field, at)
    model.objects.bulk_update(created, [time_field], batch_size=batch_size)
    return created


def commit_without_waiting_for_disk(using: str = DEFAULT_DB_ALIAS) -> None:
    """Inside a transaction: let its COMMIT return before the WAL reaches the disk (PostgreSQL's
    ``synchronous_commit = off`` for this transaction only; nothing on SQLite, whose WAL mode with
    ``synchronous=NORMAL`` already commits without a sync). The transaction is visible to everyone
    at once and survives a killed client; only a crash of the database server itself may lose
    it, and any later commit that waits for the disk makes it durable too. For bookkeeping whose
    loss in such a crash is harmless or recoverable, never for a point of no return."""
    from django.db import connections

    connection = connections[using]
    if connection.vendor == "postgresql":
        if not connection.in_atomic_block:
            raise RuntimeError("commit_without_waiting_for_disk() is for the inside of a transaction.")
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


# The same for a single statement run outside a transaction (autocommit), as a condition to add to
# an UPDATE's WHERE on PostgreSQL: it turns synchronous_commit off for the statement's own
# transaction (set_config(…, true) is local to the transaction) and is always true. One round trip
# instead of BEGIN, SET LOCAL, the statement and COMMIT; the same rule of use as above.
NO_DISK_WAIT_CONDITION = "set_config('synchronous_commit', 'off', true) = 'off'"
