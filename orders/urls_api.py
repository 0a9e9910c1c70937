"""Orders' API (namespace "api"): the signed-in user, their cart, and the order viewset."""

from django.urls import path

from .api import (
    MeView,
    MyCartCheckoutView,
    MyCartCodesView,
    MyCartCodeView,
    MyCartLinesView,
    MyCartLineView,
    MyCartView,
    OrderViewSet,
)
from .api_till import TillReceiptView, TillSaleBatchView, TillSaleView, TillSaleVoidView

urlpatterns = [
    path("me/", MeView.as_view(), name="me"),
    path("me/cart/", MyCartView.as_view(), name="my_cart"),
    path("me/cart/lines/", MyCartLinesView.as_view(), name="my_cart_lines"),
    path("me/cart/lines/<str:sku>/", MyCartLineView.as_view(), name="my_cart_line"),
    path("me/cart/codes/", MyCartCodesView.as_view(), name="my_cart_codes"),
    path("me/cart/codes/<str:code>/", MyCartCodeView.as_view(), name="my_cart_code"),
    path("me/cart/checkout/", MyCartCheckoutView.as_view(), name="my_cart_checkout"),
    path("till/sales/", TillSaleView.as_view(), name="till_sales"),
    path("till/sales/batch/", TillSaleBatchView.as_view(), name="till_sales_batch"),
    path("till/sales/<str:number>/void/", TillSaleVoidView.as_view(), name="till_sale_void"),
    path("till/sales/<str:number>/receipt/", TillReceiptView.as_view(), name="till_receipt"),
]


def register_routes(router) -> None:
    router.register("orders", OrderViewSet, basename="order")
