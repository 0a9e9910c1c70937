"""Inventory's storefront pages (namespace "storefront"): the home page and the catalogue."""

from django.urls import path

from .views import storefront

urlpatterns = [
    path("", storefront.home, name="home"),
    path("products/", storefront.catalogue_page, name="catalogue"),
]
