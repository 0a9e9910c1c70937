"""django-q2 jobs of the project package. Each is safe to run twice."""

from .api import idempotency_records_purge


def idempotency_records_expire() -> int:
    """Scheduled daily (see kernel.apps): forget Idempotency-Key answers older than
    ``kernel.api.IDEMPOTENCY_RETENTION``. Returns how many records were deleted."""
    return idempotency_records_purge()


def events_dispatch(budget: float = 50.0) -> dict[str, int]:
    """Scheduled every minute (see kernel.apps): hand every declared consumer the domain events
    after its cursor, for up to ``budget`` seconds in all. Safe to run twice at once: a consumer
    another runner holds is skipped. Returns how many events each consumer's cursor moved past."""
    import time

    from .events import event_consumers, events_consume_pending

    deadline, moved = time.monotonic() + budget, {}
    for name in event_consumers():
        moved[name] = events_consume_pending(consumer=name, budget=max(0.0, deadline - time.monotonic()))
    return moved
