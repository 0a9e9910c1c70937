"""The domain events the customers domain publishes (kernel.events), declared on CustomersConfig."""

from dataclasses import dataclass

from kernel.events import EventType


@dataclass(frozen=True)
class CustomerSignedUp:
    customer_id: int
    user_id: int
    channel: str  # the channel's code, "" when unknown
    source: str


@dataclass(frozen=True)
class ConsentChanged:
    customer_id: int
    channel: str  # email / sms / ... (ConsentChannel)
    granted: bool
    source: str


@dataclass(frozen=True)
class CustomerMerged:
    """Two records were one person: everything of ``merged_id`` now belongs to ``survivor_id``
    and the ``merged_id`` record is gone (``merge_id``: the customers.CustomerMerge row)."""

    survivor_id: int
    merged_id: int
    merge_id: int
    moved: dict  # rows moved per kind, e.g. {"orders": 3, "events": 41}


CUSTOMER_SIGNED_UP = EventType("customers.signed_up", CustomerSignedUp)
CONSENT_CHANGED = EventType("customers.consent_changed", ConsentChanged)

CUSTOMER_MERGED = EventType("customers.customer_merged", CustomerMerged)

EVENT_TYPES = [CUSTOMER_SIGNED_UP, CONSENT_CHANGED, CUSTOMER_MERGED]
