"""Customers' console pages (namespace "console")."""

from django.urls import path

from .views import console, customer_list

urlpatterns = [
    path("customers/", customer_list.customer_list, name="customers"),
    path("customers/exports/", customer_list.export_start, name="customer_export_start"),
    path("customers/exports/<int:pk>/", customer_list.export_progress, name="customer_export"),
    path("customers/exports/<int:pk>/download/", customer_list.export_download, name="customer_export_download"),
    path("customers/<int:pk>/", console.customer_detail, name="customer_detail"),
    path("customers/<int:pk>/edit/", console.customer_edit, name="customer_edit"),
    path("customers/<int:pk>/consent/", console.customer_consent, name="customer_consent"),
    path("customers/<int:pk>/events/", console.customer_event_add, name="customer_event_add"),
    path("customers/<int:pk>/privacy/", customer_list.privacy_request, name="customer_privacy"),
    path("customers/<int:pk>/privacy/export/", customer_list.privacy_export, name="customer_privacy_export"),
    path("customers/<int:pk>/privacy/erase/", customer_list.privacy_erase, name="customer_privacy_erase"),
]
