"""Orders' storefront pages (namespace "storefront"): product page, cart, checkout, the account."""

from django.urls import path

from .views import storefront, storefront_returns

urlpatterns = [
    path("products/<slug:code>/", storefront.product_page, name="product"),
    path("cart/", storefront.cart_page, name="cart"),
    path("cart/add/", storefront.cart_add, name="cart_add"),
    path("cart/codes/", storefront.cart_codes, name="cart_codes"),
    path("checkout/", storefront.checkout, name="checkout"),
    path("account/", storefront.account, name="account"),
    path("account/member-card/", storefront.member_card, name="account_member_card"),
    path("account/orders/<str:number>/", storefront.order_detail, name="order"),
    path("account/orders/<str:number>/receipt/", storefront.receipt, name="receipt"),
    path("account/orders/<str:number>/return/", storefront_returns.return_start, name="return_start"),
    path("account/returns/<str:number>/", storefront_returns.return_detail, name="return"),
    path("account/returns/<str:number>/cancel/", storefront_returns.return_cancel, name="return_cancel"),
    path("account/returns/<str:number>/receipt/", storefront_returns.return_receipt, name="return_receipt"),
    path("account/orders/<str:number>/cancel/", storefront.order_cancel, name="order_cancel"),
]
