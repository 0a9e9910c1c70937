"""Orders' console pages (namespace "console"): the pickup desk, orders and shipments."""

from django.urls import include, path

from .views import console, console_returns, till

urlpatterns = [
    path("", include("orders.urls_registers")),  # registers, their sessions and day reports
    path("pickups/", console.pickup_desk, name="pickup_desk"),
    path("pickups/badge/", console.pickup_badge, name="pickup_badge"),
    path("pickups/<int:pk>/ready/", console.pickup_ready, name="pickup_ready"),
    path("pickups/<int:pk>/hand-over/", till.pickup_hand_over, name="pickup_hand_over"),
    path("till/", till.till_home, name="till"),
    path("till/sw.js", till.till_service_worker, name="till_service_worker"),
    path("till/<int:register>/", till.till_register, name="till_register"),
    path("till/<int:register>/scan/", till.till_scan, name="till_scan"),
    path("till/<int:register>/search/", till.till_search, name="till_search"),
    path("till/<int:register>/line/", till.till_line, name="till_line"),
    path("till/<int:register>/customer/", till.till_customer, name="till_customer"),
    path("till/<int:register>/codes/", till.till_codes, name="till_codes"),
    path("till/<int:register>/complete/", till.till_complete, name="till_complete"),
    path("till/<int:register>/aisle/", till.till_aisle, name="till_aisle"),
    path("till/<int:register>/prices/", till.till_prices, name="till_prices"),
    path("till/receipts/<str:number>/", till.till_receipt, name="till_receipt"),
    path("till/receipts/<str:number>/reprint/", till.till_receipt_reprint, name="till_receipt_reprint"),
    path("till/receipts/<str:number>/email/", till.till_receipt_email, name="till_receipt_email"),
    path("till/receipts/<str:number>/void/", till.till_void, name="till_void"),
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
    path("orders/<str:number>/cancel-items/", console.order_lines_cancel, name="order_lines_cancel"),
    path("orders/<str:number>/notes/", console.order_note_add, name="order_note_add"),
    path("orders/<str:number>/tags/", console.order_tags_set, name="order_tags_set"),
    path("shipments/", console.shipments, name="shipments"),
    path("shipments/<int:pk>/ship/", console.shipment_ship, name="shipment_ship"),
    path("shipments/pick-list/", console.pick_list, name="pick_list"),
    path("shipments/packing-slips/", console.packing_slips, name="packing_slips"),
]
