import pytest
from django.core.exceptions import ValidationError
from django.db.models import Sum

from inventory import services
from inventory.errors import InvalidStockOperation, OutOfStock
from inventory.models import Reservation, ReservationStatus, StockLevel, StockMovement
from inventory.selectors import available_to_promise, ledger_balance
from inventory.validators import ean13_check_digit, validate_ean13

pytestmark = pytest.mark.django_db


def test_every_on_hand_change_writes_one_ledger_row_and_the_ledger_sums_to_on_hand(shop):
    services.stock_receive(variant=shop.small, location=shop.store_a, quantity=5, reference="PO-2")
    services.stock_adjust(variant=shop.small, location=shop.store_a, quantity=-2, note="damaged")
    services.stock_reserve(location=shop.store_a, lines=[(shop.small, 1)], reference="hold-1")
    services.reservation_fulfil(reference="hold-1")
    for level in StockLevel.objects.all():
        assert ledger_balance(variant=level.variant, location=level.location) == level.on_hand
    assert StockLevel.objects.get(variant=shop.small, location=shop.store_a).on_hand == 3 + 5 - 2 - 1


def test_ledger_rows_cannot_be_changed_or_deleted(shop):
    row = StockMovement.objects.first()
    row.quantity = 100
    with pytest.raises(ValueError):
        row.save()
    with pytest.raises(ValueError):
        row.delete()


def test_reserve_is_all_or_nothing(shop):
    with pytest.raises(OutOfStock) as exc:
        services.stock_reserve(location=shop.store_b, lines=[(shop.small, 1), (shop.large, 3)], reference="r")
    assert exc.value.lines[0].sku == "LS-L" and exc.value.lines[0].available == 2
    assert not Reservation.objects.exists()
    assert StockLevel.objects.filter(location=shop.store_b, reserved__gt=0).count() == 0


def test_safety_stock_is_not_promised(shop):
    StockLevel.objects.filter(variant=shop.small, location=shop.store_a).update(safety_stock=2)
    assert available_to_promise(variant=shop.small, location=shop.store_a) == 1
    with pytest.raises(OutOfStock):
        services.stock_reserve(location=shop.store_a, lines=[(shop.small, 2)], reference="r")


def test_release_gives_units_back_once(shop):
    services.stock_reserve(location=shop.store_a, lines=[(shop.small, 2)], reference="r")
    assert services.reservation_release(reference="r") == 2
    assert services.reservation_release(reference="r") == 0
    assert StockLevel.objects.get(variant=shop.small, location=shop.store_a).reserved == 0
    assert Reservation.objects.get(reference="r").status == ReservationStatus.RELEASED


def test_fulfil_twice_moves_stock_once(shop):
    services.stock_reserve(location=shop.store_a, lines=[(shop.small, 1)], reference="r")
    services.reservation_fulfil(reference="r")
    services.reservation_fulfil(reference="r")
    assert StockLevel.objects.get(variant=shop.small, location=shop.store_a).on_hand == 2
    assert StockMovement.objects.filter(reference="r").aggregate(total=Sum("quantity"))["total"] == -1


def test_adjustment_cannot_take_reserved_units(shop):
    services.stock_reserve(location=shop.store_a, lines=[(shop.small, 3)], reference="r")
    with pytest.raises(InvalidStockOperation):
        services.stock_adjust(variant=shop.small, location=shop.store_a, quantity=-1, note="lost")


def test_receiving_zero_or_negative_is_refused(shop):
    for quantity in (0, -3):
        with pytest.raises(InvalidStockOperation):
            services.stock_receive(variant=shop.small, location=shop.store_a, quantity=quantity)


@pytest.mark.parametrize("code", ["4901234567894", "４９０１２３４５６７８９４", "4 901234 567894"])
def test_valid_jan_codes_pass_in_any_width(code):
    validate_ean13(code)


@pytest.mark.parametrize("code", ["4901234567890", "490123456789", "49012345678944", "49012345678a4"])
def test_bad_jan_codes_are_refused(code):
    with pytest.raises(ValidationError):
        validate_ean13(code)


def test_check_digit_matches_gs1_example():
    assert ean13_check_digit("400638133393") == 1  # GS1 worked example: 4006381333931
