"""Reads of the inventory domain used by several views and the API."""

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet, Sum

from .models import Location, Product, ProductImage, StockLevel, Variant


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


def available_to_promise(*, variant: Variant, location: Location) -> int:
    level = StockLevel.objects.filter(variant=variant, location=location).first()
    return level.available if level else 0


def stock_levels(*, locations: QuerySet[Location] | None = None) -> QuerySet[StockLevel]:
    levels = StockLevel.objects.with_available().select_related("variant__product", "location")
    if locations is not None:
        levels = levels.filter(location__in=locations)
    return levels.order_by("location__code", "variant__sku")


def low_stock(*, locations: QuerySet[Location] | None = None, threshold: int = 2, limit: int = 20):
    return stock_levels(locations=locations).filter(available_qty__lte=threshold).order_by("available_qty")[:limit]


def ledger_balance(*, variant: Variant, location: Location) -> int:
    return variant.movements.filter(location=location).aggregate(total=Sum("quantity"))["total"] or 0
