"""The customer-facing storefront, mounted at / (namespace "storefront")."""

from django.urls import path

from customers.views import storefront as customers
from inventory.views import storefront as inventory
from orders.views import storefront as orders

urlpatterns = [
    path("", inventory.home, name="home"),
    path("products/", inventory.catalogue_page, name="catalogue"),
    path("products/<slug:code>/", orders.product_page, name="product"),
    path("products/<slug:code>/viewed/", orders.product_viewed, name="product_viewed"),
    path("cart/", orders.cart_page, name="cart"),
    path("cart/add/", orders.cart_add, name="cart_add"),
    path("checkout/", orders.checkout, name="checkout"),
    path("account/", orders.account, name="account"),
    path("account/signup/", customers.signup, name="signup"),
    path("account/login/", customers.LoginView.as_view(), name="login"),
    path("account/logout/", customers.LogoutView.as_view(), name="logout"),
    path("account/consent/", customers.consent_change, name="consent"),
    path("account/orders/<str:number>/", orders.order_detail, name="order"),
    path("account/orders/<str:number>/receipt/", orders.receipt, name="receipt"),
]
