"""Customers' API (namespace "api"): the signed-in customer's consent, and the viewsets."""

from django.urls import path

from .api import CustomerEventViewSet, CustomerViewSet, MyConsentView

urlpatterns = [
    path("me/consent/", MyConsentView.as_view(), name="me-consent"),
]


def register_routes(router) -> None:
    router.register("customers", CustomerViewSet, basename="customer")
    router.register(r"customers/(?P<customer_id>[0-9]+)/events", CustomerEventViewSet, basename="customer-event")
