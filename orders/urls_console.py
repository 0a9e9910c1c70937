"""Orders' console pages (namespace "console"): the pickup desk, orders and shipments."""

from django.urls import path

from .views import console

urlpatterns = [
    path("pickups/", console.pickup_desk, name="pickup_desk"),
    path("pickups/badge/", console.pickup_badge, name="pickup_badge"),
    path("pickups/<int:pk>/ready/", console.pickup_ready, name="pickup_ready"),
    path("pickups/<int:pk>/hand-over/", console.pickup_hand_over, name="pickup_hand_over"),
    path("orders/", console.orders, name="orders"),
    path("orders/<str:number>/", console.order_detail, name="order_detail"),
    path("orders/<str:number>/cancel/", console.order_cancel, name="order_cancel"),
    path("orders/<str:number>/cancel-items/", console.order_lines_cancel, name="order_lines_cancel"),
    path("orders/<str:number>/notes/", console.order_note_add, name="order_note_add"),
    path("orders/<str:number>/tags/", console.order_tags_set, name="order_tags_set"),
    path("shipments/", console.shipments, name="shipments"),
    path("shipments/<int:pk>/ship/", console.shipment_ship, name="shipment_ship"),
    path("shipments/pick-list/", console.pick_list, name="pick_list"),
    path("shipments/packing-slips/", console.packing_slips, name="packing_slips"),
]
