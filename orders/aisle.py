"""The endless aisle's pickup at the selling store: an item this store does not have, sold at its
till from another location's stock, comes here by a transfer and waits at the pickup desk.

    till sale (orders.till.till_aisle_sale)
      order placed, its fulfilment holds the units at the source (order_place, ``source``)
      └─ aisle_transfer_request: a transfer source → this store that carries the order's hold
         (inventory.transfers: hold_reference), linked to the fulfilment; timeline "requested"
    source approves, picks and ships it (inventory.transfers; the only way stock moves)
      └─ the hold at the source leaves with the transfer (TRANSFER_OUT); timeline "on its way"
    this store receives it (inventory.transfers.transfer_receive, or a receipt against it)
      └─ the units come in here (TRANSFER_IN); timeline "arrived"; the order's lines are held
         here and the order is marked ready (services.fulfillment_mark_ready: the customer gets
         the ready email, their timeline the ready event). Short: timeline "arrived short" and
         the order waits for staff (Ready then says what is missing).

The inventory domain does not know orders: it publishes ``inventory.transfer_changed`` and
``transfer_changed_handle`` (a kernel.events consumer, every minute) reacts. Cancelling the
order calls the transfer off while it has not left (services.order_cancel).
"""

from django.db import transaction
from django.utils.translation import gettext as _

from inventory import transfers
from inventory.documents import LineIn as TransferLineIn
from inventory.models import Transfer, TransferStatus

from . import events, services
from .errors import InvalidTransition
from .models import Fulfillment, FulfillmentStatus, OrderEvent, OrderEventKind

CONSUMER = "orders.aisle_transfers"


@transaction.atomic
def aisle_transfer_request(*, fulfillment: Fulfillment, source, acting_user=None) -> Transfer:
    """Ask ``source`` to send the fulfilment's items to its pickup store, carrying the order's hold
    there (placed by ``order_place`` with ``source``); the fulfilment keeps the transfer."""
    lines = [TransferLineIn(variant=line.variant, quantity=line.quantity)
             for line in fulfillment.lines.select_related("variant__product").order_by("id")]
    transfer = transfers.transfer_request(
        source=source, destination=fulfillment.location, lines=lines,
        note=_("Order %(number)s: pickup at %(store)s") % {"number": fulfillment.order.number,
                                                          "store": fulfillment.location.name},
        hold_reference=fulfillment.reservation_reference, acting_user=acting_user)
    Fulfillment.objects.filter(pk=fulfillment.pk).update(transfer=transfer)
    fulfillment.transfer = transfer
    events.order_event_transfer_requested(fulfillment=fulfillment, transfer=transfer, acting_user=acting_user)
    return transfer


def transfer_changed_handle(batch) -> None:
    """Consumer of ``inventory.transfer_changed`` (kernel.events): for transfers that carry an
    order's hold, record the step on the order and, once received, make it ready. Runs in the
    transaction that advances the cursor; each order in a savepoint of its own, so one order that
    cannot be made ready (short) is recorded as such and does not hold the others back."""
    wanted = {event.payload["transfer_id"]: event.payload["status"] for event in batch
              if event.payload.get("hold_reference") and event.payload["status"] in (
                  TransferStatus.IN_TRANSIT, TransferStatus.RECEIVED)}
    if not wanted:
        return
    groups = (Fulfillment.objects.select_for_update(of=("self",))
              .select_related("order__customer", "order__channel", "location", "transfer__source",
                              "transfer__shipped_by", "transfer__received_by")
              .filter(transfer_id__in=list(wanted)).order_by("pk"))
    for group in groups:
        aisle_transfer_changed(fulfillment=group)


def aisle_transfer_changed(*, fulfillment: Fulfillment) -> None:
    """Bring the order up to date with its transfer (safe to run twice): shipped → "on its way";
    received → "arrived" and ready for pickup, or "arrived short"."""
    transfer = fulfillment.transfer
    if fulfillment.status != FulfillmentStatus.RESERVED or transfer is None:
        return  # cancelled meanwhile (what arrives is the store's stock), or already ready
    recorded = set(OrderEvent.objects.filter(fulfillment=fulfillment, data__transfer=transfer.number)
                   .values_list("kind", flat=True))
    if transfer.status in (TransferStatus.IN_TRANSIT, TransferStatus.RECEIVED) and \
            OrderEventKind.TRANSFER_SHIPPED not in recorded:
        events.order_event_transfer_shipped(fulfillment=fulfillment, transfer=transfer)
    if transfer.status != TransferStatus.RECEIVED:
        return
    if OrderEventKind.TRANSFER_RECEIVED not in recorded:
        events.order_event_transfer_received(fulfillment=fulfillment, transfer=transfer)
    try:
        with transaction.atomic():
            services.fulfillment_mark_ready(fulfillment=fulfillment, acting_user=None)
    except InvalidTransition as exc:
        if OrderEventKind.TRANSFER_SHORT not in recorded:
            events.order_event_transfer_short(fulfillment=fulfillment, transfer=transfer, reason=str(exc))
