"""Importing the finished orders of another system (orders_import): numbered by the one rule,
dated when they happened, lines as sold, the OrderEvents and timeline events the services write
for those steps; no stock moved, no domain events, no emails; all or nothing."""

from dataclasses import replace
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from customers import services as customer_services
from customers.models import CustomerEvent, EventKind
from customers.services import IMPORT_EVENT_DATA
from inventory.models import Reservation, StockLevel, StockMovement
from kernel.models import AuditEntry, Delivery, DomainEvent
from kernel.subjects import order_subject, product_subject
from orders import services
from orders.errors import OrderImportInvalid
from orders.models import (
    Fulfillment,
    FulfillmentStatus,
    Order,
    OrderEvent,
    OrderEventKind,
    OrderLine,
    OrderStatus,
    PaymentStatus,
    order_number,
)
from orders.services import ContactIn, FulfillmentIn, ImportLineIn, LineIn, OrderImportIn
from tests.builders import CASH_AT_DESK

pytestmark = pytest.mark.django_db

NOW = timezone.now()
PLACED = NOW - timedelta(days=40)
SHIP_TO = {"name": "山田 太郎", "postal_code": "150-0001", "prefecture": "13", "city": "渋谷区",
           "line1": "神宮前1-2-3", "phone": "090-1111-2222"}


@pytest.fixture
def customer(shop):
    return customer_services.customer_create(family_name="山田", given_name="花子", family_name_kana="ヤマダ",
                                              email="hanako@example.jp", phone="090-5555-0123")


def _collected(customer=None, **changes) -> OrderImportIn:
    values = {"channel": "web", "placed_at": PLACED, "customer": customer.pk if customer else None,
              "lines": [ImportLineIn("LS-S", 2, 4980, 10), ImportLineIn("LS-L", 1, 5500, 10)],
              "fulfillment": FulfillmentIn("pickup", "shibuya"), "status": "collected",
              "ready_at": PLACED + timedelta(hours=5), "closed_at": PLACED + timedelta(days=1),
              "payment_method": "card", "closed_by": "store_staff@example.jp"}
    return OrderImportIn(**{**values, **changes})


def _shipped(customer=None, **changes) -> OrderImportIn:
    values = {"channel": "web", "placed_at": PLACED + timedelta(days=2), "customer": customer.pk if customer else None,
              "lines": [ImportLineIn("LS-S", 1, 5500, 10)], "status": "shipped",
              "fulfillment": FulfillmentIn("ship", "wh-kanto", address=SHIP_TO),
              "closed_at": PLACED + timedelta(days=3)}
    return OrderImportIn(**{**values, **changes})


def _stock() -> list[tuple]:
    return sorted(StockLevel.objects.values_list("variant_id", "location_id", "on_hand", "reserved"))


def test_good_rows_become_finished_orders_numbered_and_dated_like_every_order(
        shop, staff, customer, django_capture_on_commit_callbacks):
    stock, ledger, events_before = _stock(), StockMovement.objects.count(), DomainEvent.objects.count()
    cancelled_at = PLACED + timedelta(days=5)
    rows = [
        _collected(customer),
        _shipped(customer),
        _collected(None, channel=shop.pos_a.code, ready_at=None, closed_at=PLACED, placed_by="store_staff@example.jp",
                   contact=ContactIn(name="店頭のお客様")),
        _collected(customer, status="cancelled", ready_at=PLACED + timedelta(hours=2), closed_at=cancelled_at,
                   cancel_reason="お客様から電話", payment_status="refunded"),
    ]
    with django_capture_on_commit_callbacks() as callbacks:
        imported = services.orders_import(rows=rows, source="legacy-2026", acting_user=staff["administrator"])

    assert callbacks == []  # no email queued
    assert Order.objects.count() == 4 and [o.pk for o in imported] == sorted(o.pk for o in imported)
    for order in Order.objects.select_related("channel"):
        assert order.number == order_number(channel_kind=order.channel.kind, pk=order.pk)
    collected, shipped, till, cancelled = (Order.objects.get(pk=o.pk) for o in imported)
    assert till.number.startswith("P") and collected.number.startswith("W")
    assert (collected.created_at, collected.status, collected.completed_at, collected.total) == (
        PLACED, OrderStatus.COMPLETED, PLACED + timedelta(days=1), 2 * 4980 + 5500)
    assert (collected.email, collected.name, collected.payment_status) == ("hanako@example.jp", "山田 花子", "paid")
    assert list(collected.lines.order_by("id").values_list("sku", "quantity", "unit_price", "tax_rate", "line_total")) \
        == [("LS-S", 2, 4980, 10, 9960), ("LS-L", 1, 5500, 10, 5500)]  # as sold, not today's price
    group = collected.fulfillments.get()
    assert (group.status, group.location, group.ready_at, group.closed_at, group.pickup_code) == (
        FulfillmentStatus.COLLECTED, shop.store_a, PLACED + timedelta(hours=5), PLACED + timedelta(days=1), "")
    assert list(collected.events.order_by("created_at", "id").values_list("kind", "created_at", "acting_user")) == [
        (OrderEventKind.PLACED, PLACED, None),
        (OrderEventKind.READY, PLACED + timedelta(hours=5), staff["store_staff"].pk),
        (OrderEventKind.HANDED_OVER, PLACED + timedelta(days=1), staff["store_staff"].pk)]
    assert shipped.status == OrderStatus.SHIPPED and shipped.fulfillments.get().address["postal_code"] == "150-0001"
    assert list(shipped.events.values_list("kind", flat=True)) == [OrderEventKind.PLACED, OrderEventKind.SHIPPED]
    assert (till.customer, till.name, till.placed_by, till.fulfillments.get().ready_at) == (
        None, "店頭のお客様", staff["store_staff"], PLACED)
    assert (cancelled.status, cancelled.completed_at, cancelled.payment_status) == (
        OrderStatus.CANCELLED, None, PaymentStatus.REFUNDED)
    assert list(cancelled.events.order_by("id").values_list("kind", "from_status", "created_at")) == [
        (OrderEventKind.PLACED, "", PLACED), (OrderEventKind.READY, "reserved", PLACED + timedelta(hours=2)),
        (OrderEventKind.CANCELLED, "ready", cancelled_at), (OrderEventKind.CANCEL_REASON, "", cancelled_at)]

    timeline = list(customer.events.order_by("occurred_at", "id").values_list("kind", "subject", "occurred_at"))
    assert (EventKind.ORDER_PLACED, order_subject(collected.number), PLACED) in timeline
    assert (EventKind.PICKUP_COMPLETED, order_subject(collected.number), PLACED + timedelta(days=1)) in timeline
    assert (EventKind.ORDER_SHIPPED, order_subject(shipped.number), PLACED + timedelta(days=3)) in timeline
    assert (EventKind.ORDER_CANCELLED, order_subject(cancelled.number), cancelled_at) in timeline
    assert len(timeline) == 3 + 2 + 3  # till sale: no customer
    assert not customer.events.filter(kind=EventKind.EMAIL_SENT).exists()

    assert _stock() == stock and StockMovement.objects.count() == ledger and not Reservation.objects.exists()
    assert DomainEvent.objects.count() == events_before  # no order_placed, picked_up, shipped... for history
    assert not Delivery.objects.exists()
    assert AuditEntry.objects.filter(action="orders_import", actor=staff["administrator"]).count() == 4


def test_one_bad_row_among_many_imports_nothing_and_every_bad_row_is_reported(shop, staff, customer):
    rows = [_collected(customer) for _n in range(7)]
    rows[1] = _collected(customer, channel="fax", lines=[ImportLineIn("NOPE", 0, 100, 5)])
    rows[2] = _collected(customer, status="shipped", closed_at=PLACED - timedelta(hours=1))
    rows[3] = _shipped(customer, fulfillment=FulfillmentIn("ship", "wh-kanto", address={}), ready_at=PLACED)
    rows[4] = _collected(None, placed_at=NOW + timedelta(days=1))
    rows[5] = _collected(customer, placed_by="nobody@example.jp", cancel_reason="why", payment_method="bitcoin")
    rows[6] = _collected(customer, ready_at=PLACED + timedelta(days=2))
    rows.append(replace(_collected(None), customer=999999))

    with pytest.raises(OrderImportInvalid) as exc:
        services.orders_import(rows=rows, source="legacy")

    found = {(e.row, e.field) for e in exc.value.errors}
    assert found == {
        (1, "channel"), (1, "lines.0.sku"), (1, "lines.0.quantity"), (1, "lines.0.tax_rate"),
        (2, "status"), (2, "closed_at"),
        (3, "fulfillment.address.name"), (3, "fulfillment.address.postal_code"),
        (3, "fulfillment.address.prefecture"), (3, "fulfillment.address.line1"), (3, "ready_at"),
        (4, "placed_at"),
        (5, "placed_by"), (5, "cancel_reason"), (5, "payment_method"),
        (6, "ready_at"),
        (7, "customer"),
    }
    assert 0 not in {e.row for e in exc.value.errors}
    assert exc.value.payload()["errors"]["rows.1.channel"]
    assert not Order.objects.exists() and not Fulfillment.objects.exists() and not OrderLine.objects.exists()
    assert not OrderEvent.objects.exists() and not CustomerEvent.objects.exists()


def test_imported_touchpoints_have_the_data_of_the_writers_that_make_them_in_the_shop(shop, staff, customer):
    """The keys ``customer_events_import`` demands per kind are the ones Omnishop's own code writes."""
    customer_services.product_view_record(customer=customer, code="linen-shirt", name="リネンシャツ")
    customer_services.staff_event_record(customer=customer, kind=EventKind.STORE_VISIT, acting_user=staff["store_staff"])
    customer_services.staff_event_record(customer=customer, kind=EventKind.STAFF_NOTE, note="試着", interaction="store",
                                         acting_user=staff["store_staff"])
    collected = services.order_place(channel=shop.web, customer=customer, lines=[LineIn("LS-S", 1)],
                                     fulfillment=FulfillmentIn("pickup", "shibuya"))
    services.fulfillment_mark_ready(fulfillment=collected.fulfillments.get())
    services.fulfillment_hand_over(fulfillment=collected.fulfillments.get(), tenders=CASH_AT_DESK)
    shipped = services.order_place(channel=shop.web, customer=customer, lines=[LineIn("LS-S", 1)],
                                   fulfillment=FulfillmentIn("ship", "wh-kanto", address=SHIP_TO))
    services.fulfillment_ship(fulfillment=shipped.fulfillments.get(), tracking_number="1234")
    cancelled = services.order_place(channel=shop.web, customer=customer, lines=[LineIn("LS-S", 1)],
                                     fulfillment=FulfillmentIn("pickup", "shibuya"))
    services.order_cancel(order=cancelled, reason="電話")

    written = {event.kind: set(event.data) for event in customer.events.all()}
    assert {kind: written[kind] for kind in IMPORT_EVENT_DATA} == IMPORT_EVENT_DATA
    # ... and an imported order writes its timeline with the same keys.
    services.orders_import(rows=[_collected(customer), _shipped(customer),
                                 _collected(customer, status="cancelled")], source="legacy")
    imported = {event.kind: set(event.data) for event in customer.events.filter(occurred_at__lt=NOW)}
    assert imported == {kind: IMPORT_EVENT_DATA[kind] for kind in (
        EventKind.ORDER_PLACED, EventKind.ORDER_READY, EventKind.PICKUP_COMPLETED, EventKind.ORDER_SHIPPED,
        EventKind.ORDER_CANCELLED)}
    assert product_subject("linen-shirt") in set(customer.events.values_list("subject", flat=True))


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user)
    return client


def _api_row(customer, **changes) -> dict:
    return {"channel": "web", "placed_at": PLACED.isoformat(), "customer": customer.pk,
            "lines": [{"sku": "LS-S", "quantity": 1, "unit_price": 5000, "tax_rate": 10}],
            "fulfillment": {"method": "pickup", "location": "umeda"}, "status": "collected",
            "closed_at": (PLACED + timedelta(days=1)).isoformat(), **changes}


def test_administrators_import_orders_through_the_api(shop, staff, customer):
    response = _api(staff["administrator"]).post("/api/v1/orders/import/", {"source": "legacy", "rows": [
        _api_row(customer), _api_row(customer, fulfillment={"method": "ship", "location": "wh-kanto",
                                                              "address": SHIP_TO}, status="shipped")]}, format="json")
    assert response.status_code == 201, response.json()
    numbers = [row["number"] for row in response.json()["orders"]]
    assert [o.number for o in Order.objects.order_by("id")] == numbers
    assert Order.objects.get(number=numbers[0]).created_at == PLACED
    assert Fulfillment.objects.get(order__number=numbers[1]).address["line1"] == SHIP_TO["line1"]


def test_the_api_import_answers_400_with_every_bad_row_and_only_administrators_may_import(shop, staff, customer):
    response = _api(staff["administrator"]).post("/api/v1/orders/import/", {"source": "legacy", "rows": [
        _api_row(customer), _api_row(customer, status="lost"), _api_row(customer, channel="nope")]}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert set(response.json()["errors"]) == {"rows.1.status", "rows.2.channel"}
    assert not Order.objects.exists()
    for role in ("store_staff", "hq_marketer", "warehouse_operator", "customer"):
        refused = _api(staff[role]).post("/api/v1/orders/import/", {"source": "legacy", "rows": [_api_row(customer)]},
                                         format="json")
        assert refused.status_code == 403, role
    assert not Order.objects.exists()
