"""Orders' storefront pages (namespace "storefront"): product page, cart, checkout, the account."""

from django.urls import path

from .views import storefront

urlpatterns = [
    path("products/<slug:code>/", storefront.product_page, name="product"),
    path("cart/", storefront.cart_page, name="cart"),
    path("cart/add/", storefront.cart_add, name="cart_add"),
    path("cart/codes/", storefront.cart_codes, name="cart_codes"),
    path("checkout/", storefront.checkout, name="checkout"),
    path("account/", storefront.account, name="account"),
    path("account/orders/<str:number>/", storefront.order_detail, name="order"),
    path("account/orders/<str:number>/receipt/", storefront.receipt, name="receipt"),
    path("account/orders/<str:number>/cancel/", storefront.order_cancel, name="order_cancel"),
]
