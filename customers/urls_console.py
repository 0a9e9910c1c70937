"""Customers' console pages (namespace "console")."""

from django.urls import path

from .views import console
from .views import merge as merge_views

urlpatterns = [
    path("customers/", console.customers, name="customers"),
    path("customers/<int:pk>/", console.customer_detail, name="customer_detail"),
    path("customers/<int:pk>/edit/", console.customer_edit, name="customer_edit"),
    path("customers/<int:pk>/consent/", console.customer_consent, name="customer_consent"),
    path("customers/<int:pk>/events/", console.customer_event_add, name="customer_event_add"),
    # duplicate review and merge (customers.merge)
    path("customers/duplicates/", merge_views.duplicates, name="duplicates"),
    path("customers/duplicates/scan/", merge_views.duplicates_scan, name="duplicates_scan"),
    path("customers/duplicates/scan/status/", merge_views.duplicates_scan_status, name="duplicates_scan_status"),
    path("customers/duplicates/<int:pk>/merge/", merge_views.duplicate_merge, name="duplicate_merge"),
    path("customers/duplicates/<int:pk>/dismiss/", merge_views.duplicate_dismiss, name="duplicate_dismiss"),
    path("customers/<int:pk>/merge/", merge_views.customer_merge_with, name="customer_merge_with"),
]
