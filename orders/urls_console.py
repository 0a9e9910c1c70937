"""Orders' console pages (namespace "console"): the pickup desk, orders and shipments."""

from django.urls import include, path

from .views import console, console_returns

urlpatterns = [
    path("", include("orders.urls_registers")),  # registers, their sessions and day reports
    path("pickups/", console.pickup_desk, name="pickup_desk"),
    path("pickups/<int:pk>/ready/", console.pickup_ready, name="pickup_ready"),
    path("pickups/<int:pk>/hand-over/", console.pickup_hand_over, name="pickup_hand_over"),
    path("orders/", console.orders, name="orders"),
    path("orders/<str:number>/", console.order_detail, name="order_detail"),
    path("orders/<str:number>/cancel/", console.order_cancel, name="order_cancel"),
    path("orders/<str:number>/refund/", console_returns.order_refund, name="order_refund"),
    path("returns/", console_returns.returns_desk, name="returns"),
    path("returns/new/<str:number>/", console_returns.return_new, name="return_new"),
    path("returns/<str:number>/", console_returns.return_detail, name="return_detail"),
    path("returns/<str:number>/refund/", console_returns.return_refund, name="return_refund"),
    path("returns/<str:number>/email/", console_returns.return_email, name="return_email"),
    path("returns/<str:number>/receipt/", console_returns.return_receipt, name="return_receipt"),
    path("shipments/", console.shipments, name="shipments"),
    path("shipments/<int:pk>/ship/", console.shipment_ship, name="shipment_ship"),
]
