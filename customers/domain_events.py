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
class SegmentChanged:
    segment_id: int
    kind: str  # dynamic / static
    change: str  # created / updated / deleted / members_uploaded


CUSTOMER_SIGNED_UP = EventType("customers.signed_up", CustomerSignedUp)
CONSENT_CHANGED = EventType("customers.consent_changed", ConsentChanged)

SEGMENT_CHANGED = EventType("customers.segment_changed", SegmentChanged)

EVENT_TYPES = [CUSTOMER_SIGNED_UP, CONSENT_CHANGED, SEGMENT_CHANGED]
