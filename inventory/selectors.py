"""Reads of the inventory domain used by several views and the API."""

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet, Sum
from django.urls import reverse
from django.utils.translation import gettext

from kernel.models import Location
from kernel.subjects import SubjectLabel

from .models import LOW_STOCK_THRESHOLD, AvailabilityLevel, Product, ProductImage, StockLevel, Variant


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
