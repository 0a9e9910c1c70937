"""Inventory's API viewsets on the shared router (namespace "api")."""

from .api import (
    LocationViewSet,
    ProductViewSet,
    StockAdjustmentViewSet,
    StockLevelViewSet,
    StockReceiptViewSet,
    VariantViewSet,
)


def register_routes(router) -> None:
    router.register("products", ProductViewSet, basename="product")
    router.register("variants", VariantViewSet, basename="variant")
    router.register("locations", LocationViewSet, basename="location")
    router.register("stock-levels", StockLevelViewSet, basename="stocklevel")
    router.register("stock-receipts", StockReceiptViewSet, basename="stockreceipt")
    router.register("stock-adjustments", StockAdjustmentViewSet, basename="stockadjustment")
