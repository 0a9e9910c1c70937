import pytest

from inventory import receiving
from inventory.documents import LineIn, ReceivedLineIn, variant_for_code
from inventory.errors import DocumentStateError, LinesInvalid, OverExpected
from inventory.models import MovementReason, PurchaseOrderStatus, Receipt, StockLevel, StockMovement

from .conftest import assert_ledger_balanced, stock_state

pytestmark = pytest.mark.django_db


def level(variant, location) -> int:
    return StockLevel.objects.get(variant=variant, location=location).on_hand


@pytest.fixture
def order(shop, staff):
    return receiving.purchase_order_create(location=shop.warehouse, supplier_name="東洋繊維", acting_user=staff[
        "warehouse_operator"], lines=[LineIn(shop.small, 10), LineIn(shop.large, 5)])


def test_a_receipt_of_many_lines_is_one_transaction_with_a_ledger_row_per_line(shop, staff, order):
    receipt = receiving.receipt_create(location=shop.warehouse, purchase_order=order,
                                       acting_user=staff["warehouse_operator"],
                                       lines=[ReceivedLineIn(shop.small, 4), ReceivedLineIn(shop.large, 5, damaged=1)])
    assert receipt.number == f"RC-{receipt.pk:06d}"
    assert level(shop.small, shop.warehouse) == 24 and level(shop.large, shop.warehouse) == 25
    rows = StockMovement.objects.filter(reference=receipt.ledger_reference)
    assert sorted(rows.values_list("quantity", "reason")) == [(4, MovementReason.RECEIPT), (5, MovementReason.RECEIPT)]
    order.refresh_from_db()
    assert order.status == PurchaseOrderStatus.PARTIAL  # 6 small still expected
    receiving.receipt_create(location=shop.warehouse, purchase_order=order, lines=[ReceivedLineIn(shop.small, 6)],
                             acting_user=staff["warehouse_operator"])
    order.refresh_from_db()
    assert order.status == PurchaseOrderStatus.RECEIVED
    assert_ledger_balanced()


def test_receiving_more_than_expected_without_permission_changes_nothing(shop, staff, order):
    before = stock_state()
    with pytest.raises(OverExpected) as refused:
        receiving.receipt_create(location=shop.warehouse, purchase_order=order,
                                 acting_user=staff["warehouse_operator"],
                                 lines=[ReceivedLineIn(shop.small, 4), ReceivedLineIn(shop.large, 6)])
    assert list(refused.value.errors) == ["lines.1.quantity"]
    assert "supervisor" in str(refused.value)
    assert stock_state() == before
    assert not Receipt.objects.exists()
    order.refresh_from_db()
    assert order.status == PurchaseOrderStatus.OPEN
    assert list(order.lines.values_list("received", flat=True)) == [0, 0]


def test_a_supervisor_may_receive_over_and_the_order_records_it(shop, staff, order):
    receiving.receipt_create(location=shop.warehouse, purchase_order=order, acting_user=staff["administrator"],
                             lines=[ReceivedLineIn(shop.small, 12), ReceivedLineIn(shop.large, 5)])
    order.refresh_from_db()
    assert order.status == PurchaseOrderStatus.RECEIVED
    assert level(shop.small, shop.warehouse) == 32
    assert_ledger_balanced()


def test_a_closed_order_or_another_locations_order_receives_nothing(shop, staff, order):
    receiving.purchase_order_close(purchase_order=order)
    order.refresh_from_db()
    assert order.status == PurchaseOrderStatus.CANCELLED
    before = stock_state()
    with pytest.raises(DocumentStateError):
        receiving.receipt_create(location=shop.warehouse, purchase_order=order, lines=[ReceivedLineIn(shop.small, 1)])
    with pytest.raises(LinesInvalid):
        receiving.receipt_create(location=shop.store_a, purchase_order=order, lines=[ReceivedLineIn(shop.small, 1)])
    with pytest.raises(LinesInvalid):
        receiving.receipt_create(location=shop.warehouse, lines=[ReceivedLineIn(shop.small, 0)])
    assert stock_state() == before


def test_a_receipt_with_nothing_expected_receives_the_lines(shop, staff):
    receiving.receipt_create(location=shop.store_a, acting_user=staff["store_staff"],
                             lines=[ReceivedLineIn(shop.small, 2), ReceivedLineIn(shop.small, 1)])
    assert level(shop.small, shop.store_a) == 6
    assert_ledger_balanced()


def test_a_scanned_code_finds_the_variant_by_jan_with_full_width_digits_or_by_sku(shop):
    assert variant_for_code("４９０１２３４５６７８９４") == shop.small
    assert variant_for_code(" ls-l ") == shop.large
    assert variant_for_code("4901-2345-67887") == shop.large
    assert variant_for_code("nothing") is None
