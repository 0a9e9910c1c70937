"""Customers' API (namespace "api"): the signed-in customer's consent, and the viewsets."""

from django.urls import path

from .api import CustomerEventViewSet, CustomerViewSet, MyConsentView
from .api_segments import CustomerScoreView, PersonaViewSet, ScoresRecomputeView, SegmentViewSet

urlpatterns = [
    path("me/consent/", MyConsentView.as_view(), name="me-consent"),
    path("customers/<int:customer_id>/score/", CustomerScoreView.as_view(), name="customer-score"),
    path("scores/recompute/", ScoresRecomputeView.as_view(), name="scores-recompute"),
]


def register_routes(router) -> None:
    router.register("customers", CustomerViewSet, basename="customer")
    router.register(r"customers/(?P<customer_id>[0-9]+)/events", CustomerEventViewSet, basename="customer-event")
    router.register("segments", SegmentViewSet, basename="segment")
    router.register("personas", PersonaViewSet, basename="persona")
