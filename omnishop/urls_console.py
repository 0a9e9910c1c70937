"""The staff console, mounted at /console/ under the namespace "console"."""

from django.urls import include, path

from customers.views import console as customers
from inventory.views import console as inventory
from orders.views import console as orders

from . import views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("login/", views.ConsoleLoginView.as_view(), name="login"),
    path("logout/", views.ConsoleLogoutView.as_view(), name="logout"),
    # catalogue and stock
    path("products/", inventory.products, name="products"),
    path("products/new/", inventory.product_create, name="product_create"),
    path("products/<int:pk>/", inventory.product_detail, name="product_detail"),
    path("stock/", inventory.stock, name="stock"),
    path("stock/receive/", inventory.stock_receive, name="stock_receive"),
    path("stock/ledger/", inventory.ledger, name="ledger"),
    # store operations
    path("pickups/", orders.pickup_desk, name="pickup_desk"),
    path("pickups/<int:pk>/ready/", orders.pickup_ready, name="pickup_ready"),
    path("pickups/<int:pk>/hand-over/", orders.pickup_hand_over, name="pickup_hand_over"),
    path("orders/", orders.orders, name="orders"),
    path("orders/<str:number>/", orders.order_detail, name="order_detail"),
    path("customers/", customers.customers, name="customers"),
    path("customers/<int:pk>/", customers.customer_detail, name="customer_detail"),
    # the brand kit's own console pages (filled by the brand kit app)
    path("brand/", include("brandkit.urls_console")),
]
