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
    source: str  # ConsentSource: storefront / pos / import / api / unsubscribe / staff / confirmation
    purpose: str = "marketing"  # ConsentPurpose (events published before purposes existed were marketing)
    source_detail: str = ""


@dataclass(frozen=True)
class SegmentChanged:
    segment_id: int
    kind: str  # dynamic / static
    change: str  # created / updated / deleted / members_uploaded


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

SEGMENT_CHANGED = EventType("customers.segment_changed", SegmentChanged)


@dataclass(frozen=True)
class AnalyticsConsentChanged:
    """A visitor accepted or declined analytics (the storefront banner): a customer's
    (``customer_id``) or, before signing in, a browser's (``customer_id`` None)."""

    customer_id: int | None
    browser_id: str
    granted: bool
    source: str


ANALYTICS_CONSENT_CHANGED = EventType("customers.analytics_consent_changed", AnalyticsConsentChanged)

CUSTOMER_MERGED = EventType("customers.customer_merged", CustomerMerged)

EVENT_TYPES = [CUSTOMER_SIGNED_UP, CONSENT_CHANGED, SEGMENT_CHANGED, ANALYTICS_CONSENT_CHANGED, CUSTOMER_MERGED]


# --- privacy (issue 8) ---

@dataclass(frozen=True)
class CustomerErased:
    """A customer's personal data was erased (customers.privacy.customer_erase): other domains
    holding copies (campaign audiences, exports) drop theirs."""

    customer_id: int


CUSTOMER_ERASED = EventType("customers.customer_erased", CustomerErased)
EVENT_TYPES.append(CUSTOMER_ERASED)
