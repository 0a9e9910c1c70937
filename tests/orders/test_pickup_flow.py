import pytest
from django.core import mail

from customers.models import EventKind
from customers.selectors import consent_state
from customers.services import customer_sign_up
from inventory.models import MovementReason, StockLevel
from inventory.selectors import ledger_balance
from orders import services
from orders.errors import InvalidOrder, InvalidTransition, OutOfStock
from orders.models import FulfillmentStatus, OrderStatus
from orders.services import ContactIn, FulfillmentIn, LineIn
from tests.builders import CASH_AT_DESK

pytestmark = pytest.mark.django_db


def level(shop, variant, location):
    return StockLevel.objects.get(variant=variant, location=location)


def test_pickup_order_reserves_then_hand_over_moves_stock_through_ledger(shop, django_capture_on_commit_callbacks):
    _user, customer = customer_sign_up(email="hanako@example.jp", password="pass-Word-123", family_name="山田",
                                       given_name="花子", phone="090-1234-5678", email_marketing=True,
                                       channel=shop.web)
    assert consent_state(customer=customer) == {"email": True}

    order = services.order_place(channel=shop.web, customer=customer, lines=[LineIn("LS-S", 1)],
                                 fulfillment=FulfillmentIn("pickup", "shibuya"))
    group = order.fulfillments.get()
    assert group.status == FulfillmentStatus.RESERVED and len(group.pickup_code) == 6
    assert level(shop, shop.small, shop.store_a).reserved == 1
    assert level(shop, shop.small, shop.store_a).on_hand == 3

    with django_capture_on_commit_callbacks(execute=True):
        services.fulfillment_mark_ready(fulfillment=group, acting_user=None)
    order.refresh_from_db()
    assert order.status == OrderStatus.READY
    assert any("hanako@example.jp" in m.to for m in mail.outbox if order.number in m.subject)

    services.fulfillment_hand_over(fulfillment=group, acting_user=None, tenders=CASH_AT_DESK)
    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED
    stock = level(shop, shop.small, shop.store_a)
    assert (stock.on_hand, stock.reserved) == (2, 0)
    assert ledger_balance(variant=shop.small, location=shop.store_a) == 2
    sale = shop.small.movements.get(location=shop.store_a, reason=MovementReason.SALE)
    assert sale.quantity == -1
    kinds = list(customer.events.order_by("occurred_at", "id").values_list("kind", flat=True))
    for kind in (EventKind.SIGNED_UP, EventKind.ORDER_PLACED, EventKind.ORDER_READY, EventKind.PICKUP_COMPLETED):
        assert kind in kinds


def test_short_stock_reserves_nothing_and_names_the_line(shop):
    with pytest.raises(OutOfStock) as exc:
        services.order_place(channel=shop.web, lines=[LineIn("LS-S", 1), LineIn("LS-L", 4)],
                             fulfillment=FulfillmentIn("pickup", "shibuya"), contact=ContactIn(email="a@example.jp"))
    assert [(line.sku, line.available) for line in exc.value.lines] == [("LS-L", 3)]
    assert level(shop, shop.small, shop.store_a).reserved == 0


def test_bad_input_gives_field_errors(shop):
    with pytest.raises(InvalidOrder) as exc:
        services.order_place(channel=shop.web, lines=[LineIn("NOPE", 1), LineIn("LS-S", 0)],
                             fulfillment=FulfillmentIn("pickup", "locker-shinjuku"))
    assert set(exc.value.errors) == {"lines.0.sku", "lines.1.quantity", "fulfillment.location"}


def test_hand_over_before_ready_is_refused(shop):
    order = services.order_place(channel=shop.web, lines=[LineIn("LS-S", 1)],
                                 fulfillment=FulfillmentIn("pickup", "shibuya"))
    with pytest.raises(InvalidTransition):
        services.fulfillment_hand_over(fulfillment=order.fulfillments.get(), tenders=CASH_AT_DESK)


def test_cancel_releases_the_reservation(shop):
    order = services.order_place(channel=shop.web, lines=[LineIn("LS-S", 2)],
                                 fulfillment=FulfillmentIn("pickup", "shibuya"))
    services.order_cancel(order=order)
    assert level(shop, shop.small, shop.store_a).reserved == 0
    assert order.status == OrderStatus.CANCELLED


def test_tests_run_in_test_mode(settings):
    assert settings.MODE == "test" and settings.Q_CLUSTER["sync"] is True


def test_orders_are_found_by_the_customers_furigana(shop):
    _user, customer = customer_sign_up(email="taro@example.jp", password="pass-Word-123", family_name="佐藤",
                                       given_name="太郎", family_name_kana="サトウ", given_name_kana="タロウ")
    order = services.order_place(channel=shop.web, customer=customer, lines=[LineIn("LS-S", 1)],
                                 fulfillment=FulfillmentIn("pickup", "shibuya"))
    from orders.models import Order

    for query in ("さとう", "ｻﾄｳﾀﾛｳ", "佐藤"):
        assert list(Order.objects.search(query)) == [order]
