"""The till: a sale completes at once through the ledger and the one tender step; bad input
changes nothing; the same key never sells twice; a void puts everything back."""

import pytest
from django.core.exceptions import PermissionDenied
from django.db.models import Sum

from customers.models import CustomerEvent, EventKind
from customers.services import customer_create
from inventory.models import MovementReason, StockLevel, StockMovement
from kernel.models import DomainEvent
from orders.errors import InvalidOrder, InvalidTransition, OutOfStock
from orders.models import (
    FulfillmentStatus,
    Order,
    OrderEventKind,
    OrderStatus,
    Payment,
    PaymentStatus,
    Register,
    RegisterSession,
    TenderKind,
    TillSale,
)
from orders.payments import TenderIn
from orders.till import (
    TillLineIn,
    TillSaleConflict,
    till_receipt,
    till_receipt_reprint,
    till_sale,
    till_sale_void,
    variant_lookup,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def session(shop):
    register = Register.objects.create(location=shop.store_a, code="1", name="レジ1")
    return RegisterSession.objects.create(register=register, opening_float=30000)


def on_hand(shop, variant, location=None):
    return StockLevel.objects.get(variant=variant, location=location or shop.store_a).on_hand


def money() -> int:
    return Payment.objects.aggregate(total=Sum("amount"))["total"] or 0


def snapshot(shop):
    return (on_hand(shop, shop.small), on_hand(shop, shop.large), StockMovement.objects.count(), money(),
            Order.objects.count(), TillSale.objects.count())


def test_barcode_full_width_digits_and_sku_find_the_variant(shop):
    assert variant_lookup("4901234567894") == shop.small
    assert variant_lookup("４９０１２３４５６７８９４") == shop.small
    assert variant_lookup(" ls-l ") == shop.large
    assert variant_lookup("LS-L") == shop.large
    assert variant_lookup("4900000000000") is None


def test_a_sale_completes_at_once_through_the_ledger_and_the_tender_step(shop, staff, session):
    customer = customer_create(email="hanako@example.jp", family_name="山田", given_name="花子")
    result = till_sale(register_session=session, idempotency_key="k-1", acting_user=staff["store_staff"],
                       customer=customer, lines=[TillLineIn("4901234567894", 2), TillLineIn("LS-L")],
                       tenders=[TenderIn(TenderKind.CARD, 10000, "slip 7"), TenderIn(TenderKind.CASH, 10000)])
    order = Order.objects.get(pk=result.order.pk)
    assert order.number.startswith("P") and order.channel.code == "pos-shibuya"
    assert (order.status, order.payment_status, order.total) == (OrderStatus.COMPLETED, PaymentStatus.PAID, 16500)
    group = order.fulfillments.get()
    assert (group.location, group.status) == (shop.store_a, FulfillmentStatus.COLLECTED)
    assert result.change == 3500 and not result.replayed
    assert (on_hand(shop, shop.small), on_hand(shop, shop.large)) == (1, 2)
    sold = StockMovement.objects.filter(reason=MovementReason.SALE, reference=group.reservation_reference)
    assert sorted(sold.values_list("quantity", flat=True)) == [-2, -1]
    assert not StockLevel.objects.filter(reserved__gt=0).exists()  # no reservation round trip
    payments = sorted(Payment.objects.filter(order=order).values_list("kind", "amount", "change", "register_session"))
    assert payments == [(TenderKind.CARD, 10000, 0, session.pk), (TenderKind.CASH, 6500, 3500, session.pk)]
    assert order.events.filter(kind=OrderEventKind.SOLD).exists()
    assert CustomerEvent.objects.filter(customer=customer, kind=EventKind.ORDER_PLACED,
                                        location=shop.store_a, data__method="till").count() == 1
    assert set(DomainEvent.objects.filter(subject=f"order:{order.number}").values_list("type", flat=True)) == {
        "orders.order_placed", "orders.till_sale_completed"}


def test_the_same_key_gives_the_same_sale_and_never_sells_twice(shop, staff, session):
    kwargs = {"register_session": session, "idempotency_key": "offline-1", "acting_user": staff["store_staff"],
              "lines": [TillLineIn("LS-S")], "tenders": [TenderIn(TenderKind.CASH, 6000)]}
    first = till_sale(**kwargs)
    before = snapshot(shop)
    again = till_sale(**kwargs)
    assert again.replayed and again.order.pk == first.order.pk and again.change == 500
    assert snapshot(shop) == before


def test_a_key_reused_with_other_content_is_refused_and_changes_nothing(shop, staff, session):
    till_sale(register_session=session, idempotency_key="k", acting_user=staff["store_staff"],
              lines=[TillLineIn("LS-S")], tenders=[TenderIn(TenderKind.CASH, 6000)])
    before = snapshot(shop)
    with pytest.raises(TillSaleConflict):
        till_sale(register_session=session, idempotency_key="k", acting_user=staff["store_staff"],
                  lines=[TillLineIn("LS-L")], tenders=[TenderIn(TenderKind.CASH, 6000)])
    assert snapshot(shop) == before


@pytest.mark.parametrize("lines, tenders, codes, error, field", [
    ([TillLineIn("4900000000000")], [TenderIn(TenderKind.CASH, 6000)], (), InvalidOrder, "lines.0.code"),
    ([TillLineIn("LS-S", 0)], [TenderIn(TenderKind.CASH, 6000)], (), InvalidOrder, "lines.0.quantity"),
    ([TillLineIn("LS-S", 2)], [TenderIn(TenderKind.CASH, 5000)], (), InvalidOrder, "tenders"),
    ([TillLineIn("LS-S")], [TenderIn(TenderKind.CARD, 9000)], (), InvalidOrder, "tenders"),  # card gives no change
    ([TillLineIn("LS-S")], [TenderIn(TenderKind.GIFT_VOUCHER, 5500)], (), InvalidOrder, "tenders.0.reference"),
    ([TillLineIn("LS-S", 4)], [TenderIn(TenderKind.CASH, 30000)], (), OutOfStock, None),  # 3 on the shelf
    ([TillLineIn("LS-S")], [TenderIn(TenderKind.CASH, 6000)], ("NOSUCHCODE",), InvalidOrder, "codes"),
])
def test_bad_input_leaves_stock_and_money_exactly_as_before(shop, staff, session, lines, tenders, codes, error, field):
    before = snapshot(shop)
    with pytest.raises(error) as caught:
        till_sale(register_session=session, idempotency_key="bad", acting_user=staff["store_staff"], lines=lines,
                  tenders=tenders, codes=codes)
    if field:
        assert field in caught.value.errors
    else:
        assert [(line.sku, line.available) for line in caught.value.lines] == [("LS-S", 3)]
    assert snapshot(shop) == before
    # the key was not used up: the corrected sale goes through with it
    till_sale(register_session=session, idempotency_key="bad", acting_user=staff["store_staff"],
              lines=[TillLineIn("LS-S")], tenders=[TenderIn(TenderKind.CASH, 6000)])


def test_a_closed_register_and_another_stores_staff_are_refused(shop, staff, session):
    before = snapshot(shop)
    with pytest.raises(PermissionDenied):
        till_sale(register_session=session, idempotency_key="x", acting_user=staff["store_staff_b"],
                  lines=[TillLineIn("LS-S")], tenders=[TenderIn(TenderKind.CASH, 6000)])
    RegisterSession.objects.filter(pk=session.pk).update(closed_at=session.opened_at)
    with pytest.raises(InvalidOrder) as caught:
        till_sale(register_session=session, idempotency_key="x", acting_user=staff["store_staff"],
                  lines=[TillLineIn("LS-S")], tenders=[TenderIn(TenderKind.CASH, 6000)])
    assert "register" in caught.value.errors
    assert snapshot(shop) == before


def test_void_puts_the_stock_back_and_reverses_the_tenders_in_the_session(shop, staff, session):
    result = till_sale(register_session=session, idempotency_key="v", acting_user=staff["store_staff"],
                       lines=[TillLineIn("LS-S", 2)],
                       tenders=[TenderIn(TenderKind.QR, 5000, "QR-1"), TenderIn(TenderKind.CASH, 10000)])
    till_sale_void(sale=result.sale, reason="打ち間違い", acting_user=staff["store_staff"])
    order = Order.objects.get(pk=result.order.pk)
    assert (order.status, order.payment_status) == (OrderStatus.CANCELLED, PaymentStatus.REFUNDED)
    assert order.fulfillments.get().status == FulfillmentStatus.CANCELLED
    assert on_hand(shop, shop.small) == 3
    assert money() == 0
    negatives = sorted(Payment.objects.filter(order=order, amount__lt=0).values_list("kind", "amount", "reference",
                                                                                     "register_session"))
    assert negatives == [(TenderKind.CASH, -6000, "", session.pk), (TenderKind.QR, -5000, "QR-1", session.pk)]
    sale = TillSale.objects.get(pk=result.sale.pk)
    assert sale.is_voided and sale.void_reason == "打ち間違い" and sale.voided_by == staff["store_staff"]
    assert order.events.filter(kind=OrderEventKind.VOIDED).exists()
    with pytest.raises(InvalidTransition):
        till_sale_void(sale=sale, reason="again", acting_user=staff["store_staff"])
    assert money() == 0 and on_hand(shop, shop.small) == 3


def test_void_after_the_session_closed_is_refused(shop, staff, session):
    result = till_sale(register_session=session, idempotency_key="c", acting_user=staff["store_staff"],
                       lines=[TillLineIn("LS-S")], tenders=[TenderIn(TenderKind.CASH, 5500)])
    RegisterSession.objects.filter(pk=session.pk).update(closed_at=session.opened_at)
    before = snapshot(shop)
    with pytest.raises(InvalidTransition):
        till_sale_void(sale=result.sale, reason="late", acting_user=staff["store_staff"])
    with pytest.raises(InvalidOrder):
        till_sale_void(sale=result.sale, reason=" ", acting_user=staff["store_staff"])
    assert snapshot(shop) == before


def test_receipt_is_a_qualified_simplified_invoice_and_marks_reprints(shop, staff, session, settings):
    settings.INVOICE_REGISTRATION_NUMBER = "T1234567890123"
    result = till_sale(register_session=session, idempotency_key="r", acting_user=staff["store_staff"],
                       lines=[TillLineIn("LS-S")], tenders=[TenderIn(TenderKind.CASH, 10000)])
    receipt = till_receipt(result.sale)
    assert receipt.invoice.registration_number == "T1234567890123"
    assert [(r.rate, r.total, r.tax) for r in receipt.invoice.tax.by_rate] == [(10, 5500, 500)]
    assert receipt.change == 4500 and not receipt.reprint
    assert till_receipt_reprint(sale=result.sale, acting_user=staff["store_staff"]) == 2
    assert till_receipt(TillSale.objects.get(pk=result.sale.pk)).reprint


def test_the_receipt_is_emailed_once_through_the_delivery_ledger(shop, staff, session,
                                                                 django_capture_on_commit_callbacks):
    from django.core import mail

    from orders.till import till_receipt_email

    result = till_sale(register_session=session, idempotency_key="e", acting_user=staff["store_staff"],
                       lines=[TillLineIn("LS-S")], tenders=[TenderIn(TenderKind.CASH, 6000)])
    with pytest.raises(InvalidOrder):
        till_receipt_email(sale=result.sale, email="not-an-address", acting_user=staff["store_staff"])
    for _attempt in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            till_receipt_email(sale=result.sale, email="Guest@Example.jp", acting_user=staff["store_staff"])
    sent = [m for m in mail.outbox if result.order.number in m.subject]
    assert len(sent) == 1 and sent[0].to == ["guest@example.jp"]
    assert "T" in sent[0].body and "¥500" in sent[0].body  # the change on the receipt


ADDRESS = {"name": "山田 花子", "postal_code": "150-0001", "prefecture": "13", "city": "渋谷区", "line1": "神宮前1-2-3",
           "phone": "090-1111-2222"}


def test_endless_aisle_ships_from_the_warehouse_paid_at_the_till(shop, staff, session):
    from inventory.models import Reservation
    from orders.till import aisle_sources, till_aisle_sale

    assert {s.location for s in aisle_sources(variant=shop.small, store=shop.store_a)} == {shop.warehouse,
                                                                                            shop.store_b}
    result = till_aisle_sale(register_session=session, code="4901234567894", quantity=2, source=shop.warehouse,
                             method="ship", address=ADDRESS, acting_user=staff["store_staff"],
                             tenders=[TenderIn(TenderKind.CARD, 11000, "slip 9")])
    order = result.order
    group = order.fulfillments.get()
    assert (order.channel.code, group.method, group.location, order.payment_status) == (
        "pos-shibuya", "ship", shop.warehouse, PaymentStatus.PAID)
    assert Reservation.objects.get(reference=group.reservation_reference).location == shop.warehouse
    assert Payment.objects.get(order=order).register_session == session
    assert on_hand(shop, shop.small) == 3  # nothing left the store's shelf


def test_endless_aisle_pickup_here_holds_the_other_stores_stock(shop, staff, session):
    from inventory.models import Reservation
    from orders.till import till_aisle_sale

    result = till_aisle_sale(register_session=session, code="LS-L", quantity=1, source=shop.store_b, method="pickup",
                             acting_user=staff["store_staff"], tenders=[TenderIn(TenderKind.CASH, 6000)])
    group = result.order.fulfillments.get()
    assert (group.method, group.location, result.change) == ("pickup", shop.store_a, 500)
    assert Reservation.objects.get(reference=group.reservation_reference).location == shop.store_b
    assert StockLevel.objects.get(variant=shop.large, location=shop.store_b).reserved == 1


def test_endless_aisle_short_payment_places_nothing(shop, staff, session):
    from inventory.models import Reservation
    from orders.till import till_aisle_sale

    before = snapshot(shop)
    with pytest.raises(InvalidOrder):
        till_aisle_sale(register_session=session, code="LS-L", quantity=1, source=shop.store_b, method="pickup",
                        acting_user=staff["store_staff"], tenders=[TenderIn(TenderKind.CASH, 100)])
    assert snapshot(shop) == before and not Reservation.objects.exists()
    with pytest.raises(PermissionDenied):
        till_aisle_sale(register_session=session, code="LS-L", quantity=1, source=shop.store_b, method="pickup",
                        acting_user=staff["store_staff_b"], tenders=[TenderIn(TenderKind.CASH, 6000)])
    assert snapshot(shop) == before and not Reservation.objects.exists()
