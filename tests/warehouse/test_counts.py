import pytest

from inventory import counts, services
from inventory.errors import DocumentStateError, LinesInvalid
from inventory.models import MovementReason, StockCountStatus, StockLevel, StockMovement

from .conftest import assert_ledger_balanced, stock_state

pytestmark = pytest.mark.django_db


def on_hand(variant, location) -> int:
    return StockLevel.objects.get(variant=variant, location=location).on_hand


def test_a_blind_count_is_posted_as_count_adjustments_after_a_second_persons_approval(shop, staff):
    counter, approver = staff["store_staff"], staff["administrator"]
    count = counts.count_start(location=shop.store_a, acting_user=counter)
    assert count.number == f"CC-{count.pk:06d}"
    assert sorted(count.lines.values_list("variant__sku", "expected")) == [("LS-L", 3), ("LS-S", 3)]
    counts.count_enter(count=count, variant=shop.small, quantity=1, add=True, acting_user=counter)
    counts.count_enter(count=count, variant=shop.small, quantity=1, add=True, acting_user=counter)
    counts.count_submit(count=count, acting_user=counter)  # LS-L not counted: 0 found
    with pytest.raises(DocumentStateError):
        counts.count_approve(count=count, acting_user=counter)  # not their own count
    counts.count_approve(count=count, acting_user=approver)
    assert (on_hand(shop.small, shop.store_a), on_hand(shop.large, shop.store_a)) == (2, 0)
    rows = StockMovement.objects.filter(reason=MovementReason.COUNT, reference=count.ledger_reference)
    assert sorted(rows.values_list("quantity", flat=True)) == [-3, -1]
    assert_ledger_balanced()


def test_a_count_posted_twice_is_refused_and_stock_stays_as_posted(shop, staff):
    count = counts.count_start(location=shop.store_a, acting_user=staff["store_staff"])
    counts.count_enter(count=count, variant=shop.small, quantity=5)
    counts.count_enter(count=count, variant=shop.large, quantity=3)
    counts.count_submit(count=count, acting_user=staff["store_staff"])
    counts.count_approve(count=count, acting_user=staff["administrator"])
    after = stock_state()
    with pytest.raises(DocumentStateError, match="already posted"):
        counts.count_approve(count=count, acting_user=staff["administrator"])
    assert stock_state() == after
    assert on_hand(shop.small, shop.store_a) == 5


def test_stock_that_moved_during_the_count_is_kept(shop, staff):
    count = counts.count_start(location=shop.store_a, acting_user=staff["store_staff"])
    services.stock_receive(variant=shop.small, location=shop.store_a, quantity=10)  # a delivery meanwhile
    services.stock_adjust(variant=shop.large, location=shop.store_a, quantity=-1, note="sold")
    counts.count_enter(count=count, variant=shop.small, quantity=2)  # 1 missing from the 3 at start
    counts.count_enter(count=count, variant=shop.large, quantity=3)
    counts.count_submit(count=count, acting_user=staff["store_staff"])
    line = count.lines.get(variant=shop.small)
    assert (line.variance, line.moved_since) == (-1, 10)
    counts.count_approve(count=count, acting_user=staff["administrator"])
    assert on_hand(shop.small, shop.store_a) == 3 + 10 - 1
    assert on_hand(shop.large, shop.store_a) == 2
    assert_ledger_balanced()


def test_a_count_below_the_held_units_posts_nothing(shop, staff):
    services.stock_reserve(location=shop.store_a, lines=[(shop.small, 2)], reference="fulfillment:9")
    count = counts.count_start(location=shop.store_a)
    counts.count_enter(count=count, variant=shop.small, quantity=1)
    counts.count_enter(count=count, variant=shop.large, quantity=1)
    counts.count_submit(count=count, acting_user=staff["store_staff"])
    before = stock_state()
    with pytest.raises(LinesInvalid):
        counts.count_approve(count=count, acting_user=staff["administrator"])
    assert stock_state() == before
    count.refresh_from_db()
    assert count.status == StockCountStatus.SUBMITTED


def test_a_zone_count_covers_only_its_shelves_and_one_open_count_per_shelf(shop):
    StockLevel.objects.filter(variant=shop.small).update(zone="A-01")
    count = counts.count_start(location=shop.store_a, zone="A-01")
    assert list(count.lines.values_list("variant__sku", flat=True)) == ["LS-S"]
    with pytest.raises(DocumentStateError):
        counts.count_start(location=shop.store_a)
    counts.count_start(location=shop.store_a, zone="B-02")  # other shelves


def test_found_items_get_a_line_and_bad_numbers_are_refused(shop):
    count = counts.count_start(location=shop.locker)
    counts.count_enter(count=count, variant=shop.small, quantity=2)
    with pytest.raises(LinesInvalid):
        counts.count_enter(count=count, variant=shop.small, quantity=-1)
    counts.count_submit(count=count)
    counts.count_approve(count=count)
    assert on_hand(shop.small, shop.locker) == 2
    assert_ledger_balanced()
