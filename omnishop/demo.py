"""The deterministic Japanese demo brand behind ``manage.py seed_demo``: a script of service calls.

Everything is drawn from one ``random.Random`` with a fixed seed; only dates are anchored to
"now" (history runs back ``days`` days from today). The data tables are in ``demo_data``, the
pictures in ``demo_art``. Every row is written by the domain that owns it:

- the shape of the shop (brand kit, locations and channels, staff, the catalogue with its
  photos) through the services the console and the admin use;
- its history through the imports a shop moving to Omnishop uses: customers with their
  consent ledgers (``customers_import``), the stock on the shelves as opening balances
  (``stock_import``), the finished orders of the last ``days`` days (``orders_import``: Omnishop
  numbers, no stock moved, no domain events, no emails) and past browsing and store visits
  (``customer_events_import``: only touchpoints Omnishop itself records);
- today's open orders through ``order_place`` and the pickup desk's ``fulfillment_mark_ready``,
  so their stock is really reserved, their emails are queued and their domain events published.
  Their pickup codes are the shop's own (unpredictable) ones;
- what the customer pages need (issue 8): the imported customers' profiles (birthday, city,
  sizes, interests...) and consent by purpose come with ``customers_import``; loyalty cards, LINE
  and marketplace ids through ``identity_add``; the official app's page views, searches and
  product views through the events ingest (``events_ingest_system``) and Hanako's phone through
  the storefront script's (``events_ingest_browser``, ``browser_attach``); an old POS's member
  list imported a second time (the same people written differently) and the duplicate scan
  (``duplicates_scan``); RFM and CLV (``scores_recompute``), then personas, segments (one a CSV
  static list) and a snapshot of each, as a marketer makes them.

Idempotent: a database that already holds the demo warehouse and the demo administrator is
left alone. ``demo_reset`` removes the demo rows (and only those).
"""

import contextlib
import random
import time
import unicodedata
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from urllib.parse import urlencode

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.db.models import OuterRef, Q, Subquery, Value
from django.db.models.functions import Greatest
from django.utils import timezone

from brandkit import services as brandkit
from brandkit.models import ColourRole, LintCheck
from customers import consent as consents
from customers import identities, merge, profile, scores, segments, tracking
from customers import services as customers
from customers.models import (
    Address,
    BrowserConsent,
    ConsentChannel,
    ConsentPurpose,
    ConsentRecord,
    ConsentSource,
    Customer,
    CustomerEvent,
    CustomerScore,
    DuplicateCandidate,
    DuplicateStatus,
    EventKind,
    Gender,
    Identity,
    IdentityKind,
    Persona,
    Segment,
    SegmentKind,
    SegmentSnapshot,
)
from inventory import counts, receiving, transfers
from inventory import services as inventory
from inventory.documents import LineIn, ReceivedLineIn
from inventory.errors import OutOfStock
from inventory.models import Product, ProductImage, Reservation, StockLevel, StockMovement, TaxClass, Variant
from inventory.validators import ean13_check_digit
from kernel import roles
from kernel.models import AuditEntry, Channel, ChannelKind, Location
from kernel.site import absolute_url
from kernel.subjects import order_subject, product_subject
from orders import cart as carts
from orders import registers as tills
from orders import services as orders
from orders.errors import OrderError
from orders.models import (
    Cart,
    FulfillmentMethod,
    FulfillmentStatus,
    Order,
    OrderEvent,
    OrderLine,
    Payment,
    PaymentMethod,
    PaymentStatus,
    Register,
    RegisterSession,
    TenderKind,
)
from orders.payments import TenderIn, payment_take

from .demo_art import brand_logo_png, product_image_bytes
from .demo_data import (
    BOTTOM_SIZES,
    BROWSER_USER_AGENT,
    CAMPAIGN_COPY,
    CAMPAIGN_COPY_SOURCE,
    CANCEL_REASONS,
    CATEGORY_SHARES,
    CHANNEL_WEIGHTS,
    CHANNELS,
    COLOURS,
    CONSENT_SOURCES,
    COPY,
    CUSTOMER_AREAS,
    CUSTOMER_EMAIL_DOMAIN,
    DEMO_CAMPAIGN_MESSAGES,
    DEMO_CAMPAIGN_NAMES,
    DEMO_CREDENTIALS,  # noqa: F401  (the seed command and ./dev print it from here)
    DEMO_CUSTOMER,
    DEMO_MAIL_READER,
    DEMO_PASSWORD,
    DEMO_SPRING_MESSAGES,
    DEMO_USERS,
    DEMO_WEEKEND_MESSAGES,
    FAMILY_NAMES,
    GIVEN_NAMES,
    GMAIL_LOCAL,
    HANAKO_ADDRESSES,
    HANAKO_BROWSER,
    HANAKO_LINE_ID,
    HANAKO_LOYALTY_CARD,
    HANAKO_PROFILE,
    IDENTITY_SOURCES,
    INTEREST_MATERIALS,
    JAN_PREFIX,
    LEGACY_CONSENT_SOURCE,
    LEGACY_SOURCE,
    LOCATIONS,
    LOGO_NAME,
    LOYALTY_CARD_PREFIX,
    MARKETPLACE_CODE,
    MASCULINE_GIVEN_NAMES,
    NAME_VARIANTS,
    NEAREST_STORE,
    PERSONAS,
    POPUP_CODE,
    SEARCH_TERMS,
    SEED,
    SEGMENTS,
    SHOE_SIZES_MEN,
    SHOE_SIZES_WOMEN,
    STATIC_LIST_SIZE,
    STORE_CODES,
    STORE_TRAFFIC,
    STORE_VISIT_NOTES,
    TOWNS,
    WAREHOUSE_CODE,
)

# What the demo's imports call themselves (consent sources, the ledger's reference, the audit trail).
DEMO_SOURCE = "omnishop-demo"
# Registers: the days of closed sessions behind today's, and how far a count is off (yen).
REGISTER_DAYS = 14
OVER_SHORT = [0, 0, 0, 0, 0, 0, -10, 10, -100, 100, -1000, 5, -50]
OVER_SHORT_NOTES = ["釣銭の渡し間違いの可能性", "再計数済み", "1円玉の数え違い", "原因不明、店長に報告"]


def cash_breakdown(amount: int) -> dict[int, int]:
    """A drawer holding ``amount`` yen as staff would count it (no ¥2,000 notes)."""
    pieces = {}
    for value in (10000, 5000, 1000, 500, 100, 50, 10, 5, 1):
        pieces[value], amount = divmod(amount, value)
    return {value: count for value, count in pieces.items() if count}


@dataclass
class SeedReport:
    created: bool
    seconds: float
    counts: dict[str, int] = field(default_factory=dict)


def demo_is_seeded() -> bool:
    User = get_user_model()
    return Location.objects.filter(code=WAREHOUSE_CODE).exists() and User.objects.filter(
        email=DEMO_USERS[1].email).exists()


def demo_counts() -> dict[str, int]:
    from campaigns.models import (
        BackInStockSubscription,
        Campaign,
        CampaignRecipient,
        Enrolment,
        Journey,
        Offer,
    )

    return {
        "locations": Location.objects.count(),
        "channels": Channel.objects.count(),
        "products": Product.objects.count(),
        "variants": Variant.objects.count(),
        "product images": ProductImage.objects.count(),
        "stock levels": StockLevel.objects.count(),
        "ledger rows": StockMovement.objects.count(),
        "reservations": Reservation.objects.count(),
        "users": get_user_model().objects.count(),
        "customers": Customer.objects.count(),
        "addresses": Address.objects.count(),
        "identities": Identity.objects.count(),
        "consent records": ConsentRecord.objects.count(),
        "customer events": CustomerEvent.objects.count(),
        "duplicate pairs to review": DuplicateCandidate.objects.filter(status=DuplicateStatus.OPEN).count(),
        "customer scores (RFM, CLV)": CustomerScore.objects.count(),
        "personas": Persona.objects.count(),
        "segments": Segment.objects.count(),
        "segment snapshots": SegmentSnapshot.objects.count(),
        "orders": Order.objects.count(),
        "order lines": OrderLine.objects.count(),
        "order events": OrderEvent.objects.count(),
        "carts": Cart.objects.count(),
        "registers": Register.objects.count(),
        "register sessions": RegisterSession.objects.count(),
        "payments": Payment.objects.count(),
        "campaigns": Campaign.objects.filter(journey_step__isnull=True).count(),
        "journeys": Journey.objects.count(),
        "journey enrolments": Enrolment.objects.count(),
        "campaign recipients": CampaignRecipient.objects.count(),
        "offers": Offer.objects.count(),
        "back-in-stock requests": BackInStockSubscription.objects.count(),
    }


def demo_seed(*, customers: int = 2000, products: int = 200, days: int = 90,
              log: Callable[[str], None] | None = None) -> SeedReport:
    """Seed the demo brand once; a second call finds it and changes nothing."""
    started = time.perf_counter()
    log = log or (lambda message: None)
    User = get_user_model()
    if demo_is_seeded():
        return SeedReport(created=False, seconds=time.perf_counter() - started, counts=demo_counts())
    if User.objects.filter(email__in=[u.email for u in [*DEMO_USERS, DEMO_CUSTOMER]]).exists():
        raise ValueError("The database holds part of the demo data; run seed_demo --reset first.")
    seeder = _Seeder(customers=customers, products=products, days=days, log=log)
    with transaction.atomic():
        seeder.run()
    # campaigns send through the delivery ledger, whose every step commits on its own: after the shop exists
    t = time.perf_counter()
    seeder.seed_campaigns()
    seeder.step("campaigns: one sent with its offer and results, one waiting for approval, one draft", t)
    t = time.perf_counter()
    seeder.seed_journeys()
    seeder.step("journeys: the seven ready-made ones active, customers on their way through them", t)
    return SeedReport(created=True, seconds=time.perf_counter() - started, counts=demo_counts())


@transaction.atomic
def demo_reset() -> dict[str, int]:
    """Delete the demo rows only: demo locations, channels, catalogue (by barcode prefix),
    demo customers and users. Fails (and deletes nothing) if other data points at them."""
    User = get_user_model()
    location_codes = [loc.code for loc in LOCATIONS]
    channel_codes = [code for code, *_rest in CHANNELS]
    locations = Location.objects.filter(code__in=location_codes)
    channels = Channel.objects.filter(code__in=channel_codes)
    product_ids = list(Product.objects.filter(variants__barcode__startswith=JAN_PREFIX).values_list("id", flat=True)
                       .distinct())
    demo_emails = [u.email for u in [*DEMO_USERS, DEMO_CUSTOMER]]
    legacy = AuditEntry.objects.filter(action="customers_import", object_type="customers.customer",
                                       changes__source=LEGACY_SOURCE).values_list("object_id", flat=True)
    customer_filter = Q(email__regex=rf"^[a-z]+\.[a-z]+\.[0-9]{{4}}@{CUSTOMER_EMAIL_DOMAIN}$") | Q(
        email__in=demo_emails) | Q(pk__in=[int(pk) for pk in legacy])
    deleted: dict[str, int] = {}
    deleted["browser consent"] = BrowserConsent.objects.filter(browser_id=HANAKO_BROWSER).delete()[0]
    from campaigns.journey_templates import TEMPLATES
    from campaigns.models import Campaign, Journey, Offer, Redemption

    demo_journeys = Journey.objects.filter(template__in=[t.key for t in TEMPLATES],
                                           name__in=[t.name for t in TEMPLATES])
    journey_contents = list(Campaign.objects.filter(journey_step__journey__in=demo_journeys).values_list("pk", flat=True))
    journey_offers = list(Offer.objects.filter(journey_steps__journey__in=demo_journeys).values_list("pk", flat=True))
    deleted["journeys"] = demo_journeys.delete()[0]
    Campaign.objects.filter(pk__in=journey_contents).delete()
    Redemption.objects.filter(offer_id__in=journey_offers).delete()
    Offer.objects.filter(pk__in=journey_offers).delete()
    demo_campaigns = Campaign.objects.filter(name__in=DEMO_CAMPAIGN_NAMES)
    deleted["redemptions"] = Redemption.objects.filter(offer__campaign__in=demo_campaigns).delete()[0]
    deleted["offers"] = Offer.objects.filter(campaign__in=demo_campaigns).delete()[0]
    deleted["campaigns"] = demo_campaigns.delete()[0]
    deleted["segments"] = Segment.objects.filter(name__in=[name for name, *_rest in SEGMENTS]).delete()[0]
    deleted["personas"] = Persona.objects.filter(name__in=[spec["name"] for spec in PERSONAS]).delete()[0]
    demo_customers = Customer.objects.filter(customer_filter)
    deleted["duplicate pairs"] = DuplicateCandidate.objects.filter(
        Q(customer_low__in=demo_customers) | Q(customer_high__in=demo_customers)).delete()[0]
    from orders.models import Return, StoreCreditEntry

    demo_orders = Order.objects.filter(channel__in=channels)
    # money and returns point at their orders (protected: ledgers are never deleted in normal use)
    deleted["store credit"] = StoreCreditEntry.objects.filter(
        Q(order__in=demo_orders) | Q(customer__in=demo_customers)).delete()[0]
    deleted["returns"] = Return.objects.filter(Q(order__in=demo_orders) | Q(exchange_order__in=demo_orders)).delete()[0]
    deleted["payments"] = Payment.objects.filter(Q(order__in=demo_orders) | Q(location__in=locations)
                                                 | Q(register_session__register__location__in=locations)).delete()[0]
    deleted["register sessions"] = RegisterSession.objects.filter(register__location__in=locations).delete()[0]
    deleted["registers"] = Register.objects.filter(location__in=locations).delete()[0]
    deleted["orders"] = demo_orders.delete()[0]
    deleted["reservations"] = Reservation.objects.filter(
        Q(location__in=locations) | Q(variant__product_id__in=product_ids)).delete()[0]
    from inventory.models import PurchaseOrder, Receipt, StockCount, Transfer

    deleted["receipts"] = Receipt.objects.filter(location__in=locations).delete()[0]
    deleted["transfers"] = Transfer.objects.filter(Q(source__in=locations) | Q(destination__in=locations)).delete()[0]
    deleted["purchase orders"] = PurchaseOrder.objects.filter(location__in=locations).delete()[0]
    deleted["stock counts"] = StockCount.objects.filter(location__in=locations).delete()[0]
    deleted["ledger rows"] = StockMovement.objects.filter(
        Q(location__in=locations) | Q(variant__product_id__in=product_ids)).delete()[0]
    images = list(ProductImage.objects.filter(product_id__in=product_ids))
    for image in images:
        for name in ("original", "thumbnail", "large"):
            file = getattr(image, name)
            if file:
                file.delete(save=False)
    deleted["products"] = Product.objects.filter(id__in=product_ids).delete()[0]
    deleted["customers"] = Customer.objects.filter(customer_filter).delete()[0]
    deleted["users"] = User.objects.filter(email__in=demo_emails).delete()[0]
    deleted["channels"] = channels.delete()[0]
    deleted["locations"] = locations.delete()[0]
    return deleted


class _Seeder:
    def __init__(self, *, customers: int, products: int, days: int, log):
        self.rng = random.Random(SEED)
        # What issue 8 added (profiles, identities, first-party events, duplicates) draws from its
        # own stream, so the shop's catalogue, customers and history stay what they were.
        self.rng8 = random.Random(SEED + 8)
        self.n_customers = max(customers, 1)
        self.n_products = max(products, 1)
        self.days = max(days, 1)
        self.log = log
        self.now = timezone.now()
        local_now = timezone.localtime(self.now)
        self.today_start = local_now.replace(hour=0, minute=0, second=0, microsecond=0)
        self.window_start = self.today_start - timedelta(days=self.days)
        self.staff: dict[str, object] = {}

    def step(self, label: str, started: float) -> float:
        now = time.perf_counter()
        self.log(f"  {label} ({now - started:.1f}s)")
        return now

    def run(self) -> None:
        t = time.perf_counter()
        self.seed_brandkit()
        self.seed_places()
        self.seed_users()
        t = self.step("brand kit, locations, channels, users", t)
        self.seed_catalogue()
        t = self.step(f"{len(self.products)} products, {len(self.variants)} variants with images", t)
        self.import_customers()
        t = self.step(f"{len(self.customers)} customers with their consent (customers_import)", t)
        self.import_stock()
        t = self.step("opening stock balances (stock_import)", t)
        self.import_orders()
        t = self.step(f"{len(self.history)} finished orders (orders_import)", t)
        self.seed_registers()
        t = self.step("registers: the last two weeks closed with their cash counts, today's open "
                      "(register_open, payment_take, register_close)", t)
        self.import_touchpoints()
        t = self.step("browsing and store visits (customer_events_import)", t)
        self.place_open_orders()
        t = self.step("today's open orders (order_place)", t)
        self.seed_warehouse()
        t = self.step("transfers, purchase orders and a count (inventory.transfers, receiving, counts)", t)
        self.seed_deliveries_and_aisle()
        t = self.step("a delivery shipped with its tracking number, endless-aisle pickups by transfer "
                      "(fulfillment_ship, till_aisle_sale, inventory.transfers)", t)
        self.seed_returns()
        t = self.step("returns: one refunded at a store, one Hanako started (orders.returns)", t)
        self.fill_carts()
        t = self.step("carts in progress (cart_add)", t)
        self.add_identities()
        t = self.step("loyalty cards, LINE and marketplace ids (identity_add)", t)
        self.ingest_first_party_events()
        t = self.step("the app's and Hanako's browsing (events_ingest_system, events_ingest_browser)", t)
        self.import_legacy_duplicates()
        t = self.step("an old POS's members imported again, duplicate scan (duplicates_scan)", t)
        self.seed_segments()
        t = self.step("RFM and CLV (scores_recompute), personas, segments and snapshots", t)
        self.seed_back_in_stock()
        self.step("back-in-stock requests for sizes sold out at a store (back_in_stock_subscribe)", t)

    # --- brand, places, people ---------------------------------------------------------

    def seed_brandkit(self) -> None:
        kit = brandkit.brandkit_seed_default()
        self.seed_logo(kit)
        self.seed_copy_checks(kit)

    def seed_logo(self, kit) -> None:
        """Give the published kit a logo (once) through the kit's own services: a new draft,
        ``logo_add`` (which makes the mono, reversed and favicon renditions), publish."""
        published = kit.published_version
        if published is None or published.logos.exists():
            return
        identity = published.identity or {}
        primary = published.palette.filter(role=ColourRole.PRIMARY).values_list("hex", flat=True).first()
        try:
            png = brand_logo_png(name=identity.get("brand_name") or LOGO_NAME,
                                 latin=identity.get("brand_name_en") or "", colour=primary or "#1F4E79")
        except FileNotFoundError as exc:  # Noto Sans JP not installed (manage.py fonts_install)
            self.log(f"  no demo logo: {exc}")
            return
        draft = brandkit.draft_get_or_create(kit=kit)
        brandkit.logo_add(version=draft, upload=SimpleUploadedFile("minato-logo.png", png, "image/png"),
                          name="ミナト商店 ロゴ（横組み）")
        brandkit.version_publish(version=draft, note="ロゴを追加")

    def seed_copy_checks(self, kit) -> None:
        """Campaign copy checked before sending (``lint`` with ``record``), so the kit's dashboard
        has consistency scores for the marketing channels; product copy is checked as each product
        is created (``seed_catalogue``). Once: a re-seed after ``--reset`` does not repeat them."""
        if LintCheck.objects.filter(source=CAMPAIGN_COPY_SOURCE).exists():
            return
        footer = (kit.published_version.identity or {}).get("legal_footer", "")
        for channel, text in CAMPAIGN_COPY:
            brandkit.lint(text.format(footer=footer), channel, "ja", record=CAMPAIGN_COPY_SOURCE)

    def seed_places(self) -> None:
        self.locations: dict[str, Location] = {}
        for spec in LOCATIONS:
            fields = {
                "name": spec.name, "kind": spec.kind, "prefecture": spec.prefecture,
                "postal_code": spec.postal_code, "address": spec.address, "phone": spec.phone,
                "opening_hours": spec.opening_hours, "offers_pickup": spec.offers_pickup,
                "ships_orders": spec.ships_orders,
            }
            # A data migration or an administrator may already have made some of them: those are
            # brought in line; the others are created like the admin creates them (stores get a POS).
            existing = Location.objects.filter(code=spec.code).first()
            if existing is not None:
                self.locations[spec.code] = inventory.location_update(location=existing, **fields)
            else:
                self.locations[spec.code] = inventory.location_create(code=spec.code, **fields)
        self.channels: dict[str, Channel] = {}
        for code, name, kind, location in CHANNELS:
            self.channels[code], _created = Channel.objects.update_or_create(code=code, defaults={
                "name": name, "kind": kind, "location": self.locations[location] if location else None,
                "is_active": True,
            })
        self.warehouse = self.locations[WAREHOUSE_CODE]
        self.stores = [self.locations[code] for code in STORE_CODES]
        self.selling = [*self.stores, self.locations[POPUP_CODE]]

    def seed_users(self) -> None:
        User = get_user_model()
        password = make_password(DEMO_PASSWORD)  # hashed once: demo accounts share a public password
        for spec in DEMO_USERS:
            user = User(email=spec.email, display_name=spec.display_name, password=password,
                        is_superuser=spec.superuser, is_staff=spec.superuser, language="ja")
            user.save()
            roles.assign_role(user, spec.role, location=self.locations[spec.location] if spec.location else None)
            self.staff[spec.location or spec.role] = user
        self.hanako_user, self.hanako = customers.customer_sign_up(
            email=DEMO_CUSTOMER.email, password=DEMO_PASSWORD, family_name="山田", given_name="花子",
            family_name_kana="ヤマダ", given_name_kana="ハナコ", phone="090-5555-0123", email_marketing=True,
            channel=self.channels["web"], source="storefront-signup",
        )
        year, month, day = HANAKO_PROFILE["birthday"]
        profile.customer_profile_save(
            customer=self.hanako, postal_code="154-0004", prefecture="13", address="世田谷区太子堂2-1-1",
            favourite_location=self.locations["shibuya"], preferred_size="M", acting_user=self.hanako_user,
            **{**HANAKO_PROFILE, "birthday": date(year, month, day)}, addresses=HANAKO_ADDRESSES)
        # The preference centre: news on LINE too, tailored recommendations by email and LINE.
        for channel, purpose in ((ConsentChannel.LINE, ConsentPurpose.MARKETING),
                                 (ConsentChannel.EMAIL, ConsentPurpose.PERSONALISATION),
                                 (ConsentChannel.LINE, ConsentPurpose.PERSONALISATION)):
            consents.consent_grant(customer=self.hanako, channel=channel, purpose=purpose,
                                   source=ConsentSource.STOREFRONT, source_detail="preferences",
                                   acting_user=self.hanako_user, event_channel=self.channels["web"])

    def staff_email(self, location: Location) -> str:
        user = self.staff.get(location.code)
        return user.email if user else ""

    # --- catalogue ------------------------------------------------------------------------

    def seed_catalogue(self) -> None:
        rng = self.rng
        counts = [(family, types, round(self.n_products * share)) for family, types, share in CATEGORY_SHARES]
        counts[0] = (counts[0][0], counts[0][1], self.n_products - sum(c for _f, _t, c in counts[1:]))
        seen: set[str] = set()
        number = 0
        self.products: list[Product] = []
        for family, types, count in counts:
            for k in range(count):
                item = types[k % len(types)]
                for _attempt in range(30):
                    maker = rng.choice(item.makers)
                    colour = rng.choice(COLOURS) if family == "apparel" else ""
                    name = (f"{maker}{item.name}（{colour}）" if colour else f"{maker} {item.name}")
                    if name not in seen:
                        break
                    name = f"{name} {rng.choice(NAME_VARIANTS[family])}"
                    if name not in seen:
                        break
                else:
                    name = f"{maker}{item.name} #{number + 1}"
                seen.add(name)
                number += 1
                code = f"{item.slug}-{number:04d}"
                sizes = rng.choice(item.sizes)
                rate = 108 if family == "food" else 110
                low, high = item.price
                base = rng.randrange(low, high + 1) * 100 / rate  # price before tax
                variants = []
                for index, size in enumerate(sizes):
                    net = base * (1 + 0.55 * index) if item.size_prices else base
                    if family == "apparel":
                        price = int(round(net * rate / 100, -2)) - 10  # tax-inclusive 5,990-style endings
                    elif family == "food":
                        price = int(round(net, -1)) * rate // 100  # ¥600 + 8 % = ¥648
                    else:
                        price = int(round(net, -2)) * rate // 100  # ¥3,000 + 10 % = ¥3,300
                    reference = f"{JAN_PREFIX}{number:04d}{index}"
                    variants.append(inventory.VariantIn(
                        sku=f"{item.slug.upper()}-{number:04d}-{index + 1}", barcode=reference + str(
                            ean13_check_digit(reference)), price=price, size=size, color=colour))
                description = rng.choice(COPY[family]).format(maker=maker, item=item.name, colour=colour or "")
                # product_create checks the copy against the brand kit, like for every caller.
                product = inventory.product_create(
                    code=code, name=name, description=description, category=item.category,
                    tax_class=TaxClass.REDUCED if family == "food" else TaxClass.STANDARD, variants=variants,
                )
                product.family = family
                upload = SimpleUploadedFile(f"{code}.jpg", product_image_bytes(seed=code, family=family),
                                            content_type="image/jpeg")
                inventory.product_image_add(product=product, upload=upload, alt=name)
                self.products.append(product)
        by_product = defaultdict(list)
        for variant in Variant.objects.filter(product__in=self.products).order_by("product_id", "position"):
            by_product[variant.product_id].append(variant)
        self.variants: list[Variant] = []
        for product in self.products:
            for variant in by_product[product.id]:
                variant.product = product
                self.variants.append(variant)
            product.demo_variants = by_product[product.id]
        self.variant_by_sku = {variant.sku: variant for variant in self.variants}
        # Popularity: a long tail, shuffled so bestsellers are spread over the categories.
        ranked = list(self.products)
        rng.shuffle(ranked)
        self.product_order = ranked
        weights = [1 / (rank + 1) ** 0.7 for rank in range(len(ranked))]
        total = 0.0
        self.product_cum = []
        for weight in weights:
            total += weight
            self.product_cum.append(total)
        self.popup_products = {p.id for p in ranked if rng.random() < 0.35} or {ranked[0].id}

    def pick_variant(self, popup: bool = False) -> Variant:
        rng = self.rng
        for _attempt in range(20):
            product = rng.choices(self.product_order, cum_weights=self.product_cum)[0]
            if not popup or product.id in self.popup_products:
                return rng.choice(product.demo_variants)
        return rng.choice([v for v in self.variants if v.product_id in self.popup_products])


    # --- customers (customers_import) -------------------------------------------------

    def import_customers(self) -> None:
        rng = self.rng
        area_weights = []
        weight = 0
        for _pref, w, _city, _postal in CUSTOMER_AREAS:
            weight = w or weight  # 0 means "same weight as the line above"
            area_weights.append(weight)
        rows = []
        self.plans: list[dict] = []  # per customer: what issue 8's steps give them (cards, the app)
        interests = sorted({p.category for p in self.products}) + list(INTEREST_MATERIALS)
        for index in range(self.n_customers):
            family, family_kana, family_romaji = rng.choice(FAMILY_NAMES)
            given, given_kana, given_romaji = rng.choice(GIVEN_NAMES)
            prefecture, _w, city, postal = rng.choices(CUSTOMER_AREAS, weights=area_weights)[0]
            phone = f"0{rng.choice('987')}0-{rng.randrange(1000, 10000)}-{rng.randrange(1000, 10000)}"
            favourite = NEAREST_STORE.get(prefecture, "shibuya") if rng.random() < 0.35 else ""
            if rng.random() < 0.85:
                created = self.window_start - timedelta(days=rng.uniform(1, 900))
            else:
                created = self.window_start + timedelta(days=rng.uniform(0, self.days))
            created = min(created, self.now - timedelta(hours=1))
            postal_code = f"{postal}-{rng.randrange(0, 10000):04d}"
            address = f"{city}{rng.choice(TOWNS)}{rng.randrange(1, 6)}-{rng.randrange(1, 30)}-{rng.randrange(1, 20)}"
            preferred_size = rng.choice(["", "", "S", "M", "M", "L", "XL"])
            history = self.consent_history(created)
            plan = self.plan_customer(created, history)
            self.plans.append(plan)
            rows.append(customers.CustomerImportIn(
                email=f"{given_romaji}.{family_romaji}.{index + 1:04d}@{CUSTOMER_EMAIL_DOMAIN}",
                family_name=family, given_name=given, family_name_kana=family_kana, given_name_kana=given_kana,
                phone=phone, postal_code=postal_code, prefecture=prefecture, address=address,
                favourite_location=favourite, preferred_size=preferred_size,
                created_at=created, consents=[*history, *plan.pop("consents")],
                city=city, **self.profile_of(given, preferred_size, plan, interests),
            ))
        self.customers = customers.customers_import(rows=rows, source=DEMO_SOURCE)
        # A loyal core buys more often: index weights fall off along the list.
        self.customer_cum = []
        total = 0.0
        for rank in range(len(self.customers)):
            total += 1 / (rank + 1) ** 0.5
            self.customer_cum.append(total)

    def consent_history(self, created: datetime) -> list:
        rng = self.rng
        roll = rng.random()
        at = created + timedelta(minutes=rng.randrange(1, 60))
        source = rng.choice(CONSENT_SOURCES)
        choices: list[tuple[str, bool, datetime]] = []
        if roll < 0.60:
            choices.append((ConsentChannel.EMAIL, True, at))
        elif roll < 0.80:
            choices.append((ConsentChannel.EMAIL, False, at))
        elif roll < 0.85:  # opted in, later opted out
            later = max(at, min(at + timedelta(days=rng.uniform(5, 200)), self.now - timedelta(minutes=5)))
            choices += [(ConsentChannel.EMAIL, True, at), (ConsentChannel.EMAIL, False, later)]
        if rng.random() < 0.25:
            choices.append((ConsentChannel.LINE, True, at))
        if rng.random() < 0.10:
            choices.append((ConsentChannel.SMS, True, at))
        return [customers.ConsentImportIn(channel=channel, granted=granted, at=when, source=source)
                for channel, granted, when in choices]

    def plan_customer(self, created: datetime, history: list) -> dict:
        """Issue 8's part of one imported customer (from ``rng8``): a loyalty card (about 40 %),
        the official app (a third of the card holders), and the consents by purpose they gave
        besides marketing: tailored recommendations and measuring, by email and LINE where they
        take our news there, and in the app they installed."""
        rng = self.rng8
        latest = {consent.channel: consent.granted for consent in history}  # oldest first: the last one holds
        email, line = latest.get(ConsentChannel.EMAIL, False), latest.get(ConsentChannel.LINE, False)
        card = rng.random() < 0.40
        app = card and rng.random() < 0.35
        extra: list[customers.ConsentImportIn] = []

        def later(days: float) -> datetime:
            return min(created + timedelta(days=rng.uniform(0, days), minutes=61), self.now - timedelta(minutes=10))

        if email and rng.random() < 0.5:
            extra.append(customers.ConsentImportIn(ConsentChannel.EMAIL, True, later(120), "storefront-preferences",
                                                   ConsentPurpose.PERSONALISATION))
        if email and rng.random() < 0.3:
            extra.append(customers.ConsentImportIn(ConsentChannel.EMAIL, True, later(120), "storefront-preferences",
                                                   ConsentPurpose.ANALYTICS))
        if line and rng.random() < 0.4:
            extra.append(customers.ConsentImportIn(ConsentChannel.LINE, True, later(60), "line-account-link",
                                                   ConsentPurpose.PERSONALISATION))
        app_since = None
        if app:  # the app asks on first start: news by push, and measuring how the app is used
            app_since = later(300)
            extra.append(customers.ConsentImportIn(ConsentChannel.PUSH, rng.random() < 0.7, app_since, "app",
                                                   ConsentPurpose.MARKETING))
            if rng.random() < 0.8:
                extra.append(customers.ConsentImportIn(ConsentChannel.PUSH, True, app_since, "app",
                                                       ConsentPurpose.ANALYTICS))
            else:
                app_since = None  # they declined: the app sends nothing about them
        return {"card": card, "line": line, "email": email, "app_since": app_since, "consents": extra}

    def profile_of(self, given: str, preferred_size: str, plan: dict, interests: list[str]) -> dict:
        """What the customer told us about themselves (most tell some of it)."""
        rng = self.rng8
        fields: dict = {"language": "ja" if rng.random() < 0.8 else ""}
        masculine = given in MASCULINE_GIVEN_NAMES
        if rng.random() < 0.85:
            age = rng.choices([rng.randint(20, 29), rng.randint(30, 39), rng.randint(40, 49), rng.randint(50, 59),
                               rng.randint(60, 75)], weights=[15, 30, 28, 17, 10])[0]
            fields["birthday"] = date(self.now.year - age, 1, 1) + timedelta(days=rng.randrange(365))
        if rng.random() < 0.45:
            fields["gender"] = (Gender.UNSAID if rng.random() < 0.06 else Gender.MALE if masculine else Gender.FEMALE)
        if rng.random() < 0.6:
            sizes = {"tops": preferred_size or rng.choice(["S", "M", "M", "L"])}
            if rng.random() < 0.6:
                sizes["bottoms"] = rng.choice(BOTTOM_SIZES[3:] if masculine else BOTTOM_SIZES[:5])
            if rng.random() < 0.7:
                sizes["shoes"] = rng.choice(SHOE_SIZES_MEN if masculine else SHOE_SIZES_WOMEN)
            fields["sizes"] = sizes
        if rng.random() < 0.7:
            fields["interests"] = rng.sample(interests, rng.choice([1, 2, 2, 3, 4]))
        if rng.random() < 0.6:
            channels = ([ConsentChannel.LINE] * 2 if plan["line"] else []) + (
                [ConsentChannel.EMAIL] * 2 if plan["email"] else []) + [ConsentChannel.POSTAL]
            fields["preferred_channel"] = rng.choice(channels)
        return fields

    def pick_customer(self, at: datetime) -> Customer | None:
        for _attempt in range(4):
            customer = self.rng.choices(self.customers, cum_weights=self.customer_cum)[0]
            if customer.created_at < at:
                return customer
        return None

    # --- stock on the shelves (stock_import) -------------------------------------------

    def import_stock(self) -> None:
        """What is on the shelves today, booked as opening balances: the demo's past sales came
        out of stock before the shop "moved" to Omnishop, so the ledger starts here."""
        rng = self.rng
        rows = []
        for product in self.products:
            for variant in product.demo_variants:
                for location in [self.warehouse, *self.selling]:
                    if location.code == POPUP_CODE and product.id not in self.popup_products:
                        continue
                    if location == self.warehouse:
                        on_hand = rng.randint(30, 200 if product.family == "food" else 120)
                        safety = 2
                    else:
                        roll = rng.random()
                        on_hand = 0 if roll < 0.08 else rng.randint(1, 2) if roll < 0.2 else rng.randint(3, 14)
                        safety = 0
                    rows.append(inventory.StockBalanceIn(sku=variant.sku, location=location.code, on_hand=on_hand,
                                                         safety_stock=safety))
        levels = inventory.stock_import(rows=rows, source=DEMO_SOURCE)
        self.on_hand = {(level.variant_id, level.location_id): level.on_hand for level in levels}

    # --- finished orders (orders_import) -----------------------------------------------

    def import_orders(self) -> None:
        rng = self.rng
        per_day = max(3, self.n_customers // 45)
        kinds = list(CHANNEL_WEIGHTS)
        kind_weights = [CHANNEL_WEIGHTS[k] for k in kinds]
        by_kind: dict[str, list[Channel]] = defaultdict(list)
        for channel in self.channels.values():
            by_kind[channel.kind].append(channel)
        pos_channels = [self.channels[f"pos-{code}"] for code in STORE_TRAFFIC]
        pos_weights = list(STORE_TRAFFIC.values())
        rows: list[orders.OrderImportIn] = []
        for days_ago in range(self.days, 0, -1):
            day = self.today_start - timedelta(days=days_ago)
            weekend = day.weekday() >= 5
            count = max(1, round(per_day * (1.35 if weekend else 1.0) * rng.uniform(0.8, 1.2)))
            for _n in range(count):
                placed = day + timedelta(hours=rng.uniform(9, 22))
                kind = rng.choices(kinds, weights=kind_weights)[0]
                channel = rng.choices(pos_channels, weights=pos_weights)[0] if kind == ChannelKind.POS else \
                    by_kind[kind][0]
                rows.append(self.plan_order(channel, placed))
        # Today: POS sales already rung up at every store (completed), so the dashboard has figures.
        elapsed = max((self.now - self.today_start).total_seconds() - 120, 60)
        for code in STORE_TRAFFIC:
            for _n in range(1 if code == POPUP_CODE else rng.randint(1, 3)):
                placed = self.today_start + timedelta(seconds=rng.uniform(0, elapsed))
                rows.append(self.plan_order(self.channels[f"pos-{code}"], min(placed, self.now)))
        # Hanako is a regular: a few of the historical web orders are hers.
        web = [index for index, row in enumerate(rows) if row.channel == "web"]
        for index in web[:: max(1, len(web) // 4)][:4]:
            rows[index] = replace(rows[index], customer=self.hanako.pk)
        self.history_rows = rows
        self.history = orders.orders_import(rows=rows, source=DEMO_SOURCE)

    def plan_order(self, channel: Channel, placed: datetime) -> orders.OrderImportIn:
        rng = self.rng
        latest = self.now - timedelta(minutes=1)
        status, reason = FulfillmentStatus.COLLECTED, ""
        payment_status = PaymentStatus.PAID
        if channel.kind == ChannelKind.POS:  # a sale at the till: placed, ready and handed over at once
            customer = self.pick_customer(placed) if rng.random() < 0.55 else None
            method, location = FulfillmentMethod.PICKUP, channel.location
            ready_at, closed_at = placed, placed
            payment = rng.choice([PaymentMethod.CARD, PaymentMethod.CARD, PaymentMethod.CASH])
            if placed >= self.today_start - timedelta(days=min(REGISTER_DAYS, self.days)):
                # its money is taken at its register (seed_registers: payment_take marks it paid);
                # imported as paid, it would count as paid already (orders.payments.order_money)
                payment_status = PaymentStatus.UNPAID
        else:
            customer = self.pick_customer(placed) or self.customers[0]  # online orders always have a customer
            pickup = channel.kind in (ChannelKind.WEB, ChannelKind.APP, ChannelKind.PHONE) and rng.random() < 0.35
            if pickup:
                method = FulfillmentMethod.PICKUP
                location = customer.favourite_location or rng.choice(self.stores)
                ready_at = min(placed + timedelta(hours=rng.uniform(2, 20)), latest)
                closed_at = min(ready_at + timedelta(hours=rng.uniform(4, 72)), latest)
                payment = rng.choice([PaymentMethod.PAY_IN_STORE, PaymentMethod.CARD])
                if rng.random() < 0.04:  # the customer called it off before collecting it
                    status, reason = FulfillmentStatus.CANCELLED, rng.choice(CANCEL_REASONS)
                    payment_status = PaymentStatus.REFUNDED if payment == PaymentMethod.CARD else PaymentStatus.UNPAID
            else:
                method, location, ready_at = FulfillmentMethod.SHIP, self.warehouse, None
                closed_at = min(placed + timedelta(hours=rng.uniform(6, 40)), latest)
                status = FulfillmentStatus.SHIPPED
                payment = {ChannelKind.MARKETPLACE: PaymentMethod.MARKETPLACE,
                           ChannelKind.PHONE: PaymentMethod.CASH_ON_DELIVERY}.get(
                    channel.kind, rng.choice([PaymentMethod.CARD, PaymentMethod.CARD, PaymentMethod.CASH_ON_DELIVERY]))
        popup = location.code == POPUP_CODE
        lines: dict[int, tuple[Variant, int]] = {}
        for _n in range(rng.choices([1, 2, 3], weights=[65, 25, 10])[0]):
            variant = self.pick_variant(popup=popup)
            quantity = 1 if rng.random() < 0.85 else 2
            previous = lines.get(variant.id, (variant, 0))[1]
            lines[variant.id] = (variant, previous + quantity)
        return orders.OrderImportIn(
            channel=channel.code, placed_at=placed, customer=customer.pk if customer else None,
            lines=[orders.ImportLineIn(sku=variant.sku, quantity=quantity, unit_price=variant.price,
                                       tax_rate=variant.product.tax_rate) for variant, quantity in lines.values()],
            fulfillment=orders.FulfillmentIn(method, location.code, address=self.address_of(customer)
                                             if method == FulfillmentMethod.SHIP else {}),
            status=status, ready_at=ready_at, closed_at=closed_at, payment_method=payment,
            payment_status=payment_status, cancel_reason=reason,
            placed_by=self.staff_email(channel.location) if channel.location else "",
            closed_by=self.staff_email(location),
        )

    def address_of(self, customer: Customer | None) -> dict:
        if customer is None:
            return {}
        return {"name": customer.full_name, "postal_code": customer.postal_code, "prefecture": customer.prefecture,
                "city": "", "line1": customer.address, "line2": "", "phone": customer.phone}

    # --- browsing and store visits (customer_events_import) ----------------------------

    def import_touchpoints(self) -> None:
        """The product pages customers looked at before their web and app orders and on other
        days, and store visits staff noted at their store: touchpoints Omnishop records itself
        (no campaign opens or clicks: nothing in Omnishop records those yet)."""
        rng = self.rng
        web, app = self.channels["web"], self.channels["app"]
        events = []

        def viewed(customer, variant, channel, at):
            product = variant.product
            return customers.EventImportIn(customer=customer, kind=EventKind.PRODUCT_VIEWED, channel=channel,
                                           occurred_at=at, subject=product_subject(product.code),
                                           data={"code": product.code, "name": product.name})

        for order, row in zip(self.history, self.history_rows, strict=True):
            if order.customer is None or order.channel.kind not in (ChannelKind.WEB, ChannelKind.APP):
                continue
            for line in row.lines:
                for _n in range(rng.randint(1, 3)):
                    events.append(viewed(order.customer, self.variant_by_sku[line.sku], order.channel,
                                         order.created_at - timedelta(minutes=rng.uniform(2, 600))))
        span = (self.now - self.window_start).total_seconds() - 60
        for customer in self.customers:
            for _n in range(rng.choices([0, 1, 2, 4], weights=[30, 35, 20, 15])[0]):
                at = self.window_start + timedelta(seconds=rng.uniform(0, span))
                if at > customer.created_at:
                    events.append(viewed(customer, self.pick_variant(), rng.choice([web, web, app]), at))
            staff = self.staff.get(customer.favourite_location.code) if customer.favourite_location else None
            if staff is not None and rng.random() < 0.4:
                at = self.window_start + timedelta(seconds=rng.uniform(0, span))
                if at > customer.created_at:
                    events.append(customers.EventImportIn(
                        customer=customer, kind=EventKind.STORE_VISIT, location=customer.favourite_location,
                        occurred_at=at, data=customers.staff_event_data(note=rng.choice(STORE_VISIT_NOTES),
                                                                        staff=staff)))
        customers.customer_events_import(events=events)

    # --- carts in progress (orders.cart) --------------------------------------------------

    def fill_carts(self) -> None:
        """Some customers have something in their cart now (through the cart services, so the
        cart events exist): Hanako two items, and one customer in twenty one to three."""
        rng = self.rng
        web = self.channels["web"]
        sellable = [v for v in self.variants if v.product.is_active]
        for variant in rng.sample(sellable, 2):
            carts.cart_add(variant=variant, quantity=1, customer=self.hanako, channel=web,
                           acting_user=self.hanako.user)
        # One customer in twenty, and never none: a small demo (or an unlucky day's draw) still
        # shows carts other than Hanako's.
        others = [customer for customer in self.customers if customer.pk != self.hanako.pk]
        for customer in rng.sample(others, max(1, len(others) // 20)):
            for variant in rng.sample(sellable, rng.randint(1, 3)):
                carts.cart_add(variant=variant, quantity=rng.randint(1, 2), customer=customer, channel=web)

    # --- registers and their sessions (orders.registers) ---------------------------------

    def seed_registers(self) -> None:
        """Every store and the pop-up get レジ1, the two busiest a second till too. For the last
        ``REGISTER_DAYS`` days each register was opened with a float, took the money of that day's
        till sales (``payment_take``: cash with change, card with its slip) and was closed with a
        count by denomination a little over or short (``register_close``); today's レジ1 is open.
        Done through the services, then dated on the day they happened (history, like
        ``orders_import``). Its own random stream: the rest of the demo stays as it was."""
        rng = random.Random(SEED + 10)
        staff = {code: self.staff.get(code) for code in STORE_TRAFFIC}
        admin = self.staff.get(roles.ADMINISTRATOR)
        tills_at: dict[str, list[Register]] = {}
        for code in STORE_TRAFFIC:
            location = self.locations[code]
            tills_at[code] = [tills.register_create(location=location, code="1", name="レジ1", acting_user=admin)]
            if code in ("shibuya", "umeda"):
                tills_at[code].append(tills.register_create(location=location, code="2", name="レジ2",
                                                            acting_user=admin))
        days = min(REGISTER_DAYS, self.days)
        first_day = self.today_start - timedelta(days=days)
        sales: dict[tuple[str, date], list[Order]] = defaultdict(list)
        for order, row in zip(self.history, self.history_rows, strict=True):
            channel = self.channels[row.channel]
            if channel.kind == ChannelKind.POS and row.placed_at >= first_day:
                sales[(channel.location.code, timezone.localtime(row.placed_at).date())].append(order)
        for days_ago in range(days, -1, -1):
            day = self.today_start - timedelta(days=days_ago)
            for code, registers in tills_at.items():
                orders_of_day = sorted(sales.get((code, day.date()), []), key=lambda o: o.created_at)
                busy = len(registers) > 1 and day.weekday() >= 5  # the second till opens at weekends
                used = registers if busy else registers[:1]
                for index, register in enumerate(used):
                    session = tills.register_open(register=register, opening_float=30000 if index == 0 else 20000,
                                                  acting_user=staff[code])
                    taken = orders_of_day[index::len(used)]
                    for order in taken:
                        payment_take(order=order, tenders=[self.tender_for(order, rng)], register_session=session,
                                     acting_user=staff[code])
                    times = [order.created_at for order in taken]
                    # this morning's opening, or just before now if the shop is seeded before it (never
                    # before midnight: a demo seeded at 00:03 opened today's till at 00:00, not yesterday)
                    opened = max(day, min(day + timedelta(hours=9, minutes=rng.randint(30, 55)),
                                          self.now - timedelta(minutes=5)))
                    if days_ago == 0:  # today: still open, closed with the day
                        self.date_session(session, opened=opened, closed=None)
                        continue
                    expected = tills.session_expected_cash(session)
                    counted = max(expected + rng.choice(OVER_SHORT), 0)
                    note = "" if counted == expected else rng.choice(OVER_SHORT_NOTES)
                    tills.register_close(session=session, cash_count=cash_breakdown(counted), note=note,
                                         acting_user=staff[code])
                    self.date_session(session, opened=opened, closed=max([day + timedelta(hours=21), *times])
                                      + timedelta(minutes=rng.randint(5, 40)))

    @staticmethod
    def tender_for(order: Order, rng: random.Random) -> TenderIn:
        if order.payment_method == PaymentMethod.CASH:
            step = rng.choice([1000, 1000, 5000, 10000, 1])  # a note over the total, or the exact amount
            return TenderIn(TenderKind.CASH, -(-order.total // step) * step)
        return TenderIn(TenderKind.CARD, order.total, f"{rng.randrange(1, 10000):04d}")

    @staticmethod
    def date_session(session: RegisterSession, *, opened: datetime, closed: datetime | None) -> None:
        """Put a session and its payments on the day they happened (the services stamp now)."""
        RegisterSession.objects.filter(pk=session.pk).update(opened_at=opened, closed_at=closed or session.closed_at)
        # a sale rung up before the demo's opening time is paid as the register opens
        Payment.objects.filter(register_session=session).update(created_at=Greatest(
            Subquery(Order.objects.filter(pk=OuterRef("order_id")).values("created_at")[:1]), Value(opened)))

    # --- today's open orders (order_place) ----------------------------------------------

    def place_open_orders(self) -> None:
        """Today's open orders placed through orders.services, so their reservations are real:
        pickups waiting at the stores (some ready) and deliveries waiting at the warehouse."""
        rng = self.rng
        online = [self.channels[code] for code in ("web", "app", "phone")]
        per_store = 2 if self.n_customers >= 200 else 1
        for store in self.stores:
            for _n in range(per_store):
                candidates = [v for v in self.variants if self.on_hand.get((v.id, store.id), 0) >= 3]
                if not candidates:
                    continue
                variant = rng.choice(candidates)
                customer = self.pick_customer(self.now) or self.customers[0]
                order = orders.order_place(
                    channel=rng.choice(online), customer=customer, lines=[orders.LineIn(variant.sku, 1)],
                    fulfillment=orders.FulfillmentIn(FulfillmentMethod.PICKUP, store.code),
                )
                if rng.random() < 0.5:
                    orders.fulfillment_mark_ready(fulfillment=order.fulfillments.get(),
                                                  acting_user=self.staff.get(store.code))
        # Hanako's order is ready at 渋谷店.
        shibuya = self.locations["shibuya"]
        candidates = [v for v in self.variants if self.on_hand.get((v.id, shibuya.id), 0) >= 3]
        if candidates:
            order = orders.order_place(channel=self.channels["web"], customer=self.hanako,
                                       lines=[orders.LineIn(rng.choice(candidates).sku, 1)],
                                       fulfillment=orders.FulfillmentIn(FulfillmentMethod.PICKUP, "shibuya"))
            orders.fulfillment_mark_ready(fulfillment=order.fulfillments.get(), acting_user=self.staff.get("shibuya"))
            # staff notes and tags (issue 10): the desk knows it is a gift
            orders.order_tags_set(order=order, tags=["ギフト"], acting_user=self.staff.get("shibuya"))
            orders.order_note_add(order=order, body="ギフト包装をご希望。受け取りは夕方の予定とのこと。",
                                  acting_user=self.staff.get("shibuya"))
        for code in ("web", "app", "hare-ichiba", "social", "phone"):
            customer = self.pick_customer(self.now) or self.customers[0]
            variant = rng.choice(self.variants)
            orders.order_place(
                channel=self.channels[code], customer=customer, lines=[orders.LineIn(variant.sku, 1)],
                fulfillment=orders.FulfillmentIn(FulfillmentMethod.SHIP, WAREHOUSE_CODE,
                                                 address=self.address_of(customer)),
                payment_method=PaymentMethod.MARKETPLACE if code == "hare-ichiba" else None,
            )

    # --- the warehouse's day (inventory.transfers, receiving, counts) --------------------

    def seed_warehouse(self) -> None:
        """A transfer in transit to 渋谷店 and one 梅田店 asked for, a purchase order expected
        today and one partly received, and a count of zone A-01 awaiting approval, all through
        the services (each a few rows: the seed stays fast)."""
        rng = self.rng
        operator, shibuya_staff, umeda_staff = (self.staff.get(WAREHOUSE_CODE), self.staff.get("shibuya"),
                                                self.staff.get("umeda"))
        stocked = [v for v in self.variants if self.on_hand.get((v.id, self.warehouse.id), 0) >= 20]
        if len(stocked) < 12:
            return
        picks = rng.sample(stocked, 12)
        shipped = transfers.transfer_request(
            source=self.warehouse, destination=self.locations["shibuya"], acting_user=shibuya_staff,
            lines=[LineIn(variant, rng.randint(2, 6)) for variant in picks[:3]], note="週末のセールに向けて補充")
        transfers.transfer_approve(transfer=shipped, acting_user=operator)
        transfers.transfer_ship(transfer=shipped, acting_user=operator)
        transfers.transfer_request(source=self.warehouse, destination=self.locations["umeda"], acting_user=umeda_staff,
                                   lines=[LineIn(variant, rng.randint(1, 4)) for variant in picks[3:5]])
        today = timezone.localdate()
        receiving.purchase_order_create(
            location=self.warehouse, supplier_name="東洋繊維株式会社", supplier_reference="TY-2612-0042",
            expected_on=today, acting_user=operator,
            lines=[LineIn(variant, rng.choice((12, 24, 36))) for variant in picks[5:9]])
        partly = receiving.purchase_order_create(
            location=self.warehouse, supplier_name="北陸食品工業", expected_on=today - timedelta(days=1),
            acting_user=operator, lines=[LineIn(variant, 24) for variant in picks[9:11]])
        receiving.receipt_create(location=self.warehouse, purchase_order=partly, acting_user=operator,
                                 lines=[ReceivedLineIn(picks[9], 24, damaged=0), ReceivedLineIn(picks[10], 10,
                                                                                                 damaged=2)],
                                 note="納品書 HS-88172")
        # where everything the warehouse holds sits, six items a bin, eight bins a zone (A-01 … A-08,
        # B-01 …): what its pick lists walk and its counts cover
        held = sorted((v for v in self.variants if self.on_hand.get((v.id, self.warehouse.id), 0) > 0),
                      key=lambda variant: variant.sku)
        inventory.stock_zones_set(location=self.warehouse, acting_user=operator, rows=[
            inventory.ZoneIn(code=variant.sku, zone=f"{'ABCDEFGH'[min(n // 48, 7)]}-{n // 6 % 8 + 1:02d}")
            for n, variant in enumerate(held)])
        count = counts.count_start(location=self.warehouse, zone="A-01", acting_user=operator)
        for index, line in enumerate(count.lines.select_related("variant")):
            found = line.expected - 1 if index == 2 else line.expected + 2 if index == 5 else line.expected
            counts.count_enter(count=count, variant=line.variant, quantity=found, acting_user=operator)
        counts.count_submit(count=count, acting_user=operator)
    # --- a shipped delivery and the endless aisle (orders.services, orders.till, orders.aisle) ----

    def seed_deliveries_and_aisle(self) -> None:
        """One of today's deliveries left with ヤマト運輸 and its slip's number (the customer sees
        the tracking link in their account); at 渋谷店's till two items out of stock there were
        sold from 関東物流センター's stock for pickup at the store: one is on its way (its transfer
        shipped), one arrived and is ready at the desk (the transfer received, the order made
        ready by the orders.aisle_transfers consumer, run here at once). Its own random stream:
        the rest of the demo stays as it was."""
        from kernel.events import events_consume_pending
        from orders.aisle import CONSUMER
        from orders.till import till_aisle_sale

        rng = random.Random(SEED + 20)
        operator = self.staff.get(WAREHOUSE_CODE)
        waiting = (Order.objects.filter(channel__code="web", fulfillments__method=FulfillmentMethod.SHIP,
                                        fulfillments__status=FulfillmentStatus.RESERVED).order_by("id").first())
        if waiting is not None:
            orders.fulfillment_ship(fulfillment=waiting.fulfillments.get(), carrier="yamato",
                                    tracking_number=f"{rng.randrange(10 ** 11, 10 ** 12)}", acting_user=operator)
        shibuya = self.locations["shibuya"]
        session = RegisterSession.objects.filter(register__location=shibuya, closed_at__isnull=True).order_by(
            "register__code").first()
        staff = self.staff.get("shibuya")
        candidates = [v for v in self.variants if self.on_hand.get((v.id, shibuya.id), 0) == 0
                      and self.on_hand.get((v.id, self.warehouse.id), 0) >= 5]
        if session is None or len(candidates) < 2:
            return
        buyers = [c for c in self.customers if c.phone][:2] or [self.hanako, self.hanako]
        for index, variant in enumerate(rng.sample(candidates, 2)):
            order = till_aisle_sale(register_session=session, code=variant.sku, quantity=1, source=self.warehouse,
                                    method=FulfillmentMethod.PICKUP, customer=buyers[index], acting_user=staff,
                                    tenders=[TenderIn(TenderKind.CARD, variant.price, f"{rng.randrange(1, 10000):04d}")]
                                    ).order
            transfer = order.fulfillments.get().transfer
            transfers.transfer_approve(transfer=transfer, acting_user=operator)
            transfers.transfer_ship(transfer=transfer, acting_user=operator)
            if index == 1:
                transfers.transfer_receive(transfer=transfer, lines=[ReceivedLineIn(variant, 1)], acting_user=staff)
        events_consume_pending(consumer=CONSUMER)

    # --- returns (orders.returns) ---------------------------------------------------------

    def seed_returns(self) -> None:
        """Two of the latest returnable orders come back through the returns services: one
        taken and refunded at 梅田店's desk (a store that did not sell it), one Hanako started
        from her account, to bring to 渋谷店 (its return code waits at the desk)."""
        from orders import returns
        from orders.models import RefundMethod, ReturnCondition, ReturnDisposition, ReturnMethod, ReturnReason

        def returnable(order):
            return [row for row in returns.returnable_lines(order) if row.returnable]

        recent = sorted((order for order in self.history if order.customer_id), key=lambda o: o.created_at,
                        reverse=True)
        mine = next((order for order in recent if order.customer_id == self.hanako.pk and returnable(order)), None)
        other = next((order for order in recent if order.customer_id != self.hanako.pk and order.channel.kind != "pos"
                      and returnable(order)), None)
        umeda = self.locations.get("umeda") or self.stores[0]
        if other is not None:
            row = returnable(other)[0]
            till = RegisterSession.objects.filter(register__location=umeda, closed_at__isnull=True).first()
            returns.return_create(order=other, location=umeda, refund_method=RefundMethod.ORIGINAL,
                                  register_session=till,  # cash given back leaves its drawer
                                  lines=[returns.ReturnLineIn(row.line.pk, 1, ReturnReason.SIZE, ReturnCondition.AS_NEW,
                                                              ReturnDisposition.RESTOCK)],
                                  acting_user=self.staff.get(umeda.code))
        if mine is not None:
            row = returnable(mine)[0]
            returns.return_request(order=mine, method=ReturnMethod.STORE, location=self.locations["shibuya"],
                                   lines=[returns.ReturnLineIn(row.line.pk, 1, ReturnReason.NOT_AS_EXPECTED)],
                                   acting_user=self.hanako_user)

    # --- identities (customers.identities) ----------------------------------------------

    def add_identities(self) -> None:
        """Loyalty cards issued at the tills, the LINE accounts linked by those who take our news
        on LINE, and the buyer ids of a few customers who bought on ハレマチ市場: each through
        ``identity_add``, as the POS, the LINE link and the marketplace connector add them."""
        rng = self.rng8
        self.cards: dict[int, str] = {}
        self.customer_by_pk = {customer.pk: customer for customer in self.customers}
        tills = {code: self.staff.get(code) for code in STORE_CODES}
        issued = {HANAKO_LOYALTY_CARD.replace("-", "")}
        for customer, plan in zip(self.customers, self.plans, strict=True):
            if plan["card"]:
                number = next(iter(issued))
                while number in issued:
                    number = f"{LOYALTY_CARD_PREFIX}{rng.randrange(10**12):012d}"
                issued.add(number)
                store = customer.favourite_location.code if customer.favourite_location else ""
                identities.identity_add(customer=customer, kind=IdentityKind.LOYALTY_CARD, value=number,
                                        source=IDENTITY_SOURCES["loyalty_card"], acting_user=tills.get(store))
                self.cards[customer.pk] = number
            if plan["line"]:
                identities.identity_add(customer=customer, kind=IdentityKind.LINE, value=f"U{rng.getrandbits(128):032x}",
                                        source=IDENTITY_SOURCES["line"])
        buyers = sorted({row.customer for row in self.history_rows
                         if row.customer and row.channel == MARKETPLACE_CODE and row.customer in self.customer_by_pk})
        if not buyers:  # a small demo whose few months drew no marketplace order: buyers from before them
            buyers = sorted(self.customer_by_pk)[:3]
        for customer_id in buyers[:: max(1, len(buyers) // 20)][:20]:
            identities.identity_add(customer=self.customer_by_pk[customer_id], kind=IdentityKind.MARKETPLACE,
                                    value=f"{MARKETPLACE_CODE}:hm{rng.randrange(10**7, 10**8)}",
                                    source=IDENTITY_SOURCES["marketplace"])
        # Hanako: the card 渋谷店 gave her, and the LINE account she linked herself.
        identities.identity_add(customer=self.hanako, kind=IdentityKind.LOYALTY_CARD, value=HANAKO_LOYALTY_CARD,
                                source=IDENTITY_SOURCES["loyalty_card"], acting_user=self.staff.get("shibuya"))
        identities.identity_add(customer=self.hanako, kind=IdentityKind.LINE, value=HANAKO_LINE_ID,
                                source=IDENTITY_SOURCES["line"], acting_user=self.hanako_user)

    # --- first-party events (customers.tracking) ----------------------------------------

    def ingest_first_party_events(self) -> None:
        """The official app (the membership card app) sends what its users did through the events
        API, naming them by their card: page views, searches and product views of the last weeks,
        only for those who let the app measure its use. Hanako's phone sends hers through the
        storefront script's door."""
        rng = self.rng8
        earliest = self.now - tracking.max_age() + timedelta(hours=1)
        latest = self.now - timedelta(minutes=30)
        events: list[dict] = []
        for customer, plan in zip(self.customers, self.plans, strict=True):
            since = plan["app_since"]
            if since is None or customer.pk not in self.cards or rng.random() < 0.4:
                continue
            start = max(since, earliest)
            span = max((latest - start).total_seconds(), 0)
            for _session in range(rng.choice([1, 1, 2, 3])):
                at = start + timedelta(seconds=rng.uniform(0, span))
                for event in self.browsing_session(at):
                    events.append({**event, "identity": {"kind": IdentityKind.LOYALTY_CARD,
                                                         "value": self.cards[customer.pk]}, "channel": "app"})
        # the app's integration token is the administrator's (customers.ingest_events)
        sender = self.staff[roles.ADMINISTRATOR]
        size = tracking.max_batch()
        for start in range(0, len(events), size):
            tracking.events_ingest_system(events=events[start:start + size], acting_user=sender)
        self.browse_as_hanako()

    def browsing_session(self, at: datetime | None, *, search: bool | None = None) -> list[dict]:
        """One visit as the storefront script reports it: the home page, then a search or a
        category (``search``: which; None: by chance), then a product page (``at`` None: now, as a
        browser sends it)."""
        rng = self.rng8
        events: list[dict] = []

        def send(kind: str, properties: dict) -> None:
            nonlocal at
            event = {"id": str(uuid.UUID(int=rng.getrandbits(128), version=4)), "type": kind,
                     "properties": properties}
            if at is not None:
                event["occurred_at"] = timezone.localtime(at).isoformat()
                at += timedelta(seconds=rng.uniform(8, 90))
            events.append(event)

        active = [product for product in self.products if product.is_active]
        send("page_view", {"path": "/", "title": LOGO_NAME})
        if rng.random() < 0.55 if search is None else search:
            term = rng.choice(SEARCH_TERMS)
            found = [product for product in active if term in product.name]
            send("page_view", {"path": "/products/?" + urlencode({"q": term}), "title": f"商品一覧 | {LOGO_NAME}"})
            send("search", {"query": term, "results": len(found)})
        else:
            category = rng.choice(sorted({product.category for product in active}))
            found = [product for product in active if product.category == category]
            send("page_view", {"path": "/products/?" + urlencode({"category": category}),
                               "title": f"商品一覧 | {LOGO_NAME}"})
        for product in rng.sample(found, min(len(found), rng.choice([0, 1, 1, 2]))):
            send("page_view", {"path": f"/products/{product.code}/", "title": f"{product.name} | {LOGO_NAME}"})
            send("product_view", {"code": product.code})
        return events

    def browse_as_hanako(self) -> None:
        """On her phone Hanako accepts the analytics banner and looks around before signing in;
        signing in makes the browser hers (``browser_attach``, what ``user_logged_in`` runs), and
        she goes on browsing signed in."""
        web = self.channels["web"]
        tracking.analytics_consent_record(granted=True, browser_id=HANAKO_BROWSER, user_agent=BROWSER_USER_AGENT)
        tracking.events_ingest_browser(events=self.browsing_session(None, search=True), browser_id=HANAKO_BROWSER,
                                       customer=None,
                                       consent=True, user_agent=BROWSER_USER_AGENT, channel=web)
        tracking.browser_attach(customer=self.hanako, browser_id=HANAKO_BROWSER, acting_user=self.hanako_user)
        tracking.events_ingest_browser(
            events=self.browsing_session(None), browser_id=HANAKO_BROWSER, customer=self.hanako,
            consent=tracking.customer_analytics_consent(customer=self.hanako), user_agent=BROWSER_USER_AGENT,
            channel=web)

    # --- an old POS's members imported again, and the duplicate scan (customers.merge) ------

    def import_legacy_duplicates(self) -> None:
        """The member list of the POS the stores used before, imported a second time: the same
        people as the old till wrote them (names in half-width katakana or in hiragana, phones with
        brackets or full-width digits, a Gmail address with and without its dots), then the
        duplicate scan the nightly job runs, so the review queue has their pairs."""
        rng = self.rng8
        originals = rng.sample(self.customers, min(9, len(self.customers)))
        rows: list[customers.CustomerImportIn] = []

        def legacy(original: Customer, **fields) -> None:
            created = min(original.created_at, self.window_start) - timedelta(days=rng.uniform(200, 1500))
            ledger = [customers.ConsentImportIn(ConsentChannel.POSTAL, True, created + timedelta(minutes=5),
                                                LEGACY_CONSENT_SOURCE)] if rng.random() < 0.5 else []
            rows.append(customers.CustomerImportIn(**{
                "family_name": original.family_name, "given_name": original.given_name, "created_at": created,
                "prefecture": original.prefecture, "consents": ledger, **fields}))

        for index, original in enumerate(originals):
            digits = original.phone_digits
            if index < 4:  # the till's half-width katakana, the phone with brackets: same name, postal code, phone
                legacy(original, family_name=half_width_kana(original.family_name_kana),
                       given_name=half_width_kana(original.given_name_kana),
                       family_name_kana=half_width_kana(original.family_name_kana),
                       given_name_kana=half_width_kana(original.given_name_kana),
                       phone=f"{digits[:3]}({digits[3:7]}){digits[7:]}", postal_code=original.postal_code,
                       address=original.address, city=original.city)
            elif index < 6:  # a paper form typed in: the name and the postal code, no phone
                legacy(original, postal_code=original.postal_code.replace("-", ""), address=original.address)
            elif index < 8:  # the name in hiragana, an address they have since left, the phone in full width
                legacy(original, family_name=katakana_to_hiragana(original.family_name_kana),
                       given_name=katakana_to_hiragana(original.given_name_kana),
                       phone=f"{digits[:3]}-{digits[3:7]}-{digits[7:]}".translate(FULL_WIDTH_DIGITS),
                       postal_code=f"{original.postal_code[:3]}-{rng.randrange(10000):04d}")
            else:  # a Gmail address with dots and the phone as +81, then the same mailbox without the dots
                given, family = (email_part(original.email, 0), email_part(original.email, 1))
                dotted = GMAIL_LOCAL.format(given=given, family=family)
                legacy(original, email=f"{dotted}@gmail.com", phone=f"+81 {digits[1:3]}-{digits[3:7]}-{digits[7:]}")
                legacy(original, email=f"{dotted.replace('.', '')}+pos@gmail.com",
                       family_name_kana=original.family_name_kana, given_name_kana=original.given_name_kana)
        customers.customers_import(rows=rows, source=LEGACY_SOURCE)
        merge.duplicates_scan()

    # --- RFM and CLV, personas, segments (customers.scores, customers.segments) ----------

    def seed_segments(self) -> None:
        """What a marketer sets up on the first morning: RFM and CLV recomputed, three personas,
        segments attached to them (dynamic rules, and a static list uploaded as a Shift_JIS CSV),
        and a snapshot of each with its members."""
        marketer = self.staff[roles.HQ_MARKETER]
        scores.scores_recompute()
        personas = {spec["name"]: segments.persona_create(acting_user=marketer, **spec) for spec in PERSONAS}
        for name, persona, description, rules in SEGMENTS:
            segment = segments.segment_create(
                name=name, kind=SegmentKind.DYNAMIC if rules else SegmentKind.STATIC, rules=rules,
                description=description, persona=personas.get(persona), acting_user=marketer)
            if rules is None:
                segments.segment_members_upload(segment=segment, data=self.invitation_csv(), acting_user=marketer)
            segments.segment_snapshot_take(segment=segment, with_members=True, acting_user=marketer)

    # --- back-in-stock requests (campaigns.backinstock) ----------------------------------------

    def seed_back_in_stock(self) -> None:
        """Customers asked the product page to tell them when a size sold out at their store is
        back: the first such sizes at 渋谷店 (Hanako waits for one of them) and at the other stores,
        a few customers each, so the console shows who is waiting for what."""
        from campaigns.backinstock import back_in_stock_subscribe, is_available
        from campaigns.errors import BackInStockRefused
        from campaigns.models_backinstock import BackInStockSource

        rng = random.Random(SEED + 11)
        for store_index, store in enumerate(self.stores):
            sold_out = [v for v in self.variants if v.product.is_active and v.product.stock_policy == "normal"
                        and (v.id, store.id) in self.on_hand
                        and not is_available(variant_id=v.id, location_id=store.id)][:3]
            regulars = [c for c in self.customers if c.favourite_location_id == store.id] or list(self.customers)
            for rank, variant in enumerate(sold_out):
                waiting = rng.sample(regulars, min(len(regulars), 6 - 2 * rank))
                if store_index == 0 and rank == 0:
                    waiting = [self.hanako, *waiting]
                for customer in waiting:
                    with contextlib.suppress(BackInStockRefused):
                        back_in_stock_subscribe(customer=customer, variant=variant, location=store,
                                                source=BackInStockSource.STOREFRONT, acting_user=None)

    # --- campaigns (campaigns.services, campaigns.sending, campaigns.offers) -----------------

    def seed_campaigns(self) -> None:
        """HQ's marketer wrote three campaigns; the administrator approved the first, which went
        out by email, on the online store and as postcards with the offer's code, and then some
        of its customers opened, clicked and used the code (through the tracking and checkout
        services, as the pixel, the redirect and the storefront would). The second waits for
        approval, the third is a draft with an SMS, a POP sign and a social post."""
        from campaigns import offers, sending, tracking
        from campaigns import services as campaigns
        from campaigns.models import CampaignRecipient, MessageChannel, RecipientStatus
        from kernel.events import events_consume_pending

        marketer, approver = self.staff[roles.HQ_MARKETER], self.staff[roles.ADMINISTRATOR]
        rng = random.Random(SEED + 9)
        loyal = Segment.objects.get(name="都内のロイヤル顧客")
        invited = Segment.objects.get(name="渋谷店 内覧会ご招待リスト")
        # Hanako lets the online store tailor what it shows her (the on-site banner)
        consents.consent_grant(customer=self.hanako, channel=ConsentChannel.WEB, purpose=ConsentPurpose.PERSONALISATION,
                               source=ConsentSource.STOREFRONT, source_detail="preferences",
                               acting_user=self.hanako_user, event_channel=self.channels["web"])
        # at the till, some of the invited regulars (and Hanako) agreed to receive direct mail
        for customer in [self.hanako, *(c for c in segments.segment_customers(invited).order_by("pk")
                                        if rng.random() < 0.5)]:
            consents.consent_grant(customer=customer, channel=ConsentChannel.POSTAL, source=ConsentSource.POS,
                                   source_detail="渋谷店 レジ", event_channel=self.channels.get("pos-shibuya"))
        thanks = campaigns.campaign_create(
            name="冬のご愛顧感謝祭", objective="sales", acting_user=marketer, segments=[loyal, invited],
            ends_at=self.now + timedelta(days=30), quiet_start=None, quiet_end=None, utm_campaign="winter-thanks")
        offer = offers.offer_create(acting_user=marketer, name="冬のご愛顧感謝祭 10%OFF", kind="percent", value=10,
                                    min_spend=3000, ends_at=self.now + timedelta(days=30), campaign=thanks)
        offers.code_create_shared(offer=offer, code="THANKS10", acting_user=marketer)
        for spec in DEMO_CAMPAIGN_MESSAGES:
            campaigns.message_set(campaign=thanks, acting_user=marketer, **spec)
        campaigns.campaign_submit(campaign=thanks, acting_user=marketer)
        campaigns.campaign_approve(campaign=thanks, acting_user=approver)
        campaigns.campaign_start(campaign=thanks, acting_user=approver)
        # the worker's jobs, run here so the demo shows the result at once (a queued copy finds nothing left)
        sending.campaign_fan_out(thanks.pk)
        for first, last in sending.batch_bounds(thanks.pk):
            sending.campaign_send_batch(thanks.pk, first, last)
        emailed = list(CampaignRecipient.objects.filter(campaign=thanks, channel=MessageChannel.EMAIL,
                                                        status=RecipientStatus.SENT).order_by("pk"))
        readers = [r for r in emailed if rng.random() < 0.48]
        for recipient in readers:
            tracking.recipient_open_record(recipient_id=recipient.pk, user_agent=DEMO_MAIL_READER)
        clickers = [r for r in readers if rng.random() < 0.35]
        for recipient in clickers:
            tracking.recipient_click_record(recipient=recipient, url=absolute_url("/products/"),
                                            user_agent=DEMO_MAIL_READER)
        shibuya = self.locations["shibuya"]
        stocked = [v for v in self.variants if v.price >= 3000 and self.on_hand.get((v.id, shibuya.id), 0) >= 3]
        buyers = [r for r in clickers if r.customer_id != self.hanako.pk][:4]
        for index, recipient in enumerate(buyers if stocked else []):
            variant = stocked[(index * 7) % len(stocked)]
            with contextlib.suppress(OrderError, OutOfStock):  # sold out since: that customer did not buy
                orders.order_place(
                    channel=self.channels["web"], customer=Customer.objects.get(pk=recipient.customer_id),
                    lines=[orders.LineIn(variant.sku, 1)],
                    fulfillment=orders.FulfillmentIn(FulfillmentMethod.PICKUP, shibuya.code), codes=["thanks10"])
        events_consume_pending(consumer="campaigns.conversions")
        spring = campaigns.campaign_create(name="春の新作リネンのご案内", objective="launch", acting_user=marketer,
                                           segments=[Segment.objects.get(name="リネン好きの休眠顧客")],
                                           send_at=self.now + timedelta(days=7), utm_campaign="spring-linen")
        for spec in DEMO_SPRING_MESSAGES:
            campaigns.message_set(campaign=spring, acting_user=marketer, **spec)
        campaigns.campaign_submit(campaign=spring, acting_user=marketer)
        weekend = campaigns.campaign_create(name="週末の渋谷店 限定セール", objective="store_visits", acting_user=marketer,
                                            segments=[invited])
        for spec in DEMO_WEEKEND_MESSAGES:
            campaigns.message_set(campaign=weekend, acting_user=marketer, **spec)
        # what the channels cost this month, as HQ's marketer entered them for attribution's ROAS
        # (campaigns.attribution): the winter campaign's postcards (printing and postage; it counts for
        # the direct-mail channel too) and the email service's monthly fee
        from campaigns.attribution import channel_cost_save

        month = timezone.localdate().replace(day=1)
        channel_cost_save(month=month, channel="dm", amount=48_000, campaign=thanks, acting_user=marketer,
                          note="ハガキ印刷・郵送 120通")
        channel_cost_save(month=month, channel="email", amount=15_000, acting_user=marketer, note="配信サービス月額")

    def seed_journeys(self) -> None:
        """HQ switched on the seven ready-made journeys two weeks ago; since then customers entered
        them as they signed up, left carts, had pickups ready and ordered, and the engine moved
        them on day by day (the engine's own runs, at the time of each day). Back in stock starts
        when a subscribed size comes back (the subscriptions are seeded with the catalogue)."""
        from campaigns import journeys
        from campaigns.journey_engine import enrol, journeys_run, journeys_scan
        from campaigns.journey_templates import TEMPLATES, journey_from_template
        from campaigns.models import Campaign
        from campaigns.models_journeys import Journey
        from orders.models import CartLine, Fulfillment

        marketer = self.staff[roles.HQ_MARKETER]
        rng = random.Random(SEED + 11)
        start = self.now - timedelta(days=14)
        made: dict[str, Journey] = {}
        for template in TEMPLATES:
            journey = journey_from_template(key=template.key, acting_user=marketer)
            journeys.journey_activate(journey=journey, acting_user=marketer)
            Journey.objects.filter(pk=journey.pk).update(activated_at=start)
            journey.refresh_from_db()
            made[template.key] = journey
        people = [c for c in self.customers if c.pk != self.hanako.pk]

        def at(days_ago: float) -> datetime:
            return self.now - timedelta(days=days_ago)

        welcome = [(c.pk, f"demo:welcome:{c.pk}", "", {}, at(rng.uniform(0, 14))) for c in rng.sample(people, min(40, len(people)))]
        enrol(made["welcome"], welcome, now=self.now)
        in_carts = list(CartLine.objects.filter(cart__customer__isnull=False).values_list(
            "cart__customer_id", "cart_id").distinct())
        enrol(made["abandoned_cart"], [(customer_id, f"demo:cart:{cart_id}", "", {"cart_id": cart_id},
                                        at(rng.uniform(0, 2)) + timedelta(hours=3))
                                       for customer_id, cart_id in in_carts], now=self.now)
        ready = (Fulfillment.objects.filter(method=FulfillmentMethod.PICKUP, status="ready",
                                            order__customer__isnull=False)
                 .select_related("order", "location"))
        enrol(made["pickup_reminder"], [(f.order.customer_id, f"demo:ready:{f.pk}", order_subject(f.order.number),
                                         {"order_id": f.order_id, "number": f.order.number,
                                          "location_id": f.location_id}, at(rng.uniform(0, 3)))
                                        for f in ready], now=self.now)
        recent = (Order.objects.filter(customer__isnull=False, created_at__gte=at(14)).order_by("-created_at")
                  .values_list("customer_id", "pk", "number", "created_at")[:60])
        enrol(made["review_request"], [(customer_id, f"demo:placed:{pk}", "", {"order_id": pk, "number": number},
                                        max(created, start)) for customer_id, pk, number, created in recent],
              now=self.now)
        # the engine's runs, day by day (each at its own time), then now; the worker's sends run here
        # (quiet hours aside while seeding, put back after) and about half the emails are read
        contents = Campaign.objects.filter(journey_step__journey__in=list(made.values()))
        quiet = list(contents.values_list("pk", "quiet_start", "quiet_end"))
        contents.update(quiet_start=None, quiet_end=None)
        for day in range(14, -1, -1):
            journeys_run(now=at(day), budget=60.0)
            self.send_journey_messages(contents, rng)
        # a size some customers wait for at a store came back there today: they hear of it once
        from campaigns.models import BackInStockSubscription
        from kernel.events import events_consume_pending

        waited = (BackInStockSubscription.objects.filter(notified_at__isnull=True, cancelled_at__isnull=True,
                                                         location__isnull=False).exclude(customer=self.hanako)
                  .order_by("pk").first())
        if waited is not None:
            receiving.receipt_create(location=waited.location, lines=[ReceivedLineIn(waited.variant, 3)],
                                     note="入荷お知らせの再入荷")  # a delivery counted in at the store
        events_consume_pending(consumer="campaigns.journeys")
        journeys_scan(now=self.now)
        journeys_run(now=self.now, budget=60.0)
        self.send_journey_messages(contents, rng)
        for pk, quiet_start, quiet_end in quiet:
            Campaign.objects.filter(pk=pk).update(quiet_start=quiet_start, quiet_end=quiet_end)

    def send_journey_messages(self, contents, rng: random.Random) -> None:
        from campaigns import sending, tracking
        from campaigns.models import CampaignRecipient, MessageChannel, RecipientStatus

        for campaign_id in contents.values_list("pk", flat=True):
            for first, last in sending.batch_bounds(campaign_id, only_due=True):
                sending.campaign_send_batch(campaign_id, first, last)
        looked = self.__dict__.setdefault("journey_emails_looked_at", set())
        unread = CampaignRecipient.objects.filter(campaign__in=contents, channel=MessageChannel.EMAIL,
                                                  status=RecipientStatus.SENT, opened_at__isnull=True).exclude(
            pk__in=looked).order_by("pk").values_list("pk", flat=True)
        for recipient_id in unread:
            looked.add(recipient_id)  # each email has one chance of being read
            if rng.random() < 0.45:
                tracking.recipient_open_record(recipient_id=recipient_id, user_agent=DEMO_MAIL_READER)

    def invitation_csv(self) -> bytes:
        """渋谷店's invitation list as the store keeps it in Excel: Hanako and the biggest spenders
        among the customers whose favourite store it is."""
        spent: dict[int, int] = defaultdict(int)
        for order in self.history:
            if order.customer_id:
                spent[order.customer_id] += order.total
        regulars = sorted((c for c in self.customers if c.favourite_location and c.favourite_location.code == "shibuya"),
                          key=lambda c: (-spent[c.pk], c.pk))[:STATIC_LIST_SIZE - 1]
        lines = ["メールアドレス", self.hanako.email, *(customer.email for customer in regulars)]
        return ("\r\n".join(lines) + "\r\n").encode("cp932")


# --- how an old till wrote names and numbers ---------------------------------------------------

_HALF_WIDTH = {unicodedata.normalize("NFKC", chr(code)): chr(code) for code in range(0xFF66, 0xFF9E)}
_HALF_WIDTH.update({"\u3099": "\uff9e", "\u309a": "\uff9f"})  # the voiced and semi-voiced marks
FULL_WIDTH_DIGITS = str.maketrans("0123456789-", "０１２３４５６７８９－")


def half_width_kana(text: str) -> str:
    """Katakana as old tills print them: ``サトウ`` → ``ｻﾄｳ``, ``ゴトウ`` → ``ｺﾞﾄｳ``."""
    return "".join(_HALF_WIDTH.get(char, char) for char in unicodedata.normalize("NFD", text))


def katakana_to_hiragana(text: str) -> str:
    return "".join(chr(ord(char) - 0x60) if "ァ" <= char <= "ヶ" else char for char in text)


def email_part(email: str, index: int) -> str:
    """The demo's addresses are ``given.family.0001@example.jp``: one of the name parts."""
    return email.split("@", 1)[0].split(".")[index]
