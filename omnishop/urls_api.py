"""REST API v1 (namespace "api", mounted at /api/v1/). OpenAPI at /api/schema/, docs at /api/docs/."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from customers.api import CustomerEventViewSet, CustomerViewSet, MyConsentView
from inventory.api import (
    LocationViewSet,
    ProductViewSet,
    StockAdjustmentViewSet,
    StockLevelViewSet,
    StockReceiptViewSet,
    VariantViewSet,
)
from kernel.api import TokenObtainView
from orders.api import MeView, OrderViewSet

router = DefaultRouter()
router.include_root_view = False
router.register("products", ProductViewSet, basename="product")
router.register("variants", VariantViewSet, basename="variant")
router.register("locations", LocationViewSet, basename="location")
router.register("stock-levels", StockLevelViewSet, basename="stocklevel")
router.register("stock-receipts", StockReceiptViewSet, basename="stockreceipt")
router.register("stock-adjustments", StockAdjustmentViewSet, basename="stockadjustment")
router.register("customers", CustomerViewSet, basename="customer")
router.register(r"customers/(?P<customer_id>[0-9]+)/events", CustomerEventViewSet, basename="customer-event")
router.register("orders", OrderViewSet, basename="order")

urlpatterns = [
    path("auth/token/", TokenObtainView.as_view(), name="token"),
    path("me/", MeView.as_view(), name="me"),
    path("me/consent/", MyConsentView.as_view(), name="me-consent"),
    path("brandkit/", include("brandkit.urls_api")),
    *router.urls,
]
