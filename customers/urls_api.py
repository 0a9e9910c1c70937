"""Customers' API (namespace "api"): the signed-in customer's consent, and the viewsets."""

from django.urls import path

from .api import CustomerEventViewSet, CustomerViewSet, MyConsentView
from .api_tracking import EventsIngestView, IdentityViewSet

urlpatterns = [
    path("me/consent/", MyConsentView.as_view(), name="me-consent"),
    path("events/", EventsIngestView.as_view(), name="events"),
]


def register_routes(router) -> None:
    router.register("customers", CustomerViewSet, basename="customer")
    router.register(r"customers/(?P<customer_id>[0-9]+)/events", CustomerEventViewSet, basename="customer-event")
    router.register(r"customers/(?P<customer_id>[0-9]+)/identities", IdentityViewSet, basename="customer-identity")
