"""Money balances: one rule (``orders.payments.order_money``) says what was paid, what is
refundable per tender and what is due back, and every path that takes or gives money keeps it.

For each order: what was taken (its payment rows, or the implied payment of an order paid
without tender rows) minus what was given back equals what the customer keeps (the order's
total, nothing once cancelled, less the value of what came back) plus what is still due back;
store credit given and spent is exactly the customer's store-credit ledger; value carried to an
exchange leaves one order and pays the other."""

import pytest
from django.db.models import Sum

from orders import returns, services
from orders.errors import InvalidOrder
from orders.models import (
    Order,
    OrderStatus,
    Payment,
    PaymentMethod,
    PaymentStatus,
    RefundMethod,
    Register,
    RegisterSession,
    Return,
    ReturnCondition,
    ReturnDisposition,
    ReturnReason,
    StoreCreditEntry,
    TenderKind,
)
from orders.payments import (
    TenderIn,
    order_money,
    order_refund_due,
    order_refundable,
    payment_refund,
    payment_take,
    store_credit_balance,
)
from orders.returns import ExchangeLineIn, ReturnLineIn
from orders.services import ContactIn, FulfillmentIn, LineCancelIn, LineIn
from orders.till import TillLineIn, till_sale

pytestmark = pytest.mark.django_db

RESTOCK = {"reason": ReturnReason.SIZE, "condition": ReturnCondition.AS_NEW, "disposition": ReturnDisposition.RESTOCK}
CONTACT = ContactIn(name="山田 花子", email="hanako@example.jp", phone="090-1234-5678")


@pytest.fixture
def session(shop):
    register = Register.objects.create(location=shop.store_a, code="1", name="レジ1")
    return RegisterSession.objects.create(register=register, opening_float=30000)


def _rows(order) -> tuple[int, int]:
    amounts = list(Payment.objects.filter(order=order).values_list("amount", flat=True))
    return sum(a for a in amounts if a > 0), -sum(a for a in amounts if a < 0)


def assert_balanced(order, *, goodwill: int = 0) -> None:
    """Σ taken − Σ given back == what the customer keeps + what is still due back (``goodwill``:
    refunds without a return, a price adjustment, that lower what the customer keeps)."""
    order = Order.objects.select_related("channel").get(pk=order.pk)
    money = order_money(order)
    taken, given = _rows(order)
    if money.implied is None:
        assert (money.paid, money.refunded) == (taken, given)
    else:  # paid without rows: the implied payment is the order's total, nothing given back yet
        assert (taken, given, money.paid, money.refunded) == (0, 0, order.total, 0)
    returned = Return.objects.filter(order=order).aggregate(v=Sum("lines__amount"))["v"] or 0
    kept = 0 if order.status == OrderStatus.CANCELLED else order.total - returned - goodwill
    assert money.paid - money.refunded == kept + order_refund_due(order), (money, kept)
    assert sum(money.tenders.values()) == money.net  # per tender adds up to the whole


def assert_ledgers(customer) -> None:
    """Store credit: the ledger is exactly the refunds as store credit less the spends; value
    carried to exchanges comes out of one order and into another."""
    credit = Payment.objects.filter(kind=TenderKind.STORE_CREDIT, order__customer=customer)
    assert store_credit_balance(customer) == -(credit.aggregate(s=Sum("amount"))["s"] or 0)
    assert (Payment.objects.filter(kind=TenderKind.EXCHANGE).aggregate(s=Sum("amount"))["s"] or 0) == 0


def _online_paid(shop, lines, method="ship"):
    """An online card order, paid at checkout by the payment provider (no tender rows)."""
    location = shop.warehouse.code if method == "ship" else shop.store_a.code
    address = {"name": "山田 花子", "postal_code": "150-0001", "prefecture": "13", "line1": "神宮前1-1-1"}
    order = services.order_place(channel=shop.web, lines=lines, contact=CONTACT, payment_method=PaymentMethod.CARD,
                                 fulfillment=FulfillmentIn(method, location, address=address if method == "ship"
                                                           else {}))
    Order.objects.filter(pk=order.pk).update(payment_status=PaymentStatus.PAID)
    order.refresh_from_db()
    return order


def test_online_card_order_shipped_and_returned_balances(shop, staff):
    order = _online_paid(shop, [LineIn("LS-S", 2)])
    assert order_money(order).implied.kind == TenderKind.ONLINE and order_refundable(order) == order.total
    services.fulfillment_ship(fulfillment=order.fulfillments.get(), tracking_number="123456789012",
                              carrier="yamato")
    assert_balanced(order)
    ret = returns.return_create(order=order, location=shop.store_b, refund_method=RefundMethod.ORIGINAL,
                                lines=[ReturnLineIn(order.lines.get().pk, 1, **RESTOCK)],
                                acting_user=staff["store_staff_b"])
    assert ret.refund_total == 5500
    # the implied payment was written as the row it stood for, then the refund went back to it
    assert list(Payment.objects.filter(order=order).values_list("kind", "amount").order_by("id")) == [
        (TenderKind.ONLINE, order.total), (TenderKind.ONLINE, -5500)]
    assert_balanced(order)
    assert order_refund_due(order) == 0


def test_pay_at_store_with_change_and_a_store_credit_return_balances(shop, staff, session):
    order = services.order_place(channel=shop.web, lines=[LineIn("LS-S", 1), LineIn("LS-L", 1)], contact=CONTACT,
                                 fulfillment=FulfillmentIn("pickup", shop.store_a.code))
    group = services.fulfillment_mark_ready(fulfillment=order.fulfillments.get())
    services.fulfillment_hand_over(fulfillment=group, tenders=[TenderIn(TenderKind.CASH, 20000)],
                                   register_session=session)
    order.refresh_from_db()
    assert order_money(order).tenders == {TenderKind.CASH: 11000}  # the change never counts as paid
    assert_balanced(order)
    returns.return_create(order=order, location=shop.store_a, refund_method=RefundMethod.STORE_CREDIT,
                          lines=[ReturnLineIn(order.lines.get(sku="LS-L").pk, 1, **RESTOCK)],
                          register_session=session, acting_user=staff["store_staff"])
    assert_balanced(order)
    assert store_credit_balance(order.customer) == 5500
    assert_ledgers(order.customer)


def test_till_split_tender_refunds_each_tender_at_most_what_it_took(shop, staff, session):
    sale = till_sale(register_session=session, lines=[TillLineIn("LS-S", 2)], idempotency_key="k-split",
                     tenders=[TenderIn(TenderKind.CARD, 8000, "slip 9"), TenderIn(TenderKind.CASH, 5000)],
                     acting_user=staff["store_staff"]).order
    assert order_money(sale).tenders == {TenderKind.CARD: 8000, TenderKind.CASH: 3000}
    returns.return_create(order=sale, location=shop.store_a, refund_method=RefundMethod.ORIGINAL,
                          lines=[ReturnLineIn(sale.lines.get().pk, 2, **RESTOCK)], register_session=session,
                          acting_user=staff["store_staff"])
    refunds = dict(Payment.objects.filter(order=sale, amount__lt=0).values_list("kind", "amount"))
    assert refunds == {TenderKind.CARD: -8000, TenderKind.CASH: -3000}
    assert order_money(sale).net == 0 and order_money(sale).tenders == {}
    assert_balanced(sale)


def test_exchange_for_a_dearer_item_balances_both_orders(shop, staff, session):
    from inventory import services as inventory
    from inventory.services import VariantIn

    product = inventory.product_create(code="coat", name="コート", category="アウター", tax_class="standard",
                                       variants=[VariantIn(sku="CT-M", barcode="4901234567870", price=9000,
                                                           size="M")])
    inventory.stock_receive(variant=product.variants.get(), location=shop.store_a, quantity=2, reference="PO-2")
    order = services.order_place(channel=shop.web, lines=[LineIn("LS-S", 1)], contact=CONTACT,
                                 fulfillment=FulfillmentIn("pickup", shop.store_a.code))
    group = services.fulfillment_mark_ready(fulfillment=order.fulfillments.get())
    services.fulfillment_hand_over(fulfillment=group, tenders=[TenderIn(TenderKind.CARD, 5500, "s")],
                                   register_session=session)
    ret = returns.return_create(order=order, location=shop.store_a, refund_method=RefundMethod.ORIGINAL,
                                lines=[ReturnLineIn(order.lines.get().pk, 1, **RESTOCK)],
                                exchange=[ExchangeLineIn("CT-M", 1)], tenders=[TenderIn(TenderKind.CASH, 3500)],
                                register_session=session, acting_user=staff["store_staff"])
    replacement = ret.exchange_order
    assert order_money(replacement).tenders == {TenderKind.EXCHANGE: 5500, TenderKind.CASH: 3500}
    assert order_money(order).net == 0
    assert_balanced(replacement)
    # the original: its 5,500 went to the replacement, nothing refunded, nothing due
    order = Order.objects.get(pk=order.pk)
    assert order_refund_due(order) == 0 and ret.refund_total == 0
    assert_ledgers(order.customer)


def test_partial_cancel_of_an_order_paid_online_is_due_back_and_refunds_to_zero(shop, staff):
    order = _online_paid(shop, [LineIn("LS-S", 2), LineIn("LS-L", 1)], method="pickup")
    paid = order.total
    services.order_lines_cancel(order=order, lines=[LineCancelIn(line=order.lines.get(sku="LS-L").pk, quantity=1)],
                                reason="品切れ", acting_user=staff["store_staff"])
    order = Order.objects.select_related("channel").get(pk=order.pk)
    # the payment the provider took is written before the total drops: the customer paid it all
    assert Payment.objects.get(order=order).amount == paid
    assert order_refund_due(order) == 5500 == order.events.get(kind="lines_cancelled").data["refund_due"]
    assert_balanced(order)
    returns.order_refund(order=order, amount=5500, reason="一部キャンセル", acting_user=staff["store_staff"])
    assert order_refund_due(order) == 0
    assert_balanced(order)


def test_full_cancel_of_an_order_paid_online_is_due_back_whole(shop, staff):
    order = _online_paid(shop, [LineIn("LS-S", 1)], method="pickup")
    services.order_cancel(order=order, reason="お客様都合")
    order = Order.objects.select_related("channel").get(pk=order.pk)
    assert order_refund_due(order) == order.total  # was 0 under the old rows-only rule
    assert_balanced(order)
    payment_refund(order=order, amount=order.total)
    order.refresh_from_db()
    assert order_refund_due(order) == 0 and order.payment_status == PaymentStatus.REFUNDED
    assert_balanced(order)


@pytest.mark.parametrize("path", ["online", "till"])
def test_a_refund_above_what_was_paid_is_refused_and_nothing_changes(shop, staff, session, path):
    if path == "online":
        order = _online_paid(shop, [LineIn("LS-S", 1)])
    else:
        order = till_sale(register_session=session, lines=[TillLineIn("LS-S", 1)], idempotency_key="k-over",
                          tenders=[TenderIn(TenderKind.CARD, 5500, "s")], acting_user=staff["store_staff"]).order
        payment_refund(order=order, amount=500, reference="値引き")
    before = (list(Payment.objects.values_list("pk", "amount")), StoreCreditEntry.objects.count(),
              Order.objects.get(pk=order.pk).payment_status)
    refundable = order_refundable(order)
    for method in (RefundMethod.ORIGINAL, RefundMethod.STORE_CREDIT):
        with pytest.raises(InvalidOrder) as refused:
            returns.order_refund(order=order, amount=refundable + 1, method=method, reason="誤り",
                                 acting_user=staff["store_staff"])
        message = str(refused.value.errors["amount"][0])
        assert f"¥{refundable:,}" in message and order.number in message
    assert (list(Payment.objects.values_list("pk", "amount")), StoreCreditEntry.objects.count(),
            Order.objects.get(pk=order.pk).payment_status) == before
    assert_balanced(order, goodwill=500 if path == "till" else 0)


def test_order_money_reads_prefetched_payments_without_a_query(shop, session, django_assert_num_queries):
    order = services.order_place(channel=shop.web, lines=[LineIn("LS-S", 1)], contact=CONTACT,
                                 fulfillment=FulfillmentIn("pickup", shop.store_a.code))
    payment_take(order=order, tenders=[TenderIn(TenderKind.CARD, order.total, "s")], register_session=session)
    order = Order.objects.prefetch_related("payments").get(pk=order.pk)
    with django_assert_num_queries(0):
        assert order_money(order).net == order.total and order_refund_due(order) == 0
