"""What customers are told about stock: a level, with its thresholds defined once."""

import pytest

from inventory import services
from inventory.models import FEW_LEFT_MAX, AvailabilityLevel, StockPolicy
from inventory.selectors import public_availability
from kernel.models import Location, LocationKind


@pytest.mark.parametrize(("available", "level"), [
    (0, AvailabilityLevel.OUT_OF_STOCK),
    (1, AvailabilityLevel.FEW_LEFT),
    (FEW_LEFT_MAX, AvailabilityLevel.FEW_LEFT),
    (FEW_LEFT_MAX + 1, AvailabilityLevel.IN_STOCK),
])
def test_levels_follow_the_few_left_threshold(available, level):
    assert AvailabilityLevel.of(available) == level


@pytest.mark.parametrize("policy", [StockPolicy.BACKORDER, StockPolicy.PREORDER])
def test_products_that_can_be_ordered_without_stock_are_available_to_order_at_zero(policy):
    assert AvailabilityLevel.of(0, stock_policy=policy) == AvailabilityLevel.TO_ORDER
    assert AvailabilityLevel.of(1, stock_policy=policy) == AvailabilityLevel.FEW_LEFT


@pytest.mark.django_db
def test_public_availability_covers_stores_popups_and_pickup_points_but_not_warehouses(shop):
    popup = services.location_create(code="popup", name="ポップアップ", kind=LocationKind.POPUP)
    Location.objects.filter(code="umeda").update(is_active=False)
    rows = public_availability(product=shop.product)
    codes = {row.location.code for row in rows}
    assert codes == {"shibuya", popup.code}


@pytest.mark.django_db
def test_a_location_is_as_available_as_its_best_variant(shop):
    services.stock_adjust(variant=shop.small, location=shop.store_a, quantity=-3, note="破損")  # S: 0, L: 3
    [shibuya] = [row for row in public_availability(product=shop.product) if row.location == shop.store_a]
    assert [(v.variant.sku, v.level) for v in shibuya.variants] == [
        ("LS-S", AvailabilityLevel.OUT_OF_STOCK), ("LS-L", AvailabilityLevel.IN_STOCK)]
    assert shibuya.level == AvailabilityLevel.IN_STOCK
