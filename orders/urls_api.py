"""Orders' API (namespace "api"): the signed-in user, their cart, and the order viewset."""

from django.urls import path

from . import api_registers
from .api import (
    MeView,
    MyCartCheckoutView,
    MyCartCodesView,
    MyCartCodeView,
    MyCartLinesView,
    MyCartLineView,
    MyCartView,
    MyOrderCancelView,
    OrderViewSet,
)
from .api_returns import (
    MyReturnCancelView,
    MyReturnsView,
    MyReturnView,
    MyStoreCreditView,
    RefundView,
    ReturnViewSet,
    StoreCreditView,
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
    path("me/returns/", MyReturnsView.as_view(), name="my_returns"),
    path("me/returns/<str:number>/", MyReturnView.as_view(), name="my_return"),
    path("me/returns/<str:number>/cancel/", MyReturnCancelView.as_view(), name="my_return_cancel"),
    path("me/store-credit/", MyStoreCreditView.as_view(), name="my_store_credit"),
    path("refunds/", RefundView.as_view(), name="refunds"),
    path("store-credit/<int:customer_id>/", StoreCreditView.as_view(), name="store_credit"),
    path("till/sales/", TillSaleView.as_view(), name="till_sales"),
    path("till/sales/batch/", TillSaleBatchView.as_view(), name="till_sales_batch"),
    path("till/sales/<str:number>/void/", TillSaleVoidView.as_view(), name="till_sale_void"),
    path("till/sales/<str:number>/receipt/", TillReceiptView.as_view(), name="till_receipt"),
    path("me/orders/<str:number>/cancel/", MyOrderCancelView.as_view(), name="my_order_cancel"),
]


def register_routes(router) -> None:
    router.register("orders", OrderViewSet, basename="order")
    api_registers.register_routes(router)
    router.register("returns", ReturnViewSet, basename="return")
