"""The endless aisle's pickup at the selling store: the sale asks for a transfer that carries the
order's hold from the source; shipping it consumes that hold; receiving it here holds the items
here and makes the order ready (the customer is told); the transfer services are the only way the
stock moves. Runs on SQLite and, with DATABASE_URL, on PostgreSQL (the consumer locks fulfilments
read with an outer join: FOR UPDATE OF the fulfilment only)."""

import pytest
from django.core import mail
from django.db import connection

from customers.models import CustomerEvent, EventKind
from inventory import transfers
from inventory.documents import ReceivedLineIn
from inventory.errors import DocumentStateError, LinesInvalid
from inventory.models import (
    MovementReason,
    Reservation,
    ReservationStatus,
    StockLevel,
    StockMovement,
    TransferStatus,
)
from kernel.events import events_consume
from kernel.models import DomainEvent
from orders import services
from orders.aisle import CONSUMER
from orders.errors import InvalidOrder, InvalidTransition
from orders.models import (
    FulfillmentStatus,
    Order,
    OrderEventKind,
    OrderStatus,
    Register,
    RegisterSession,
    TenderKind,
)
from orders.payments import TenderIn
from orders.services import LineCancelIn
from orders.till import till_aisle_sale

pytestmark = pytest.mark.django_db(transaction=False)


@pytest.fixture(autouse=True)
def _no_gap_grace(settings):
    """The consumer waits at an id hole younger than the grace (kernel.events); PostgreSQL's
    sequences leave holes from the rolled-back transactions of earlier tests."""
    settings.EVENTS_GAP_GRACE = 0


@pytest.fixture
def session(shop):
    register = Register.objects.create(location=shop.store_a, code="1", name="レジ1")
    return RegisterSession.objects.create(register=register, opening_float=30000)


@pytest.fixture
def sold(shop, staff, session, customer_for_aisle):
    """Two LS-L sold at 渋谷店's till from 関東倉庫's stock, to pick up at 渋谷店."""
    result = till_aisle_sale(register_session=session, code="LS-L", quantity=2, source=shop.warehouse,
                             method="pickup", customer=customer_for_aisle, acting_user=staff["store_staff"],
                             tenders=[TenderIn(TenderKind.CARD, 11000, "slip 7")])
    return result.order


@pytest.fixture
def customer_for_aisle(shop):
    from customers.services import customer_sign_up

    _user, customer = customer_sign_up(email="hanako@example.jp", password="pass-Word-123", family_name="山田",
                                       given_name="花子", family_name_kana="ヤマダ", given_name_kana="ハナコ",
                                       phone="090-1234-5678", channel=shop.web)
    return customer


def level(variant, location):
    row = StockLevel.objects.get(variant=variant, location=location)
    return row.on_hand, row.reserved


def kinds(order):
    return list(order.events.order_by("id").values_list("kind", flat=True))


def dispatch():
    while events_consume(consumer=CONSUMER):
        pass


def test_the_sale_requests_a_transfer_that_carries_the_orders_hold(shop, sold):
    group = sold.fulfillments.select_related("transfer").get()
    transfer = group.transfer
    assert (transfer.source, transfer.destination, transfer.status, transfer.hold_reference) == (
        shop.warehouse, shop.store_a, TransferStatus.REQUESTED, group.reservation_reference)
    assert list(transfer.lines.values_list("variant__sku", "requested")) == [("LS-L", 2)]
    assert sold.number in transfer.note
    # one hold, at the source, the order's: nothing more is held for the transfer itself
    assert list(Reservation.objects.active().values_list("reference", "location", "quantity")) == [
        (group.reservation_reference, shop.warehouse.pk, 2)]
    assert level(shop.large, shop.warehouse) == (20, 2)
    assert kinds(sold) == [OrderEventKind.PLACED, OrderEventKind.TRANSFER_REQUESTED]
    assert sold.events.get(kind=OrderEventKind.TRANSFER_REQUESTED).data == {
        "transfer": transfer.number, "source": shop.warehouse.name}
    assert DomainEvent.objects.filter(type="inventory.transfer_changed", subject=f"transfer:{transfer.number}",
                                      payload__status="requested").exists()


def test_ship_consumes_the_hold_at_the_source_and_receive_makes_the_order_ready_here(
        shop, staff, sold, django_capture_on_commit_callbacks):
    group = sold.fulfillments.select_related("transfer").get()
    transfer = transfers.transfer_approve(transfer=group.transfer, acting_user=staff["warehouse_operator"])
    assert level(shop.large, shop.warehouse) == (20, 2)  # approving held nothing more
    with pytest.raises(InvalidTransition) as early:
        services.fulfillment_mark_ready(fulfillment=group, acting_user=staff["store_staff"])
    assert transfer.number in str(early.value)
    transfer = transfers.transfer_ship(transfer=transfer, acting_user=staff["warehouse_operator"])
    assert level(shop.large, shop.warehouse) == (18, 0)
    out = StockMovement.objects.get(reason=MovementReason.TRANSFER_OUT)
    assert (out.location, out.quantity, out.reference) == (shop.warehouse, -2, transfer.ledger_reference)
    assert Reservation.objects.get(reference=group.reservation_reference).status == ReservationStatus.FULFILLED
    dispatch()
    assert kinds(sold)[-1] == OrderEventKind.TRANSFER_SHIPPED
    before = level(shop.large, shop.store_a)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        transfers.transfer_receive(transfer=transfer, lines=[ReceivedLineIn(variant=shop.large, quantity=2)],
                                   acting_user=staff["store_staff"])
        dispatch()
    group.refresh_from_db()
    assert group.status == FulfillmentStatus.READY and Order.objects.get(pk=sold.pk).status == OrderStatus.READY
    assert level(shop.large, shop.store_a) == (before[0] + 2, before[1] + 2)  # in through the ledger, held here
    hold = Reservation.objects.active().get(reference=group.reservation_reference)
    assert (hold.location, hold.quantity) == (shop.store_a, 2)
    assert kinds(sold)[-3:] == [OrderEventKind.TRANSFER_SHIPPED, OrderEventKind.TRANSFER_RECEIVED,
                                OrderEventKind.READY]
    assert any(sold.number in message.subject for message in mail.outbox)  # the ready email
    assert CustomerEvent.objects.filter(customer=sold.customer, kind=EventKind.ORDER_READY).exists()
    dispatch()  # a second run changes nothing
    assert kinds(sold).count(OrderEventKind.READY) == 1
    # handed over at this store: the hold here leaves through the ledger
    services.fulfillment_hand_over(fulfillment=group, acting_user=staff["store_staff"])
    assert level(shop.large, shop.store_a) == before
    assert StockMovement.objects.filter(reference=group.reservation_reference, location=shop.store_a,
                                        reason=MovementReason.SALE, quantity=-2).exists()


def test_a_transfer_that_arrives_short_leaves_the_order_waiting_with_a_clear_message(shop, staff, sold):
    group = sold.fulfillments.select_related("transfer").get()
    StockLevel.objects.filter(variant=shop.large, location=shop.store_a).update(on_hand=0)  # nothing else here
    StockMovement.objects.filter(variant=shop.large, location=shop.store_a).delete()
    transfer = transfers.transfer_ship(transfer=transfers.transfer_approve(transfer=group.transfer), acting_user=None)
    transfers.transfer_receive(transfer=transfer, lines=[ReceivedLineIn(variant=shop.large, quantity=1, damaged=1)],
                               acting_user=staff["store_staff"])
    dispatch()
    group.refresh_from_db()
    assert group.status == FulfillmentStatus.RESERVED
    short = sold.events.get(kind=OrderEventKind.TRANSFER_SHORT)
    assert "LS-L" in short.data["reason"] and "1" in short.data["reason"]
    assert not Reservation.objects.active().filter(reference=group.reservation_reference).exists()
    with pytest.raises(InvalidTransition):
        services.fulfillment_mark_ready(fulfillment=group, acting_user=staff["store_staff"])


def test_only_the_order_cancels_its_transfer_and_a_partial_ship_is_refused(shop, staff, sold):
    group = sold.fulfillments.select_related("transfer").get()
    with pytest.raises(DocumentStateError):
        transfers.transfer_cancel(transfer=group.transfer, acting_user=staff["warehouse_operator"])
    transfer = transfers.transfer_approve(transfer=group.transfer)
    with pytest.raises(LinesInvalid) as partial:
        transfers.transfer_ship(transfer=transfer, shipped={shop.large.pk: 1})
    assert "lines.0.shipped" in partial.value.errors
    assert level(shop.large, shop.warehouse) == (20, 2)
    with pytest.raises(InvalidOrder):  # a part of it cannot be cancelled while on transfer
        services.order_lines_cancel(order=sold, lines=[LineCancelIn(line=sold.lines.get().pk, quantity=1)])
    services.order_cancel(order=sold, reason="お客様都合", acting_user=staff["store_staff"])
    transfer.refresh_from_db()
    assert transfer.status == TransferStatus.CANCELLED and level(shop.large, shop.warehouse) == (20, 0)
    assert not Reservation.objects.active().exists()


def test_an_order_cancelled_in_transit_lets_the_items_arrive_as_store_stock(shop, staff, sold):
    group = sold.fulfillments.select_related("transfer").get()
    transfer = transfers.transfer_ship(transfer=transfers.transfer_approve(transfer=group.transfer))
    services.order_cancel(order=sold, reason="お客様都合", acting_user=staff["store_staff"])
    before = level(shop.large, shop.store_a)
    transfers.transfer_receive(transfer=transfer, lines=[ReceivedLineIn(variant=shop.large, quantity=2)])
    dispatch()
    assert level(shop.large, shop.store_a) == (before[0] + 2, before[1])  # received, held for nobody
    assert OrderEventKind.TRANSFER_RECEIVED not in kinds(sold)


def test_the_consumer_locks_only_the_fulfilment_rows(shop, sold, django_assert_max_num_queries):
    """FOR UPDATE with select_related over nullable relations must name the fulfilment (of=self) on
    PostgreSQL; the query is checked here on any backend and runs for real on PostgreSQL."""
    group = sold.fulfillments.select_related("transfer").get()
    transfers.transfer_ship(transfer=transfers.transfer_approve(transfer=group.transfer))
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        dispatch()
    locking = [q["sql"] for q in queries.captured_queries if "FOR UPDATE" in q["sql"] and "orders_fulfillment" in
               q["sql"]]
    if connection.vendor == "postgresql":
        assert locking and all('FOR UPDATE OF "orders_fulfillment"' in sql for sql in locking)
    assert kinds(sold)[-1] == OrderEventKind.TRANSFER_SHIPPED
