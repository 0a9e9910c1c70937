"""Order event kinds are choices, each written by its one builder in orders.events, and every
page shows them by their label."""

import re
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from orders import events, services
from orders.models import FulfillmentStatus, OrderEvent, OrderEventKind
from orders.services import FulfillmentIn, LineIn
from tests.builders import CASH_AT_DESK

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
SHIP_TO = {"name": "山田 太郎", "postal_code": "150-0001", "prefecture": "13", "city": "渋谷区",
           "line1": "神宮前1-2-3", "phone": "090-1111-2222"}


def _pickup(shop, customer=None):
    return services.order_place(channel=shop.web, customer=customer, lines=[LineIn("LS-S", 1)],
                                fulfillment=FulfillmentIn("pickup", "shibuya"))


def _delivery(shop):
    return services.order_place(channel=shop.web, lines=[LineIn("LS-S", 1)],
                                fulfillment=FulfillmentIn("ship", "wh-kanto", address=SHIP_TO))


def _kinds(order) -> list[str]:
    return list(order.events.order_by("id").values_list("kind", flat=True))


def test_an_unknown_kind_is_refused_by_full_clean_and_by_the_database(shop):
    order = _pickup(shop)
    event = OrderEvent(order=order, kind="W00004348:ready")
    with pytest.raises(ValidationError) as exc:
        event.full_clean()
    assert "kind" in exc.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():
        OrderEvent.objects.create(order=order, kind="note")


BUILDERS = [
    (events.order_event_placed, {"backorder": True}, OrderEventKind.PLACED, "", FulfillmentStatus.RESERVED),
    (events.order_event_ready, {}, OrderEventKind.READY, FulfillmentStatus.RESERVED, FulfillmentStatus.READY),
    (events.order_event_handed_over, {}, OrderEventKind.HANDED_OVER, FulfillmentStatus.READY,
     FulfillmentStatus.COLLECTED),
    (events.order_event_shipped, {}, OrderEventKind.SHIPPED, FulfillmentStatus.RESERVED, FulfillmentStatus.SHIPPED),
    (events.order_event_tracking, {"tracking_number": "1234"}, OrderEventKind.TRACKING, "", ""),
    (events.order_event_cancelled, {"from_status": FulfillmentStatus.READY}, OrderEventKind.CANCELLED,
     FulfillmentStatus.READY, FulfillmentStatus.CANCELLED),
    (events.order_event_cancel_reason, {"reason": "電話で取消"}, OrderEventKind.CANCEL_REASON, "", ""),
    (events.order_event_expired, {}, OrderEventKind.EXPIRED, FulfillmentStatus.READY, FulfillmentStatus.CANCELLED),
    (events.order_event_sold, {"register": "1"}, OrderEventKind.SOLD, "", FulfillmentStatus.COLLECTED),
    (events.order_event_voided, {"reason": "打ち間違い"}, OrderEventKind.VOIDED, FulfillmentStatus.COLLECTED,
     FulfillmentStatus.CANCELLED),
    (events.order_event_lines_cancelled, {"lines": [{"sku": "LS-S", "quantity": 1}], "amount": 4980, "refund_due": 0},
     OrderEventKind.LINES_CANCELLED, "", ""),
    (events.order_event_transfer_requested, {"transfer": "TRANSFER"}, OrderEventKind.TRANSFER_REQUESTED, "", ""),
    (events.order_event_transfer_shipped, {"transfer": "TRANSFER"}, OrderEventKind.TRANSFER_SHIPPED, "", ""),
    (events.order_event_transfer_received, {"transfer": "TRANSFER"}, OrderEventKind.TRANSFER_RECEIVED, "", ""),
    (events.order_event_transfer_short, {"transfer": "TRANSFER", "reason": "LS-S 0 of 1 here"},
     OrderEventKind.TRANSFER_SHORT, "", ""),
]


def test_every_kind_has_one_builder():
    assert sorted(kind for _b, _k, kind, _f, _t in BUILDERS) == sorted(OrderEventKind.values)


@pytest.mark.parametrize(("builder", "arguments", "kind", "from_status", "to_status"), BUILDERS,
                         ids=[b[0].__name__ for b in BUILDERS])
def test_each_builder_writes_its_kind(shop, staff, builder, arguments, kind, from_status, to_status):
    order = _pickup(shop)
    fulfillment = order.fulfillments.get()
    if builder in (events.order_event_placed, events.order_event_sold):
        target = {"order": order, "fulfillment": fulfillment}
    elif builder in (events.order_event_cancel_reason, events.order_event_lines_cancelled):
        target = {"order": order}
    else:
        target = {"fulfillment": fulfillment}
    if arguments.get("transfer") == "TRANSFER":  # the endless aisle's transfer bringing the items
        from inventory import transfers
        from inventory.documents import LineIn as TransferLineIn

        arguments = {**arguments, "transfer": transfers.transfer_request(
            source=shop.warehouse, destination=shop.store_a, lines=[TransferLineIn(shop.small, 1)])}
    event = builder(**target, **arguments, acting_user=staff["store_staff"])
    event.refresh_from_db()
    assert (event.kind, event.from_status, event.to_status, event.order, event.acting_user) == (
        kind, from_status, to_status, order, staff["store_staff"])
    event.full_clean()


def test_a_bulk_writer_gets_unsaved_events_with_its_own_time(shop):
    order = _pickup(shop)
    then = timezone.now() - timezone.timedelta(days=30)
    event = events.order_event_ready(fulfillment=order.fulfillments.get(), at=then, commit=False)
    assert event.pk is None and event.created_at == then and event.kind == OrderEventKind.READY
    with pytest.raises(ValueError):
        events.order_event_ready(fulfillment=order.fulfillments.get(), at=then)


def test_the_services_write_each_kind_through_its_builder(shop, staff):
    collected = _pickup(shop)
    services.fulfillment_mark_ready(fulfillment=collected.fulfillments.get(), acting_user=staff["store_staff"])
    services.fulfillment_hand_over(fulfillment=collected.fulfillments.get(), acting_user=staff["store_staff"], tenders=CASH_AT_DESK)
    assert _kinds(collected) == [OrderEventKind.PLACED, OrderEventKind.READY, OrderEventKind.HANDED_OVER]

    shipped = _delivery(shop)
    services.fulfillment_ship(fulfillment=shipped.fulfillments.get(), tracking_number="1234-5678",
                              acting_user=staff["warehouse_operator"])
    assert _kinds(shipped) == [OrderEventKind.PLACED, OrderEventKind.SHIPPED, OrderEventKind.TRACKING]

    cancelled = _pickup(shop)
    services.order_cancel(order=cancelled, reason="お客様から電話", acting_user=staff["store_staff"])
    assert _kinds(cancelled) == [OrderEventKind.PLACED, OrderEventKind.CANCELLED, OrderEventKind.CANCEL_REASON]

    expired = _pickup(shop)
    services.fulfillment_mark_ready(fulfillment=expired.fulfillments.get())
    services.pickups_expire_overdue(now=timezone.now() + timezone.timedelta(days=30))
    assert _kinds(expired) == [OrderEventKind.PLACED, OrderEventKind.READY, OrderEventKind.EXPIRED]
    assert expired.events.get(kind=OrderEventKind.EXPIRED).to_status == FulfillmentStatus.CANCELLED


def test_no_module_writes_an_order_event_but_the_builders():
    """A guard beside the behaviour tests: rows are made in orders/events.py only (the demo
    bulk-saves rows the builders made)."""
    writes = re.compile(r"(?<!class )\bOrderEvent\(|\bOrderEvent\.objects\.(create|get_or_create|update_or_create)\b")
    offenders = []
    packages = [p for p in ROOT.iterdir() if (p / "__init__.py").exists() and p.name != "tests"]
    for path in (path for package in packages for path in package.rglob("*.py")):
        relative = path.relative_to(ROOT)
        if "migrations" in relative.parts:
            continue
        if relative.as_posix() != "orders/events.py" and writes.search(path.read_text(encoding="utf-8")):
            offenders.append(relative.as_posix())
    assert offenders == []


def test_the_console_order_page_names_an_expired_pickup(client, shop, staff):
    order = _pickup(shop)
    services.fulfillment_mark_ready(fulfillment=order.fulfillments.get())
    services.pickups_expire_overdue(now=timezone.now() + timezone.timedelta(days=30))
    client.force_login(staff["store_staff"])
    response = client.get(reverse("console:order_detail", kwargs={"number": order.number}))
    rows = response.context["events"]
    assert [row["label"] for row in rows][-1] == OrderEventKind.EXPIRED.label
    assert (rows[-1]["icon"], rows[-1]["tone"]) == ("x", "danger")
    assert str(OrderEventKind.EXPIRED.label) in response.content.decode()


def test_the_customers_order_page_shows_an_expired_pickup_as_cancelled(client, shop):
    from customers.services import customer_sign_up

    user, customer = customer_sign_up(email="hanako@example.jp", password="pass-Word-123", family_name="山田",
                                      channel=shop.web)
    order = _pickup(shop, customer)
    services.fulfillment_mark_ready(fulfillment=order.fulfillments.get())
    services.pickups_expire_overdue(now=timezone.now() + timezone.timedelta(days=30))
    client.force_login(user)
    response = client.get(reverse("storefront:order", kwargs={"number": order.number}))
    steps = response.context["timeline"]
    assert [(step["kind"], step["done"]) for step in steps] == [
        (OrderEventKind.PLACED, True), (OrderEventKind.READY, True), (OrderEventKind.CANCELLED, True)]
    assert steps[-1]["current"] and steps[-1]["cancelled"]
    assert "is-cancelled" in response.content.decode()
