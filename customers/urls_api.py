"""Customers' API (namespace "api"): the signed-in customer's consent, and the viewsets."""

from django.urls import path

from . import api_consent, api_engagement
from .api import CustomerEventViewSet, CustomerViewSet, MyConsentView
from .api_merge import CustomerMergeView, DuplicateDismissView, DuplicateListView, DuplicateScanView
from .api_segments import CustomerScoreView, PersonaViewSet, ScoresRecomputeView, SegmentViewSet
from .api_tracking import EventsIngestView, IdentityViewSet

urlpatterns = [
    path("me/consent/", MyConsentView.as_view(), name="me-consent"),
    # duplicate review and merge (before the customers router: "duplicates" is not a customer id)
    path("customers/duplicates/", DuplicateListView.as_view(), name="customer-duplicates"),
    path("customers/duplicates/scan/", DuplicateScanView.as_view(), name="customer-duplicates-scan"),
    path("customers/duplicates/<int:pk>/dismiss/", DuplicateDismissView.as_view(), name="customer-duplicate-dismiss"),
    path("customers/<int:pk>/merge/", CustomerMergeView.as_view(), name="customer-merge"),
    # consent by channel and purpose (customers.api_consent)
    path("me/consents/", api_consent.MyConsentStateView.as_view(), name="me-consents"),
    path("me/consents/history/", api_consent.MyConsentHistoryView.as_view(), name="me-consents-history"),
    path("me/consents/grant/", api_consent.MyConsentGrantView.as_view(), name="me-consents-grant"),
    path("me/consents/withdraw/", api_consent.MyConsentWithdrawView.as_view(), name="me-consents-withdraw"),
    path("customers/<int:customer_id>/consents/", api_consent.CustomerConsentStateView.as_view(),
         name="customer-consents"),
    path("customers/<int:customer_id>/consents/history/", api_consent.CustomerConsentHistoryView.as_view(),
         name="customer-consents-history"),
    path("customers/<int:customer_id>/consents/grant/", api_consent.CustomerConsentGrantView.as_view(),
         name="customer-consents-grant"),
    path("customers/<int:customer_id>/consents/withdraw/", api_consent.CustomerConsentWithdrawView.as_view(),
         name="customer-consents-withdraw"),
    path("events/", EventsIngestView.as_view(), name="events"),
    path("customers/<int:customer_id>/engagement/", api_engagement.CustomerEngagementView.as_view(),
         name="customer-engagement"),
    path("customers/<int:customer_id>/score/", CustomerScoreView.as_view(), name="customer-score"),
    path("scores/recompute/", ScoresRecomputeView.as_view(), name="scores-recompute"),
]


def register_routes(router) -> None:
    router.register("customers", CustomerViewSet, basename="customer")
    router.register(r"customers/(?P<customer_id>[0-9]+)/events", CustomerEventViewSet, basename="customer-event")
    router.register(r"customers/(?P<customer_id>[0-9]+)/identities", IdentityViewSet, basename="customer-identity")
    router.register("segments", SegmentViewSet, basename="segment")
    router.register("personas", PersonaViewSet, basename="persona")
