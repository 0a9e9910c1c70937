"""Opening balances (stock_import): the stock a shop brings when it moves to Omnishop, one ledger
row each, only where Omnishop holds no stock yet; all or nothing; no stock_available events."""

import pytest

from inventory import services
from inventory.errors import StockImportInvalid
from inventory.models import MovementReason, StockLevel, StockMovement
from inventory.selectors import ledger_balance
from inventory.services import StockBalanceIn, VariantIn
from kernel.models import DomainEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def towel(shop):
    return services.product_create(code="towel", name="今治タオル", variants=[
        VariantIn(sku="TW-F", barcode="4901234567870", price=1320, size="フェイス"),
        VariantIn(sku="TW-B", barcode="4901234567863", price=3300, size="バス")])


def test_opening_balances_start_the_ledger_of_each_level(shop, staff, towel):
    events = DomainEvent.objects.count()
    levels = services.stock_import(rows=[
        StockBalanceIn("TW-F", "shibuya", 12), StockBalanceIn("TW-B", "shibuya", 0),
        StockBalanceIn("TW-F", "wh-kanto", 140, safety_stock=2)], source="legacy-2026",
        acting_user=staff["administrator"])

    assert [(lv.variant.sku, lv.location.code, lv.on_hand, lv.safety_stock) for lv in levels] == [
        ("TW-F", "shibuya", 12, 0), ("TW-B", "shibuya", 0, 0), ("TW-F", "wh-kanto", 140, 2)]
    rows = list(StockMovement.objects.filter(variant__product=towel).order_by("id").values_list(
        "variant__sku", "location__code", "quantity", "reason", "reference", "acting_user"))
    assert rows == [("TW-F", "shibuya", 12, MovementReason.OPENING_BALANCE, "legacy-2026", staff["administrator"].pk),
                    ("TW-F", "wh-kanto", 140, MovementReason.OPENING_BALANCE, "legacy-2026", staff["administrator"].pk)]
    for level in StockLevel.objects.filter(variant__product=towel):
        assert ledger_balance(variant=level.variant, location=level.location) == level.on_hand
    assert DomainEvent.objects.count() == events  # no stock_available for stock that was already there


def test_one_bad_row_among_many_books_nothing_and_every_bad_row_is_reported(shop, towel):
    with pytest.raises(StockImportInvalid) as exc:
        services.stock_import(rows=[
            StockBalanceIn("TW-F", "shibuya", 3),
            StockBalanceIn("NOPE", "nowhere", -1),
            StockBalanceIn("LS-S", "shibuya", 4),  # Omnishop already holds it (the shop fixture's receipt)
            StockBalanceIn("TW-F", "shibuya", 5),  # twice
            StockBalanceIn("TW-B", "umeda", 2, safety_stock=-2),
        ], source="legacy")
    assert {(e.row, e.field) for e in exc.value.errors} == {
        (1, "sku"), (1, "location"), (1, "on_hand"), (2, "sku"), (3, "sku"), (4, "safety_stock")}
    assert not StockLevel.objects.filter(variant__product=towel).exists()
    assert not StockMovement.objects.filter(reason=MovementReason.OPENING_BALANCE).exists()
