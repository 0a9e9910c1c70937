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
    MyOrderCancelView,
    OrderViewSet,
)

urlpatterns = [
    path("me/", MeView.as_view(), name="me"),
    path("me/cart/", MyCartView.as_view(), name="my_cart"),
    path("me/cart/lines/", MyCartLinesView.as_view(), name="my_cart_lines"),
    path("me/cart/lines/<str:sku>/", MyCartLineView.as_view(), name="my_cart_line"),
    path("me/cart/codes/", MyCartCodesView.as_view(), name="my_cart_codes"),
    path("me/cart/codes/<str:code>/", MyCartCodeView.as_view(), name="my_cart_code"),
    path("me/cart/checkout/", MyCartCheckoutView.as_view(), name="my_cart_checkout"),
    path("me/orders/<str:number>/cancel/", MyOrderCancelView.as_view(), name="my_order_cancel"),
]


def register_routes(router) -> None:
    router.register("orders", OrderViewSet, basename="order")
