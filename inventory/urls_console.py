"""Inventory's console pages (namespace "console"): the catalogue and stock."""

from django.urls import path

from .views import console

urlpatterns = [
    path("products/", console.products, name="products"),
    path("products/new/", console.product_create, name="product_create"),
    path("products/<int:pk>/", console.product_detail, name="product_detail"),
    path("products/lint/", console.product_lint, name="product_lint"),
    path("products/<slug:code>/edit/", console.product_edit, name="product_edit"),
    path("stock/", console.stock, name="stock"),
    path("stock/receive/", console.stock_receive, name="stock_receive"),
    path("stock/adjust/", console.stock_adjust, name="stock_adjust"),
    path("stock/ledger/", console.ledger, name="ledger"),
]
