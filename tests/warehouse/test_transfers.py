import pytest

from inventory import transfers
from inventory.documents import LineIn, ReceivedLineIn
from inventory.errors import DocumentStateError, LinesInvalid, OutOfStock, OverExpected
from inventory.models import MovementReason, StockLevel, StockMovement, TransferStatus

from .conftest import assert_ledger_balanced, stock_state

pytestmark = pytest.mark.django_db


def on_hand(variant, location) -> tuple[int, int]:
    level = StockLevel.objects.get(variant=variant, location=location)
    return level.on_hand, level.reserved


def requested(shop, user=None, quantity=5):
    return transfers.transfer_request(source=shop.warehouse, destination=shop.store_a, acting_user=user,
                                      lines=[LineIn(shop.small, quantity), LineIn(shop.large, 2)])


def test_a_transfer_moves_stock_through_the_ledger_from_request_to_receipt(shop, staff):
    transfer = requested(shop, staff["store_staff"])
    assert transfer.number == f"TR-{transfer.pk:06d}"
    assert on_hand(shop.small, shop.warehouse) == (20, 0)  # a request holds nothing
    transfers.transfer_approve(transfer=transfer, acting_user=staff["warehouse_operator"])
    assert on_hand(shop.small, shop.warehouse) == (20, 5)  # approved: held at the source
    transfers.transfer_ship(transfer=transfer, shipped={shop.small.pk: 4, shop.large.pk: 2},
                            acting_user=staff["warehouse_operator"])
    transfer.refresh_from_db()
    assert transfer.status == TransferStatus.IN_TRANSIT
    assert on_hand(shop.small, shop.warehouse) == (16, 0)  # 4 left, the 5th given back
    out = StockMovement.objects.get(variant=shop.small, location=shop.warehouse, reason=MovementReason.TRANSFER_OUT)
    assert (out.quantity, out.reference) == (-4, f"transfer:{transfer.number}")
    assert_ledger_balanced()
    receipt = transfers.transfer_receive(transfer=transfer, acting_user=staff["store_staff"], lines=[
        ReceivedLineIn(shop.small, 3, damaged=1), ReceivedLineIn(shop.large, 1)])
    transfer.refresh_from_db()
    assert transfer.status == TransferStatus.RECEIVED and receipt.transfer == transfer
    assert on_hand(shop.small, shop.store_a) == (3 + 3, 0)
    assert on_hand(shop.large, shop.store_a) == (3 + 1, 0)
    small, large = transfer.lines.order_by("variant__position")
    assert (small.shipped, small.received, small.damaged, small.short) == (4, 3, 1, 0)
    assert (large.shipped, large.received, large.short) == (2, 1, 1)
    assert StockMovement.objects.filter(reason=MovementReason.TRANSFER_IN, reference=transfer.ledger_reference
                                        ).count() == 2
    assert_ledger_balanced()


def test_transferring_more_than_is_available_is_refused_and_changes_nothing(shop, staff):
    before = stock_state()
    with pytest.raises(OutOfStock) as refused:
        transfers.transfer_request(source=shop.store_b, destination=shop.store_a,
                                   lines=[LineIn(shop.small, 1), LineIn(shop.large, 3)])
    assert [(line.sku, line.available) for line in refused.value.lines] == [("LS-L", 2)]
    assert stock_state() == before
    from inventory.models import Transfer
    assert not Transfer.objects.exists()


def test_approving_stock_that_was_sold_since_the_request_is_refused(shop, staff):
    from inventory import services

    transfer = transfers.transfer_request(source=shop.store_b, destination=shop.store_a,
                                          lines=[LineIn(shop.small, 2)])
    services.stock_reserve(location=shop.store_b, lines=[(shop.small, 1)], reference="fulfillment:1")
    before = stock_state()
    with pytest.raises(OutOfStock):
        transfers.transfer_approve(transfer=transfer, acting_user=staff["store_staff_b"])
    assert stock_state() == before
    transfer.refresh_from_db()
    assert transfer.status == TransferStatus.REQUESTED


def test_shipping_more_than_approved_or_twice_is_refused(shop, staff):
    transfer = requested(shop)
    transfers.transfer_approve(transfer=transfer)
    before = stock_state()
    with pytest.raises(LinesInvalid):
        transfers.transfer_ship(transfer=transfer, shipped={shop.small.pk: 6, shop.large.pk: 2})
    with pytest.raises(LinesInvalid):
        transfers.transfer_ship(transfer=transfer, shipped={shop.small.pk: 0, shop.large.pk: 0})
    assert stock_state() == before
    transfers.transfer_ship(transfer=transfer)
    after = stock_state()
    with pytest.raises(DocumentStateError):
        transfers.transfer_ship(transfer=transfer)
    assert stock_state() == after
    assert_ledger_balanced()


def test_receiving_more_than_shipped_needs_the_permission(shop, staff):
    transfer = requested(shop)
    transfers.transfer_approve(transfer=transfer)
    transfers.transfer_ship(transfer=transfer)
    before = stock_state()
    with pytest.raises(OverExpected) as refused:
        transfers.transfer_receive(transfer=transfer, acting_user=staff["store_staff"],
                                   lines=[ReceivedLineIn(shop.small, 6), ReceivedLineIn(shop.large, 2)])
    assert "lines.0.quantity" in refused.value.errors
    assert stock_state() == before
    transfer.refresh_from_db()
    assert transfer.status == TransferStatus.IN_TRANSIT
    transfers.transfer_receive(transfer=transfer, acting_user=staff["administrator"],
                               lines=[ReceivedLineIn(shop.small, 6), ReceivedLineIn(shop.large, 2)])
    assert on_hand(shop.small, shop.store_a) == (9, 0)
    assert transfer.lines.get(variant=shop.small).over == 1
    assert_ledger_balanced()


def test_cancelling_an_approved_transfer_gives_the_held_units_back(shop):
    transfer = requested(shop)
    transfers.transfer_approve(transfer=transfer)
    transfers.transfer_cancel(transfer=transfer)
    assert on_hand(shop.small, shop.warehouse) == (20, 0)
    with pytest.raises(DocumentStateError):
        transfers.transfer_approve(transfer=transfer)
    assert_ledger_balanced()


def test_a_transfer_to_its_own_location_or_without_lines_is_refused(shop):
    with pytest.raises(LinesInvalid):
        transfers.transfer_request(source=shop.store_a, destination=shop.store_a, lines=[LineIn(shop.small, 1)])
    with pytest.raises(LinesInvalid):
        transfers.transfer_request(source=shop.warehouse, destination=shop.store_a, lines=[])
    with pytest.raises(LinesInvalid):
        transfers.transfer_request(source=shop.warehouse, destination=shop.store_a, lines=[LineIn(shop.small, 0)])


def test_two_scans_of_the_same_item_make_one_line(shop):
    transfer = transfers.transfer_request(source=shop.warehouse, destination=shop.store_a,
                                          lines=[LineIn(shop.small, 1), LineIn(shop.small, 1)])
    assert list(transfer.lines.values_list("requested", flat=True)) == [2]
