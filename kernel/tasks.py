"""django-q2 jobs of the project package. Each is safe to run twice."""

from .api import idempotency_records_purge


def idempotency_records_expire() -> int:
    """Scheduled daily (see kernel.apps): forget Idempotency-Key answers older than
    ``kernel.api.IDEMPOTENCY_RETENTION``. Returns how many records were deleted."""
    return idempotency_records_purge()
