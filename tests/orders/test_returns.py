"""Returns at any store or by mail, refunds to the tenders or as store credit, exchanges: stock
through the ledger, money that balances, and bad input that changes nothing."""

from datetime import timedelta

import pytest
from django.core import mail
from django.db.models import Sum
from django.utils import timezone

from customers.models import CustomerEvent, EventKind
from inventory.models import MovementReason, StockLevel, StockMovement
from kernel.models import DomainEvent
from orders import returns, services
from orders.errors import InvalidOrder, InvalidTransition
from orders.models import (
    Fulfillment,
    Order,
    Payment,
    PaymentStatus,
    RefundMethod,
    Register,
    RegisterSession,
    Return,
    ReturnCondition,
    ReturnDisposition,
    ReturnMethod,
    ReturnReason,
    ReturnStatus,
    StoreCreditEntry,
    TenderKind,
)
from orders.payments import TenderIn, order_paid, payment_refund, payment_take, store_credit_balance
from orders.returns import ExchangeLineIn, ReturnLineIn
from orders.services import ContactIn, FulfillmentIn, LineIn

pytestmark = pytest.mark.django_db

RESTOCK = {"reason": ReturnReason.SIZE, "condition": ReturnCondition.AS_NEW, "disposition": ReturnDisposition.RESTOCK}


def _collected(shop, lines, *, store="shibuya", tenders=None, session=None):
    """A pickup order paid at the till and handed over."""
    order = services.order_place(channel=shop.web, lines=lines, fulfillment=FulfillmentIn("pickup", store),
                                 contact=ContactIn(name="山田 花子", email="hanako@example.jp", phone="090-1234-5678"))
    group = order.fulfillments.get()
    services.fulfillment_mark_ready(fulfillment=group)
    payment_take(order=order, tenders=tenders or [TenderIn(TenderKind.CARD, order.total, "slip 1")],
                 register_session=session)
    services.fulfillment_hand_over(fulfillment=group)
    order.refresh_from_db()
    return order


@pytest.fixture
def session(shop):
    register = Register.objects.create(location=shop.store_b, code="1", name="レジ1")
    return RegisterSession.objects.create(register=register, opening_float=30000)


@pytest.fixture
def order(shop):
    return _collected(shop, [LineIn("LS-S", 2), LineIn("LS-L", 1)])


def _line(order, sku):
    return order.lines.get(sku=sku)


def _on_hand(variant, location):
    return StockLevel.objects.get(variant=variant, location=location).on_hand


def _money(order):
    """What the customer still has paid on the order: tenders, refunds, store credit and exchange rows."""
    return Payment.objects.filter(order=order).aggregate(s=Sum("amount"))["s"] or 0


def test_return_at_another_store_restocks_there_and_refunds_the_card(shop, staff, order,
                                                                  django_capture_on_commit_callbacks):
    line = _line(order, "LS-S")
    before = _on_hand(shop.small, shop.store_b)
    with django_capture_on_commit_callbacks(execute=True):
        ret = returns.return_create(order=order, location=shop.store_b, refund_method=RefundMethod.ORIGINAL,
                                    lines=[ReturnLineIn(line.pk, 1, **RESTOCK)], acting_user=staff["store_staff_b"])
    assert ret.number == f"R{ret.pk:08d}" and ret.status == ReturnStatus.REFUNDED and ret.refund_total == 5500
    assert _on_hand(shop.small, shop.store_b) == before + 1
    movement = StockMovement.objects.get(reference=ret.number)
    assert (movement.reason, movement.quantity, movement.location) == (MovementReason.RETURN, 1, shop.store_b)
    refund = Payment.objects.get(order=order, amount__lt=0)
    assert (refund.kind, refund.amount, refund.reference) == (TenderKind.CARD, -5500, ret.number)
    assert order_paid(order) == order.total - 5500
    event = CustomerEvent.objects.filter(customer=order.customer, kind=EventKind.RETURN).latest("id")
    assert event.subject == f"order:{order.number}:{ret.number}" and event.data["refund"] == 5500
    assert DomainEvent.objects.filter(type="orders.return_received").exists()
    assert DomainEvent.objects.filter(type="orders.refunded").exists()
    assert any(ret.number in message.subject for message in mail.outbox)  # the return receipt


def test_damaged_units_are_written_off_and_warehouse_units_stay_flagged_here(shop, staff, order):
    before = _on_hand(shop.small, shop.store_a)
    ret = returns.return_create(
        order=order, location=shop.store_a, refund_method=RefundMethod.ORIGINAL, acting_user=staff["store_staff"],
        lines=[ReturnLineIn(_line(order, "LS-S").pk, 2, ReturnReason.FAULTY, ReturnCondition.DAMAGED,
                            ReturnDisposition.WRITE_OFF),
               ReturnLineIn(_line(order, "LS-L").pk, 1, ReturnReason.SIZE, ReturnCondition.OPENED,
                            ReturnDisposition.TO_WAREHOUSE)])
    moves = list(StockMovement.objects.filter(reference=ret.number).values_list("variant__sku", "reason", "quantity"))
    assert sorted(moves) == sorted([("LS-S", MovementReason.RETURN, 2), ("LS-S", MovementReason.ADJUSTMENT, -2),
                                    ("LS-L", MovementReason.RETURN, 1)])
    assert _on_hand(shop.small, shop.store_a) == before
    assert ret.lines.get(disposition=ReturnDisposition.TO_WAREHOUSE).quantity == 1
    assert order_paid(order) == 0
    order.refresh_from_db()
    assert order.payment_status == PaymentStatus.REFUNDED


def test_customer_requests_by_code_and_the_store_receives_it_as_store_credit(shop, staff, order):
    ret = returns.return_request(order=order, method=ReturnMethod.STORE, location=shop.store_b,
                                 lines=[ReturnLineIn(_line(order, "LS-L").pk, 1, ReturnReason.NOT_AS_EXPECTED)])
    assert ret.status == ReturnStatus.REQUESTED and len(ret.code) == 8
    assert not StockMovement.objects.filter(reference=ret.number).exists()  # nothing moves until it is back
    found = Return.objects.get(code=ret.code)
    received = returns.return_receive(
        order_return=found, location=shop.store_b, refund_method=RefundMethod.STORE_CREDIT,
        lines=[ReturnLineIn(_line(order, "LS-L").pk, 1, ReturnReason.NOT_AS_EXPECTED, ReturnCondition.AS_NEW,
                            ReturnDisposition.RESTOCK)], acting_user=staff["store_staff_b"])
    assert received.status == ReturnStatus.REFUNDED and received.refund_method == RefundMethod.STORE_CREDIT
    assert store_credit_balance(order.customer) == 5500
    credit = Payment.objects.get(order=order, amount__lt=0)
    assert credit.kind == TenderKind.STORE_CREDIT and credit.store_credit_entry.amount == 5500


def test_store_credit_pays_at_the_till_and_a_short_balance_is_refused(shop, staff, order):
    payment_refund(order=order, amount=3000, method=RefundMethod.STORE_CREDIT)
    customer = order.customer
    second = services.order_place(channel=shop.web, lines=[LineIn("LS-S", 1)], customer=customer,
                                  fulfillment=FulfillmentIn("pickup", "shibuya"))
    with pytest.raises(InvalidOrder) as short:
        payment_take(order=second, tenders=[TenderIn(TenderKind.STORE_CREDIT, 5500)])
    assert "3,000" in short.value.errors["tenders.0.amount"][0]
    assert store_credit_balance(customer) == 3000 and not Payment.objects.filter(order=second).exists()
    payment_take(order=second, tenders=[TenderIn(TenderKind.STORE_CREDIT, 3000), TenderIn(TenderKind.CASH, 3000)])
    assert store_credit_balance(customer) == 0
    assert list(StoreCreditEntry.objects.filter(customer=customer).values_list("amount", flat=True)) == [3000, -3000]


def test_store_credit_needs_a_customer(shop):
    walk_in = services.order_place(channel=shop.web, lines=[LineIn("LS-S", 1)],
                                   fulfillment=FulfillmentIn("pickup", "shibuya"))
    with pytest.raises(InvalidOrder) as caught:
        payment_take(order=walk_in, tenders=[TenderIn(TenderKind.STORE_CREDIT, 5500)])
    assert "tenders.0.kind" in caught.value.errors


def test_split_tender_refund_goes_back_most_recent_first_never_more_than_each_took(shop, session):
    order = _collected(shop, [LineIn("LS-S", 2)], store="umeda", session=session,
                       tenders=[TenderIn(TenderKind.CARD, 4000, "slip"), TenderIn(TenderKind.CASH, 10000)])
    payment_refund(order=order, amount=7000, register_session=session)
    rows = list(Payment.objects.filter(order=order, amount__lt=0).values_list("kind", "amount"))
    assert rows == [(TenderKind.CASH, -7000)]
    payment_refund(order=order, amount=4000, register_session=session)
    rows = list(Payment.objects.filter(order=order, amount__lt=0).order_by("id").values_list("kind", "amount"))
    assert rows == [(TenderKind.CASH, -7000), (TenderKind.CARD, -4000)]
    assert order_paid(order) == 0
    assert all(row.register_session == session for row in Payment.objects.filter(order=order, amount__lt=0))


def test_split_refund_spills_to_the_next_tender(shop, session):
    order = _collected(shop, [LineIn("LS-S", 2)], store="umeda", session=session,
                       tenders=[TenderIn(TenderKind.CARD, 4000, "slip"), TenderIn(TenderKind.CASH, 7000)])
    payment_refund(order=order, amount=9000, register_session=session)
    rows = sorted(Payment.objects.filter(order=order, amount__lt=0).values_list("kind", "amount"))
    assert rows == [(TenderKind.CARD, -2000), (TenderKind.CASH, -7000)]


def test_an_order_paid_online_gets_its_payment_recorded_before_the_refund(shop):
    order = services.order_place(channel=shop.web, lines=[LineIn("LS-S", 1)], payment_method="card",
                                 fulfillment=FulfillmentIn("ship", "wh-kanto", address={
                                     "name": "山田", "postal_code": "150-0001", "prefecture": "13",
                                     "line1": "神宮前1-1"}),
                                 contact=ContactIn(name="山田 花子", email="hanako@example.jp"))
    services.fulfillment_ship(fulfillment=order.fulfillments.get(), tracking_number="1234")
    Order.objects.filter(pk=order.pk).update(payment_status=PaymentStatus.PAID)
    ret = returns.return_request(order=order, method=ReturnMethod.MAIL,
                                 lines=[ReturnLineIn(order.lines.get().pk, 1, ReturnReason.FAULTY)])
    returns.return_receive(order_return=ret, location=shop.warehouse, refund_method=RefundMethod.ORIGINAL,
                           lines=[ReturnLineIn(order.lines.get().pk, 1, ReturnReason.FAULTY, ReturnCondition.DAMAGED,
                                               ReturnDisposition.WRITE_OFF)])
    rows = list(Payment.objects.filter(order=order).order_by("id").values_list("kind", "amount"))
    assert rows == [(TenderKind.ONLINE, order.total), (TenderKind.ONLINE, -5500)]
    assert order_paid(order) == order.total - 5500  # the delivery fee stays paid


def test_money_balances_per_order_after_returns_refunds_credits_and_an_exchange(shop, staff, session):
    """Σ payments (tenders, refunds, store credit, exchange) per order = sold − returned."""
    first = _collected(shop, [LineIn("LS-S", 2), LineIn("LS-L", 1)])
    second = _collected(shop, [LineIn("LS-L", 1)], tenders=[TenderIn(TenderKind.CASH, 6000)])
    user = staff["store_staff"]
    returns.return_create(order=first, location=shop.store_a, refund_method=RefundMethod.STORE_CREDIT,
                          lines=[ReturnLineIn(_line(first, "LS-S").pk, 1, **RESTOCK)], acting_user=user)
    returns.return_create(order=first, location=shop.store_a, refund_method=RefundMethod.ORIGINAL,
                          lines=[ReturnLineIn(_line(first, "LS-L").pk, 1, **RESTOCK)],
                          exchange=[ExchangeLineIn("LS-S", 1)], acting_user=user)
    till = RegisterSession.objects.create(register=Register.objects.create(location=shop.store_a, code="9", name="9"))
    returns.order_refund(order=second, amount=500, reason="price match", register_session=till, acting_user=user)
    for order in Order.objects.all():
        returned = Return.objects.filter(order=order).exclude(status=ReturnStatus.CANCELLED).aggregate(
            s=Sum("lines__amount"))["s"] or 0
        goodwill = 500 if order == second else 0
        assert _money(order) == order.total - returned - goodwill, order.number
    credit = StoreCreditEntry.objects.aggregate(s=Sum("amount"))["s"]
    assert credit == Payment.objects.filter(kind=TenderKind.STORE_CREDIT).aggregate(s=Sum("amount"))["s"] * -1
    assert Payment.objects.filter(kind=TenderKind.EXCHANGE).aggregate(s=Sum("amount"))["s"] == 0


def test_exchange_for_another_size_is_handed_over_at_once(shop, staff, order, django_capture_on_commit_callbacks):
    before = _on_hand(shop.large, shop.store_a)
    with django_capture_on_commit_callbacks(execute=True):
        ret = returns.return_create(order=order, location=shop.store_a, refund_method=RefundMethod.ORIGINAL,
                                    lines=[ReturnLineIn(_line(order, "LS-S").pk, 1, **RESTOCK)],
                                    exchange=[ExchangeLineIn("LS-L", 1)], acting_user=staff["store_staff"])
    replacement = ret.exchange_order
    assert replacement.customer == order.customer and replacement.channel.code == "pos-shibuya"
    assert replacement.fulfillments.get().status == "collected" and replacement.payment_status == PaymentStatus.PAID
    assert _on_hand(shop.large, shop.store_a) == before - 1
    assert ret.refund_total == 0 and ret.status == ReturnStatus.REFUNDED
    assert order_paid(replacement) == replacement.total
    assert not any("ready for pickup" in m.subject.lower() or "受け取り" in m.subject
                   for m in mail.outbox if replacement.number in m.subject)


def test_exchange_costing_more_takes_the_difference_or_changes_nothing(shop, staff, order):
    dear = __import__("inventory.services", fromlist=["variant_add"]).variant_add(
        product=shop.product, sku="LS-XL", barcode="4901234567870", price=7700, size="XL")
    __import__("inventory.services", fromlist=["stock_receive"]).stock_receive(
        variant=dear, location=shop.store_a, quantity=2)
    line = _line(order, "LS-S")
    state = _snapshot()
    with pytest.raises(InvalidOrder) as caught:
        returns.return_create(order=order, location=shop.store_a, refund_method=RefundMethod.ORIGINAL,
                              lines=[ReturnLineIn(line.pk, 1, **RESTOCK)], exchange=[ExchangeLineIn("LS-XL", 1)],
                              acting_user=staff["store_staff"])
    assert "tenders" in caught.value.errors and _snapshot() == state
    ret = returns.return_create(order=order, location=shop.store_a, refund_method=RefundMethod.ORIGINAL,
                                lines=[ReturnLineIn(line.pk, 1, **RESTOCK)], exchange=[ExchangeLineIn("LS-XL", 1)],
                                tenders=[TenderIn(TenderKind.CASH, 3000)], acting_user=staff["store_staff"])
    assert sorted(Payment.objects.filter(order=ret.exchange_order).values_list("kind", "amount")) == [
        (TenderKind.CASH, 2200), (TenderKind.EXCHANGE, 5500)]


def _snapshot():
    return (list(StockLevel.objects.order_by("id").values_list("on_hand", "reserved")),
            StockMovement.objects.count(), list(Payment.objects.order_by("id").values_list("amount", flat=True)),
            Return.objects.count(), Order.objects.count(), StoreCreditEntry.objects.count())


def test_more_units_than_sold_counting_earlier_returns_changes_nothing(shop, staff, order):
    line = _line(order, "LS-S")
    returns.return_create(order=order, location=shop.store_a, refund_method=RefundMethod.ORIGINAL,
                          lines=[ReturnLineIn(line.pk, 1, **RESTOCK)], acting_user=staff["store_staff"])
    state = _snapshot()
    with pytest.raises(InvalidOrder) as caught:
        returns.return_create(order=order, location=shop.store_a, refund_method=RefundMethod.ORIGINAL,
                              lines=[ReturnLineIn(line.pk, 2, **RESTOCK)], acting_user=staff["store_staff"])
    assert "1 sold" not in caught.value.errors["lines.0.quantity"][0]
    assert "2" in caught.value.errors["lines.0.quantity"][0]
    assert _snapshot() == state
    with pytest.raises(InvalidOrder):  # a request counts too
        returns.return_request(order=order, method=ReturnMethod.MAIL, lines=[ReturnLineIn(line.pk, 2)])
    assert _snapshot() == state


def test_beyond_the_window_changes_nothing_and_the_product_window_wins(shop, staff, order, settings):
    Fulfillment.objects.filter(order=order).update(closed_at=timezone.now() - timedelta(days=31))
    state = _snapshot()
    with pytest.raises(InvalidOrder) as caught:
        returns.return_create(order=order, location=shop.store_a, refund_method=RefundMethod.ORIGINAL,
                              lines=[ReturnLineIn(_line(order, "LS-S").pk, 1, **RESTOCK)])
    assert "lines.0.order_line" in caught.value.errors and _snapshot() == state
    shop.product.return_days = 60
    shop.product.save()
    returns.return_create(order=order, location=shop.store_a, refund_method=RefundMethod.ORIGINAL,
                          lines=[ReturnLineIn(_line(order, "LS-S").pk, 1, **RESTOCK)])
    shop.product.return_days = 0  # not returnable at all
    shop.product.save()
    with pytest.raises(InvalidOrder):
        returns.return_request(order=order, method=ReturnMethod.MAIL, lines=[ReturnLineIn(_line(order, "LS-L").pk, 1)])


def test_refund_above_what_was_paid_changes_nothing(shop, order):
    payment_refund(order=order, amount=1000)
    state = _snapshot()
    with pytest.raises(InvalidOrder) as caught:
        payment_refund(order=order, amount=order.total)
    assert "amount" in caught.value.errors and _snapshot() == state
    with pytest.raises(InvalidOrder):
        returns.order_refund(order=order, amount=order.total, reason="goodwill")
    with pytest.raises(InvalidOrder):
        returns.order_refund(order=order, amount=100, reason="")
    assert _snapshot() == state


def test_an_undelivered_order_and_a_store_without_returns_are_refused(shop, staff):
    open_order = services.order_place(channel=shop.web, lines=[LineIn("LS-S", 1)],
                                      fulfillment=FulfillmentIn("pickup", "shibuya"))
    with pytest.raises(InvalidOrder) as caught:
        returns.return_request(order=open_order, method=ReturnMethod.MAIL,
                               lines=[ReturnLineIn(open_order.lines.get().pk, 1)])
    assert "lines.0.order_line" in caught.value.errors
    with pytest.raises(InvalidOrder) as locker:
        returns.return_request(order=open_order, method=ReturnMethod.STORE, location=shop.locker,
                               lines=[ReturnLineIn(open_order.lines.get().pk, 1)])
    assert "location" in locker.value.errors


def test_receiving_checks_against_the_request_and_a_received_return_cannot_be_received_twice(shop, staff, order):
    line = _line(order, "LS-S")
    ret = returns.return_request(order=order, method=ReturnMethod.STORE, location=shop.store_a,
                                 lines=[ReturnLineIn(line.pk, 1, ReturnReason.SIZE)])
    state = _snapshot()
    with pytest.raises(InvalidOrder) as caught:
        returns.return_receive(order_return=ret, location=shop.store_a, lines=[ReturnLineIn(line.pk, 2, **RESTOCK)])
    assert "lines.0.quantity" in caught.value.errors and _snapshot() == state
    returns.return_receive(order_return=ret, location=shop.store_a, lines=[ReturnLineIn(line.pk, 1, **RESTOCK)])
    with pytest.raises(InvalidTransition):
        returns.return_receive(order_return=ret, location=shop.store_a, lines=[ReturnLineIn(line.pk, 1, **RESTOCK)])
    returns.return_refund(order_return=ret, method=RefundMethod.ORIGINAL)
    ret.refresh_from_db()
    assert ret.status == ReturnStatus.REFUNDED and ret.refund_total == 5500


def test_a_cancelled_request_frees_its_units(shop, order):
    line = _line(order, "LS-S")
    ret = returns.return_request(order=order, method=ReturnMethod.MAIL, lines=[ReturnLineIn(line.pk, 2)])
    returns.return_cancel(order_return=ret)
    again = returns.return_request(order=order, method=ReturnMethod.MAIL, lines=[ReturnLineIn(line.pk, 2)])
    assert again.status == ReturnStatus.REQUESTED


def test_a_discounted_line_refunds_what_was_paid_for_it(shop, staff):
    order = _collected(shop, [LineIn("LS-S", 3)])
    line = _line(order, "LS-S")
    from orders.models import OrderLine
    OrderLine.objects.filter(pk=line.pk).update(discount=100)  # a discount of ¥100 over 3 units
    first = returns.return_create(order=order, location=shop.store_a, refund_method=RefundMethod.ORIGINAL,
                                  lines=[ReturnLineIn(line.pk, 2, **RESTOCK)])
    second = returns.return_create(order=order, location=shop.store_a, refund_method=RefundMethod.ORIGINAL,
                                   lines=[ReturnLineIn(line.pk, 1, **RESTOCK)])
    assert first.lines.get().amount + second.lines.get().amount == 16500 - 100


def test_an_exchange_without_stock_is_refused_and_changes_nothing(shop, staff, order):
    state = _snapshot()
    with pytest.raises(InvalidOrder) as caught:
        returns.return_create(order=order, location=shop.store_a, refund_method=RefundMethod.ORIGINAL,
                              lines=[ReturnLineIn(_line(order, "LS-S").pk, 1, **RESTOCK)],
                              exchange=[ExchangeLineIn("LS-L", 50)], acting_user=staff["store_staff"])
    assert "exchange" in caught.value.errors and _snapshot() == state
