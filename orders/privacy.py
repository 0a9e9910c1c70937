"""The orders domain's part of a customer's erasure (APPI; see customers.privacy).

``customers.privacy.customer_erase`` publishes ``customers.customer_erased``; the orders domain
consumes it (``customer_erased_handle``, declared on OrdersConfig, run by
``kernel.tasks.events_dispatch``) and blanks what it holds about the person in free text, while
keeping what the books need: order numbers, dates, lines, totals, tax rates, payments and the
fulfilments' method, location, status and prefecture stay, so the tax records and the stock
ledger are unchanged.

- each order's name, email, phone and search text are blanked (customer_erase did it already for
  the orders it saw; this catches an order attached to the record while it was being erased);
- each fulfilment's delivery address is reduced to its prefecture (regional sales figures);
- the order events' data keeps only ``ORDER_EVENT_DATA_KEPT``: the reason someone typed when
  cancelling (``cancel_reason``) and any other free text are dropped.

Idempotent: handling the same event twice changes nothing the second time.
"""

from collections import Counter

from django.db import transaction

from customers.domain_events import CUSTOMER_ERASED
from customers.models import Customer
from kernel.audit import audit_record_many

from .models import Fulfillment, Order, OrderEvent

# What an order event's data keeps through an erasure: facts, never free text.
ORDER_EVENT_DATA_KEPT = frozenset({"backorder", "tracking_number"})
CONTACT_FIELDS = ("name", "email", "phone", "phone_digits", "search_text")
COUNTED = ("orders", "addresses", "order_events")


def _erased_address(address) -> dict:
    address = address if isinstance(address, dict) else {}
    return {"prefecture": address.get("prefecture", ""), "erased": True}


@transaction.atomic
def orders_anonymise_for_customers(*, customer_ids: list[int]) -> dict[str, int]:
    """Blank the personal free text of the orders of erased customers ``customer_ids`` (see the
    module docstring), with one audit entry per customer whose orders changed (counts only).
    Returns how many orders, addresses and order events changed. A fixed number of queries."""
    customer_ids = list(Customer.objects.filter(pk__in=customer_ids, erased_at__isnull=False)
                        .values_list("pk", flat=True))
    changed: Counter = Counter()  # (customer id, what) -> rows
    orders = Order.objects.filter(customer_id__in=customer_ids)
    blank = dict.fromkeys(CONTACT_FIELDS, "")
    touched = dict(orders.exclude(**blank).values_list("pk", "customer_id"))
    orders.filter(pk__in=touched).update(**blank)
    changed.update((customer_id, "orders") for customer_id in touched.values())

    fulfilments = []
    for fulfilment in (Fulfillment.objects.filter(order__customer_id__in=customer_ids).exclude(address={})
                       .select_related("order").only("id", "address", "order__customer_id")):
        if fulfilment.address != _erased_address(fulfilment.address):
            fulfilment.address = _erased_address(fulfilment.address)
            fulfilments.append(fulfilment)
            changed[(fulfilment.order.customer_id, "addresses")] += 1
    Fulfillment.objects.bulk_update(fulfilments, ["address"], batch_size=500)

    events = []
    for event in (OrderEvent.objects.filter(order__customer_id__in=customer_ids).exclude(data={})
                  .select_related("order").only("id", "data", "order__customer_id")):
        data = event.data if isinstance(event.data, dict) else {}
        kept = {key: value for key, value in data.items() if key in ORDER_EVENT_DATA_KEPT}
        if kept != event.data:
            event.data = kept
            events.append(event)
            changed[(event.order.customer_id, "order_events")] += 1
    OrderEvent.objects.bulk_update(events, ["data"], batch_size=500)

    customers = Customer.objects.filter(pk__in={customer_id for customer_id, _what in changed}).order_by("pk")
    audit_record_many(actor=None, action="orders_anonymise_for_customers", entries=[
        (customer, {what: changed[(customer.pk, what)] for what in COUNTED}) for customer in customers])
    return {"orders": len(touched), "addresses": len(fulfilments), "order_events": len(events)}


def customer_erased_handle(events) -> None:
    """Consumer of ``customers.customer_erased`` (kernel.events): runs in the transaction that
    advances its cursor, so a failure hands the same batch over again."""
    ids = [event.payload["customer_id"] for event in events if event.type == CUSTOMER_ERASED.name]
    if ids:
        orders_anonymise_for_customers(customer_ids=ids)
