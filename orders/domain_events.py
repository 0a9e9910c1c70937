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


ORDER_PLACED = EventType("orders.order_placed", OrderPlaced)
FULFILLMENT_READY = EventType("orders.fulfillment_ready", FulfillmentChanged)
PICKED_UP = EventType("orders.picked_up", FulfillmentChanged)
SHIPPED = EventType("orders.shipped", FulfillmentChanged)
CANCELLED = EventType("orders.fulfillment_cancelled", FulfillmentChanged)
PICKUP_EXPIRED = EventType("orders.pickup_expired", FulfillmentChanged)  # not collected in time: cancelled

EVENT_TYPES = [ORDER_PLACED, FULFILLMENT_READY, PICKED_UP, SHIPPED, CANCELLED, PICKUP_EXPIRED]
