"""Reads of the inventory domain used by several views and the API."""

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass

from django.db.models import Case, Prefetch, Q, QuerySet, Sum, When
from django.urls import reverse
from django.utils.translation import gettext, pgettext

from kernel.japan import search_key
from kernel.models import Location
from kernel.subjects import SubjectLabel

from .models import LOW_STOCK_THRESHOLD, AvailabilityLevel, Product, ProductImage, StockLevel, Variant
from .validators import normalize_barcode


def catalogue(*, query: str = "", category: str = "") -> QuerySet[Product]:
    """Published products for the storefront with their first image and price range."""
    products = Product.objects.published()
    if query:
        products = products.search(query)
    if category:
        products = products.filter(category=category)
    return products.prefetch_related(
        Prefetch("images", queryset=ProductImage.objects.order_by("position", "id")),
        Prefetch("variants", queryset=Variant.objects.order_by("position", "id")),
    ).order_by("name", "id")


@dataclass
class VariantAvailability:
    variant: Variant
    by_location: dict[int, int]  # location id -> available units
    total: int


def product_availability(*, product: Product, locations: list[Location]) -> list[VariantAvailability]:
    """Available units per variant per location, in one query."""
    location_ids = [location.id for location in locations]
    available: dict[int, dict[int, int]] = defaultdict(dict)
    for level in StockLevel.objects.filter(variant__product=product, location_id__in=location_ids).only(
        "variant_id", "location_id", "on_hand", "reserved", "safety_stock"
    ):
        available[level.variant_id][level.location_id] = level.available
    return [
        VariantAvailability(variant=variant, by_location=available[variant.id], total=sum(available[variant.id].values()))
        for variant in product.variants.all()
    ]


@dataclass(frozen=True)
class VariantLevel:
    variant: Variant
    level: AvailabilityLevel


@dataclass(frozen=True)
class LocationAvailability:
    location: Location
    variants: list[VariantLevel]

    @property
    def level(self) -> AvailabilityLevel:
        """The best level of the location's variants ("in stock" if any size is)."""
        ranks = list(AvailabilityLevel)
        return min((row.level for row in self.variants), key=ranks.index, default=AvailabilityLevel.OUT_OF_STOCK)


def public_availability(*, product: Product, variants: list[Variant] | None = None) -> list[LocationAvailability]:
    """Availability levels (never unit counts) of ``product`` (or only ``variants`` of it) at every
    location customers can visit or pick up at, in the storefront's order. Two queries
    (locations, stock levels) however many locations and variants; prefetch the variants."""
    locations = list(Location.objects.public().order_by("prefecture", "code"))
    rows = product_availability(product=product, locations=locations)
    if variants is not None:
        wanted = {variant.pk for variant in variants}
        rows = [row for row in rows if row.variant.pk in wanted]
    policy = product.stock_policy
    return [
        LocationAvailability(location=location, variants=[
            VariantLevel(row.variant, AvailabilityLevel.of(row.by_location.get(location.id, 0), stock_policy=policy))
            for row in rows
        ])
        for location in locations
    ]


def available_to_promise(*, variant: Variant, location: Location) -> int:
    level = StockLevel.objects.filter(variant=variant, location=location).first()
    return level.available if level else 0


def stock_levels(*, locations: QuerySet[Location] | None = None) -> QuerySet[StockLevel]:
    levels = StockLevel.objects.with_available().select_related("variant__product", "location")
    if locations is not None:
        levels = levels.filter(location__in=locations)
    return levels.order_by("location__code", "variant__sku")


def stock_zones(*, location: Location, query: str = "", unzoned: bool = False) -> QuerySet[StockLevel]:
    """The stock levels of ``location`` with their zone / bin, by zone then SKU (no zone last):
    the zones page. ``query`` matches the SKU, barcode or product name; ``unzoned`` keeps the
    items with no zone set."""
    levels = StockLevel.objects.filter(location=location).select_related("variant__product")
    if query:
        levels = levels.filter(Q(variant__sku__icontains=query) | Q(variant__barcode=normalize_barcode(query))
                               | Q(variant__product__search_text__contains=search_key(query)))
    if unzoned:
        levels = levels.filter(zone="")
    return levels.annotate(no_zone=Case(When(zone="", then=1), default=0)).order_by("no_zone", "zone", "variant__sku")


def low_stock(*, locations: QuerySet[Location] | None = None, threshold: int = LOW_STOCK_THRESHOLD,
              limit: int = 20):
    return stock_levels(locations=locations).filter(available_qty__lte=threshold).order_by("available_qty")[:limit]


def ledger_balance(*, variant: Variant, location: Location) -> int:
    return variant.movements.filter(location=location).aggregate(total=Sum("quantity"))["total"] or 0


# --- what customer events are about (kernel.subjects) -------------------------------------

def _product_label(code: str, *, product: Product | None = None, detail: str = "") -> SubjectLabel:
    if product is None:  # no longer in the catalogue: the code alone
        return SubjectLabel(text=gettext("Product %(code)s") % {"code": code})
    return SubjectLabel(text=gettext("Product %(code)s") % {"code": code}, detail=detail or product.name,
                        url=reverse("console:product_detail", kwargs={"pk": product.pk}),
                        permission="inventory.view_product")


def sku_subject_labels(references: Collection[str]) -> dict[str, SubjectLabel]:
    """Labels of ``sku:<SKU>`` subjects (what went into a cart), one query."""
    variants = {v.sku: v for v in Variant.objects.filter(sku__in=references).select_related("product")}
    labels = {}
    for sku in references:
        variant = variants.get(sku)
        labels[sku] = _product_label(sku) if variant is None else _product_label(
            sku, product=variant.product, detail=" ".join(filter(None, (variant.product.name, variant.label))))
    return labels


def product_subject_labels(references: Collection[str]) -> dict[str, SubjectLabel]:
    """Labels of ``product:<code>`` subjects (a product page viewed), one query."""
    products = {p.code: p for p in Product.objects.filter(code__in=references)}
    return {code: _product_label(code, product=products.get(code)) for code in references}


# --- what the stock ledger's references name (the stock history) ----------------------------

def stock_reference_resolvers() -> dict:
    """The resolver of each ledger reference prefix: what apps declare as ``stock_references`` on
    their AppConfig (``{"fulfillment": "orders.selectors.stock_reference_labels"}``), then the
    customer events' subject resolvers (``order:<number>``, kernel.subjects) for the others."""
    from django.utils.module_loading import import_string

    from kernel import subjects
    from kernel.registry import declarations

    found = dict(subjects.resolvers())
    for _label, declared in declarations("stock_references"):
        found.update({prefix: import_string(path) for prefix, path in declared.items()})
    return found


def reference_labels(references: Collection[str], *, user=None) -> dict[str, SubjectLabel]:
    """A label per ledger reference, by what people know the document by (``transfer:TR-000042``
    -> "Transfer TR-000042", ``fulfillment:4310`` -> "Order W00004348"), one call per prefix. A
    reference no app resolves (a PO number typed by hand) shows as it is. With ``user``, links
    the user may not follow are left out."""
    from dataclasses import replace

    from kernel.subjects import split

    by_prefix: dict[str, set[str]] = defaultdict(set)
    for reference in references:
        if reference:
            prefix, rest = split(reference)
            by_prefix[prefix].add(rest)
    resolvers = stock_reference_resolvers()
    labels: dict[str, SubjectLabel] = {}
    for prefix, rests in by_prefix.items():
        resolved = resolvers[prefix](rests) if prefix in resolvers else {}
        for rest in rests:
            key = f"{prefix}:{rest}" if prefix else rest
            label = resolved.get(rest) or SubjectLabel(text=key)
            if label.url and user is not None and label.permission and not user.has_perm(label.permission):
                label = replace(label, url="")
            labels[key] = label
    return labels


def document_reference_labels(kind: str, numbers: Collection[str]) -> dict[str, SubjectLabel]:
    """Labels of the warehouse documents' keys: no query, the number is what people say."""
    from .models import PurchaseOrder, Receipt, StockCount, Transfer

    model, text, url_name, permission = {
        Transfer.key_prefix: (Transfer, gettext("Transfer %(number)s"), "console:transfer_detail",
                              "inventory.view_transfer"),
        Receipt.key_prefix: (Receipt, pgettext("stock", "Receipt %(number)s"), "console:receipt_detail",
                             "inventory.view_receipt"),
        StockCount.key_prefix: (StockCount, gettext("Count %(number)s"), "console:count_detail",
                                "inventory.view_stockcount"),
        PurchaseOrder.key_prefix: (PurchaseOrder, gettext("Purchase order %(number)s"),
                                   "console:purchase_order_detail", "inventory.view_purchaseorder"),
    }[kind]
    return {number: SubjectLabel(text=text % {"number": number}, url=reverse(url_name, kwargs={"number": number}),
                                 permission=permission) for number in numbers}


def transfer_reference_labels(numbers: Collection[str]) -> dict[str, SubjectLabel]:
    return document_reference_labels("transfer", numbers)


def receipt_reference_labels(numbers: Collection[str]) -> dict[str, SubjectLabel]:
    return document_reference_labels("receipt", numbers)


def count_reference_labels(numbers: Collection[str]) -> dict[str, SubjectLabel]:
    return document_reference_labels("count", numbers)


def purchase_order_reference_labels(numbers: Collection[str]) -> dict[str, SubjectLabel]:
    return document_reference_labels("po", numbers)


# --- transfers on the stock pages and the dashboard --------------------------------------------

def with_in_transit(levels: QuerySet[StockLevel]) -> QuerySet[StockLevel]:
    """Stock levels with the units of transfers in transit into (``transit_in``) and out of
    (``transit_out``) their location, as two subqueries (no query per row)."""
    from django.db.models import IntegerField, OuterRef, Subquery, Value
    from django.db.models.functions import Coalesce

    from .models import TransferLine, TransferStatus

    moving = TransferLine.objects.filter(variant=OuterRef("variant"), transfer__status=TransferStatus.IN_TRANSIT)

    def units(side: str):
        rows = (moving.filter(**{f"transfer__{side}": OuterRef("location")}).order_by()
                .values("variant").annotate(units=Sum("shipped")).values("units"))
        return Coalesce(Subquery(rows, output_field=IntegerField()), Value(0))

    return levels.annotate(transit_in=units("destination"), transit_out=units("source"))


@dataclass(frozen=True)
class TransitSummary:
    incoming: int  # transfers in transit to the locations
    outgoing: int  # ... from them
    to_ship: int  # approved, waiting to be picked and shipped from them
    requested: int  # waiting for their approval


def transfers_in_transit(*, locations) -> TransitSummary:
    """How many transfers touch ``locations`` at each open step, in one query."""
    from django.db.models import Count, Q

    from .models import Transfer, TransferStatus

    ids = [getattr(location, "pk", location) for location in locations]
    counts = Transfer.objects.aggregate(
        incoming=Count("pk", filter=Q(destination__in=ids, status=TransferStatus.IN_TRANSIT)),
        outgoing=Count("pk", filter=Q(source__in=ids, status=TransferStatus.IN_TRANSIT)),
        to_ship=Count("pk", filter=Q(source__in=ids, status=TransferStatus.APPROVED)),
        requested=Count("pk", filter=Q(source__in=ids, status=TransferStatus.REQUESTED)),
    )
    return TransitSummary(**counts)


@dataclass(frozen=True)
class WarehouseDay:
    """What a warehouse operator's dashboard shows: what to receive today, transfers to ship and
    on their way, counts waiting for approval."""

    expected_orders: list  # purchase orders expected by today, still open (the first few)
    expected_count: int
    transit: TransitSummary
    counts_to_approve: list
    counts_to_approve_count: int
    counting: int


def warehouse_day(*, locations, today, limit: int = 8) -> WarehouseDay:
    """The warehouse dashboard's figures for ``locations``, in a fixed number of queries."""
    from django.db.models import Q

    from .models import PurchaseOrder, PurchaseOrderStatus, StockCount, StockCountStatus

    ids = [getattr(location, "pk", location) for location in locations]
    orders = (PurchaseOrder.objects.filter(location__in=ids, status__in=[PurchaseOrderStatus.OPEN,
                                                                          PurchaseOrderStatus.PARTIAL])
              .filter(Q(expected_on__lte=today) | Q(expected_on__isnull=True)))
    counts = StockCount.objects.filter(location__in=ids)
    submitted = counts.filter(status=StockCountStatus.SUBMITTED)
    return WarehouseDay(
        expected_orders=list(orders.select_related("location").order_by("expected_on", "id")[:limit]),
        expected_count=orders.count(),
        transit=transfers_in_transit(locations=ids),
        counts_to_approve=list(submitted.select_related("location", "submitted_by").order_by("submitted_at")[:limit]),
        counts_to_approve_count=submitted.count(),
        counting=counts.filter(status=StockCountStatus.COUNTING).count(),
    )
