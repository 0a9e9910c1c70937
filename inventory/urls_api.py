"""Inventory's API viewsets on the shared router (namespace "api")."""

from .api import (
    LocationViewSet,
    ProductViewSet,
    StockAdjustmentViewSet,
    StockLevelViewSet,
    StockReceiptViewSet,
    StockZoneViewSet,
    VariantViewSet,
)
from .warehouse_api import PurchaseOrderViewSet, ReceiptViewSet, StockCountViewSet, TransferViewSet


def register_routes(router) -> None:
    router.register("products", ProductViewSet, basename="product")
    router.register("variants", VariantViewSet, basename="variant")
    router.register("locations", LocationViewSet, basename="location")
    router.register("stock-levels", StockLevelViewSet, basename="stocklevel")
    router.register("stock-receipts", StockReceiptViewSet, basename="stockreceipt")
    router.register("stock-adjustments", StockAdjustmentViewSet, basename="stockadjustment")
    router.register("stock-zones", StockZoneViewSet, basename="stockzone")
    router.register("transfers", TransferViewSet, basename="transfer")
    router.register("purchase-orders", PurchaseOrderViewSet, basename="purchaseorder")
    router.register("receipts", ReceiptViewSet, basename="receipt")
    router.register("stock-counts", StockCountViewSet, basename="stockcount")
