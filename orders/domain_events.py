"""The domain events the orders domain publishes (kernel.events), declared on OrdersConfig.

Higher domains (campaigns, journeys, attribution) subscribe to these by declaring a consumer;
the orders domain never imports them. Payloads carry ids and the few values a consumer needs
without reading back (numbers, totals, where): events are facts at the time they happened."""

from dataclasses import dataclass

from kernel.events import EventType


@dataclass(frozen=True)
class OrderPlaced:
    order_id: int
    number: str
    channel: str  # the channel's code
    customer_id: int | None
    total: int  # minor units of ``currency``
    currency: str
    method: str  # pickup / ship
    location_id: int | None
    lines: int


@dataclass(frozen=True)
class FulfillmentChanged:
    order_id: int
    number: str
    fulfillment_id: int
    customer_id: int | None
    method: str
    location_id: int | None
    from_status: str
    to_status: str


@dataclass(frozen=True)
class CartChanged:
    """One line of a cart changed. ``tracking`` is False when the browser refused tracking
    (kernel.browser.tracking_refused): marketing and analytics consumers must skip the event
    (the cart itself, and its checkout, do not depend on it)."""

    cart_id: int
    customer_id: int | None  # None: a guest cart (until it is merged on sign-in)
    sku: str
    quantity: int  # the line's quantity now; 0 when removed
    delta: int  # the change: positive added, negative taken out
    unit_price: int | None  # the price shown when it changed (None: no longer sold)
    reason: str  # one of CART_REASONS
    tracking: bool


CART_REASONS = ("added", "updated", "removed", "merged")


@dataclass(frozen=True)
class CartMerged:
    """A guest cart was merged into a customer's on sign-in: the earlier events of
    ``guest_cart_id`` belong to ``customer_id`` from now on."""

    guest_cart_id: int
    cart_id: int
    customer_id: int
    lines: int  # lines the guest cart held
    tracking: bool


@dataclass(frozen=True)
class CartCheckedOut:
    cart_id: int
    customer_id: int | None
    order_id: int
    number: str


@dataclass(frozen=True)
class CartExpired:
    cart_id: int
    lines: int
    idle_days: int


@dataclass(frozen=True)
class ReturnChanged:
    """A return moved (requested, received, refunded, cancelled), or money went back on an order
    without one (``return_id`` None). ``refund``: yen given back in this step."""

    return_id: int | None
    number: str  # the return's number ("" for a refund without a return)
    order_id: int
    order_number: str
    customer_id: int | None
    status: str
    location_id: int | None
    refund: int


@dataclass(frozen=True)
class TillSaleChanged:
    """A sale rung up at a till (``orders.till``), or voided. ``tenders`` maps each tender kind to
    the yen it kept (negative for a void)."""

    order_id: int
    number: str
    customer_id: int | None
    location_id: int
    register_id: int
    register_session_id: int
    total: int
    tenders: dict


ORDER_PLACED = EventType("orders.order_placed", OrderPlaced)
FULFILLMENT_READY = EventType("orders.fulfillment_ready", FulfillmentChanged)
PICKED_UP = EventType("orders.picked_up", FulfillmentChanged)
SHIPPED = EventType("orders.shipped", FulfillmentChanged)
CANCELLED = EventType("orders.fulfillment_cancelled", FulfillmentChanged)
PICKUP_EXPIRED = EventType("orders.pickup_expired", FulfillmentChanged)  # not collected in time: cancelled

TILL_SALE_COMPLETED = EventType("orders.till_sale_completed", TillSaleChanged)
TILL_SALE_VOIDED = EventType("orders.till_sale_voided", TillSaleChanged)

CART_CHANGED = EventType("orders.cart_changed", CartChanged)
CART_MERGED = EventType("orders.cart_merged", CartMerged)
CART_CHECKED_OUT = EventType("orders.cart_checked_out", CartCheckedOut)
CART_EXPIRED = EventType("orders.cart_expired", CartExpired)  # a stale guest cart was deleted

RETURN_REQUESTED = EventType("orders.return_requested", ReturnChanged)  # the customer started one
RETURN_RECEIVED = EventType("orders.return_received", ReturnChanged)  # the items are back in stock
RETURN_CANCELLED = EventType("orders.return_cancelled", ReturnChanged)
REFUNDED = EventType("orders.refunded", ReturnChanged)  # a return refunded or closed, or a refund without one

EVENT_TYPES = [ORDER_PLACED, FULFILLMENT_READY, PICKED_UP, SHIPPED, CANCELLED, PICKUP_EXPIRED,
               CART_CHANGED, CART_MERGED, CART_CHECKED_OUT, CART_EXPIRED,
               RETURN_REQUESTED, RETURN_RECEIVED, RETURN_CANCELLED, REFUNDED, TILL_SALE_COMPLETED, TILL_SALE_VOIDED]
