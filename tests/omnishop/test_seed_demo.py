from collections import defaultdict
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db.models import Sum
from django.http import HttpRequest
from django.utils import timezone
from PIL import Image

from brandkit.models import Brand
from brandkit.selectors import consistency_scores
from customers.models import ConsentRecord, Customer, CustomerEvent, EventKind
from customers.services import IMPORT_EVENT_DATA
from inventory.models import (
    MovementReason,
    Product,
    ProductImage,
    Reservation,
    StockLevel,
    StockMovement,
    Variant,
)
from inventory.validators import validate_ean13
from kernel import roles
from kernel.models import DomainEvent
from omnishop import demo
from orders.models import (
    Cart,
    CartLine,
    Fulfillment,
    FulfillmentStatus,
    Order,
    OrderEvent,
    OrderLine,
    OrderStatus,
    order_number,
)

pytestmark = pytest.mark.django_db

SMALL = {"customers": 50, "products": 10, "days": 5}


def seed(**options) -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out, **{**SMALL, **options})
    return out.getvalue()


@pytest.fixture
def seeded(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only
    seed()


def test_running_seed_demo_twice_changes_nothing(seeded):
    before = demo.demo_counts()
    output = seed()
    assert "already seeded" in output
    assert demo.demo_counts() == before
    assert before["products"] == 10 and before["customers"] == 51  # 50 + the demo customer
    assert before["orders"] > 0 and before["customer events"] > 0


def test_ledger_sums_to_on_hand_at_every_stock_level(seeded):
    ledger = defaultdict(int)
    for row in StockMovement.objects.values("variant_id", "location_id").annotate(total=Sum("quantity")):
        ledger[row["variant_id"], row["location_id"]] = row["total"]
    levels = list(StockLevel.objects.all())
    assert levels
    assert [(lv.variant_id, lv.location_id, lv.on_hand) for lv in levels if ledger[lv.variant_id, lv.location_id]
            != lv.on_hand] == []
    assert sum(lv.on_hand for lv in levels) > 0


def test_every_barcode_is_a_valid_jan_code(seeded):
    barcodes = list(Variant.objects.values_list("barcode", flat=True))
    assert len(barcodes) >= 20  # 2-4 sizes per product
    for barcode in barcodes:
        validate_ean13(barcode)
        assert barcode.startswith("49")


def test_food_is_reduced_rate_and_order_lines_keep_the_rate(seeded):
    assert Product.objects.filter(tax_class="reduced").exists()
    assert all(p.category in {"お茶", "和菓子", "食品", "調味料", "飲料"} for p in Product.objects.filter(tax_class="reduced"))
    for line in OrderLine.objects.select_related("variant__product")[:200]:
        assert line.tax_rate == line.variant.product.tax_rate


def test_every_product_has_an_image_with_renditions(seeded):
    images = ProductImage.objects.all()
    assert images.count() == Product.objects.count()
    for image in images:
        assert image.original and image.thumbnail and image.large
        assert image.thumbnail.name.endswith(".webp")


def test_demo_users_exist_with_roles_and_can_log_in(seeded, client):
    User = get_user_model()
    for spec in demo.DEMO_USERS:
        user = User.objects.get(email=spec.email)
        assert roles.roles_of(user) == {spec.role}
        if spec.location:
            assert user.location.code == spec.location
        assert client.login(request=HttpRequest(), email=spec.email, password=demo.DEMO_PASSWORD)
        client.logout()
    assert User.objects.get(email="admin@demo.omnishop.jp").is_superuser
    hanako = User.objects.get(email=demo.DEMO_CUSTOMER.email)
    assert hanako.customer.family_name_kana == "ヤマダ"
    assert client.login(request=HttpRequest(), email=hanako.email, password=demo.DEMO_PASSWORD)


def test_todays_orders_span_channels_and_pickups_wait_with_real_reservations(seeded):
    today = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    todays = Order.objects.filter(created_at__gte=today)
    assert len(set(todays.values_list("channel__kind", flat=True))) >= 4
    waiting = Fulfillment.objects.awaiting_pickup()
    assert waiting.filter(status=FulfillmentStatus.READY).exists()
    for group in waiting:
        hold = Reservation.objects.active().get(reference=group.reservation_reference)
        level = StockLevel.objects.get(variant=hold.variant, location=hold.location)
        assert level.reserved >= hold.quantity
    historical = Order.objects.filter(created_at__lt=today - timezone.timedelta(days=1))
    assert historical.exists()
    assert historical.filter(created_at__lt=today - timezone.timedelta(days=4)).exists()


def test_customers_have_furigana_consent_ledger_and_timelines(seeded):
    customers = Customer.objects.exclude(email=demo.DEMO_CUSTOMER.email)
    assert all(c.family_name_kana and c.given_name_kana and c.email.endswith("@example.jp") for c in customers)
    opted = ConsentRecord.objects.filter(channel="email", granted=True).values("customer").distinct().count()
    assert 0.3 * customers.count() < opted < 0.9 * customers.count()
    assert len(set(ConsentRecord.objects.values_list("source", flat=True))) >= 3
    kinds = set(customers.values_list("events__kind", flat=True))
    assert {EventKind.ORDER_PLACED, EventKind.PRODUCT_VIEWED, EventKind.CONSENT_CHANGED} <= kinds
    assert kinds & {EventKind.PICKUP_COMPLETED, EventKind.ORDER_SHIPPED}


def test_the_demo_writes_only_events_the_shop_itself_records(seeded):
    """No campaign opens or clicks (nothing in Omnishop records them), no campaign emails (nothing
    sends them yet): the imported history holds the kinds customer_events_import takes, the
    consent ledger's changes, and what today's orders and Hanako's sign-up wrote."""
    written = set(CustomerEvent.objects.values_list("kind", flat=True))
    assert not written & {EventKind.EMAIL_OPENED, EventKind.EMAIL_CLICKED}
    assert written <= {*IMPORT_EVENT_DATA, EventKind.CONSENT_CHANGED, EventKind.SIGNED_UP, EventKind.EMAIL_SENT,
                       EventKind.CART_ADDED}
    assert not CustomerEvent.objects.filter(subject__startswith="campaign").exists()
    for event in CustomerEvent.objects.filter(kind__in=list(IMPORT_EVENT_DATA)):
        assert set(event.data) == IMPORT_EVENT_DATA[event.kind], event.kind


def test_the_demos_orders_are_numbered_by_the_shops_rule_and_history_publishes_nothing(seeded):
    orders = list(Order.objects.select_related("channel"))
    assert [o.number for o in orders] == [order_number(channel_kind=o.channel.kind, pk=o.pk) for o in orders]
    open_orders = Order.objects.filter(status__in=[OrderStatus.PLACED, OrderStatus.READY])
    assert 0 < open_orders.count() < len(orders)
    # today's open orders were placed through order_place; the imported history published no events
    placed = DomainEvent.objects.filter(type="orders.order_placed")
    assert sorted(placed.values_list("payload__number", flat=True)) == sorted(open_orders.values_list("number", flat=True))
    assert not DomainEvent.objects.filter(type__in=["orders.picked_up", "orders.shipped"]).exists()
    assert set(StockMovement.objects.values_list("reason", flat=True)) == {MovementReason.OPENING_BALANCE}
    assert OrderEvent.objects.filter(created_at__lt=timezone.now() - timezone.timedelta(days=4)).exists()


def test_reset_removes_the_demo_data_and_seeds_it_again(seeded):
    before = demo.demo_counts()
    output = seed(reset=True)
    assert "Removed the demo data" in output and "seeded in" in output
    after = demo.demo_counts()
    assert after["products"] == before["products"] and after["customers"] == before["customers"]


def key_rows() -> dict:
    """What the demo is made of, without ids or the minutes of "now": the same on every seed."""
    orders = Order.objects.order_by("id")
    return {
        "counts": demo.demo_counts(),
        "customers": list(Customer.objects.order_by("id").values_list("email", "family_name", "postal_code")),
        "consent": list(ConsentRecord.objects.order_by("id").values_list("customer__email", "channel", "granted")),
        "orders": [(o.channel.code, o.customer.email if o.customer else None, o.status, o.total,
                    [(line.sku, line.quantity, line.unit_price) for line in o.lines.all()])
                   for o in orders.select_related("channel", "customer").prefetch_related("lines")],
        "stock": sorted(StockLevel.objects.values_list("variant__sku", "location__code", "on_hand", "reserved")),
        "timeline": list(CustomerEvent.objects.order_by("id").values_list("customer__email", "kind")),
        "carts": sorted(CartLine.objects.values_list("cart__customer__email", "sku", "quantity")),
    }


def test_carts_in_progress_are_filled_through_the_cart_services(seeded):
    hanako = Customer.objects.get(email="hanako@demo.omnishop.jp")
    assert CartLine.objects.filter(cart__customer=hanako).count() == 2
    assert Cart.objects.count() >= 2 and not Cart.objects.filter(customer__isnull=True).exists()
    changed = DomainEvent.objects.filter(type="orders.cart_changed")
    assert changed.count() == CartLine.objects.count()  # one event per line added, none written around them
    assert CustomerEvent.objects.filter(kind=EventKind.CART_ADDED).count() == changed.count()


def test_seeding_again_gives_the_same_shop(seeded):
    before = key_rows()
    assert before["orders"] and before["timeline"]
    seed(reset=True)
    assert key_rows() == before
    # ... and the customers whose pickup is ready were told the code their order has (the shop's
    # own codes: random, as for every order).
    ready = Fulfillment.objects.awaiting_pickup().filter(status=FulfillmentStatus.READY).select_related("order")
    assert ready.exists()
    told = {event.subject: event.data["pickup_code"] for event in CustomerEvent.objects.filter(
        kind=EventKind.ORDER_READY, subject__in=[f"order:{group.order.number}" for group in ready])}
    assert told == {f"order:{group.order.number}": group.pickup_code for group in ready}


def published_kit():
    return Brand.objects.get(slug="minato").kits.get(is_active=True)


def test_the_demo_brand_has_a_transparent_logo_with_favicons(seeded, client):
    logo = published_kit().published_version.logos.get(is_primary=True)
    assert {"full", "mono", "reversed", "favicon-16", "favicon-32", "favicon-180"} <= set(logo.variants)
    with Image.open(logo.original) as image:
        assert image.mode == "RGBA" and image.width > 2 * image.height
        assert image.getpixel((image.width - 1, 0))[3] == 0  # transparent background
    html = client.get("/").content.decode()
    assert logo.original.url in html  # the storefront header shows it


def test_seeding_again_does_not_add_a_second_logo(seeded):
    version = published_kit().published_version
    seed(reset=True)
    assert published_kit().published_version == version
    assert version.logos.count() == 1


def test_the_kit_dashboard_has_consistency_scores_for_every_channel(seeded):
    scores = consistency_scores()
    assert all(score["total"] for score in scores.values()), scores
    assert scores["web"]["total"] == Product.objects.count()  # every product's copy was checked
    assert scores["web"]["score"] == 100
    assert 0 < scores["email"]["score"] < 100  # a draft without an unsubscribe link was refused
