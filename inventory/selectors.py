"""Reads of the inventory domain used by several views and the API."""

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet, Sum

from kernel.models import Location

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
