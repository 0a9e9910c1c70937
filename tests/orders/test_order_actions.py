"""Order actions of issue 10: cancelling some units (stock, totals, tax per rate, discounts, refund
due), a customer cancelling their own order, staff notes and tags. Bad input changes nothing."""

import pytest

from customers.services import customer_sign_up
from inventory import services as inventory
from inventory.models import Reservation, StockLevel, StockMovement, TaxClass
from inventory.services import VariantIn
from orders import services
from orders.errors import InvalidOrder, InvalidTransition
from orders.models import Order, OrderDiscount, OrderEvent, OrderNote, OrderTag, Payment
from orders.payments import TenderIn, order_refund_due, payment_take
from orders.selectors import order_invoice, order_list
from orders.services import ContactIn, FulfillmentIn, LineCancelIn, LineIn
from tests.discounts_app import providers as test_providers

pytestmark = pytest.mark.django_db


@pytest.fixture
def discounts_app(settings):
    settings.INSTALLED_APPS = ["tests.discounts_app.apps.DiscountsAppConfig", *settings.INSTALLED_APPS]
    test_providers.commits.clear()
    yield
    test_providers.commits.clear()


@pytest.fixture
def make_customer(shop):
    def make(email: str = "hanako@example.jp"):
        return customer_sign_up(email=email, password="pass-Word-123", family_name="山田", given_name="花子",
                                phone="090-1234-5678", email_marketing=False, channel=shop.web)

    return make


@pytest.fixture
def tea(shop):
    """A reduced-rate (8 %) item."""
    product = inventory.product_create(code="green-tea", name="緑茶", tax_class=TaxClass.REDUCED, category="お茶",
                                       variants=[VariantIn(sku="TEA-1", barcode="4901234567900", price=1299)])
    variant = product.variants.get()
    inventory.stock_receive(variant=variant, location=shop.store_a, quantity=10, reference="PO-9")
    return variant


def place(shop, lines, *, codes=(), customer=None):
    return services.order_place(channel=shop.web, lines=lines, codes=codes, customer=customer,
                                contact=ContactIn(email="taro@example.jp"),
                                fulfillment=FulfillmentIn("pickup", "shibuya"))


def reserved(variant, location) -> int:
    return StockLevel.objects.get(variant=variant, location=location).reserved


def snapshot(order):
    """Everything a refused action must leave as it was: lines, totals, stock, holds, money, events."""
    order = Order.objects.get(pk=order.pk)
    return (
        list(order.lines.order_by("id").values_list("quantity", "line_total", "discount")),
        (order.total, order.discount_total, order.status),
        list(StockLevel.objects.order_by("id").values_list("on_hand", "reserved")),
        list(Reservation.objects.order_by("id").values_list("quantity", "status")),
        StockMovement.objects.count(),
        list(Payment.objects.order_by("id").values_list("amount", flat=True)),
        list(OrderDiscount.objects.order_by("id").values_list("amount", flat=True)),
        OrderEvent.objects.filter(order=order).count(),
    )


# --- partial cancel ------------------------------------------------------------------------------

def test_cancelling_some_units_releases_their_hold_and_recomputes_lines_tax_and_total(shop, tea, staff):
    order = place(shop, [LineIn("LS-S", 2), LineIn("TEA-1", 3)])
    shirt, tea_line = order.lines.order_by("id")
    assert (order.total, reserved(shop.small, shop.store_a), reserved(tea, shop.store_a)) == (5500 * 2 + 1299 * 3, 2, 3)

    services.order_lines_cancel(order=order, lines=[LineCancelIn(line=tea_line.pk, quantity=2)],
                                reason="品切れ", acting_user=staff["store_staff"])

    order.refresh_from_db()
    tea_line.refresh_from_db()
    assert (tea_line.quantity, tea_line.line_total) == (1, 1299)
    assert order.total == 5500 * 2 + 1299
    assert (reserved(shop.small, shop.store_a), reserved(tea, shop.store_a)) == (2, 1)
    assert StockLevel.objects.get(variant=tea, location=shop.store_a).on_hand == 10  # no ledger move: a hold
    holds = Reservation.objects.filter(variant=tea).order_by("id")
    assert list(holds.values_list("quantity", "status")) == [(1, "active"), (2, "released")]
    tax = {r.rate: (r.total, r.tax) for r in order_invoice(order).tax.by_rate}
    assert tax == {10: (11000, 1000), 8: (1299, 96)}
    event = order.events.get(kind="lines_cancelled")
    assert event.data == {"lines": [{"sku": "TEA-1", "product_name": "緑茶", "quantity": 2, "amount": 2598}],
                          "amount": 2598, "refund_due": 0, "reason": "品切れ"}
    assert event.acting_user == staff["store_staff"]
    assert order.fulfillments.get().status == "reserved"


def test_cancelling_every_unit_of_a_line_removes_the_line_and_every_unit_of_the_order_cancels_it(shop, tea):
    order = place(shop, [LineIn("LS-S", 1), LineIn("TEA-1", 1)])
    shirt, tea_line = order.lines.order_by("id")
    services.order_lines_cancel(order=order, lines=[LineCancelIn(line=tea_line.pk, quantity=1)])
    assert list(order.lines.values_list("sku", flat=True)) == ["LS-S"]
    assert reserved(tea, shop.store_a) == 0
    services.order_lines_cancel(order=order, lines=[LineCancelIn(line=shirt.pk, quantity=1)], reason="電話")
    order.refresh_from_db()
    assert (order.status, order.fulfillments.get().status, reserved(shop.small, shop.store_a)) == (
        "cancelled", "cancelled", 0)
    assert order.events.filter(kind="cancel_reason", data__reason="電話").exists()


def test_a_discounted_line_keeps_the_discount_of_the_units_kept_and_the_offer_follows(shop, tea, discounts_app):
    order = place(shop, [LineIn("LS-S", 2), LineIn("TEA-1", 3)], codes=["TEN"])
    shirt, tea_line = order.lines.order_by("id")
    offer = order.discounts.get()
    subtotal = 5500 * 2 + 1299 * 3
    assert offer.amount == subtotal // 10 == order.discount_total == shirt.discount + tea_line.discount
    assert tea_line.discount == 390  # 10 % spread over the lines by largest remainder
    services.order_lines_cancel(order=order, lines=[LineCancelIn(line=tea_line.pk, quantity=2)])
    order.refresh_from_db()
    tea_line.refresh_from_db()
    shirt.refresh_from_db()
    assert tea_line.discount == 130  # the unit kept keeps its share of 390 (rounded up)
    assert tea_line.discount <= tea_line.line_total
    assert order.discount_total == shirt.discount + tea_line.discount
    assert order.total == shirt.amount + tea_line.amount
    offer.refresh_from_db()
    assert offer.amount == order.discount_total  # the applied offer follows the lines' discount


def test_a_paid_order_partly_cancelled_owes_the_difference_back(shop, tea, staff):
    order = place(shop, [LineIn("LS-S", 1), LineIn("TEA-1", 2)])
    payment_take(order=order, tenders=[TenderIn(kind="card", amount=order.total, reference="SLIP-1")],
                 location=shop.store_a, acting_user=staff["store_staff"])
    assert order_refund_due(order) == 0
    tea_line = order.lines.get(sku="TEA-1")
    services.order_lines_cancel(order=order, lines=[LineCancelIn(line=tea_line.pk, quantity=1)])
    order.refresh_from_db()
    assert order_refund_due(order) == 1299
    assert order.events.get(kind="lines_cancelled").data["refund_due"] == 1299
    assert order.payment_status == "paid"
    # a refund (a negative payment, as the returns' refund service writes it) settles it
    Payment.objects.create(order=order, kind="card", amount=-1299, reference="SLIP-1")
    assert order_refund_due(order) == 0


def test_a_paid_order_cancelled_whole_owes_everything_back(shop, staff):
    order = place(shop, [LineIn("LS-S", 1)])
    payment_take(order=order, tenders=[TenderIn(kind="cash", amount=6000)], location=shop.store_a)
    services.order_cancel(order=order, reason="電話")
    order.refresh_from_db()
    assert order_refund_due(order) == 5500


@pytest.mark.parametrize(("make_lines", "field"), [
    (lambda shirt, other: [LineCancelIn(line=shirt.pk, quantity=3)], "lines.0.quantity"),  # more than ordered
    (lambda shirt, other: [LineCancelIn(line=shirt.pk, quantity=0)], "lines.0.quantity"),
    (lambda shirt, other: [LineCancelIn(line=other.pk, quantity=1)], "lines.0.line"),  # another order's line
    (lambda shirt, other: [LineCancelIn(line=shirt.pk, quantity=1), LineCancelIn(line=shirt.pk, quantity=1)],
     "lines.1.line"),
    (lambda shirt, other: [], "lines"),
])
def test_bad_partial_cancels_change_nothing(shop, tea, make_lines, field):
    order = place(shop, [LineIn("LS-S", 2), LineIn("TEA-1", 1)])
    other = place(shop, [LineIn("LS-L", 1)]).lines.get()
    before = snapshot(order)
    with pytest.raises(InvalidOrder) as exc:
        services.order_lines_cancel(order=order, lines=make_lines(order.lines.get(sku="LS-S"), other))
    assert field in exc.value.errors
    assert snapshot(order) == before


def test_units_of_a_collected_order_cannot_be_cancelled(shop, staff):
    order = place(shop, [LineIn("LS-S", 2)])
    group = order.fulfillments.get()
    services.fulfillment_mark_ready(fulfillment=group)
    services.fulfillment_hand_over(fulfillment=group, tenders=[TenderIn("cash", order.total)])
    before = snapshot(order)
    with pytest.raises(InvalidOrder) as exc:
        services.order_lines_cancel(order=order, lines=[LineCancelIn(line=order.lines.get().pk, quantity=1)])
    assert "lines.0.line" in exc.value.errors
    assert snapshot(order) == before


# --- the customer cancels ------------------------------------------------------------------------

def test_a_customer_cancels_their_order_before_it_is_prepared(shop, make_customer):
    user, customer = make_customer()
    order = place(shop, [LineIn("LS-S", 1)], customer=customer)
    services.order_cancel_by_customer(order=order, customer=customer, acting_user=user)
    order.refresh_from_db()
    assert (order.status, reserved(shop.small, shop.store_a)) == ("cancelled", 0)
    assert order.events.get(kind="cancelled").acting_user == user
    assert order.events.filter(kind="cancel_reason").exists()


def test_a_customer_cannot_cancel_once_the_order_is_ready_nor_anybody_elses(shop, make_customer):
    _user, customer = make_customer()
    _other_user, other = make_customer(email="other@example.jp")
    order = place(shop, [LineIn("LS-S", 1)], customer=customer)
    before = snapshot(order)
    with pytest.raises(Order.DoesNotExist):
        services.order_cancel_by_customer(order=order, customer=other)
    assert snapshot(order) == before
    services.fulfillment_mark_ready(fulfillment=order.fulfillments.get())
    before = snapshot(order)
    with pytest.raises(InvalidTransition):
        services.order_cancel_by_customer(order=order, customer=customer)
    assert snapshot(order) == before


# --- notes and tags --------------------------------------------------------------------------------

def test_notes_keep_author_and_time_and_refuse_empty_or_long_ones(shop, staff):
    order = place(shop, [LineIn("LS-S", 1)])
    note = services.order_note_add(order=order, body="  お客様から電話: 夕方に来店  ", acting_user=staff["store_staff"])
    assert (note.body, note.author, note.created_at is not None) == ("お客様から電話: 夕方に来店", staff["store_staff"], True)
    for body in ("   ", "あ" * (services.MAX_NOTE_LENGTH + 1)):
        with pytest.raises(InvalidOrder):
            services.order_note_add(order=order, body=body, acting_user=staff["store_staff"])
    assert OrderNote.objects.count() == 1


def test_tags_are_normalised_set_as_a_whole_and_filter_the_order_list(shop):
    tagged = place(shop, [LineIn("LS-S", 1)])
    plain = place(shop, [LineIn("LS-L", 1)])
    assert services.order_tags_set(order=tagged, tags=["ＶＩＰ", " gift  wrap ", "vip", ""]) == ["gift wrap", "vip"]
    assert list(order_list(tag="vip")) == [tagged]
    assert plain not in order_list(tag="gift wrap")
    assert services.order_tags_set(order=tagged, tags=["gift wrap"]) == ["gift wrap"]
    assert list(OrderTag.objects.values_list("name", flat=True)) == ["gift wrap"]
    with pytest.raises(InvalidOrder):
        services.order_tags_set(order=tagged, tags=[f"t{i}" for i in range(services.MAX_TAGS + 1)])
    with pytest.raises(InvalidOrder):
        services.order_tags_set(order=tagged, tags=["x" * (services.MAX_TAG_LENGTH + 1)])
    assert list(OrderTag.objects.values_list("name", flat=True)) == ["gift wrap"]
