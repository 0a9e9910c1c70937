"""The one tender step: split tenders, change from cash only, nothing written on bad input."""

import pytest
from django.db import IntegrityError

from orders import services
from orders.errors import InvalidOrder
from orders.models import Payment, PaymentStatus, Register, RegisterSession, TenderKind
from orders.payments import TenderIn, order_amount_due, order_paid, payment_take
from orders.services import FulfillmentIn, LineIn

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(shop):
    return services.order_place(channel=shop.web, lines=[LineIn("LS-S", 1)], fulfillment=FulfillmentIn("pickup", "shibuya"),
                                contact=services.ContactIn(name="山田 花子", email="hanako@example.jp",
                                                           phone="090-1234-5678"))


@pytest.fixture
def session(shop):
    register = Register.objects.create(location=shop.store_a, code="1", name="レジ1")
    return RegisterSession.objects.create(register=register, opening_float=30000)


def test_cash_over_the_total_gives_change_and_marks_the_order_paid(order, session):
    due = order.total
    taken = payment_take(order=order, tenders=[TenderIn(TenderKind.CASH, due + 1000)], register_session=session)
    assert taken.change == 1000
    row = Payment.objects.get(order=order)
    assert (row.amount, row.tendered, row.change, row.location, row.register_session) == (
        due, due + 1000, 1000, session.register.location, session)
    order.refresh_from_db()
    assert order.payment_status == PaymentStatus.PAID and order_paid(order) == due and order_amount_due(order) == 0


def test_split_tender_card_and_cash(order, session):
    due = order.total
    taken = payment_take(order=order, tenders=[TenderIn(TenderKind.CARD, due - 500, "slip 0042"),
                                               TenderIn(TenderKind.CASH, 1000)], register_session=session)
    assert taken.change == 500
    assert sorted(Payment.objects.filter(order=order).values_list("kind", "amount")) == [
        (TenderKind.CARD, due - 500), (TenderKind.CASH, 500)]


@pytest.mark.parametrize("tenders, key", [
    ([], "tenders"),
    ([TenderIn("bitcoin", 100)], "tenders.0.kind"),
    ([TenderIn(TenderKind.CARD, 0)], "tenders.0.amount"),
    ([TenderIn(TenderKind.GIFT_VOUCHER, 100)], "tenders.0.reference"),
    ([TenderIn(TenderKind.CASH, 1)], "tenders"),  # does not cover the total
    ([TenderIn(TenderKind.CARD, 10**7)], "tenders"),  # a card never gives change
])
def test_bad_tenders_are_refused_and_nothing_is_written(order, session, tenders, key):
    with pytest.raises(InvalidOrder) as caught:
        payment_take(order=order, tenders=tenders, register_session=session)
    assert key in caught.value.errors
    order.refresh_from_db()
    assert order.payment_status == PaymentStatus.UNPAID and not Payment.objects.exists()


def test_a_paid_order_and_a_closed_register_refuse(order, session):
    payment_take(order=order, tenders=[TenderIn(TenderKind.CARD, order.total)], register_session=session)
    with pytest.raises(InvalidOrder) as paid:
        payment_take(order=order, tenders=[TenderIn(TenderKind.CARD, order.total)], register_session=session)
    assert order.number in paid.value.errors["tenders"][0]
    other = services.order_place(channel=order.channel, lines=[LineIn("LS-S", 1)],
                                 fulfillment=FulfillmentIn("pickup", "shibuya"),
                                 contact=services.ContactIn(name="山田 花子", email="hanako@example.jp",
                                                            phone="090-1234-5678"))
    RegisterSession.objects.filter(pk=session.pk).update(closed_at=session.opened_at)
    with pytest.raises(InvalidOrder) as caught:
        payment_take(order=other, tenders=[TenderIn(TenderKind.CARD, other.total)], register_session=session)
    assert "register" in caught.value.errors


def test_one_open_session_per_register(session):
    with pytest.raises(IntegrityError):
        RegisterSession.objects.create(register=session.register)
