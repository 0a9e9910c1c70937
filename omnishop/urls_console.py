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
    path("products/lint/", inventory.product_lint, name="product_lint"),
    path("products/<slug:code>/edit/", inventory.product_edit, name="product_edit"),
    path("stock/", inventory.stock, name="stock"),
    path("stock/receive/", inventory.stock_receive, name="stock_receive"),
    path("stock/adjust/", inventory.stock_adjust, name="stock_adjust"),
    path("stock/ledger/", inventory.ledger, name="ledger"),
    # store operations
    path("pickups/", orders.pickup_desk, name="pickup_desk"),
    path("pickups/<int:pk>/ready/", orders.pickup_ready, name="pickup_ready"),
    path("pickups/<int:pk>/hand-over/", orders.pickup_hand_over, name="pickup_hand_over"),
    path("orders/", orders.orders, name="orders"),
    path("orders/<str:number>/", orders.order_detail, name="order_detail"),
    path("orders/<str:number>/cancel/", orders.order_cancel, name="order_cancel"),
    # warehouse operations
    path("shipments/", orders.shipments, name="shipments"),
    path("shipments/<int:pk>/ship/", orders.shipment_ship, name="shipment_ship"),
    path("customers/", customers.customers, name="customers"),
    path("customers/<int:pk>/", customers.customer_detail, name="customer_detail"),
    path("customers/<int:pk>/edit/", customers.customer_edit, name="customer_edit"),
    path("customers/<int:pk>/consent/", customers.customer_consent, name="customer_consent"),
    path("customers/<int:pk>/events/", customers.customer_event_add, name="customer_event_add"),
    # the brand kit's own console pages (filled by the brand kit app)
    path("brand/", include("brandkit.urls_console")),
]
