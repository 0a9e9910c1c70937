"""Orders' console pages (namespace "console"): the pickup desk, orders and shipments."""

from django.urls import include, path

from .views import console

urlpatterns = [
    path("", include("orders.urls_registers")),  # registers, their sessions and day reports
    path("pickups/", console.pickup_desk, name="pickup_desk"),
    path("pickups/<int:pk>/ready/", console.pickup_ready, name="pickup_ready"),
    path("pickups/<int:pk>/hand-over/", console.pickup_hand_over, name="pickup_hand_over"),
    path("orders/", console.orders, name="orders"),
    path("orders/<str:number>/", console.order_detail, name="order_detail"),
    path("orders/<str:number>/cancel/", console.order_cancel, name="order_cancel"),
    path("shipments/", console.shipments, name="shipments"),
    path("shipments/<int:pk>/ship/", console.shipment_ship, name="shipment_ship"),
]
