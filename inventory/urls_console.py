"""Inventory's console pages (namespace "console"): the catalogue and stock."""

from django.urls import path

from .views import console, warehouse

urlpatterns = [
    path("products/", console.products, name="products"),
    path("products/new/", console.product_create, name="product_create"),
    path("products/<int:pk>/", console.product_detail, name="product_detail"),
    path("products/lint/", console.product_lint, name="product_lint"),
    path("products/<slug:code>/edit/", console.product_edit, name="product_edit"),
    path("stock/", console.stock, name="stock"),
    path("stock/receive/", console.stock_receive, name="stock_receive"),
    path("stock/adjust/", console.stock_adjust, name="stock_adjust"),
    path("stock/zones/", console.stock_zones, name="stock_zones"),
    path("stock/ledger/", console.ledger, name="ledger"),
]

# The warehouse documents (inventory.views.warehouse).
urlpatterns += [
    path("transfers/", warehouse.transfer_list, name="transfers"),
    path("transfers/new/", warehouse.transfer_new, name="transfer_new"),
    path("transfers/<str:number>/", warehouse.transfer_detail, name="transfer_detail"),
    path("transfers/<str:number>/<slug:action>/", warehouse.transfer_action, name="transfer_action"),
    path("purchase-orders/", warehouse.purchase_order_list, name="purchase_orders"),
    path("purchase-orders/new/", warehouse.purchase_order_new, name="purchase_order_new"),
    path("purchase-orders/<str:number>/", warehouse.purchase_order_detail, name="purchase_order_detail"),
    path("receipts/", warehouse.receipt_list, name="receipts"),
    path("receipts/new/", warehouse.receipt_new, name="receipt_new"),
    path("receipts/<str:number>/", warehouse.receipt_detail, name="receipt_detail"),
    path("counts/", warehouse.count_list, name="counts"),
    path("counts/new/", warehouse.count_new, name="count_new"),
    path("counts/<str:number>/", warehouse.count_detail, name="count_detail"),
    path("counts/<str:number>/enter/", warehouse.count_enter, name="count_enter"),
    path("counts/<str:number>/<slug:action>/", warehouse.count_action, name="count_action"),
]
