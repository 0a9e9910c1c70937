"""Customers' console pages (namespace "console")."""

from django.urls import path

from .views import consent, console, customer_list
from .views import merge as merge_views
from .views import segments as seg

urlpatterns = [
    path("customers/", customer_list.customer_list, name="customers"),
    path("customers/exports/", customer_list.export_start, name="customer_export_start"),
    path("customers/exports/<int:pk>/", customer_list.export_progress, name="customer_export"),
    path("customers/exports/<int:pk>/download/", customer_list.export_download, name="customer_export_download"),
    path("customers/<int:pk>/", console.customer_detail, name="customer_detail"),
    path("customers/<int:pk>/edit/", console.customer_edit, name="customer_edit"),
    path("customers/<int:pk>/consent/", consent.customer_consent, name="customer_consent"),
    path("customers/<int:pk>/events/", console.customer_event_add, name="customer_event_add"),
    path("customers/<int:pk>/identities/", console.customer_identity_add, name="customer_identity_add"),
    path("customers/<int:pk>/identities/<int:identity_id>/remove/", console.customer_identity_remove,
         name="customer_identity_remove"),
    # segments, personas, RFM scores (customers.views.segments)
    path("segments/", seg.segment_list, name="segments"),
    path("segments/new/", seg.segment_create, name="segment_create"),
    path("segments/builder/", seg.segment_builder, name="segment_builder"),
    path("segments/count/", seg.segment_count, name="segment_count"),
    path("segments/scores/recompute/", seg.scores_recompute, name="scores_recompute"),
    path("segments/<int:pk>/", seg.segment_detail, name="segment_detail"),
    path("segments/<int:pk>/edit/", seg.segment_edit, name="segment_edit"),
    path("segments/<int:pk>/delete/", seg.segment_delete, name="segment_delete"),
    path("segments/<int:pk>/upload/", seg.segment_upload, name="segment_upload"),
    path("segments/<int:pk>/snapshot/", seg.segment_snapshot, name="segment_snapshot"),
    path("segments/<int:pk>/export/", seg.segment_export, name="segment_export"),
    path("segments/<int:pk>/exports/<int:export_id>/", seg.segment_export_progress, name="segment_export_progress"),
    path("segments/<int:pk>/exports/<int:export_id>/download/", seg.segment_export_download,
         name="segment_export_download"),
    path("personas/", seg.persona_list, name="personas"),
    path("personas/new/", seg.persona_create, name="persona_create"),
    path("personas/<int:pk>/edit/", seg.persona_edit, name="persona_edit"),
    path("personas/<int:pk>/delete/", seg.persona_delete, name="persona_delete"),
    path("customers/<int:pk>/privacy/", customer_list.privacy_request, name="customer_privacy"),
    path("customers/<int:pk>/privacy/export/", customer_list.privacy_export, name="customer_privacy_export"),
    path("customers/<int:pk>/privacy/erase/", customer_list.privacy_erase, name="customer_privacy_erase"),
    # duplicate review and merge (customers.merge)
    path("customers/duplicates/", merge_views.duplicates, name="duplicates"),
    path("customers/duplicates/scan/", merge_views.duplicates_scan, name="duplicates_scan"),
    path("customers/duplicates/scan/status/", merge_views.duplicates_scan_status, name="duplicates_scan_status"),
    path("customers/duplicates/<int:pk>/merge/", merge_views.duplicate_merge, name="duplicate_merge"),
    path("customers/duplicates/<int:pk>/dismiss/", merge_views.duplicate_dismiss, name="duplicate_dismiss"),
    path("customers/<int:pk>/merge/", merge_views.customer_merge_with, name="customer_merge_with"),
]
