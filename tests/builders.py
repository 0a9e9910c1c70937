"""Test data built through services, shared by the test modules."""

from dataclasses import dataclass

from django.contrib.auth import get_user_model

from inventory import services as inventory
from inventory.models import Product, Variant
from inventory.services import VariantIn
from kernel import channels, roles
from kernel.models import Channel, Location, LocationKind
from orders.payments import TenderIn

# What the pickup desk takes for an order paid at the store in tests that are about something
# else: cash well over any test order's total (the change is worked out).
CASH_AT_DESK = [TenderIn("cash", 1_000_000)]


@dataclass
class Shop:
    warehouse: Location
    store_a: Location
    store_b: Location
    locker: Location
    web: Channel
    pos_a: Channel
    product: Product
    small: Variant
    large: Variant


def build_shop(stock_a: int = 3, stock_b: int = 2, stock_warehouse: int = 20) -> Shop:
    warehouse = inventory.location_create(code="wh-kanto", name="関東倉庫", kind=LocationKind.WAREHOUSE,
                                          prefecture="11", ships_orders=True)
    store_a = inventory.location_create(code="shibuya", name="渋谷店", kind=LocationKind.STORE, prefecture="13",
                                        offers_pickup=True, phone="03-1234-5678")
    store_b = inventory.location_create(code="umeda", name="梅田店", kind=LocationKind.STORE, prefecture="27",
                                        offers_pickup=True)
    locker = inventory.location_create(code="locker-shinjuku", name="新宿ロッカー", kind=LocationKind.LOCKER,
                                       prefecture="13", offers_pickup=False)
    web = channels.web_channel()  # the standard channels exist from the first migrate
    pos_a = channels.pos_channel(store_a)  # made by location_create with the store
    product = inventory.product_create(
        code="linen-shirt", name="リネンシャツ", category="シャツ",
        variants=[VariantIn(sku="LS-S", barcode="4901234567894", price=5500, size="S"),
                  VariantIn(sku="LS-L", barcode="4901234567887", price=5500, size="L")],
    )
    small, large = product.variants.order_by("position")
    for variant in (small, large):
        if stock_warehouse:
            inventory.stock_receive(variant=variant, location=warehouse, quantity=stock_warehouse, reference="PO-1")
        if stock_a:
            inventory.stock_receive(variant=variant, location=store_a, quantity=stock_a, reference="PO-1")
        if stock_b:
            inventory.stock_receive(variant=variant, location=store_b, quantity=stock_b, reference="PO-1")
    return Shop(warehouse, store_a, store_b, locker, web, pos_a, product, small, large)


def build_staff(shop: Shop) -> dict:
    User = get_user_model()
    people = {}
    for role, location in [
        (roles.STORE_STAFF, shop.store_a),
        (roles.WAREHOUSE_OPERATOR, shop.warehouse),
        (roles.HQ_MARKETER, None),
        (roles.ADMINISTRATOR, None),
    ]:
        user = User.objects.create_user(f"{role}@example.jp", "pass-Word-123", display_name=role)
        roles.assign_role(user, role, location=location)
        people[role] = user
    other = User.objects.create_user("staff-umeda@example.jp", "pass-Word-123")
    roles.assign_role(other, roles.STORE_STAFF, location=shop.store_b)
    people["store_staff_b"] = other
    people["customer"] = User.objects.create_user("shopper@example.jp", "pass-Word-123")
    return people
