"""REST API v1 (namespace "api", mounted at /api/v1/). OpenAPI at /api/schema/, docs at /api/docs/."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from customers.api import CustomerViewSet
from inventory.api import (
    LocationViewSet,
    ProductViewSet,
    StockLevelViewSet,
    StockReceiptViewSet,
    VariantViewSet,
)
from orders.api import MeView, OrderViewSet

from .api import TokenObtainView

router = DefaultRouter()
router.include_root_view = False
router.register("products", ProductViewSet, basename="product")
router.register("variants", VariantViewSet, basename="variant")
router.register("locations", LocationViewSet, basename="location")
router.register("stock-levels", StockLevelViewSet, basename="stocklevel")
router.register("stock-receipts", StockReceiptViewSet, basename="stockreceipt")
router.register("customers", CustomerViewSet, basename="customer")
router.register("orders", OrderViewSet, basename="order")

urlpatterns = [
    path("auth/token/", TokenObtainView.as_view(), name="token"),
    path("me/", MeView.as_view(), name="me"),
    path("brandkit/", include("brandkit.urls_api")),
    *router.urls,
]
