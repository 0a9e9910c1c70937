"""The order page's refund: the "Refund due" notice opens the refund panel with the amount filled
in, and the refund is given at an open register of the user's own store, so its cash shows in
that register's day report. Role and scope are checked; a bad register changes nothing."""

import pytest
from django.urls import reverse

from orders import services
from orders.models import Order, Payment, Register, RegisterSession, TenderKind
from orders.payments import TenderIn, order_refund_due, payment_take
from orders.register_report import session_report
from orders.registers import session_cash_taken
from orders.services import FulfillmentIn, LineCancelIn, LineIn

pytestmark = pytest.mark.django_db


def _till(location, code="1", *, closed=False):
    from django.utils import timezone

    register = Register.objects.create(location=location, code=code, name=f"レジ{code}")
    return RegisterSession.objects.create(register=register, opening_float=20000,
                                          closed_at=timezone.now() if closed else None)


@pytest.fixture
def due(shop, customer):
    """A pickup order paid in cash at 渋谷店, then one of its two units cancelled: ¥5,500 due back."""
    order = services.order_place(channel=shop.web, customer=customer, lines=[LineIn("LS-S", 2)],
                                 fulfillment=FulfillmentIn("pickup", "shibuya"))
    payment_take(order=order, tenders=[TenderIn(kind="cash", amount=11000)], location=shop.store_a)
    services.order_lines_cancel(order=order, lines=[LineCancelIn(line=order.lines.get().pk, quantity=1)])
    order.refresh_from_db()
    assert order_refund_due(order) == 5500
    return order


def _page(client, order, **params):
    return client.get(reverse("console:order_detail", kwargs={"number": order.number}), params).content.decode()


def test_refund_due_notice_links_to_the_refund_panel_opened_and_filled_in(client, staff, shop, due):
    mine, _other, _closed = _till(shop.store_a), _till(shop.store_b), _till(shop.store_a, "2", closed=True)
    client.force_login(staff["store_staff"])
    page = _page(client, due)
    assert 'href="?refund=1#refund-order"' in page and 'id="refund-order" open' not in page
    opened = _page(client, due, refund="1")
    assert 'id="refund-order" open' in opened and 'name="amount" min="1" max="11000" required inputmode="numeric" ' \
                                                  'value="5500"' in opened
    # only the open register of the user's own store is offered, and preselected as the only one
    assert f'<option value="{mine.pk}" selected>' in opened
    assert f'value="{_other.pk}"' not in opened and f'value="{_closed.pk}"' not in opened


def test_cash_refund_at_the_chosen_register_shows_in_its_day_report(client, staff, shop, due):
    session = _till(shop.store_a)
    client.force_login(staff["store_staff"])
    response = client.post(reverse("console:order_refund", args=[due.number]), {
        "amount": "5500", "method": "original", "reason": "一部キャンセルの差額", "register_session": session.pk})
    assert response.status_code == 302
    refund = Payment.objects.get(order=due, amount__lt=0)
    assert (refund.kind, refund.amount, refund.register_session, refund.location) == (
        TenderKind.CASH, -5500, session, shop.store_a)
    assert session_cash_taken(session) == -5500 and order_refund_due(Order.objects.get(pk=due.pk)) == 0
    cash = next(line for line in session_report(session).tenders if line.kind == TenderKind.CASH)
    assert (cash.given_back, cash.given_back_count) == (5500, 1)


def test_cash_refund_without_a_register_is_refused_and_nothing_changes(client, staff, shop, due):
    _till(shop.store_a)
    client.force_login(staff["store_staff"])
    response = client.post(reverse("console:order_refund", args=[due.number]), {
        "amount": "5500", "method": "original", "reason": "差額"}, follow=True)
    page = response.content.decode()
    assert "¥5,500" in page and ("choose the open register whose drawer" in page or "現金を出す営業中のレジを選ぶ" in page)
    assert response.redirect_chain[-1][0].endswith("?refund=1#refund-order")
    assert not Payment.objects.filter(amount__lt=0).exists() and order_refund_due(Order.objects.get(pk=due.pk)) == 5500


@pytest.mark.parametrize("which", ["other_store", "closed", "unknown"])
def test_a_register_outside_the_users_store_or_closed_is_refused(client, staff, shop, due, which):
    session = {"other_store": lambda: _till(shop.store_b), "closed": lambda: _till(shop.store_a, closed=True),
               "unknown": lambda: None}[which]()
    client.force_login(staff["store_staff"])
    client.post(reverse("console:order_refund", args=[due.number]), {
        "amount": "5500", "method": "original", "reason": "差額",
        "register_session": session.pk if session else 999999})
    assert not Payment.objects.filter(amount__lt=0).exists()


def test_the_service_refuses_another_stores_register_whoever_calls_it(staff, shop, due):
    from django.core.exceptions import PermissionDenied

    from orders.returns import order_refund

    with pytest.raises(PermissionDenied):
        order_refund(order=due, amount=5500, reason="差額", register_session=_till(shop.store_b),
                     acting_user=staff["store_staff"])
    assert not Payment.objects.filter(amount__lt=0).exists()


def test_staff_without_the_refund_permission_get_403_and_no_panel(client, staff, shop, due):
    session = _till(shop.store_a)
    client.force_login(staff["warehouse_operator"])
    response = client.post(reverse("console:order_refund", args=[due.number]), {
        "amount": "5500", "method": "original", "reason": "差額", "register_session": session.pk})
    assert response.status_code in (403, 404)
    assert not Payment.objects.filter(amount__lt=0).exists()
