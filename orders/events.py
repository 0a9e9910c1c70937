"""The order's audit trail: one builder per kind of ``OrderEvent``.

Every OrderEvent is written through these functions, so a kind, the fulfilment status it
records and the shape of its ``data`` are stated once. The services call them inside the
transaction of the change they record; a bulk writer (``orders.services.orders_import``, the
history of another system) passes ``commit=False`` and an explicit ``at`` and saves the rows itself.
"""

from datetime import datetime

from .models import Fulfillment, FulfillmentStatus, Order, OrderEvent, OrderEventKind


def _event(kind: OrderEventKind, *, order: Order, fulfillment: Fulfillment | None = None, from_status: str = "",
           to_status: str = "", acting_user=None, data: dict | None = None, at: datetime | None = None,
           commit: bool = True) -> OrderEvent:
    if at is not None and commit:
        raise ValueError("An explicit time is for bulk writers (commit=False); a saved event is stamped now.")
    event = OrderEvent(order=order, fulfillment=fulfillment, kind=kind, from_status=from_status,
                       to_status=to_status, acting_user=acting_user, data=data or {})
    if at is not None:
        event.created_at = at
    if commit:
        event.save()
    return event


def order_event_placed(*, order: Order, fulfillment: Fulfillment, acting_user=None, backorder: bool = False,
                       at: datetime | None = None, commit: bool = True) -> OrderEvent:
    """The order was placed and the fulfilment's stock reserved."""
    return _event(OrderEventKind.PLACED, order=order, fulfillment=fulfillment, to_status=FulfillmentStatus.RESERVED,
                  acting_user=acting_user, data={"backorder": backorder}, at=at, commit=commit)


def order_event_ready(*, fulfillment: Fulfillment, from_status: str = FulfillmentStatus.RESERVED, acting_user=None,
                      at: datetime | None = None, commit: bool = True) -> OrderEvent:
    """Staff picked a pickup order: it waits at the desk."""
    return _event(OrderEventKind.READY, order=fulfillment.order, fulfillment=fulfillment, from_status=from_status,
                  to_status=FulfillmentStatus.READY, acting_user=acting_user, at=at, commit=commit)


def order_event_handed_over(*, fulfillment: Fulfillment, from_status: str = FulfillmentStatus.READY,
                            acting_user=None, at: datetime | None = None, commit: bool = True) -> OrderEvent:
    """The customer collected a pickup order."""
    return _event(OrderEventKind.HANDED_OVER, order=fulfillment.order, fulfillment=fulfillment,
                  from_status=from_status, to_status=FulfillmentStatus.COLLECTED, acting_user=acting_user, at=at,
                  commit=commit)


def order_event_shipped(*, fulfillment: Fulfillment, from_status: str = FulfillmentStatus.RESERVED,
                        acting_user=None, at: datetime | None = None, commit: bool = True) -> OrderEvent:
    """A delivery left the warehouse."""
    return _event(OrderEventKind.SHIPPED, order=fulfillment.order, fulfillment=fulfillment, from_status=from_status,
                  to_status=FulfillmentStatus.SHIPPED, acting_user=acting_user, at=at, commit=commit)


def order_event_tracking(*, fulfillment: Fulfillment, tracking_number: str, acting_user=None) -> OrderEvent:
    """The carrier's tracking number of a shipped delivery."""
    return _event(OrderEventKind.TRACKING, order=fulfillment.order, fulfillment=fulfillment,
                  acting_user=acting_user, data={"tracking_number": tracking_number})


def order_event_cancelled(*, fulfillment: Fulfillment, from_status: str, acting_user=None,
                          at: datetime | None = None, commit: bool = True) -> OrderEvent:
    """Staff, the customer or the API cancelled an open fulfilment; its stock goes back."""
    return _event(OrderEventKind.CANCELLED, order=fulfillment.order, fulfillment=fulfillment,
                  from_status=from_status, to_status=FulfillmentStatus.CANCELLED, acting_user=acting_user, at=at,
                  commit=commit)


def order_event_cancel_reason(*, order: Order, reason: str, acting_user=None, at: datetime | None = None,
                              commit: bool = True) -> OrderEvent:
    """Why the order was cancelled, as the person who cancelled it gave it."""
    return _event(OrderEventKind.CANCEL_REASON, order=order, acting_user=acting_user, data={"reason": reason},
                  at=at, commit=commit)


def order_event_lines_cancelled(*, order: Order, lines: list[dict], amount: int, refund_due: int, reason: str = "",
                                acting_user=None) -> OrderEvent:
    """Some units of an open order were cancelled (``orders.services.order_lines_cancel``): each
    line's SKU, name and units cancelled, what the order total went down by (``amount``, yen)
    and what the customer is owed back now (``refund_due``)."""
    return _event(OrderEventKind.LINES_CANCELLED, order=order, acting_user=acting_user,
                  data={"lines": lines, "amount": amount, "refund_due": refund_due, "reason": reason})


def order_event_expired(*, fulfillment: Fulfillment, from_status: str = FulfillmentStatus.READY,
                        acting_user=None) -> OrderEvent:
    """Nobody collected a pickup within the hold period: the scheduled job cancelled it
    (``acting_user`` None: no person did)."""
    return _event(OrderEventKind.EXPIRED, order=fulfillment.order, fulfillment=fulfillment, from_status=from_status,
                  to_status=FulfillmentStatus.CANCELLED, acting_user=acting_user)


def order_event_sold(*, order: Order, fulfillment: Fulfillment, acting_user=None, register: str = "",
                     offline: bool = False, stock_warnings: list | None = None) -> OrderEvent:
    """A sale rung up at a till: placed, paid and handed over at once (``orders.till``).
    ``stock_warnings``: for a sale made offline, the lines it took from units held for others."""
    data = {"register": register, "offline": offline}
    if stock_warnings:
        data["stock_warnings"] = stock_warnings
    return _event(OrderEventKind.SOLD, order=order, fulfillment=fulfillment, to_status=FulfillmentStatus.COLLECTED,
                  acting_user=acting_user, data=data)


def order_event_voided(*, fulfillment: Fulfillment, reason: str, acting_user=None) -> OrderEvent:
    """A till sale undone in its register session: money given back, stock back on the shelf."""
    return _event(OrderEventKind.VOIDED, order=fulfillment.order, fulfillment=fulfillment,
                  from_status=FulfillmentStatus.COLLECTED, to_status=FulfillmentStatus.CANCELLED,
                  acting_user=acting_user, data={"reason": reason})


# The builder of each kind that moves a fulfilment, and the status it moves it to: a
# transition in ``orders.services`` names its builder, the builder names the status.
TRANSITION_BUILDERS = {
    order_event_ready: FulfillmentStatus.READY,
    order_event_handed_over: FulfillmentStatus.COLLECTED,
    order_event_shipped: FulfillmentStatus.SHIPPED,
    order_event_cancelled: FulfillmentStatus.CANCELLED,
    order_event_expired: FulfillmentStatus.CANCELLED,
}


# --- the endless aisle's pickup: the transfer bringing the items to the store ------------------

def _transfer_data(transfer, **extra) -> dict:
    return {"transfer": transfer.number, "source": transfer.source.name, **extra}


def order_event_transfer_requested(*, fulfillment: Fulfillment, transfer, acting_user=None) -> OrderEvent:
    """The endless aisle sold the items from another location's stock for pickup here: a transfer
    from there to the pickup store was requested, carrying the order's hold (``orders.aisle``)."""
    return _event(OrderEventKind.TRANSFER_REQUESTED, order=fulfillment.order, fulfillment=fulfillment,
                  acting_user=acting_user, data=_transfer_data(transfer))


def order_event_transfer_shipped(*, fulfillment: Fulfillment, transfer, acting_user=None) -> OrderEvent:
    """The transfer left the source: the items are on their way to the pickup store."""
    return _event(OrderEventKind.TRANSFER_SHIPPED, order=fulfillment.order, fulfillment=fulfillment,
                  acting_user=acting_user or transfer.shipped_by, data=_transfer_data(transfer))


def order_event_transfer_received(*, fulfillment: Fulfillment, transfer, acting_user=None) -> OrderEvent:
    """The transfer was received at the pickup store."""
    return _event(OrderEventKind.TRANSFER_RECEIVED, order=fulfillment.order, fulfillment=fulfillment,
                  acting_user=acting_user or transfer.received_by, data=_transfer_data(transfer))


def order_event_transfer_short(*, fulfillment: Fulfillment, transfer, reason: str, acting_user=None) -> OrderEvent:
    """The transfer arrived without every unit the order needs: the order waits for staff."""
    return _event(OrderEventKind.TRANSFER_SHORT, order=fulfillment.order, fulfillment=fulfillment,
                  acting_user=acting_user or transfer.received_by, data=_transfer_data(transfer, reason=reason))
