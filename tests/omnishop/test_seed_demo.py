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
from inventory.models import Product, ProductImage, Reservation, StockLevel, StockMovement, Variant
from inventory.validators import validate_ean13
from kernel import roles
from omnishop import demo
from orders.models import Fulfillment, FulfillmentStatus, Order, OrderLine

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
    assert {EventKind.ORDER_PLACED, EventKind.PRODUCT_VIEWED, EventKind.EMAIL_SENT} <= kinds
    assert kinds & {EventKind.PICKUP_COMPLETED, EventKind.ORDER_SHIPPED}


def test_reset_removes_the_demo_data_and_seeds_it_again(seeded):
    before = demo.demo_counts()
    output = seed(reset=True)
    assert "Removed the demo data" in output and "seeded in" in output
    after = demo.demo_counts()
    assert after["products"] == before["products"] and after["customers"] == before["customers"]


def pickup_codes(fulfillments) -> list[str]:
    return list(fulfillments.filter(method="pickup").order_by("id").values_list("pickup_code", flat=True))


def test_seeding_again_gives_the_same_pickup_codes(seeded):
    everything, waiting = pickup_codes(Fulfillment.objects), pickup_codes(Fulfillment.objects.awaiting_pickup())
    assert waiting  # today's open pickups, placed through order_place
    seed(reset=True)
    assert pickup_codes(Fulfillment.objects.awaiting_pickup()) == waiting
    assert pickup_codes(Fulfillment.objects) == everything
    # ... and the customers whose order is ready were told the code their order has.
    ready = Fulfillment.objects.awaiting_pickup().filter(status=FulfillmentStatus.READY).select_related("order")
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
