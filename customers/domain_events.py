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


CUSTOMER_SIGNED_UP = EventType("customers.signed_up", CustomerSignedUp)
CONSENT_CHANGED = EventType("customers.consent_changed", ConsentChanged)

EVENT_TYPES = [CUSTOMER_SIGNED_UP, CONSENT_CHANGED]


# --- privacy (issue 8) ---

@dataclass(frozen=True)
class CustomerErased:
    """A customer's personal data was erased (customers.privacy.customer_erase): other domains
    holding copies (campaign audiences, exports) drop theirs."""

    customer_id: int


CUSTOMER_ERASED = EventType("customers.customer_erased", CustomerErased)
EVENT_TYPES.append(CUSTOMER_ERASED)
